//! Builds an app with the compiled execd buildpack through the local lifecycle, and launches
//! it: the launcher runs the layer's exec.d program first, and the process sees its output.

use std::num::NonZeroUsize;

use libcnb_lite_test::{BuildConfig, BuildpackReference, LayerStatus, TestRunner, assert_contains};

fn config() -> BuildConfig {
    let buildpack = BuildpackReference::CurrentCrate
    // What libcnb-cargo packages for `additional_buildpack_binary_path!("web-concurrency")`.
    ;
    BuildConfig::new(
        "heroku/builder:24",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/app"),
    )
    .buildpacks([buildpack])
    .clone()
}

#[test]
fn the_exec_d_program_sets_web_concurrency_at_launch() {
    let cpus = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let config = config();

    TestRunner::default().build(config.clone(), |ctx| {
        assert_contains!(ctx.pack_stdout, "Added exec.d/web-concurrency");
        let layer = ctx.layer("examples/execd", "web-concurrency");
        assert_eq!(layer.exported, Some(LayerStatus::Added));
        assert_eq!(layer.cached, None);
        // The program is a copy of the crate's second binary, in the layer's exec.d/.
        assert!(
            ctx.layers_dir()
                .join("examples_execd/web-concurrency/exec.d/web-concurrency")
                .is_file()
        );

        let web = ctx.run_process(None, None);
        assert_eq!(web.status, Some(0), "{}", web.stderr);
        assert_eq!(web.stdout, format!("{cpus}\n"));

        // The layer is recreated each build, with the same program: the image layer is reused.
        ctx.rebuild(config, |ctx| {
            let layer = ctx.layer("examples/execd", "web-concurrency");
            assert_eq!(layer.exported, Some(LayerStatus::Reused));
            assert_eq!(ctx.run_process(None, None).stdout, format!("{cpus}\n"));
        });
    });
}
