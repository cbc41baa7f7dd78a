//! Builds at the reference lifecycle's paths: as root with runc, buildpacks see
//! `/workspace`, `/layers`, `/platform` and `/cnb/buildpacks/<id>/<version>`, run as the
//! build config's user, and write what they write there; with `CNB_LOCAL_SANDBOX=off` (or
//! without root or runc) the build runs at the state dir's paths and prints one warning.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use libcnb_lite_test::oci::tools_available;
use libcnb_lite_test::{BuildConfig, BuildpackReference, Quiet, builds_at_lifecycle_paths, run};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../libcnb-lite-test/tests/fixtures")
        .join(name)
}

fn cnb_local_build(state: &Path, sandbox: Option<&str>) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cnb-local"));
    command
        .arg("build")
        .arg("--buildpack")
        .arg(fixture("env-provider"))
        .arg("--buildpack")
        .arg(fixture("env-consumer"))
        .arg("--app")
        .arg(fixture("app"))
        .arg("--state")
        .arg(state);
    if let Some(value) = sandbox {
        command.env("CNB_LOCAL_SANDBOX", value);
    }
    command.output().unwrap()
}

const WARNING: &str = "Warning: building at the state dir's paths, not at /workspace, /layers and /platform (CNB_LOCAL_SANDBOX=off); paths the buildpacks write into the image will differ from the reference lifecycle's\n";

#[test]
fn builds_run_at_the_lifecycle_paths_as_the_cnb_user() {
    if !tools_available(
        "builds_run_at_the_lifecycle_paths_as_the_cnb_user",
        &["runc", "root"],
    ) {
        return;
    }
    assert!(builds_at_lifecycle_paths());
    let state = tempfile::tempdir().unwrap();
    let output = cnb_local_build(state.path(), None);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stderr.contains("Warning: building at"), "{stderr}");
    for line in [
        "argv0=/cnb/buildpacks/fixture_env-consumer/0.2.0/bin/build\n",
        "cwd=/workspace\n",
        "CNB_LAYERS_DIR=/layers/fixture_env-consumer\n",
        "CNB_PLATFORM_DIR=/platform\n",
        "CNB_BUILDPACK_DIR=/cnb/buildpacks/fixture_env-consumer/0.2.0\n",
        "PATH=/layers/fixture_env-provider/z-tools/bin:/layers/fixture_env-provider/a-tools/bin:",
    ] {
        assert!(stdout.contains(line), "{line} not in:\n{stdout}");
    }
    // Layers are written by the CNB user (1000:1000 by default).
    let layer = state
        .path()
        .join("build/layers/fixture_env-provider/z-tools");
    let meta = std::fs::metadata(layer.join("bin")).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (1000, 1000));
    // Nothing of the sandbox stays behind.
    assert!(!state.path().join("sandbox").exists());
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mountinfo.contains(&*state.path().to_string_lossy()));

    // Another user, from the build config.
    let config = BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([other(fixture("layers"))])
        .user(1234, 4321)
        .clone();
    let other = tempfile::tempdir().unwrap();
    run(&config, other.path(), &Quiet).unwrap();
    let layers = other.path().join("build/layers");
    let owned: Vec<(u32, u32)> = walk(&layers)
        .iter()
        .filter(|path| {
            path.starts_with(layers.join("fixture_layers"))
                && *path != &layers.join("fixture_layers")
        })
        .map(|path| {
            let meta = std::fs::symlink_metadata(path).unwrap();
            (meta.uid(), meta.gid())
        })
        .collect();
    assert!(!owned.is_empty());
    assert!(owned.iter().all(|&ids| ids == (1234, 4321)), "{owned:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                stack.push(path.clone());
            }
            all.push(path);
        }
    }
    all
}

#[test]
fn the_fallback_warns_once_and_still_builds() {
    let state = tempfile::tempdir().unwrap();
    let output = cnb_local_build(state.path(), Some("off"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(
        stderr.matches("Warning: building at").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains(WARNING), "{stderr}");
    let layers = state.path().canonicalize().unwrap().join("build/layers");
    let expected = format!("CNB_LAYERS_DIR={}/fixture_env-consumer\n", layers.display());
    assert!(stdout.contains(&expected), "{expected} not in:\n{stdout}");
}

/// A buildpack dir or crate dir as libcnb-test's `BuildpackReference::Other`.
fn other(path: impl AsRef<std::path::Path>) -> BuildpackReference {
    BuildpackReference::Other(path.as_ref().display().to_string())
}

#[test]
fn a_normal_user_builds_in_a_user_namespace_where_the_kernel_allows_it() {
    if !tools_available(
        "a_normal_user_builds_in_a_user_namespace_where_the_kernel_allows_it",
        &["runc", "root", "setpriv"],
    ) {
        return;
    }
    // A state dir that user 1000 owns; the fixtures and cnb-local are world-readable.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::chown(dir.path(), Some(1000), Some(1000)).unwrap();
    let state = dir.path().join("state");
    let output = Command::new("setpriv")
        .args(["--reuid=1000", "--regid=1000", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_cnb-local"))
        .arg("build")
        .arg("--buildpack")
        .arg(fixture("env-provider"))
        .arg("--buildpack")
        .arg(fixture("env-consumer"))
        .arg("--app")
        .arg(fixture("app"))
        .arg("--state")
        .arg(&state)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    // The sysctls by which Linux, Debian and Ubuntu refuse unprivileged user namespaces.
    let is_not = |path: &str, value: &str| {
        std::fs::read_to_string(path).map_or(true, |text| text.trim() != value)
    };
    let allowed = std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
        .is_ok_and(|max| max.trim() != "0")
        && is_not("/proc/sys/kernel/unprivileged_userns_clone", "0")
        && is_not(
            "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
            "1",
        );
    if allowed {
        assert!(!stderr.contains("Warning: building at"), "{stderr}");
        assert!(
            stdout.contains("CNB_LAYERS_DIR=/layers/fixture_env-consumer\n"),
            "{stdout}"
        );
        assert!(stdout.contains("cwd=/workspace\n"), "{stdout}");
        let layer = state.join("build/layers/fixture_env-provider/z-tools/bin");
        let meta = std::fs::metadata(layer).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (1000, 1000));
    } else {
        assert!(
            stderr.contains("not root, and the kernel refuses unprivileged user namespaces"),
            "{stderr}"
        );
    }
}
