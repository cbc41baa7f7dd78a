//! The build: venv layer, cached resolution, one cached layer per distribution, pruning, and
//! the `.pth` file that wires it all up.

use crate::config::Strategy;
use crate::messages::{package_layer_line, seconds, summary_line};
use crate::metadata::{
    DistributionRecord, InvalidMetadataCause, PackagesMetadata, RestoredCause, inspect_restored,
    invalid_metadata,
};
use crate::pins::{self, Pin, Requirements};
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
    CachedLayerDefinition, EmptyLayerCause, InspectRestoredAction, InvalidMetadataAction, LayerRef,
    LayerState,
};
use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
use libcnb_lite::layer_set::{LayerPlan, PlannedLayer, SetItem};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
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
    let wheels = wheel_cache(context, &resolution)?;
    let install_time = install(context, &mut pip, pending, wheels.as_deref())?;
    pip.finish()?;
    if let Some(wheels) = &wheels {
        prune_wheel_cache(wheels, &resolution)?;
    }

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
    wheel_cache: Option<&Path>,
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
        .install(staging.path(), &artifacts, &targets, wheel_cache)
        .map_err(PythonPackagesError::PipDriver)?;
    if done.downloaded + done.from_wheel_cache > 0 {
        println!(
            "Wheel cache: {} downloaded, {} already there",
            count(done.downloaded, "wheel"),
            done.from_wheel_cache
        );
    }
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

/// The `wheels` layer (cache only) when some artifact is remote: downloaded wheels by
/// `<sha256>/<file name>`, so that reinstalling a package never downloads it again.
fn wheel_cache(context: &Context, resolution: &Resolution) -> Result<Option<PathBuf>, Error> {
    let remote = resolution
        .distributions
        .iter()
        .any(|dist| dist.url.starts_with("http://") || dist.url.starts_with("https://"));
    if !remote {
        return Ok(None);
    }
    let layer_ref = context.cached_layer(
        layer_name!("wheels"),
        CachedLayerDefinition {
            build: false,
            launch: false,
            invalid_metadata: &|_: &GenericMetadata| InvalidMetadataAction::DeleteLayer,
            inspect_restored: &|_: &WheelCacheMetadata, _: &Path| InspectRestoredAction::KeepLayer,
        },
    )?;
    if let LayerState::Empty { .. } = layer_ref.state {
        layer_ref.write_metadata(WheelCacheMetadata { format: 1 })?;
    }
    Ok(Some(layer_ref.path()))
}

/// The metadata of the `wheels` layer: its layout's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WheelCacheMetadata {
    format: u32,
}

/// Removes the cached wheels the resolution no longer has, so the cache holds one set.
fn prune_wheel_cache(dir: &Path, resolution: &Resolution) -> Result<(), PythonPackagesError> {
    let entries = fs::read_dir(dir).map_err(|source| PythonPackagesError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let path = entry
            .map_err(|source| PythonPackagesError::Read {
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        if !resolution
            .distributions
            .iter()
            .any(|dist| dist.sha256 == name)
        {
            fs::remove_dir_all(&path)
                .map_err(|source| PythonPackagesError::Write { path, source })?;
        }
    }
    Ok(())
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

/// The resolution: from the `resolution` layer if its key matches; for a pinned lock file,
/// the cached one with the changed pins looked up (no resolver, see [`crate::pins`]); else
/// from pip's resolver.
fn resolve(
    context: &Context,
    python: &Python,
    target: &str,
    pip: &mut LazyPipDriver,
) -> Result<Resolution, Error> {
    let inputs = key_inputs(&context.app_dir, Path::new(REQUIREMENTS))
        .map_err(PythonPackagesError::ReadInputs)?;
    let key_of = |inputs: &[String]| {
        ResolutionKey::new(
            &python.identity(),
            &python.pip_version,
            target,
            &context.app_dir.to_string_lossy(),
            inputs,
        )
    };
    let key = key_of(&inputs);
    let requirements_path = context.app_dir.join(REQUIREMENTS);
    let text =
        fs::read_to_string(&requirements_path).map_err(|source| PythonPackagesError::Read {
            path: requirements_path.clone(),
            source,
        })?;
    let requirements = pins::classify(&text);
    // A lock file's key leaves out its pins (the first input is the file's hash) but keeps
    // its options and the find-links contents: a bump keeps the cached resolution.
    let pinned_key = match &requirements {
        Requirements::Pinned { options, .. } => {
            let mut pinned_inputs = vec!["pinned lock file".to_string()];
            pinned_inputs.extend(options.iter().map(|option| format!("option {option}")));
            pinned_inputs.extend(inputs.iter().skip(1).cloned());
            Some(key_of(&pinned_inputs))
        }
        Requirements::NotPinned(_) => None,
    };
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
                let expected = pinned_key
                    .as_ref()
                    .filter(|pinned| **pinned == restored.key)
                    .unwrap_or(&key);
                resolution::inspect_restored(expected, restored, dir)
            },
        },
    )?;
    let file = layer_ref.path().join(RESOLUTION_FILE);
    let mut reason = match &layer_ref.state {
        LayerState::Empty {
            cause:
                EmptyLayerCause::InspectRestoredAction { cause }
                | EmptyLayerCause::InvalidMetadataAction { cause },
        } => format!(" ({cause})"),
        _ => String::new(),
    };
    if let LayerState::Restored { .. } = layer_ref.state {
        let cached = fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Resolution>(&bytes).ok());
        if let Some(cached) = cached.as_ref().filter(|cached| cached.key == key) {
            println!(
                "Resolution: {} distributions, cached ({})",
                cached.distributions.len(),
                ResolutionCause::Unchanged
            );
            return Ok(cached.clone());
        }
        if let (Some(cached), Requirements::Pinned { options, pins }) = (cached, &requirements) {
            if Some(&cached.key) == pinned_key.as_ref() {
                match update_pins(pip, cached, options, pins)? {
                    Ok((resolution, changed)) => {
                        if changed {
                            let json = serde_json::to_vec_pretty(&resolution)
                                .map_err(PythonPackagesError::Serialize)?;
                            write_atomically(&file, &json)?;
                        }
                        return Ok(resolution);
                    }
                    Err(why) => reason = format!(" ({why})"),
                }
            }
        }
    }
    if let Requirements::NotPinned(line) = &requirements {
        let _ = write!(reason, " (with the resolver: `{line}` is not a pin)");
    }
    let resolution = resolve_with_pip(python, pip, key, &requirements, pinned_key, reason)?;
    let json = serde_json::to_vec_pretty(&resolution).map_err(PythonPackagesError::Serialize)?;
    write_atomically(&file, &json)?;
    layer_ref.write_metadata(ResolutionMetadata {
        key: resolution.key.clone(),
    })?;
    Ok(resolution)
}

/// Runs pip's resolver on `requirements.txt`; a lock file whose resolution is exactly its
/// pins gets `pinned_key`, so that later builds look up changed pins only.
fn resolve_with_pip(
    python: &Python,
    pip: &mut LazyPipDriver,
    key: ResolutionKey,
    requirements: &Requirements,
    pinned_key: Option<ResolutionKey>,
    mut reason: String,
) -> Result<Resolution, Error> {
    let report_dir = tempfile::tempdir().map_err(|source| PythonPackagesError::TempDir {
        dir: std::env::temp_dir(),
        source,
    })?;
    let report_path = report_dir.path().join("report.json");
    let duration = pip
        .get()?
        .resolve(Path::new(REQUIREMENTS), &report_path, false)
        .map_err(PythonPackagesError::PipDriver)?;
    let report = fs::read(&report_path).map_err(|source| PythonPackagesError::Read {
        path: report_path.clone(),
        source,
    })?;
    let mut resolution =
        Resolution::from_pip_report(key, &report).map_err(PythonPackagesError::Report)?;
    if let (Requirements::Pinned { pins, .. }, Some(pinned_key)) = (requirements, pinned_key) {
        let unpinned = resolution
            .distributions
            .iter()
            .filter(|dist| {
                !pins
                    .iter()
                    .any(|pin| pin.name == dist.name && pin.version == dist.version)
            })
            .count();
        if unpinned == 0 && resolution.distributions.len() == pins.len() {
            resolution.key = pinned_key;
            reason.push_str(
                "; every distribution is pinned, so later builds look up changed pins only",
            );
        } else {
            let _ = write!(
                reason,
                "; {unpinned} of them not pinned in {REQUIREMENTS}, so every change resolves again"
            );
        }
    }
    println!(
        "Resolution: {} distributions, resolved with pip {} in {}{reason}",
        resolution.distributions.len(),
        python.pip_version,
        seconds(duration)
    );
    Ok(resolution)
}

/// The cached resolution of a lock file with its changed pins looked up with
/// `pip install --dry-run --no-deps` (no resolver); `Err(why)` when the lock file's set of
/// distributions changed, which needs the resolver.
fn update_pins(
    pip: &mut LazyPipDriver,
    cached: Resolution,
    options: &[String],
    pins: &[Pin],
) -> Result<Result<(Resolution, bool), String>, Error> {
    let same_names = cached.distributions.len() == pins.len()
        && pins.iter().all(|pin| {
            cached
                .distributions
                .iter()
                .any(|dist| dist.name == pin.name)
        });
    if !same_names {
        return Ok(Err("pins added or removed".to_string()));
    }
    let changed: Vec<&Pin> = pins
        .iter()
        .filter(|pin| {
            cached.distributions.iter().any(|dist| {
                dist.name == pin.name
                    && (dist.version != pin.version
                        || (!pin.hashes.is_empty() && !pin.hashes.contains(&dist.sha256)))
            })
        })
        .collect();
    if changed.is_empty() {
        println!(
            "Resolution: {} distributions, cached (pins unchanged)",
            cached.distributions.len()
        );
        return Ok(Ok((cached, false)));
    }
    // The changed pins alone, with the file's options; relative find-links resolve against
    // pip's working directory, the app dir, as they do for the app's file.
    let dir = tempfile::tempdir().map_err(|source| PythonPackagesError::TempDir {
        dir: std::env::temp_dir(),
        source,
    })?;
    let lookup = dir.path().join(REQUIREMENTS);
    let mut text = options.join("\n");
    for pin in &changed {
        text.push('\n');
        text.push_str(&pin.line);
    }
    text.push('\n');
    write_atomically(&lookup, text.as_bytes())?;
    let report_path = dir.path().join("report.json");
    let duration = pip
        .get()?
        .resolve(&lookup, &report_path, true)
        .map_err(PythonPackagesError::PipDriver)?;
    let report = fs::read(&report_path).map_err(|source| PythonPackagesError::Read {
        path: report_path.clone(),
        source,
    })?;
    let found = Resolution::from_pip_report(cached.key.clone(), &report)
        .map_err(PythonPackagesError::Report)?;
    let mut distributions = cached.distributions;
    for dist in &mut distributions {
        if let Some(new) = found.distributions.iter().find(|new| new.name == dist.name) {
            *dist = Distribution {
                requested: true,
                ..new.clone()
            };
        }
    }
    println!(
        "Resolution: {} distributions, {} changed pin(s) looked up with pip --no-deps in {} \
         (every requirement is pinned: no resolver)",
        distributions.len(),
        changed.len(),
        seconds(duration)
    );
    Ok(Ok((
        Resolution {
            key: cached.key,
            distributions,
        },
        true,
    )))
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
