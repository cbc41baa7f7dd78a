//! The detect phase ([spec: Detection](https://github.com/buildpacks/spec/blob/main/buildpack.md#detection)): run every buildpack's `bin/detect` concurrently, classify exit
//! codes, read plans, and resolve the group.

use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::buildpack::Buildpack;
use crate::env::{Env, InvocationContext, ReadEnvDirError};
use crate::output::Log;
use crate::plan::{self, BuildPlan, DetectedPlan, ResolvedPlan};

/// How one buildpack's detect ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetectResult {
    /// Exit code 0 and a valid plan.
    Pass,
    /// Exit code 100.
    Fail,
    /// Any other exit code (`None` for a signal), a failure to run, or an invalid plan.
    Error(Option<i32>),
    /// Not run: the buildpack's `exec-env` excludes this build's `CNB_EXEC_ENV`
    /// (Platform API ≥ 0.15).
    Skipped,
}

impl fmt::Display for DetectResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pass => f.write_str("pass"),
            Self::Fail => f.write_str("fail"),
            Self::Error(Some(code)) => write!(f, "err ({code})"),
            Self::Error(None) => f.write_str("err (signal)"),
            Self::Skipped => f.write_str("skip"),
        }
    }
}

/// One buildpack's detect run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectRun {
    /// Buildpack ID.
    pub id: String,
    /// Buildpack version.
    pub version: String,
    /// How it ended.
    pub result: DetectResult,
    /// Its stdout and stderr, merged.
    pub output: String,
}

/// The detect result of a group.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DetectOutcome {
    /// Every run, in group order.
    pub runs: Vec<DetectRun>,
    /// The group indexes of the buildpacks that will build, in order.
    pub group: Vec<usize>,
    /// The resolved plan.
    pub plan: ResolvedPlan,
}

/// Detection failed for the group.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// No buildpack errored, but the group did not pass (the detector's exit code 20).
    #[error("no buildpack group passed detection:\n{}", summary(.runs))]
    Failed {
        /// Every run.
        runs: Vec<DetectRun>,
    },
    /// The group failed and at least one buildpack errored (the detector's exit code 21).
    #[error("buildpack detection errored:\n{}", summary(.runs))]
    Errored {
        /// Every run.
        runs: Vec<DetectRun>,
    },
    /// A plan file could not be created.
    #[error("cannot create plan file {path}")]
    CreatePlan {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// An env dir could not be read.
    #[error(transparent)]
    Env(#[from] ReadEnvDirError),
    /// The sandbox could not be prepared.
    #[error(transparent)]
    Sandbox(#[from] crate::sandbox::SandboxError),
}

fn summary(runs: &[DetectRun]) -> String {
    runs.iter()
        .map(|run| format!("  {}: {}@{}", run.result, run.id, run.version))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs detect for `group` and resolves its plans.
pub(crate) fn detect(
    group: &[Buildpack],
    app_dir: &Path,
    base_env: &Env,
    context: &InvocationContext<'_>,
    exec_env_filter: bool,
    log: &Log<'_>,
) -> Result<DetectOutcome, DetectError> {
    let plan_dirs = group
        .iter()
        .map(|_| {
            tempfile::Builder::new()
                .prefix("plan.")
                .tempdir()
                .map_err(|source| DetectError::CreatePlan {
                    path: std::env::temp_dir(),
                    source,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut children = Vec::new();
    for (buildpack, plan_dir) in group.iter().zip(&plan_dirs) {
        if exec_env_filter && !buildpack.exec_env.is_empty() {
            let env = context.exec_env;
            if !buildpack.exec_env.iter().any(|e| e == env || e == "*") {
                children.push(None);
                continue;
            }
        }
        children.push(Some(spawn_detect(
            buildpack,
            plan_dir.path(),
            app_dir,
            base_env,
            context,
        )?));
    }

    let mut runs = Vec::new();
    let mut detected = Vec::new();
    for (index, (buildpack, child)) in group.iter().zip(children).enumerate() {
        let (result, output) = match child {
            None => (DetectResult::Skipped, String::new()),
            Some((spawned, output_file, plan_path)) => {
                let (result, mut output, plan) = finish_run(spawned, output_file, &plan_path);
                if let Some(plan) = plan {
                    detected.push(DetectedPlan {
                        index,
                        optional: buildpack.optional,
                        plan,
                    });
                }
                if let DetectResult::Error(_) = result {
                    output.push('\n');
                }
                (result, output)
            }
        };
        runs.push(DetectRun {
            id: buildpack.id.clone(),
            version: buildpack.version.clone(),
            result,
            output,
        });
    }

    let errored = runs
        .iter()
        .any(|run| matches!(run.result, DetectResult::Error(_)));
    let required_failed = group.iter().zip(&runs).any(|(bp, run)| {
        !bp.optional && !matches!(run.result, DetectResult::Pass | DetectResult::Skipped)
    });
    let resolved = if required_failed || detected.is_empty() {
        None
    } else {
        plan::resolve(&detected)
    };
    log_outputs(&runs, resolved.is_none(), log);
    let Some((group_indexes, plan)) = resolved else {
        for run in &runs {
            log.info(&format!("{}: {}@{}", run.result, run.id, run.version));
        }
        log.info("ERROR: No buildpack groups passed detection.");
        return Err(if errored {
            DetectError::Errored { runs }
        } else {
            DetectError::Failed { runs }
        });
    };
    log.info(&format!(
        "{} of {} buildpacks participating",
        group_indexes.len(),
        group.len()
    ));
    for &i in &group_indexes {
        log.info(&format!("{} {}", group[i].id, group[i].version));
    }
    Ok(DetectOutcome {
        runs,
        group: group_indexes,
        plan,
    })
}

/// Shows buildpacks' detect output: all of it when detection failed, else only errored runs.
fn log_outputs(runs: &[DetectRun], failed: bool, log: &Log<'_>) {
    for run in runs {
        let show = failed || matches!(run.result, DetectResult::Error(_));
        if show && !run.output.trim().is_empty() {
            log.info(&format!(
                "======== Output: {}@{} ========",
                run.id, run.version
            ));
            log.info(run.output.trim_end());
        }
    }
}

type Spawned = (io::Result<std::process::Child>, fs::File, PathBuf);

/// Starts one buildpack's detect with a fresh, empty 0600 plan file in `plan_dir`.
fn spawn_detect(
    buildpack: &Buildpack,
    plan_dir: &Path,
    app_dir: &Path,
    base_env: &Env,
    context: &InvocationContext<'_>,
) -> Result<Spawned, DetectError> {
    let plan_path = plan_dir.join("plan.toml");
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&plan_path)
        .map_err(|source| DetectError::CreatePlan {
            path: plan_path.clone(),
            source,
        })?;
    let output_file = tempfile::tempfile().map_err(|source| DetectError::CreatePlan {
        path: std::env::temp_dir(),
        source,
    })?;
    let mut env = context.env_for(base_env, buildpack)?;
    if buildpack.api.at_least(0, 8) {
        env.insert("CNB_BUILD_PLAN_PATH", plan_path.as_os_str());
    }
    context.sandbox.give(plan_dir)?;
    let mut command = context.sandbox.command(
        &buildpack.dir.join("bin").join("detect"),
        &[context.platform_dir.as_os_str(), plan_path.as_os_str()],
        app_dir,
        &env,
        &[plan_dir],
    )?;
    let spawned = output_file.try_clone().and_then(|stderr| {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(stderr.try_clone()?))
            .stderr(Stdio::from(stderr))
            .spawn()
    });
    Ok((spawned, output_file, plan_path))
}

fn finish_run(
    spawned: io::Result<std::process::Child>,
    mut output_file: fs::File,
    plan_path: &Path,
) -> (DetectResult, String, Option<BuildPlan>) {
    let status = spawned.and_then(|mut child| child.wait());
    let mut output = read_output(&mut output_file);
    let code = match status {
        Ok(status) => status.code(),
        Err(error) => {
            output = format!("{output}failed to run detect: {error}");
            return (DetectResult::Error(Some(-1)), output, None);
        }
    };
    match code {
        Some(0) => match read_plan(plan_path) {
            Ok(plan) => (DetectResult::Pass, output, Some(plan)),
            Err(message) => {
                output.push_str(&message);
                (DetectResult::Error(Some(-1)), output, None)
            }
        },
        Some(100) => (DetectResult::Fail, output, None),
        other => (DetectResult::Error(other), output, None),
    }
}

fn read_output(file: &mut fs::File) -> String {
    use std::io::{Read, Seek};
    let mut bytes = Vec::new();
    let _ = file.rewind().and_then(|()| file.read_to_end(&mut bytes));
    String::from_utf8_lossy(&bytes).into_owned()
}

fn read_plan(path: &Path) -> Result<BuildPlan, String> {
    let text = fs::read_to_string(path)
        .map_err(|error| format!("cannot read build plan {}: {error}", path.display()))?;
    let plan: BuildPlan = toml::from_str(&text)
        .map_err(|error| format!("invalid build plan {}: {error}", path.display()))?;
    if let Some(name) = plan.require_with_version() {
        return Err(format!(
            "build plan requires {name:?} with a top-level version key which is not supported; move it to [requires.metadata]"
        ));
    }
    Ok(plan)
}
