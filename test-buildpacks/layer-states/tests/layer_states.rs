//! Builds an app two or three times through the local lifecycle (`libcnb-lite-test`) and
//! checks that the struct layer API reaches each `LayerState` and `EmptyLayerCause` for
//! real: on what the lifecycle restored (metadata without `[types]`, integers turned into
//! floats by its JSON round trip, launch-only layers without contents), not on a layers
//! directory arranged by hand.

use std::fs;

use libcnb_lite_test::{
    BuildConfig, BuildpackReference, LayerStatus, PackResult, RestoredFrom, TestContext,
    TestRunner, assert_contains, assert_not_contains,
};

const BUILDPACK_ID: &str = "test/layer-states";

fn config() -> BuildConfig {
    BuildConfig::new(
        "heroku/builder:24",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/app"),
    )
    .buildpacks([BuildpackReference::CurrentCrate])
    .clone()
}

/// A file of a layer, as the last build left it.
fn layer_file(ctx: &TestContext<'_>, layer: &str, file: &str) -> String {
    let path = ctx
        .layers_dir()
        .join("test_layer-states")
        .join(layer)
        .join(file);
    fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn metadata_value(ctx: &TestContext<'_>, layer: &str, key: &str) -> toml::Value {
    ctx.layer(BUILDPACK_ID, layer)
        .metadata
        .get(key)
        .unwrap_or_else(|| panic!("layer {layer} has no metadata {key}"))
        .clone()
}

#[test]
fn new_layer_is_kept_and_its_integer_metadata_survives_the_json_round_trip() {
    TestRunner::default().build(config(), |ctx| {
        assert_contains!(ctx.pack_stdout, "restored toml `versioned`: none");
        assert_contains!(
            ctx.pack_stdout,
            "layer `versioned`: Empty { cause: NewlyCreated }"
        );
        assert_contains!(ctx.pack_stdout, "layer `versioned` files: []");
        let layer = ctx.layer(BUILDPACK_ID, "versioned");
        assert_eq!(layer.exported, Some(LayerStatus::Added));
        assert_eq!(layer.cached, Some(LayerStatus::Added));
        assert_eq!(
            metadata_value(&ctx, "versioned", "builds"),
            toml::Value::Integer(1)
        );

        ctx.rebuild(config(), |ctx| {
            // The lifecycle handed `builds` back as a float; `u64` still reads it.
            assert_contains!(
                ctx.pack_stdout,
                "restored toml `versioned`: [metadata]|builds = 1.0|history = [1.0]|version = \"1\"|"
            );
            assert_contains!(
                ctx.pack_stdout,
                "layer `versioned`: Restored { cause: UpToDate { builds: 1 } }"
            );
            assert_contains!(ctx.pack_stdout, "layer `versioned` files: [\"version.txt\"]");
            assert_contains!(ctx.pack_stdout, "layer `scratch`: Restored { cause: () }");
            let layer = ctx.layer(BUILDPACK_ID, "versioned");
            assert_eq!(layer.exported, Some(LayerStatus::Reused));
            assert_eq!(layer.cached, Some(LayerStatus::Reused));
            assert_eq!(
                metadata_value(&ctx, "versioned", "builds"),
                toml::Value::Integer(2)
            );

            ctx.rebuild(config(), |ctx| {
                assert_contains!(
                    ctx.pack_stdout,
                    "restored toml `versioned`: [metadata]|builds = 2.0|history = [1.0, 2.0]|version = \"1\"|"
                );
                assert_contains!(
                    ctx.pack_stdout,
                    "layer `versioned`: Restored { cause: UpToDate { builds: 2 } }"
                );
                assert_eq!(layer_file(&ctx, "versioned", "version.txt"), "1");
                assert_eq!(
                    ctx.layer(BUILDPACK_ID, "versioned").metadata,
                    toml::toml! { version = "1" builds = 3 history = [1, 2, 3] }
                );
            });
        });
    });
}

#[test]
fn inspect_restored_deletes_an_outdated_layer() {
    TestRunner::default().build(config(), |ctx| {
        ctx.rebuild(config().env("VERSION", "2"), |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "layer `versioned`: Empty { cause: InspectRestoredAction { cause: Outdated { cached: \"1\", wanted: \"2\" } } }"
            );
            // Deleted and recreated empty before the buildpack wrote the new version.
            assert_contains!(ctx.pack_stdout, "layer `versioned` files: []");
            assert_eq!(layer_file(&ctx, "versioned", "version.txt"), "2");
            let layer = ctx.layer(BUILDPACK_ID, "versioned");
            assert_eq!(layer.exported, Some(LayerStatus::Added));
            assert_eq!(layer.cached, Some(LayerStatus::Added));
            assert_eq!(
                metadata_value(&ctx, "versioned", "builds"),
                toml::Value::Integer(1)
            );
        });
    });
}

#[test]
fn invalid_metadata_deletes_a_layer_of_the_old_schema() {
    TestRunner::default().build(config(), |ctx| {
        assert_contains!(
            ctx.pack_stdout,
            "layer `migrating`: Empty { cause: NewlyCreated }"
        );
        assert_eq!(
            ctx.layer(BUILDPACK_ID, "migrating").cached,
            Some(LayerStatus::Added)
        );

        ctx.rebuild(config().env("SCHEMA", "2"), |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "restored toml `migrating`: [metadata]|runtime = \"ruby-3.3.0\"|"
            );
            assert_contains!(
                ctx.pack_stdout,
                "layer `migrating`: invalid_metadata got Some({\"runtime\": String(\"ruby-3.3.0\")})"
            );
            assert_contains!(
                ctx.pack_stdout,
                "layer `migrating`: Empty { cause: InvalidMetadataAction { cause: \"schema 1 runtime Some(\\\"ruby-3.3.0\\\") is not schema 2\" } }"
            );
            assert_contains!(ctx.pack_stdout, "layer `migrating` files: []");
            assert_eq!(
                layer_file(&ctx, "migrating", "runtime.txt"),
                "ruby 3.3.0 (schema 2)"
            );
            assert_eq!(
                ctx.layer(BUILDPACK_ID, "migrating").cached,
                Some(LayerStatus::Added)
            );
        });
    });
}

#[test]
fn invalid_metadata_replaced_then_kept_in_this_build_and_the_next() {
    TestRunner::default().build(config(), |ctx| {
        let replace = config().env("SCHEMA", "2").env("ON_INVALID", "replace").clone();
        ctx.rebuild(replace, |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "layer `migrating`: Restored { cause: \"schema 2 runtime ruby 3.3.0 is cached\" }"
            );
            // The contents of the schema 1 build are still there, so the cache reuses them.
            assert_contains!(ctx.pack_stdout, "layer `migrating` files: [\"runtime.txt\"]");
            assert_eq!(
                layer_file(&ctx, "migrating", "runtime.txt"),
                "ruby-3.3.0 (schema 1)"
            );
            let layer = ctx.layer(BUILDPACK_ID, "migrating");
            assert_eq!(layer.cached, Some(LayerStatus::Reused));
            assert_eq!(
                layer.metadata,
                toml::toml! { name = "ruby" version = "3.3.0" }
            );

            // The replaced metadata was written: schema 2 reads it without a callback.
            ctx.rebuild(config().env("SCHEMA", "2"), |ctx| {
                assert_not_contains!(ctx.pack_stdout, "layer `migrating`: invalid_metadata got");
                assert_contains!(
                    ctx.pack_stdout,
                    "layer `migrating`: Restored { cause: \"schema 2 runtime ruby 3.3.0 is cached\" }"
                );
                assert_eq!(
                    layer_file(&ctx, "migrating", "runtime.txt"),
                    "ruby-3.3.0 (schema 1)"
                );
            });
        });
    });
}

#[test]
fn invalid_metadata_replaced_then_deleted_by_inspect_restored() {
    TestRunner::default().build(config(), |ctx| {
        let replace_then_delete = config()
            .env("SCHEMA", "2")
            .env("ON_INVALID", "replace")
            .env("ON_RESTORED", "delete").clone();
        ctx.rebuild(replace_then_delete, |ctx| {
            assert_contains!(ctx.pack_stdout, "layer `migrating`: invalid_metadata got");
            assert_contains!(
                ctx.pack_stdout,
                "layer `migrating`: Empty { cause: InspectRestoredAction { cause: \"schema 2 runtime ruby 3.3.0 is not wanted\" } }"
            );
            assert_contains!(ctx.pack_stdout, "layer `migrating` files: []");
            assert_eq!(
                layer_file(&ctx, "migrating", "runtime.txt"),
                "ruby 3.3.0 (schema 2)"
            );
        });
    });
}

#[test]
fn replacement_metadata_that_does_not_read_back_fails_the_build_and_keeps_the_cache() {
    TestRunner::default().build(config(), |ctx| {
        let unreadable = config()
            .env("SCHEMA", "2")
            .env("ON_INVALID", "replace-unreadable")
            .expected_pack_result(PackResult::Failure).clone();
        ctx.rebuild(unreadable, |ctx| {
            assert_contains!(ctx.pack_stdout, "layer `migrating`: invalid_metadata got");
            assert_not_contains!(ctx.pack_stdout, "layer `migrating`: Restored");
            // Upstream's variant holds only the TOML error, so that error names the layer and
            // the file and says what to do (the default on_error prints the Debug form).
            assert_contains!(
                ctx.pack_stderr,
                "LayerError(ReadLayerError(LayerContentMetadataParseError(Error { message: \
                 \"the metadata of layer `migrating` (to be written to "
            );
            assert_contains!(
                ctx.pack_stderr,
                "/migrating.toml) doesn't deserialize as the layer's metadata type once \
                 serialized; make the type's `Serialize` and `Deserialize` agree: missing field"
            );

            // A failed build commits nothing: the schema 1 layer comes back unchanged.
            ctx.rebuild(config(), |ctx| {
                assert_contains!(
                    ctx.pack_stdout,
                    "layer `migrating`: Restored { cause: \"schema 1 runtime ruby-3.3.0 is cached\" }"
                );
                assert_eq!(
                    ctx.layer(BUILDPACK_ID, "migrating").cached,
                    Some(LayerStatus::Reused)
                );
            });
        });
    });
}

#[test]
fn uncached_layer_recreates_what_a_cached_layer_of_the_same_name_left() {
    TestRunner::default().build(config(), |ctx| {
        assert_contains!(
            ctx.pack_stdout,
            "layer `scratch`: Empty { cause: NewlyCreated }"
        );
        assert_eq!(
            ctx.layer(BUILDPACK_ID, "scratch").cached,
            Some(LayerStatus::Added)
        );

        ctx.rebuild(config().env("SCRATCH", "uncached"), |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "restored toml `scratch`: [metadata]|written_by = \"cached\"|"
            );
            assert_contains!(
                ctx.pack_stdout,
                "layer `scratch`: Empty { cause: InspectRestoredAction { cause: () } }"
            );
            assert_contains!(ctx.pack_stdout, "layer `scratch` files: []");
            assert_eq!(
                layer_file(&ctx, "scratch", "uncached.txt"),
                "from an uncached layer"
            );
            assert_eq!(ctx.layer(BUILDPACK_ID, "scratch").cached, None);

            // Not cached this time, so nothing comes back.
            ctx.rebuild(config().env("SCRATCH", "uncached"), |ctx| {
                assert_contains!(ctx.pack_stdout, "restored toml `scratch`: none");
                assert_contains!(
                    ctx.pack_stdout,
                    "layer `scratch`: Empty { cause: NewlyCreated }"
                );
            });
        });
    });
}

#[test]
fn uncached_launch_layer_is_newly_created_although_its_metadata_is_restored() {
    TestRunner::default().build(config(), |ctx| {
        assert_contains!(
            ctx.pack_stdout,
            "layer `launch-only`: Empty { cause: NewlyCreated }"
        );
        assert_eq!(
            ctx.layer(BUILDPACK_ID, "launch-only").exported,
            Some(LayerStatus::Added)
        );

        ctx.rebuild(config(), |ctx| {
            let restored = ctx
                .report()
                .restored_layer(BUILDPACK_ID, "launch-only")
                .expect("the launch-only layer's metadata is restored from the image");
            assert_eq!(restored.metadata_from, RestoredFrom::Image);
            assert!(!restored.contents);
            assert_contains!(
                ctx.pack_stdout,
                "restored toml `launch-only`: [metadata]|written_by = \"uncached\"|"
            );
            // A toml without a dir is deleted and the layer treated as absent.
            assert_contains!(
                ctx.pack_stdout,
                "layer `launch-only`: Empty { cause: NewlyCreated }"
            );
            assert_contains!(ctx.pack_stdout, "layer `launch-only` files: []");
            let layer = ctx.layer(BUILDPACK_ID, "launch-only");
            assert_eq!(layer.exported, Some(LayerStatus::Reused));
            assert_eq!(layer.cached, None);
        });
    });
}

#[test]
fn layer_whose_metadata_was_never_written_goes_to_invalid_metadata() {
    TestRunner::default().build(config(), |ctx| {
        assert_contains!(
            ctx.pack_stdout,
            "layer `unwritten`: Empty { cause: NewlyCreated }"
        );
        ctx.rebuild(config(), |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "layer `unwritten`: Empty { cause: InvalidMetadataAction { cause: \"its metadata was never written\" } }"
            );
            assert_contains!(ctx.pack_stdout, "layer `unwritten` files: []");
        });
    });
}

/// The lifecycle stores a `<layer>.toml` without `[metadata]` as `"data": null` and, on
/// restore, its TOML encoder skips the nil field: the restored file has no `[metadata]`, so
/// libcnb's `invalid_metadata` gets `None` (upstream's
/// [`handle_layer`](https://github.com/heroku/libcnb.rs/blob/v0.30.4/libcnb/src/layer/struct_api/handling.rs)
/// does the same). The harness does the
/// same: it stores absent metadata as JSON `null` and restores a file without `[metadata]`.
#[test]
fn absent_metadata_is_restored_as_absent() {
    TestRunner::default().build(config(), |ctx| {
        ctx.rebuild(config(), |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "layer `unwritten`: invalid_metadata got None"
            );
            assert_contains!(ctx.pack_stdout, "restored toml `unwritten`: \n");
        });
    });
}
