//! The layer errors have upstream libcnb's variants and field shapes, so code written for it
//! matches and constructs them, and the errors libcnb-lite returns still name the layer and
//! the path.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic on what they don't expect"
)]

mod support;

use libcnb_lite::Error;
use libcnb_lite::TomlFileError;
use libcnb_lite::data::layer::LayerName;
use libcnb_lite::data::layer_name;
use libcnb_lite::layer::{
    DeleteLayerError, LayerError, ReadLayerError, UncachedLayerDefinition, WriteLayerError,
};
use std::fs;
use std::io;
use support::context;

/// An `on_error` as written for upstream: an exhaustive match without a wildcard, so that a
/// variant libcnb-lite adds or lacks fails to compile.
fn describe(error: &LayerError) -> &'static str {
    match error {
        LayerError::ReadLayerError(ReadLayerError::LayerContentMetadataParseError(_)) => "parse",
        LayerError::ReadLayerError(ReadLayerError::IoError(_)) => "read",
        LayerError::WriteLayerError(
            WriteLayerError::WriteLayerMetadataError(_)
            | WriteLayerError::ReplaceLayerSbomsError(_)
            | WriteLayerError::ReplaceLayerExecdProgramsError(_)
            | WriteLayerError::IoError(_),
        ) => "write",
        LayerError::DeleteLayerError(DeleteLayerError::IoError(_)) => "delete",
        LayerError::CouldNotReadGenericLayerMetadata(_) => "generic metadata",
        LayerError::CouldNotReadLayerAfterCreate(_) => "read after create",
        LayerError::IoError(_) => "io",
        LayerError::UnexpectedMissingLayer => "missing",
    }
}

#[test]
fn upstream_variants_can_be_constructed() {
    let name: LayerName = layer_name!("gems");
    let errors = [
        LayerError::from(ReadLayerError::from(io::Error::other("x"))),
        LayerError::from(WriteLayerError::IoError(io::Error::other("x"))),
        LayerError::from(DeleteLayerError::IoError(io::Error::other("x"))),
        LayerError::CouldNotReadGenericLayerMetadata(TomlFileError::IoError(io::Error::other("x"))),
        LayerError::CouldNotReadLayerAfterCreate(name),
        LayerError::from(io::Error::other("x")),
        LayerError::UnexpectedMissingLayer,
    ];
    let described = errors.iter().map(describe).collect::<Vec<_>>();
    assert_eq!(
        described,
        [
            "read",
            "write",
            "delete",
            "generic metadata",
            "read after create",
            "io",
            "missing"
        ]
    );
}

#[test]
fn io_errors_name_the_path_and_layer_and_keep_their_kind() {
    let temp_dir = tempfile::tempdir().unwrap();
    // `<layer>.toml` is a directory: reading it fails.
    let toml_path = temp_dir.path().join("gems.toml");
    fs::create_dir(&toml_path).unwrap();

    let error = context(temp_dir.path())
        .uncached_layer(
            layer_name!("gems"),
            UncachedLayerDefinition {
                build: false,
                launch: false,
            },
        )
        .unwrap_err();

    let Error::LayerError(LayerError::ReadLayerError(ReadLayerError::IoError(io_error))) = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(io_error.kind(), io::ErrorKind::IsADirectory);
    assert!(
        error.to_string().starts_with(&format!(
            "couldn't read {} of layer `gems`: ",
            toml_path.display()
        )),
        "{error}"
    );
}

#[test]
fn parse_errors_name_the_file_and_layer() {
    let temp_dir = tempfile::tempdir().unwrap();
    let toml_path = temp_dir.path().join("gems.toml");
    fs::create_dir(temp_dir.path().join("gems")).unwrap();
    fs::write(&toml_path, "[types\n").unwrap();

    let error = context(temp_dir.path())
        .uncached_layer(
            layer_name!("gems"),
            UncachedLayerDefinition {
                build: false,
                launch: false,
            },
        )
        .unwrap_err();

    let Error::LayerError(
        layer_error @ LayerError::ReadLayerError(ReadLayerError::LayerContentMetadataParseError(
            toml_error,
        )),
    ) = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(describe(layer_error), "parse");
    let expected_start = format!(
        "couldn't parse {}, the content metadata of layer `gems`: ",
        toml_path.display()
    );
    assert!(
        toml_error.message().starts_with(&expected_start),
        "{toml_error}"
    );
    assert!(error.to_string().starts_with(&expected_start), "{error}");
    assert!(error.to_string().contains("line 1"), "{error}");
}
