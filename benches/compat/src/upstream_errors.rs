//! libcnb's error types as buildpacks written for upstream use them: name errors matched and
//! constructed as `InvalidValue(String)`, and the layer errors matched exhaustively with
//! upstream's variants and field shapes (`IoError(io::Error)`, `MissingLayer(LayerName)`, ...).
//! `on_error` uses [`describe_layer_error`] and [`rejected_process_type`]; the rest is here to be
//! compiled against both libraries. All of it was a known incompatibility until libcnb-lite
//! restored upstream's shapes, so `run.sh` now checks it positively.

#![expect(
    dead_code,
    reason = "compiled against both libraries to check the error shapes; not all of it runs"
)]

use libcnb::data::launch::ProcessTypeError;
use libcnb::data::layer::{LayerName, LayerNameError};
use libcnb::TomlFileError;
use libcnb::layer::{DeleteLayerError, LayerError, ReadLayerError, WriteLayerError};
use std::io;

/// The string a process type error rejected.
pub(crate) fn rejected_process_type(error: &ProcessTypeError) -> &str {
    match error {
        ProcessTypeError::InvalidValue(value) => value,
    }
}

/// What `on_error` says about a layer error: every variant upstream has, no wildcard, so a
/// variant missing from (or added to) either library fails to compile.
pub(crate) fn describe_layer_error(error: &LayerError) -> String {
    match error {
        LayerError::ReadLayerError(ReadLayerError::LayerContentMetadataParseError(_)) => {
            "a layer's content metadata is invalid".into()
        }
        LayerError::ReadLayerError(ReadLayerError::IoError(error))
        | LayerError::WriteLayerError(WriteLayerError::IoError(error))
        | LayerError::DeleteLayerError(DeleteLayerError::IoError(error))
        | LayerError::IoError(error) => format!("a layer couldn't be handled ({:?})", error.kind()),
        LayerError::WriteLayerError(
            WriteLayerError::WriteLayerMetadataError(_)
            | WriteLayerError::ReplaceLayerSbomsError(_)
            | WriteLayerError::ReplaceLayerExecdProgramsError(_),
        ) => "a layer's files couldn't be written".into(),
        LayerError::CouldNotReadGenericLayerMetadata(_) => {
            "a layer's metadata isn't a table".into()
        }
        LayerError::CouldNotReadLayerAfterCreate(name) => {
            format!("layer {name} couldn't be read after creating it")
        }
        LayerError::UnexpectedMissingLayer => "a layer is missing".into(),
    }
}

fn rejected_layer_name(value: String) -> LayerNameError {
    LayerNameError::InvalidValue(value)
}

fn layer_io_error(error: &LayerError) -> Option<&io::Error> {
    match error {
        LayerError::IoError(error)
        | LayerError::ReadLayerError(ReadLayerError::IoError(error))
        | LayerError::WriteLayerError(WriteLayerError::IoError(error)) => Some(error),
        _ => None,
    }
}

fn layer_is_missing(error: &LayerError) -> bool {
    matches!(
        error,
        LayerError::UnexpectedMissingLayer | LayerError::CouldNotReadLayerAfterCreate(_)
    )
}

/// Upstream's constructors: `?` on an `io::Error` into the layer errors, and the variants
/// that name a layer.
fn constructed(name: LayerName) -> [LayerError; 4] {
    [
        LayerError::from(io::Error::from(io::ErrorKind::NotFound)),
        LayerError::from(ReadLayerError::from(io::Error::from(
            io::ErrorKind::NotFound,
        ))),
        LayerError::from(DeleteLayerError::from(io::Error::from(
            io::ErrorKind::PermissionDenied,
        ))),
        LayerError::CouldNotReadLayerAfterCreate(name),
    ]
}

/// A restored `<layer>.toml` that doesn't parse or has unknown keys: upstream's struct API
/// returns this variant, and libcnb-lite returns it from both layer APIs.
fn is_corrupt_layer_toml(error: &LayerError) -> bool {
    matches!(
        error,
        LayerError::CouldNotReadGenericLayerMetadata(TomlFileError::TomlDeserializationError(_))
    )
}

/// The kind of the I/O error that made `write_exec_d_programs` fail (`AlreadyExists` for a
/// file named `exec.d` in the layer), found as upstream code can: `ReplaceLayerExecdProgramsError`
/// can't be named through upstream's API.
fn exec_d_io_error_kind(error: &LayerError) -> Option<io::ErrorKind> {
    match error {
        LayerError::WriteLayerError(WriteLayerError::ReplaceLayerExecdProgramsError(error)) => {
            std::error::Error::source(error)?
                .downcast_ref::<io::Error>()
                .map(io::Error::kind)
        }
        _ => None,
    }
}
