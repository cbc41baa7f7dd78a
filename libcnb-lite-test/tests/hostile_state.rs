//! A state dir whose cache archives try to escape is refused, and nothing is written
//! outside the state dir and the build dirs.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::fs;
use std::path::{Path, PathBuf};

use libcnb_lite_test::{
    BuildConfig, BuildpackReference, LifecycleError, PackResult, RestoreError, TestRunner,
    assert_contains,
};
use sha2::{Digest, Sha256};
use tar::{EntryType, Header};

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

/// A tar whose single entry has a raw, unchecked name.
fn hostile_tar(name: &str, kind: EntryType) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = Header::new_gnu();
    header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_size(4);
    header.set_cksum();
    builder.append(&header, &b"evil"[..]).unwrap();
    builder.into_inner().unwrap()
}

/// Puts `blob` into the committed cache and points layer `bc` at it.
fn plant(state: &Path, blob: &[u8]) {
    let sha = format!("sha256:{:x}", Sha256::digest(blob));
    let cache = state.join("cache/committed");
    fs::write(cache.join(format!("{sha}.tar")), blob).unwrap();
    let path = cache.join("io.buildpacks.lifecycle.cache.metadata");
    let mut json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    json["buildpacks"][0]["layers"]["bc"]["sha"] = serde_json::Value::String(sha);
    fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
}

#[test]
fn escaping_cache_entries_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    let absolute = outside.path().join("absolute-escape");
    let cases = [
        (
            "fixture_layers/bc/../../../../escape".to_owned(),
            EntryType::Regular,
            "contains `..`",
        ),
        (
            absolute.display().to_string(),
            EntryType::Regular,
            "absolute path",
        ),
        (
            "fixture_layers/other/file".to_owned(),
            EntryType::Regular,
            "outside the layer",
        ),
        (
            "fixture_layers/bc/fifo".to_owned(),
            EntryType::Fifo,
            "unsupported entry type",
        ),
        (
            "fixture_layers/bc/device".to_owned(),
            EntryType::Block,
            "unsupported entry type",
        ),
    ];
    for (name, kind, reason) in cases {
        TestRunner::default().build(config(), |ctx| {
            plant(ctx.state_dir(), &hostile_tar(&name, kind));
            ctx.rebuild(config().expected_pack_result(PackResult::Failure), |ctx| {
                assert!(
                    matches!(
                        ctx.error(),
                        Some(LifecycleError::Restore(RestoreError::Hostile { .. }))
                    ),
                    "{name}: {:?}",
                    ctx.error()
                );
                assert_contains!(ctx.pack_stderr, "refusing to restore fixture/layers:bc");
                assert_contains!(ctx.pack_stderr, reason);
                assert!(!ctx.state_dir().join("escape").exists());
                assert!(!ctx.state_dir().parent().unwrap().join("escape").exists());
                assert!(!absolute.exists());
            });
        });
    }
}

#[test]
fn a_symlink_planted_in_a_layer_cannot_redirect_later_entries() {
    let outside = tempfile::tempdir().unwrap();
    TestRunner::default().build(config(), |ctx| {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Symlink);
        header.set_mode(0o777);
        header.set_size(0);
        builder
            .append_link(&mut header, "fixture_layers/bc/link", outside.path())
            .unwrap();
        let mut header = Header::new_gnu();
        header.set_mode(0o644);
        header.set_size(4);
        builder
            .append_data(&mut header, "fixture_layers/bc/link/planted", &b"evil"[..])
            .unwrap();
        plant(ctx.state_dir(), &builder.into_inner().unwrap());
        ctx.rebuild(config().expected_pack_result(PackResult::Failure), |ctx| {
            assert_contains!(ctx.pack_stderr, "written through a symlink");
            assert!(!outside.path().join("planted").exists());
        });
    });
}

#[test]
fn path_traversal_in_state_metadata_is_refused() {
    TestRunner::default().build(config(), |ctx| {
        let path = ctx
            .state_dir()
            .join("cache/committed/io.buildpacks.lifecycle.cache.metadata");
        let mut json: serde_json::Value =
            serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let layer = json["buildpacks"][0]["layers"]["bc"].clone();
        json["buildpacks"][0]["layers"]["../../../escape"] = layer;
        fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        ctx.rebuild(config().expected_pack_result(PackResult::Failure), |ctx| {
            assert_contains!(ctx.pack_stderr, "corrupt state dir");
            assert_contains!(ctx.pack_stderr, "names an invalid layer");
        });
    });
}

/// A buildpack dir or crate dir as libcnb-test's `BuildpackReference::Other`.
fn other(path: impl AsRef<std::path::Path>) -> BuildpackReference {
    BuildpackReference::Other(path.as_ref().display().to_string())
}
