//! The benchmark buildpack and [`LayerApi`](crate::LayerApi) implementation,
//! written once for both libraries.
//!
//! [`library!`] expands the same scenario code against a crate path: the
//! `upstream` module invokes it for `libcnb`, the `lite` module for
//! `libcnb_lite`. Only the crate and the struct-API items libcnb-lite renamed
//! are arguments (`invalid_metadata_action` → `invalid_metadata`,
//! `restored_layer_action` → `inspect_restored`, `RestoredLayerAction` →
//! `InspectRestoredAction`), so the expansion also checks that the benchmark
//! buildpack ports with nothing but those renames.

/// Expands, in the invoking module, `BenchBuildpack`, the library's
/// [`LayerApi`](crate::LayerApi) type `$library` and the trait-API `BenchLayer`
/// for the crate `$krate`.
macro_rules! library {
    (
        crate: $krate:ident,
        $(#[$library_attr:meta])*
        library: $library:ident,
        invalid_metadata: $invalid_metadata:ident,
        inspect_restored: $inspect_restored:ident,
        InspectRestoredAction: $InspectRestoredAction:ident $(,)?
    ) => {
        use crate::BenchError;
        use crate::fixture::BUILDPACK_TOML;
        use crate::metadata::LayerMetadata;
        use crate::operation::{LAYER_BUILD, LAYER_LAUNCH, LayerApi, Operation, TraitCalls};
        use $krate::build::{BuildContext, BuildResult, BuildResultBuilder};
        use $krate::data::buildpack::ComponentBuildpackDescriptor;
        use $krate::data::buildpack_plan::BuildpackPlan;
        use $krate::data::layer::LayerName;
        use $krate::data::layer_content_metadata::LayerTypes;
        use $krate::detect::{DetectContext, DetectResult, DetectResultBuilder};
        use $krate::generic::{GenericError, GenericMetadata, GenericPlatform};
        use $krate::layer::{
            $InspectRestoredAction, CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction,
            LayerState,
        };
        #[expect(
            deprecated,
            reason = "the trait-API scenarios measure the deprecated API"
        )]
        use $krate::layer::{
            ExistingLayerStrategy, Layer, LayerData, LayerResult, LayerResultBuilder,
            MetadataMigration,
        };
        use $krate::{Buildpack, Env, Target};
        use std::path::{Path, PathBuf};

        /// The buildpack whose build context the benchmark uses; never run as a buildpack.
        #[derive(Debug)]
        pub struct BenchBuildpack;

        impl Buildpack for BenchBuildpack {
            type Platform = GenericPlatform;
            type Metadata = GenericMetadata;
            type Error = GenericError;

            fn detect(
                &self,
                _context: DetectContext<Self>,
            ) -> $krate::Result<DetectResult, Self::Error> {
                DetectResultBuilder::fail().build()
            }

            fn build(
                &self,
                _context: BuildContext<Self>,
            ) -> $krate::Result<BuildResult, Self::Error> {
                BuildResultBuilder::new().build()
            }
        }

        $(#[$library_attr])*
        #[derive(Debug)]
        pub struct $library;

        impl LayerApi for $library {
            type Context = BuildContext<BenchBuildpack>;
            type LayerName = LayerName;

            fn context(layers_dir: &Path) -> Result<Self::Context, BenchError> {
                Ok(BuildContext {
                    layers_dir: PathBuf::from(layers_dir),
                    // Never read by `cached_layer`.
                    app_dir: PathBuf::from(layers_dir),
                    buildpack_dir: PathBuf::from(layers_dir),
                    target: Target {
                        os: String::from("linux"),
                        arch: String::from("amd64"),
                        arch_variant: None,
                        distro_name: String::from("ubuntu"),
                        distro_version: String::from("24.04"),
                    },
                    platform: GenericPlatform::new(Env::new()),
                    buildpack_plan: BuildpackPlan {
                        entries: Vec::new(),
                    },
                    buildpack_descriptor: toml::from_str::<
                        ComponentBuildpackDescriptor<GenericMetadata>,
                    >(BUILDPACK_TOML)?,
                    store: None,
                })
            }

            fn layer_name(name: &str) -> Result<Self::LayerName, BenchError> {
                Ok(name.parse()?)
            }

            fn handle_layers(
                context: &Self::Context,
                layer_names: &[Self::LayerName],
                operation: Operation,
            ) -> Result<(), BenchError> {
                let definition = CachedLayerDefinition {
                    build: LAYER_BUILD,
                    launch: LAYER_LAUNCH,
                    $invalid_metadata: &|old: &GenericMetadata| {
                        InvalidMetadataAction::ReplaceMetadata(LayerMetadata::migrate(
                            old.as_ref(),
                        ))
                    },
                    $inspect_restored: &|_: &LayerMetadata, _: &Path| {
                        $InspectRestoredAction::KeepLayer
                    },
                };
                for layer_name in layer_names {
                    let layer = context.cached_layer(layer_name, &definition)?;
                    match (operation, layer.state) {
                        (
                            Operation::Create,
                            LayerState::Empty {
                                cause: EmptyLayerCause::NewlyCreated,
                            },
                        ) => layer.write_metadata(LayerMetadata::current())?,
                        (Operation::Keep | Operation::Migrate, LayerState::Restored { .. }) => {}
                        (operation, state) => {
                            return Err(
                                format!("{operation:?} {layer_name}: unexpected {state:?}").into()
                            );
                        }
                    }
                }
                Ok(())
            }

            #[expect(
                deprecated,
                reason = "the trait-API scenarios measure the deprecated API"
            )]
            fn handle_trait_layers(
                context: &Self::Context,
                layer_names: &[Self::LayerName],
                operation: Operation,
            ) -> Result<(), BenchError> {
                for layer_name in layer_names {
                    let mut calls = TraitCalls::default();
                    let layer = context
                        .handle_layer(layer_name.clone(), BenchLayer { calls: &mut calls })?;
                    let types = layer
                        .content_metadata
                        .types
                        .map(|types| [types.launch, types.build, types.cache]);
                    calls.check(
                        operation,
                        layer_name,
                        types,
                        &layer.content_metadata.metadata,
                    )?;
                }
                Ok(())
            }
        }

        /// The benchmark's trait-API layer: the same layer as the struct API's
        /// definition, counting which of its methods `handle_layer` calls.
        #[derive(Debug)]
        struct BenchLayer<'a> {
            calls: &'a mut TraitCalls,
        }

        #[expect(
            deprecated,
            reason = "the trait-API scenarios measure the deprecated API"
        )]
        impl Layer for BenchLayer<'_> {
            type Buildpack = BenchBuildpack;
            type Metadata = LayerMetadata;

            fn types(&self) -> LayerTypes {
                LayerTypes {
                    launch: LAYER_LAUNCH,
                    build: LAYER_BUILD,
                    cache: true,
                }
            }

            fn create(
                &mut self,
                _context: &BuildContext<BenchBuildpack>,
                _layer_path: &Path,
            ) -> Result<LayerResult<LayerMetadata>, GenericError> {
                self.calls.create += 1;
                LayerResultBuilder::new(LayerMetadata::current()).build()
            }

            fn existing_layer_strategy(
                &mut self,
                _context: &BuildContext<BenchBuildpack>,
                _layer_data: &LayerData<LayerMetadata>,
            ) -> Result<ExistingLayerStrategy, GenericError> {
                self.calls.existing_layer_strategy += 1;
                Ok(ExistingLayerStrategy::Keep)
            }

            fn migrate_incompatible_metadata(
                &mut self,
                _context: &BuildContext<BenchBuildpack>,
                metadata: &GenericMetadata,
            ) -> Result<MetadataMigration<LayerMetadata>, GenericError> {
                self.calls.migrate_incompatible_metadata += 1;
                Ok(MetadataMigration::ReplaceMetadata(LayerMetadata::migrate(
                    metadata.as_ref(),
                )))
            }
        }
    };
}

pub(crate) use library;
