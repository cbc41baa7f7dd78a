//! The errors of layer handling.
//!
//! Every enum, variant and field shape is upstream libcnb's, so code written for libcnb that
//! matches or constructs these errors compiles. The information upstream's messages lack goes
//! into the payloads libcnb-lite builds: an I/O error's message names the path and the layer
//! (`couldn't write /layers/bp/gems/env/PATH of layer `gems`: ...`) and keeps the
//! [`io::ErrorKind`], and a TOML error's message names the layer and says what to do, followed
//! by the TOML error's own text. The messages end with what the buildpack author can do when
//! there is something to do; [`Error::LayerError`](crate::Error::LayerError) prints the whole
//! chain.

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

    /// The `metadata` of a restored layer is neither the layer's metadata type nor a table, so it
    /// can't be passed to the invalid-metadata callback as
    /// [`GenericMetadata`](crate::generic::GenericMetadata). The
    /// [`TomlFileError::TomlDeserializationError`] names the layer and its `<layer>.toml`.
    #[error("{}", TomlFileErrorText(.0))]
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
    /// `<layer>.toml` isn't TOML, has top-level keys other than `types` and `metadata`, or its
    /// `[types]` aren't booleans named `launch`, `build` and `cache`; or metadata that is about
    /// to be written doesn't deserialize as the layer's metadata type (a `ReplaceMetadata`, a
    /// trait API `LayerResult` or metadata kept with `ExistingLayerStrategy::Keep`: upstream
    /// writes it and then fails to read the layer back with this error, or, for
    /// `ReplaceMetadata`, asks again forever).
    ///
    /// The TOML error's message names the layer and the file and says what to do, followed by
    /// the parser's own text.
    #[error("{}", TomlText(.0))]
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
    /// ([`TomlFileError::TomlSerializationError`], whose message names the layer).
    #[error("{}", TomlFileErrorText(.0))]
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

/// Metadata that doesn't deserialize as the layer's metadata type once serialized, checked
/// before it is written (upstream reads the layer back after writing it).
#[derive(Debug, Clone, Copy)]
pub(crate) enum ReadBack {
    /// The replacement from `ReplaceMetadata`, in either API.
    ReplacedMetadata,
    /// The metadata of a trait API `LayerResult`.
    LayerResult,
    /// Restored metadata kept with the trait API's `ExistingLayerStrategy::Keep`.
    KeptMetadata,
}

impl ReadBack {
    /// The error: [`ReadLayerError::LayerContentMetadataParseError`], as upstream's read back
    /// fails, with a message naming the layer and what to do.
    #[inline]
    pub(crate) fn error(self, layer: &LayerName, source: &toml::de::Error) -> LayerError {
        const AGREE: &str = "make the type's `Serialize` and `Deserialize` agree";
        let context = match self {
            Self::ReplacedMetadata => format!(
                "the metadata returned by `ReplaceMetadata` for layer `{layer}` doesn't \
                 deserialize as the layer's metadata type; {AGREE}"
            ),
            Self::LayerResult => format!(
                "the metadata of the `LayerResult` for layer `{layer}` doesn't deserialize as the \
                 layer's metadata type; {AGREE}"
            ),
            Self::KeptMetadata => format!(
                "the metadata of layer `{layer}`, kept with `ExistingLayerStrategy::Keep`, \
                 doesn't deserialize as the layer's metadata type once serialized; {AGREE}"
            ),
        };
        ReadLayerError::LayerContentMetadataParseError(de_error(context, source)).into()
    }
}

/// A TOML deserialization error whose message is `context`, then `source`'s text: upstream's
/// variants hold a bare [`toml::de::Error`], so the layer and path go into its message.
pub(crate) fn de_error(context: impl Display, source: &toml::de::Error) -> toml::de::Error {
    <toml::de::Error as serde::de::Error>::custom(format_args!("{context}: {}", TomlText(source)))
}

/// A TOML serialization error whose message is `context`, then `source`'s text.
pub(crate) fn ser_error(context: impl Display, source: &toml::ser::Error) -> toml::ser::Error {
    <toml::ser::Error as serde::ser::Error>::custom(format_args!("{context}: {source}"))
}

/// A `toml::de::Error`'s text without the line feed it ends with.
struct TomlText<'a>(&'a toml::de::Error);

impl Display for TomlText<'_> {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.to_string().trim_end())
    }
}

/// The text of a [`TomlFileError`] that holds a TOML error naming the layer: that error's
/// text, without the generic "couldn't deserialize TOML" prefix.
struct TomlFileErrorText<'a>(&'a TomlFileError);

impl Display for TomlFileErrorText<'_> {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            TomlFileError::IoError(error) => error.fmt(f),
            TomlFileError::TomlDeserializationError(error) => TomlText(error).fmt(f),
            TomlFileError::TomlSerializationError(error) => error.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcnb_lite_data::layer_name;
    use std::error::Error as _;

    #[test]
    fn context_goes_before_the_toml_errors_own_text() {
        let source = toml::from_str::<toml::Table>("[types").unwrap_err();
        let source_text = source.to_string();
        let error = LayerError::from(ReadLayerError::LayerContentMetadataParseError(de_error(
            "couldn't parse /layers/bp/gems.toml, the content metadata of layer `gems`",
            &source,
        )));

        assert_eq!(
            error.to_string(),
            format!(
                "couldn't parse /layers/bp/gems.toml, the content metadata of layer `gems`: {}",
                source_text.trim_end()
            )
        );
        assert!(source_text.contains("line 1"), "{source_text}");
        assert!(error.source().is_none());
    }

    #[test]
    fn read_back_errors_are_upstreams_parse_error_naming_the_layer() {
        let source = toml::from_str::<toml::Table>("x = ").unwrap_err();
        let error = ReadBack::ReplacedMetadata.error(&layer_name!("cache"), &source);
        assert!(
            matches!(
                &error,
                LayerError::ReadLayerError(ReadLayerError::LayerContentMetadataParseError(_))
            ),
            "{error:?}"
        );
        assert!(
            error.to_string().starts_with(
                "the metadata returned by `ReplaceMetadata` for layer `cache` doesn't deserialize \
                 as the layer's metadata type; make the type's `Serialize` and `Deserialize` \
                 agree: "
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
    fn serialization_errors_print_without_the_generic_prefix() {
        let error = WriteLayerMetadataError::TomlFileError(TomlFileError::TomlSerializationError(
            ser_error(
                "couldn't serialize the metadata of layer `l` as TOML",
                &<toml::ser::Error as serde::ser::Error>::custom("unsupported None value"),
            ),
        ));
        assert_eq!(
            error.to_string(),
            "couldn't serialize the metadata of layer `l` as TOML: unsupported None value"
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
