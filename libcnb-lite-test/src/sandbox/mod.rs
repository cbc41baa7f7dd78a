//! Where buildpack processes run: at the reference lifecycle's paths.
//!
//! As root with `runc` installed, detect, build and the launcher's processes (`cnb-local
//! launch`) run in a runc bundle of their own (mount, pid, ipc and uts namespaces; the
//! host's network) in which the state dir's trees appear at `/workspace`, `/layers`,
//! `/platform` and each buildpack at `/cnb/buildpacks/<escaped id>/<version>`, the rest of
//! the host's tree read-only and `/tmp` fresh. Detect and build run as the build config's
//! user (1000:1000 by default) with one extra capability, `CAP_DAC_READ_SEARCH`, so that
//! tools installed under a private home (pyenv in `/root`) stay usable as the build saw
//! them; the launcher runs as root, as containers do. Arguments, the working dir and every
//! env value that names a mapped tree (`CNB_LAYERS_DIR`, `PATH` entries of layers, …) are
//! rewritten to the paths inside, so what buildpacks write into their layers is what the
//! reference lifecycle's buildpacks write.
//!
//! As a normal user where the kernel allows unprivileged user namespaces, each bundle gets
//! its own user namespace in which that user is root (runc's rootless mode): the same paths,
//! and buildpacks run as that user (root inside). Without runc or either of those, or with
//! `CNB_LOCAL_SANDBOX=off`, processes run on the host at the state dir's paths, as before,
//! and the build prints one warning line saying so.

mod bundle;

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) use bundle::{
    OciProcess, bind, find_tool, host_mounts, host_rootfs, oci_config, system_mounts,
};

use crate::buildpack::{Buildpack, escape_id};
use crate::env::Env;
use crate::lifecycle::BuildDirs;

/// The env var that turns the sandbox off: `CNB_LOCAL_SANDBOX=off`.
pub const SANDBOX_ENV: &str = "CNB_LOCAL_SANDBOX";

/// A sandbox could not be prepared.
#[derive(Debug, thiserror::Error)]
#[error("cannot prepare the build sandbox at {path}")]
pub struct SandboxError {
    path: PathBuf,
    #[source]
    source: io::Error,
}

pub(crate) fn sandbox_error(path: &Path) -> impl FnOnce(io::Error) -> SandboxError + '_ {
    move |source| SandboxError {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs buildpack processes at the lifecycle's paths, or on the host (the fallback).
#[derive(Debug)]
pub(crate) struct Sandbox {
    runc: Option<Isolated>,
}

#[derive(Debug)]
struct Isolated {
    runc: PathBuf,
    /// Without root: the host user who is root in each bundle's user namespace.
    host_user: Option<(u64, u64)>,
    /// `<state>/sandbox`, removed when the sandbox drops.
    root: PathBuf,
    rootfs: PathBuf,
    user: (u64, u64),
    /// Host tree → path inside, longest host path first.
    maps: Vec<(String, String)>,
    mounts: Vec<serde_json::Value>,
}

/// Numbers the sandboxed processes of this process.
static CALLS: AtomicU64 = AtomicU64::new(0);

impl Sandbox {
    /// Processes run on the host, at the state dir's paths.
    #[must_use]
    pub(crate) fn host() -> Self {
        Self { runc: None }
    }

    /// The sandbox for a build of `buildpacks` in `dirs` (as `user`), or the host with the
    /// one warning line to print when the sandbox cannot be used.
    pub(crate) fn for_build(
        state: &Path,
        dirs: &BuildDirs,
        buildpacks: &[Buildpack],
        user: (u64, u64),
    ) -> Result<(Self, Option<String>), SandboxError> {
        let (runc, host_user) = match usable_runc() {
            Ok(usable) => usable,
            Err(reason) => {
                return Ok((
                    Self::host(),
                    Some(format!(
                        "building at the state dir's paths, not at /workspace, /layers and /platform ({reason}); paths the buildpacks write into the image will differ from the reference lifecycle's"
                    )),
                ));
            }
        };
        let mut maps = vec![
            (dirs.workspace.clone(), PathBuf::from("/workspace"), false),
            (dirs.layers.clone(), PathBuf::from("/layers"), false),
            (dirs.platform.clone(), PathBuf::from("/platform"), true),
        ];
        for buildpack in buildpacks {
            let inside = Path::new("/cnb/buildpacks")
                .join(escape_id(&buildpack.id))
                .join(&buildpack.version);
            maps.push((buildpack.dir.clone(), inside, true));
            // A buildpack dir made by a test links its `bin/` programs to the cargo target
            // dir, which may be under the host's /tmp: a fresh tmpfs inside. The programs
            // stay visible, read-only, at their own paths.
            maps.extend(
                linked_programs(&buildpack.dir)
                    .into_iter()
                    .map(|program| (program.clone(), program, true)),
            );
        }
        // In a user namespace only the mapped user exists: it builds, as root there.
        let user = if host_user.is_some() { (0, 0) } else { user };
        Ok((Self::runc(runc, host_user, state, &maps, user)?, None))
    }

    /// The sandbox for the launcher's processes: the image's layers and app extracted to
    /// `dirs`, as root; the host when the sandbox cannot be used.
    pub(crate) fn for_launch(state: &Path, dirs: &BuildDirs) -> Result<Self, SandboxError> {
        let Ok((runc, host_user)) = usable_runc() else {
            return Ok(Self::host());
        };
        let maps = [
            (dirs.workspace.clone(), PathBuf::from("/workspace"), false),
            (dirs.layers.clone(), PathBuf::from("/layers"), false),
        ];
        Self::runc(runc, host_user, state, &maps, (0, 0))
    }

    fn runc(
        runc: PathBuf,
        host_user: Option<(u64, u64)>,
        state: &Path,
        maps: &[(PathBuf, PathBuf, bool)],
        user: (u64, u64),
    ) -> Result<Self, SandboxError> {
        let root = state.join("sandbox");
        crate::fs::remove_dir_forcibly(&root).map_err(sandbox_error(&root))?;
        let rootfs = root.join("rootfs");
        host_rootfs(&rootfs)?;
        let mut mounts = host_mounts(true);
        mounts.extend(system_mounts(host_user.is_some()));
        let mut text_maps = Vec::new();
        for (host, inside, read_only) in maps {
            mounts.push(bind(host, inside, *read_only));
            text_maps.push((
                host.to_string_lossy().into_owned(),
                inside.to_string_lossy().into_owned(),
            ));
        }
        text_maps.sort_by_key(|(host, _)| std::cmp::Reverse(host.len()));
        Ok(Self {
            runc: Some(Isolated {
                runc,
                host_user,
                root,
                rootfs,
                user,
                maps: text_maps,
                mounts,
            }),
        })
    }

    /// Hands `path` (recursively) to the sandbox's user, so its processes can write there.
    pub(crate) fn give(&self, path: &Path) -> Result<(), SandboxError> {
        let Some(runc) = self.runc.as_ref().filter(|runc| runc.host_user.is_none()) else {
            // On the host, or in a user namespace whose root is this very user.
            return Ok(());
        };
        let (uid, gid) = runc.user;
        let id = |n: u64| u32::try_from(n).ok();
        for entry in walkdir::WalkDir::new(path).follow_links(false) {
            let entry = entry.map_err(|error| SandboxError {
                path: path.to_path_buf(),
                source: error.into(),
            })?;
            std::os::unix::fs::lchown(entry.path(), id(uid), id(gid))
                .map_err(sandbox_error(entry.path()))?;
        }
        Ok(())
    }

    /// A command that runs `program` with `args` in `cwd` with exactly `env`; in the
    /// sandbox, with every host path of a mapped tree rewritten, and with each of `own`
    /// (files or dirs outside the mapped trees, e.g. a plan file) bound at its own path.
    pub(crate) fn command(
        &self,
        program: &Path,
        args: &[&OsStr],
        cwd: &Path,
        env: &Env,
        own: &[&Path],
    ) -> Result<Command, SandboxError> {
        let Some(runc) = &self.runc else {
            let mut command = Command::new(program);
            command
                .args(args)
                .current_dir(cwd)
                .env_clear()
                .envs(env.iter());
            return Ok(command);
        };
        let map = |text: &OsStr| runc.map(&text.to_string_lossy());
        let mut inside_args = vec![map(program.as_os_str())];
        inside_args.extend(args.iter().map(|arg| map(arg)));
        let env_lines: Vec<String> = env
            .iter()
            .map(|(name, value)| format!("{}={}", name.to_string_lossy(), map(value)))
            .collect();
        let mut mounts = runc.mounts.clone();
        for path in own {
            mounts.push(bind(path, path, false));
        }
        // Unique on the machine: runc's cgroups are named after it, whatever its --root.
        let name = format!(
            "cnb-bp-{}-{}",
            std::process::id(),
            CALLS.fetch_add(1, Ordering::Relaxed)
        );
        let bundle = runc.root.join("calls").join(&name);
        std::fs::create_dir_all(&bundle).map_err(sandbox_error(&bundle))?;
        let config = oci_config(
            &name,
            &runc.rootfs,
            true,
            &OciProcess {
                args: &inside_args,
                env: &env_lines,
                cwd: &map(cwd.as_os_str()),
                user: runc.user,
                own_network: false,
                host_user: runc.host_user,
            },
            &mounts,
        );
        let config_path = bundle.join("config.json");
        std::fs::write(&config_path, config.to_string()).map_err(sandbox_error(&config_path))?;
        let mut command = Command::new(&runc.runc);
        // runc's own warnings (e.g. "Failed to remove cgroup (will retry)" under load) go to
        // a log file, not into the buildpack's stderr, which suites assert empty; runc still
        // prints a fatal error on stderr.
        command
            .arg("--root")
            .arg(runc.root.join("runc"))
            .arg("--log")
            .arg(bundle.join("runc.log"))
            .arg("run")
            .arg("--bundle")
            .arg(&bundle)
            .arg(&name);
        Ok(command)
    }
}

impl Isolated {
    /// `text` with each mapped host tree replaced by its path inside.
    fn map(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (host, inside) in &self.maps {
            if text.contains(host.as_str()) {
                text = text.replace(host.as_str(), inside);
            }
        }
        text
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(runc) = &self.runc {
            // runc removed each container when its process exited; only files are left.
            let _ = crate::fs::remove_dir_forcibly(&runc.root);
        }
    }
}

/// The files outside `dir` that the symlinks in `dir/bin` resolve to.
fn linked_programs(dir: &Path) -> Vec<PathBuf> {
    let Ok(root) = std::fs::canonicalize(dir) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir.join("bin")) else {
        return Vec::new();
    };
    let mut programs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_symlink()))
        .filter_map(|entry| std::fs::canonicalize(entry.path()).ok())
        .filter(|target| !target.starts_with(&root) && target.is_file())
        .collect();
    programs.sort();
    programs.dedup();
    programs
}

/// Whether builds (and `cnb-local launch`) here run at the lifecycle's paths (`/workspace`,
/// `/layers`, `/platform`, `/cnb/buildpacks/…`): with `runc` installed, as root or where the
/// kernel allows unprivileged user namespaces, unless `CNB_LOCAL_SANDBOX=off`.
#[must_use]
pub fn builds_at_lifecycle_paths() -> bool {
    usable_runc().is_ok()
}

/// `runc` and, without root, the user to map to root in a user namespace, when the sandbox
/// can be used; else why not.
fn usable_runc() -> Result<(PathBuf, Option<(u64, u64)>), String> {
    if std::env::var_os(SANDBOX_ENV).is_some_and(|value| value == "off") {
        return Err(format!("{SANDBOX_ENV}=off"));
    }
    let runc = find_tool("runc").ok_or("runc not found; install the Debian package runc")?;
    if rustix::process::geteuid().is_root() {
        return Ok((runc, None));
    }
    if !unprivileged_user_namespaces() {
        return Err("not root, and the kernel refuses unprivileged user namespaces".into());
    }
    let uid = u64::from(rustix::process::geteuid().as_raw());
    let gid = u64::from(rustix::process::getegid().as_raw());
    Ok((runc, Some((uid, gid))))
}

/// Whether the kernel lets a normal user create user namespaces (the sysctls that Linux,
/// Debian and Ubuntu use to refuse it).
fn unprivileged_user_namespaces() -> bool {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .map(|text| text.trim().to_owned())
    };
    read("/proc/sys/user/max_user_namespaces").is_some_and(|max| max != "0")
        && read("/proc/sys/kernel/unprivileged_userns_clone").is_none_or(|on| on != "0")
        && read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
            .is_none_or(|restricted| restricted != "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linked_programs_are_the_targets_outside_the_buildpack_dir() {
        let temp = tempfile::tempdir().unwrap();
        let outside = temp.path().join("target/debug/my-buildpack");
        std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
        std::fs::write(&outside, "#!/bin/sh\n").unwrap();
        let dir = temp.path().join("packaged");
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::write(dir.join("bin/own"), "#!/bin/sh\n").unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("bin/build")).unwrap();
        std::os::unix::fs::symlink("build", dir.join("bin/detect")).unwrap();
        std::os::unix::fs::symlink("own", dir.join("bin/inside")).unwrap();
        std::os::unix::fs::symlink(temp.path().join("missing"), dir.join("bin/dangling")).unwrap();

        assert_eq!(
            linked_programs(&dir),
            [std::fs::canonicalize(&outside).unwrap()]
        );
        assert!(linked_programs(&temp.path().join("nothing")).is_empty());
    }
}
