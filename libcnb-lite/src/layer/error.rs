//! The errors of layer handling.
//!
//! Every enum, variant, field shape and message is upstream libcnb's (`src/layer/shared.rs`),
//! so code written for libcnb that matches or constructs these errors compiles, libcnb-lite
//! returns the variant upstream returns, and the text is the same byte for byte. What upstream's
//! messages lack is in the payloads libcnb-lite builds: an I/O error carries a
//! [`PathError`](crate::PathError) naming the path and the layer
//! ([`LayerError::path_error`], or [`PathError::in_io_error`](crate::PathError::in_io_error) on
//! the `io::Error`) and keeps its [`io::ErrorKind`]; a TOML error is the one the `toml` crate
//! reported, with its line and column.

use crate::path_error::PathError;
use crate::toml_file::TomlFileError;
use libcnb_lite_data::layer::LayerName;
use std::io;
use std::path::PathBuf;

/// An error while handling a layer, in either layer API.
///
/// # Examples
///
/// ```
/// use libcnb_lite::layer::{DeleteLayerError, LayerError};
/// use libcnb_lite::{PathError, PathOperation};
/// use libcnb_lite::data::layer_name;
/// use std::io;
///
/// let io_error: io::Error = PathError::new(
///     PathOperation::Delete,
///     "/layers/ruby-bp/ruby",
///     io::Error::from(io::ErrorKind::PermissionDenied),
/// )
/// .with_layer(layer_name!("ruby"))
/// .into();
/// let error = LayerError::from(DeleteLayerError::IoError(io_error));
///
/// // Upstream's message...
/// assert_eq!(error.to_string(), "I/O error while deleting layer: permission denied");
/// // ...and the path and layer as values.
/// let path_error = error.path_error().expect("names the path");
/// assert_eq!(path_error.path(), std::path::Path::new("/layers/ruby-bp/ruby"));
/// assert_eq!(path_error.layer(), Some(&layer_name!("ruby")));
/// match &error {
///     LayerError::DeleteLayerError(DeleteLayerError::IoError(io_error)) => {
///         assert_eq!(io_error.kind(), io::ErrorKind::PermissionDenied);
///     }
///     other => panic!("{other}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// Reading the layer from disk failed, or its metadata doesn't deserialize as the layer's
    /// metadata type.
    #[error("{0}")]
    ReadLayerError(#[from] ReadLayerError),

    /// Writing the layer to disk failed.
    #[error("{0}")]
    WriteLayerError(#[from] WriteLayerError),

    /// Deleting the layer from disk failed.
    #[error("{0}")]
    DeleteLayerError(#[from] DeleteLayerError),

    /// A restored `<layer>.toml` read by the struct API (`cached_layer`, `uncached_layer`) isn't
    /// valid layer content metadata: it isn't TOML, has top-level keys other than `types` and
    /// `metadata`, its `[types]` aren't booleans named `launch`, `build` and `cache`, or its
    /// `metadata` is neither the layer's metadata type nor a table (so it can't be passed to the
    /// invalid-metadata callback as [`GenericMetadata`](crate::generic::GenericMetadata)). Holds
    /// the [`TomlFileError::TomlDeserializationError`] of parsing the file, as upstream's struct
    /// API does. (The trait API returns [`ReadLayerError::LayerContentMetadataParseError`] for
    /// the same file, as upstream's does.) Fix the file or delete the layer.
    #[error("Cannot read generic layer metadata: {0}")]
    CouldNotReadGenericLayerMetadata(TomlFileError),

    /// Never returned by libcnb-lite; kept so code written for libcnb compiles. (Upstream reads
    /// a layer back after creating it; libcnb-lite doesn't need to.)
    #[error("Cannot read layer {0} after creating it")]
    CouldNotReadLayerAfterCreate(LayerName),

    /// Never returned by libcnb-lite, whose I/O errors are [`ReadLayerError::IoError`],
    /// [`WriteLayerError::IoError`] or [`DeleteLayerError::IoError`]; kept so code written for
    /// libcnb compiles.
    #[error("Unexpected I/O error: {0}")]
    IoError(#[from] io::Error),

    /// Never returned by libcnb-lite; kept so code written for libcnb compiles.
    #[error("Unexpected missing layer")]
    UnexpectedMissingLayer,
}

impl LayerError {
    /// The file or directory (and the layer) that the I/O error at the root of this error
    /// happened on, when libcnb-lite knows it; upstream's message leaves it out.
    #[must_use]
    #[inline]
    pub fn path_error(&self) -> Option<&PathError> {
        let io_error = match self {
            Self::ReadLayerError(ReadLayerError::IoError(error))
            | Self::DeleteLayerError(DeleteLayerError::IoError(error))
            | Self::IoError(error)
            | Self::WriteLayerError(
                WriteLayerError::IoError(error)
                | WriteLayerError::WriteLayerMetadataError(WriteLayerMetadataError::IoError(error))
                | WriteLayerError::ReplaceLayerSbomsError(ReplaceLayerSbomsError::IoError(error))
                | WriteLayerError::ReplaceLayerExecdProgramsError(
                    ReplaceLayerExecdProgramsError::IoError(error),
                ),
            ) => error,
            Self::WriteLayerError(WriteLayerError::WriteLayerMetadataError(
                WriteLayerMetadataError::TomlFileError(error),
            ))
            | Self::CouldNotReadGenericLayerMetadata(error) => return error.path_error(),
            Self::ReadLayerError(ReadLayerError::LayerContentMetadataParseError(_))
            | Self::WriteLayerError(
                WriteLayerError::ReplaceLayerSbomsError(ReplaceLayerSbomsError::MissingLayer(_))
                | WriteLayerError::ReplaceLayerExecdProgramsError(
                    ReplaceLayerExecdProgramsError::MissingExecDFile(_)
                    | ReplaceLayerExecdProgramsError::MissingLayer(_)
                    | ReplaceLayerExecdProgramsError::InvalidProgramName { .. },
                ),
            )
            | Self::CouldNotReadLayerAfterCreate(_)
            | Self::UnexpectedMissingLayer => return None,
        };
        PathError::in_io_error(io_error)
    }
}

impl From<WriteLayerMetadataError> for LayerError {
    #[inline]
    fn from(error: WriteLayerMetadataError) -> Self {
        Self::WriteLayerError(error.into())
    }
}

impl From<ReplaceLayerSbomsError> for LayerError {
    #[inline]
    fn from(error: ReplaceLayerSbomsError) -> Self {
        Self::WriteLayerError(error.into())
    }
}

impl From<ReplaceLayerExecdProgramsError> for LayerError {
    #[inline]
    fn from(error: ReplaceLayerExecdProgramsError) -> Self {
        Self::WriteLayerError(error.into())
    }
}

/// An error while reading a layer from disk.
#[derive(Debug, thiserror::Error)]
pub enum ReadLayerError {
    /// The layer's content metadata isn't what the layer API expects. Upstream's message
    /// doesn't include the TOML error; it is the [`source`](std::error::Error::source), and the
    /// variant's value.
    ///
    /// - The trait API (`handle_layer`) returns it for a restored `<layer>.toml` that isn't
    ///   valid layer content metadata, as upstream does (the TOML error has the parser's line
    ///   and column).
    /// - Both APIs return it for metadata that is about to be written but doesn't deserialize as
    ///   the layer's metadata type once serialized: a `ReplaceMetadata`, a trait API
    ///   `LayerResult`, or metadata kept with `ExistingLayerStrategy::Keep`. Upstream writes it
    ///   and then fails to read the layer back (or, for `ReplaceMetadata`, asks again forever);
    ///   libcnb-lite checks before writing anything, and the TOML error's message names the
    ///   layer and its `<layer>.toml`.
    #[error("Layer content metadata couldn't be parsed!")]
    LayerContentMetadataParseError(#[source] toml::de::Error),

    /// A file or directory of the layer couldn't be read.
    #[error("Unexpected I/O error while reading layer: {0}")]
    IoError(#[from] io::Error),
}

/// An error while writing a layer to disk.
#[derive(Debug, thiserror::Error)]
pub enum WriteLayerError {
    /// `<layer>.toml` couldn't be written.
    #[error("{0}")]
    WriteLayerMetadataError(#[from] WriteLayerMetadataError),

    /// The layer's SBOM files couldn't be replaced.
    #[error("{0}")]
    ReplaceLayerSbomsError(#[from] ReplaceLayerSbomsError),

    /// The layer's exec.d programs couldn't be replaced.
    #[error("{0}")]
    ReplaceLayerExecdProgramsError(#[from] ReplaceLayerExecdProgramsError),

    /// The layer directory couldn't be created, or its environment couldn't be written.
    #[error("Unexpected I/O error while writing layer: {0}")]
    IoError(#[from] io::Error),
}

/// An error while writing a layer's content metadata, `<layer>.toml`.
#[derive(Debug, thiserror::Error)]
pub enum WriteLayerMetadataError {
    /// The file couldn't be written.
    #[error("Unexpected I/O error while writing layer metadata: {0}")]
    IoError(#[from] io::Error),

    /// The metadata can't be represented as TOML
    /// ([`TomlFileError::TomlSerializationError`]): use a struct or a map with string keys, and
    /// no `None` inside arrays.
    #[error("Error while writing layer content metadata TOML: {0}")]
    TomlFileError(#[from] TomlFileError),
}

/// An error while replacing a layer's SBOM files, `<layer>.sbom.<format>.json`.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceLayerSbomsError {
    /// The layer has no directory.
    #[error("Layer doesn't exist: {0}")]
    MissingLayer(LayerName),

    /// An SBOM file couldn't be removed or written.
    #[error("Unexpected I/O error while replacing layer SBOMs: {0}")]
    IoError(#[from] io::Error),
}

/// An error while replacing a layer's exec.d programs, `<layer>/exec.d/<name>`.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceLayerExecdProgramsError {
    /// `exec.d` couldn't be removed or created, or a program couldn't be copied into it.
    #[error("Unexpected I/O error while replacing layer execd programs: {0}")]
    IoError(#[from] io::Error),

    /// A program to copy into the layer doesn't exist: check that the buildpack package
    /// contains it (see `additional_buildpack_binary_path!`).
    #[error("Couldn't find exec.d file for copying: {}", .0.display())]
    MissingExecDFile(PathBuf),

    /// The layer has no directory.
    #[error("Layer doesn't exist: {0}")]
    MissingLayer(LayerName),

    /// A program name isn't a file name: it would be copied outside `exec.d` (upstream copies
    /// it there). Upstream code can't name this enum, so the extra variant breaks no match
    /// written for libcnb.
    #[error(
        "invalid exec.d program name {name:?} for layer `{layer}`: it must be a single path \
         component (not empty, `.` or `..`, and without `/`, `\\` or NUL)"
    )]
    InvalidProgramName {
        /// The layer.
        layer: LayerName,
        /// The rejected name.
        name: String,
    },
}

/// An error while deleting a layer.
#[derive(Debug, thiserror::Error)]
pub enum DeleteLayerError {
    /// A file or directory of the layer couldn't be removed (the build user must own the
    /// layer's files and directories).
    #[error("I/O error while deleting layer: {0}")]
    IoError(#[from] io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PathOperation;
    use libcnb_lite_data::layer_name;
    use std::error::Error as _;

    #[test]
    fn a_corrupt_layer_toml_is_upstreams_text() {
        let source = toml::from_str::<toml::Table>("[types").unwrap_err();
        let source_text = source.to_string();
        let error = LayerError::CouldNotReadGenericLayerMetadata(
            TomlFileError::TomlDeserializationError(source),
        );

        assert_eq!(
            error.to_string(),
            format!(
                "Cannot read generic layer metadata: TOML deserialization error while reading \
                 TOML file: {source_text}"
            )
        );
        assert!(source_text.contains("line 1"), "{source_text}");
        assert!(
            error.source().is_none(),
            "upstream's variant has no #[source]"
        );
    }

    #[test]
    fn metadata_parse_errors_keep_the_toml_error_as_source() {
        let source = toml::from_str::<toml::Table>("x = ").unwrap_err();
        let error = LayerError::from(ReadLayerError::LayerContentMetadataParseError(source));
        assert_eq!(
            error.to_string(),
            "Layer content metadata couldn't be parsed!"
        );
        let toml_error = error.source().and_then(std::error::Error::source).unwrap();
        assert!(toml_error.to_string().contains("line 1"), "{toml_error}");
    }

    #[test]
    fn wrappers_print_their_inner_message() {
        let error = LayerError::from(WriteLayerError::from(ReplaceLayerSbomsError::MissingLayer(
            layer_name!("gems"),
        )));
        assert_eq!(error.to_string(), "Layer doesn't exist: gems");
        assert!(error.path_error().is_none());

        let io_error: io::Error = PathError::new(
            PathOperation::Write,
            "/layers/bp/gems/env/PATH",
            io::Error::other("disk full"),
        )
        .with_layer(layer_name!("gems"))
        .into();
        let error = LayerError::from(WriteLayerError::from(io_error));
        assert_eq!(
            error.to_string(),
            "Unexpected I/O error while writing layer: disk full"
        );
        assert_eq!(
            error.path_error().unwrap().to_string(),
            "couldn't write /layers/bp/gems/env/PATH of layer `gems`: disk full"
        );
    }

    #[test]
    fn upstream_texts() {
        let cases: [(LayerError, &str); 8] = [
            (
                LayerError::CouldNotReadLayerAfterCreate(layer_name!("a")),
                "Cannot read layer a after creating it",
            ),
            (
                LayerError::UnexpectedMissingLayer,
                "Unexpected missing layer",
            ),
            (
                LayerError::IoError(io::Error::other("x")),
                "Unexpected I/O error: x",
            ),
            (
                ReadLayerError::IoError(io::Error::other("x")).into(),
                "Unexpected I/O error while reading layer: x",
            ),
            (
                WriteLayerMetadataError::IoError(io::Error::other("x")).into(),
                "Unexpected I/O error while writing layer metadata: x",
            ),
            (
                ReplaceLayerSbomsError::IoError(io::Error::other("x")).into(),
                "Unexpected I/O error while replacing layer SBOMs: x",
            ),
            (
                ReplaceLayerExecdProgramsError::IoError(io::Error::other("x")).into(),
                "Unexpected I/O error while replacing layer execd programs: x",
            ),
            (
                ReplaceLayerExecdProgramsError::MissingExecDFile(PathBuf::from("/bp/x")).into(),
                "Couldn't find exec.d file for copying: /bp/x",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
        assert_eq!(
            ReplaceLayerExecdProgramsError::MissingLayer(layer_name!("b")).to_string(),
            "Layer doesn't exist: b"
        );
        assert_eq!(
            DeleteLayerError::IoError(io::Error::other("x")).to_string(),
            "I/O error while deleting layer: x"
        );
        let serialization = toml::to_string(&std::collections::BTreeMap::from([(
            "a",
            vec![Some(1), None],
        )]))
        .unwrap_err();
        assert_eq!(
            WriteLayerMetadataError::TomlFileError(TomlFileError::TomlSerializationError(
                serialization
            ))
            .to_string(),
            "Error while writing layer content metadata TOML: TOML serialization error while \
             writing TOML file: unsupported None value"
        );
    }

    #[test]
    fn program_names_are_quoted() {
        let error = ReplaceLayerExecdProgramsError::InvalidProgramName {
            layer: layer_name!("web"),
            name: String::from("../x"),
        };
        assert_eq!(
            error.to_string(),
            "invalid exec.d program name \"../x\" for layer `web`: it must be a single path \
             component (not empty, `.` or `..`, and without `/`, `\\` or NUL)"
        );
    }

    #[test]
    fn errors_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<LayerError>();
    }
}
