//! Builds an app two or three times through the local lifecycle (`libcnb-lite-test`) with a
//! buildpack on the deprecated `Layer` trait, and checks each `ExistingLayerStrategy` and
//! `MetadataMigration` on what the lifecycle really restored: metadata without `[types]`
//! whose integers came back as floats, and layer SBOMs from the cache.

use std::fs;
use std::path::PathBuf;

use libcnb_lite_test::{
    BuildConfig, BuildpackReference, LayerStatus, TestContext, TestRunner, assert_contains,
    assert_not_contains,
};

const BUILDPACK_ID: &str = "test/trait-api";

fn config() -> BuildConfig {
    BuildConfig::new(
        "heroku/builder:24",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/app"),
    )
    .buildpacks([BuildpackReference::CurrentCrate])
    .clone()
}

/// A path in the buildpack's layers dir, as the last build left it.
fn layers_path(ctx: &TestContext<'_>, path: &str) -> PathBuf {
    ctx.layers_dir().join("test_trait-api").join(path)
}

fn read(ctx: &TestContext<'_>, path: &str) -> String {
    let path = layers_path(ctx, path);
    fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// What the image's default process prints: `RUNTIME_VERSION` from the layer's env.
fn launched_runtime_version(ctx: &TestContext<'_>) -> String {
    let output = ctx.run_process(None, None);
    assert_eq!(output.status, Some(0), "{output:?}");
    output.stdout.trim().to_string()
}

#[test]
fn keep_leaves_contents_env_and_sbom_as_restored() {
    TestRunner::default().build(config(), |ctx| {
        assert_contains!(ctx.pack_stdout, "layer `runtime`: create in a dir holding []");
        let layer = ctx.layer(BUILDPACK_ID, "runtime");
        assert_eq!(layer.exported, Some(LayerStatus::Added));
        assert_eq!(layer.cached, Some(LayerStatus::Added));
        assert_contains!(read(&ctx, "runtime.sbom.cdx.json"), "\"runtime\":\"3.3.0\"");
        assert_eq!(launched_runtime_version(&ctx), "RUNTIME_VERSION=3.3.0");

        ctx.rebuild(config(), |ctx| {
            // `updates = 0` came back as `0.0`; the trait API still reads it as `u64`.
            assert_contains!(
                ctx.pack_stdout,
                "layer `runtime`: existing layer RuntimeMetadata { version: \"3.3.0\", updates: 0 } with RUNTIME_VERSION=Some(\"3.3.0\") -> Keep"
            );
            assert_not_contains!(ctx.pack_stdout, "layer `runtime`: create");
            assert_not_contains!(ctx.pack_stdout, "layer `runtime`: update");
            assert_contains!(
                ctx.pack_stdout,
                "layer `runtime` files: [\"env/\", \"env/RUNTIME_VERSION.override\", \"version.txt\"]"
            );
            let layer = ctx.layer(BUILDPACK_ID, "runtime");
            assert_eq!(layer.exported, Some(LayerStatus::Reused));
            assert_eq!(layer.cached, Some(LayerStatus::Reused));
            // Keep wrote back the types the lifecycle strips on restore.
            assert!(layer.types.launch && layer.types.build && layer.types.cache);
            assert_eq!(layer.metadata["version"], toml::Value::from("3.3.0"));
            // Keep keeps the SBOM the lifecycle restored from the cache.
            assert_contains!(read(&ctx, "runtime.sbom.cdx.json"), "\"runtime\":\"3.3.0\"");
            assert_eq!(launched_runtime_version(&ctx), "RUNTIME_VERSION=3.3.0");
        });
    });
}

/// Upstream's `Keep` writes `<layer>.toml` from the deserialized `Layer::Metadata`, so the
/// floats of the lifecycle's JSON round trip become integers again (and keys the type does
/// not know are dropped). libcnb-lite's `Keep` does the same.
#[test]
fn keep_writes_back_the_metadata_as_the_layer_type_serializes_it() {
    TestRunner::default().build(config(), |ctx| {
        ctx.rebuild(config(), |ctx| {
            assert_contains!(ctx.pack_stdout, "-> Keep");
            assert_eq!(
                ctx.layer(BUILDPACK_ID, "runtime").metadata,
                toml::toml! { version = "3.3.0" updates = 0 }
            );
        });
    });
}

#[test]
fn recreate_deletes_the_layer_and_creates_it_again() {
    TestRunner::default().build(config(), |ctx| {
        let recreate = config()
            .env("STRATEGY", "recreate")
            .env("VERSION", "3.4.0")
            .clone();
        ctx.rebuild(recreate, |ctx| {
            assert_contains!(ctx.pack_stdout, "-> Recreate");
            assert_contains!(
                ctx.pack_stdout,
                "layer `runtime`: create in a dir holding []"
            );
            assert_eq!(read(&ctx, "runtime/version.txt"), "3.4.0");
            assert_contains!(read(&ctx, "runtime.sbom.cdx.json"), "\"runtime\":\"3.4.0\"");
            let layer = ctx.layer(BUILDPACK_ID, "runtime");
            assert_eq!(layer.exported, Some(LayerStatus::Added));
            assert_eq!(layer.cached, Some(LayerStatus::Added));
            assert_eq!(launched_runtime_version(&ctx), "RUNTIME_VERSION=3.4.0");
        });
    });
}

#[test]
fn update_changes_the_layer_in_place_and_drops_the_sbom_it_does_not_return() {
    TestRunner::default().build(config(), |ctx| {
        let update = config().env("STRATEGY", "update").clone();
        ctx.rebuild(update.clone(), |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "layer `runtime`: update RuntimeMetadata { version: \"3.3.0\", updates: 0 }"
            );
            assert_not_contains!(ctx.pack_stdout, "layer `runtime`: create");
            assert_eq!(read(&ctx, "runtime/version.txt"), "3.3.0");
            assert_eq!(read(&ctx, "runtime/updates.log"), "updated\n");
            // The update result has no SBOM, so the restored one is gone (upstream's
            // semantics); its env was passed through, so it is still there.
            assert!(!layers_path(&ctx, "runtime.sbom.cdx.json").exists());
            assert_eq!(launched_runtime_version(&ctx), "RUNTIME_VERSION=3.3.0");
            let layer = ctx.layer(BUILDPACK_ID, "runtime");
            assert_eq!(layer.metadata["updates"], toml::Value::Integer(1));
            assert_eq!(layer.exported, Some(LayerStatus::Added));
            assert_eq!(layer.cached, Some(LayerStatus::Added));

            ctx.rebuild(update, |ctx| {
                assert_contains!(
                    ctx.pack_stdout,
                    "layer `runtime`: update RuntimeMetadata { version: \"3.3.0\", updates: 1 }"
                );
                assert_eq!(read(&ctx, "runtime/updates.log"), "updated\nupdated\n");
                assert_eq!(
                    ctx.layer(BUILDPACK_ID, "runtime").metadata["updates"],
                    toml::Value::Integer(2)
                );
            });
        });
    });
}

#[test]
fn replace_metadata_migrates_and_the_strategy_then_sees_the_new_metadata() {
    TestRunner::default().build(config().env("SCHEMA", "1"), |ctx| {
        assert_contains!(ctx.pack_stdout, "layer `runtime`: create with schema 1");
        assert_eq!(
            ctx.layer(BUILDPACK_ID, "runtime").metadata,
            toml::toml! { runtime = "ruby-3.3.0" }
        );

        let replace = config().env("MIGRATION", "replace").clone();
        ctx.rebuild(replace, |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "layer `runtime`: migrate Some({\"runtime\": String(\"ruby-3.3.0\")}) -> ReplaceMetadata(RuntimeMetadata { version: \"3.3.0\", updates: 0 })"
            );
            // The schema 1 layer had no env: Keep keeps it that way.
            assert_contains!(
                ctx.pack_stdout,
                "layer `runtime`: existing layer RuntimeMetadata { version: \"3.3.0\", updates: 0 } with RUNTIME_VERSION=None -> Keep"
            );
            assert_not_contains!(ctx.pack_stdout, "layer `runtime`: create");
            assert_contains!(ctx.pack_stdout, "layer `runtime` files: [\"version.txt\"]");
            let layer = ctx.layer(BUILDPACK_ID, "runtime");
            assert_eq!(
                layer.metadata,
                toml::toml! { version = "3.3.0" updates = 0 }
            );
            assert_eq!(layer.exported, Some(LayerStatus::Reused));
            assert_eq!(layer.cached, Some(LayerStatus::Reused));

            // The replaced metadata was written: no migration, and update gets it.
            ctx.rebuild(config().env("STRATEGY", "update"), |ctx| {
                assert_not_contains!(ctx.pack_stdout, "layer `runtime`: migrate");
                assert_contains!(
                    ctx.pack_stdout,
                    "layer `runtime`: update RuntimeMetadata { version: \"3.3.0\", updates: 0 }"
                );
                assert_eq!(read(&ctx, "runtime/updates.log"), "updated\n");
            });
        });
    });
}

#[test]
fn recreate_layer_migration_deletes_the_old_layer_and_creates_a_new_one() {
    TestRunner::default().build(config().env("SCHEMA", "1"), |ctx| {
        ctx.rebuild(config().env("VERSION", "3.4.0"), |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "layer `runtime`: migrate Some({\"runtime\": String(\"ruby-3.3.0\")}) -> RecreateLayer"
            );
            assert_not_contains!(ctx.pack_stdout, "-> Keep");
            assert_contains!(ctx.pack_stdout, "layer `runtime`: create in a dir holding []");
            assert_eq!(read(&ctx, "runtime/version.txt"), "3.4.0");
            assert_eq!(
                ctx.layer(BUILDPACK_ID, "runtime").metadata,
                toml::toml! { version = "3.4.0" updates = 0 }
            );
            assert_eq!(launched_runtime_version(&ctx), "RUNTIME_VERSION=3.4.0");
        });
    });
}

#[test]
fn default_methods_recreate_the_layer_on_every_build() {
    TestRunner::default().build(config(), |ctx| {
        assert_contains!(ctx.pack_stdout, "layer `defaults`: create in a dir holding []");
        assert_eq!(
            ctx.layer(BUILDPACK_ID, "defaults").cached,
            Some(LayerStatus::Added)
        );

        ctx.rebuild(config(), |ctx| {
            let restored = ctx
                .report()
                .restored_layer(BUILDPACK_ID, "defaults")
                .expect("the cache-only layer is restored");
            assert!(restored.contents);
            // Restored with `created.txt`, yet `create` ran in an empty dir: the default
            // strategy is Recreate.
            assert_contains!(ctx.pack_stdout, "layer `defaults`: create in a dir holding []");
            assert_contains!(
                ctx.pack_stdout,
                "layer `defaults`: handled with metadata DefaultsMetadata { created_by: \"create\" }"
            );
            // Recreated byte for byte, so the cache reuses the archive.
            assert_eq!(
                ctx.layer(BUILDPACK_ID, "defaults").cached,
                Some(LayerStatus::Reused)
            );
        });
    });
}
