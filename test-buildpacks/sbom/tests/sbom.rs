//! SBOMs across builds through the local lifecycle: where the lifecycle lays them out after a
//! build (`<layers>/sbom/{launch,build,cache}/…`), which layer SBOMs it restores for the next
//! build, and that replacing, removing and deleting a layer leave no stale SBOM behind.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use libcnb_lite_test::{BuildConfig, BuildpackReference, TestContext, TestRunner, assert_contains};

/// The escaped buildpack ID, as directory names under `<layers>`.
const BP: &str = "test_sbom";
const ALL: &[&str] = &["cdx", "spdx", "syft"];

fn config(step: u8) -> BuildConfig {
    BuildConfig::new(
        "heroku/builder:24",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/app"),
    )
    .buildpacks([BuildpackReference::CurrentCrate])
    .env("SBOM_STEP", step.to_string())
    .clone()
}

fn contents(what: &str, ext: &str, step: u8) -> String {
    format!("{{\"sbom\":\"{what}\",\"format\":\"{ext}\",\"step\":{step}}}")
}

/// Every file under `<layers>/sbom`, by path relative to it, with its contents.
fn sbom_tree(ctx: &TestContext<'_>) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry
                .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
                .path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let contents = fs::read_to_string(&path)
                    .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
                let relative = path.strip_prefix(root).unwrap_or(&path);
                files.insert(relative.display().to_string(), contents);
            }
        }
    }
    let root = ctx.layers_dir().join("sbom");
    let mut files = BTreeMap::new();
    walk(&root, &root, &mut files);
    files
}

/// Expected files: `(launch|build|cache, layer or none for the launch/build SBOM, formats,
/// step)`.
fn expected(entries: &[(&str, Option<&str>, &[&str], u8)]) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for (kind, layer, formats, step) in entries {
        let (dir, what) = match layer {
            Some(layer) => (format!("{kind}/{BP}/{layer}"), *layer),
            None => (format!("{kind}/{BP}"), *kind),
        };
        for ext in *formats {
            files.insert(format!("{dir}/sbom.{ext}.json"), contents(what, ext, *step));
        }
    }
    files
}

/// The `<label>: <file> = <contents>` lines the buildpack prints for its SBOM files.
fn listing(label: &str, entries: &[(&str, &[&str], u8)]) -> String {
    let mut lines: Vec<String> = entries
        .iter()
        .flat_map(|(layer, formats, step)| {
            formats.iter().map(move |ext| {
                format!(
                    "{label}: {layer}.sbom.{ext}.json = {}\n",
                    contents(layer, ext, *step)
                )
            })
        })
        .collect();
    lines.sort();
    if lines.is_empty() {
        format!("{label}: none\n")
    } else {
        lines.concat()
    }
}

#[test]
fn sboms_are_written_replaced_and_removed_across_builds() {
    let state = tempfile::tempdir().unwrap();
    TestRunner::default()
        .state_dir(state.path())
        .build(config(1), |ctx| check_step_1(&ctx));
    TestRunner::default()
        .state_dir(state.path())
        .build(config(2), |ctx| check_step_2(&ctx));
    TestRunner::default()
        .state_dir(state.path())
        .build(config(3), |ctx| check_step_3(&ctx));
    // Nothing is left to restore.
    TestRunner::default()
        .state_dir(state.path())
        .build(config(3), |ctx| {
            assert_contains!(ctx.pack_stdout, listing("restored", &[]));
            assert_eq!(sbom_tree(&ctx), BTreeMap::new());
        });
}

/// Step 1: everything, in every format.
fn check_step_1(ctx: &TestContext<'_>) {
    assert_contains!(ctx.pack_stdout, listing("restored", &[]));
    assert_contains!(
        ctx.pack_stdout,
        listing(
            "after layers",
            &[
                ("build-cached", ALL, 1),
                ("launch-cached", ALL, 1),
                ("uncached", ALL, 1)
            ]
        )
    );
    assert_eq!(
        sbom_tree(ctx),
        expected(&[
            ("build", None, ALL, 1),
            ("launch", None, ALL, 1),
            // A launch layer's SBOM goes to launch/, a build-only layer's to build/, and a
            // cached layer's to cache/ as well.
            ("launch", Some("launch-cached"), ALL, 1),
            ("cache", Some("launch-cached"), ALL, 1),
            ("build", Some("build-cached"), ALL, 1),
            ("cache", Some("build-cached"), ALL, 1),
            ("launch", Some("uncached"), ALL, 1),
        ])
    );
}

/// Step 2: replaced by fewer formats with new contents.
fn check_step_2(ctx: &TestContext<'_>) {
    // Layer SBOMs come back from the cache and the image, including the uncached layer's
    // (from the image's launch SBOMs; a lifecycle quirk). Build and launch SBOMs never do.
    assert_contains!(
        ctx.pack_stdout,
        listing(
            "restored",
            &[
                ("build-cached", ALL, 1),
                ("launch-cached", ALL, 1),
                ("uncached", ALL, 1)
            ]
        )
    );
    assert_contains!(ctx.pack_stdout, "launch-cached: restored\n");
    assert_contains!(ctx.pack_stdout, "build-cached: restored\n");
    assert_contains!(ctx.pack_stdout, "uncached: empty\n");
    // The recreated uncached layer doesn't inherit the restored SBOMs, and replacing a
    // layer's SBOMs removes the formats it no longer writes.
    assert_contains!(
        ctx.pack_stdout,
        listing(
            "after layers",
            &[
                ("build-cached", &["spdx", "syft"], 2),
                ("launch-cached", &["cdx"], 2)
            ]
        )
    );
    assert_eq!(
        sbom_tree(ctx),
        expected(&[
            ("build", None, &["syft"], 2),
            ("launch", None, &["cdx"], 2),
            ("launch", Some("launch-cached"), &["cdx"], 2),
            ("cache", Some("launch-cached"), &["cdx"], 2),
            ("build", Some("build-cached"), &["spdx", "syft"], 2),
            ("cache", Some("build-cached"), &["spdx", "syft"], 2),
        ])
    );
}

/// Step 3: removed, by `write_sboms(&[])` and by deleting the layer.
fn check_step_3(ctx: &TestContext<'_>) {
    assert_contains!(
        ctx.pack_stdout,
        listing(
            "restored",
            &[
                ("build-cached", &["spdx", "syft"], 2),
                ("launch-cached", &["cdx"], 2)
            ]
        )
    );
    assert_contains!(ctx.pack_stdout, "build-cached: empty\n");
    assert_contains!(ctx.pack_stdout, listing("after layers", &[]));
    assert_eq!(sbom_tree(ctx), BTreeMap::new());
}
