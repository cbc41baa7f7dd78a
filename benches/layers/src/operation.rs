//! The benchmarked operations, the trait each library implements to run them,
//! and the timed run of one operation.

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
            Self::Create => 0.7,
            Self::Keep | Self::Migrate => 0.33,
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

    /// Checks that the operation left every layer as the CNB spec wants it:
    /// `<layer>.toml` has the `[types]` of the definition and the expected
    /// metadata, and the layer directory holds the restored files (or nothing,
    /// for a created layer). Independent of either library.
    ///
    /// # Errors
    /// The first layer that is not as expected, or an I/O error.
    pub fn verify(self, layers_dir: &Path, n: usize) -> Result<(), BenchError> {
        let expected_metadata = match self {
            Self::Create | Self::Keep => LayerMetadata::current(),
            Self::Migrate => LayerMetadata::migrated(),
        };
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
}

/// Runs `operation` once on `n` layers in a fresh temporary layers directory and
/// returns the time [`LayerApi::handle_layers`] took. Preparing the fixture,
/// building the context, parsing names and verifying the result are not timed.
///
/// # Errors
/// Preparation, the operation or the verification failed.
pub fn run_once<A: LayerApi>(operation: Operation, n: usize) -> Result<Duration, BenchError> {
    let layers_dir = tempfile::tempdir()?;
    operation.prepare(layers_dir.path(), n)?;
    let context = A::context(layers_dir.path())?;
    let layer_names = fixture::layer_names(n)
        .iter()
        .map(|name| A::layer_name(name))
        .collect::<Result<Vec<_>, _>>()?;

    let start = Instant::now();
    A::handle_layers(&context, &layer_names, operation)?;
    let elapsed = start.elapsed();

    operation.verify(layers_dir.path(), n)?;
    Ok(elapsed)
}

#[cfg(test)]
mod tests {
    use super::{Operation, run_once};
    use crate::upstream::Upstream;

    #[test]
    fn upstream_passes_every_operation_and_its_check() {
        for operation in Operation::ALL {
            run_once::<Upstream>(operation, 3).unwrap();
        }
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
