//! The build: venv layer, cached resolution, one cached layer per distribution, pruning, and
//! the `.pth` file that wires it all up.

use crate::config::Strategy;
use crate::messages::{package_layer_line, seconds, summary_line};
use crate::metadata::{
    DistributionRecord, InvalidMetadataCause, PackagesMetadata, RestoredCause, inspect_restored,
    invalid_metadata,
};
use crate::pip_driver::PipDriver;
use crate::python::Python;
use crate::requirements::key_inputs;
use crate::resolution::{
    self, Distribution, RESOLUTION_FILE, Resolution, ResolutionCause, ResolutionKey,
    ResolutionMetadata,
};
use crate::venv::{self, Venv, VenvMetadata};
use crate::{PythonPackagesError, PythonPerPackageBuildpack};
use libcnb_lite::Target;
use libcnb_lite::build::BuildContext;
use libcnb_lite::data::layer_name;
use libcnb_lite::generic::GenericMetadata;
use libcnb_lite::layer::{
    CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerRef, LayerState,
};
use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
use libcnb_lite::layer_set::{LayerPlan, PlannedLayer, SetItem};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

type Context = BuildContext<PythonPerPackageBuildpack>;
type Error = libcnb_lite::Error<PythonPackagesError>;

/// The requirements file, relative to the app directory.
pub(crate) const REQUIREMENTS: &str = "requirements.txt";

/// Installs the app's requirements into package layers and wires them into the venv.
pub(crate) fn install_packages(
    context: &Context,
    python: &Python,
    strategy: Strategy,
) -> Result<(), Error> {
    let target = target_text(&context.target);
    let venv = venv_layer(context, python)?;
    let mut pip = LazyPipDriver {
        venv_python: venv.python(),
        pip_dir: python.pip_dir.clone(),
        app_dir: context.app_dir.clone(),
        driver: None,
    };

    let resolution = resolve(context, python, &target, &mut pip)?;
    let set = strategy.layer_set();
    let plan = set
        .plan(
            resolution.distributions.iter().map(|dist| {
                SetItem::new(dist.name.clone(), u32::from(dist.requested), dist.clone())
            }),
        )
        .map_err(PythonPackagesError::LayerSet)?;

    let (reused, pending) = handle_package_layers(context, &plan, python, &target)?;
    let installed: usize = pending.iter().map(|(layer, ..)| layer.items().len()).sum();
    let install_time = install(context, &mut pip, pending)?;
    pip.finish()?;

    for name in set
        .prune(context, &plan)
        .map_err(PythonPackagesError::PruneLayers)?
    {
        println!("{name}: removed (no longer required)");
    }
    let site_dirs: Vec<PathBuf> = plan
        .layers()
        .iter()
        .map(|layer| {
            context
                .layers_dir
                .join(layer.name().as_str())
                .join("site-packages")
        })
        .collect();
    venv.write_pth(&site_dirs)
        .map_err(PythonPackagesError::Venv)?;
    println!("{}", summary_line(reused, installed, install_time));
    Ok(())
}

/// A package layer that `cached_layer` left empty, with the metadata to write once its
/// distributions are installed.
type PendingLayer<'plan> = (
    &'plan PlannedLayer<Distribution>,
    LayerRef<PythonPerPackageBuildpack, InvalidMetadataCause, RestoredCause>,
    PackagesMetadata,
);

/// Handles each planned package layer with `cached_layer` and prints what happened to it;
/// returns the number of distributions in kept layers, and the layers to install.
fn handle_package_layers<'plan>(
    context: &Context,
    plan: &'plan LayerPlan<Distribution>,
    python: &Python,
    target: &str,
) -> Result<(usize, Vec<PendingLayer<'plan>>), Error> {
    let mut reused = 0;
    let mut pending = Vec::new();
    for layer in plan.layers() {
        let expected = layer_metadata(layer, python, target);
        let layer_ref = context.cached_layer(
            layer.name(),
            CachedLayerDefinition {
                build: true,
                launch: true,
                invalid_metadata: &invalid_metadata,
                inspect_restored: &|restored: &PackagesMetadata, _: &Path| {
                    inspect_restored(&expected, restored)
                },
            },
        )?;
        println!(
            "{}",
            package_layer_line(layer.name().as_str(), layer.items(), &layer_ref.state)
        );
        match layer_ref.state {
            LayerState::Restored { .. } => reused += layer.items().len(),
            LayerState::Empty { .. } => pending.push((layer, layer_ref, expected)),
        }
    }
    Ok((reused, pending))
}

/// Installs the distributions of the pending layers with one pip run, then writes their
/// metadata; returns how long that took.
fn install(
    context: &Context,
    pip: &mut LazyPipDriver,
    pending: Vec<PendingLayer<'_>>,
) -> Result<Duration, Error> {
    if pending.is_empty() {
        return Ok(Duration::ZERO);
    }
    let start = Instant::now();
    let staging = tempfile::Builder::new()
        .prefix(".pip-staging-")
        .tempdir_in(&context.layers_dir)
        .map_err(|source| PythonPackagesError::TempDir {
            dir: context.layers_dir.clone(),
            source,
        })?;
    let mut artifacts = Vec::new();
    let mut targets = BTreeMap::new();
    for (layer, layer_ref, _) in &pending {
        for dist in layer.items() {
            artifacts.push(dist.url_with_hash());
            targets.insert(dist.name.clone(), layer_ref.path());
        }
    }
    let done = pip
        .get()?
        .install(staging.path(), &artifacts, &targets)
        .map_err(PythonPackagesError::PipDriver)?;
    let placing: Duration = done.placed.values().map(|placed| placed.duration).sum();
    let files: usize = done.placed.values().map(|placed| placed.files).sum();
    println!(
        "pip installed {} in {}; {} moved into {} and compiled in {}",
        count(artifacts.len(), "distribution"),
        seconds(done.pip),
        count(files, "file"),
        count(pending.len(), "layer"),
        seconds(placing)
    );
    for (_, layer_ref, expected) in pending {
        layer_ref.write_metadata(expected)?;
    }
    Ok(start.elapsed())
}

/// Writes `file` through a temporary file in the same directory, so that a build that dies
/// half-way never leaves a torn resolution behind.
fn write_atomically(file: &Path, contents: &[u8]) -> Result<(), PythonPackagesError> {
    let write_error = |source| PythonPackagesError::Write {
        path: file.to_path_buf(),
        source,
    };
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
    temp.write_all(contents).map_err(write_error)?;
    temp.persist(file)
        .map_err(|error| write_error(error.error))?;
    Ok(())
}

/// `1 layer`, `2 layers`.
fn count(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The venv layer: kept while the interpreter is the same, recreated otherwise.
fn venv_layer(context: &Context, python: &Python) -> Result<Venv, Error> {
    let expected = VenvMetadata::of(python);
    let layer_ref = context.cached_layer(
        layer_name!("venv"),
        CachedLayerDefinition {
            build: true,
            launch: true,
            invalid_metadata: &|_: &GenericMetadata| InvalidMetadataAction::DeleteLayer,
            inspect_restored: &|restored: &VenvMetadata, _: &Path| {
                venv::inspect_restored(&expected, restored)
            },
        },
    )?;
    let venv = Venv::in_layer(&layer_ref.path());
    match &layer_ref.state {
        LayerState::Restored { .. } => println!("venv: reused"),
        LayerState::Empty { cause } => {
            match cause {
                EmptyLayerCause::InspectRestoredAction { cause } => {
                    println!("venv: creating ({cause})");
                }
                _ => println!("venv: creating"),
            }
            venv.create(python).map_err(PythonPackagesError::Venv)?;
            let bin = venv.dir().join("bin");
            layer_ref.write_env(
                LayerEnv::new()
                    .chainable_insert(Scope::All, ModificationBehavior::Prepend, "PATH", &bin)
                    .chainable_insert(Scope::All, ModificationBehavior::Delimiter, "PATH", ":"),
            )?;
            layer_ref.write_metadata(expected)?;
        }
    }
    Ok(venv)
}

/// The resolution: from the `resolution` layer if its key matches, else from pip.
fn resolve(
    context: &Context,
    python: &Python,
    target: &str,
    pip: &mut LazyPipDriver,
) -> Result<Resolution, Error> {
    let inputs = key_inputs(&context.app_dir, Path::new(REQUIREMENTS))
        .map_err(PythonPackagesError::ReadInputs)?;
    let key = ResolutionKey::new(
        &python.identity(),
        &python.pip_version,
        target,
        &context.app_dir.to_string_lossy(),
        &inputs,
    );
    let layer_ref = context.cached_layer(
        layer_name!("resolution"),
        CachedLayerDefinition {
            build: false,
            launch: false,
            invalid_metadata: &|_: &GenericMetadata| {
                (
                    InvalidMetadataAction::DeleteLayer,
                    ResolutionCause::MetadataUnrecognised,
                )
            },
            inspect_restored: &|restored: &ResolutionMetadata, dir: &Path| {
                resolution::inspect_restored(&key, restored, dir)
            },
        },
    )?;
    let file = layer_ref.path().join(RESOLUTION_FILE);
    if let LayerState::Restored { .. } = layer_ref.state {
        let cached = fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Resolution>(&bytes).ok())
            .filter(|cached| cached.key == key);
        if let Some(cached) = cached {
            println!(
                "Resolution: {} distributions, cached ({})",
                cached.distributions.len(),
                ResolutionCause::Unchanged
            );
            return Ok(cached);
        }
    }

    let reason = match &layer_ref.state {
        LayerState::Empty {
            cause:
                EmptyLayerCause::InspectRestoredAction { cause }
                | EmptyLayerCause::InvalidMetadataAction { cause },
        } => format!(" ({cause})"),
        _ => String::new(),
    };
    let report_dir = tempfile::tempdir().map_err(|source| PythonPackagesError::TempDir {
        dir: std::env::temp_dir(),
        source,
    })?;
    let report_path = report_dir.path().join("report.json");
    let duration = pip
        .get()?
        .resolve(Path::new(REQUIREMENTS), &report_path)
        .map_err(PythonPackagesError::PipDriver)?;
    let report = fs::read(&report_path).map_err(|source| PythonPackagesError::Read {
        path: report_path.clone(),
        source,
    })?;
    let resolution =
        Resolution::from_pip_report(key.clone(), &report).map_err(PythonPackagesError::Report)?;
    println!(
        "Resolution: {} distributions, resolved with pip {} in {}{reason}",
        resolution.distributions.len(),
        python.pip_version,
        seconds(duration)
    );

    let json = serde_json::to_vec_pretty(&resolution).map_err(PythonPackagesError::Serialize)?;
    write_atomically(&file, &json)?;
    layer_ref.write_metadata(ResolutionMetadata { key })?;
    Ok(resolution)
}

/// The expected metadata of a planned package layer.
fn layer_metadata(
    layer: &PlannedLayer<Distribution>,
    python: &Python,
    target: &str,
) -> PackagesMetadata {
    PackagesMetadata {
        python: python.identity(),
        target: target.to_string(),
        distributions: layer
            .items()
            .iter()
            .map(|dist| DistributionRecord {
                name: dist.name.clone(),
                version: dist.version.clone(),
                sha256: dist.sha256.clone(),
            })
            .collect(),
    }
}

/// The target as recorded in metadata: `linux/amd64 ubuntu 24.04`, or
/// `linux/arm64/v8 ubuntu 24.04` with a variant.
fn target_text(target: &Target) -> String {
    let variant = target
        .arch_variant
        .as_ref()
        .map(|variant| format!("/{variant}"))
        .unwrap_or_default();
    format!(
        "{}/{}{variant} {} {}",
        target.os, target.arch, target.distro_name, target.distro_version
    )
}

/// The pip driver, started the first time it is needed: a build that needs neither a
/// resolution nor an installation runs no pip at all.
struct LazyPipDriver {
    venv_python: PathBuf,
    pip_dir: PathBuf,
    app_dir: PathBuf,
    driver: Option<PipDriver>,
}

impl LazyPipDriver {
    fn get(&mut self) -> Result<&mut PipDriver, Error> {
        match &mut self.driver {
            Some(driver) => Ok(driver),
            slot @ None => Ok(slot.insert(
                PipDriver::start(&self.venv_python, &self.pip_dir, &self.app_dir)
                    .map_err(PythonPackagesError::PipDriver)?,
            )),
        }
    }

    fn finish(self) -> Result<(), Error> {
        match self.driver {
            Some(driver) => Ok(driver.finish().map_err(PythonPackagesError::PipDriver)?),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::target_text;
    use libcnb_lite::Target;

    #[test]
    fn target_text_includes_the_variant_when_there_is_one() {
        let mut target = Target {
            os: "linux".into(),
            arch: "arm64".into(),
            arch_variant: None,
            distro_name: "ubuntu".into(),
            distro_version: "24.04".into(),
        };
        assert_eq!(target_text(&target), "linux/arm64 ubuntu 24.04");
        target.arch_variant = Some("v8".into());
        assert_eq!(target_text(&target), "linux/arm64/v8 ubuntu 24.04");
    }
}
