//! An integration test written with upstream libcnb-test 0.30.4 (from crates.io), patched onto
//! libcnb-lite-data like the rest of the tree: `buildpack_id!` now makes libcnb-lite-data's
//! `BuildpackId`, which is the type `BuildpackReference::WorkspaceBuildpack` takes. It needs
//! Docker and pack to run, so it only has to compile here (`cargo test` builds it).

use libcnb::data::buildpack_id;
use libcnb_test::{BuildConfig, BuildpackReference, ContainerConfig, TestRunner, assert_contains};

#[test]
#[ignore = "needs Docker and pack (libcnb-test's platform)"]
fn greets() {
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", "tests/fixtures/app").buildpacks([
            BuildpackReference::WorkspaceBuildpack(buildpack_id!("drop-in/greeter")),
        ]),
        |context| {
            assert_contains!(context.pack_stdout, "Installing greeter 1.2.0");
            context.start_container(ContainerConfig::new(), |container| {
                assert_contains!(container.logs_wait().stdout, "Hello from the drop-in check");
            });
        },
    );
}
