//! The benchmarked operations and scenarios, the trait each library implements
//! to run them, and the timed run of one scenario.

use crate::BenchError;
use crate::fixture::{self, LAYER_FILES};
use crate::metadata::{CURRENT_LAYER_TOML, LayerMetadata, OLD_LAYER_TOML};
use serde::Deserialize;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

/// `build` of every benchmarked layer (`cache` is always true for a cached layer).
pub const LAYER_BUILD: bool = true;
/// `launch` of every benchmarked layer.
pub const LAYER_LAUNCH: bool = true;

/// One benchmarked operation: the state the layers directory starts in and the
/// path `cached_layer` must take for each layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Layers are absent: `cached_layer` creates them (`Empty { NewlyCreated }`)
    /// and the buildpack writes their metadata.
    Create,
    /// Layers were restored with valid metadata: kept (`Restored`).
    Keep,
    /// Layers were restored with old-shape metadata: `ReplaceMetadata`, then kept.
    Migrate,
}

impl Operation {
    /// Every operation, in table order.
    pub const ALL: [Self; 3] = [Self::Create, Self::Keep, Self::Migrate];

    /// The operation's name in tables and on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Keep => "keep",
            Self::Migrate => "migrate",
        }
    }

    /// The highest libcnb-lite / upstream time ratio the layers issue accepts.
    #[must_use]
    pub fn target_ratio(self) -> f64 {
        match self {
            Self::Create => 0.9,
            Self::Keep => 0.7,
            Self::Migrate => 0.6,
        }
    }

    /// Puts `n` layers into `layers_dir` in the state this operation starts from.
    ///
    /// # Errors
    /// Any I/O error while writing the fixture.
    pub fn prepare(self, layers_dir: &Path, n: usize) -> std::io::Result<()> {
        match self {
            Self::Create => Ok(()),
            Self::Keep => fixture::write_restored_layers(layers_dir, n, CURRENT_LAYER_TOML),
            Self::Migrate => fixture::write_restored_layers(layers_dir, n, OLD_LAYER_TOML),
        }
    }

    /// The metadata every layer has after the operation: [`LayerMetadata::current`],
    /// or [`LayerMetadata::migrated`] for [`Operation::Migrate`].
    #[must_use]
    pub fn expected_metadata(self) -> LayerMetadata {
        match self {
            Self::Create | Self::Keep => LayerMetadata::current(),
            Self::Migrate => LayerMetadata::migrated(),
        }
    }

    /// The trait-API `Layer` methods `handle_layer` must call for one layer:
    /// `create` for an absent layer; `existing_layer_strategy` for a restored one,
    /// after `migrate_incompatible_metadata` when its metadata has the old shape.
    #[must_use]
    pub fn expected_trait_calls(self) -> TraitCalls {
        TraitCalls {
            create: u32::from(self == Self::Create),
            existing_layer_strategy: u32::from(self != Self::Create),
            migrate_incompatible_metadata: u32::from(self == Self::Migrate),
        }
    }

    /// Checks that the operation left every layer as the CNB spec wants it:
    /// `<layer>.toml` has the `[types]` of the definition and the expected
    /// metadata, and the layer directory holds the restored files (or nothing,
    /// for a created layer). Independent of either library.
    ///
    /// # Errors
    /// The first layer that is not as expected, or an I/O error.
    pub fn verify(self, layers_dir: &Path, n: usize) -> Result<(), BenchError> {
        let expected_metadata = self.expected_metadata();
        let expected_types = WrittenLayerTypes {
            launch: LAYER_LAUNCH,
            build: LAYER_BUILD,
            cache: true,
        };
        for name in fixture::layer_names(n) {
            let toml_path = layers_dir.join(format!("{name}.toml"));
            let written: WrittenLayerToml = fs::read_to_string(&toml_path)
                .map_err(BenchError::from)
                .and_then(|contents| Ok(toml::from_str(&contents)?))
                .map_err(|error| format!("{}: {error}", toml_path.display()))?;
            if written.types.as_ref() != Some(&expected_types) {
                return Err(
                    format!("{}: [types] is {:?}", toml_path.display(), written.types).into(),
                );
            }
            if written.metadata.as_ref() != Some(&expected_metadata) {
                return Err(format!(
                    "{}: metadata is {:?}",
                    toml_path.display(),
                    written.metadata
                )
                .into());
            }
            let layer_path = layers_dir.join(&name);
            if self == Self::Create {
                let mut entries = fs::read_dir(&layer_path)
                    .map_err(|error| format!("{}: {error}", layer_path.display()))?;
                if entries.next().is_some() {
                    return Err(format!("{}: new layer is not empty", layer_path.display()).into());
                }
            } else {
                for (file, contents) in LAYER_FILES {
                    let path = layer_path.join(file);
                    let found =
                        fs::read(&path).map_err(|error| format!("{}: {error}", path.display()))?;
                    if found != contents {
                        return Err(format!("{}: {file} changed", layer_path.display()).into());
                    }
                }
            }
        }
        Ok(())
    }
}

/// The layer API a scenario drives: the struct API (`cached_layer`) or the
/// deprecated trait API (`handle_layer` with a `Layer` implementation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// `BuildContext::cached_layer` with a `CachedLayerDefinition`.
    Struct,
    /// `BuildContext::handle_layer` with a `Layer` implementation (deprecated).
    Trait,
}

/// One benchmarked scenario: an [`Operation`] through one [`Api`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// The layer API used.
    pub api: Api,
    /// What is done to the layers.
    pub operation: Operation,
}

impl Scenario {
    /// Every scenario, in table order: the struct API's operations, then the
    /// trait API's.
    pub const ALL: [Self; 6] = [
        Self::new(Api::Struct, Operation::Create),
        Self::new(Api::Struct, Operation::Keep),
        Self::new(Api::Struct, Operation::Migrate),
        Self::new(Api::Trait, Operation::Create),
        Self::new(Api::Trait, Operation::Keep),
        Self::new(Api::Trait, Operation::Migrate),
    ];

    /// `operation` through `api`.
    #[must_use]
    pub const fn new(api: Api, operation: Operation) -> Self {
        Self { api, operation }
    }

    /// The scenario's row label: `keep` for the struct API, `trait keep` for
    /// the trait API.
    #[must_use]
    pub fn name(self) -> String {
        match self.api {
            Api::Struct => self.operation.name().to_owned(),
            Api::Trait => format!("trait {}", self.operation.name()),
        }
    }

    /// The scenario on the command line: `keep`, or `trait-keep`.
    #[must_use]
    pub fn arg(self) -> String {
        self.name().replace(' ', "-")
    }

    /// The scenario whose [`arg`](Self::arg) is `arg`, if any.
    #[must_use]
    pub fn from_arg(arg: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scenario| scenario.arg() == arg)
    }
}

/// How often `handle_layer` called each trait-API `Layer` method for one layer,
/// counted by the benchmark's `Layer` implementations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraitCalls {
    /// `Layer::create`.
    pub create: u32,
    /// `Layer::existing_layer_strategy`.
    pub existing_layer_strategy: u32,
    /// `Layer::migrate_incompatible_metadata`.
    pub migrate_incompatible_metadata: u32,
}

impl TraitCalls {
    /// Checks what `handle_layer` did for the layer `layer_name` in `operation`:
    /// these calls, and the returned layer data's types (`[launch, build, cache]`,
    /// `None` without types) and metadata.
    ///
    /// # Errors
    /// Calls other than [`Operation::expected_trait_calls`], types other than the
    /// benchmark `Layer`'s, or metadata other than [`Operation::expected_metadata`].
    pub fn check(
        self,
        operation: Operation,
        layer_name: &dyn std::fmt::Display,
        types: Option<[bool; 3]>,
        metadata: &LayerMetadata,
    ) -> Result<(), BenchError> {
        if self != operation.expected_trait_calls() {
            return Err(
                format!("{operation:?} {layer_name}: Layer methods called {self:?}").into(),
            );
        }
        if types != Some([LAYER_LAUNCH, LAYER_BUILD, true]) {
            return Err(format!("{operation:?} {layer_name}: returned types {types:?}").into());
        }
        if *metadata != operation.expected_metadata() {
            return Err(
                format!("{operation:?} {layer_name}: returned metadata {metadata:?}").into(),
            );
        }
        Ok(())
    }
}

/// `<layer>.toml` as the verification reads it, with no help from either library.
#[derive(Debug, Deserialize)]
struct WrittenLayerToml {
    types: Option<WrittenLayerTypes>,
    metadata: Option<LayerMetadata>,
}

#[derive(Debug, PartialEq, Eq, Deserialize)]
struct WrittenLayerTypes {
    #[serde(default)]
    launch: bool,
    #[serde(default)]
    build: bool,
    #[serde(default)]
    cache: bool,
}

/// A layer library under test, driven the way a buildpack drives it.
pub trait LayerApi {
    /// The library's `BuildContext` for the benchmark buildpack.
    type Context;
    /// The library's `LayerName`.
    type LayerName;

    /// A build context whose layers directory is `layers_dir`.
    ///
    /// # Errors
    /// The context could not be built.
    fn context(layers_dir: &Path) -> Result<Self::Context, BenchError>;

    /// Parses a layer name (outside the timed section: buildpacks use `layer_name!`).
    ///
    /// # Errors
    /// The name is not a valid layer name.
    fn layer_name(name: &str) -> Result<Self::LayerName, BenchError>;

    /// Calls `cached_layer` for every layer with one definition: build and launch
    /// as [`LAYER_BUILD`] and [`LAYER_LAUNCH`], the invalid-metadata callback
    /// answering `ReplaceMetadata(LayerMetadata::migrate(..))`, the restored-layer
    /// callback answering `KeepLayer`. A layer created empty gets
    /// [`LayerMetadata::current`] written.
    ///
    /// # Errors
    /// A library error, or a layer whose state is not the one `operation` implies
    /// (`Empty { NewlyCreated }` for [`Operation::Create`], `Restored` otherwise).
    fn handle_layers(
        context: &Self::Context,
        layer_names: &[Self::LayerName],
        operation: Operation,
    ) -> Result<(), BenchError>;

    /// Calls the deprecated `handle_layer` for every layer with a `Layer` whose
    /// types are [`LAYER_BUILD`], [`LAYER_LAUNCH`] and cache, whose `create`
    /// returns [`LayerMetadata::current`] (and writes no file),
    /// `existing_layer_strategy` answers `Keep`, and
    /// `migrate_incompatible_metadata` answers
    /// `ReplaceMetadata(LayerMetadata::migrate(..))`.
    ///
    /// # Errors
    /// A library error, `Layer` methods called other than
    /// [`Operation::expected_trait_calls`], or returned layer data without the
    /// `Layer`'s types or [`Operation::expected_metadata`].
    fn handle_trait_layers(
        context: &Self::Context,
        layer_names: &[Self::LayerName],
        operation: Operation,
    ) -> Result<(), BenchError>;
}

/// Runs `scenario` on every layer in `layer_names`: [`LayerApi::handle_layers`]
/// or [`LayerApi::handle_trait_layers`].
///
/// # Errors
/// Those of the called function.
pub fn handle<A: LayerApi>(
    context: &A::Context,
    layer_names: &[A::LayerName],
    scenario: Scenario,
) -> Result<(), BenchError> {
    match scenario.api {
        Api::Struct => A::handle_layers(context, layer_names, scenario.operation),
        Api::Trait => A::handle_trait_layers(context, layer_names, scenario.operation),
    }
}

/// Runs `scenario` once on `n` layers in a fresh temporary layers directory and
/// returns the time [`handle`] took. Preparing the fixture, building the
/// context, parsing names and verifying the result are not timed.
///
/// # Errors
/// Preparation, the operation or the verification failed.
pub fn run_once<A: LayerApi>(scenario: Scenario, n: usize) -> Result<Duration, BenchError> {
    let operation = scenario.operation;
    let layers_dir = tempfile::tempdir()?;
    operation.prepare(layers_dir.path(), n)?;
    let context = A::context(layers_dir.path())?;
    let layer_names = fixture::layer_names(n)
        .iter()
        .map(|name| A::layer_name(name))
        .collect::<Result<Vec<_>, _>>()?;

    let start = Instant::now();
    handle::<A>(&context, &layer_names, scenario)?;
    let elapsed = start.elapsed();

    operation.verify(layers_dir.path(), n)?;
    Ok(elapsed)
}

#[cfg(test)]
mod tests {
    use super::{Operation, Scenario, TraitCalls, run_once};
    use crate::metadata::LayerMetadata;
    use crate::upstream::Upstream;

    #[test]
    fn upstream_passes_every_scenario_and_its_check() {
        for scenario in Scenario::ALL {
            run_once::<Upstream>(scenario, 3).unwrap();
        }
    }

    #[cfg(feature = "lite")]
    #[test]
    fn lite_passes_every_scenario_and_its_check() {
        for scenario in Scenario::ALL {
            run_once::<crate::lite::Lite>(scenario, 3).unwrap();
        }
    }

    #[test]
    fn trait_check_rejects_other_calls_types_or_metadata() {
        let operation = Operation::Migrate;
        let calls = operation.expected_trait_calls();
        let types = Some([true, true, true]);
        let metadata = LayerMetadata::migrated();
        calls.check(operation, &"l", types, &metadata).unwrap();

        let kept_without_migration = TraitCalls {
            migrate_incompatible_metadata: 0,
            ..calls
        };
        assert!(
            kept_without_migration
                .check(operation, &"l", types, &metadata)
                .is_err()
        );
        assert!(calls.check(operation, &"l", None, &metadata).is_err());
        assert!(
            calls
                .check(operation, &"l", types, &LayerMetadata::current())
                .is_err()
        );
    }

    #[test]
    fn scenario_args_name_each_scenario_once() {
        for scenario in Scenario::ALL {
            assert_eq!(Scenario::from_arg(&scenario.arg()), Some(scenario));
        }
        assert_eq!(Scenario::ALL[4].arg(), "trait-keep");
        assert_eq!(Scenario::ALL[4].name(), "trait keep");
        assert_eq!(Scenario::from_arg("trait keep"), None);
    }

    #[test]
    fn check_rejects_layers_that_were_not_handled() {
        for operation in Operation::ALL {
            let layers_dir = tempfile::tempdir().unwrap();
            operation.prepare(layers_dir.path(), 3).unwrap();
            let error = operation.verify(layers_dir.path(), 3).unwrap_err();
            assert!(
                error.to_string().contains("layer-00000"),
                "{operation:?}: {error}"
            );
        }
    }
}
