//! The trait a buildpack implements.

use crate::Platform;
use crate::build::{BuildContext, BuildResult};
use crate::detect::{DetectContext, DetectResult};
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// A Cloud Native Buildpack: what it does in the detect and build phases.
///
/// Hand a value of it to [`buildpack_main!`](crate::buildpack_main), which runs
/// [`detect`](Self::detect) or [`build`](Self::build) depending on the name the executable is
/// started under (`bin/detect` or `bin/build`).
///
/// # Examples
///
/// ```
/// use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
/// use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
/// use libcnb_lite::generic::{GenericMetadata, GenericPlatform};
/// use libcnb_lite::Buildpack;
///
/// struct StaticFileBuildpack;
///
/// #[derive(Debug)]
/// enum StaticFileError {
///     NoIndex,
/// }
///
/// impl Buildpack for StaticFileBuildpack {
///     type Platform = GenericPlatform;
///     type Metadata = GenericMetadata;
///     type Error = StaticFileError;
///
///     fn detect(&self, context: DetectContext<Self>) -> libcnb_lite::Result<DetectResult, Self::Error> {
///         if context.app_dir.join("public").is_dir() {
///             DetectResultBuilder::pass().build()
///         } else {
///             DetectResultBuilder::fail().build()
///         }
///     }
///
///     fn build(&self, context: BuildContext<Self>) -> libcnb_lite::Result<BuildResult, Self::Error> {
///         if !context.app_dir.join("public/index.html").exists() {
///             return Err(libcnb_lite::Error::BuildpackError(StaticFileError::NoIndex));
///         }
///         BuildResultBuilder::new().build()
///     }
/// }
/// ```
pub trait Buildpack {
    /// The platform type, usually [`GenericPlatform`](crate::generic::GenericPlatform).
    type Platform: Platform;

    /// The type of `buildpack.toml`'s `[metadata]` table, usually
    /// [`GenericMetadata`](crate::generic::GenericMetadata).
    type Metadata: DeserializeOwned;

    /// The buildpack's own error type, returned as [`Error::BuildpackError`](crate::Error::BuildpackError).
    type Error: Debug;

    /// Decides whether this buildpack applies to the app (`bin/detect`).
    ///
    /// # Errors
    ///
    /// An error makes `bin/detect` exit with status 1 after [`on_error`](Self::on_error);
    /// not applying is [`DetectResultBuilder::fail`](crate::detect::DetectResultBuilder::fail),
    /// not an error.
    fn detect(&self, context: DetectContext<Self>) -> crate::Result<DetectResult, Self::Error>;

    /// Builds the app (`bin/build`).
    ///
    /// # Errors
    ///
    /// An error makes `bin/build` exit with status 1 after [`on_error`](Self::on_error).
    fn build(&self, context: BuildContext<Self>) -> crate::Result<BuildResult, Self::Error>;

    /// Called with any error from [`detect`](Self::detect), [`build`](Self::build) or the
    /// framework, before the process exits with status 1.
    ///
    /// The default prints the error's `Debug` form to stderr, framed as upstream libcnb does
    /// (`Unhandled error:`, `> {error:?}`, `Buildpack will exit!`). The `Debug` form of an I/O
    /// error libcnb-lite built includes the path it happened on.
    fn on_error(&self, error: crate::Error<Self::Error>) {
        eprintln!("Unhandled error:");
        eprintln!("> {error:?}");
        eprintln!("Buildpack will exit!");
    }
}
