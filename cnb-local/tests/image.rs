//! `cnb-local build --image` and `cnb-local export`: the image is written, and a non-empty
//! output dir or a bad run image is refused before the build starts.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libcnb_lite_test::{assert_contains, assert_not_contains};

/// The harness's test fixtures (buildpacks and an app), shared with its own tests.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../libcnb-lite-test/tests/fixtures")
        .join(name)
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn cnb_local(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cnb-local"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn cnb_local_build_image_and_export() {
    let work = tempfile::tempdir().unwrap();
    let path = |name: &str| work.path().join(name).display().to_string();
    let (bp, app) = (fixture("image"), fixture("app"));
    let state = path("state");
    let build = |image: &str, extra: &[&str]| {
        let mut args = vec![
            "build",
            "--buildpack",
            bp.to_str().unwrap(),
            "--app",
            app.to_str().unwrap(),
            "--state",
            &state,
            "--image",
            image,
        ];
        args.extend(extra);
        cnb_local(&args)
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();

    let first = build(&path("image"), &[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let stdout = text(&first.stdout);
    assert_contains!(
        stdout,
        &format!("Image: oci:{}:latest written in ", path("image"))
    );
    assert_contains!(
        stdout,
        "3 layer(s) (0 from the run image), manifest sha256:"
    );
    assert_contains!(
        text(&first.stderr),
        "Warning: exec.d program /layers/fixture_image/one/exec.d/noop is not run"
    );
    let manifest = read_json(&work.path().join("image/index.json"))["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_owned();

    // `export` writes the same image from the state dir.
    let export = cnb_local(&[
        "export",
        "--state",
        &path("state"),
        "--image",
        &path("export"),
    ]);
    assert_eq!(export.status.code(), Some(0), "{}", text(&export.stderr));
    assert_contains!(text(&export.stdout), &format!("manifest {manifest}"));

    // Refused before building: a non-empty output dir, a bad run image.
    let again = build(&path("image"), &[]);
    assert_eq!(again.status.code(), Some(1));
    assert_contains!(
        text(&again.stderr),
        &format!("ERROR: {} exists and is not an empty dir", path("image"))
    );
    assert_not_contains!(text(&again.stdout), "===> DETECTING");
    let bad = build(
        &path("new"),
        &["--run-image", &format!("oci:{}", path("nowhere"))],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert_contains!(
        text(&bad.stderr),
        &format!(
            "ERROR: invalid run image: {} does not exist or is not a directory",
            path("nowhere")
        )
    );
    assert!(!work.path().join("new").exists());
    let usage = build(&path("new"), &["--run-image", "docker://busybox"]);
    assert_eq!(usage.status.code(), Some(2));
    assert_contains!(text(&usage.stderr), "is not oci:DIR or oci:DIR:<ref>");
}
