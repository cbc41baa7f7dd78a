//! Builds apps with the compiled basics buildpack through the local lifecycle
//! (`libcnb-lite-test`), across several builds that share the previous image and cache.

use libcnb_lite_test::{
    BuildConfig, BuildpackReference, LayerStatus, PackResult, TestRunner, assert_contains,
    assert_not_contains,
};

const BUILDPACK_ID: &str = "examples/basics";

fn basics() -> BuildpackReference {
    BuildpackReference::CurrentCrate
}

fn app(dir: &str) -> String {
    format!("{}/{dir}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn installs_reuses_and_reinstalls_the_greeter() {
    let config = BuildConfig::new("heroku/builder:24", app("app"))
        .buildpacks([basics()])
        .clone();

    TestRunner::default().build(config.clone(), |ctx| {
        assert_contains!(ctx.pack_stdout, "Installing greeter 1.2.0.");
        let layer = ctx.layer(BUILDPACK_ID, "greeter");
        assert_eq!(layer.exported, Some(LayerStatus::Added));
        assert_eq!(layer.cached, Some(LayerStatus::Added));
        assert_eq!(
            layer.metadata.get("version").and_then(|v| v.as_str()),
            Some("1.2.0")
        );

        // The default process is `greet world`; arguments replace `world`.
        let greet = ctx.run_process(None, None);
        assert_eq!(greet.status, Some(0), "{}", greet.stderr);
        assert_eq!(greet.stdout, "Hello, world! (greeter 1.2.0)\n");
        let ferris = ctx.run_process(Some("greet"), Some(&["Ferris".to_owned()]));
        assert_eq!(ferris.stdout, "Hello, Ferris! (greeter 1.2.0)\n");

        // Same version: the restored layer is kept, and nothing changes in the image.
        ctx.rebuild(config.clone(), |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "Reusing the greeter layer: greeter 1.2.0 is cached."
            );
            assert_not_contains!(ctx.pack_stdout, "Installing");
            let layer = ctx.layer(BUILDPACK_ID, "greeter");
            assert_eq!(layer.exported, Some(LayerStatus::Reused));
            assert_eq!(layer.cached, Some(LayerStatus::Reused));

            // The app now asks for 1.3.0: `inspect_restored` deletes the layer, and the cause
            // it returned says why.
            ctx.rebuild(
                config.clone().app_dir(app("tests/fixtures/greeter-1.3")),
                |ctx| {
                    assert_contains!(
                        ctx.pack_stdout,
                        "Installing greeter 1.3.0: the app asks for 1.3.0, the cache has 1.2.0."
                    );
                    let layer = ctx.layer(BUILDPACK_ID, "greeter");
                    assert_eq!(layer.exported, Some(LayerStatus::Added));
                    assert_eq!(layer.cached, Some(LayerStatus::Added));
                    assert_eq!(
                        ctx.run_process(None, None).stdout,
                        "Hello, world! (greeter 1.3.0)\n"
                    );
                },
            );
        });
    });
}

#[test]
fn apps_without_a_version_file_are_not_detected() {
    let config = BuildConfig::new("heroku/builder:24", app("tests/fixtures/no-greeter"))
        .buildpacks([basics()])
        .expected_pack_result(PackResult::Failure)
        .clone();
    TestRunner::default().build(config, |ctx| {
        assert_contains!(ctx.pack_stdout, "No greeter-version.txt in the app.");
        assert_contains!(
            ctx.pack_stdout,
            "ERROR: No buildpack groups passed detection."
        );
    });
}

#[test]
fn an_invalid_version_fails_the_build_with_a_message() {
    let config = BuildConfig::new("heroku/builder:24", app("tests/fixtures/bad-version"))
        .buildpacks([basics()])
        .expected_pack_result(PackResult::Failure)
        .clone();
    TestRunner::default().build(config, |ctx| {
        assert_contains!(ctx.pack_stderr, "error: ");
        assert_contains!(
            ctx.pack_stderr,
            "greeter-version.txt holds \"latest; rm -rf ~\", which is not a version; write one such as 1.2.0"
        );
    });
}
