//! The build phase: [`BuildContext`] in, [`BuildResult`] out.

use crate::Target;
use crate::buildpack::Buildpack;
use crate::buildpack_api::exec_env;
use crate::sbom::Sbom;
use libcnb_lite_data::buildpack::ComponentBuildpackDescriptor;
use libcnb_lite_data::buildpack_plan::BuildpackPlan;
use libcnb_lite_data::launch::Launch;
use libcnb_lite_data::store::Store;
use std::fmt::{self, Debug};
use std::path::PathBuf;

/// What [`Buildpack::build`] gets to build with.
///
/// The fields are those of upstream libcnb, so a context can be built with a struct literal in
/// tests; the execution environment of Buildpack API 0.12 is a method,
/// [`exec_env`](Self::exec_env).
pub struct BuildContext<B: Buildpack + ?Sized> {
    /// This buildpack's layers directory (`<layers>/<buildpack id>`, the first argument of
    /// `bin/build`).
    pub layers_dir: PathBuf,
    /// The app's source directory (the working directory of `bin/build`).
    pub app_dir: PathBuf,
    /// The buildpack's directory (`CNB_BUILDPACK_DIR`).
    pub buildpack_dir: PathBuf,
    /// The target the app is built for (`CNB_TARGET_*`).
    pub target: Target,
    /// The platform (`<platform>/env/` and more, depending on `B::Platform`).
    pub platform: B::Platform,
    /// The entries of the build plan this buildpack is asked to provide.
    pub buildpack_plan: BuildpackPlan,
    /// The buildpack's `buildpack.toml`.
    pub buildpack_descriptor: ComponentBuildpackDescriptor<B::Metadata>,
    /// The `store.toml` of the previous build, if any.
    pub store: Option<Store>,
}

impl<B: Buildpack + ?Sized> BuildContext<B> {
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

impl<B: Buildpack + ?Sized> Debug for BuildContext<B>
where
    B::Platform: Debug,
    B::Metadata: Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuildContext")
            .field("layers_dir", &self.layers_dir)
            .field("app_dir", &self.app_dir)
            .field("buildpack_dir", &self.buildpack_dir)
            .field("target", &self.target)
            .field("platform", &self.platform)
            .field("buildpack_plan", &self.buildpack_plan)
            .field("buildpack_descriptor", &self.buildpack_descriptor)
            .field("store", &self.store)
            .finish()
    }
}

/// The outcome of [`Buildpack::build`]; build one with [`BuildResultBuilder`].
#[derive(Debug)]
#[must_use]
pub struct BuildResult(pub(crate) InnerBuildResult);

#[derive(Debug)]
pub(crate) enum InnerBuildResult {
    Pass {
        launch: Option<Launch>,
        store: Option<Store>,
        build_sboms: Vec<Sbom>,
        launch_sboms: Vec<Sbom>,
    },
}

/// Builds a [`BuildResult`]: what the runtime writes to the layers directory after a
/// successful build (`launch.toml`, `store.toml`, `build.sbom.*.json`, `launch.sbom.*.json`).
///
/// # Examples
///
/// ```
/// use libcnb_lite::build::{BuildResult, BuildResultBuilder};
/// use libcnb_lite::data::launch::{LaunchBuilder, ProcessBuilder};
/// use libcnb_lite::data::process_type;
/// use libcnb_lite::data::sbom::SbomFormat;
/// use libcnb_lite::data::store::Store;
/// use libcnb_lite::sbom::Sbom;
///
/// let result: BuildResult = BuildResultBuilder::new()
///     .launch(
///         LaunchBuilder::new()
///             .process(ProcessBuilder::new(process_type!("web"), ["python", "app.py"]).default(true).build())
///             .build(),
///     )
///     .store(Store::default())
///     .launch_sbom(Sbom::from_bytes(SbomFormat::SyftJson, "{}"))
///     .build_unwrapped();
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct BuildResultBuilder {
    launch: Option<Launch>,
    store: Option<Store>,
    build_sboms: Vec<Sbom>,
    launch_sboms: Vec<Sbom>,
}

impl BuildResultBuilder {
    /// A result that writes nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the result, wrapped in `Ok` for returning from [`Buildpack::build`].
    ///
    /// # Errors
    ///
    /// Never; the `Result` only saves an `Ok(..)` at the call site.
    pub fn build<E>(self) -> Result<BuildResult, E> {
        Ok(self.build_unwrapped())
    }

    /// Returns the result.
    pub fn build_unwrapped(self) -> BuildResult {
        BuildResult(InnerBuildResult::Pass {
            launch: self.launch,
            store: self.store,
            build_sboms: self.build_sboms,
            launch_sboms: self.launch_sboms,
        })
    }

    /// Sets the processes, labels and slices written to `launch.toml`.
    pub fn launch(mut self, launch: Launch) -> Self {
        self.launch = Some(launch);
        self
    }

    /// Sets the metadata written to `store.toml`, which the next build gets back as
    /// [`BuildContext::store`].
    pub fn store<S: Into<Store>>(mut self, store: S) -> Self {
        self.store = Some(store.into());
        self
    }

    /// Adds a build SBOM (`build.sbom.<format>.json`); a later SBOM of the same format wins.
    pub fn build_sbom(mut self, sbom: Sbom) -> Self {
        self.build_sboms.push(sbom);
        self
    }

    /// Adds a launch SBOM (`launch.sbom.<format>.json`); a later SBOM of the same format wins.
    pub fn launch_sbom(mut self, sbom: Sbom) -> Self {
        self.launch_sboms.push(sbom);
        self
    }
}
