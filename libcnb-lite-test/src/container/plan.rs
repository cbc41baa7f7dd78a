//! What a container runs: entrypoint, process type and command resolved as the launcher
//! resolves them, and the launch env in container paths.

use std::path::Path;

use super::{APP_DIR, ContainerError, ContainerOptions, LAUNCHER_NAMES, LAYERS_DIR};
use crate::env::Env;
use crate::launch::{self, LaunchError};

/// The process to start, in container terms.
pub(super) struct Plan {
    /// argv.
    pub(super) args: Vec<String>,
    /// The env in config.json (`NAME=value`).
    pub(super) env: Vec<String>,
    /// The same env, for exec.d programs to extend.
    pub(super) launch_env: Env,
    /// Working dir.
    pub(super) cwd: String,
    /// exec.d programs, as container paths.
    pub(super) exec_d: Vec<String>,
}

/// Resolves entrypoint, process and command as the launcher does, with the launch env of
/// the layers extracted to `layers` (host paths rewritten to [`LAYERS_DIR`]).
pub(super) fn plan_process(
    image: &crate::state::ImageMetadata,
    options: &ContainerOptions,
    mut env: Env,
    layers: &Path,
    shell: &str,
) -> Result<Plan, ContainerError> {
    for (name, value) in &options.env {
        env.insert(name, value);
    }
    let command = options.command.clone().unwrap_or_default();
    let process_name = match options.entrypoint.as_deref() {
        None => Some(options.process.as_deref()),
        Some(launcher) if LAUNCHER_NAMES.contains(&launcher) && options.command.is_some() => None,
        Some(launcher) if LAUNCHER_NAMES.contains(&launcher) => Some(options.process.as_deref()),
        Some(entrypoint) => {
            let name = entrypoint
                .strip_prefix("/cnb/process/")
                .unwrap_or(entrypoint);
            if image.processes.iter().any(|p| p.r#type == name) {
                Some(Some(name))
            } else {
                // Not the launcher: run directly, with the image's env only.
                let mut args = vec![entrypoint.to_owned()];
                args.extend(command);
                return Ok(Plan {
                    args,
                    env: env_lines(&env, layers),
                    launch_env: env,
                    cwd: APP_DIR.into(),
                    exec_d: Vec::new(),
                });
            }
        }
    };
    let (args, cwd, process_type) = match process_name {
        Some(wanted) => {
            let process = launch::select_process(image, wanted, "production")?;
            let (program, fixed) =
                process
                    .command
                    .split_first()
                    .ok_or_else(|| LaunchError::NoProcess {
                        requested: process.r#type.clone(),
                        available: "a process with a command".into(),
                    })?;
            let mut args = vec![program.clone()];
            args.extend(fixed.iter().cloned());
            if options.command.is_some() {
                args.extend(command);
            } else {
                args.extend(process.args.iter().cloned());
            }
            let cwd = match &process.working_dir {
                Some(dir) if dir.starts_with('/') => dir.clone(),
                Some(dir) => format!("{APP_DIR}/{dir}"),
                None => APP_DIR.into(),
            };
            (args, cwd, Some(process.r#type.as_str()))
        }
        None => (user_provided_process(command, shell), APP_DIR.into(), None),
    };
    if args.is_empty() {
        return Err(LaunchError::NoProcess {
            requested: "launcher".into(),
            available: "a command after the launcher entrypoint".into(),
        }
        .into());
    }
    launch::apply_launch_layers(&mut env, image, layers, process_type)
        .map_err(LaunchError::from)?;
    let mut env = rewrite_env(&env, layers);
    let exec_d = launch::exec_d_programs(image, layers, process_type)?
        .iter()
        .filter_map(|path| path.strip_prefix(layers).ok())
        .map(|rel| format!("{LAYERS_DIR}/{}", rel.display()))
        .collect();
    if let Some(process_type) = process_type {
        env.insert("CNB_PROCESS_TYPE", process_type);
    }
    Ok(Plan {
        args,
        env: env_lines(&env, layers),
        launch_env: env,
        cwd,
        exec_d,
    })
}

/// The argv of a command given after the launcher entrypoint, as the lifecycle's launcher
/// runs it (launch/process.go `userProvidedProcess` and launch/bash.go, lifecycle v0.21.17):
/// `-- <program> <args>…` runs directly; anything else runs through the shell (bash; `sh`
/// where the root file system has none), which evaluates one string as a script
/// (`launcher "echo $PORT; cat x"`) and expands each of several tokens.
fn user_provided_process(command: Vec<String>, shell: &str) -> Vec<String> {
    if command.len() > 1 && command[0] == "--" {
        return command[1..].to_vec();
    }
    if command.is_empty() {
        return command;
    }
    let script = if command.len() == 1 {
        format!(r#"exec {shell} -c "$@""#)
    } else {
        let tokens: Vec<String> = (0..command.len())
            .map(|i| match i {
                0 => r#""$(eval echo \"$0\")""#.to_owned(),
                _ => format!(r#""$(eval echo \"${{{i}}}\")""#),
            })
            .collect();
        format!(r#"exec {shell} -c '{}' "$@""#, tokens.join(" "))
    };
    let mut args = vec![
        shell.to_owned(),
        "-c".to_owned(),
        script,
        "launcher".to_owned(),
    ];
    args.extend(command);
    args
}

/// `env` with the host's layers dir replaced by [`LAYERS_DIR`] (root dirs are added by host
/// path).
fn rewrite_env(env: &Env, layers: &Path) -> Env {
    let host = layers.to_string_lossy().into_owned();
    let mut rewritten = Env::new();
    for (name, value) in env.iter() {
        rewritten.insert(name, value.to_string_lossy().replace(&host, LAYERS_DIR));
    }
    rewritten
}

fn env_lines(env: &Env, layers: &Path) -> Vec<String> {
    rewrite_env(env, layers)
        .iter()
        .map(|(name, value)| format!("{}={}", name.to_string_lossy(), value.to_string_lossy()))
        .collect()
}

/// `export NAME='value'` lines for `sh`; names that are not shell identifiers are left to
/// the env of config.json.
pub(super) fn shell_exports(env: &Env) -> String {
    use std::fmt::Write as _;
    let mut script = String::new();
    for (name, value) in env.iter() {
        let name = name.to_string_lossy();
        let identifier = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if identifier {
            let value = value.to_string_lossy().replace('\'', "'\\''");
            let _ = writeln!(script, "export {name}='{value}'");
        }
    }
    script
}

/// An `Env` from `NAME=value` lines.
pub(super) fn env_from_lines(lines: &[String]) -> Env {
    let mut env = Env::new();
    for line in lines {
        if let Some((name, value)) = line.split_once('=') {
            env.insert(name, value);
        }
    }
    env
}
