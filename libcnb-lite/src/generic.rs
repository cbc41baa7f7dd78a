//! Ready-made implementations of the [`Buildpack`](crate::Buildpack) associated types for
//! buildpacks that need nothing special.
//!
//! # Examples
//!
//! ```
//! use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
//! use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
//! use libcnb_lite::generic::{GenericError, GenericMetadata, GenericPlatform};
//! use libcnb_lite::Buildpack;
//!
//! struct MinimalBuildpack;
//!
//! impl Buildpack for MinimalBuildpack {
//!     type Platform = GenericPlatform;
//!     type Metadata = GenericMetadata;
//!     type Error = GenericError;
//!
//!     fn detect(&self, _: DetectContext<Self>) -> libcnb_lite::Result<DetectResult, GenericError> {
//!         DetectResultBuilder::pass().build()
//!     }
//!
//!     fn build(&self, _: BuildContext<Self>) -> libcnb_lite::Result<BuildResult, GenericError> {
//!         BuildResultBuilder::new().build()
//!     }
//! }
//! ```

use crate::Env;
use crate::platform::{Platform, read_platform_env};
use std::fmt::{self, Debug, Display, Formatter};
use std::path::Path;

pub use libcnb_lite_data::generic::GenericMetadata;

/// An error type for buildpacks that never fail with an error of their own.
///
/// It has no values, so a `Result<_, GenericError>` is always `Ok` or a framework error.
#[derive(Debug)]
pub enum GenericError {}

impl Display for GenericError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("GenericError")
    }
}

/// A [`Platform`] that reads only the user-provided environment variables (`<platform>/env/`).
///
/// # Examples
///
/// ```
/// use libcnb_lite::generic::GenericPlatform;
/// use libcnb_lite::{Env, Platform};
///
/// let mut env = Env::new();
/// env.insert("BP_LOG_LEVEL", "DEBUG");
/// let platform = GenericPlatform::new(env);
/// assert!(platform.env().contains_key("BP_LOG_LEVEL"));
/// ```
#[derive(Debug)]
pub struct GenericPlatform {
    env: Env,
}

impl GenericPlatform {
    /// Creates a platform with the given user-provided environment variables.
    #[must_use]
    pub fn new(env: Env) -> Self {
        Self { env }
    }
}

impl Platform for GenericPlatform {
    fn env(&self) -> &Env {
        &self.env
    }

    /// Reads `<platform_dir>/env/` (see [`Platform`]); a missing `env/` is an empty [`Env`],
    /// sub-directories are skipped, and every value must be UTF-8.
    fn from_path(platform_dir: impl AsRef<Path>) -> std::io::Result<Self> {
        read_platform_env(platform_dir).map(Self::new)
    }
}
