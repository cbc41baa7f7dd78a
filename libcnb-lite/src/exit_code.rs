//! The exit codes of `bin/detect` and `bin/build`, as upstream libcnb uses them.

/// Build passed.
pub(crate) const GENERIC_SUCCESS: i32 = 0;
/// Any failure without a more specific code (bad arguments, a buildpack error...).
pub(crate) const GENERIC_UNSPECIFIED_ERROR: i32 = 1;
/// The Buildpack API in `buildpack.toml` is unsupported or couldn't be read.
pub(crate) const GENERIC_CNB_API_VERSION_ERROR: i32 = 254;
/// The executable is named neither `detect` nor `build`.
pub(crate) const GENERIC_UNEXPECTED_EXECUTABLE_NAME_ERROR: i32 = 255;
/// Detection passed.
pub(crate) const DETECT_DETECTION_PASSED: i32 = 0;
/// Detection failed (the spec's "fail", not an error).
pub(crate) const DETECT_DETECTION_FAILED: i32 = 100;
