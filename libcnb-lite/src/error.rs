//! The framework's error type.

use crate::layer::LayerError;
use crate::toml_file::TomlFileError;
use libcnb_lite_data::launch::ProcessTypeError;
use std::env::VarError;
use std::fmt::{self, Debug, Display};
use std::io;

/// A [`Result`](std::result::Result) whose error is [`Error<E>`].
pub type Result<T, E> = std::result::Result<T, Error<E>>;

/// An error raised while running a buildpack: either by the framework or, wrapped in
/// [`Error::BuildpackError`], by the buildpack itself.
///
/// The variants are upstream libcnb's, in the same order. Messages name the layer, file or
/// environment variable they are about; those that wrap another error include its text, so
/// [`source`](std::error::Error::source) is `None`: error reporters don't print the same text
/// twice.
///
/// # Examples
///
/// ```
/// use libcnb_lite::Error;
///
/// let error: Error<std::io::Error> =
///     Error::CannotDetermineTargetOs(std::env::VarError::NotPresent);
/// assert_eq!(
///     error.to_string(),
///     "couldn't determine the target OS: CNB_TARGET_OS is not set \
///      (the lifecycle sets it for Buildpack API 0.10 and newer)"
/// );
/// ```
#[derive(thiserror::Error, Debug)]
pub enum Error<E> {
    /// Handling a layer failed. The message is the layer error's, which includes the I/O or
    /// TOML error at its root.
    #[error("{0}")]
    LayerError(LayerError),

    /// A process type couldn't be parsed. The message is the process type error's, which
    /// already says "invalid process type".
    #[error("{0}")]
    ProcessTypeError(ProcessTypeError),

    /// The current directory, which is the app directory, couldn't be read.
    #[error("couldn't determine the app directory (the working directory): {0}")]
    CannotDetermineAppDirectory(io::Error),

    /// `CNB_BUILDPACK_DIR` is unset or not UTF-8.
    #[error("couldn't determine the buildpack directory: {}", VarProblem("CNB_BUILDPACK_DIR", .0))]
    CannotDetermineBuildpackDirectory(VarError),

    /// `CNB_TARGET_OS` is unset or not UTF-8.
    #[error("couldn't determine the target OS: {}", VarProblem("CNB_TARGET_OS", .0))]
    CannotDetermineTargetOs(VarError),

    /// `CNB_TARGET_ARCH` is unset or not UTF-8.
    #[error("couldn't determine the target architecture: {}", VarProblem("CNB_TARGET_ARCH", .0))]
    CannotDetermineTargetArch(VarError),

    /// `CNB_TARGET_DISTRO_NAME` is unset or not UTF-8.
    #[error(
        "couldn't determine the target distro name: {}; ensure the `io.buildpacks.base.distro.*` \
         labels are set on the base image",
        VarProblem("CNB_TARGET_DISTRO_NAME", .0)
    )]
    CannotDetermineTargetDistroName(VarError),

    /// `CNB_TARGET_DISTRO_VERSION` is unset or not UTF-8.
    #[error(
        "couldn't determine the target distro version: {}; ensure the `io.buildpacks.base.distro.*` \
         labels are set on the base image",
        VarProblem("CNB_TARGET_DISTRO_VERSION", .0)
    )]
    CannotDetermineTargetDistroVersion(VarError),

    /// [`Platform::from_path`](crate::Platform::from_path) failed.
    #[error("couldn't read the platform directory: {0}")]
    CannotCreatePlatformFromPath(io::Error),

    /// The buildpack plan (the third argument of `bin/build`) couldn't be read.
    #[error("couldn't read the buildpack plan: {0}")]
    CannotReadBuildpackPlan(TomlFileError),

    /// `buildpack.toml` couldn't be read, or doesn't match the buildpack's `Metadata` type.
    #[error("couldn't read buildpack.toml: {0}")]
    CannotReadBuildpackDescriptor(TomlFileError),

    /// `<layers>/store.toml` exists but couldn't be read.
    #[error("couldn't read store.toml: {0}")]
    CannotReadStore(TomlFileError),

    /// The build plan (the second argument of `bin/detect`) couldn't be written.
    #[error("couldn't write the build plan: {0}")]
    CannotWriteBuildPlan(TomlFileError),

    /// `<layers>/launch.toml` couldn't be written.
    #[error("couldn't write launch.toml: {0}")]
    CannotWriteLaunch(TomlFileError),

    /// `<layers>/store.toml` couldn't be written.
    #[error("couldn't write store.toml: {0}")]
    CannotWriteStore(TomlFileError),

    /// A `<layers>/build.sbom.*.json` file couldn't be written.
    #[error("couldn't write build SBOM files: {0}")]
    CannotWriteBuildSbom(io::Error),

    /// A `<layers>/launch.sbom.*.json` file couldn't be written.
    #[error("couldn't write launch SBOM files: {0}")]
    CannotWriteLaunchSbom(io::Error),

    /// The buildpack's own error.
    #[error("buildpack error: {0:?}")]
    BuildpackError(E),
}

impl<E> From<LayerError> for Error<E> {
    fn from(error: LayerError) -> Self {
        Self::LayerError(error)
    }
}

impl<E> From<ProcessTypeError> for Error<E> {
    fn from(error: ProcessTypeError) -> Self {
        Self::ProcessTypeError(error)
    }
}

/// Formats why an environment variable couldn't be used, naming it.
struct VarProblem<'a>(&'static str, &'a VarError);

impl Display for VarProblem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let VarProblem(name, error) = self;
        match error {
            VarError::NotPresent if name.starts_with("CNB_TARGET_") => write!(
                f,
                "{name} is not set (the lifecycle sets it for Buildpack API 0.10 and newer)"
            ),
            VarError::NotPresent => write!(f, "{name} is not set"),
            VarError::NotUnicode(_) => write!(f, "{name} is not valid UTF-8"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcnb_lite_data::launch::ProcessType;
    use std::ffi::OsString;

    type TestError = Error<String>;

    #[test]
    fn env_var_messages_name_the_variable() {
        assert_eq!(
            TestError::CannotDetermineBuildpackDirectory(VarError::NotPresent).to_string(),
            "couldn't determine the buildpack directory: CNB_BUILDPACK_DIR is not set"
        );
        assert_eq!(
            TestError::CannotDetermineTargetArch(VarError::NotUnicode(OsString::from("x")))
                .to_string(),
            "couldn't determine the target architecture: CNB_TARGET_ARCH is not valid UTF-8"
        );
        assert_eq!(
            TestError::CannotDetermineTargetDistroVersion(VarError::NotPresent).to_string(),
            "couldn't determine the target distro version: CNB_TARGET_DISTRO_VERSION is not set \
             (the lifecycle sets it for Buildpack API 0.10 and newer); ensure the \
             `io.buildpacks.base.distro.*` labels are set on the base image"
        );
    }

    #[test]
    fn file_messages_include_the_underlying_error() {
        let error = TestError::CannotWriteLaunchSbom(io::Error::other("disk full"));
        assert_eq!(
            error.to_string(),
            "couldn't write launch SBOM files: disk full"
        );
        assert!(std::error::Error::source(&error).is_none());

        let error = TestError::CannotReadStore(TomlFileError::IoError(io::Error::other("boom")));
        assert_eq!(error.to_string(), "couldn't read store.toml: boom");
    }

    #[test]
    fn layer_errors_print_their_cause_once() {
        let error = TestError::from(crate::layer::LayerError::from(
            crate::layer::DeleteLayerError::IoError(
                crate::PathError::new(
                    crate::PathOperation::Delete,
                    "/layers/bp/gems",
                    io::Error::other("disk on fire"),
                )
                .with_layer(libcnb_lite_data::layer_name!("gems"))
                .into(),
            ),
        ));
        assert_eq!(
            error.to_string(),
            "couldn't delete /layers/bp/gems of layer `gems`: disk on fire; the build user must \
             own the layer's files and directories"
        );
        assert!(std::error::Error::source(&error).is_none());
    }

    #[test]
    fn process_type_message_says_invalid_process_type_once() {
        let parse_error = "Jobs Queue".parse::<ProcessType>().unwrap_err();
        assert_eq!(
            TestError::from(parse_error).to_string(),
            "invalid process type `Jobs Queue`: a process type may only contain ASCII letters \
             and digits, `.`, `_` and `-`"
        );
    }

    #[test]
    fn buildpack_error_uses_debug_formatting() {
        assert_eq!(
            TestError::BuildpackError("oops".to_string()).to_string(),
            "buildpack error: \"oops\""
        );
    }
}
