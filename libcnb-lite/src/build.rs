//! The build phase: [`BuildContext`] in, [`BuildResult`] out.

use crate::Target;
use crate::buildpack::Buildpack;
use crate::buildpack_api::exec_env;
use crate::generic::{GenericMetadata, deserialize_restored};
use crate::layer::{
    CachedLayerDefinition, InspectRestoredAction, IntoAction, InvalidMetadataAction, LayerRef,
    UncachedLayerDefinition, handle_struct_layer, handle_trait_layer,
};
#[expect(deprecated, reason = "the deprecated trait API is still offered")]
use crate::layer::{Layer, LayerData};
use crate::sbom::Sbom;
use libcnb_lite_data::buildpack::ComponentBuildpackDescriptor;
use libcnb_lite_data::buildpack_plan::BuildpackPlan;
use libcnb_lite_data::launch::Launch;
use libcnb_lite_data::layer::LayerName;
use libcnb_lite_data::layer_content_metadata::LayerTypes;
use libcnb_lite_data::store::Store;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::borrow::Borrow;
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
    /// The `store.toml` of the previous build, if any, as the lifecycle restored it (integers
    /// may have come back as floats); read it with [`store_metadata`](Self::store_metadata).
    pub store: Option<Store>,
}

impl<B: Buildpack + ?Sized> BuildContext<B> {
    /// Handles a cached layer: gives back the layer restored from the previous build if the
    /// definition's callbacks keep it, or an empty one.
    ///
    /// The returned [`LayerRef`]'s layer directory exists and its `<layer>.toml` has the
    /// definition's types (with `cache = true`); its [`state`](LayerRef::state) says which
    /// case happened and carries the callbacks' causes. See the [`layer`](crate::layer) module
    /// for a guide.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::data::layer_name;
    /// use libcnb_lite::generic::GenericMetadata;
    /// use libcnb_lite::layer::{CachedLayerDefinition, InspectRestoredAction, InvalidMetadataAction, LayerState};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Deserialize, Serialize)]
    /// struct DependencyMetadata {
    ///     sha256: String,
    /// }
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
    /// // The lifecycle restored the layer from the cache (without `[types]`).
    /// std::fs::create_dir(context.layers_dir.join("deps"))?;
    /// std::fs::write(context.layers_dir.join("deps.toml"), "[metadata]\nsha256 = \"abc\"\n")?;
    ///
    /// let layer = context.cached_layer(
    ///     layer_name!("deps"),
    ///     CachedLayerDefinition {
    ///         build: true,
    ///         launch: false,
    ///         invalid_metadata: &|_: &GenericMetadata| InvalidMetadataAction::DeleteLayer,
    ///         inspect_restored: &|metadata: &DependencyMetadata, _layer_dir| {
    ///             if metadata.sha256 == "abc" {
    ///                 InspectRestoredAction::KeepLayer
    ///             } else {
    ///                 InspectRestoredAction::DeleteLayer
    ///             }
    ///         },
    ///     },
    /// )?;
    ///
    /// assert!(matches!(layer.state, LayerState::Restored { .. }));
    /// assert_eq!(
    ///     std::fs::read_to_string(context.layers_dir.join("deps.toml"))?,
    ///     "[types]\nlaunch = false\nbuild = true\ncache = true\n\n[metadata]\nsha256 = \"abc\"\n"
    /// );
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::BuildpackError`](crate::Error::BuildpackError) with a callback's error (the
    /// layer is left as it was), and [`Error::LayerError`](crate::Error::LayerError) if the
    /// layer can't be read, written or deleted, its `<layer>.toml` isn't valid layer content
    /// metadata, or a `ReplaceMetadata` doesn't deserialize as `M`.
    pub fn cached_layer<'a, M, MA, RA, MAC, RAC>(
        &self,
        layer_name: impl Borrow<LayerName>,
        layer_definition: impl Borrow<CachedLayerDefinition<'a, M, MA, RA>>,
    ) -> crate::Result<LayerRef<B, MAC, RAC>, B::Error>
    where
        M: 'a + Serialize + DeserializeOwned,
        MA: 'a + IntoAction<InvalidMetadataAction<M>, MAC, B::Error>,
        RA: 'a + IntoAction<InspectRestoredAction, RAC, B::Error>,
    {
        let layer_definition = layer_definition.borrow();
        handle_struct_layer(
            LayerTypes {
                launch: layer_definition.launch,
                build: layer_definition.build,
                cache: true,
            },
            layer_definition.invalid_metadata,
            layer_definition.inspect_restored,
            layer_name.borrow(),
            &self.layers_dir,
        )
    }

    /// Handles an uncached layer: an empty layer directory whose `<layer>.toml` has the
    /// definition's types (with `cache = false`). Whatever was restored under the name is
    /// deleted first; the state is [`LayerState::Empty`](crate::layer::LayerState::Empty).
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::data::layer_name;
    /// use libcnb_lite::layer::UncachedLayerDefinition;
    /// use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
    /// let layer = context.uncached_layer(
    ///     layer_name!("config"),
    ///     UncachedLayerDefinition { build: false, launch: true },
    /// )?;
    /// layer.write_env(LayerEnv::new().chainable_insert(
    ///     Scope::Launch,
    ///     ModificationBehavior::Default,
    ///     "WEB_CONCURRENCY",
    ///     "4",
    /// ))?;
    ///
    /// assert_eq!(
    ///     std::fs::read_to_string(layer.path().join("env.launch/WEB_CONCURRENCY.default"))?,
    ///     "4"
    /// );
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::LayerError`](crate::Error::LayerError) if the layer can't be read, deleted or
    /// written, or a restored `<layer>.toml` isn't valid layer content metadata.
    pub fn uncached_layer(
        &self,
        layer_name: impl Borrow<LayerName>,
        layer_definition: impl Borrow<UncachedLayerDefinition>,
    ) -> crate::Result<LayerRef<B, (), ()>, B::Error> {
        let layer_definition = layer_definition.borrow();
        handle_struct_layer(
            LayerTypes {
                launch: layer_definition.launch,
                build: layer_definition.build,
                cache: false,
            },
            &|_| InvalidMetadataAction::DeleteLayer,
            &|_: &GenericMetadata, _| InspectRestoredAction::DeleteLayer,
            layer_name.borrow(),
            &self.layers_dir,
        )
    }

    /// Handles a layer of the deprecated trait API with the given [`Layer`] implementation,
    /// and returns the layer as it is on disk afterwards.
    ///
    /// See [`Layer`] for which methods are called when, and an example.
    ///
    /// # Errors
    ///
    /// [`Error::BuildpackError`](crate::Error::BuildpackError) with the error of a `Layer`
    /// method, and [`Error::LayerError`](crate::Error::LayerError) if the layer can't be read,
    /// written or deleted, or its metadata doesn't read back as `L::Metadata`.
    #[deprecated = "The Layer trait API was replaced by a struct based API. Use `cached_layer` and `uncached_layer`."]
    #[expect(deprecated, reason = "the deprecated trait API uses its own items")]
    #[expect(
        clippy::needless_pass_by_value,
        reason = "upstream's signature takes the name by value"
    )]
    pub fn handle_layer<L: Layer<Buildpack = B>>(
        &self,
        layer_name: LayerName,
        layer: L,
    ) -> crate::Result<LayerData<L::Metadata>, B::Error>
    where
        B: Sized,
    {
        handle_trait_layer(self, &layer_name, layer)
    }

    /// The `[metadata]` of the previous build's `store.toml` as `T`, or `None` if there is no
    /// store.
    ///
    /// Use it rather than deserializing [`store`](Self::store) yourself: the lifecycle keeps
    /// `store.toml` as JSON, so integers come back as floats (`count = 1.0`), which this reads
    /// into integer fields (see [`deserialize_restored`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::data::store::Store;
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize)]
    /// struct History {
    ///     count: u64,
    /// }
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// # let mut context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
    /// // The previous build returned a store with `count = 1`; the lifecycle restored it as:
    /// context.store = Some(Store { metadata: toml::from_str("count = 1.0")? });
    ///
    /// let history = context.store_metadata::<History>()?;
    /// assert_eq!(history.map(|history| history.count), Some(1));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The deserialization error if the store's metadata isn't a `T`, even with integral floats
    /// read as integers.
    pub fn store_metadata<T: DeserializeOwned>(&self) -> Result<Option<T>, toml::de::Error> {
        self.store
            .as_ref()
            .map(|store| deserialize_restored(&store.metadata))
            .transpose()
    }

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
    /// [`BuildContext::store`] (read it with [`BuildContext::store_metadata`]).
    ///
    /// Without a call to `store`, `store.toml` is left as the lifecycle restored it, and the
    /// lifecycle exports what is in the layers directory: the previous build's store is kept.
    /// To clear it, return an empty store, `Store::default()` (written as `[metadata]` with
    /// nothing in it).
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::build::BuildResultBuilder;
    /// use libcnb_lite::data::store::Store;
    ///
    /// let mut store = Store::default();
    /// store.metadata.insert("builds".into(), toml::Value::Integer(2));
    /// let keep_this = BuildResultBuilder::new().store(store).build_unwrapped();
    ///
    /// let forget_the_previous_store = BuildResultBuilder::new().store(Store::default());
    /// let keep_the_previous_store = BuildResultBuilder::new();
    /// # let _ = (keep_this, forget_the_previous_store, keep_the_previous_store);
    /// ```
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
