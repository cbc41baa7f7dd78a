//! The pieces of an OCI runtime bundle that build sandboxes and containers share: the
//! host's OS tree as a read-only root file system, the kernel's file systems, bind mounts,
//! and `config.json`.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use super::{SandboxError, sandbox_error};

/// What a bundle's process is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OciProcess<'a> {
    /// argv.
    pub args: &'a [String],
    /// `NAME=value` lines.
    pub env: &'a [String],
    /// Working dir inside.
    pub cwd: &'a str,
    /// uid, gid.
    pub user: (u64, u64),
    /// Whether it gets its own network namespace (containers) or the host's (builds).
    pub own_network: bool,
    /// Without root: the host's uid and gid that are root in the bundle's own user
    /// namespace (a rootless bundle).
    pub host_user: Option<(u64, u64)>,
}

/// Top-level host dirs the container does not get: the kernel's and runtime's own
/// (mounted fresh), scratch space (a fresh tmpfs), and the CNB paths it gets from the image.
const HOST_SKIP: [&str; 14] = [
    "proc",
    "sys",
    "dev",
    "run",
    "tmp",
    "layers",
    "workspace",
    "cnb",
    "platform",
    "lost+found",
    "boot",
    "media",
    "mnt",
    "old_root",
];

/// The host's top-level dirs to bind read-only into `rootfs` (empty when the run image
/// provides the root file system).
fn host_dirs(host: bool) -> Vec<PathBuf> {
    if !host {
        return Vec::new();
    }
    let Ok(entries) = fs::read_dir("/") else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .filter(|entry| {
            let name = entry.file_name();
            !HOST_SKIP.iter().any(|skip| OsStr::new(skip) == name)
        })
        .map(|entry| entry.path())
        .collect();
    dirs.sort();
    dirs
}

/// Makes `rootfs` a tree of mount points and the host's top-level symlinks (`/bin` →
/// `usr/bin` on merged-usr systems).
pub(crate) fn host_rootfs(rootfs: &Path) -> Result<(), SandboxError> {
    fs::create_dir_all(rootfs).map_err(sandbox_error(rootfs))?;
    let entries = fs::read_dir("/").map_err(sandbox_error(Path::new("/")))?;
    for entry in entries.filter_map(Result::ok) {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let target = rootfs.join(entry.file_name());
        if kind.is_symlink() {
            let link = fs::read_link(entry.path()).map_err(sandbox_error(&entry.path()))?;
            std::os::unix::fs::symlink(link, &target).map_err(sandbox_error(&target))?;
        } else if kind.is_dir() {
            fs::create_dir(&target).map_err(sandbox_error(&target))?;
        }
    }
    for dir in [
        "layers",
        "workspace",
        "cnb/launch",
        "tmp",
        "proc",
        "dev",
        "sys",
    ] {
        let path = rootfs.join(dir);
        fs::create_dir_all(&path).map_err(sandbox_error(&path))?;
    }
    // runc gives a tmpfs the mode of the dir it is mounted on.
    let tmp = rootfs.join("tmp");
    fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o1777))
        .map_err(sandbox_error(&tmp))?;
    Ok(())
}

pub(crate) fn host_mounts(host: bool) -> Vec<serde_json::Value> {
    host_dirs(host)
        .iter()
        .map(|dir| bind(dir, dir, true))
        .collect()
}

pub(crate) fn bind(source: &Path, target: &Path, read_only: bool) -> serde_json::Value {
    let mut options = vec!["rbind", "nosuid"];
    if read_only {
        options.push("ro");
    }
    serde_json::json!({
        "destination": target,
        "type": "bind",
        "source": source,
        "options": options,
    })
}

/// The mounts every Linux container gets (those of `runc spec`, with a fresh `/tmp`);
/// `rootless`: the host's `/sys` read-only (a user namespace cannot mount sysfs without its
/// own network namespace).
pub(crate) fn system_mounts(rootless: bool) -> Vec<serde_json::Value> {
    let sys = if rootless {
        serde_json::json!({"destination": "/sys", "type": "bind", "source": "/sys",
                           "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]})
    } else {
        serde_json::json!({"destination": "/sys", "type": "sysfs", "source": "sysfs",
                           "options": ["nosuid", "noexec", "nodev", "ro"]})
    };
    let mut mounts = serde_json::json!([
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "nodev", "mode=1777"]},
        {"destination": "/run", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "nodev", "mode=755"]},
    ])
    .as_array()
    .cloned()
    .unwrap_or_default();
    mounts.push(sys);
    mounts
}

/// The capabilities Docker gives a container's root.
const CAPABILITIES: [&str; 14] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// The bundle's `config.json` ([OCI runtime spec](https://github.com/opencontainers/runtime-spec/blob/main/config.md)).
pub(crate) fn oci_config(
    name: &str,
    rootfs: &Path,
    rootfs_read_only: bool,
    process: &OciProcess<'_>,
    mounts: &[serde_json::Value],
) -> serde_json::Value {
    let mut namespaces = vec![
        serde_json::json!({"type": "pid"}),
        serde_json::json!({"type": "ipc"}),
        serde_json::json!({"type": "uts"}),
        serde_json::json!({"type": "mount"}),
    ];
    if process.own_network {
        namespaces.push(serde_json::json!({"type": "network"}));
    }
    let mapping = |id: u64| serde_json::json!([{"containerID": 0, "hostID": id, "size": 1}]);
    let (uid_mappings, gid_mappings) = match process.host_user {
        Some((user_id, group_id)) => {
            namespaces.push(serde_json::json!({"type": "user"}));
            (mapping(user_id), mapping(group_id))
        }
        None => (serde_json::json!([]), serde_json::json!([])),
    };
    let (uid, gid) = process.user;
    // Root gets Docker's set; the CNB user may read (not write) the whole host tree.
    let capabilities: &[&str] = if uid == 0 {
        &CAPABILITIES
    } else {
        &["CAP_DAC_READ_SEARCH"]
    };
    serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": {"uid": uid, "gid": gid},
            "args": process.args,
            "env": process.env,
            "cwd": process.cwd,
            "capabilities": {
                "bounding": capabilities,
                "effective": capabilities,
                "permitted": capabilities,
                "inheritable": capabilities,
                "ambient": if uid == 0 { &[][..] } else { capabilities },
            },
            "noNewPrivileges": true,
        },
        "root": {"path": rootfs, "readonly": rootfs_read_only},
        "hostname": name,
        "mounts": mounts,
        "linux": {
            "namespaces": namespaces,
            "uidMappings": uid_mappings,
            "gidMappings": gid_mappings,
            "maskedPaths": [
                "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                "/proc/scsi", "/sys/firmware",
            ],
            "readonlyPaths": [
                "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                "/proc/sysrq-trigger",
            ],
        },
    })
}

/// `tool` on `PATH`.
pub(crate) fn find_tool(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| candidate.is_file())
}
