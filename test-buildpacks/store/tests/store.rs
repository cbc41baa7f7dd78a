//! `store.toml` across builds through the local lifecycle: written in one build, restored in
//! the next from the previous image (through JSON, so integers come back as floats), kept
//! after a failed build and after a build that returns none, and emptied by an empty store.

use libcnb_lite_test::{BuildConfig, BuildpackReference, PackResult, TestRunner, assert_contains};

fn config() -> BuildConfig {
    BuildConfig::new(
        "heroku/builder:24",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/app"),
    )
    .buildpacks([BuildpackReference::CurrentCrate])
    .clone()
}

#[test]
fn the_store_survives_rebuilds_as_json_makes_it() {
    let state = tempfile::tempdir().unwrap();

    TestRunner::default()
        .state_dir(state.path())
        .build(config(), |ctx| {
            assert_contains!(ctx.pack_stdout, "store: none\n");
            assert_contains!(ctx.pack_stdout, "store: writing builds = 1\n");
            // What the buildpack wrote: integers and a datetime.
            let written =
                std::fs::read_to_string(ctx.layers_dir().join("test_store/store.toml")).unwrap();
            assert_contains!(written, "builds = 1\n");
            assert_contains!(written, "built_at = 1979-05-27T07:32:00Z\n");
        });

    TestRunner::default()
        .state_dir(state.path())
        .build(config(), |ctx| {
            // What came back: keys sorted, integers as floats, the datetime as a string.
            assert_contains!(
                ctx.pack_stdout,
                "store: build_numbers = array [float 1.0]\n\
             store: builds = float 1.0\n\
             store: built_at = string \"1979-05-27T07:32:00Z\"\n\
             store: fresh = boolean true\n\
             store: label = string \"build 1\"\n\
             store: nested = table {builds = float 1.0}\n\
             store: ratio = float 0.5\n"
            );
            assert_contains!(
                ctx.pack_stdout,
                "strict read failed: invalid type: floating point `1.0`, expected u64\n"
            );
            assert_contains!(
                ctx.pack_stdout,
                "robust read: builds = 1, build_numbers = [1]\n"
            );
            assert_contains!(ctx.pack_stdout, "store: writing builds = 2\n");
        });

    // A failed build exports nothing: the next build still gets build 2's store.
    TestRunner::default().state_dir(state.path()).build(
        config()
            .env("STORE_ACTION", "fail")
            .expected_pack_result(PackResult::Failure),
        |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "robust read: builds = 2, build_numbers = [1, 2]\n"
            );
            assert_contains!(ctx.pack_stderr, "Requested");
        },
    );

    // Returning no store keeps the restored one: it is still in the layers dir at export.
    TestRunner::default().state_dir(state.path()).build(
        config().env("STORE_ACTION", "skip"),
        |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "robust read: builds = 2, build_numbers = [1, 2]\n"
            );
            assert_contains!(ctx.pack_stdout, "store: not returning one\n");
        },
    );

    // An empty store is how a buildpack forgets.
    TestRunner::default().state_dir(state.path()).build(
        config().env("STORE_ACTION", "clear"),
        |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "robust read: builds = 2, build_numbers = [1, 2]\n"
            );
            assert_contains!(ctx.pack_stdout, "store: returning an empty one\n");
        },
    );

    TestRunner::default()
        .state_dir(state.path())
        .build(config(), |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "robust read: builds = 0, build_numbers = []\n"
            );
            assert_contains!(ctx.pack_stdout, "store: writing builds = 1\n");
        });
}
