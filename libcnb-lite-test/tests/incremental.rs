//! Rebuilds cost what changed: restore keeps a layer's tree from the last build when it is
//! provably what the cache holds, export links the blob of a layer unchanged since restore,
//! and the image is the one a full export gives (same digests, blobs that hash to their
//! names). The fixture `incremental` keeps two layers as restored and rewrites a third.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use libcnb_lite_test::{
    BuildConfig, BuildpackReference, LayerStatus, StateDir, TestContext, TestRunner,
    assert_contains,
};
use sha2::{Digest, Sha256};

const ID: &str = "fixture/incremental";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn config(version: &str) -> BuildConfig {
    BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([other(fixture("incremental"))])
        .env("VERSION", version)
        .clone()
}

fn inode(path: &Path) -> u64 {
    fs::symlink_metadata(path).unwrap().ino()
}

/// Every layer's diff ID and the app's, by name.
fn digests(ctx: &TestContext<'_>) -> Vec<(String, Option<String>)> {
    let report = ctx.report();
    let mut digests: Vec<_> = report
        .layers
        .iter()
        .map(|layer| {
            (
                layer.name.clone(),
                layer.diff_id.as_ref().map(|d| d.as_str().to_owned()),
            )
        })
        .collect();
    digests.push(("app".into(), Some(report.app.0.as_str().to_owned())));
    digests
}

/// Every blob of the committed image and cache hashes to its name.
fn assert_blobs_hash_to_their_names(state: &Path) {
    for dir in [state.join("image/blobs"), state.join("cache/committed")] {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let Some(hex) = name
                .strip_prefix("sha256:")
                .and_then(|n| n.strip_suffix(".tar"))
            else {
                continue;
            };
            let actual = format!("{:x}", Sha256::digest(fs::read(&path).unwrap()));
            assert_eq!(actual, hex, "{}", path.display());
        }
    }
}

#[test]
fn a_bump_restores_and_exports_only_what_changed_with_a_full_exports_digests() {
    TestRunner::default().build(config("1"), |first| {
        let stable = first.layer_dir(ID, "stable").join("data.txt");
        let tools = first.layer_dir(ID, "tools").join("ro/file");
        let (stable_inode, tools_inode) = (inode(&stable), inode(&tools));
        let stable_digest = first.layer(ID, "stable").diff_id.clone().unwrap();

        first.rebuild(config("2"), |second| {
            // What the buildpack saw is what the cache holds.
            assert_contains!(second.pack_stdout, "restored stable: stable-data");
            assert_contains!(second.pack_stdout, "restored tools: tools-data");
            assert_contains!(second.pack_stdout, "restored bumped: bumped-1");
            assert_contains!(
                second.pack_stdout,
                "Restoring data for \"fixture/incremental:stable\" from cache"
            );
            // Kept, not extracted again: the same files.
            assert_eq!(inode(&stable), stable_inode);
            assert_eq!(inode(&tools), tools_inode);
            assert!(!second.state_dir().join("build/layers.previous").exists());
            // Linked, not archived again: the image blob is the cache's blob.
            assert_eq!(
                second.layer(ID, "stable").exported,
                Some(LayerStatus::Reused)
            );
            assert_eq!(
                second.layer(ID, "bumped").exported,
                Some(LayerStatus::Added)
            );
            assert_eq!(second.layer(ID, "tools").cached, Some(LayerStatus::Reused));
            let blob = |dir: &str| {
                second
                    .state_dir()
                    .join(dir)
                    .join(format!("{stable_digest}.tar"))
            };
            assert_eq!(inode(&blob("image/blobs")), inode(&blob("cache/committed")));
            assert_blobs_hash_to_their_names(second.state_dir());

            // A full export (a fresh state dir) of the same build gives the same digests.
            let incremental = digests(&second);
            TestRunner::default().build(config("2"), |full| {
                assert_eq!(digests(&full), incremental);
            });
            let image = StateDir::open(second.state_dir())
                .unwrap()
                .image_metadata()
                .unwrap()
                .unwrap();
            let stable_record = &image.buildpacks[0].layers["stable"];
            assert_eq!(stable_record.sha, stable_digest.as_str());
        });
    });
}

#[test]
fn a_tree_changed_after_the_build_is_restored_from_the_cache() {
    TestRunner::default().build(config("1"), |first| {
        let data = first.layer_dir(ID, "stable").join("data.txt");
        let before = inode(&data);
        // Same size, written right after the build: only the stat snapshot can tell.
        fs::write(&data, "STABLE-DATA\n").unwrap();
        fs::create_dir_all(first.layer_dir(ID, "tools").join("extra")).unwrap();

        first.rebuild(config("1"), |second| {
            assert_contains!(second.pack_stdout, "restored stable: stable-data");
            assert_ne!(inode(&data), before, "extracted again");
            assert!(!second.layer_dir(ID, "tools").join("extra").exists());
            assert_eq!(
                second.layer(ID, "stable").exported,
                Some(LayerStatus::Reused)
            );
            assert_blobs_hash_to_their_names(second.state_dir());
        });
    });
}

#[test]
fn a_changed_cache_blob_is_not_trusted() {
    TestRunner::default().build(config("1"), |first| {
        let digest = first.layer(ID, "tools").diff_id.clone().unwrap();
        let blob = first
            .state_dir()
            .join("cache/committed")
            .join(format!("{digest}.tar"));
        // Replaced by a corrupt copy: restore verifies it, warns and restores no contents.
        let mut bytes = fs::read(&blob).unwrap();
        bytes.truncate(bytes.len() / 2);
        fs::remove_file(&blob).unwrap();
        fs::write(&blob, bytes).unwrap();

        first.rebuild(config("1"), |second| {
            assert_contains!(
                second.pack_stderr,
                "Skipping restore for layer fixture/incremental:tools"
            );
            assert!(!second.pack_stdout.contains("restored tools:"));
        });
    });
}

/// A buildpack dir or crate dir as libcnb-test's `BuildpackReference::Other`.
fn other(path: impl AsRef<std::path::Path>) -> BuildpackReference {
    BuildpackReference::Other(path.as_ref().display().to_string())
}
