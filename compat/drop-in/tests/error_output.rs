//! The buildpack's error output, as its users see it: the compiled binary run as `bin/build`,
//! its stderr compared with a snapshot (insta), as real buildpacks test theirs.

use std::path::Path;
use std::process::Command;

/// Runs the buildpack binary as `bin/<phase>` of a buildpack dir holding `buildpack.toml`,
/// with only the environment given, and returns its exit code and stderr without colours.
fn run(phase: &str, app_dir: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let buildpack_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(buildpack_dir.path().join("bin")).unwrap();
    std::fs::copy(
        env!("CARGO_MANIFEST_DIR").to_owned() + "/buildpack.toml",
        buildpack_dir.path().join("buildpack.toml"),
    )
    .unwrap();
    let binary = buildpack_dir.path().join("bin").join(phase);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_drop-in-buildpack"), &binary).unwrap();
    let layers_dir = tempfile::tempdir().unwrap();
    let platform_dir = tempfile::tempdir().unwrap();
    std::fs::write(layers_dir.path().join("plan.toml"), "").unwrap();

    let mut command = Command::new(&binary);
    command.env_clear().current_dir(app_dir);
    command.env("CNB_BUILDPACK_DIR", buildpack_dir.path());
    command.envs(env.iter().copied());
    if phase == "build" {
        command.args([layers_dir.path(), platform_dir.path(), &layers_dir.path().join("plan.toml")]);
    } else {
        command.args([platform_dir.path(), &layers_dir.path().join("build-plan.toml")]);
    }
    let output = command.output().unwrap();
    (output.status.code(), strip_colours(&String::from_utf8_lossy(&output.stderr)))
}

/// `termcolor`'s escape sequences (libherokubuildpack's log always colours) taken out.
fn strip_colours(text: &str) -> String {
    let mut plain = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('\x1b') {
        plain.push_str(&rest[..start]);
        rest = rest[start..].find('m').map_or("", |end| &rest[start + end + 1..]);
    }
    plain.push_str(rest);
    plain
}

#[test]
fn a_missing_target_variable_prints_upstreams_text_through_libherokubuildpack() {
    let app_dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run("detect", app_dir.path(), &[]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(stderr.trim(), @"
[Error: Internal Buildpack Error]
Couldn't determine target os: environment variable not found
");
}

#[test]
fn the_buildpacks_own_error_goes_to_its_handler() {
    let app_dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run(
        "build",
        app_dir.path(),
        &[
            ("CNB_TARGET_OS", "linux"),
            ("CNB_TARGET_ARCH", "amd64"),
            ("CNB_TARGET_DISTRO_NAME", "ubuntu"),
            ("CNB_TARGET_DISTRO_VERSION", "24.04"),
        ],
    );
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(stderr.trim(), @"
[Error: Greeter error]
The app has no greeting.txt
");
}
