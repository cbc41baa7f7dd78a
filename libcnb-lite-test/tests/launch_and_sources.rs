//! Launching processes of the built image (launch env, exec.d, working dir), and buildpacks
//! given as a packaged dir whose executables link to one program or as a crate dir built
//! with cargo.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::path::{Path, PathBuf};

use libcnb_lite_test::{BuildConfig, BuildpackReference, LayerStatus, TestRunner, assert_contains};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn processes_run_with_the_launch_env_and_exec_d() {
    let config = BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([
            other(fixture("env-provider")),
            other(fixture("env-consumer")),
        ])
        .clone();
    TestRunner::default().build(config, |ctx| {
        let report = ctx.report();
        assert_eq!(report.default_process.as_deref(), Some("web"));
        assert_eq!(report.labels["fixture"], "provider");
        let web = ctx.run_process(None, None);
        assert_eq!(web.status, Some(0));
        assert_contains!(web.stdout, "exec.d ran");
        assert_contains!(web.stdout, "GREETING=hello");
        assert_contains!(web.stdout, "LAUNCH_ONLY=launch");
        assert_contains!(web.stdout, "EXEC_D_VAR=from-exec-d");
        // exec.d/<process> runs after exec.d/ and sees its output.
        assert_contains!(web.stdout, "WEB_ONLY=web:from-exec-d");
        assert_contains!(web.stdout, "BUILD_ONLY=unset");
        assert_contains!(web.stdout, "tools=z-tools");
        assert_contains!(web.stdout, "args=default-arg");
        let args = ["x".to_owned(), "y".to_owned()];
        assert_contains!(ctx.run_process(Some("web"), Some(&args)).stdout, "args=x y");

        let worker = ctx.run_process(Some("worker"), None);
        assert_eq!(worker.status, Some(3));
        // At the lifecycle's path in the sandbox (root), at the state dir's without it.
        let src = ctx.state_dir().join("build/workspace/src");
        let host = format!("worker in {}\n", src.display());
        assert!(
            worker.stdout.contains("worker in /workspace/src\n") || worker.stdout.contains(&host),
            "{}",
            worker.stdout
        );
    });
}

#[test]
fn one_program_linked_as_bin_detect_and_bin_build_dispatches_on_its_name() {
    let (_dir, dispatch) =
        dispatch_with(&std::fs::read_to_string(fixture("dispatch/buildpack.toml")).unwrap());
    let config = BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([dispatch])
        .clone();
    TestRunner::default().build(config, |ctx| {
        assert_contains!(ctx.pack_stdout, "1 of 1 buildpacks participating");
        assert_contains!(ctx.pack_stdout, "dispatch: build with 3 args, argv0=");
        assert_contains!(ctx.pack_stdout, "/bin/build\n");
    });
}

#[test]
fn a_crate_dir_is_built_with_cargo() {
    let config = BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([other(fixture("rust-buildpack"))])
        .clone();
    TestRunner::default().build(config.clone(), |ctx| {
        assert_contains!(ctx.pack_stdout, "rust build, helper present: true");
        assert_eq!(
            ctx.layer("fixture/rust", "compiled").cached,
            Some(LayerStatus::Added)
        );
        ctx.rebuild(config, |ctx| {
            assert_eq!(
                ctx.layer("fixture/rust", "compiled").exported,
                Some(LayerStatus::Reused)
            );
            assert_eq!(
                ctx.layer("fixture/rust", "compiled").cached,
                Some(LayerStatus::Reused)
            );
        });
    });
}

/// The dispatch fixture packaged with a descriptor written for the test: `bin/detect` and
/// `bin/build` are links to one program, which dispatches on its name as libcnb does.
fn dispatch_with(descriptor: &str) -> (tempfile::TempDir, BuildpackReference) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("buildpack.toml"), descriptor).unwrap();
    std::fs::create_dir(dir.path().join("bin")).unwrap();
    for name in ["detect", "build"] {
        std::os::unix::fs::symlink(
            fixture("dispatch/buildpack-binary"),
            dir.path().join("bin").join(name),
        )
        .unwrap();
    }
    let source = other(dir.path());
    (dir, source)
}

#[test]
fn exec_env_is_given_only_to_buildpack_api_0_12() {
    let header = "[buildpack]\nid = \"fixture/dispatch\"\nversion = \"0.4.0\"\n";
    let (_old, api_0_10) = dispatch_with(&format!("api = \"0.10\"\n{header}"));
    let (_new, api_0_12) = dispatch_with(&format!("api = \"0.12\"\n{header}"));
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", fixture("app")).buildpacks([api_0_10]),
        |ctx| {
            assert_contains!(ctx.pack_stdout, "CNB_EXEC_ENV=unset");
        },
    );
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", fixture("app")).buildpacks([api_0_12.clone()]),
        |ctx| {
            assert_contains!(ctx.pack_stdout, "CNB_EXEC_ENV=production");
        },
    );
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", fixture("app"))
            .buildpacks([api_0_12])
            .exec_env("test"),
        |ctx| {
            assert_contains!(ctx.pack_stdout, "CNB_EXEC_ENV=test");
        },
    );
}

#[test]
fn descriptor_exec_env_skips_buildpacks_on_platform_api_0_15() {
    let (_dir, test_only) = dispatch_with(
        "api = \"0.12\"\n[buildpack]\nid = \"fixture/dispatch\"\nversion = \"0.4.0\"\nexec-env = [\"test\"]\n",
    );
    let group = [other(fixture("layers")), test_only];
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", fixture("app")).buildpacks(group.clone()),
        |ctx| {
            let runs = &ctx.report().detect;
            assert_eq!(runs[1].result, libcnb_lite_test::DetectResult::Skipped);
            assert_contains!(ctx.pack_stdout, "1 of 2 buildpacks participating");
        },
    );
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", fixture("app"))
            .buildpacks(group)
            .exec_env("test"),
        |ctx| {
            assert_contains!(ctx.pack_stdout, "2 of 2 buildpacks participating");
        },
    );
}

#[test]
fn clear_env_keeps_platform_env_out_but_build_config_env_applies() {
    let (_dir, clear) = dispatch_with(
        "api = \"0.10\"\n[buildpack]\nid = \"fixture/dispatch\"\nversion = \"0.4.0\"\nclear-env = true\n",
    );
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", fixture("app"))
            .buildpacks([clear.clone()])
            .env("BP_USER", "platform"),
        |ctx| assert_contains!(ctx.pack_stdout, "BP_USER=unset"),
    );
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", fixture("app"))
            .buildpacks([clear])
            .env("BP_USER", "platform")
            .build_config_env("BP_USER", "operator-default"),
        |ctx| assert_contains!(ctx.pack_stdout, "BP_USER=operator-default"),
    );
    let (_dir, plain) = dispatch_with(
        "api = \"0.10\"\n[buildpack]\nid = \"fixture/dispatch\"\nversion = \"0.4.0\"\n",
    );
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", fixture("app"))
            .buildpacks([plain])
            .env("BP_USER", "platform")
            .build_config_env("BP_USER.override", "operator"),
        |ctx| assert_contains!(ctx.pack_stdout, "BP_USER=operator"),
    );
}

/// A buildpack dir or crate dir as libcnb-test's `BuildpackReference::Other`.
fn other(path: impl AsRef<std::path::Path>) -> BuildpackReference {
    BuildpackReference::Other(path.as_ref().display().to_string())
}
