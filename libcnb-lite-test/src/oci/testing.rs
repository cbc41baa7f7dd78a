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
        "{test}: missing {} (apt-get install skopeo umoci runc busybox-static docker-registry; runc needs root)",
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

/// Unpacks the image at `image` (an OCI layout written by [`super::write_image`]) with
/// `umoci unpack` into `bundle`, turns off its terminal, and starts it with `runc run` as
/// container `id`, stdin closed; `args`, when given, replace the image's `Cmd` (the
/// process's arguments). Needs root, `umoci` and `runc`.
///
/// # Errors
///
/// Fails when `umoci` fails or a tool cannot be started; `runc`'s own exit status is in
/// the output.
pub fn run_with_runc(
    image: &Path,
    bundle: &Path,
    id: &str,
    args: Option<&[&str]>,
) -> std::io::Result<std::process::Output> {
    use std::process::Stdio;
    let unpack = Command::new("umoci")
        .args(["unpack", "--image"])
        .arg(format!("{}:{}", image.display(), super::REF))
        .arg(bundle)
        .stdin(Stdio::null())
        .output()?;
    if !unpack.status.success() {
        return Err(std::io::Error::other(format!(
            "umoci unpack failed: {}",
            String::from_utf8_lossy(&unpack.stderr)
        )));
    }
    let config_path = bundle.join("config.json");
    let mut config: serde_json::Value = serde_json::from_slice(&std::fs::read(&config_path)?)?;
    config["process"]["terminal"] = false.into();
    if let Some(args) = args {
        // umoci's args are Entrypoint + Cmd; the entrypoint of these images is the command.
        let entrypoint_len = image_entrypoint_len(image)?;
        let process_args = &mut config["process"]["args"];
        let mut new_args: Vec<serde_json::Value> = process_args
            .as_array()
            .map(|all| all.iter().take(entrypoint_len).cloned().collect())
            .unwrap_or_default();
        new_args.extend(args.iter().map(|&arg| serde_json::Value::from(arg)));
        *process_args = new_args.into();
    }
    std::fs::write(&config_path, serde_json::to_vec(&config)?)?;
    Command::new("runc")
        .arg("run")
        .arg("--bundle")
        .arg(bundle)
        .arg(id)
        .stdin(Stdio::null())
        .output()
}

/// The length of the image's `Entrypoint`.
fn image_entrypoint_len(image: &Path) -> std::io::Result<usize> {
    let read_json = |path: &Path| -> std::io::Result<serde_json::Value> {
        Ok(serde_json::from_slice(&std::fs::read(path)?)?)
    };
    let blob = |digest: &serde_json::Value| {
        let digest = digest.as_str().unwrap_or_default();
        image
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    };
    let index = read_json(&image.join("index.json"))?;
    let manifest = read_json(&blob(&index["manifests"][0]["digest"]))?;
    let config = read_json(&blob(&manifest["config"]["digest"]))?;
    Ok(config["config"]["Entrypoint"]
        .as_array()
        .map_or(0, Vec::len))
}
