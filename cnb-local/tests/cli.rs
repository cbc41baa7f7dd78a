//! The `cnb-local` binary: two runs show reuse; clear errors and exit codes for a missing
//! app dir, failing detect, failing build and a corrupt or foreign state dir.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libcnb_lite_test::{assert_contains, assert_not_contains};

/// The harness's test fixtures (buildpacks and an app), shared with its own tests.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../libcnb-lite-test/tests/fixtures")
        .join(name)
}

fn cnb_local(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cnb-local"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn build_args<'a>(buildpack: &'a str, app: &'a str, state: &'a str) -> Vec<&'a str> {
    vec![
        "build",
        "--buildpack",
        buildpack,
        "--app",
        app,
        "--state",
        state,
    ]
}

#[test]
fn second_run_reports_cache_layers_reused() {
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().join("state");
    let (bp, app) = (fixture("layers"), fixture("app"));
    let args = build_args(
        bp.to_str().unwrap(),
        app.to_str().unwrap(),
        state_dir.to_str().unwrap(),
    );

    let first = cnb_local(&args);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let stdout = text(&first.stdout);
    assert_contains!(stdout, "pass     fixture/layers@1.0.0");
    assert_contains!(stdout, "fixture/layers build done");
    assert_contains!(
        stdout,
        "Image: 4 layer(s) added, 0 reused; cache: 4 layer(s) added, 0 reused"
    );
    assert_contains!(stdout, "Timings: prepare ");

    let second = cnb_local(&args);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    let stdout = text(&second.stdout);
    assert_contains!(stdout, "Reusing cache layer 'fixture/layers:bc'");
    assert_contains!(
        stdout,
        "Image: 0 layer(s) added, 4 reused; cache: 0 layer(s) added, 4 reused"
    );
    let bc = stdout
        .lines()
        .find(|l| l.contains("fixture/layers:bc "))
        .unwrap();
    // A cache-only layer: not exported ("-"), reused in the cache.
    let columns: Vec<&str> = bc.split_whitespace().collect();
    assert_eq!(columns[columns.len() - 2..], ["-", "reused"], "{bc}");
}

/// Asserts that `needle` appears exactly once in stdout and stderr together.
fn reported_once(output: &Output, needle: &str) {
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(
        all.matches(needle).count(),
        1,
        "expected {needle:?} once in:\n{all}"
    );
}

#[test]
fn each_failure_is_reported_once_with_its_exit_code() {
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().join("state");
    let state_arg = state_dir.to_str().unwrap();
    let app = fixture("app");
    let app = app.to_str().unwrap();

    let missing = cnb_local(&build_args(
        fixture("layers").to_str().unwrap(),
        "/no/such/app",
        state_arg,
    ));
    assert_eq!(missing.status.code(), Some(1));
    assert_contains!(
        text(&missing.stderr),
        "ERROR: app dir /no/such/app does not exist or is not a directory"
    );
    reported_once(&missing, "/no/such/app");

    // As the lifecycle logs it: each buildpack's result, then one error line.
    let detect = cnb_local(&build_args(
        fixture("detect-fail").to_str().unwrap(),
        app,
        state_arg,
    ));
    assert_eq!(detect.status.code(), Some(20));
    assert_contains!(
        text(&detect.stdout),
        "fail: fixture/detect-fail@1.0.0\nERROR: No buildpack groups passed detection.\n"
    );
    reported_once(&detect, "fail: fixture/detect-fail@1.0.0");
    reported_once(&detect, "detection");
    reported_once(&detect, "no Gemfile here");

    let errored = cnb_local(&build_args(
        fixture("detect-error").to_str().unwrap(),
        app,
        state_arg,
    ));
    assert_eq!(errored.status.code(), Some(21));
    assert_contains!(
        text(&errored.stdout),
        "err (7): fixture/detect-error@1.0.0\nERROR: No buildpack groups passed detection.\n"
    );
    reported_once(&errored, "fixture/detect-error@1.0.0\n");
    reported_once(&errored, "detection");
    reported_once(&errored, "detect crashed");

    let failing = cnb_local(&build_args(
        fixture("build-fail").to_str().unwrap(),
        app,
        state_arg,
    ));
    assert_eq!(failing.status.code(), Some(51));
    assert_contains!(text(&failing.stderr), "compilation failed");
    assert_contains!(
        text(&failing.stderr),
        "ERROR: buildpack fixture/build-fail@1.0.0 failed to build (exit code 3)"
    );
    reported_once(&failing, "failed to build");
    reported_once(&failing, "compilation failed");

    fs::create_dir_all(state_dir.join("image")).unwrap();
    fs::write(state_dir.join("image/metadata.json"), "not json").unwrap();
    let corrupt = cnb_local(&build_args(
        fixture("layers").to_str().unwrap(),
        app,
        state_arg,
    ));
    assert_eq!(corrupt.status.code(), Some(1));
    assert_contains!(text(&corrupt.stderr), "ERROR: corrupt state dir: ");
    reported_once(&corrupt, "corrupt state dir");

    let usage = cnb_local(&["build", "--app", app]);
    assert_eq!(usage.status.code(), Some(2));
    assert_contains!(
        text(&usage.stderr),
        "ERROR: the following required arguments were not provided:\n  --buildpack <DIR>"
    );
    reported_once(&usage, "the following required arguments were not provided");
}

#[test]
fn every_subcommand_has_help_and_usage_errors_exit_2_in_one_style() {
    for command in [
        &["--help"][..],
        &["build", "--help"],
        &["export", "--help"],
        &["launch", "--help"],
        &["help", "build"],
    ] {
        let out = cnb_local(command);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{command:?}: {}",
            text(&out.stderr)
        );
        assert_contains!(text(&out.stdout), "Usage: cnb-local");
    }
    let version = cnb_local(&["--version"]);
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        text(&version.stdout),
        format!("cnb-local {}\n", env!("CARGO_PKG_VERSION"))
    );

    let app = fixture("app");
    let app = app.to_str().unwrap();
    for (args, message) in [
        (
            &["build", "-b", "x", "--app", app, "--platform-api", "99.99"][..],
            "\"99.99\" is not a supported Platform API",
        ),
        (
            &["build", "-b", "x", "--app", app, "--env", "NOVALUE"],
            "wants NAME=VALUE",
        ),
        (
            &["build", "-b", "x", "--app", app, "--run-image", "oci:x"],
            "--image <DIR>",
        ),
        (&["export", "--help-me"], "unexpected argument '--help-me'"),
        (&["launch", "--bogus"], "unexpected argument '--bogus'"),
        (&["nonsense"], "unrecognized subcommand 'nonsense'"),
        (&[], "Usage: cnb-local <COMMAND>"),
    ] {
        let out = cnb_local(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with("ERROR: "), "{args:?}: {stderr}");
        assert_not_contains!(stderr, "error:");
        assert_contains!(stderr, message);
    }
}

#[test]
fn launch_and_export_of_a_missing_state_dir_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let missing = missing.to_str().unwrap();
    let launch = cnb_local(&["launch", "-s", missing]);
    assert_eq!(launch.status.code(), Some(1));
    assert_contains!(text(&launch.stderr), "is not a state dir");
    let image = dir.path().join("image");
    let export = cnb_local(&["export", "-s", missing, "--image", image.to_str().unwrap()]);
    assert_eq!(export.status.code(), Some(1));
    assert_contains!(text(&export.stderr), "ERROR: no image in state dir");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_build_says_once_where_the_app_copy_lives() {
    let state = tempfile::tempdir().unwrap();
    let (bp, app) = (fixture("layers"), fixture("app"));
    let out = cnb_local(&build_args(
        bp.to_str().unwrap(),
        app.to_str().unwrap(),
        state.path().to_str().unwrap(),
    ));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let workspace = state.path().join("build/workspace");
    assert!(
        text(&out.stdout).starts_with(&format!(
            "App: {}, built from a copy in {} (the build's /workspace)\n===> ANALYZING\n===> DETECTING\n",
            app.display(),
            workspace.display()
        )),
        "{}",
        text(&out.stdout)
    );
    reported_once(&out, "build/workspace");
    assert_eq!(
        fs::read_to_string(workspace.join("app.txt")).unwrap(),
        fs::read_to_string(app.join("app.txt")).unwrap()
    );
}

#[test]
fn a_foreign_dir_is_never_used_or_cleaned_as_state() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("precious.txt"), "keep me").unwrap();
    let out = cnb_local(&build_args(
        fixture("layers").to_str().unwrap(),
        fixture("app").to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ));
    assert_eq!(out.status.code(), Some(1));
    assert_contains!(text(&out.stderr), "refusing to use it as a state dir");
    assert_eq!(
        fs::read_to_string(dir.path().join("precious.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn launch_runs_the_default_process() {
    let state = tempfile::tempdir().unwrap();
    let state_arg = state.path().to_str().unwrap();
    let build = cnb_local(&[
        "build",
        "--buildpack",
        fixture("env-provider").to_str().unwrap(),
        "--buildpack",
        fixture("env-consumer").to_str().unwrap(),
        "--app",
        fixture("app").to_str().unwrap(),
        "--state",
        state_arg,
    ]);
    assert_eq!(build.status.code(), Some(0), "{}", text(&build.stderr));
    assert_contains!(text(&build.stdout), "web (default): sh -c");
    let launch = cnb_local(&["launch", "--state", state_arg, "--", "one"]);
    assert_eq!(launch.status.code(), Some(0), "{}", text(&launch.stderr));
    assert_contains!(text(&launch.stdout), "GREETING=hello");
    assert_contains!(text(&launch.stdout), "args=one");
    assert_not_contains!(text(&launch.stdout), "default-arg");
    let worker = cnb_local(&["launch", "--state", state_arg, "--process", "worker"]);
    assert_eq!(worker.status.code(), Some(3));
}
