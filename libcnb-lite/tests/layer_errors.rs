//! The layer errors have upstream libcnb's variants and field shapes, so code written for it
//! matches and constructs them and takes the arm upstream's errors take, and the I/O errors
//! libcnb-lite returns hold the path and the layer as values.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic on what they don't expect"
)]

mod support;

use libcnb_lite::data::layer::LayerName;
use libcnb_lite::data::layer_name;
use libcnb_lite::generic::GenericMetadata;
use libcnb_lite::layer::{
    CachedLayerDefinition, DeleteLayerError, InspectRestoredAction, InvalidMetadataAction,
    LayerError, LayerState, ReadLayerError, ReplaceLayerExecdProgramsError,
    UncachedLayerDefinition, WriteLayerError,
};
use libcnb_lite::{Error, PathError, PathOperation, TomlFileError};
use std::fs;
use std::io;
use std::path::Path;
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
    // Upstream's text...
    assert_eq!(
        error.to_string(),
        "Layer error: Unexpected I/O error while reading layer: Is a directory (os error 21)"
    );
    // ...and the path and the layer as values.
    let path_error = PathError::in_io_error(io_error).unwrap();
    assert!(std::ptr::eq(error.path_error().unwrap(), path_error));
    assert_eq!(
        path_error.to_string(),
        format!(
            "couldn't read {} of layer `gems`: Is a directory (os error 21)",
            toml_path.display()
        )
    );
    assert_eq!(path_error.path(), toml_path);
    assert_eq!(path_error.layer(), Some(&layer_name!("gems")));
    assert_eq!(path_error.operation(), PathOperation::Read);
    assert_eq!(path_error.kind(), io::ErrorKind::IsADirectory);
    let source = std::error::Error::source(path_error).unwrap();
    assert_eq!(
        source.downcast_ref::<io::Error>().map(io::Error::kind),
        Some(io::ErrorKind::IsADirectory)
    );
}

/// What code written for upstream libcnb does with the errors below: match upstream's
/// variants (`ReplaceLayerExecdProgramsError` can't be named through upstream's API, so the
/// I/O error is found as the error's source).
fn upstream_arm(error: &Error<String>) -> String {
    match error {
        Error::LayerError(LayerError::CouldNotReadGenericLayerMetadata(
            TomlFileError::TomlDeserializationError(toml_error),
        )) => format!("struct API, corrupt <layer>.toml: {}", toml_error.message()),
        Error::LayerError(LayerError::ReadLayerError(
            ReadLayerError::LayerContentMetadataParseError(toml_error),
        )) => format!("trait API, corrupt <layer>.toml: {}", toml_error.message()),
        Error::LayerError(LayerError::WriteLayerError(
            WriteLayerError::ReplaceLayerExecdProgramsError(exec_d_error),
        )) => {
            let kind = std::error::Error::source(exec_d_error)
                .and_then(|source| source.downcast_ref::<io::Error>())
                .map(io::Error::kind);
            format!("exec.d: {kind:?}")
        }
        other => format!("another arm: {other:?}"),
    }
}

#[test]
fn a_corrupt_or_unknown_keyed_layer_toml_takes_each_apis_upstream_arm() {
    for (text, message) in [
        ("[types\n", "unclosed table, expected `]`"),
        ("[metadata]\nv = 1\n[unknown]\n", "unknown field `unknown`"),
    ] {
        let temp_dir = tempfile::tempdir().unwrap();
        fs::create_dir(temp_dir.path().join("gems")).unwrap();
        fs::write(temp_dir.path().join("gems.toml"), text).unwrap();

        let error = context(temp_dir.path())
            .uncached_layer(
                layer_name!("gems"),
                UncachedLayerDefinition {
                    build: false,
                    launch: false,
                },
            )
            .unwrap_err();
        let arm = upstream_arm(&error);
        assert!(
            arm.starts_with(&format!("struct API, corrupt <layer>.toml: {message}")),
            "{text:?}: {arm}"
        );
        assert!(
            error.to_string().starts_with(
                "Layer error: Cannot read generic layer metadata: TOML deserialization error \
                 while reading TOML file: TOML parse error at line "
            ),
            "{error}"
        );

        #[expect(
            deprecated,
            reason = "the trait API's variant is upstream's trait API's"
        )]
        let error = context(temp_dir.path())
            .handle_layer(layer_name!("gems"), trait_layer::Kept)
            .unwrap_err();
        let arm = upstream_arm(&error);
        assert!(
            arm.starts_with(&format!("trait API, corrupt <layer>.toml: {message}")),
            "{text:?}: {arm}"
        );
        assert_eq!(
            error.to_string(),
            "Layer error: Layer content metadata couldn't be parsed!"
        );
        assert_eq!(
            fs::read_to_string(temp_dir.path().join("gems.toml")).unwrap(),
            text
        );
    }
}

#[test]
fn a_file_named_exec_d_in_a_kept_layer_takes_upstreams_arm_and_stays() {
    let temp_dir = tempfile::tempdir().unwrap();
    let layers_dir = temp_dir.path().join("layers");
    fs::create_dir_all(layers_dir.join("web")).unwrap();
    fs::write(layers_dir.join("web.toml"), "[metadata]\n").unwrap();
    let exec_d = layers_dir.join("web/exec.d");
    fs::write(&exec_d, "not a directory").unwrap();
    let program = temp_dir.path().join("program");
    fs::write(&program, "#!/bin/sh\n").unwrap();

    let layer = context(&layers_dir)
        .cached_layer(
            layer_name!("web"),
            CachedLayerDefinition {
                build: false,
                launch: true,
                invalid_metadata: &|_: &GenericMetadata| InvalidMetadataAction::DeleteLayer,
                inspect_restored: &|_: &GenericMetadata, _: &Path| InspectRestoredAction::KeepLayer,
            },
        )
        .unwrap();
    assert_eq!(layer.state, LayerState::Restored { cause: () });

    let error = layer
        .write_exec_d_programs([("port", program)])
        .unwrap_err();

    assert_eq!(upstream_arm(&error), "exec.d: Some(AlreadyExists)");
    let Error::LayerError(LayerError::WriteLayerError(
        WriteLayerError::ReplaceLayerExecdProgramsError(ReplaceLayerExecdProgramsError::IoError(
            io_error,
        )),
    )) = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(io_error.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(PathError::in_io_error(io_error).unwrap().path(), exec_d);
    assert_eq!(fs::read_to_string(&exec_d).unwrap(), "not a directory");
}

mod trait_layer {
    #![expect(deprecated, reason = "tests of the deprecated trait API")]

    use super::support::TestBuildpack;
    use libcnb_lite::build::BuildContext;
    use libcnb_lite::data::layer_content_metadata::LayerTypes;
    use libcnb_lite::generic::GenericMetadata;
    use libcnb_lite::layer::{ExistingLayerStrategy, Layer, LayerData, LayerResult};
    use std::path::Path;

    /// A trait API layer that keeps what was restored.
    pub(crate) struct Kept;

    impl Layer for Kept {
        type Buildpack = TestBuildpack;
        type Metadata = GenericMetadata;

        fn types(&self) -> LayerTypes {
            LayerTypes::default()
        }

        fn create(
            &mut self,
            _: &BuildContext<TestBuildpack>,
            _: &Path,
        ) -> Result<LayerResult<GenericMetadata>, String> {
            Err(String::from("a restored layer isn't created"))
        }

        fn existing_layer_strategy(
            &mut self,
            _: &BuildContext<TestBuildpack>,
            _: &LayerData<GenericMetadata>,
        ) -> Result<ExistingLayerStrategy, String> {
            Ok(ExistingLayerStrategy::Keep)
        }
    }
}
