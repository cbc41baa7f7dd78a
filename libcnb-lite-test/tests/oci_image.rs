//! `oci::write_image`: a real OCI image layout that is
//! reproducible, changes one blob when one layer changes, carries the launch env and
//! labels, is read by `skopeo`, unpacked by `umoci` and run by `runc`, and is never left
//! half-written (bad run images, a non-empty output dir, an unreadable layer, a full disk).

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use libcnb_lite_test::oci::{
    ImageError, ImageOptions, RunImage, WrittenImage, run_with_runc, tools_available,
    write_busybox_image, write_image, write_rootfs_image,
};
use libcnb_lite_test::{BuildConfig, BuildpackReference, Quiet, assert_contains, error_chain, run};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn config(one: &str, two: &str) -> BuildConfig {
    BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([other(fixture("image"))])
        .env("ONE", one)
        .env("TWO", two)
        .clone()
}

fn build_image(state: &Path, config: &BuildConfig, output: &Path) -> WrittenImage {
    run(config, state, &Quiet).unwrap();
    write_image(state, output, &ImageOptions::new()).unwrap()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn blob(image: &Path, digest: &str) -> PathBuf {
    image
        .join("blobs/sha256")
        .join(digest.strip_prefix("sha256:").unwrap())
}

/// The image config of the layout at `image`.
fn image_config(image: &Path) -> serde_json::Value {
    let index = read_json(&image.join("index.json"));
    let manifest = read_json(&blob(
        image,
        index["manifests"][0]["digest"].as_str().unwrap(),
    ));
    read_json(&blob(image, manifest["config"]["digest"].as_str().unwrap()))
}

fn digests(image: &WrittenImage) -> BTreeMap<String, String> {
    image
        .layers
        .iter()
        .map(|layer| (layer.name.clone(), layer.digest.clone()))
        .collect()
}

/// Every file of the layout, by path relative to it.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = fs::read(&path).unwrap();
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    files
}

#[test]
fn same_inputs_give_the_same_image_and_one_changed_layer_changes_one_blob() {
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    let first = build_image(&state, &config("1", "2"), &work.path().join("a"));
    // A fresh build of the same inputs (nothing reused) gives the same bytes. The state dir
    // is at the same path: the fixture, like real buildpacks, writes its layers' absolute
    // path into a file, as a real build writes `/layers/…`.
    fs::remove_dir_all(&state).unwrap();
    let same = build_image(&state, &config("1", "2"), &work.path().join("b"));
    assert_eq!(first.manifest_digest, same.manifest_digest);
    assert_eq!(files(&work.path().join("a")), files(&work.path().join("b")));

    // A rebuild in the first state dir with layer "two" changed.
    let changed = build_image(&state, &config("1", "3"), &work.path().join("c"));
    let (before, after) = (digests(&first), digests(&changed));
    assert_eq!(
        before.keys().map(String::as_str).collect::<Vec<_>>(),
        ["app", "fixture/image:one", "fixture/image:two"]
    );
    for (name, digest) in &before {
        if name == "fixture/image:two" {
            assert_ne!(&after[name], digest, "{name}");
        } else {
            assert_eq!(&after[name], digest, "{name}");
            assert_eq!(
                fs::read(blob(&work.path().join("a"), digest)).unwrap(),
                fs::read(blob(&work.path().join("c"), digest)).unwrap(),
                "{name}"
            );
        }
    }
    assert_ne!(first.manifest_digest, changed.manifest_digest);
    assert_ne!(first.config_digest, changed.config_digest);
}

#[test]
fn the_config_runs_the_default_process_with_the_launch_env() {
    let work = tempfile::tempdir().unwrap();
    let image_dir = work.path().join("image");
    let image = build_image(&work.path().join("state"), &config("1", "2"), &image_dir);
    let config = image_config(&image_dir);
    let runtime = &config["config"];
    assert_eq!(runtime["Entrypoint"], serde_json::json!(["hello"]));
    assert_eq!(runtime["Cmd"], serde_json::json!(["image"]));
    assert_eq!(runtime["WorkingDir"], "/workspace");
    assert_eq!(config["created"], "1980-01-01T00:00:01Z");
    let env: Vec<&str> = runtime["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        env,
        [
            "GREETING=hi",
            "HELLO_ONLY=only-hello",
            "LD_LIBRARY_PATH=/layers/fixture_image/two/lib",
            "ONE_ENV=1",
            // Written by the buildpack with the harness's layers path: rewritten.
            "ONE_SHARE=/layers/fixture_image/one/share",
            "PATH=/layers/fixture_image/one/bin",
        ]
    );
    let labels = &runtime["Labels"];
    assert_eq!(labels["org.example.fixture"], "image");
    assert_eq!(labels["io.buildpacks.project.metadata"], "{}");
    let lifecycle: serde_json::Value =
        serde_json::from_str(labels["io.buildpacks.lifecycle.metadata"].as_str().unwrap()).unwrap();
    let layers = &lifecycle["buildpacks"][0]["layers"];
    assert_eq!(
        layers["one"]["sha"],
        image.layer("fixture/image:one").unwrap().digest.as_str()
    );
    assert_eq!(layers["two"]["data"]["version"], "2");
    assert!(
        layers.get("scratch").is_none(),
        "cache-only layers are not in the image"
    );
    assert_eq!(
        lifecycle["app"][0]["sha"],
        image.layer("app").unwrap().digest.as_str()
    );
    let build: serde_json::Value =
        serde_json::from_str(labels["io.buildpacks.build.metadata"].as_str().unwrap()).unwrap();
    assert_eq!(build["buildpack-default-process-type"], "hello");
    assert_eq!(build["processes"][1]["type"], "other");
    assert_eq!(
        config["rootfs"]["diff_ids"].as_array().unwrap().len(),
        image.layers.len()
    );
    assert_contains!(
        image.warnings.join("\n"),
        "/layers/fixture_image/one/exec.d/noop"
    );

    // A layer is an extractable tar with full paths, parents first, normalised headers.
    let layer = fs::File::open(blob(
        &image_dir,
        &image.layer("fixture/image:one").unwrap().digest,
    ));
    let mut archive = tar::Archive::new(layer.unwrap());
    let mut names = Vec::new();
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        assert_eq!(entry.header().mtime().unwrap(), 315_532_801);
        assert_eq!(entry.header().uid().unwrap(), 1000);
        names.push(entry.path().unwrap().display().to_string());
    }
    assert_eq!(
        names[..5],
        [
            "layers",
            "layers/fixture_image",
            "layers/fixture_image/one",
            "layers/fixture_image/one/bin",
            "layers/fixture_image/one/bin/hello"
        ]
    );
    let app = fs::File::open(blob(&image_dir, &image.layer("app").unwrap().digest)).unwrap();
    let app_names: Vec<String> = tar::Archive::new(app)
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert_eq!(app_names[..2], ["workspace", "workspace/app.txt"]);
}

fn checked(command: &mut Command) -> Output {
    let output = command.stdin(Stdio::null()).output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn skopeo_umoci_and_runc_use_the_image() {
    if !tools_available(
        "skopeo_umoci_and_runc_use_the_image",
        &["skopeo", "umoci", "runc", "busybox", "root"],
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let busybox = work.path().join("busybox");
    write_busybox_image(&busybox).unwrap();
    let state = work.path().join("state");
    run(&config("1", "2"), &state, &Quiet).unwrap();
    let image_dir = work.path().join("image");
    let image = write_image(
        &state,
        &image_dir,
        &ImageOptions::new().run_image(format!("oci:{}", busybox.display()).parse().unwrap()),
    )
    .unwrap();
    assert_eq!(image.layers[0].name, "run-image[0]");

    let inspect = checked(
        Command::new("skopeo")
            .arg("inspect")
            .arg(format!("oci:{}:latest", image_dir.display())),
    );
    let inspect: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(inspect["Digest"], image.manifest_digest.as_str());
    let layers: Vec<&str> = inspect["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let expected: Vec<&str> = image.layers.iter().map(|l| l.digest.as_str()).collect();
    assert_eq!(layers, expected);
    // skopeo can copy it, checking every blob (an image store keeps layers by digest).
    checked(
        Command::new("skopeo")
            .arg("copy")
            .arg(format!("oci:{}", image_dir.display()))
            .arg(format!("oci:{}:copy", work.path().join("copy").display())),
    );

    // umoci unpacks it, runc runs the default process with the launch env from /workspace.
    let bundle = work.path().join("bundle");
    let id = format!("libcnb-lite-test-{}", std::process::id());
    let output = run_with_runc(&image_dir, &bundle, &id, None).unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "hello from one 1: hi image in /workspace [1] [only-hello]\n"
    );
    let rootfs = bundle.join("rootfs");
    assert_eq!(
        fs::read_to_string(rootfs.join("layers/fixture_image/two/link")).unwrap(),
        "two 2\n"
    );
    assert!(rootfs.join("workspace/src/main.py").is_file());
    let hello = fs::metadata(rootfs.join("layers/fixture_image/one/bin/hello")).unwrap();
    assert_eq!((hello.uid(), hello.mode() & 0o777), (1000, 0o755));
}

/// A small valid run image to break in various ways.
fn run_image(dir: &Path) -> PathBuf {
    let rootfs = dir.join("rootfs");
    fs::create_dir_all(rootfs.join("etc")).unwrap();
    fs::write(rootfs.join("etc/motd"), "hi\n").unwrap();
    let image = dir.join("run-image");
    write_rootfs_image(&rootfs, &image, &["PATH=/bin".into()]).unwrap();
    image
}

fn write_to(state: &Path, output: &Path, run_image: &Path) -> Result<WrittenImage, ImageError> {
    write_image(
        state,
        output,
        &ImageOptions::new().run_image(RunImage::new(run_image, None)),
    )
}

#[test]
fn a_bad_run_image_is_refused_naming_the_path() {
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    run(&config("1", "2"), &state, &Quiet).unwrap();
    let output = work.path().join("image");
    let good = run_image(work.path());
    let index = read_json(&good.join("index.json"));
    let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let manifest = read_json(&blob(&good, &manifest_digest));
    let layer_digest = manifest["layers"][0]["digest"].as_str().unwrap().to_owned();

    let broken = |name: &str, breaks: &dyn Fn(&Path)| -> String {
        let copy = work.path().join(name);
        checked(Command::new("cp").arg("-r").arg(&good).arg(&copy));
        breaks(&copy);
        let error = write_to(&state, &output, &copy).unwrap_err();
        assert!(!output.exists(), "{name}: output written");
        error_chain(&error)
    };
    let missing = work.path().join("missing");
    let error = error_chain(&write_to(&state, &output, &missing).unwrap_err());
    assert_eq!(
        error,
        format!(
            "invalid run image: {} does not exist or is not a directory",
            missing.display()
        )
    );
    let error = broken("no-index", &|dir| {
        fs::remove_file(dir.join("index.json")).unwrap();
    });
    assert_contains!(error, "invalid run image: cannot read ");
    assert_contains!(error, "no-index/index.json: No such file or directory");
    let error = broken("no-manifest", &|dir| {
        fs::write(
            dir.join("index.json"),
            r#"{"schemaVersion":2,"manifests":[]}"#,
        )
        .unwrap();
    });
    assert_contains!(error, "no-manifest/index.json lists no manifest");
    let error = broken("image-index", &|dir| {
        let text = fs::read_to_string(dir.join("index.json")).unwrap();
        let text = text.replace("image.manifest.v1+json", "image.index.v1+json\u{0}");
        fs::write(dir.join("index.json"), text.replace('\u{0}', "")).unwrap();
    });
    assert_contains!(
        error,
        "image-index/index.json lists a manifest of unsupported media type \"application/vnd.oci.image.index.v1+json\""
    );
    let error = broken("mismatch", &|dir| {
        let path = blob(dir, &layer_digest);
        let mut bytes = fs::read(&path).unwrap();
        bytes[600] ^= 1;
        fs::write(path, bytes).unwrap();
    });
    assert_contains!(
        error,
        &format!("mismatch/blobs/sha256/{}", &layer_digest[7..])
    );
    assert_contains!(error, "does not match its descriptor");
    let error = broken("missing-layer", &|dir| {
        fs::remove_file(blob(dir, &layer_digest)).unwrap();
    });
    assert_contains!(
        error,
        &format!(
            "missing-layer/blobs/sha256/{}: No such file",
            &layer_digest[7..]
        )
    );
    let error = broken("docker-layer", &|dir| {
        // A manifest with a Docker layer type, which the image would misdescribe.
        let mut manifest = manifest.clone();
        manifest["layers"][0]["mediaType"] =
            "application/vnd.docker.image.rootfs.diff.tar.gzip".into();
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let digest = format!("sha256:{}", sha256_hex(&bytes));
        fs::write(blob(dir, &digest), &bytes).unwrap();
        let mut index = index.clone();
        index["manifests"][0]["digest"] = digest.into();
        index["manifests"][0]["size"] = bytes.len().into();
        fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    });
    assert_contains!(
        error,
        "has a layer of unsupported media type \"application/vnd.docker.image.rootfs.diff.tar.gzip\""
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    use std::fmt::Write as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

#[test]
fn a_non_empty_output_dir_is_refused_and_left_alone() {
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    run(&config("1", "2"), &state, &Quiet).unwrap();
    let output = work.path().join("image");
    fs::create_dir(&output).unwrap();
    fs::write(output.join("notes.txt"), "mine").unwrap();
    let error = write_image(&state, &output, &ImageOptions::new()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{} exists and is not an empty dir; refusing to write an image there (choose a new or empty dir, or delete it)",
            output.display()
        )
    );
    assert_eq!(
        fs::read_to_string(output.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(fs::read_dir(&output).unwrap().count(), 1);
}

#[test]
fn a_failed_write_leaves_nothing_that_looks_like_an_image() {
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    run(&config("1", "2"), &state, &Quiet).unwrap();
    // Layer "two" is written after "one": remove its blob from the state dir.
    let metadata = read_json(&state.join("image/metadata.json"));
    let sha = metadata["buildpacks"][0]["layers"]["two"]["sha"]
        .as_str()
        .unwrap();
    let missing = state.join("image/blobs").join(format!("{sha}.tar"));
    fs::remove_file(&missing).unwrap();
    let output = work.path().join("image");
    fs::create_dir(&output).unwrap();
    let error = write_image(&state, &output, &ImageOptions::new()).unwrap_err();
    assert_eq!(
        error_chain(&error),
        format!(
            "cannot read image layer {}: No such file or directory (os error 2)",
            missing.display()
        )
    );
    assert_eq!(
        fs::read_dir(&output).unwrap().count(),
        0,
        "the blobs written are removed"
    );
}

#[test]
fn a_hostile_layer_blob_in_the_state_dir_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    run(&config("1", "2"), &state, &Quiet).unwrap();
    let metadata = read_json(&state.join("image/metadata.json"));
    let sha = metadata["buildpacks"][0]["layers"]["one"]["sha"]
        .as_str()
        .unwrap();
    let path = state.join("image/blobs").join(format!("{sha}.tar"));
    // An entry that would land outside the layer, and outside the env capture's scratch dir.
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.as_old_mut().name[..25].copy_from_slice(b"fixture_image/one/../../x");
    header.set_size(1);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append(&header, &b"x"[..]).unwrap();
    fs::write(&path, builder.into_inner().unwrap()).unwrap();
    let error = write_image(&state, &work.path().join("image"), &ImageOptions::new()).unwrap_err();
    assert_eq!(
        error_chain(&error),
        format!(
            "cannot read image layer {}: refusing archive entry \"fixture_image/one/../../x\": not a plain relative path",
            path.display()
        )
    );
    assert!(!work.path().join("image").exists());
}

/// A tmpfs of `size`, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Self> {
        fs::create_dir_all(dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status();
        status
            .is_ok_and(|s| s.success())
            .then(|| Self(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_fails_naming_the_file_and_leaves_no_image() {
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    run(config("1", "2").env("BIG_KB", "1024"), &state, &Quiet).unwrap();
    let Some(disk) = Tmpfs::mount(&work.path().join("disk"), "256k") else {
        eprintln!(
            "skipped a_full_disk_fails_naming_the_file_and_leaves_no_image: cannot mount a tmpfs (needs root); a_failed_write_leaves_nothing_that_looks_like_an_image covers the clean-up"
        );
        return;
    };
    let output = disk.0.join("image");
    let error = write_image(&state, &output, &ImageOptions::new()).unwrap_err();
    let text = error_chain(&error);
    assert!(matches!(error, ImageError::Write { .. }), "{text}");
    assert_contains!(
        text,
        &format!("cannot write {}/blobs/sha256/.partial-", output.display())
    );
    assert_contains!(text, "No space left on device");
    assert!(!output.exists(), "{text}");
    assert_eq!(fs::read_dir(&disk.0).unwrap().count(), 0);
}

/// A buildpack dir or crate dir as libcnb-test's `BuildpackReference::Other`.
fn other(path: impl AsRef<std::path::Path>) -> BuildpackReference {
    BuildpackReference::Other(path.as_ref().display().to_string())
}
