//! The deprecated trait layer API: implement [`Layer`] and hand it to
//! [`BuildContext::handle_layer`].
//!
//! Kept so that buildpacks written for it compile; new code uses the struct API
//! ([`BuildContext::cached_layer`] and [`BuildContext::uncached_layer`]). It behaves as
//! upstream libcnb's, on the same layer store as the struct API.

// The whole API is deprecated and is implemented in terms of itself.
#![expect(deprecated, reason = "the deprecated API uses its own items")]

pub(crate) mod handling;

use crate::Buildpack;
use crate::build::BuildContext;
use crate::generic::GenericMetadata;
use crate::layer_env::LayerEnv;
use crate::sbom::Sbom;
use libcnb_lite_data::layer::LayerName;
use libcnb_lite_data::layer_content_metadata::{LayerContentMetadata, LayerTypes};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A layer of the deprecated trait API: how it is created, updated or kept, depending on what
/// was restored.
///
/// Hand an implementation to [`BuildContext::handle_layer`]. For the metadata in
/// `<layer>.toml`, libcnb-lite calls:
/// - nothing there: [`create`](Self::create);
/// - valid metadata: [`existing_layer_strategy`](Self::existing_layer_strategy), then
///   [`create`](Self::create) after deleting the layer, [`update`](Self::update), or nothing;
/// - metadata that isn't [`Metadata`](Self::Metadata):
///   [`migrate_incompatible_metadata`](Self::migrate_incompatible_metadata), then the above.
///
/// # Examples
///
/// ```
/// #![expect(deprecated)]
/// use libcnb_lite::build::BuildContext;
/// use libcnb_lite::data::layer_content_metadata::LayerTypes;
/// use libcnb_lite::data::layer_name;
/// use libcnb_lite::generic::GenericError;
/// use libcnb_lite::internals::DoctestBuildpack;
/// use libcnb_lite::layer::{ExistingLayerStrategy, Layer, LayerData, LayerResult, LayerResultBuilder};
/// use serde::{Deserialize, Serialize};
/// use std::path::Path;
///
/// struct RuntimeLayer;
///
/// #[derive(Clone, Deserialize, Serialize)]
/// struct RuntimeMetadata {
///     version: String,
/// }
///
/// impl Layer for RuntimeLayer {
///     type Buildpack = DoctestBuildpack;
///     type Metadata = RuntimeMetadata;
///
///     fn types(&self) -> LayerTypes {
///         LayerTypes { launch: true, build: true, cache: true }
///     }
///
///     fn create(
///         &mut self,
///         _context: &BuildContext<DoctestBuildpack>,
///         layer_path: &Path,
///     ) -> Result<LayerResult<RuntimeMetadata>, GenericError> {
///         std::fs::write(layer_path.join("runtime"), "...").expect("the layer is writable");
///         LayerResultBuilder::new(RuntimeMetadata { version: "3.12.1".into() }).build()
///     }
///
///     fn existing_layer_strategy(
///         &mut self,
///         _context: &BuildContext<DoctestBuildpack>,
///         layer_data: &LayerData<RuntimeMetadata>,
///     ) -> Result<ExistingLayerStrategy, GenericError> {
///         if layer_data.content_metadata.metadata.version == "3.12.1" {
///             Ok(ExistingLayerStrategy::Keep)
///         } else {
///             Ok(ExistingLayerStrategy::Recreate)
///         }
///     }
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let temp_dir = tempfile::tempdir()?;
/// let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
/// let layer = context.handle_layer(layer_name!("runtime"), RuntimeLayer)?;
/// assert_eq!(layer.content_metadata.metadata.version, "3.12.1");
/// assert!(layer.path.join("runtime").exists());
/// # Ok(())
/// # }
/// ```
#[deprecated = "The Layer trait API was replaced by a struct based API. Use CachedLayerDefinition or UncachedLayerDefinition."]
pub trait Layer {
    /// The buildpack this layer is used with.
    type Buildpack: Buildpack;

    /// The type of the layer's `[metadata]`. Use [`GenericMetadata`] for raw TOML.
    ///
    /// Metadata that doesn't deserialize as this type is passed to
    /// [`migrate_incompatible_metadata`](Self::migrate_incompatible_metadata).
    type Metadata: DeserializeOwned + Serialize + Clone;

    /// The layer's types, written to `<layer>.toml` whenever the layer is handled.
    ///
    /// Must be pure: no side effects, no output.
    fn types(&self) -> LayerTypes;

    /// Creates the layer's contents in the empty directory `layer_path` and returns its
    /// metadata, environment, exec.d programs and SBOMs, which libcnb-lite writes.
    ///
    /// Must not write anywhere but `layer_path`.
    ///
    /// # Errors
    ///
    /// The buildpack's error, which stops the build.
    fn create(
        &mut self,
        context: &BuildContext<Self::Buildpack>,
        layer_path: &Path,
    ) -> Result<LayerResult<Self::Metadata>, <Self::Buildpack as Buildpack>::Error>;

    /// Decides what to do with a restored layer whose metadata is valid: keep it as it is,
    /// recreate it from scratch, or [`update`](Self::update) it.
    ///
    /// The default recreates the layer every time. Must not change the file system.
    ///
    /// # Errors
    ///
    /// The buildpack's error, which stops the build.
    fn existing_layer_strategy(
        &mut self,
        context: &BuildContext<Self::Buildpack>,
        layer_data: &LayerData<Self::Metadata>,
    ) -> Result<ExistingLayerStrategy, <Self::Buildpack as Buildpack>::Error> {
        let _ = (context, layer_data);
        Ok(ExistingLayerStrategy::Recreate)
    }

    /// Updates a restored layer in `layer_data.path` and returns its new metadata,
    /// environment, exec.d programs and SBOMs, which replace the old ones: what the result
    /// leaves out is removed (an `env` of `None` removes the environment).
    ///
    /// The default keeps the metadata and environment (and so removes exec.d programs and
    /// SBOMs). Must not write anywhere but the layer directory.
    ///
    /// # Errors
    ///
    /// The buildpack's error, which stops the build.
    fn update(
        &mut self,
        context: &BuildContext<Self::Buildpack>,
        layer_data: &LayerData<Self::Metadata>,
    ) -> Result<LayerResult<Self::Metadata>, <Self::Buildpack as Buildpack>::Error> {
        let _ = context;
        LayerResultBuilder::new(layer_data.content_metadata.metadata.clone())
            .env(layer_data.env.clone())
            .build()
    }

    /// Decides what to do with a restored layer whose metadata doesn't deserialize as
    /// [`Metadata`](Self::Metadata): recreate it, or replace the metadata (migrating an older
    /// format), after which the layer is handled as one with valid metadata.
    ///
    /// The default recreates the layer. Must not change the file system or print anything.
    ///
    /// # Errors
    ///
    /// The buildpack's error, which stops the build.
    fn migrate_incompatible_metadata(
        &mut self,
        context: &BuildContext<Self::Buildpack>,
        metadata: &GenericMetadata,
    ) -> Result<MetadataMigration<Self::Metadata>, <Self::Buildpack as Buildpack>::Error> {
        let _ = (context, metadata);
        Ok(MetadataMigration::RecreateLayer)
    }
}

/// What [`Layer::existing_layer_strategy`] decided.
#[derive(Eq, PartialEq, Clone, Copy, Debug)]
#[deprecated = "Part of the Layer trait API that was replaced by a struct based API."]
pub enum ExistingLayerStrategy {
    /// Keep the layer as it is. `<layer>.toml` is written again, as upstream does: with the
    /// layer's [types](Layer::types), which the lifecycle doesn't restore, and with the metadata
    /// as [`Layer::Metadata`] serializes it, so integers that came back as floats (`1.0`) are
    /// integers again and keys the type doesn't know are dropped. It must deserialize as the
    /// metadata type again, or handling the layer fails with a
    /// [`ReadLayerError::LayerContentMetadataParseError`](crate::layer::ReadLayerError::LayerContentMetadataParseError)
    /// naming the layer, as upstream's read back after the write does.
    Keep,
    /// Delete the layer and [create](Layer::create) it again.
    Recreate,
    /// [Update](Layer::update) the layer.
    Update,
}

/// What [`Layer::migrate_incompatible_metadata`] decided.
#[derive(Debug)]
#[deprecated = "Part of the Layer trait API that was replaced by a struct based API."]
pub enum MetadataMigration<M> {
    /// Delete the layer and create it again.
    RecreateLayer,
    /// Keep the layer with this metadata instead. It must deserialize as the metadata type
    /// again, or handling the layer fails with a
    /// [`ReadLayerError::LayerContentMetadataParseError`](crate::layer::ReadLayerError::LayerContentMetadataParseError)
    /// naming the layer and `ReplaceMetadata` (upstream asks again forever).
    ReplaceMetadata(M),
}

/// A layer on disk, as the trait API passes it to [`Layer`]'s methods and returns it from
/// [`BuildContext::handle_layer`].
#[derive(Debug)]
#[deprecated = "Part of the Layer trait API that was replaced by a struct based API."]
pub struct LayerData<M> {
    /// The layer's name.
    pub name: LayerName,
    /// The layer directory; only a [`Layer`] implementation should change its contents.
    pub path: PathBuf,
    /// The layer's environment, with the implicit entries of `bin/`, `lib/` and so on.
    pub env: LayerEnv,
    /// The layer's `<layer>.toml`.
    pub content_metadata: LayerContentMetadata<M>,
}

/// What [`Layer::create`] and [`Layer::update`] return: what libcnb-lite writes besides the
/// layer's contents. Build one with [`LayerResultBuilder`].
#[derive(Debug)]
#[deprecated = "Part of the Layer trait API that was replaced by a struct based API."]
pub struct LayerResult<M> {
    /// The layer's `[metadata]`.
    pub metadata: M,
    /// The layer's environment; `None` removes it.
    pub env: Option<LayerEnv>,
    /// Programs copied into `exec.d/`, by name.
    pub exec_d_programs: HashMap<String, PathBuf>,
    /// The layer's SBOMs.
    pub sboms: Vec<Sbom>,
}

/// Builds a [`LayerResult`].
///
/// # Examples
///
/// ```
/// #![expect(deprecated)]
/// use libcnb_lite::data::sbom::SbomFormat;
/// use libcnb_lite::generic::{GenericError, GenericMetadata};
/// use libcnb_lite::layer::{LayerResult, LayerResultBuilder};
/// use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
/// use libcnb_lite::sbom::Sbom;
///
/// let result: LayerResult<GenericMetadata> = LayerResultBuilder::new(GenericMetadata::default())
///     .env(LayerEnv::new().chainable_insert(Scope::All, ModificationBehavior::Override, "A", "1"))
///     .exec_d_program("set-port", "/cnb/buildpacks/bp/bin/set-port")
///     .sbom(Sbom::from_bytes(SbomFormat::SyftJson, "{}"))
///     .build_unwrapped();
/// assert_eq!(result.exec_d_programs.len(), 1);
/// assert_eq!(result.sboms.len(), 1);
/// ```
#[derive(Debug)]
#[deprecated = "Part of the Layer trait API that was replaced by a struct based API."]
pub struct LayerResultBuilder<M> {
    metadata: M,
    env: Option<LayerEnv>,
    exec_d_programs: HashMap<String, PathBuf>,
    sboms: Vec<Sbom>,
}

impl<M> LayerResultBuilder<M> {
    /// A result with `metadata`, no environment, no exec.d programs and no SBOMs.
    #[must_use]
    pub fn new(metadata: M) -> Self {
        Self {
            metadata,
            env: None,
            exec_d_programs: HashMap::new(),
            sboms: Vec::new(),
        }
    }

    /// Sets the layer's environment.
    #[must_use]
    pub fn env(mut self, layer_env: LayerEnv) -> Self {
        self.env = Some(layer_env);
        self
    }

    /// Adds an exec.d program, copied into the layer's `exec.d/` as `name` (a later program
    /// with the same name wins). Usually a binary target of the buildpack; see
    /// [`additional_buildpack_binary_path!`](crate::additional_buildpack_binary_path).
    #[must_use]
    pub fn exec_d_program(
        mut self,
        name: impl Into<String>,
        exec_d_program: impl Into<PathBuf>,
    ) -> Self {
        self.exec_d_programs
            .insert(name.into(), exec_d_program.into());
        self
    }

    /// Adds an SBOM (a later SBOM of the same format wins).
    #[must_use]
    pub fn sbom<S: Into<Sbom>>(mut self, s: S) -> Self {
        self.sboms.push(s.into());
        self
    }

    /// Returns the result in `Ok`, as [`Layer::create`] and [`Layer::update`] return it.
    ///
    /// # Errors
    ///
    /// Never.
    pub fn build<E>(self) -> Result<LayerResult<M>, E> {
        Ok(self.build_unwrapped())
    }

    /// Returns the result.
    #[must_use]
    pub fn build_unwrapped(self) -> LayerResult<M> {
        LayerResult {
            metadata: self.metadata,
            env: self.env,
            exec_d_programs: self.exec_d_programs,
            sboms: self.sboms,
        }
    }
}
