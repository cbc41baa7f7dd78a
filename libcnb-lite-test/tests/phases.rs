//! Detect, build and env behaviour with shell-script fixture buildpacks: env propagation
//! between two buildpacks, the `CNB_*` variables, plans, detect fail versus error, and a
//! failing build that exports and caches nothing.

use std::fs;
use std::path::{Path, PathBuf};

use libcnb_lite_test::{
    BuildConfig, BuildpackReference, DetectError, DetectResult, LifecycleError, PackResult,
    TestRunner, assert_contains, assert_empty, assert_not_contains, builds_at_lifecycle_paths,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn provider_and_consumer() -> BuildConfig {
    BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([
            other(fixture("env-provider")),
            other(fixture("env-consumer")),
        ])
        .clone()
}

#[test]
fn env_from_earlier_build_layers_reaches_later_buildpacks_in_lifecycle_order() {
    TestRunner::default().build(
        provider_and_consumer()
            .env("BP_USER", "me")
            .env("USER_VALUE", "from-platform"),
        |ctx| {
            let out = &ctx.pack_stdout;
            // A buildpack never sees its own layers through env.
            assert_contains!(out, "provider sees GREETING=unset");
            // env/ and env.build/ of build=true layers; env.launch/ and launch-only layers are not applied.
            assert_contains!(out, "GREETING=hello");
            assert_contains!(out, "BUILD_ONLY=yes");
            assert_contains!(out, "LAUNCH_ONLY=unset");
            assert_contains!(out, "NOT_FOR_BUILD=unset");
            // Layers are applied in "<name>.toml" order: the later one overrides and wins PATH.
            assert_contains!(out, "ORDER=from-z");
            assert_contains!(out, "tools=z-tools");
            let layer_dir = |name: &str| {
                if builds_at_lifecycle_paths() {
                    Path::new("/layers/fixture_env-provider").join(name)
                } else {
                    ctx.layer_dir("fixture/env-provider", name)
                }
            };
            let z = layer_dir("z-tools").join("bin");
            let a = layer_dir("a-tools").join("bin");
            assert_contains!(out, format!("PATH={}:{}:", z.display(), a.display()));
            // Append with a delimiter read from the same dir; no delimiter: plain concatenation.
            assert_contains!(out, "LIST=first,second");
            // Platform env overrides buildpack-set values on every invocation.
            assert_contains!(out, "USER_VALUE=from-platform");
            assert_contains!(out, "BP_USER=me");
        },
    );
}

#[test]
fn build_gets_lifecycle_arguments_and_cnb_variables_only() {
    TestRunner::default().build(provider_and_consumer(), |ctx| {
        let out = &ctx.pack_stdout;
        // In the sandbox, the lifecycle's paths; without it, the state dir's.
        let sandboxed = builds_at_lifecycle_paths();
        let consumer = if sandboxed {
            PathBuf::from("/cnb/buildpacks/fixture_env-consumer/0.2.0")
        } else {
            fixture("env-consumer")
        };
        assert_contains!(out, format!("argv0={}/bin/build", consumer.display()));
        assert_contains!(out, "args=3");
        assert_contains!(out, format!("CNB_BUILDPACK_DIR={}", consumer.display()));
        // The dir the buildpack got, under its escaped ID.
        let layers = ctx.buildpack_layers_dir("fixture/env-consumer");
        assert!(layers.ends_with("build/layers/fixture_env-consumer"));
        let layers = if sandboxed {
            PathBuf::from("/layers/fixture_env-consumer")
        } else {
            layers
        };
        assert_contains!(out, format!("CNB_LAYERS_DIR={}", layers.display()));
        assert_contains!(out, "CNB_TARGET_OS=linux");
        assert_contains!(out, "CNB_TARGET_ARCH=amd64");
        assert_contains!(out, "CNB_TARGET_DISTRO_NAME=ubuntu");
        assert_contains!(out, "CNB_TARGET_DISTRO_VERSION=24.04");
        assert_contains!(out, "CNB_APP_DIR=unset");
        assert_contains!(out, "CNB_EXEC_ENV=unset");
        assert_contains!(out, "CNB_BP_PLAN_PATH=/");
        let workspace = if sandboxed {
            PathBuf::from("/workspace")
        } else {
            ctx.state_dir().join("build/workspace")
        };
        assert_contains!(out, format!("cwd={}\n", workspace.display()));
        // stderr is captured separately.
        assert_contains!(ctx.pack_stderr, "stderr line");
        assert_not_contains!(ctx.pack_stdout, "stderr line");
    });
}

#[test]
fn the_provider_receives_the_requirement_and_may_leave_it_unmet() {
    TestRunner::default().build(provider_and_consumer(), |ctx| {
        assert_contains!(
            ctx.pack_stdout,
            "provider plan:\n[[entries]]\nname = \"tools\"\n\n[entries.metadata]\nversion = 3\n"
        );
        let report = ctx.report();
        assert_eq!(report.group.len(), 2);
    });
}

#[test]
fn an_unmet_entry_outside_the_plan_fails_the_build() {
    TestRunner::default().build(
        provider_and_consumer()
            .env("UNMET_BOGUS", "1")
            .expected_pack_result(PackResult::Failure),
        |ctx| {
            assert_contains!(
                ctx.pack_stderr,
                "unmet plan entry \"bogus\" is not in the buildpack plan"
            );
        },
    );
}

#[test]
fn the_app_dir_is_copied_not_modified() {
    TestRunner::default().build(provider_and_consumer(), |ctx| {
        assert_contains!(ctx.pack_stdout, "app file: hello from the app");
        assert_eq!(
            fs::read_to_string(fixture("app/app.txt")).unwrap(),
            "hello from the app\n"
        );
        assert_eq!(
            fs::read_to_string(ctx.state_dir().join("build/workspace/app.txt")).unwrap(),
            "modified\n"
        );
    });
}

#[test]
fn detect_fail_is_distinguished_from_detect_error() {
    let config = |bp: &str| {
        BuildConfig::new("heroku/builder:24", fixture("app"))
            .buildpacks([other(fixture(bp))])
            .expected_pack_result(PackResult::Failure)
            .clone()
    };
    TestRunner::default().build(config("detect-fail"), |ctx| {
        let Some(LifecycleError::Detect(DetectError::Failed { runs })) = ctx.error() else {
            panic!("expected a detect failure, got {:?}", ctx.error());
        };
        assert_eq!(runs[0].result, DetectResult::Fail);
        // When detection fails as a whole, every buildpack's output is shown.
        assert_contains!(ctx.pack_stdout, "no Gemfile here");
        assert_contains!(
            ctx.pack_stdout,
            "ERROR: No buildpack groups passed detection."
        );
        // Reported once, by the lifecycle log.
        assert_empty!(ctx.pack_stderr);
    });
    TestRunner::default().build(config("detect-error"), |ctx| {
        let Some(LifecycleError::Detect(DetectError::Errored { runs })) = ctx.error() else {
            panic!("expected a detect error, got {:?}", ctx.error());
        };
        assert_eq!(runs[0].result, DetectResult::Error(Some(7)));
        assert_contains!(ctx.pack_stdout, "detect crashed");
        assert_contains!(ctx.pack_stdout, "err (7): fixture/detect-error@1.0.0\n");
        assert_not_contains!(ctx.pack_stderr, "detection");
    });
}

#[test]
fn an_optional_buildpack_may_fail_detection() {
    let mut config = BuildConfig::new("heroku/builder:24", fixture("app"));
    config
        .buildpacks([other(fixture("detect-fail")), other(fixture("layers"))])
        .optional_buildpacks([other(fixture("detect-fail"))]);
    TestRunner::default().build(config, |ctx| {
        assert_eq!(
            ctx.report().group,
            [("fixture/layers".to_owned(), "1.0.0".to_owned())]
        );
        assert_contains!(ctx.pack_stdout, "1 of 2 buildpacks participating");
        assert_not_contains!(ctx.pack_stdout, "no Gemfile here");
    });
}

#[test]
fn a_failing_build_stops_the_group_and_exports_and_caches_nothing() {
    let good = BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([other(fixture("layers"))])
        .clone();
    TestRunner::default().build(good.clone(), |ctx| {
        let image = fs::read(ctx.state_dir().join("image/metadata.json")).unwrap();
        let cache_meta = ctx
            .state_dir()
            .join("cache/committed/io.buildpacks.lifecycle.cache.metadata");
        let cache = fs::read(&cache_meta).unwrap();
        let failing = good
            .clone()
            .buildpacks([other(fixture("build-fail")), other(fixture("layers"))])
            .expected_pack_result(PackResult::Failure)
            .clone();
        ctx.rebuild(failing, |ctx| {
            assert!(matches!(ctx.error(), Some(LifecycleError::Build(_))));
            assert_contains!(ctx.pack_stderr, "compilation failed");
            assert_contains!(
                ctx.pack_stderr,
                "buildpack fixture/build-fail@1.0.0 failed to build (exit code 3)"
            );
            assert_not_contains!(ctx.pack_stdout, "fixture/layers build done");
            assert_not_contains!(ctx.pack_stdout, "===> EXPORTING");
            assert_eq!(
                fs::read(ctx.state_dir().join("image/metadata.json")).unwrap(),
                image
            );
            assert_eq!(fs::read(&cache_meta).unwrap(), cache);
            // The state is intact: the next good build reuses everything.
            ctx.rebuild(good, |ctx| {
                assert_contains!(ctx.pack_stdout, "Reusing layer 'fixture/layers:bcl'");
            });
        });
    });
}

#[test]
#[should_panic(expected = "App dir is not a valid directory: ")]
fn a_missing_app_dir_is_reported() {
    // As with libcnb-test, a missing app dir is a panic before any build; the lifecycle's
    // own `MissingAppDir` is tested through cnb-local (tests/cli.rs).
    let config = BuildConfig::new("heroku/builder:24", fixture("no-such-app"))
        .buildpacks([other(fixture("layers"))])
        .expected_pack_result(PackResult::Failure)
        .clone();
    TestRunner::default().build(config, |_| {});
}

/// A buildpack dir or crate dir as libcnb-test's `BuildpackReference::Other`.
fn other(path: impl AsRef<std::path::Path>) -> BuildpackReference {
    BuildpackReference::Other(path.as_ref().display().to_string())
}
