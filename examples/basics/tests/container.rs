//! The basics buildpack's image as a runc container prints what `cnb-local launch` prints.
//! Needs root and `runc` (`.ci/run` installs it).

use libcnb_lite_test::container::{ContainerOptions, run_to_completion};
use libcnb_lite_test::oci::tools_available;
use libcnb_lite_test::{BuildConfig, BuildpackReference, TestRunner};

#[test]
fn the_container_prints_what_launch_prints() {
    if !tools_available("the_container_prints_what_launch_prints", &["runc", "root"]) {
        return;
    }
    let config = BuildConfig::new(
        "heroku/builder:24",
        concat!(env!("CARGO_MANIFEST_DIR"), "/app"),
    )
    .buildpacks([BuildpackReference::CurrentCrate])
    .clone();
    TestRunner::default().build(config, |ctx| {
        for args in [None, Some(vec!["Ferris".to_owned()])] {
            let launched = ctx.run_process(None, args.as_deref());
            let mut options = ContainerOptions::new();
            options.command = args;
            let contained = run_to_completion(ctx.state_dir(), &options).unwrap_or_else(|error| {
                panic!("{error}");
            });
            assert_eq!(contained.exit_code, 0, "{contained:?}");
            assert_eq!(contained.stdout, launched.stdout);
            assert!(contained.stdout.starts_with("Hello, "), "{contained:?}");
        }
    });
}
