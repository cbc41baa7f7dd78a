//! Packaging failures panic with libcnb-test's and libcnb-package's messages, word for word,
//! since suites match on them with `#[should_panic(expected = …)]`.

use std::path::Path;

use libcnb_lite_test::{BuildConfig, BuildpackReference, TestRunner};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn build(buildpack: BuildpackReference) {
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", "tests/fixtures/app").buildpacks([buildpack]),
        |_| {},
    );
}

#[test]
#[should_panic(
    expected = "Error packaging current crate as buildpack: Couldn't find a buildpack.toml file at "
)]
fn a_crate_without_buildpack_toml() {
    // This crate is not a buildpack.
    build(BuildpackReference::CurrentCrate);
}

#[test]
#[should_panic(
    expected = "Building buildpack binaries failed: Failed to build binary target broken-crate: Cargo unexpectedly exited with status exit status: 101"
)]
fn a_crate_that_does_not_compile() {
    build(BuildpackReference::Other(fixture("broken-crate")));
}

#[test]
#[should_panic(
    expected = "Obtaining Cargo metadata failed: `cargo metadata` exited with an error: "
)]
fn a_crate_with_an_invalid_manifest() {
    build(BuildpackReference::Other(fixture("bad-manifest")));
}

#[test]
#[should_panic(
    expected = "Couldn't find buildpack 'heroku/procfile': it is not a directory, and no buildpack with this ID is in CNB_BUILDPACK_PATH"
)]
fn an_unknown_buildpack_id() {
    build(BuildpackReference::Other("heroku/procfile".into()));
}
