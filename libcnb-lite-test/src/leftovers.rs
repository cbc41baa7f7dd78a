//! Processes a killed run left behind. A buildpack dies with the harness
//! (`PR_SET_PDEATHSIG`, see `output::dies_with_parent`), but processes it started itself
//! (`head`, `tar`, a compiler) are reparented and may still be writing into the build dirs.
//! Each run records its process group in `<state>/build/owner`; the next run, under the
//! state lock, kills the processes of that group whose working dir is inside
//! `<state>/build`, then removes the dirs. Both conditions must hold, so a recycled group ID
//! or a shell the user opened in the workspace is left alone.

use std::fs;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, getpgid, getpid, kill_process};

/// The file, in the build root, naming the process group of the run that made the dirs.
const OWNER: &str = "owner";

/// Kills what the previous run under `build_root` left running, and waits (at most a few
/// seconds) for those processes to go.
pub(crate) fn kill(build_root: &Path) {
    let Ok(text) = fs::read_to_string(build_root.join(OWNER)) else {
        return;
    };
    let Ok(group) = text.trim().parse::<i32>() else {
        return;
    };
    let Ok(root) = build_root.canonicalize() else {
        return;
    };
    let own = getpid().as_raw_nonzero().get();
    let mut killed = Vec::new();
    for pid in processes() {
        if pid == own || process_group(pid) != Some(group) {
            continue;
        }
        let in_build_dirs =
            fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd.starts_with(&root));
        if in_build_dirs {
            if let Some(pid) = Pid::from_raw(pid) {
                if kill_process(pid, Signal::KILL).is_ok() {
                    killed.push(pid.as_raw_nonzero().get());
                }
            }
        }
    }
    // SIGKILL cannot be caught; wait for the exits so the dirs can be removed.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline
        && killed
            .iter()
            .any(|pid| process_group(*pid).is_some_and(|_| !is_zombie(*pid)))
    {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Records this process's group as the owner of the (fresh) dirs under `build_root`.
pub(crate) fn record(build_root: &Path) -> io::Result<()> {
    let group = getpgid(None).map_err(io::Error::from)?;
    fs::write(
        build_root.join(OWNER),
        format!("{}\n", group.as_raw_nonzero()),
    )
}

fn processes() -> Vec<i32> {
    fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Fields after the command name (which may hold spaces and parentheses) of
/// `/proc/<pid>/stat`: state, ppid, pgrp, …
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

fn process_group(pid: i32) -> Option<i32> {
    stat_fields(pid)?.get(2)?.parse().ok()
}

fn is_zombie(pid: i32) -> bool {
    stat_fields(pid).is_some_and(|fields| fields.first().is_some_and(|state| state == "Z"))
}
