//! The errors of layer handling.
//!
//! Every enum, variant and field shape is upstream libcnb's (`src/layer/shared.rs`), so code
//! written for libcnb that matches or constructs these errors compiles, and libcnb-lite returns
//! the variant upstream returns. What upstream's messages lack is in the payloads libcnb-lite
//! builds: an I/O error holds a [`PathError`](crate::PathError) naming the path and the layer
//! (`couldn't write /layers/bp/gems/env/PATH of layer `gems`: ...`) and keeps its
//! [`io::ErrorKind`]; a TOML error is the one the `toml` crate reported, and the message around
//! it says what to do. [`Error::LayerError`](crate::Error::LayerError) prints the whole message.

use crate::toml_file::TomlFileError;
use libcnb_lite_data::layer::LayerName;
use std::fmt::{self, Display};
use std::io;
use std::path::PathBuf;

/// An error while handling a layer, in either layer API.
///
/// # Examples
///
/// ```
/// use libcnb_lite::layer::{DeleteLayerError, LayerError};
/// use std::io;
///
/// // What libcnb-lite returns names the layer and the path inside the `io::Error`.
/// let error = LayerError::from(DeleteLayerError::IoError(io::Error::new(
///     io::ErrorKind::PermissionDenied,
///     "couldn't delete /layers/ruby-bp/ruby of layer `ruby`: permission denied",
/// )));
/// assert_eq!(
///     error.to_string(),
///     "couldn't delete /layers/ruby-bp/ruby of layer `ruby`: permission denied; the build \
///      user must own the layer's files and directories"
/// );
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
    #[error(transparent)]
    ReadLayerError(#[from] ReadLayerError),

    /// Writing the layer to disk failed.
    #[error(transparent)]
    WriteLayerError(#[from] WriteLayerError),

    /// Deleting the layer from disk failed.
    #[error(transparent)]
    DeleteLayerError(#[from] DeleteLayerError),

    /// A restored `<layer>.toml` isn't valid layer content metadata: it isn't TOML, has
    /// top-level keys other than `types` and `metadata`, its `[types]` aren't booleans named
    /// `launch`, `build` and `cache`, or its `metadata` is neither the layer's metadata type
    /// nor a table (so it can't be passed to the invalid-metadata callback as
    /// [`GenericMetadata`](crate::generic::GenericMetadata)). Holds the
    /// [`TomlFileError::TomlDeserializationError`] of parsing the file, as upstream, in either
    /// layer API.
    #[error("{}", GenericMetadataText(.0))]
    CouldNotReadGenericLayerMetadata(TomlFileError),

    /// Never returned by libcnb-lite; kept so code written for libcnb compiles. (Upstream reads
    /// a layer back after creating it; libcnb-lite doesn't need to.)
    #[error("couldn't read layer `{0}` after creating it")]
    CouldNotReadLayerAfterCreate(LayerName),

    /// Never returned by libcnb-lite, whose I/O errors are [`ReadLayerError::IoError`],
    /// [`WriteLayerError::IoError`] or [`DeleteLayerError::IoError`]; kept so code written for
    /// libcnb compiles.
    #[error(transparent)]
    IoError(#[from] io::Error),

    /// Never returned by libcnb-lite; kept so code written for libcnb compiles.
    #[error("unexpected missing layer")]
    UnexpectedMissingLayer,
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
    /// Metadata that is about to be written doesn't deserialize as the layer's metadata type
    /// once serialized: a `ReplaceMetadata`, a trait API `LayerResult`, or metadata kept with
    /// `ExistingLayerStrategy::Keep`. Upstream writes it and then fails to read the layer back
    /// with this error (or, for `ReplaceMetadata`, asks again forever); libcnb-lite checks it
    /// before writing anything. Holds the TOML error of deserializing it.
    ///
    /// (A `<layer>.toml` that isn't valid layer content metadata is
    /// [`LayerError::CouldNotReadGenericLayerMetadata`], as upstream's struct API returns.)
    #[error(
        "a layer's metadata doesn't deserialize as the layer's metadata type once serialized; \
         make the type's `Serialize` and `Deserialize` agree: {}",
        TomlText(.0)
    )]
    LayerContentMetadataParseError(toml::de::Error),

    /// A file or directory of the layer couldn't be read. The I/O error's message names it and
    /// the layer.
    #[error(transparent)]
    IoError(#[from] io::Error),
}

/// An error while writing a layer to disk.
#[derive(Debug, thiserror::Error)]
pub enum WriteLayerError {
    /// `<layer>.toml` couldn't be written.
    #[error(transparent)]
    WriteLayerMetadataError(#[from] WriteLayerMetadataError),

    /// The layer's SBOM files couldn't be replaced.
    #[error(transparent)]
    ReplaceLayerSbomsError(#[from] ReplaceLayerSbomsError),

    /// The layer's exec.d programs couldn't be replaced.
    #[error(transparent)]
    ReplaceLayerExecdProgramsError(#[from] ReplaceLayerExecdProgramsError),

    /// The layer directory couldn't be created, or its environment couldn't be written. The
    /// I/O error's message names the directory or file and the layer.
    #[error(transparent)]
    IoError(#[from] io::Error),
}

/// An error while writing a layer's content metadata, `<layer>.toml`.
#[derive(Debug, thiserror::Error)]
pub enum WriteLayerMetadataError {
    /// The file couldn't be written. The I/O error's message names it and the layer.
    #[error(transparent)]
    IoError(#[from] io::Error),

    /// The metadata can't be represented as TOML
    /// ([`TomlFileError::TomlSerializationError`]).
    #[error("{}", SerializationText(.0))]
    TomlFileError(#[from] TomlFileError),
}

/// An error while replacing a layer's SBOM files, `<layer>.sbom.<format>.json`.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceLayerSbomsError {
    /// The layer has no directory.
    #[error("layer `{0}` has no directory, so its SBOMs can't be written")]
    MissingLayer(LayerName),

    /// An SBOM file couldn't be removed or written. The I/O error's message names it and the
    /// layer.
    #[error(transparent)]
    IoError(#[from] io::Error),
}

/// An error while replacing a layer's exec.d programs, `<layer>/exec.d/<name>`.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceLayerExecdProgramsError {
    /// `exec.d` couldn't be removed or created, or a program couldn't be copied into it. The
    /// I/O error's message names the path and the layer.
    #[error(transparent)]
    IoError(#[from] io::Error),

    /// A program to copy into the layer doesn't exist.
    #[error(
        "couldn't find the exec.d program {}; check that the buildpack package contains it (see \
         `additional_buildpack_binary_path!`)",
        .0.display()
    )]
    MissingExecDFile(PathBuf),

    /// The layer has no directory.
    #[error("layer `{0}` has no directory, so exec.d programs can't be added to it")]
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
    /// A file or directory of the layer couldn't be removed. The I/O error's message names it
    /// and the layer.
    #[error("{0}; the build user must own the layer's files and directories")]
    IoError(io::Error),
}

impl From<io::Error> for DeleteLayerError {
    #[inline]
    fn from(error: io::Error) -> Self {
        Self::IoError(error)
    }
}

/// A `toml::de::Error`'s text without the line feed it ends with.
struct TomlText<'a>(&'a toml::de::Error);

impl Display for TomlText<'_> {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.to_string().trim_end())
    }
}

/// The message of [`LayerError::CouldNotReadGenericLayerMetadata`]: what is wrong and what to
/// do, then the TOML error.
struct GenericMetadataText<'a>(&'a TomlFileError);

impl Display for GenericMetadataText<'_> {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            TomlFileError::TomlDeserializationError(error) => write!(
                f,
                "couldn't parse a layer's content metadata (`<layer>.toml`): it must be TOML \
                 with only a `[types]` table (launch, build and cache booleans) and a \
                 `[metadata]` table; fix the file or delete the layer: {}",
                TomlText(error)
            ),
            TomlFileError::IoError(error) => {
                write!(f, "couldn't read a layer's content metadata: {error}")
            }
            TomlFileError::TomlSerializationError(error) => error.fmt(f),
        }
    }
}

/// The message of [`WriteLayerMetadataError::TomlFileError`]: what to do, then the TOML error.
struct SerializationText<'a>(&'a TomlFileError);

impl Display for SerializationText<'_> {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            TomlFileError::TomlSerializationError(error) => write!(
                f,
                "couldn't serialize a layer's metadata as TOML; use a struct or a map with \
                 string keys, and no `None` inside arrays: {error}"
            ),
            TomlFileError::TomlDeserializationError(error) => TomlText(error).fmt(f),
            TomlFileError::IoError(error) => error.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcnb_lite_data::layer_name;
    use std::error::Error as _;

    #[test]
    fn a_corrupt_layer_toml_says_what_to_do_before_the_toml_error() {
        let source = toml::from_str::<toml::Table>("[types").unwrap_err();
        let source_text = source.to_string();
        let error = LayerError::CouldNotReadGenericLayerMetadata(
            TomlFileError::TomlDeserializationError(source),
        );

        assert_eq!(
            error.to_string(),
            format!(
                "couldn't parse a layer's content metadata (`<layer>.toml`): it must be TOML \
                 with only a `[types]` table (launch, build and cache booleans) and a \
                 `[metadata]` table; fix the file or delete the layer: {}",
                source_text.trim_end()
            )
        );
        assert!(source_text.contains("line 1"), "{source_text}");
        assert!(error.source().is_none());
    }

    #[test]
    fn metadata_that_does_not_read_back_says_what_to_do() {
        let source = toml::from_str::<toml::Table>("x = ").unwrap_err();
        let error = LayerError::from(ReadLayerError::LayerContentMetadataParseError(source));
        assert!(
            error.to_string().starts_with(
                "a layer's metadata doesn't deserialize as the layer's metadata type once \
                 serialized; make the type's `Serialize` and `Deserialize` agree: TOML parse \
                 error at line 1"
            ),
            "{error}"
        );
        assert!(!error.to_string().ends_with('\n'));
    }

    #[test]
    fn wrappers_are_transparent() {
        let error = LayerError::from(WriteLayerError::from(ReplaceLayerSbomsError::MissingLayer(
            layer_name!("gems"),
        )));
        assert_eq!(
            error.to_string(),
            "layer `gems` has no directory, so its SBOMs can't be written"
        );
        assert!(error.source().is_none());

        let error = LayerError::from(WriteLayerError::from(io::Error::other(
            "couldn't write /layers/bp/gems/env/PATH of layer `gems`: disk full",
        )));
        assert_eq!(
            error.to_string(),
            "couldn't write /layers/bp/gems/env/PATH of layer `gems`: disk full"
        );
    }

    #[test]
    fn serialization_errors_say_what_to_do() {
        let error = WriteLayerMetadataError::TomlFileError(TomlFileError::TomlSerializationError(
            toml::to_string(&std::collections::BTreeMap::from([(
                "a",
                vec![Some(1), None],
            )]))
            .unwrap_err(),
        ));
        assert_eq!(
            error.to_string(),
            "couldn't serialize a layer's metadata as TOML; use a struct or a map with string \
             keys, and no `None` inside arrays: unsupported None value"
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
