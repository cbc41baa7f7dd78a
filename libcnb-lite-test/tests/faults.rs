//! Races and hostile buildpacks: two builds or exports on one dir, and every layer that
//! would poison the state dir, each built twice (the poisoned build fails and commits
//! nothing; the next build succeeds). The kill -9 loop is in the `cnb-local` crate's tests.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::fs;
use std::path::{Path, PathBuf};

use libcnb_lite_test::oci::{ImageError, ImageOptions, write_image};
use libcnb_lite_test::{
    BuildConfig, BuildpackReference, LifecycleError, Quiet, StateDir, StateError, WhenLocked,
    assert_contains, run,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn poison(case: &str) -> BuildConfig {
    BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([other(fixture("poison"))])
        .env("POISON", case)
        .clone()
}

/// Every file under `dir`, with its contents, for comparing two state dirs.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let rel = entry.path().strip_prefix(dir).unwrap().to_path_buf();
            (rel, fs::read(entry.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn each_poisoned_layer_fails_its_own_build_and_the_next_build_succeeds() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret"), "outside the layers dir").unwrap();
    let cases = [
        ("long", "has a layer name of 250 bytes; at most 248 fit"),
        ("dot", "names the layer \".\""),
        ("fifo", "f/pipe is a FIFO"),
        ("device", "d/null is a character device"),
        ("utf8", "has a name that is not UTF-8"),
        ("symlink", "poison/s is a symlink"),
    ];
    for (case, problem) in cases {
        if case == "device" && libcnb_lite_test::builds_at_lifecycle_paths() {
            // At the lifecycle's paths the buildpack runs as the CNB user, who cannot make a
            // device node (no CAP_MKNOD): that poison cannot be planted there.
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        run(&poison(""), &state, &Quiet).unwrap();
        let before = (
            snapshot(&state.join("image")),
            snapshot(&state.join("cache")),
        );

        let config = poison(case)
            .env("OUTSIDE", outside.path().to_str().unwrap())
            .clone();
        let failure = run(&config, &state, &Quiet).unwrap_err();
        assert!(
            matches!(*failure.error, LifecycleError::Export(_)),
            "{case}: {:?}",
            failure.error
        );
        assert_contains!(
            failure.output.stderr,
            "ERROR: refusing to commit layer 'fixture/poison:"
        );
        assert_contains!(failure.output.stderr, problem);
        assert_contains!(
            failure.output.stderr,
            "the previous image and cache are kept"
        );
        let after = (
            snapshot(&state.join("image")),
            snapshot(&state.join("cache")),
        );
        assert!(
            before == after,
            "{case}: the failed build changed the state"
        );

        // The next build restores the previous state and succeeds; launch works too.
        let report = run(&poison(""), &state, &Quiet).unwrap();
        assert_eq!(report.processes[0].args, Vec::<String>::new());
        let image = dir.path().join("image");
        write_image(&state, &image, &ImageOptions::new()).unwrap();
        for (path, contents) in snapshot(&state).iter().chain(&snapshot(&image)) {
            assert!(
                !contents
                    .windows(b"outside the layers dir".len())
                    .any(|w| w == b"outside the layers dir"),
                "{case}: {} holds the outside file",
                path.display()
            );
        }
    }
}

#[test]
fn a_ten_megabyte_toml_line_is_quoted_briefly() {
    let dir = tempfile::tempdir().unwrap();
    let failure = run(&poison("bigtoml"), dir.path(), &Quiet).unwrap_err();
    let stderr = &failure.output.stderr;
    assert!(stderr.len() < 8192, "stderr has {} bytes", stderr.len());
    assert_contains!(stderr, "fixture_poison/big.toml: line 2, column ");
    assert_contains!(stderr, "oops");
}

#[test]
fn a_locked_state_dir_fails_at_once_when_asked_to() {
    let dir = tempfile::tempdir().unwrap();
    let held = StateDir::open(dir.path()).unwrap();
    let config = poison("").when_locked(WhenLocked::Fail).clone();
    let failure = run(&config, dir.path(), &Quiet).unwrap_err();
    assert!(
        matches!(
            *failure.error,
            LifecycleError::State(StateError::Busy { .. })
        ),
        "{:?}",
        failure.error
    );
    assert_contains!(failure.output.stderr, "is in use by another build");
    drop(held);
    run(&config, dir.path(), &Quiet).unwrap();
}

#[test]
fn two_builds_on_one_state_dir_commit_one_consistent_image() {
    let dir = tempfile::tempdir().unwrap();
    std::thread::scope(|scope| {
        let builds: Vec<_> = ["one", "two"]
            .into_iter()
            .map(|value| {
                let state = dir.path();
                // A `BuildConfig` is not `Send` (as libcnb-test's): each thread makes its own.
                scope.spawn(move || {
                    let config = BuildConfig::new("heroku/builder:24", fixture("app"))
                        .buildpacks([other(fixture("layers"))])
                        .env("LAYER_DATA", value)
                        .env("STORE", value)
                        .clone();
                    run(&config, state, &Quiet)
                })
            })
            .collect();
        for build in builds {
            build.join().unwrap().unwrap();
        }
    });
    // The image holds one build's layers and that same build's store.toml.
    let state = StateDir::open(dir.path()).unwrap();
    let image = state.image_metadata().unwrap().unwrap();
    let store = image.buildpacks[0].store.as_ref().unwrap().metadata["value"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(state);
    let layers = BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([other(fixture("layers"))])
        .clone();
    let report = run(&layers, dir.path(), &Quiet).unwrap();
    assert_contains!(
        report.output.stdout,
        format!("restored-dir bcl: bcl-{store}")
    );
    assert_contains!(report.output.stdout, format!("restored-dir bc: bc-{store}"));
}

#[test]
fn two_exports_into_one_dir_write_one_image() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    run(&poison(""), &state, &Quiet).unwrap();
    let image = dir.path().join("image");
    let results: Vec<_> = std::thread::scope(|scope| {
        let exports: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| write_image(&state, &image, &ImageOptions::new())))
            .collect();
        exports.into_iter().map(|e| e.join().unwrap()).collect()
    });
    let written: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(written.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Err(ImageError::OutputNotEmpty { .. }))),
        "{results:?}"
    );
    let index = fs::read_to_string(image.join("index.json")).unwrap();
    assert_contains!(index, &written[0].manifest_digest);
    // Every blob in the dir belongs to the one image: no second export's leftovers.
    let blobs = fs::read_dir(image.join("blobs/sha256")).unwrap().count();
    assert_eq!(
        blobs,
        written[0].layers.len() + 2,
        "layers, config, manifest"
    );
}

#[test]
fn an_export_into_a_locked_dir_fails_at_once_when_asked_to() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    run(&poison(""), &state, &Quiet).unwrap();
    let held = StateDir::open(&state).unwrap();
    let options = ImageOptions::new().when_locked(WhenLocked::Fail);
    let error = write_image(&state, &dir.path().join("image"), &options).unwrap_err();
    assert!(
        matches!(error, ImageError::State(StateError::Busy { .. })),
        "{error:?}"
    );
    drop(held);
    write_image(&state, &dir.path().join("image"), &options).unwrap();
}

/// A buildpack dir or crate dir as libcnb-test's `BuildpackReference::Other`.
fn other(path: impl AsRef<std::path::Path>) -> BuildpackReference {
    BuildpackReference::Other(path.as_ref().display().to_string())
}
