//! The basics app as a real OCI image: written by `libcnb-lite-test` on a run image built
//! from Debian's busybox, read by `skopeo`, unpacked by `umoci` and started by `runc`, which
//! prints the default process's greeting.
//!
//! Needs `skopeo`, `umoci`, `runc`, `busybox-static` and root (`.ci/run` installs them);
//! outside CI the test is skipped with the reason when they are missing.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use libcnb_lite_test::oci::{
    ImageOptions, RunImage, run_with_runc, tools_available, write_busybox_image, write_image,
};
use libcnb_lite_test::{BuildConfig, BuildpackReference, Quiet, run};

fn basics() -> BuildpackReference {
    BuildpackReference::CurrentCrate
}

fn checked(command: &mut Command) -> Output {
    let output = command.stdin(Stdio::null()).output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn greeting(image: &Path, work: &Path, args: Option<&[&str]>) -> String {
    let n = args.map_or(0, <[&str]>::len);
    let bundle = work.join(format!("bundle-{n}"));
    let id = format!("libcnb-lite-basics-{}-{n}", std::process::id());
    let output = run_with_runc(image, &bundle, &id, args).unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_image_prints_the_greeting_under_runc() {
    if !tools_available(
        "the_image_prints_the_greeting_under_runc",
        &["skopeo", "umoci", "runc", "busybox", "root"],
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let busybox = work.path().join("busybox");
    write_busybox_image(&busybox).unwrap();
    let state = work.path().join("state");
    let config = BuildConfig::new(
        "heroku/builder:24",
        concat!(env!("CARGO_MANIFEST_DIR"), "/app"),
    )
    .buildpacks([basics()])
    .clone();
    run(&config, &state, &Quiet).unwrap();
    let image_dir = work.path().join("image");
    let image = write_image(
        &state,
        &image_dir,
        &ImageOptions::new().run_image(RunImage::new(&busybox, None)),
    )
    .unwrap();
    let names: Vec<&str> = image.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["run-image[0]", "examples/basics:greeter", "app"]);

    // skopeo reads it: the manifest digest, the layers, the launch env and the process.
    let inspect = checked(
        Command::new("skopeo")
            .arg("inspect")
            .arg(format!("oci:{}", image_dir.display())),
    );
    let inspect: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(inspect["Digest"], image.manifest_digest.as_str());
    assert_eq!(inspect["Layers"].as_array().unwrap().len(), 3);
    assert_eq!(
        inspect["Env"][0],
        "PATH=/layers/examples_basics/greeter/bin:/usr/local/bin:/usr/bin:/bin"
    );
    let config = checked(
        Command::new("skopeo")
            .args(["inspect", "--config"])
            .arg(format!("oci:{}", image_dir.display())),
    );
    let config: serde_json::Value = serde_json::from_slice(&config.stdout).unwrap();
    assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["greet"]));
    assert_eq!(config["config"]["Cmd"], serde_json::json!(["world"]));
    assert_eq!(config["config"]["WorkingDir"], "/workspace");

    // runc starts the default process from umoci's bundle; arguments replace `world`.
    assert_eq!(
        greeting(&image_dir, work.path(), None),
        "Hello, world! (greeter 1.2.0)\n"
    );
    assert_eq!(
        greeting(&image_dir, work.path(), Some(&["Ferris"])),
        "Hello, Ferris! (greeter 1.2.0)\n"
    );
}
