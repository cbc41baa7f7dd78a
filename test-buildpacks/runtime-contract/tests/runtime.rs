//! Runs the compiled buildpack as `bin/detect` and `bin/build` exactly as the lifecycle does
//! ([spec: Detection](https://github.com/buildpacks/spec/blob/main/buildpack.md#detection), [Build](https://github.com/buildpacks/spec/blob/main/buildpack.md#build)): `argv`, a clean environment with the `CNB_*` variables, and the app
//! directory as the working directory. Asserts the files it writes and the exit code of every
//! failure path.

#![expect(
    clippy::unwrap_used,
    reason = "the fixture helpers outside #[test] fns panic on setup failures, like the tests"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A packaged buildpack plus the directories the lifecycle would hand it.
struct Lifecycle {
    _temp_dir: tempfile::TempDir,
    buildpack_dir: PathBuf,
    platform_dir: PathBuf,
    app_dir: PathBuf,
    layers_dir: PathBuf,
    build_plan_path: PathBuf,
    buildpack_plan_path: PathBuf,
    /// Variables removed from (name only) or set in (name, value) the phase environment.
    env_removals: Vec<&'static str>,
    env_additions: Vec<(&'static str, String)>,
}

const BUILDPACK_TOML: &str = r#"api = "0.10"

[buildpack]
id = "test/runtime-contract"
version = "0.1.0"
"#;

impl Lifecycle {
    fn new() -> Self {
        let temp_dir = tempfile::tempdir().unwrap();
        let root = temp_dir.path();
        let buildpack_dir = root.join("buildpacks/test_runtime-contract/0.1.0");
        let platform_dir = root.join("platform");
        let app_dir = root.join("workspace");
        let layers_dir = root.join("layers/test_runtime-contract");
        for dir in [
            &buildpack_dir.join("bin"),
            &platform_dir,
            &app_dir,
            &layers_dir,
        ] {
            fs::create_dir_all(dir).unwrap();
        }

        // Packaged as libcnb-cargo does: the binary is bin/build, bin/detect links to it.
        // bin/build is a hard link to the compiled binary (a symbolic link if the temporary
        // directory is on another file system), never a copy: the tests run in parallel
        // threads, and a copy's file descriptor, open for writing, can be inherited by a
        // process another test forks at that moment, which makes running bin/build fail with
        // "Text file busy" (ETXTBSY) until that process calls exec, so a loaded machine failed
        // this suite now and then.
        let binary = Path::new(env!("CARGO_BIN_EXE_runtime-contract"));
        let build = buildpack_dir.join("bin/build");
        if fs::hard_link(binary, &build).is_err() {
            std::os::unix::fs::symlink(binary, &build).unwrap();
        }
        std::os::unix::fs::symlink("build", buildpack_dir.join("bin/detect")).unwrap();
        fs::write(buildpack_dir.join("buildpack.toml"), BUILDPACK_TOML).unwrap();

        // The lifecycle pre-creates the plan file empty, and writes the buildpack plan.
        let build_plan_path = root.join("detect-plan/plan.toml");
        fs::create_dir_all(build_plan_path.parent().unwrap()).unwrap();
        fs::write(&build_plan_path, "").unwrap();
        let buildpack_plan_path = root.join("build-plan/plan.toml");
        fs::create_dir_all(buildpack_plan_path.parent().unwrap()).unwrap();
        fs::write(
            &buildpack_plan_path,
            "[[entries]]\nname = \"runtime-contract\"\n[entries.metadata]\nfrom = \"detect\"\n",
        )
        .unwrap();

        Self {
            _temp_dir: temp_dir,
            buildpack_dir,
            platform_dir,
            app_dir,
            layers_dir,
            build_plan_path,
            buildpack_plan_path,
            env_removals: Vec::new(),
            env_additions: Vec::new(),
        }
    }

    fn write_buildpack_toml(&self, contents: &str) {
        fs::write(self.buildpack_dir.join("buildpack.toml"), contents).unwrap();
    }

    fn without_env(mut self, name: &'static str) -> Self {
        self.env_removals.push(name);
        self
    }

    fn with_env(mut self, name: &'static str, value: &str) -> Self {
        self.env_additions.push((name, value.to_string()));
        self
    }

    /// The phase environment: the lifecycle's base allowlist (`HOME`, `HOSTNAME`, the proxy
    /// and path variables; everything else is dropped) plus the CNB variables.
    fn command(&self, executable: &Path, common: &[(&str, &Path)]) -> Command {
        let mut command = Command::new(executable);
        command
            .current_dir(&self.app_dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CNB_BUILDPACK_DIR", &self.buildpack_dir)
            .env("CNB_PLATFORM_DIR", &self.platform_dir)
            .env("CNB_TARGET_OS", "linux")
            .env("CNB_TARGET_ARCH", "amd64")
            .env("CNB_TARGET_DISTRO_NAME", "ubuntu")
            .env("CNB_TARGET_DISTRO_VERSION", "24.04");
        for (name, value) in common {
            command.env(name, value);
        }
        for name in &self.env_removals {
            command.env_remove(name);
        }
        for (name, value) in &self.env_additions {
            command.env(name, value);
        }
        command
    }

    fn detect(&self) -> Output {
        self.detect_with_args(&[
            self.platform_dir.as_os_str(),
            self.build_plan_path.as_os_str(),
        ])
    }

    fn detect_with_args(&self, args: &[&std::ffi::OsStr]) -> Output {
        self.command(
            &self.buildpack_dir.join("bin/detect"),
            &[("CNB_BUILD_PLAN_PATH", &self.build_plan_path)],
        )
        .args(args)
        .output()
        .unwrap()
    }

    fn build(&self) -> Output {
        self.build_with_args(&[
            self.layers_dir.as_os_str(),
            self.platform_dir.as_os_str(),
            self.buildpack_plan_path.as_os_str(),
        ])
    }

    fn build_with_args(&self, args: &[&std::ffi::OsStr]) -> Output {
        self.command(
            &self.buildpack_dir.join("bin/build"),
            &[
                ("CNB_BP_PLAN_PATH", &self.buildpack_plan_path),
                ("CNB_LAYERS_DIR", &self.layers_dir),
            ],
        )
        .args(args)
        .output()
        .unwrap()
    }

    fn layer_files(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.layers_dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn read_layers_file(&self, name: &str) -> String {
        fs::read_to_string(self.layers_dir.join(name))
            .unwrap_or_else(|error| panic!("couldn't read {name} in the layers dir: {error}"))
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

#[track_caller]
fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected {needle:?} in:\n{haystack}"
    );
}

// Detect.

#[test]
fn detect_pass_writes_the_build_plan_and_sees_the_context() {
    let lifecycle = Lifecycle::new();
    fs::create_dir_all(lifecycle.platform_dir.join("env")).unwrap();
    fs::write(lifecycle.platform_dir.join("env/GREETING"), "hi").unwrap();

    let output = lifecycle.detect();

    assert_exit(&output, 0);
    assert_eq!(
        fs::read_to_string(&lifecycle.build_plan_path).unwrap(),
        "[[provides]]\nname = \"runtime-contract\"\n\n[[requires]]\nname = \"runtime-contract\"\n\n[requires.metadata]\nfrom = \"detect\"\n"
    );
    let stdout = stdout(&output);
    assert_contains(
        &stdout,
        &format!("app_dir={}\n", lifecycle.app_dir.display()),
    );
    assert_contains(
        &stdout,
        &format!("buildpack_dir={}\n", lifecycle.buildpack_dir.display()),
    );
    assert_contains(&stdout, "buildpack_id=test/runtime-contract\n");
    assert_contains(
        &stdout,
        "target=Target { os: \"linux\", arch: \"amd64\", arch_variant: None, distro_name: \"ubuntu\", distro_version: \"24.04\" }\n",
    );
    assert_contains(&stdout, "platform_env_GREETING=Some(\"hi\")\n");
    // Nothing but the plan is left in the plan's directory (no temporary files).
    assert_eq!(
        fs::read_dir(lifecycle.build_plan_path.parent().unwrap())
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn detect_fail_exits_100_and_writes_no_plan() {
    let lifecycle = Lifecycle::new();
    fs::write(lifecycle.app_dir.join("fail-detect"), "").unwrap();

    let output = lifecycle.detect();

    assert_exit(&output, 100);
    assert_eq!(fs::read_to_string(&lifecycle.build_plan_path).unwrap(), "");
}

#[test]
fn detect_buildpack_error_exits_1_after_on_error() {
    let lifecycle = Lifecycle::new();
    fs::write(lifecycle.app_dir.join("error-detect"), "").unwrap();

    let output = lifecycle.detect();

    assert_exit(&output, 1);
    assert_eq!(
        stderr(&output),
        "Unhandled error:\n> BuildpackError(Requested(\"detect\"))\nBuildpack will exit!\n"
    );
    assert_eq!(fs::read_to_string(&lifecycle.build_plan_path).unwrap(), "");
}

#[test]
fn detect_with_wrong_argument_count_exits_1_with_usage() {
    let lifecycle = Lifecycle::new();

    let output = lifecycle.detect_with_args(&[lifecycle.platform_dir.as_os_str()]);

    assert_exit(&output, 1);
    assert_eq!(
        stderr(&output),
        "Usage: detect <platform_dir> <buildplan>\nhttps://github.com/buildpacks/spec/blob/main/buildpack.md#detection\n"
    );
}

#[test]
fn unwritable_build_plan_exits_1_naming_the_path() {
    let lifecycle = Lifecycle::new();
    let plan = lifecycle.app_dir.join("missing-dir/plan.toml");

    let output =
        lifecycle.detect_with_args(&[lifecycle.platform_dir.as_os_str(), plan.as_os_str()]);

    assert_exit(&output, 1);
    assert_contains(
        &stderr(&output),
        // Upstream's Debug form (the default on_error's); libcnb-lite's io::Error carries the
        // path.
        &format!(
            "> CannotWriteBuildPlan(IoError(Custom {{ kind: NotFound, error: InIoError(PathError \
             {{ operation: Write, path: {:?}, layer: None, source: Os {{ code: 2, kind: NotFound, \
             message: \"No such file or directory\" }} }}) }}))",
            plan.display().to_string()
        ),
    );
}

// Build.

#[test]
fn build_writes_launch_store_and_sboms() {
    let lifecycle = Lifecycle::new();

    let output = lifecycle.build();

    assert_exit(&output, 0);
    assert_eq!(
        lifecycle.layer_files(),
        [
            "build.sbom.cdx.json",
            "launch.sbom.spdx.json",
            "launch.sbom.syft.json",
            "launch.toml",
            "store.toml"
        ]
    );
    assert_eq!(
        lifecycle.read_layers_file("launch.toml"),
        "[[processes]]\ntype = \"web\"\ncommand = [\"echo\", \"hello\"]\ndefault = true\n"
    );
    assert_eq!(
        lifecycle.read_layers_file("store.toml"),
        "[metadata]\nbuilds = 1\n"
    );
    assert_eq!(
        lifecycle.read_layers_file("build.sbom.cdx.json"),
        "{\"build\":1}"
    );
    assert_eq!(
        lifecycle.read_layers_file("launch.sbom.spdx.json"),
        "{\"launch\":1}"
    );
    assert_eq!(
        lifecycle.read_layers_file("launch.sbom.syft.json"),
        "{\"launch\":2}"
    );

    let stdout = stdout(&output);
    assert_contains(
        &stdout,
        &format!("layers_dir={}\n", lifecycle.layers_dir.display()),
    );
    assert_contains(
        &stdout,
        &format!("app_dir={}\n", lifecycle.app_dir.display()),
    );
    assert_contains(&stdout, "plan_entries=[\"runtime-contract\"]\n");
    assert_contains(&stdout, "previous_builds=None\n");
}

#[test]
fn build_reads_the_previous_store() {
    let lifecycle = Lifecycle::new();
    fs::write(
        lifecycle.layers_dir.join("store.toml"),
        "[metadata]\nbuilds = 41\n",
    )
    .unwrap();

    let output = lifecycle.build();

    assert_exit(&output, 0);
    assert_contains(&stdout(&output), "previous_builds=Some(41)\n");
    assert_eq!(
        lifecycle.read_layers_file("store.toml"),
        "[metadata]\nbuilds = 42\n"
    );
}

#[test]
fn build_buildpack_error_exits_1_after_on_error_and_writes_nothing() {
    let lifecycle = Lifecycle::new();
    fs::write(lifecycle.app_dir.join("error-build"), "").unwrap();

    let output = lifecycle.build();

    assert_exit(&output, 1);
    assert_eq!(
        stderr(&output),
        "Unhandled error:\n> BuildpackError(Requested(\"build\"))\nBuildpack will exit!\n"
    );
    assert!(lifecycle.layer_files().is_empty());
}

#[test]
fn build_with_wrong_argument_count_exits_1_with_usage() {
    let lifecycle = Lifecycle::new();

    let output = lifecycle.build_with_args(&[
        lifecycle.layers_dir.as_os_str(),
        lifecycle.platform_dir.as_os_str(),
    ]);

    assert_exit(&output, 1);
    assert_eq!(
        stderr(&output),
        "Usage: build <layers> <platform> <plan>\nhttps://github.com/buildpacks/spec/blob/main/buildpack.md#build\n"
    );
}

#[test]
fn missing_buildpack_plan_exits_1_naming_the_path() {
    let lifecycle = Lifecycle::new();
    fs::remove_file(&lifecycle.buildpack_plan_path).unwrap();

    let output = lifecycle.build();

    assert_exit(&output, 1);
    assert_contains(
        &stderr(&output),
        &format!(
            "> CannotReadBuildpackPlan(IoError(Custom {{ kind: NotFound, error: \
             InIoError(PathError {{ operation: Read, path: {:?},",
            lifecycle.buildpack_plan_path.display().to_string()
        ),
    );
}

#[test]
fn malformed_store_exits_1() {
    let lifecycle = Lifecycle::new();
    fs::write(lifecycle.layers_dir.join("store.toml"), "[metadata\n").unwrap();

    let output = lifecycle.build();

    assert_exit(&output, 1);
    assert_contains(
        &stderr(&output),
        "> CannotReadStore(TomlDeserializationError(Error { message: \"unclosed table, \
         expected `]`\"",
    );
}

// Buildpack API versions.

#[test]
fn unsupported_buildpack_api_exits_254_naming_both_versions() {
    for api in ["0.9", "0.13", "1.0"] {
        let lifecycle = Lifecycle::new();
        lifecycle.write_buildpack_toml(&BUILDPACK_TOML.replace("0.10", api));

        for output in [lifecycle.detect(), lifecycle.build()] {
            assert_exit(&output, 254);
            assert_eq!(
                stderr(&output),
                format!(
                    "Error: Cloud Native Buildpack API mismatch\n\
                     This buildpack uses Cloud Native Buildpacks API version {api} (specified in buildpack.toml).\n\
                     However, the underlying libcnb-lite library only supports CNB API 0.10, 0.11 and 0.12.\n"
                )
            );
        }
    }
}

#[test]
fn buildpack_api_0_11_behaves_like_0_10() {
    let lifecycle = Lifecycle::new().with_env("CNB_EXEC_ENV", "production");
    lifecycle.write_buildpack_toml(&BUILDPACK_TOML.replace("0.10", "0.11"));

    let detect = lifecycle.detect();
    let build = lifecycle.build();

    assert_exit(&detect, 0);
    assert_exit(&build, 0);
    assert_contains(&stdout(&detect), "exec_env=None\n");
    assert_contains(&stdout(&build), "exec_env=None\n");
}

#[test]
fn buildpack_api_0_12_exposes_cnb_exec_env() {
    let lifecycle = Lifecycle::new().with_env("CNB_EXEC_ENV", "test");
    lifecycle.write_buildpack_toml(&BUILDPACK_TOML.replace("0.10", "0.12"));

    let detect = lifecycle.detect();
    let build = lifecycle.build();

    assert_exit(&detect, 0);
    assert_exit(&build, 0);
    assert_contains(&stdout(&detect), "exec_env=Some(\"test\")\n");
    assert_contains(&stdout(&build), "exec_env=Some(\"test\")\n");
}

#[test]
fn buildpack_api_0_10_ignores_cnb_exec_env() {
    let lifecycle = Lifecycle::new().with_env("CNB_EXEC_ENV", "test");

    let output = lifecycle.detect();

    assert_exit(&output, 0);
    assert_contains(&stdout(&output), "exec_env=None\n");
}

// Unreadable or unusable buildpack.toml.

#[test]
fn missing_buildpack_toml_exits_254_with_upstreams_message() {
    let lifecycle = Lifecycle::new();
    fs::remove_file(lifecycle.buildpack_dir.join("buildpack.toml")).unwrap();

    for output in [lifecycle.detect(), lifecycle.build()] {
        assert_exit(&output, 254);
        assert_eq!(
            stderr(&output),
            format!(
                "Error: Unable to determine Buildpack API version\n\
                 Cause: Couldn't read buildpack.toml: I/O error while reading/writing TOML file: \
                 No such file or directory (os error 2)\n"
            )
        );
    }
}

#[test]
fn buildpack_toml_without_api_exits_254() {
    let lifecycle = Lifecycle::new();
    lifecycle.write_buildpack_toml("[buildpack]\nid = \"x\"\nversion = \"0.1.0\"\n");

    let output = lifecycle.detect();

    assert_exit(&output, 254);
    assert_contains(
        &stderr(&output),
        "Cause: Couldn't read buildpack.toml: TOML deserialization error while reading TOML \
         file: TOML parse error at line 1, column 1",
    );
    assert_contains(&stderr(&output), "missing field `api`");
}

#[test]
fn invalid_buildpack_toml_with_a_valid_api_exits_1_after_on_error() {
    // The API check passes; reading the full descriptor fails (as upstream: exit 1).
    let lifecycle = Lifecycle::new();
    lifecycle.write_buildpack_toml(&format!("{BUILDPACK_TOML}unknown-key = true\n"));

    for output in [lifecycle.detect(), lifecycle.build()] {
        assert_exit(&output, 1);
        assert_contains(
            &stderr(&output),
            "Unhandled error:\n> CannotReadBuildpackDescriptor(TomlDeserializationError(Error { \
             message: \"unknown field `unknown-key`",
        );
        assert_contains(&stderr(&output), "unknown field `unknown-key`");
    }
}

// Environment variables.

#[test]
fn missing_cnb_buildpack_dir_exits_254_naming_the_variable() {
    let lifecycle = Lifecycle::new().without_env("CNB_BUILDPACK_DIR");

    let output = lifecycle.detect();

    assert_exit(&output, 254);
    assert_eq!(
        stderr(&output),
        "Error: Unable to determine Buildpack API version\n\
         Cause: Couldn't determine buildpack directory: environment variable not found\n"
    );
}

#[test]
fn missing_target_variables_exit_1_naming_the_variable() {
    for (variable, message) in [
        ("CNB_TARGET_OS", "CannotDetermineTargetOs(NotPresent)"),
        ("CNB_TARGET_ARCH", "CannotDetermineTargetArch(NotPresent)"),
        (
            "CNB_TARGET_DISTRO_NAME",
            "CannotDetermineTargetDistroName(NotPresent)",
        ),
        (
            "CNB_TARGET_DISTRO_VERSION",
            "CannotDetermineTargetDistroVersion(NotPresent)",
        ),
    ] {
        let lifecycle = Lifecycle::new().without_env(variable);

        for output in [lifecycle.detect(), lifecycle.build()] {
            assert_exit(&output, 1);
            assert_contains(&stderr(&output), &format!("> {message}"));
        }
        assert_eq!(fs::read_to_string(&lifecycle.build_plan_path).unwrap(), "");
        assert!(lifecycle.layer_files().is_empty());
    }
}

#[test]
fn optional_arch_variant_is_read() {
    let lifecycle = Lifecycle::new().with_env("CNB_TARGET_ARCH_VARIANT", "v8");

    let output = lifecycle.detect();

    assert_exit(&output, 0);
    assert_contains(&stdout(&output), "arch_variant: Some(\"v8\")");
}

// Executable name.

#[test]
fn unexpected_executable_name_exits_255() {
    let lifecycle = Lifecycle::new();
    let other = lifecycle.buildpack_dir.join("bin/runtime-contract");
    std::os::unix::fs::symlink("build", &other).unwrap();

    let output = lifecycle
        .command(&other, &[])
        .arg(&lifecycle.platform_dir)
        .arg(&lifecycle.build_plan_path)
        .output()
        .unwrap();

    assert_exit(&output, 255);
    assert_eq!(
        stderr(&output),
        "Error: Expected the name of this executable to be 'detect' or 'build', but it was 'runtime-contract'\n\
         The executable name is used to determine the current buildpack phase.\n\
         You might want to create 'detect' and 'build' links to this executable and run those instead.\n"
    );
}

// exec.d.

#[test]
fn exec_d_program_writes_toml_to_fd_3() {
    let temp_dir = tempfile::tempdir().unwrap();
    let output_path = temp_dir.path().join("fd3.toml");

    // The launcher passes a pipe as fd 3; a file works the same for the program.
    let output = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" 3>\"$1\"")
        .arg(env!("CARGO_BIN_EXE_exec-d-output"))
        .arg(&output_path)
        .output()
        .unwrap();

    assert_exit(&output, 0);
    let written = fs::read_to_string(&output_path).unwrap();
    let mut lines: Vec<&str> = written.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        ["ARGS_SEEN = \"1\"", "GREETING = \"hello from exec.d\""]
    );
}

#[test]
fn exec_d_program_without_fd_3_exits_1_with_a_message() {
    let output = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" 3>&-")
        .arg(env!("CARGO_BIN_EXE_exec-d-output"))
        .output()
        .unwrap();

    assert_exit(&output, 1);
    assert_eq!(
        stderr(&output),
        "couldn't write the exec.d program output to file descriptor 3: file descriptor 3 is not \
         open (the launcher opens it for exec.d programs)\n"
    );
}
