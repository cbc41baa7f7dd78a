//! A property test of layer handling: random sequences of layer requests (both APIs), callback
//! decisions, simulated lifecycle restores, corrupted and old-format `<layer>.toml` files never
//! panic, and always leave a layers directory that agrees with a simple model of what should be
//! there.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic on what they don't expect"
)]
mod support;

use libcnb_lite::data::layer::LayerName;
use libcnb_lite::data::layer_content_metadata::LayerTypes;
use libcnb_lite::data::sbom::SbomFormat;
use libcnb_lite::generic::GenericMetadata;
use libcnb_lite::layer::{
    CachedLayerDefinition, EmptyLayerCause, InspectRestoredAction, InvalidMetadataAction,
    LayerError, LayerState, ReadLayerError, UncachedLayerDefinition,
};
use libcnb_lite::sbom::Sbom;
use libcnb_lite::{Error, TomlFileError};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::Path;
use support::{context, names, read, write};

const LAYERS: [&str; 3] = ["a", "b", "c"];

/// The buildpack's metadata type.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
struct Generation {
    generation: u64,
}

/// What a callback or trait method decides, and what the buildpack does afterwards.
#[derive(Clone, Debug)]
enum Step {
    Cached {
        layer: usize,
        types: (bool, bool),
        /// `None`: delete invalid metadata; `Some(g)`: replace it with generation `g`.
        replace_invalid: Option<u64>,
        keep_restored: bool,
        write_metadata: Option<u64>,
        write_sbom: Option<bool>,
    },
    Uncached {
        layer: usize,
        types: (bool, bool),
        write_sbom: Option<bool>,
    },
    Trait {
        layer: usize,
        types: (bool, bool, bool),
        strategy: TraitStrategy,
        /// `None`: recreate; `Some(g)`: replace invalid metadata with generation `g`.
        migrate: Option<u64>,
        sbom: bool,
    },
    /// The build ends; the lifecycle exports, caches and restores the layers for the next one.
    Restore,
    /// Something garbles a layer's `<layer>.toml`.
    Corrupt { layer: usize },
    /// An older version of the buildpack wrote metadata of another shape.
    OldFormat { layer: usize },
}

#[derive(Clone, Copy, Debug)]
enum TraitStrategy {
    Keep,
    Recreate,
    Update,
}

/// What `[metadata]` holds, as far as the buildpack's type goes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Meta {
    None,
    Generation(u64),
    Old,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Toml {
    Written {
        types: Option<LayerTypes>,
        meta: Meta,
    },
    Corrupt,
    Missing,
}

/// The model of one layer.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Model {
    Absent,
    /// A directory holding `content` (the generation written into it, if any).
    Present {
        toml: Toml,
        content: Option<u64>,
        sbom: bool,
    },
    /// Launch-only metadata restored without a directory.
    LaunchOnly {
        meta: Meta,
        sbom: bool,
    },
}

impl Model {
    fn fresh(types: LayerTypes, meta: Meta) -> Self {
        Self::Present {
            toml: Toml::Written {
                types: Some(types),
                meta,
            },
            content: None,
            sbom: false,
        }
    }
}

fn step() -> impl Strategy<Value = Step> {
    let layer = 0..LAYERS.len();
    let generation = 1..1000_u64;
    prop_oneof![
        4 => (
            layer.clone(),
            any::<(bool, bool)>(),
            proptest::option::of(generation.clone()),
            any::<bool>(),
            proptest::option::of(generation.clone()),
            proptest::option::of(any::<bool>()),
        )
            .prop_map(|(layer, types, replace_invalid, keep_restored, write_metadata, write_sbom)| {
                Step::Cached { layer, types, replace_invalid, keep_restored, write_metadata, write_sbom }
            }),
        1 => (layer.clone(), any::<(bool, bool)>(), proptest::option::of(any::<bool>()))
            .prop_map(|(layer, types, write_sbom)| Step::Uncached { layer, types, write_sbom }),
        3 => (
            layer.clone(),
            any::<(bool, bool, bool)>(),
            prop_oneof![Just(TraitStrategy::Keep), Just(TraitStrategy::Recreate), Just(TraitStrategy::Update)],
            proptest::option::of(generation),
            any::<bool>(),
        )
            .prop_map(|(layer, types, strategy, migrate, sbom)| {
                Step::Trait { layer, types, strategy, migrate, sbom }
            }),
        2 => Just(Step::Restore),
        1 => layer.clone().prop_map(|layer| Step::Corrupt { layer }),
        1 => layer.prop_map(|layer| Step::OldFormat { layer }),
    ]
}

/// Runs the steps against a layers directory and the model side by side.
struct World<'a> {
    layers_dir: &'a Path,
    models: [Model; 3],
    next_content: u64,
}

impl World<'_> {
    fn run(&mut self, step: &Step) {
        match *step {
            Step::Cached {
                layer,
                types,
                replace_invalid,
                keep_restored,
                write_metadata,
                write_sbom,
            } => {
                self.cached(
                    layer,
                    types,
                    replace_invalid,
                    keep_restored,
                    write_metadata,
                    write_sbom,
                );
            }
            Step::Uncached {
                layer,
                types,
                write_sbom,
            } => self.uncached(layer, types, write_sbom),
            Step::Trait {
                layer,
                types,
                strategy,
                migrate,
                sbom,
            } => {
                self.trait_layer(layer, types, strategy, migrate, sbom);
            }
            Step::Restore => self.restore(),
            Step::Corrupt { layer } => {
                let toml_path = self.toml_path(layer);
                if let Model::Present {
                    toml: toml @ Toml::Written { .. },
                    ..
                } = &mut self.models[layer]
                {
                    write(&toml_path, "[types\nlaunch = tru");
                    *toml = Toml::Corrupt;
                }
            }
            Step::OldFormat { layer } => {
                let toml_path = self.toml_path(layer);
                if let Model::Present {
                    toml: Toml::Written { types, meta },
                    ..
                } = &mut self.models[layer]
                {
                    let types = types.map_or(String::new(), |types| {
                        format!(
                            "[types]\nlaunch = {}\nbuild = {}\ncache = {}\n",
                            types.launch, types.build, types.cache
                        )
                    });
                    write(&toml_path, &format!("{types}[metadata]\nold = \"x\"\n"));
                    *meta = Meta::Old;
                }
            }
        }
        self.check();
    }

    fn name(layer: usize) -> LayerName {
        LAYERS[layer].parse().unwrap()
    }

    fn toml_path(&self, layer: usize) -> std::path::PathBuf {
        self.layers_dir.join(format!("{}.toml", LAYERS[layer]))
    }

    /// A corrupt `<layer>.toml` is an error that changes nothing (upstream's variant of the
    /// struct API, or of the trait API); the test then deletes the file, leaving a directory
    /// without one. Returns whether the layer was corrupt.
    fn expect_corrupt<T: std::fmt::Debug>(
        &mut self,
        layer: usize,
        result: &libcnb_lite::Result<T, String>,
        trait_api: bool,
    ) -> bool {
        let Model::Present {
            toml: toml @ Toml::Corrupt,
            ..
        } = &mut self.models[layer]
        else {
            return false;
        };
        let struct_variant = matches!(
            result,
            Err(Error::LayerError(
                LayerError::CouldNotReadGenericLayerMetadata(
                    TomlFileError::TomlDeserializationError(_)
                )
            ))
        );
        let trait_variant = matches!(
            result,
            Err(Error::LayerError(LayerError::ReadLayerError(
                ReadLayerError::LayerContentMetadataParseError(_)
            )))
        );
        assert!(
            if trait_api {
                trait_variant
            } else {
                struct_variant
            },
            "{result:?}"
        );
        assert_eq!(
            read(&self.layers_dir.join(format!("{}.toml", LAYERS[layer]))),
            "[types\nlaunch = tru"
        );
        fs::remove_file(self.layers_dir.join(format!("{}.toml", LAYERS[layer]))).unwrap();
        *toml = Toml::Missing;
        true
    }

    /// The model's metadata of a layer the APIs find on disk, or `None` if they find none.
    fn restored_meta(&self, layer: usize) -> Option<Meta> {
        match self.models[layer] {
            Model::Present {
                toml: Toml::Written { meta, .. },
                ..
            } => Some(meta),
            Model::Present {
                toml: Toml::Missing,
                ..
            } => Some(Meta::None),
            Model::Present {
                toml: Toml::Corrupt,
                ..
            }
            | Model::Absent
            | Model::LaunchOnly { .. } => None,
        }
    }

    fn new_content(&mut self, layer: usize) {
        self.next_content += 1;
        write(
            &self.layers_dir.join(LAYERS[layer]).join("content"),
            &self.next_content.to_string(),
        );
        if let Model::Present { content, .. } = &mut self.models[layer] {
            *content = Some(self.next_content);
        }
    }

    fn set_sbom(&mut self, layer: usize, present: bool) {
        if let Model::Present { sbom, .. } = &mut self.models[layer] {
            *sbom = present;
        }
    }

    fn set_types(&mut self, layer: usize, new_types: LayerTypes) {
        if let Model::Present {
            toml: Toml::Written { types, .. },
            ..
        } = &mut self.models[layer]
        {
            *types = Some(new_types);
        }
    }

    fn set_meta(&mut self, layer: usize, new_meta: Meta) {
        if let Model::Present {
            toml: Toml::Written { meta, .. },
            ..
        } = &mut self.models[layer]
        {
            *meta = new_meta;
        }
    }

    fn cached(
        &mut self,
        layer: usize,
        (build, launch): (bool, bool),
        replace_invalid: Option<u64>,
        keep_restored: bool,
        write_metadata: Option<u64>,
        write_sbom: Option<bool>,
    ) {
        let result = context(self.layers_dir).cached_layer(
            Self::name(layer),
            CachedLayerDefinition {
                build,
                launch,
                invalid_metadata: &|_: &GenericMetadata| match replace_invalid {
                    Some(generation) => (
                        InvalidMetadataAction::ReplaceMetadata(Generation { generation }),
                        'r',
                    ),
                    None => (InvalidMetadataAction::DeleteLayer, 'd'),
                },
                inspect_restored: &|_: &Generation, _: &Path| {
                    if keep_restored {
                        (InspectRestoredAction::KeepLayer, 'k')
                    } else {
                        (InspectRestoredAction::DeleteLayer, 'x')
                    }
                },
            },
        );
        if self.expect_corrupt(layer, &result, false) {
            return;
        }
        let layer_ref = result.unwrap();
        let types = LayerTypes {
            launch,
            build,
            cache: true,
        };

        let expected = match self.restored_meta(layer) {
            None => LayerState::Empty {
                cause: EmptyLayerCause::NewlyCreated,
            },
            Some(meta) => {
                let valid = match (meta, replace_invalid) {
                    (Meta::Generation(_), _) => true,
                    (_, Some(generation)) => {
                        self.set_meta_or_missing(layer, Meta::Generation(generation));
                        true
                    }
                    (_, None) => false,
                };
                match (valid, keep_restored) {
                    (false, _) => LayerState::Empty {
                        cause: EmptyLayerCause::InvalidMetadataAction { cause: 'd' },
                    },
                    (true, true) => LayerState::Restored { cause: 'k' },
                    (true, false) => LayerState::Empty {
                        cause: EmptyLayerCause::InspectRestoredAction { cause: 'x' },
                    },
                }
            }
        };
        assert_eq!(layer_ref.state, expected);
        if let LayerState::Restored { .. } = expected {
            self.set_types_or_written(layer, types);
        } else {
            self.models[layer] = Model::fresh(types, Meta::None);
            self.new_content(layer);
        }

        if let Some(generation) = write_metadata {
            layer_ref.write_metadata(Generation { generation }).unwrap();
            self.set_meta(layer, Meta::Generation(generation));
        }
        if let Some(present) = write_sbom {
            let sboms = if present {
                vec![Sbom::from_bytes(SbomFormat::CycloneDxJson, "{}")]
            } else {
                Vec::new()
            };
            layer_ref.write_sboms(&sboms).unwrap();
            self.set_sbom(layer, present);
        }
    }

    /// A replaced or kept layer whose `<layer>.toml` was missing gets one written.
    fn set_meta_or_missing(&mut self, layer: usize, meta: Meta) {
        if let Model::Present {
            toml: toml @ Toml::Missing,
            ..
        } = &mut self.models[layer]
        {
            *toml = Toml::Written {
                types: None,
                meta: Meta::None,
            };
        }
        self.set_meta(layer, meta);
    }

    fn set_types_or_written(&mut self, layer: usize, types: LayerTypes) {
        self.set_meta_or_missing(layer, self.restored_meta(layer).unwrap_or(Meta::None));
        self.set_types(layer, types);
    }

    fn uncached(&mut self, layer: usize, (build, launch): (bool, bool), write_sbom: Option<bool>) {
        let result = context(self.layers_dir)
            .uncached_layer(Self::name(layer), UncachedLayerDefinition { build, launch });
        if self.expect_corrupt(layer, &result, false) {
            return;
        }
        let layer_ref = result.unwrap();
        let expected = match self.restored_meta(layer) {
            None => EmptyLayerCause::NewlyCreated,
            Some(_) => EmptyLayerCause::InspectRestoredAction { cause: () },
        };
        assert_eq!(layer_ref.state, LayerState::Empty { cause: expected });
        self.models[layer] = Model::fresh(
            LayerTypes {
                launch,
                build,
                cache: false,
            },
            Meta::None,
        );
        self.new_content(layer);
        if let Some(present) = write_sbom {
            let sboms = if present {
                vec![Sbom::from_bytes(SbomFormat::SyftJson, "{}")]
            } else {
                Vec::new()
            };
            layer_ref.write_sboms(&sboms).unwrap();
            self.set_sbom(layer, present);
        }
    }

    fn trait_layer(
        &mut self,
        layer: usize,
        (launch, build, cache): (bool, bool, bool),
        strategy: TraitStrategy,
        migrate: Option<u64>,
        sbom: bool,
    ) {
        let types = LayerTypes {
            launch,
            build,
            cache,
        };
        self.next_content += 1;
        let created = self.next_content;
        #[expect(deprecated, reason = "the model covers the trait API too")]
        let result = context(self.layers_dir).handle_layer(
            Self::name(layer),
            trait_layer::ModelLayer {
                types,
                strategy,
                migrate,
                sbom,
                created,
            },
        );
        if self.expect_corrupt(layer, &result, true) {
            return;
        }
        #[expect(deprecated, reason = "the model covers the trait API too")]
        let returned_meta = result.unwrap().content_metadata.metadata.generation;

        let create = |world: &mut Self| {
            world.models[layer] = Model::Present {
                toml: Toml::Written {
                    types: Some(types),
                    meta: Meta::Generation(created),
                },
                content: Some(created),
                sbom,
            };
        };
        match self.restored_meta(layer) {
            None => create(self),
            Some(meta) => {
                let valid = match (meta, migrate) {
                    (Meta::Generation(_), _) => true,
                    (_, Some(generation)) => {
                        self.set_meta_or_missing(layer, Meta::Generation(generation));
                        true
                    }
                    (_, None) => false,
                };
                match (valid, strategy) {
                    (false, _) | (true, TraitStrategy::Recreate) => create(self),
                    (true, TraitStrategy::Keep) => self.set_types(layer, types),
                    (true, TraitStrategy::Update) => {
                        self.set_types(layer, types);
                        self.set_sbom(layer, sbom);
                    }
                }
            }
        }
        assert_eq!(
            Some(Meta::Generation(returned_meta)),
            self.restored_meta(layer)
        );
    }

    /// What the lifecycle leaves for the next build: cached layers with `[types]` stripped and
    /// integers turned into floats by its JSON round trip; launch-only layers as metadata
    /// without a directory; nothing of the others (nor of layers without `<layer>.toml`).
    fn restore(&mut self) {
        for (layer, name) in LAYERS.iter().copied().enumerate() {
            let (restored, sbom) = match self.models[layer] {
                Model::Present {
                    toml:
                        Toml::Written {
                            types: Some(types),
                            meta,
                        },
                    content,
                    sbom,
                } if types.cache => (
                    Model::Present {
                        toml: Toml::Written { types: None, meta },
                        content,
                        sbom,
                    },
                    sbom,
                ),
                Model::Present {
                    toml:
                        Toml::Written {
                            types: Some(types),
                            meta,
                        },
                    sbom,
                    ..
                } if types.launch => (Model::LaunchOnly { meta, sbom }, sbom),
                _ => (Model::Absent, false),
            };

            let meta = match restored {
                Model::Present {
                    toml: Toml::Written { meta, .. },
                    ..
                }
                | Model::LaunchOnly { meta, .. } => Some(meta),
                _ => None,
            };
            if !matches!(restored, Model::Present { .. }) {
                fs::remove_dir_all(self.layers_dir.join(name)).ok();
            }
            if !sbom {
                fs::remove_file(self.layers_dir.join(format!("{name}.sbom.cdx.json"))).ok();
                fs::remove_file(self.layers_dir.join(format!("{name}.sbom.syft.json"))).ok();
            }
            match meta {
                Some(meta) => write(&self.toml_path(layer), &restored_metadata(meta)),
                None => {
                    fs::remove_file(self.toml_path(layer)).ok();
                }
            }
            self.models[layer] = restored;
        }
    }

    /// Compares the layers directory with the model.
    fn check(&self) {
        let mut expected = Vec::new();
        for (layer, model) in self.models.iter().enumerate() {
            let name = LAYERS[layer];
            let toml_path = self.toml_path(layer);
            match *model {
                Model::Absent => {}
                Model::Present {
                    toml,
                    content,
                    sbom,
                } => {
                    expected.push(name.to_string());
                    let files = names(&self.layers_dir.join(name));
                    match content {
                        Some(generation) => {
                            assert_eq!(files, ["content"], "{name}");
                            assert_eq!(
                                read(&self.layers_dir.join(name).join("content")),
                                generation.to_string()
                            );
                        }
                        None => assert!(files.is_empty(), "{name}: {files:?}"),
                    }
                    match toml {
                        Toml::Written { types, meta } => {
                            expected.push(format!("{name}.toml"));
                            assert_eq!(parse(&read(&toml_path)), (types, meta), "{name}");
                        }
                        Toml::Corrupt => expected.push(format!("{name}.toml")),
                        Toml::Missing => {}
                    }
                    if sbom {
                        expected.push(sbom_name(self.layers_dir, name));
                    }
                }
                Model::LaunchOnly { meta, sbom } => {
                    expected.push(format!("{name}.toml"));
                    assert_eq!(parse(&read(&toml_path)), (None, meta), "{name}");
                    if sbom {
                        expected.push(sbom_name(self.layers_dir, name));
                    }
                }
            }
        }
        expected.sort();
        assert_eq!(names(self.layers_dir), expected);
    }
}

/// The name of the one SBOM file `name` has (either format counts).
fn sbom_name(layers_dir: &Path, name: &str) -> String {
    let cdx = format!("{name}.sbom.cdx.json");
    if layers_dir.join(&cdx).exists() {
        cdx
    } else {
        format!("{name}.sbom.syft.json")
    }
}

/// `<layer>.toml` as the lifecycle restores it: no `[types]`, integers as floats.
fn restored_metadata(meta: Meta) -> String {
    match meta {
        Meta::None => String::new(),
        Meta::Generation(generation) => format!("[metadata]\ngeneration = {generation}.0\n"),
        Meta::Old => String::from("[metadata]\nold = \"x\"\n"),
    }
}

/// The types and metadata of a `<layer>.toml`, read without the library.
fn parse(text: &str) -> (Option<LayerTypes>, Meta) {
    let table: toml::Table = toml::from_str(text).unwrap();
    let types = table
        .get("types")
        .map(|types| types.clone().try_into::<LayerTypes>().unwrap());
    let meta = match table.get("metadata") {
        None => Meta::None,
        Some(metadata) if metadata.get("old").is_some() => Meta::Old,
        Some(metadata) => match metadata.get("generation").unwrap() {
            toml::Value::Integer(generation) => {
                Meta::Generation(u64::try_from(*generation).unwrap())
            }
            toml::Value::Float(generation) => {
                Meta::Generation(format!("{generation}").parse().unwrap())
            }
            other => panic!("generation = {other}"),
        },
    };
    (types, meta)
}

mod trait_layer {
    #![expect(deprecated, reason = "the model covers the trait API too")]

    use super::support::{TestBuildpack, write};
    use super::{Generation, TraitStrategy};
    use libcnb_lite::build::BuildContext;
    use libcnb_lite::data::layer_content_metadata::LayerTypes;
    use libcnb_lite::data::sbom::SbomFormat;
    use libcnb_lite::generic::GenericMetadata;
    use libcnb_lite::layer::{
        ExistingLayerStrategy, Layer, LayerData, LayerResult, LayerResultBuilder, MetadataMigration,
    };
    use libcnb_lite::sbom::Sbom;
    use std::path::Path;

    pub(crate) struct ModelLayer {
        pub(crate) types: LayerTypes,
        pub(crate) strategy: TraitStrategy,
        pub(crate) migrate: Option<u64>,
        pub(crate) sbom: bool,
        /// What `create` writes into `content` and the metadata.
        pub(crate) created: u64,
    }

    impl ModelLayer {
        fn result(&self, generation: u64) -> LayerResult<Generation> {
            let builder = LayerResultBuilder::new(Generation { generation });
            if self.sbom {
                builder
                    .sbom(Sbom::from_bytes(SbomFormat::CycloneDxJson, "{}"))
                    .build_unwrapped()
            } else {
                builder.build_unwrapped()
            }
        }
    }

    impl Layer for ModelLayer {
        type Buildpack = TestBuildpack;
        type Metadata = Generation;

        fn types(&self) -> LayerTypes {
            self.types
        }

        fn create(
            &mut self,
            _: &BuildContext<TestBuildpack>,
            layer_path: &Path,
        ) -> Result<LayerResult<Generation>, String> {
            write(&layer_path.join("content"), &self.created.to_string());
            Ok(self.result(self.created))
        }

        fn existing_layer_strategy(
            &mut self,
            _: &BuildContext<TestBuildpack>,
            _: &LayerData<Generation>,
        ) -> Result<ExistingLayerStrategy, String> {
            Ok(match self.strategy {
                TraitStrategy::Keep => ExistingLayerStrategy::Keep,
                TraitStrategy::Recreate => ExistingLayerStrategy::Recreate,
                TraitStrategy::Update => ExistingLayerStrategy::Update,
            })
        }

        fn update(
            &mut self,
            _: &BuildContext<TestBuildpack>,
            layer_data: &LayerData<Generation>,
        ) -> Result<LayerResult<Generation>, String> {
            Ok(self.result(layer_data.content_metadata.metadata.generation))
        }

        fn migrate_incompatible_metadata(
            &mut self,
            _: &BuildContext<TestBuildpack>,
            _: &GenericMetadata,
        ) -> Result<MetadataMigration<Generation>, String> {
            Ok(match self.migrate {
                Some(generation) => MetadataMigration::ReplaceMetadata(Generation { generation }),
                None => MetadataMigration::RecreateLayer,
            })
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn layer_handling_agrees_with_the_model(steps in proptest::collection::vec(step(), 1..30)) {
        let temp_dir = tempfile::tempdir().unwrap();
        let mut world = World {
            layers_dir: temp_dir.path(),
            models: [Model::Absent; 3],
            next_content: 0,
        };
        for step in &steps {
            world.run(step);
        }
    }
}
