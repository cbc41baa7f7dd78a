//! Builds an app two or three times through the local lifecycle (`libcnb-lite-test`) with a
//! cached layer made of read-only files and directories (0444 files, 0555 dirs, nested, the
//! layer dir itself 0555) and symlinks to a read-only dir outside the layer. Checks that the
//! lifecycle restores the modes exactly, and that each route that invalidates the layer
//! deletes it cleanly without touching what the symlinks point to.
//!
//! Read-only modes do not stop root. When the tests run as root (as in many CI containers),
//! each test runs itself again as user and group 65534 through `setpriv`, so a deletion that
//! forgets to make a directory writable fails here as it would for a non-root build. Where
//! that user cannot reach the buildpack, the app or the temp dir, or `setpriv` is missing, a
//! test warns and runs as root.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use libcnb_lite_test::{BuildConfig, BuildpackReference, LayerStatus, TestContext, TestRunner};

const BUILDPACK_ID: &str = "test/readonly-layer-files";

/// The layer as the buildpack writes it, described by the buildpack (sorted).
const READONLY_TREE: [&str; 10] = [
    ". 0555",
    "outside-dir -> $OUTSIDE_DIR",
    "tool.sh 0555",
    "top.txt 0444",
    "tree/ 0555",
    "tree/file.txt 0444",
    "tree/nested/ 0555",
    "tree/nested/deep.txt 0444",
    "tree/nested/empty/ 0555",
    "tree/outside-file -> $OUTSIDE_DIR/secret.txt",
];

const DESCRIPTOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/buildpack.toml");
const APP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/app");

/// Set in the environment of a test that runs itself again without root.
const UNPRIVILEGED: &str = "READONLY_LAYER_FILES_UNPRIVILEGED";

/// Runs `body` as an unprivileged user: directly when this process is not root (or is
/// already the re-run), else by running the test `name` again through `setpriv`.
fn as_unprivileged_user(name: &str, body: impl FnOnce()) {
    package_buildpack();
    let root = fs::metadata("/proc/self").is_ok_and(|proc| proc.uid() == 0);
    if !root || std::env::var_os(UNPRIVILEGED).is_some() {
        body();
        return;
    }
    let Some(setpriv) = ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .map(Path::new)
        .find(|path| path.exists())
    else {
        eprintln!("warning: running as root without setpriv; read-only modes do not restrict root");
        body();
        return;
    };
    // The user may not reach what the test needs (a checkout under /root, say). setpriv
    // execs the test binary itself before its capabilities are gone, so probe with `sh`.
    let reachable = Command::new(setpriv)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args([
            "sh",
            "-c",
            r#"test -x "$1" && test -r "$2" && test -r "$3" && test -w "$4""#,
        ])
        .args([
            "sh",
            env!("CARGO_BIN_EXE_readonly-layer-files"),
            DESCRIPTOR,
            APP,
        ])
        .arg(std::env::temp_dir())
        .status()
        .is_ok_and(|status| status.success());
    if !reachable {
        eprintln!(
            "warning: user 65534 cannot reach the buildpack, its app or the temp dir; \
             running as root, where read-only modes do not restrict"
        );
        body();
        return;
    }
    let test_binary = or_panic(Path::new("the test binary"), std::env::current_exe());
    let unprivileged = || {
        let mut command = Command::new(setpriv);
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&test_binary)
            .env(UNPRIVILEGED, "1");
        command
    };
    let output = unprivileged()
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .output();
    let output = or_panic(setpriv, output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "the unprivileged run of {name} failed\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    );
}

/// A read-only dir outside the layers dir holding a read-only file: what the layer's
/// symlinks point to.
struct Outside {
    temp_dir: tempfile::TempDir,
}

impl Outside {
    fn new() -> Self {
        let temp_dir = or_panic(Path::new("a temp dir"), tempfile::tempdir());
        let outside = Self { temp_dir };
        let (dir, secret) = (outside.dir(), outside.dir().join("secret.txt"));
        or_panic(&dir, fs::create_dir(&dir));
        or_panic(&secret, fs::write(&secret, "outside the layer"));
        set_mode(&secret, 0o444);
        set_mode(&dir, 0o555);
        outside
    }

    fn dir(&self) -> PathBuf {
        self.temp_dir.path().join("outside")
    }

    fn assert_untouched(&self) {
        let dir = self.dir();
        assert_eq!(mode(&dir), 0o555, "{}", dir.display());
        let names: Vec<_> = or_panic(&dir, fs::read_dir(&dir))
            .map(|entry| or_panic(&dir, entry).file_name())
            .collect();
        assert_eq!(names, ["secret.txt"]);
        let secret = dir.join("secret.txt");
        assert_eq!(mode(&secret), 0o444, "{}", secret.display());
        assert_eq!(
            or_panic(&secret, fs::read_to_string(&secret)),
            "outside the layer"
        );
    }
}

impl Drop for Outside {
    fn drop(&mut self) {
        // Writable again, so the temp dir can be removed; a failure only leaks the temp dir.
        let _ = fs::set_permissions(self.dir(), fs::Permissions::from_mode(0o755));
    }
}

/// The value of a file-system operation on `path`, or a panic that names the path.
fn or_panic<T>(path: &Path, result: std::io::Result<T>) -> T {
    result.unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn set_mode(path: &Path, mode: u32) {
    or_panic(
        path,
        fs::set_permissions(path, fs::Permissions::from_mode(mode)),
    );
}

fn mode(path: &Path) -> u32 {
    or_panic(path, fs::symlink_metadata(path))
        .permissions()
        .mode()
        & 0o7777
}

/// Where [`package_buildpack`] puts this crate's buildpack.
fn packaged_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("readonly-layer-files-buildpack")
}

/// Packages this crate's buildpack as `cargo libcnb package` lays it out (`bin/build` and
/// `bin/detect` are the binary cargo built for the tests), before any unprivileged re-run:
/// user 65534 cannot run cargo, which `BuildpackReference::CurrentCrate` would.
fn package_buildpack() {
    let dir = packaged_dir();
    if dir.join("bin/build").exists() {
        return;
    }
    let staging = dir.with_extension(format!(
        "{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let bin = staging.join("bin");
    or_panic(&bin, fs::create_dir_all(&bin));
    or_panic(
        Path::new(DESCRIPTOR),
        fs::copy(DESCRIPTOR, staging.join("buildpack.toml")),
    );
    for name in ["build", "detect"] {
        let link = bin.join(name);
        or_panic(
            &link,
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_readonly-layer-files"), &link),
        );
    }
    // Another test may have won the race; its dir is the same.
    if fs::rename(&staging, &dir).is_err() {
        or_panic(&staging, fs::remove_dir_all(&staging));
    }
}

fn config(outside: &Outside) -> BuildConfig {
    BuildConfig::new("heroku/builder:24", APP)
        .buildpacks([BuildpackReference::Other(
            packaged_dir().display().to_string(),
        )])
        .env("OUTSIDE_DIR", outside.dir().display().to_string())
        .clone()
}

/// The rest of the stdout line that starts with `prefix`.
fn line<'a>(ctx: &'a TestContext<'_>, prefix: &str) -> &'a str {
    ctx.pack_stdout
        .lines()
        .find_map(|line| line.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in\n{}", ctx.pack_stdout))
}

fn top_txt(ctx: &TestContext<'_>) -> String {
    let path = ctx
        .layers_dir()
        .join("test_readonly-layer-files/readonly/top.txt");
    or_panic(&path, fs::read_to_string(&path))
}

/// Builds generation 1, then generation 2 with `route`, and checks that the read-only layer
/// was emptied by the library before the buildpack refilled it.
fn assert_second_generation_replaces_the_first(route: &str, state: &str) {
    let outside = Outside::new();
    TestRunner::default().build(config(&outside), |ctx| {
        assert_eq!(line(&ctx, "restored `readonly`: "), "none");
        assert_eq!(
            line(&ctx, "layer `readonly` at the end: "),
            format!("{READONLY_TREE:?}")
        );
        assert_eq!(
            ctx.layer(BUILDPACK_ID, "readonly").cached,
            Some(LayerStatus::Added)
        );

        let second = config(&outside)
            .env("GENERATION", "2")
            .env("ROUTE", route)
            .clone();
        ctx.rebuild(second, |ctx| {
            assert_eq!(
                line(&ctx, "restored `readonly`: "),
                format!("{READONLY_TREE:?}")
            );
            assert_eq!(line(&ctx, "layer `readonly`: "), state);
            // Only the (new, writable) layer dir itself is left.
            let after = line(&ctx, "layer `readonly` after handling: ");
            assert!(
                after.starts_with("[\". 0") && !after.contains(','),
                "{after}"
            );
            assert_eq!(top_txt(&ctx), "generation 2");
            assert_eq!(
                line(&ctx, "layer `readonly` at the end: "),
                format!("{READONLY_TREE:?}")
            );
            outside.assert_untouched();
        });
    });
    outside.assert_untouched();
}

#[test]
fn read_only_layer_is_restored_with_its_modes_kept_then_deleted_by_inspect_restored() {
    as_unprivileged_user(
        "read_only_layer_is_restored_with_its_modes_kept_then_deleted_by_inspect_restored",
        || {
            let outside = Outside::new();
            TestRunner::default().build(config(&outside), |ctx| {
                assert_eq!(
                    line(&ctx, "layer `readonly`: "),
                    "Empty { cause: NewlyCreated }"
                );
                let layer = ctx.layer(BUILDPACK_ID, "readonly");
                assert_eq!(layer.exported, Some(LayerStatus::Added));
                assert_eq!(layer.cached, Some(LayerStatus::Added));

                ctx.rebuild(config(&outside), |ctx| {
                    // The lifecycle restored every mode exactly, 0555 dirs included.
                    assert_eq!(
                        line(&ctx, "restored `readonly`: "),
                        format!("{READONLY_TREE:?}")
                    );
                    assert_eq!(
                        line(&ctx, "layer `readonly`: "),
                        "Restored { cause: \"current generation\" }"
                    );
                    let layer = ctx.layer(BUILDPACK_ID, "readonly");
                    assert_eq!(layer.exported, Some(LayerStatus::Reused));
                    assert_eq!(layer.cached, Some(LayerStatus::Reused));

                    let second = config(&outside).env("GENERATION", "2").clone();
                    ctx.rebuild(second, |ctx| {
                        assert_eq!(
                            line(&ctx, "layer `readonly`: "),
                            "Empty { cause: InspectRestoredAction { cause: \"stale generation\" } }"
                        );
                        let after = line(&ctx, "layer `readonly` after handling: ");
                        assert!(
                            after.starts_with("[\". 0") && !after.contains(','),
                            "{after}"
                        );
                        assert_eq!(top_txt(&ctx), "generation 2");
                        let layer = ctx.layer(BUILDPACK_ID, "readonly");
                        assert_eq!(layer.exported, Some(LayerStatus::Added));
                        assert_eq!(layer.cached, Some(LayerStatus::Added));
                        outside.assert_untouched();
                    });
                });
            });
            outside.assert_untouched();
        },
    );
}

#[test]
fn read_only_layer_with_invalid_metadata_is_deleted() {
    as_unprivileged_user("read_only_layer_with_invalid_metadata_is_deleted", || {
        assert_second_generation_replaces_the_first(
            "invalid-metadata",
            "Empty { cause: InvalidMetadataAction { cause: \"metadata has no revision\" } }",
        );
    });
}

#[test]
fn read_only_layer_requested_uncached_is_deleted() {
    as_unprivileged_user("read_only_layer_requested_uncached_is_deleted", || {
        assert_second_generation_replaces_the_first(
            "uncached",
            "Empty { cause: InspectRestoredAction { cause: () } }",
        );
    });
}

#[test]
fn read_only_layer_recreated_by_the_layer_trait_is_deleted() {
    as_unprivileged_user(
        "read_only_layer_recreated_by_the_layer_trait_is_deleted",
        || {
            assert_second_generation_replaces_the_first(
                "trait-recreate",
                "handled by the Layer trait: ReadonlyMetadata { generation: \"2\" }",
            );
        },
    );
}
