//! The detect phase: [`DetectContext`] in, [`DetectResult`] out.

use crate::Target;
use crate::buildpack::Buildpack;
use crate::buildpack_api::exec_env;
use libcnb_lite_data::build_plan::BuildPlan;
use libcnb_lite_data::buildpack::ComponentBuildpackDescriptor;
use std::fmt::{self, Debug};
use std::path::PathBuf;

/// What [`Buildpack::detect`] gets to decide with.
///
/// The fields are those of upstream libcnb, so a context can be built with a struct literal in
/// tests; the execution environment of Buildpack API 0.12 is a method,
/// [`exec_env`](Self::exec_env).
pub struct DetectContext<B: Buildpack + ?Sized> {
    /// The app's source directory (the working directory of `bin/detect`).
    pub app_dir: PathBuf,
    /// The buildpack's directory (`CNB_BUILDPACK_DIR`).
    pub buildpack_dir: PathBuf,
    /// The target the app is built for (`CNB_TARGET_*`).
    pub target: Target,
    /// The platform (`<platform>/env/` and more, depending on `B::Platform`).
    pub platform: B::Platform,
    /// The buildpack's `buildpack.toml`.
    pub buildpack_descriptor: ComponentBuildpackDescriptor<B::Metadata>,
}

impl<B: Buildpack + ?Sized> DetectContext<B> {
    /// The execution environment the app is built for (`CNB_EXEC_ENV`, e.g. `production` or
    /// `test`), if the buildpack implements Buildpack API 0.12 or newer and the lifecycle set
    /// it; `None` otherwise.
    ///
    /// Read from the process environment on each call.
    #[must_use]
    pub fn exec_env(&self) -> Option<String> {
        exec_env(&self.buildpack_descriptor.api)
    }
}

impl<B: Buildpack + ?Sized> Debug for DetectContext<B>
where
    B::Platform: Debug,
    B::Metadata: Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DetectContext")
            .field("app_dir", &self.app_dir)
            .field("buildpack_dir", &self.buildpack_dir)
            .field("target", &self.target)
            .field("platform", &self.platform)
            .field("buildpack_descriptor", &self.buildpack_descriptor)
            .finish()
    }
}

/// The outcome of [`Buildpack::detect`]; build one with [`DetectResultBuilder`].
#[derive(Debug)]
#[must_use]
pub struct DetectResult(pub(crate) InnerDetectResult);

#[derive(Debug)]
pub(crate) enum InnerDetectResult {
    Fail,
    Pass { build_plan: Option<BuildPlan> },
}

/// Builds a [`DetectResult`]: [`pass`](Self::pass) (optionally with a build plan) or
/// [`fail`](Self::fail).
///
/// # Examples
///
/// ```
/// use libcnb_lite::data::build_plan::BuildPlanBuilder;
/// use libcnb_lite::detect::{DetectResult, DetectResultBuilder};
/// use libcnb_lite::generic::GenericError;
///
/// let pass: DetectResult = DetectResultBuilder::pass()
///     .build_plan(BuildPlanBuilder::new().provides("python").requires("python").build())
///     .build_unwrapped();
///
/// let fail: libcnb_lite::Result<DetectResult, GenericError> = DetectResultBuilder::fail().build();
/// ```
#[derive(Debug)]
#[must_use]
pub struct DetectResultBuilder;

impl DetectResultBuilder {
    /// Detection passed: the buildpack applies. `bin/detect` exits with status 0.
    pub fn pass() -> PassDetectResultBuilder {
        PassDetectResultBuilder { build_plan: None }
    }

    /// Detection failed: the buildpack doesn't apply. `bin/detect` exits with status 100.
    pub fn fail() -> FailDetectResultBuilder {
        FailDetectResultBuilder
    }
}

/// Builds a passing [`DetectResult`], see [`DetectResultBuilder::pass`].
#[derive(Debug)]
#[must_use]
pub struct PassDetectResultBuilder {
    build_plan: Option<BuildPlan>,
}

impl PassDetectResultBuilder {
    /// Returns the result, wrapped in `Ok` for returning from [`Buildpack::detect`].
    ///
    /// # Errors
    ///
    /// Never; the `Result` only saves an `Ok(..)` at the call site.
    pub fn build<E>(self) -> Result<DetectResult, E> {
        Ok(self.build_unwrapped())
    }

    /// Returns the result.
    pub fn build_unwrapped(self) -> DetectResult {
        DetectResult(InnerDetectResult::Pass {
            build_plan: self.build_plan,
        })
    }

    /// Sets the build plan the runtime writes to the plan file (`CNB_BUILD_PLAN_PATH`).
    pub fn build_plan(mut self, build_plan: BuildPlan) -> Self {
        self.build_plan = Some(build_plan);
        self
    }
}

/// Builds a failing [`DetectResult`], see [`DetectResultBuilder::fail`].
#[derive(Debug)]
#[must_use]
pub struct FailDetectResultBuilder;

impl FailDetectResultBuilder {
    /// Returns the result, wrapped in `Ok` for returning from [`Buildpack::detect`].
    ///
    /// # Errors
    ///
    /// Never; the `Result` only saves an `Ok(..)` at the call site.
    pub fn build<E>(self) -> Result<DetectResult, E> {
        Ok(self.build_unwrapped())
    }

    /// Returns the result.
    pub fn build_unwrapped(self) -> DetectResult {
        DetectResult(InnerDetectResult::Fail)
    }
}
