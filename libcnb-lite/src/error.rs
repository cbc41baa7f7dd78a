//! The framework's error type.

use crate::layer::LayerError;
use crate::path_error::PathError;
use crate::toml_file::TomlFileError;
use libcnb_lite_data::launch::ProcessTypeError;
use std::env::VarError;
use std::io;

/// A [`Result`](std::result::Result) whose error is [`Error<E>`].
pub type Result<T, E> = std::result::Result<T, Error<E>>;

/// An error raised while running a buildpack: either by the framework or, wrapped in
/// [`Error::BuildpackError`], by the buildpack itself.
///
/// The variants, their fields and their messages are upstream libcnb's, byte for byte:
/// buildpacks match on them and snapshot their text. What upstream's messages leave out is
/// still there as values: [`Error::path_error`] returns the file or directory an I/O error
/// happened on (and the layer), and [`source`](std::error::Error::source) chains lead to it
/// too.
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
///     "Couldn't determine target os: environment variable not found"
/// );
/// ```
#[derive(thiserror::Error, Debug)]
pub enum Error<E> {
    /// Handling a layer failed.
    #[error("Layer error: {0}")]
    LayerError(#[from] LayerError),

    /// A process type couldn't be parsed.
    #[error("Process type error: {0}")]
    ProcessTypeError(#[from] ProcessTypeError),

    /// The current directory, which is the app directory, couldn't be read.
    #[error("Couldn't determine app directory: {0}")]
    CannotDetermineAppDirectory(io::Error),

    /// `CNB_BUILDPACK_DIR` is unset or not UTF-8.
    #[error("Couldn't determine buildpack directory: {0}")]
    CannotDetermineBuildpackDirectory(VarError),

    /// `CNB_TARGET_OS` is unset or not UTF-8 (the lifecycle sets it for Buildpack API 0.10 and
    /// newer).
    #[error("Couldn't determine target os: {0}")]
    CannotDetermineTargetOs(VarError),

    /// `CNB_TARGET_ARCH` is unset or not UTF-8 (the lifecycle sets it for Buildpack API 0.10
    /// and newer).
    #[error("Couldn't determine target arch: {0}")]
    CannotDetermineTargetArch(VarError),

    /// `CNB_TARGET_DISTRO_NAME` is unset or not UTF-8.
    #[error(
        "Couldn't determine target distro name: {0}. Ensure the `io.buildpacks.base.distro.*` Docker labels are set on the base image."
    )]
    CannotDetermineTargetDistroName(VarError),

    /// `CNB_TARGET_DISTRO_VERSION` is unset or not UTF-8.
    #[error(
        "Couldn't determine target distro version: {0}. Ensure the `io.buildpacks.base.distro.*` Docker labels are set on the base image."
    )]
    CannotDetermineTargetDistroVersion(VarError),

    /// [`Platform::from_path`](crate::Platform::from_path) failed.
    #[error("Couldn't create platform from platform path: {0}")]
    CannotCreatePlatformFromPath(io::Error),

    /// The buildpack plan (the third argument of `bin/build`) couldn't be read.
    #[error("Couldn't read buildpack plan: {0}")]
    CannotReadBuildpackPlan(TomlFileError),

    /// `buildpack.toml` couldn't be read, or doesn't match the buildpack's `Metadata` type.
    #[error("Couldn't read buildpack.toml: {0}")]
    CannotReadBuildpackDescriptor(TomlFileError),

    /// `<layers>/store.toml` exists but couldn't be read.
    #[error("Couldn't read store.toml: {0}")]
    CannotReadStore(TomlFileError),

    /// The build plan (the second argument of `bin/detect`) couldn't be written.
    #[error("Couldn't write build plan: {0}")]
    CannotWriteBuildPlan(TomlFileError),

    /// `<layers>/launch.toml` couldn't be written.
    #[error("Couldn't write launch.toml: {0}")]
    CannotWriteLaunch(TomlFileError),

    /// `<layers>/store.toml` couldn't be written.
    #[error("Couldn't write store.toml: {0}")]
    CannotWriteStore(TomlFileError),

    /// A `<layers>/build.sbom.*.json` file couldn't be written.
    #[error("Couldn't write build SBOM files: {0}")]
    CannotWriteBuildSbom(io::Error),

    /// A `<layers>/launch.sbom.*.json` file couldn't be written.
    #[error("Couldn't write launch SBOM files: {0}")]
    CannotWriteLaunchSbom(io::Error),

    /// The buildpack's own error, printed in its `Debug` form.
    #[error("Buildpack error: {0:?}")]
    BuildpackError(E),
}

impl<E> Error<E> {
    /// The file or directory (and the layer) that the I/O error at the root of this error
    /// happened on, when libcnb-lite knows it; upstream's message leaves it out.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::Error;
    /// use libcnb_lite::data::layer_name;
    /// use libcnb_lite::layer::UncachedLayerDefinition;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
    /// // A directory where the layer's `venv.toml` should be: reading the layer fails.
    /// std::fs::create_dir(context.layers_dir.join("venv.toml"))?;
    /// let error = context
    ///     .uncached_layer(layer_name!("venv"), UncachedLayerDefinition { build: true, launch: true })
    ///     .unwrap_err();
    /// assert!(matches!(error, Error::LayerError(_)));
    ///
    /// // Upstream's text...
    /// assert!(error.to_string().starts_with("Layer error: Unexpected I/O error while reading layer: "));
    /// // ...and the path as a value.
    /// let path_error = error.path_error().expect("libcnb-lite names the path");
    /// assert_eq!(path_error.path(), context.layers_dir.join("venv.toml"));
    /// assert_eq!(path_error.layer(), Some(&layer_name!("venv")));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn path_error(&self) -> Option<&PathError> {
        match self {
            Self::LayerError(error) => error.path_error(),
            Self::CannotDetermineAppDirectory(error)
            | Self::CannotCreatePlatformFromPath(error)
            | Self::CannotWriteBuildSbom(error)
            | Self::CannotWriteLaunchSbom(error) => PathError::in_io_error(error),
            Self::CannotReadBuildpackPlan(error)
            | Self::CannotReadBuildpackDescriptor(error)
            | Self::CannotReadStore(error)
            | Self::CannotWriteBuildPlan(error)
            | Self::CannotWriteLaunch(error)
            | Self::CannotWriteStore(error) => error.path_error(),
            Self::ProcessTypeError(_)
            | Self::CannotDetermineBuildpackDirectory(_)
            | Self::CannotDetermineTargetOs(_)
            | Self::CannotDetermineTargetArch(_)
            | Self::CannotDetermineTargetDistroName(_)
            | Self::CannotDetermineTargetDistroVersion(_)
            | Self::BuildpackError(_) => None,
        }
    }
}

/// Lets `?` turn an [`anyhow::Error`] into a buildpack error, for buildpacks whose error type is
/// `anyhow::Error` (the cargo feature `anyhow`, as upstream).
#[cfg(feature = "anyhow")]
impl From<anyhow::Error> for Error<anyhow::Error> {
    fn from(error: anyhow::Error) -> Self {
        Self::BuildpackError(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcnb_lite_data::launch::ProcessType;
    use std::error::Error as _;
    use std::ffi::OsString;

    type TestError = Error<String>;

    #[test]
    fn env_var_messages_are_upstreams() {
        assert_eq!(
            TestError::CannotDetermineBuildpackDirectory(VarError::NotPresent).to_string(),
            "Couldn't determine buildpack directory: environment variable not found"
        );
        assert_eq!(
            TestError::CannotDetermineTargetArch(VarError::NotUnicode(OsString::from("x")))
                .to_string(),
            "Couldn't determine target arch: environment variable was not valid unicode: \"x\""
        );
        assert_eq!(
            TestError::CannotDetermineTargetDistroVersion(VarError::NotPresent).to_string(),
            "Couldn't determine target distro version: environment variable not found. Ensure \
             the `io.buildpacks.base.distro.*` Docker labels are set on the base image."
        );
    }

    #[test]
    fn file_messages_include_the_underlying_error() {
        let error = TestError::CannotWriteLaunchSbom(io::Error::other("disk full"));
        assert_eq!(
            error.to_string(),
            "Couldn't write launch SBOM files: disk full"
        );
        assert!(error.source().is_none());

        let error = TestError::CannotReadStore(TomlFileError::IoError(io::Error::other("boom")));
        assert_eq!(
            error.to_string(),
            "Couldn't read store.toml: I/O error while reading/writing TOML file: boom"
        );
    }

    #[test]
    fn layer_errors_keep_upstreams_text_and_give_the_path_back() {
        let error = TestError::from(crate::layer::LayerError::from(
            crate::layer::DeleteLayerError::IoError(
                PathError::new(
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
            "Layer error: I/O error while deleting layer: disk on fire"
        );
        let path_error = error.path_error().unwrap();
        assert_eq!(path_error.path(), std::path::Path::new("/layers/bp/gems"));
        assert_eq!(
            path_error.to_string(),
            "couldn't delete /layers/bp/gems of layer `gems`: disk on fire"
        );
        // The chain reaches the path too: Error -> LayerError -> DeleteLayerError -> io::Error
        // -> PathError.
        let mut chain = Vec::new();
        let mut next = error.source();
        while let Some(source) = next {
            chain.push(source.to_string());
            next = source.source();
        }
        assert!(
            chain.contains(&String::from(
                "couldn't delete /layers/bp/gems of layer `gems`: disk on fire"
            )),
            "{chain:?}"
        );
    }

    #[test]
    fn process_type_message_is_upstreams() {
        let parse_error = "Jobs Queue".parse::<ProcessType>().unwrap_err();
        assert_eq!(
            TestError::from(parse_error).to_string(),
            "Process type error: Invalid Value: Jobs Queue"
        );
    }

    #[test]
    fn buildpack_error_uses_debug_formatting() {
        assert_eq!(
            TestError::BuildpackError("oops".to_string()).to_string(),
            "Buildpack error: \"oops\""
        );
    }
}
