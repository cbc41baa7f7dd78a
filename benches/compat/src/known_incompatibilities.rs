//! Known incompatibilities: upstream libcnb 0.30 code that compiles against upstream but not
//! against libcnb-lite, although api.md's "Source compatibility" promises it should. Compiled
//! only with the `known-incompatibilities` feature: `run.sh` checks that it compiles against
//! upstream and still fails against libcnb-lite, prints the errors, and fails once it compiles
//! (so that a fixed item is removed from this list). Never called.
//!
//! Each item is a decision recorded in CHANGELOG.md ("Changed"), not in api.md, so it is
//! reported here instead of being fixed by the check's author.

#![allow(dead_code)]

use libcnb::data::launch::ProcessTypeError;
use libcnb::data::layer::LayerNameError;
use libcnb::layer::{LayerError, ReadLayerError, WriteLayerError};

/// 1. Name errors are enums with one `InvalidValue(String)` variant upstream; libcnb-lite's
///    are structs with `value()` and `rule()`. The `Debug` form differs too, which run.sh's
///    transcript shows for the invalid worker process type.
fn rejected_process_type(error: &ProcessTypeError) -> &str {
    match error {
        ProcessTypeError::InvalidValue(value) => value,
    }
}

fn rejected_layer_name(value: String) -> LayerNameError {
    LayerNameError::InvalidValue(value)
}

/// 2. Layer errors: upstream's I/O variants are tuple variants holding the `io::Error`;
///    libcnb-lite's are struct variants with `layer`, `path` and `source`, and it has no
///    `LayerError::IoError`, `CouldNotReadLayerAfterCreate` or `UnexpectedMissingLayer`.
fn layer_io_error(error: &LayerError) -> Option<&std::io::Error> {
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
