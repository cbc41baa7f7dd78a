//! Every row of the lifecycle's restore table (which of the eight `[types]` combinations comes
//! back on the next build, with metadata and with contents;
//! [spec: Layer Types](https://github.com/buildpacks/spec/blob/main/buildpack.md#layer-types)) across two and three builds, with
//! the shell-script fixture `layers`, which creates one layer per type combination and
//! prints what the previous build left behind.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::fs;
use std::path::{Path, PathBuf};

use libcnb_lite_test::{
    BuildConfig, BuildpackReference, LayerStatus, RestoredFrom, TestRunner, assert_contains,
    assert_not_contains,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn config() -> BuildConfig {
    BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([other(fixture("layers"))])
        .clone()
}

const ID: &str = "fixture/layers";

#[test]
fn second_build_restores_by_the_eight_row_table() {
    TestRunner::default().build(config(), |ctx| {
        assert_contains!(ctx.pack_stdout, "Layer cache not found");
        assert_contains!(ctx.pack_stdout, "no-store");
        for name in ["bcl", "bl", "cl", "l"] {
            assert_eq!(
                ctx.layer(ID, name).exported,
                Some(LayerStatus::Added),
                "{name}"
            );
        }
        for name in ["bcl", "bc", "cl", "c"] {
            assert_eq!(
                ctx.layer(ID, name).cached,
                Some(LayerStatus::Added),
                "{name}"
            );
        }
        for name in ["bc", "b", "c", "none"] {
            assert_eq!(ctx.layer(ID, name).exported, None, "{name}");
        }
        for name in ["bl", "b", "l", "none"] {
            assert_eq!(ctx.layer(ID, name).cached, None, "{name}");
        }
        // An all-false layer is renamed to `<layer>.ignore` after the build.
        assert!(ctx.layer_dir(ID, "none.ignore").is_dir());
        assert!(!ctx.layer_dir(ID, "none").exists());
        assert_eq!(
            ctx.layer_dir(ID, "bc"),
            ctx.state_dir().join("build/layers/fixture_layers/bc")
        );

        ctx.rebuild(config(), |ctx| {
            let out = &ctx.pack_stdout;
            // build=T cache=T launch=T: metadata from the image (the cache has it), contents from the cache.
            assert_contains!(
                out,
                "Restoring metadata for \"fixture/layers:bcl\" from app image"
            );
            assert_contains!(out, "restored-dir bcl: bcl-v1");
            // build=T cache=T launch=F: metadata and contents from the cache.
            assert_contains!(
                out,
                "Restoring metadata for \"fixture/layers:bc\" from cache"
            );
            assert_contains!(out, "restored-dir bc: bc-v1");
            // build=T cache=F launch=T: nothing comes back.
            assert_contains!(out, "no-toml bl");
            assert_contains!(out, "no-dir bl");
            // build=T cache=F launch=F: nothing.
            assert_contains!(out, "no-toml b\n");
            assert_contains!(out, "no-dir b\n");
            // build=F cache=T launch=T: like TTT.
            assert_contains!(out, "restored-dir cl: cl-v1");
            // build=F cache=T launch=F: from the cache.
            assert_contains!(out, "restored-dir c: c-v1");
            // build=F cache=F launch=T: metadata from the image, never contents.
            assert_contains!(
                out,
                "restored-toml l: [metadata]|name = \"l\"|version = 1.0|"
            );
            assert_contains!(out, "no-dir l");
            // build=F cache=F launch=F: nothing.
            assert_contains!(out, "no-toml none");
            assert_contains!(out, "no-dir none");

            // `[types]` is stripped and integers come back as floats (JSON round trip).
            assert_contains!(
                out,
                "restored-toml bcl: [metadata]|name = \"bcl\"|version = 1.0|"
            );
            assert_not_contains!(out, "[types]");
            // store.toml comes back from the image, through JSON too.
            assert_contains!(
                out,
                "restored-store: [metadata]|count = 7.0|value = \"stored\"|"
            );
            // Layer SBOMs come back for cache layers and launch layers.
            assert_contains!(out, "restored-sbom bc");
            assert_contains!(out, "restored-sbom bcl");
            assert_contains!(out, "restored-sbom l");

            let report = ctx.report();
            let from = |name| {
                report
                    .restored_layer(ID, name)
                    .map(|l| (l.metadata_from, l.contents))
            };
            assert_eq!(from("bcl"), Some((RestoredFrom::Image, true)));
            assert_eq!(from("cl"), Some((RestoredFrom::Image, true)));
            assert_eq!(from("l"), Some((RestoredFrom::Image, false)));
            assert_eq!(from("bc"), Some((RestoredFrom::Cache, true)));
            assert_eq!(from("c"), Some((RestoredFrom::Cache, true)));
            assert_eq!(from("bl"), None);
            assert_eq!(from("b"), None);
            assert_eq!(from("none"), None);

            // Same contents: everything is reused.
            for name in ["bcl", "bl", "cl", "l"] {
                assert_eq!(
                    ctx.layer(ID, name).exported,
                    Some(LayerStatus::Reused),
                    "{name}"
                );
            }
            for name in ["bcl", "bc", "cl", "c"] {
                assert_eq!(
                    ctx.layer(ID, name).cached,
                    Some(LayerStatus::Reused),
                    "{name}"
                );
            }
            assert_eq!(report.app.1, LayerStatus::Reused);

            third_build_with_new_contents(ctx);
        });
    });
}

fn third_build_with_new_contents(ctx: libcnb_lite_test::TestContext<'_>) {
    // Third build with new contents: everything is added again, and the cache holds
    // only this build's layers.
    ctx.rebuild(config().env("LAYER_DATA", "v2"), |ctx| {
        assert_contains!(ctx.pack_stdout, "restored-dir bcl: bcl-v1");
        for name in ["bcl", "bl", "cl", "l"] {
            assert_eq!(
                ctx.layer(ID, name).exported,
                Some(LayerStatus::Added),
                "{name}"
            );
        }
        for name in ["bcl", "bc", "cl", "c"] {
            assert_eq!(
                ctx.layer(ID, name).cached,
                Some(LayerStatus::Added),
                "{name}"
            );
        }
        let blobs = fs::read_dir(ctx.state_dir().join("cache/committed"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tar")
            })
            .count();
        assert_eq!(blobs, 5, "four layer blobs plus the cache SBOM layer");
    });
}

#[test]
fn launch_only_layer_without_dir_reuses_the_previous_image_layer() {
    TestRunner::default().build(config(), |ctx| {
        let first = ctx.layer(ID, "l").diff_id.clone().unwrap();
        ctx.rebuild(
            config()
                .env("LAUNCH_ONLY_WITHOUT_DIR", "1")
                .env("LAYER_DATA", "v2"),
            |ctx| {
                assert_contains!(ctx.pack_stdout, "Reusing layer 'fixture/layers:l'");
                let layer = ctx.layer(ID, "l");
                assert_eq!(layer.exported, Some(LayerStatus::Reused));
                assert_eq!(layer.diff_id.as_ref(), Some(&first));
                // The reused layer is still in the image: a third build restores its metadata.
                ctx.rebuild(config(), |ctx| {
                    assert_contains!(ctx.pack_stdout, "restored-toml l: [metadata]");
                });
            },
        );
    });
}

#[test]
fn launch_only_layer_without_dir_and_without_previous_image_fails_export() {
    TestRunner::default().build(
        config()
            .env("LAUNCH_ONLY_WITHOUT_DIR", "1")
            .expected_pack_result(libcnb_lite_test::PackResult::Failure),
        |ctx| {
            assert_contains!(
                ctx.pack_stderr,
                "cannot reuse 'fixture/layers:l', previous image has no metadata for layer 'fixture/layers:l'"
            );
        },
    );
}

#[test]
fn launch_cache_layers_need_the_cache() {
    TestRunner::default().build(config(), |ctx| {
        fs::remove_dir_all(ctx.state_dir().join("cache")).unwrap();
        ctx.rebuild(config(), |ctx| {
            assert_contains!(ctx.pack_stdout, "Layer cache not found");
            // In the image but not in the cache: not restored.
            assert_contains!(ctx.pack_stdout, "no-toml bcl");
            assert_contains!(ctx.pack_stdout, "no-toml cl");
            // Launch-only metadata still comes from the image.
            assert_contains!(ctx.pack_stdout, "restored-toml l: ");
        });
    });
}

#[test]
fn cache_fallback_for_launch_cache_layers_depends_on_the_platform_api() {
    let state = tempfile::tempdir().unwrap();
    TestRunner::default()
        .state_dir(state.path())
        .build(config(), |_| {});
    let image = state.path().join("image");
    fs::remove_dir_all(&image).unwrap();
    // Platform API 0.13: a launch+cache layer missing from the image is not restored.
    TestRunner::default()
        .state_dir(state.path())
        .build(config().platform_api(0, 13), |ctx| {
            assert_contains!(ctx.pack_stdout, "no-toml cl");
            assert_contains!(ctx.pack_stdout, "restored-dir c: c-v1");
        });
    fs::remove_dir_all(&image).unwrap();
    // Platform API 0.14+: metadata and contents come from the cache.
    TestRunner::default()
        .state_dir(state.path())
        .build(config().platform_api(0, 14), |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "Restoring metadata for \"fixture/layers:cl\" from cache"
            );
            assert_contains!(ctx.pack_stdout, "restored-dir cl: cl-v1");
            assert_contains!(ctx.pack_stdout, "no-store");
        });
}

fn rewrite_cache_metadata(state: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let path = state.join("cache/committed/io.buildpacks.lifecycle.cache.metadata");
    let mut json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    f(&mut json);
    fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
}

#[test]
fn image_and_cache_sha_mismatch_removes_the_layer() {
    TestRunner::default().build(config(), |ctx| {
        rewrite_cache_metadata(ctx.state_dir(), |json| {
            let layers = &mut json["buildpacks"][0]["layers"];
            let other = layers["bc"]["sha"].clone();
            layers["bcl"]["sha"] = other;
        });
        ctx.rebuild(config(), |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "Removing \"fixture/layers:bcl\", wrong sha"
            );
            assert_contains!(ctx.pack_stdout, "no-toml bcl");
            assert_contains!(ctx.pack_stdout, "restored-dir bc: bc-v1");
        });
    });
}

#[test]
fn corrupt_cache_blob_keeps_the_toml_without_contents() {
    TestRunner::default().build(config(), |ctx| {
        let sha = ctx.layer(ID, "bc").diff_id.clone().unwrap();
        let blob = ctx
            .state_dir()
            .join("cache/committed")
            .join(format!("{sha}.tar"));
        fs::write(&blob, "garbage").unwrap();
        ctx.rebuild(config(), |ctx| {
            assert_contains!(
                ctx.pack_stderr,
                "Skipping restore for layer fixture/layers:bc"
            );
            assert_contains!(ctx.pack_stdout, "restored-toml bc: ");
            assert_contains!(ctx.pack_stdout, "no-dir bc");
            assert_contains!(ctx.pack_stdout, "restored-dir c: c-v1");
        });
    });
}

#[test]
fn unparseable_cache_metadata_is_an_empty_cache() {
    TestRunner::default().build(config(), |ctx| {
        let path = ctx
            .state_dir()
            .join("cache/committed/io.buildpacks.lifecycle.cache.metadata");
        fs::write(path, "{broken").unwrap();
        ctx.rebuild(config(), |ctx| {
            assert_contains!(ctx.pack_stderr, "ignoring unparseable cache metadata");
            assert_contains!(ctx.pack_stdout, "no-dir c\n");
        });
    });
}

#[test]
fn skip_layers_restores_only_store_toml() {
    TestRunner::default().build(config(), |ctx| {
        ctx.rebuild(config().skip_layers(true), |ctx| {
            assert_not_contains!(ctx.pack_stdout, "restored-toml");
            assert_not_contains!(ctx.pack_stdout, "restored-sbom");
            assert_contains!(ctx.pack_stdout, "restored-store: ");
        });
    });
}

#[test]
fn layers_of_buildpacks_outside_the_group_are_not_restored() {
    TestRunner::default().build(config(), |ctx| {
        let other = BuildConfig::new("heroku/builder:24", fixture("app"))
            .buildpacks([
                other(fixture("env-provider")),
                other(fixture("env-consumer")),
            ])
            .clone();
        ctx.rebuild(other, |ctx| {
            assert_not_contains!(ctx.pack_stdout, "fixture/layers:");
            assert!(!ctx.buildpack_layers_dir(ID).exists());
            assert!(ctx.buildpack_layers_dir("fixture/env-provider").is_dir());
        });
    });
}

/// The lifecycle keeps `[metadata]` as a Go `interface{}`: absent, it is stored as JSON
/// `null` and its TOML encoder skips the nil field on restore, so the restored toml has no
/// `[metadata]` (an empty file); an empty table is stored as `{}` and comes back as an
/// empty `[metadata]`. store.toml's `map` field behaves the same way.
#[test]
fn absent_metadata_is_restored_absent_and_empty_metadata_empty() {
    let absent = || {
        config()
            .env("METADATA", "absent")
            .env("STORE", "absent")
            .clone()
    };
    TestRunner::default().build(absent(), |ctx| {
        let layer = ctx.layer(ID, "bcl");
        assert!(layer.metadata_absent && layer.metadata.is_empty());
        let image = fs::read_to_string(ctx.state_dir().join("image/metadata.json")).unwrap();
        let image: serde_json::Value = serde_json::from_str(&image).unwrap();
        let buildpack = &image["buildpacks"][0];
        assert_eq!(buildpack["layers"]["bcl"]["data"], serde_json::Value::Null);
        assert_eq!(buildpack["store"]["metadata"], serde_json::Value::Null);

        ctx.rebuild(config().env("METADATA", "empty"), |ctx| {
            // From the image and the cache (bcl, cl), the cache (bc, c), the image (l).
            for name in ["bcl", "cl", "bc", "c", "l"] {
                assert_contains!(ctx.pack_stdout, format!("restored-toml {name}: \n"));
            }
            assert_contains!(ctx.pack_stdout, "restored-store: \n");
            let layer = ctx.layer(ID, "bcl");
            assert!(!layer.metadata_absent && layer.metadata.is_empty());

            ctx.rebuild(config(), |ctx| {
                for name in ["bcl", "cl", "bc", "c", "l"] {
                    assert_contains!(
                        ctx.pack_stdout,
                        format!("restored-toml {name}: [metadata]|\n")
                    );
                }
            });
        });
    });
}

/// A buildpack dir or crate dir as libcnb-test's `BuildpackReference::Other`.
fn other(path: impl AsRef<std::path::Path>) -> BuildpackReference {
    BuildpackReference::Other(path.as_ref().display().to_string())
}
