//! Helpers for tests that check images with real clients (`skopeo`, `umoci`, `runc`) and
//! run them on a busybox run image, without network access or Docker.

use std::path::Path;
use std::process::Command;

use super::{ImageError, WrittenImage, write_rootfs_image};

/// Where Debian's `busybox-static` package installs busybox.
pub const BUSYBOX: &str = "/usr/bin/busybox";

/// Whether the external `tools` (and, for `"root"`, root privileges) are available for a
/// test, which then runs; otherwise prints why the test is skipped and returns `false`.
///
/// Under CI (`CI` set to anything but `false` or empty) a missing tool is a failure, not a
/// skip: CI installs them (`.ci/run`), so a skip there would hide a broken setup.
///
/// # Examples
///
/// ```
/// if libcnb_lite_test::oci::tools_available("checks sh", &["sh"]) {
///     // … run `sh` …
/// }
/// ```
///
/// # Panics
///
/// Panics under CI when a tool is missing.
#[must_use]
pub fn tools_available(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|tool| match *tool {
            "root" => !is_root(),
            "busybox" => !Path::new(BUSYBOX).is_file(),
            tool => Command::new("sh")
                .args(["-c", "command -v \"$1\" >/dev/null", "sh", tool])
                .status()
                .map_or(true, |status| !status.success()),
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    let reason = format!(
        "{test}: missing {} (apt-get install skopeo umoci runc busybox-static; runc needs root)",
        missing.join(", ")
    );
    let ci = std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false");
    assert!(
        !ci,
        "{reason}; CI must provide them (.ci/run installs them)"
    );
    eprintln!("skipped {reason}");
    false
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// Writes a run image built from Debian's `busybox-static` ([`BUSYBOX`]): `/bin/busybox`,
/// `/bin/sh` and `/bin/env` (links to it), `/tmp` (mode 1777), and `PATH=/usr/local/bin:/usr/bin:/bin`.
///
/// # Errors
///
/// Fails when busybox cannot be read, `output` is not empty, or a file cannot be written.
pub fn write_busybox_image(output: &Path) -> Result<WrittenImage, ImageError> {
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImageError::Write { path, source }
    };
    let rootfs = tempfile::tempdir().map_err(write_error(&std::env::temp_dir()))?;
    let bin = rootfs.path().join("bin");
    std::fs::create_dir_all(&bin).map_err(write_error(&bin))?;
    let tmp = rootfs.path().join("tmp");
    std::fs::create_dir_all(&tmp).map_err(write_error(&tmp))?;
    std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o1777))
        .map_err(write_error(&tmp))?;
    std::fs::copy(BUSYBOX, bin.join("busybox")).map_err(|source| ImageError::ReadLayer {
        path: BUSYBOX.into(),
        source,
    })?;
    for applet in ["sh", "env"] {
        std::os::unix::fs::symlink("busybox", bin.join(applet)).map_err(write_error(&bin))?;
    }
    write_rootfs_image(
        rootfs.path(),
        output,
        &["PATH=/usr/local/bin:/usr/bin:/bin".to_owned()],
    )
}
