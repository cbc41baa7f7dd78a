//! The execd buildpack's image as a runc container: the exec.d program runs in the
//! container before the process, which prints what `cnb-local launch` prints.
//! Needs root and `runc` (`.ci/run` installs it).

use libcnb_lite_test::container::{ContainerOptions, run_to_completion};
use libcnb_lite_test::oci::tools_available;
use libcnb_lite_test::{BuildConfig, BuildpackReference, TestRunner};

#[test]
fn the_container_applies_the_exec_d_program() {
    if !tools_available(
        "the_container_applies_the_exec_d_program",
        &["runc", "root"],
    ) {
        return;
    }
    let buildpack = BuildpackReference::CurrentCrate;
    let config = BuildConfig::new(
        "heroku/builder:24",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/app"),
    )
    .buildpacks([buildpack])
    .clone();
    TestRunner::default().build(config, |ctx| {
        let launched = ctx.run_process(None, None);
        let contained = run_to_completion(ctx.state_dir(), &ContainerOptions::new())
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(contained.exit_code, 0, "{contained:?}");
        assert_eq!(contained.stdout, launched.stdout);
        assert!(!contained.stdout.trim().is_empty());
    });
}
