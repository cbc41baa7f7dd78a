//! Launching processes of the built image (launch env, exec.d, working dir), and buildpacks
//! given as a compiled binary plus descriptor or as a crate dir built with cargo.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::path::{Path, PathBuf};

use libcnb_lite_test::{BuildConfig, BuildpackSource, LayerStatus, assert_contains, build};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn processes_run_with_the_launch_env_and_exec_d() {
    let config = BuildConfig::new(
        fixture("app"),
        [
            BuildpackSource::dir(fixture("env-provider")),
            BuildpackSource::dir(fixture("env-consumer")),
        ],
    );
    build(config, |ctx| {
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
fn a_binary_plus_descriptor_is_packaged_as_bin_detect_and_bin_build() {
    let config = BuildConfig::new(
        fixture("app"),
        [BuildpackSource::binary(
            fixture("dispatch/buildpack-binary"),
            fixture("dispatch/buildpack.toml"),
        )],
    );
    build(config, |ctx| {
        assert_contains!(ctx.stdout, "1 of 1 buildpacks participating");
        assert_contains!(ctx.stdout, "dispatch: build with 3 args, argv0=");
        assert_contains!(ctx.stdout, "/bin/build\n");
    });
}

#[test]
fn a_crate_dir_is_built_with_cargo() {
    let config = BuildConfig::new(
        fixture("app"),
        [BuildpackSource::crate_dir(fixture("rust-buildpack"))],
    );
    build(config.clone(), |ctx| {
        assert_contains!(ctx.stdout, "rust build, helper present: true");
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

/// The dispatch fixture with a descriptor written for the test.
fn dispatch_with(descriptor: &str) -> (tempfile::TempDir, BuildpackSource) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("buildpack.toml");
    std::fs::write(&path, descriptor).unwrap();
    let source = BuildpackSource::binary(fixture("dispatch/buildpack-binary"), path);
    (dir, source)
}

#[test]
fn exec_env_is_given_only_to_buildpack_api_0_12() {
    let header = "[buildpack]\nid = \"fixture/dispatch\"\nversion = \"0.4.0\"\n";
    let (_old, api_0_10) = dispatch_with(&format!("api = \"0.10\"\n{header}"));
    let (_new, api_0_12) = dispatch_with(&format!("api = \"0.12\"\n{header}"));
    build(BuildConfig::new(fixture("app"), [api_0_10]), |ctx| {
        assert_contains!(ctx.stdout, "CNB_EXEC_ENV=unset");
    });
    build(
        BuildConfig::new(fixture("app"), [api_0_12.clone()]),
        |ctx| {
            assert_contains!(ctx.stdout, "CNB_EXEC_ENV=production");
        },
    );
    build(
        BuildConfig::new(fixture("app"), [api_0_12]).exec_env("test"),
        |ctx| {
            assert_contains!(ctx.stdout, "CNB_EXEC_ENV=test");
        },
    );
}

#[test]
fn descriptor_exec_env_skips_buildpacks_on_platform_api_0_15() {
    let (_dir, test_only) = dispatch_with(
        "api = \"0.12\"\n[buildpack]\nid = \"fixture/dispatch\"\nversion = \"0.4.0\"\nexec-env = [\"test\"]\n",
    );
    let group = [BuildpackSource::dir(fixture("layers")), test_only];
    build(BuildConfig::new(fixture("app"), group.clone()), |ctx| {
        let runs = &ctx.report().detect;
        assert_eq!(runs[1].result, libcnb_lite_test::DetectResult::Skipped);
        assert_contains!(ctx.stdout, "1 of 2 buildpacks participating");
    });
    build(
        BuildConfig::new(fixture("app"), group).exec_env("test"),
        |ctx| {
            assert_contains!(ctx.stdout, "2 of 2 buildpacks participating");
        },
    );
}

#[test]
fn clear_env_keeps_platform_env_out_but_build_config_env_applies() {
    let (_dir, clear) = dispatch_with(
        "api = \"0.10\"\n[buildpack]\nid = \"fixture/dispatch\"\nversion = \"0.4.0\"\nclear-env = true\n",
    );
    build(
        BuildConfig::new(fixture("app"), [clear.clone()]).env("BP_USER", "platform"),
        |ctx| assert_contains!(ctx.stdout, "BP_USER=unset"),
    );
    build(
        BuildConfig::new(fixture("app"), [clear])
            .env("BP_USER", "platform")
            .build_config_env("BP_USER", "operator-default"),
        |ctx| assert_contains!(ctx.stdout, "BP_USER=operator-default"),
    );
    let (_dir, plain) = dispatch_with(
        "api = \"0.10\"\n[buildpack]\nid = \"fixture/dispatch\"\nversion = \"0.4.0\"\n",
    );
    build(
        BuildConfig::new(fixture("app"), [plain])
            .env("BP_USER", "platform")
            .build_config_env("BP_USER.override", "operator"),
        |ctx| assert_contains!(ctx.stdout, "BP_USER=operator"),
    );
}
