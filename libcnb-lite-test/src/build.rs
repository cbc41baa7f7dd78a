//! The build phase ([spec: Build](https://github.com/buildpacks/spec/blob/main/buildpack.md#build),
//! [`buildpack/build.go`](https://github.com/buildpacks/lifecycle/blob/main/buildpack/build.go)): run each buildpack's `bin/build` in
//! group order with the
//! accumulated env, then apply the per-layer rules, extend the env from `build=true`
//! layers, read `build.toml`/`launch.toml`, check SBOMs, and finally lay out `<layers>/sbom`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::buildpack::Buildpack;
use crate::env::{DefaultAction, Env, InvocationContext, ReadEnvDirError, RootDirRules};
use crate::launch_toml::{LaunchConfig, LaunchToml, LaunchTomlError};
use crate::layer::{LayerToml, LayerTomlError, list_layers};
use crate::output::{Log, run_streaming};
use crate::plan::ResolvedPlan;

/// The build phase failed; nothing is exported or cached.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A buildpack's `bin/build` exited non-zero (the builder exits 51).
    #[error("buildpack {id}@{version} failed to build (exit code {})", code.map_or_else(|| "none: killed by a signal".to_owned(), |c| c.to_string()))]
    Failed {
        /// Buildpack ID.
        id: String,
        /// Buildpack version.
        version: String,
        /// The exit code, `None` for a signal.
        code: Option<i32>,
    },
    /// `bin/build` could not be started.
    #[error("cannot run {path}")]
    Spawn {
        /// The executable.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A `<layer>.toml` is invalid.
    #[error(transparent)]
    LayerToml(#[from] LayerTomlError),
    /// `launch.toml` is invalid.
    #[error(transparent)]
    LaunchToml(#[from] LaunchTomlError),
    /// `build.toml` is invalid or names an unmet entry that is not in the plan.
    #[error("invalid {path}: {problem}")]
    BuildToml {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// An SBOM file has an unsupported format or a media type the buildpack did not declare.
    #[error("invalid SBOM file {path}: {problem}")]
    Sbom {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// An env dir could not be read.
    #[error(transparent)]
    Env(#[from] ReadEnvDirError),
    /// The sandbox could not be prepared.
    #[error(transparent)]
    Sandbox(#[from] crate::sandbox::SandboxError),
    /// A build file could not be read or written.
    #[error("cannot access {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> BuildError + '_ {
    move |source| BuildError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What the build phase produced besides the layers on disk.
#[derive(Debug, Clone, Default)]
pub(crate) struct BuildOutcome {
    pub(crate) launch: LaunchConfig,
    pub(crate) slices: usize,
    pub(crate) warnings: Vec<String>,
}

#[derive(Deserialize, Default)]
struct BuildTomlFile {
    #[serde(default)]
    unmet: Vec<Unmet>,
}

#[derive(Deserialize)]
struct Unmet {
    #[serde(default)]
    name: String,
}

/// Runs the group's builds.
pub(crate) fn build(
    group: &[(usize, &Buildpack)],
    mut plan: ResolvedPlan,
    layers_dir: &Path,
    app_dir: &Path,
    base_env: Env,
    context: &InvocationContext<'_>,
    log: &Log<'_>,
) -> Result<BuildOutcome, BuildError> {
    let mut env = base_env;
    let mut outcome = BuildOutcome::default();
    for &(index, buildpack) in group {
        let esc = buildpack.escaped_id();
        let bp_dir = layers_dir.join(&esc);
        fs::create_dir_all(&bp_dir).map_err(io_error(&bp_dir))?;

        let bp_plan = plan.find(index);
        let plan_parent = tempfile::Builder::new()
            .prefix(&format!("{esc}-"))
            .tempdir()
            .map_err(io_error(&std::env::temp_dir()))?;
        let plan_dir = plan_parent.path().join(&esc);
        fs::create_dir_all(&plan_dir).map_err(io_error(&plan_dir))?;
        let plan_path = plan_dir.join("plan.toml");
        let plan_text = bp_plan.to_toml().map_err(|error| BuildError::Io {
            path: plan_path.clone(),
            source: io::Error::new(io::ErrorKind::InvalidData, error),
        })?;
        fs::write(&plan_path, plan_text).map_err(io_error(&plan_path))?;

        let mut invocation_env = context.env_for(&env, buildpack)?;
        if buildpack.api.at_least(0, 8) {
            invocation_env.insert("CNB_BP_PLAN_PATH", plan_path.as_os_str());
            invocation_env.insert("CNB_LAYERS_DIR", bp_dir.as_os_str());
        }
        let executable = buildpack.dir.join("bin").join("build");
        log.info(&format!(
            "Running build for buildpack {}@{}",
            buildpack.id, buildpack.version
        ));
        context.sandbox.give(&bp_dir)?;
        context.sandbox.give(plan_parent.path())?;
        let mut command = context.sandbox.command(
            &executable,
            &[
                bp_dir.as_os_str(),
                context.platform_dir.as_os_str(),
                plan_path.as_os_str(),
            ],
            app_dir,
            &invocation_env,
            &[plan_parent.path()],
        )?;
        let status = log.step(&format!("building {}", buildpack.id), || {
            run_streaming(&mut command, log)
        });
        let status = status.map_err(|source| BuildError::Spawn {
            path: executable.clone(),
            source,
        })?;
        if !status.success() {
            return Err(BuildError::Failed {
                id: buildpack.id.clone(),
                version: buildpack.version.clone(),
                code: status.code(),
            });
        }

        // build.toml: unmet entries stay in the plan for the next provider.
        let plan_names: Vec<String> = bp_plan.entries.iter().map(|e| e.name.clone()).collect();
        let met = met_entries(&bp_dir.join("build.toml"), plan_names)?;
        plan.remove_met(&met);

        let launch = LaunchToml::read(&bp_dir.join("launch.toml"), buildpack.api, &buildpack.id)?;
        outcome.slices += launch.slices;
        for warning in outcome.launch.add(launch) {
            log.warn(&warning);
            outcome.warnings.push(warning);
        }

        apply_layer_rules(&bp_dir, &mut env)?;
        check_sboms(buildpack, &bp_dir)?;
    }
    if let Err(bad) = outcome.launch.validate() {
        return Err(BuildError::LaunchToml(LaunchTomlError::Invalid {
            path: layers_dir.to_path_buf(),
            rule: format!("process type {bad:?} is empty or contains one of /><:|&\\"),
        }));
    }
    lay_out_sboms(group, layers_dir)?;
    Ok(outcome)
}

/// Reads `build.toml` and returns the plan entries this buildpack met (all but `[[unmet]]`).
fn met_entries(path: &Path, plan_names: Vec<String>) -> Result<Vec<String>, BuildError> {
    let build_toml: BuildTomlFile = match fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|error| BuildError::BuildToml {
            path: path.to_path_buf(),
            problem: error.message().to_owned(),
        })?,
        Err(error) if error.kind() == io::ErrorKind::NotFound => BuildTomlFile::default(),
        Err(source) => {
            return Err(BuildError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    for unmet in &build_toml.unmet {
        if unmet.name.is_empty() || !plan_names.contains(&unmet.name) {
            return Err(BuildError::BuildToml {
                path: path.to_path_buf(),
                problem: format!(
                    "unmet plan entry {:?} is not in the buildpack plan",
                    unmet.name
                ),
            });
        }
    }
    Ok(plan_names
        .into_iter()
        .filter(|name| !build_toml.unmet.iter().any(|u| &u.name == name))
        .collect())
}

/// Renames all-false layers to `<layer>.ignore`, leaves toml-less dirs alone, then extends
/// `env` from `build=true` layers in `"<name>.toml"` order: root dirs, `env/`, `env.build/`.
fn apply_layer_rules(bp_dir: &Path, env: &mut Env) -> Result<(), BuildError> {
    let mut build_layers = Vec::new();
    for name in list_layers(bp_dir).map_err(io_error(bp_dir))? {
        let Some(layer) = LayerToml::read(&bp_dir.join(format!("{name}.toml")))? else {
            continue; // no toml: left alone, never exported, cached or put on the env
        };
        if layer.types.is_ignored() {
            let dir = bp_dir.join(&name);
            if dir.is_dir() {
                let ignored = bp_dir.join(format!("{name}.ignore"));
                fs::rename(&dir, &ignored).map_err(io_error(&dir))?;
            }
        } else if layer.types.build {
            build_layers.push(format!("{name}.toml"));
        }
    }
    build_layers.sort();
    for toml_name in build_layers {
        let layer_dir = bp_dir.join(&toml_name[..toml_name.len() - ".toml".len()]);
        env.add_root_dirs(&layer_dir, RootDirRules::Build);
        env.apply_env_dir(&layer_dir.join("env"), DefaultAction::Override)?;
        env.apply_env_dir(&layer_dir.join("env.build"), DefaultAction::Override)?;
    }
    Ok(())
}

/// The SBOM files of a buildpack dir: (layer or `launch`/`build`, extension e.g. `cdx.json`).
fn sbom_files(bp_dir: &Path) -> Result<Vec<(String, String, PathBuf)>, BuildError> {
    let mut files = Vec::new();
    for entry in fs::read_dir(bp_dir).map_err(io_error(bp_dir))? {
        let entry = entry.map_err(io_error(bp_dir))?;
        let Ok(file_name) = entry.file_name().into_string() else {
            continue;
        };
        let Some((name, rest)) = file_name.split_once('.') else {
            continue;
        };
        let Some(ext) = rest.strip_prefix("sbom.") else {
            continue;
        };
        if ext.len() > ".json".len() && ext.to_ascii_lowercase().ends_with(".json") {
            files.push((name.to_owned(), ext.to_owned(), entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

fn check_sboms(buildpack: &Buildpack, bp_dir: &Path) -> Result<(), BuildError> {
    for (_, ext, path) in sbom_files(bp_dir)? {
        let media_type = match ext.as_str() {
            "cdx.json" => "application/vnd.cyclonedx+json",
            "spdx.json" => "application/spdx+json",
            "syft.json" => "application/vnd.syft+json",
            _ => {
                return Err(BuildError::Sbom {
                    path,
                    problem: "unsupported format; use cdx.json, spdx.json or syft.json".into(),
                });
            }
        };
        if !buildpack.sbom_formats.iter().any(|f| f == media_type) {
            return Err(BuildError::Sbom {
                path,
                problem: format!(
                    "undeclared SBOM media type {media_type}; add it to sbom-formats in buildpack.toml"
                ),
            });
        }
    }
    Ok(())
}

/// Copies SBOMs to `<layers>/sbom/{launch,build,cache}/<esc-bp>/…`, where the exporter
/// looks for them ([`phase/builder.go`](https://github.com/buildpacks/lifecycle/blob/main/phase/builder.go)).
/// `launch.sbom.*` and `build.sbom.*` go to `launch`/`build`; a layer's SBOM goes to
/// `launch` if it is a launch layer, else `build`, and also to `cache` if it is cached.
fn lay_out_sboms(group: &[(usize, &Buildpack)], layers_dir: &Path) -> Result<(), BuildError> {
    let sbom_root = layers_dir.join("sbom");
    for &(_, buildpack) in group {
        let esc = buildpack.escaped_id();
        let bp_dir = layers_dir.join(&esc);
        for (name, ext, path) in sbom_files(&bp_dir)? {
            let file = format!("sbom.{ext}");
            let mut targets = Vec::new();
            if name == "launch" || name == "build" {
                targets.push(sbom_root.join(&name).join(&esc).join(&file));
            } else {
                let Some(layer) = LayerToml::read(&bp_dir.join(format!("{name}.toml")))? else {
                    continue;
                };
                let kind = if layer.types.launch {
                    "launch"
                } else {
                    "build"
                };
                targets.push(sbom_root.join(kind).join(&esc).join(&name).join(&file));
                if layer.types.cache {
                    targets.push(sbom_root.join("cache").join(&esc).join(&name).join(&file));
                }
            }
            for target in targets {
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(io_error(parent))?;
                }
                fs::copy(&path, &target).map_err(io_error(&target))?;
            }
        }
    }
    Ok(())
}
