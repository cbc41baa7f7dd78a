//! Running a process of the built image, as the launcher does
//! ([platform spec: Launch Environment](https://github.com/buildpacks/spec/blob/main/platform.md#launch-environment),
//! [spec: Exec.d](https://github.com/buildpacks/spec/blob/main/buildpack.md#execd)): the image's layers and
//! app are extracted to the build dirs, the launch env is assembled, exec.d programs run,
//! then the process.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::archive::{self, DiffId, ExtractError};
use crate::buildpack::escape_id;
use crate::env::{DefaultAction, Env, ReadEnvDirError, RootDirRules};
use crate::fs::remove_dir_forcibly;
use crate::launch_toml::Process;
use crate::lifecycle::BuildDirs;
use crate::lock::WhenLocked;
use crate::output::dies_with_parent;
use crate::sandbox::{Sandbox, SandboxError};
use crate::state::{ImageMetadata, Open, StateDir, StateError};
use crate::toml_error::TomlError;

/// What a launched process did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessOutput {
    /// The exit code, `None` if killed by a signal.
    pub status: Option<i32>,
    /// Its stdout, preceded by that of exec.d programs.
    pub stdout: String,
    /// Its stderr, preceded by that of exec.d programs.
    pub stderr: String,
}

/// A process could not be launched.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The state dir cannot be used.
    #[error(transparent)]
    State(#[from] StateError),
    /// No build has been exported to the state dir yet.
    #[error("no image in state dir {path}; build first")]
    NoImage {
        /// The state dir.
        path: PathBuf,
    },
    /// The requested (or default) process does not exist.
    #[error("no process {requested}; the image has: {available}")]
    NoProcess {
        /// The requested type, or `default`.
        requested: String,
        /// The available types.
        available: String,
    },
    /// No process was asked for, the image has no default process, and no command was
    /// given; the text is the lifecycle launcher's (launch/process.go, lifecycle v0.21.17,
    /// `userProvidedProcess`).
    #[error("when there is no default process a command is required")]
    NoDefaultProcess,
    /// The process is restricted to other execution environments.
    #[error("process {process} is not available in execution environment {exec_env}")]
    ExecEnv {
        /// The process type.
        process: String,
        /// The current execution environment.
        exec_env: String,
    },
    /// An image blob is missing or refused.
    #[error("cannot extract image layer {blob}")]
    Extract {
        /// The blob.
        blob: PathBuf,
        /// The underlying error.
        source: ExtractError,
    },
    /// An exec.d program failed or wrote invalid TOML to fd 3.
    #[error("exec.d program {path} failed: {problem}")]
    ExecD {
        /// The program.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// An env dir could not be read.
    #[error(transparent)]
    Env(#[from] ReadEnvDirError),
    /// The sandbox could not be prepared.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// A file could not be read or written, or the process could not be started.
    #[error("cannot access {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> LaunchError + '_ {
    move |source| LaunchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Launches a process of the image that the last build committed to `state_dir`, as the CNB
/// launcher does (`cnb-local launch`), in the `production` execution environment.
///
/// `process_type` `None` picks the default process; `args`, when given, replace the
/// process's default arguments. The state dir is locked while the process runs; `when`
/// says whether to wait for another build, export or launch that holds it. A missing state
/// dir is an error and is not created.
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::{WhenLocked, launch};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// assert!(launch(&dir.path().join("state"), None, None, WhenLocked::Wait).is_err());
/// assert!(!dir.path().join("state").exists(), "nothing is created");
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// Fails when there is no state dir or image, no such process, a blob is missing or
/// refused, an exec.d program fails, or the process cannot be started; with
/// [`WhenLocked::Fail`], when another run holds the state dir.
pub fn launch(
    state_dir: &Path,
    process_type: Option<&str>,
    args: Option<&[String]>,
    when: WhenLocked,
) -> Result<ProcessOutput, LaunchError> {
    run_process(state_dir, process_type, args, "production", when)
}

/// Replaces the build dirs with empty `<layers>` and workspace dirs for the image (created by
/// [`extract_image`]), after killing what a killed run left running there.
fn fresh_dirs(state: &StateDir) -> Result<BuildDirs, LaunchError> {
    let dirs = BuildDirs::of(state);
    let root = state.path().join("build");
    crate::leftovers::kill(&root);
    remove_dir_forcibly(&root).map_err(io_error(&root))?;
    fs::create_dir_all(&root).map_err(io_error(&root))?;
    crate::leftovers::record(&root).map_err(io_error(&root))?;
    Ok(dirs)
}

/// Opens an existing state dir (creating nothing), saying so on stderr if it waits.
fn open_existing(state_dir: &Path, when: WhenLocked) -> Result<StateDir, StateError> {
    let waiting = || {
        eprintln!(
            "Waiting: state dir {} is in use by another build, export or launch",
            state_dir.display()
        );
    };
    StateDir::open_with(state_dir, Open::Existing, when, &waiting)
}

/// Launches a process of the image in `state_dir`, as the CNB launcher does.
///
/// `process_type` `None` picks the default process. `args`, when given, replace the
/// process's default `args`. `exec_env` is `CNB_EXEC_ENV` (processes whose `exec-env` list
/// excludes it are refused). The image is extracted to `<state>/build/` (replacing the last
/// build's dirs), so paths written at build time stay valid, as `/layers` does in an image.
///
/// # Errors
///
/// Fails when there is no image or no such process, a blob is missing or refused, an exec.d
/// program fails, or the process cannot be started.
pub(crate) fn run_process(
    state_dir: &Path,
    process_type: Option<&str>,
    args: Option<&[String]>,
    exec_env: &str,
    when: WhenLocked,
) -> Result<ProcessOutput, LaunchError> {
    let state = open_existing(state_dir, when)?;
    let image = image_of(&state)?;
    let process = select_process(&image, process_type, exec_env)?;
    let dirs = fresh_dirs(&state)?;
    extract_image(&state, &image, &dirs.layers, &dirs.workspace)?;
    let sandbox = Sandbox::for_launch(state.path(), &dirs)?;

    let mut env = launch_env(&image, &dirs.layers, &process.r#type)?;
    let mut stdout = String::new();
    let mut stderr = String::new();
    for program in exec_d_programs(&image, &dirs.layers, Some(&process.r#type))? {
        run_exec_d(
            &sandbox,
            &program,
            &dirs.workspace,
            &mut env,
            &mut stdout,
            &mut stderr,
        )?;
    }

    let working_dir = process
        .working_dir
        .as_ref()
        .map_or_else(|| dirs.workspace.clone(), |dir| dirs.workspace.join(dir));
    let Some((program, fixed)) = process.command.split_first() else {
        return Err(LaunchError::NoProcess {
            requested: process.r#type.clone(),
            available: "a process with a command".into(),
        });
    };
    let command_args: Vec<&OsStr> = fixed
        .iter()
        .chain(args.unwrap_or(&process.args))
        .map(OsStr::new)
        .collect();
    let output = dies_with_parent(&mut sandbox.command(
        Path::new(program),
        &command_args,
        &working_dir,
        &env,
        &[],
    )?)
    .stdin(Stdio::null())
    .output()
    .map_err(io_error(Path::new(program)))?;
    stdout.push_str(&String::from_utf8_lossy(&output.stdout));
    stderr.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(ProcessOutput {
        status: output.status.code(),
        stdout,
        stderr,
    })
}

/// The committed image of `state`.
pub(crate) fn image_of(state: &StateDir) -> Result<ImageMetadata, LaunchError> {
    state.image_metadata()?.ok_or_else(|| LaunchError::NoImage {
        path: state.path().to_path_buf(),
    })
}

/// The process `wanted` (`None`: the default process), refused when its `exec-env` list
/// excludes `exec_env`.
pub(crate) fn select_process<'a>(
    image: &'a ImageMetadata,
    wanted: Option<&str>,
    exec_env: &str,
) -> Result<&'a Process, LaunchError> {
    let wanted = wanted.or(image.default_process.as_deref());
    if wanted.is_none() {
        return Err(LaunchError::NoDefaultProcess);
    }
    let process: &Process = wanted
        .and_then(|t| image.processes.iter().find(|p| p.r#type == t))
        .ok_or_else(|| LaunchError::NoProcess {
            requested: wanted.unwrap_or("default").to_owned(),
            available: image
                .processes
                .iter()
                .map(|p| p.r#type.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    if !process.exec_env.is_empty() && !process.exec_env.iter().any(|e| e == exec_env || e == "*") {
        return Err(LaunchError::ExecEnv {
            process: process.r#type.clone(),
            exec_env: exec_env.to_owned(),
        });
    }
    Ok(process)
}

/// Extracts the image's launch layers into `layers` and its app into `workspace` (both
/// created if missing).
pub(crate) fn extract_image(
    state: &StateDir,
    image: &ImageMetadata,
    layers: &Path,
    workspace: &Path,
) -> Result<(), LaunchError> {
    for dir in [layers, workspace] {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
    }
    let extract = |diff_id: &str, dest: &Path, allowed: &Path| -> Result<(), LaunchError> {
        let blob = DiffId::parse(diff_id)
            .map(|d| state.image_blob(&d))
            .unwrap_or_default();
        let file = File::open(&blob).map_err(io_error(&blob))?;
        archive::extract(file, dest, allowed)
            .map_err(|source| LaunchError::Extract { blob, source })
    };
    for app in &image.app {
        extract(&app.sha, workspace, Path::new(""))?;
    }
    for buildpack in &image.buildpacks {
        for (name, layer) in &buildpack.layers {
            extract(
                &layer.sha,
                layers,
                &Path::new(&escape_id(&buildpack.key)).join(name),
            )?;
        }
    }
    Ok(())
}

/// The exec.d programs the launcher runs for `process_type` (`None`: a user command), in
/// order: per buildpack, per layer, `exec.d/*` then `exec.d/<type>/*`, each sorted.
pub(crate) fn exec_d_programs(
    image: &ImageMetadata,
    layers: &Path,
    process_type: Option<&str>,
) -> Result<Vec<PathBuf>, LaunchError> {
    let mut all = Vec::new();
    for buildpack in &image.buildpacks {
        let bp_dir = layers.join(escape_id(&buildpack.key));
        for name in buildpack.layers.keys() {
            let exec_d = bp_dir.join(name).join("exec.d");
            all.extend(files_in(&exec_d)?);
            if let Some(process_type) = process_type {
                all.extend(files_in(&exec_d.join(process_type))?);
            }
        }
    }
    Ok(all)
}

/// Applies what an exec.d program wrote to fd 3 (TOML of string values) to `env`.
pub(crate) fn apply_exec_d_output(
    program: &Path,
    text: &str,
    env: &mut Env,
) -> Result<(), LaunchError> {
    let failed = |problem: String| LaunchError::ExecD {
        path: program.to_path_buf(),
        problem,
    };
    let table: toml::Table = toml::from_str(text).map_err(|error| {
        failed(format!(
            "invalid TOML on fd 3: {}",
            TomlError::new(text, &error)
        ))
    })?;
    for (name, value) in table {
        match value {
            toml::Value::String(value) => env.insert(name, value),
            _ => return Err(failed(format!("value of {name} on fd 3 is not a string"))),
        }
    }
    Ok(())
}

/// The launch env: the allowlisted base env with the launch layers applied.
fn launch_env(
    image: &ImageMetadata,
    layers: &Path,
    process_type: &str,
) -> Result<Env, LaunchError> {
    let mut env = Env::from_current_process();
    apply_launch_layers(&mut env, image, layers, Some(process_type))?;
    Ok(env)
}

/// Applies the image's launch layers to `env` as the launcher does: per buildpack, all its
/// layers' root dirs (`bin` → `PATH`, `lib` → `LD_LIBRARY_PATH`) first, then each layer's
/// `env/`, `env.launch/` and, for a process type, `env.launch/<type>/`.
pub(crate) fn apply_launch_layers(
    env: &mut Env,
    image: &ImageMetadata,
    layers: &Path,
    process_type: Option<&str>,
) -> Result<(), ReadEnvDirError> {
    for buildpack in &image.buildpacks {
        let bp_dir = layers.join(escape_id(&buildpack.key));
        let layer_dirs: Vec<PathBuf> = buildpack
            .layers
            .keys()
            .map(|name| bp_dir.join(name))
            .collect();
        for layer in &layer_dirs {
            env.add_root_dirs(layer, RootDirRules::Launch);
        }
        for layer in &layer_dirs {
            env.apply_env_dir(&layer.join("env"), DefaultAction::Override)?;
            env.apply_env_dir(&layer.join("env.launch"), DefaultAction::Override)?;
            if let Some(process_type) = process_type {
                env.apply_env_dir(
                    &layer.join("env.launch").join(process_type),
                    DefaultAction::Override,
                )?;
            }
        }
    }
    Ok(())
}

/// The regular files of `dir`, sorted; a missing dir has none.
fn files_in(dir: &Path) -> Result<Vec<PathBuf>, LaunchError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(LaunchError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Runs one exec.d program with fd 3 open for writing and applies the TOML it writes there.
///
/// std cannot hand a child an extra fd without `unsafe`, so `sh` opens fd 3 on a temporary
/// file and then `exec`s the program: argv, env and working dir are exactly the program's.
fn run_exec_d(
    sandbox: &Sandbox,
    program: &Path,
    app_dir: &Path,
    env: &mut Env,
    stdout: &mut String,
    stderr: &mut String,
) -> Result<(), LaunchError> {
    let failed = |problem: String| LaunchError::ExecD {
        path: program.to_path_buf(),
        problem,
    };
    let fd3 = tempfile::NamedTempFile::new().map_err(io_error(&std::env::temp_dir()))?;
    let output = dies_with_parent(&mut sandbox.command(
        Path::new("/bin/sh"),
        &[
            OsStr::new("-c"),
            OsStr::new("exec \"$0\" 3>\"$1\""),
            program.as_os_str(),
            fd3.path().as_os_str(),
        ],
        app_dir,
        env,
        &[fd3.path()],
    )?)
    .stdin(Stdio::null())
    .output()
    .map_err(io_error(program))?;
    stdout.push_str(&String::from_utf8_lossy(&output.stdout));
    stderr.push_str(&String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        return Err(failed(format!("exit status {}", output.status)));
    }
    let text = fs::read_to_string(fd3.path()).map_err(io_error(fd3.path()))?;
    apply_exec_d_output(program, &text, env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_default_process_and_no_request_is_the_launchers_error() {
        let image = ImageMetadata::default();
        let error = select_process(&image, None, "production").unwrap_err();
        assert!(matches!(error, LaunchError::NoDefaultProcess));
        assert_eq!(
            error.to_string(),
            "when there is no default process a command is required"
        );
    }
}
