//! The errors of layer handling.
//!
//! Variant names are upstream libcnb's where upstream has the case. Every variant names the
//! layer, every I/O failure also the path, and messages end with what the buildpack author can
//! do when there is something to do. The underlying error is the
//! [`source`](std::error::Error::source), never repeated in the message;
//! [`Error::LayerError`](crate::Error::LayerError) prints the whole chain.

use libcnb_lite_data::layer::LayerName;
use std::io;
use std::path::PathBuf;

/// An error while handling a layer, in either layer API.
///
/// # Examples
///
/// ```
/// use libcnb_lite::data::layer_name;
/// use libcnb_lite::layer::{DeleteLayerError, LayerError};
/// use std::io;
///
/// let error = LayerError::from(DeleteLayerError::IoError {
///     layer: layer_name!("ruby"),
///     path: "/layers/ruby-bp/ruby".into(),
///     source: io::Error::from(io::ErrorKind::PermissionDenied),
/// });
/// assert_eq!(
///     error.to_string(),
///     "couldn't delete /layers/ruby-bp/ruby of layer `ruby`; the build user must own the \
///      layer's files and directories"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// Reading the layer from disk failed.
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
    /// [`GenericMetadata`](crate::generic::GenericMetadata).
    #[error(
        "the metadata of layer `{layer}` in {} is a {found}, not a table, so it can't be passed \
         to the invalid-metadata callback; fix the file or delete the layer",
        path.display()
    )]
    CouldNotReadGenericLayerMetadata {
        /// The layer.
        layer: LayerName,
        /// Its `<layer>.toml`.
        path: PathBuf,
        /// The TOML type the metadata has instead, such as `integer`.
        found: &'static str,
    },

    /// The metadata returned by `ReplaceMetadata` doesn't deserialize as the layer's metadata
    /// type. Upstream libcnb would ask again forever; this is an error instead.
    #[error(
        "the metadata returned by `ReplaceMetadata` for layer `{layer}` doesn't deserialize as \
         the layer's metadata type; make the type's `Serialize` and `Deserialize` agree"
    )]
    ReplacedMetadataDoesNotReadBack {
        /// The layer.
        layer: LayerName,
        /// Why the serialized metadata doesn't deserialize.
        source: Box<toml::de::Error>,
    },

    /// The metadata of a trait API [`LayerResult`](crate::layer::LayerResult) doesn't
    /// deserialize as the layer's metadata type, so the layer couldn't be read back.
    #[error(
        "the metadata of the `LayerResult` for layer `{layer}` doesn't deserialize as the \
         layer's metadata type; make the type's `Serialize` and `Deserialize` agree"
    )]
    LayerResultMetadataDoesNotReadBack {
        /// The layer.
        layer: LayerName,
        /// Why the serialized metadata doesn't deserialize.
        source: Box<toml::de::Error>,
    },

    /// The metadata of a restored layer kept with the trait API's
    /// [`ExistingLayerStrategy::Keep`](crate::layer::ExistingLayerStrategy::Keep) doesn't
    /// deserialize as the layer's metadata type once serialized, so it couldn't be written
    /// back (upstream writes it and then fails to read the layer back).
    #[error(
        "the metadata of layer `{layer}`, kept with `ExistingLayerStrategy::Keep`, doesn't \
         deserialize as the layer's metadata type once serialized; make the type's `Serialize` \
         and `Deserialize` agree"
    )]
    KeptMetadataDoesNotReadBack {
        /// The layer.
        layer: LayerName,
        /// Why the serialized metadata doesn't deserialize.
        source: Box<toml::de::Error>,
    },
}

impl From<WriteLayerMetadataError> for LayerError {
    fn from(error: WriteLayerMetadataError) -> Self {
        Self::WriteLayerError(error.into())
    }
}

impl From<ReplaceLayerSbomsError> for LayerError {
    fn from(error: ReplaceLayerSbomsError) -> Self {
        Self::WriteLayerError(error.into())
    }
}

impl From<ReplaceLayerExecdProgramsError> for LayerError {
    fn from(error: ReplaceLayerExecdProgramsError) -> Self {
        Self::WriteLayerError(error.into())
    }
}

/// An error while reading a layer from disk.
#[derive(Debug, thiserror::Error)]
pub enum ReadLayerError {
    /// `<layer>.toml` isn't TOML, has top-level keys other than `types` and `metadata`, or its
    /// `[types]` aren't booleans named `launch`, `build` and `cache`.
    #[error(
        "couldn't parse {}, the content metadata of layer `{layer}`: it must be TOML with only \
         a `[types]` table (launch, build and cache booleans) and a `[metadata]` table; fix the \
         file or delete the layer",
        path.display()
    )]
    LayerContentMetadataParseError {
        /// The layer.
        layer: LayerName,
        /// Its `<layer>.toml`.
        path: PathBuf,
        /// The parse error (boxed: it is large, and errors are returned on every path).
        source: Box<toml::de::Error>,
    },

    /// A file or directory of the layer couldn't be read.
    #[error("couldn't read {} of layer `{layer}`", path.display())]
    IoError {
        /// The layer.
        layer: LayerName,
        /// The file or directory that couldn't be read.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
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

    /// The layer directory couldn't be created, or its environment couldn't be written.
    #[error("couldn't write layer `{layer}` at {}", path.display())]
    IoError {
        /// The layer.
        layer: LayerName,
        /// The layer directory.
        path: PathBuf,
        /// The I/O error (naming the file, for env files).
        source: io::Error,
    },
}

/// An error while writing a layer's content metadata, `<layer>.toml`.
#[derive(Debug, thiserror::Error)]
pub enum WriteLayerMetadataError {
    /// The file couldn't be written.
    #[error("couldn't write {}, the content metadata of layer `{layer}`", path.display())]
    IoError {
        /// The layer.
        layer: LayerName,
        /// Its `<layer>.toml`.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },

    /// The metadata can't be represented as TOML.
    #[error(
        "couldn't serialize the metadata of layer `{layer}` as TOML; use a struct or a map with \
         string keys, and no `None` inside arrays"
    )]
    TomlSerializationError {
        /// The layer.
        layer: LayerName,
        /// The serialization error.
        source: toml::ser::Error,
    },
}

/// An error while replacing a layer's SBOM files, `<layer>.sbom.<format>.json`.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceLayerSbomsError {
    /// The layer has no directory.
    #[error(
        "layer `{layer}` has no directory at {}, so its SBOMs can't be written",
        path.display()
    )]
    MissingLayer {
        /// The layer.
        layer: LayerName,
        /// The missing layer directory.
        path: PathBuf,
    },

    /// An SBOM file couldn't be removed or written.
    #[error("couldn't replace {}, an SBOM of layer `{layer}`", path.display())]
    IoError {
        /// The layer.
        layer: LayerName,
        /// The SBOM file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// An error while replacing a layer's exec.d programs, `<layer>/exec.d/<name>`.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceLayerExecdProgramsError {
    /// `exec.d` couldn't be removed or created, or a program couldn't be copied into it.
    #[error("couldn't replace the exec.d programs of layer `{layer}` at {}", path.display())]
    IoError {
        /// The layer.
        layer: LayerName,
        /// The `exec.d` directory or the program being copied into it.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },

    /// A program to copy into the layer doesn't exist.
    #[error(
        "couldn't find the exec.d program {} for layer `{layer}`; check that the buildpack \
         package contains it (see `additional_buildpack_binary_path!`)",
        path.display()
    )]
    MissingExecDFile {
        /// The layer.
        layer: LayerName,
        /// The missing program.
        path: PathBuf,
    },

    /// The layer has no directory.
    #[error(
        "layer `{layer}` has no directory at {}, so exec.d programs can't be added to it",
        path.display()
    )]
    MissingLayer {
        /// The layer.
        layer: LayerName,
        /// The missing layer directory.
        path: PathBuf,
    },

    /// A program name isn't a file name: it would be copied outside `exec.d`.
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
    /// A file or directory of the layer couldn't be removed.
    #[error(
        "couldn't delete {} of layer `{layer}`; the build user must own the layer's files and \
         directories",
        path.display()
    )]
    IoError {
        /// The layer.
        layer: LayerName,
        /// The layer directory, `<layer>.toml` or SBOM file being removed.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcnb_lite_data::layer_name;
    use std::error::Error as _;

    #[test]
    fn messages_name_the_layer_and_path_without_repeating_the_source() {
        let source = toml::from_str::<toml::Table>("[types").unwrap_err();
        let source_text = source.to_string();
        let error = LayerError::from(ReadLayerError::LayerContentMetadataParseError {
            layer: layer_name!("gems"),
            path: PathBuf::from("/layers/bp/gems.toml"),
            source: Box::new(source),
        });

        let message = error.to_string();
        assert_eq!(
            message,
            "couldn't parse /layers/bp/gems.toml, the content metadata of layer `gems`: it must \
             be TOML with only a `[types]` table (launch, build and cache booleans) and a \
             `[metadata]` table; fix the file or delete the layer"
        );
        assert_eq!(error.source().unwrap().to_string(), source_text);
    }

    #[test]
    fn wrappers_are_transparent() {
        let error = LayerError::from(WriteLayerError::from(
            ReplaceLayerSbomsError::MissingLayer {
                layer: layer_name!("gems"),
                path: PathBuf::from("/layers/bp/gems"),
            },
        ));
        assert_eq!(
            error.to_string(),
            "layer `gems` has no directory at /layers/bp/gems, so its SBOMs can't be written"
        );
        assert!(error.source().is_none());
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
