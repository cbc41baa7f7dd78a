//! `container`: images built in a state dir run as runc containers, with the launcher's
//! work done (launch env, exec.d, process types, working dir, arguments), published ports,
//! exec, exit codes, and nothing left behind: no process, mount, runc state or bundle.
//!
//! Needs root and `runc` (`.ci/run` installs it); `umoci` and busybox for the run image.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

use libcnb_lite_test::container::{
    Container, ContainerError, ContainerOptions, Mount, run_to_completion,
};
use libcnb_lite_test::oci::{RunImage, tools_available, write_busybox_image};
use libcnb_lite_test::{BuildConfig, BuildpackReference, LaunchError, Quiet, run};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A state dir holding the `container` fixture's image.
fn built() -> tempfile::TempDir {
    let state = tempfile::tempdir().unwrap();
    let config = BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([other(fixture("container"))])
        .clone();
    run(&config, state.path(), &Quiet).unwrap();
    state
}

/// Asserts that nothing of the state dir's containers is left: no runc container, no
/// bundle, no mount, no process mentioning the state dir or running on its mounts.
fn assert_nothing_left(state: &Path) {
    let runc_root = state.join("containers/runc");
    let list = Command::new("runc")
        .arg("--root")
        .arg(&runc_root)
        .args(["list", "-q"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&list.stdout).trim(),
        "",
        "runc list"
    );
    let bundles: Vec<_> = fs::read_dir(state.join("containers"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .filter(|name| name != "runc")
        .collect();
    assert!(bundles.is_empty(), "bundles left: {bundles:?}");
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let state_text = state.to_string_lossy();
    assert!(
        !mountinfo.contains(state_text.as_ref()),
        "mounts left: {mountinfo}"
    );
    // A container's processes live in its mount namespace, whose mounts come from the
    // bundle under the state dir (whose name is unique): none may be left.
    let unique = state.file_name().unwrap().to_string_lossy().into_owned();
    for entry in fs::read_dir("/proc").unwrap() {
        let path = entry.unwrap().path();
        let Ok(cmdline) = fs::read(path.join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let mounts = fs::read_to_string(path.join("mountinfo")).unwrap_or_default();
        assert!(
            !cmdline.contains(state_text.as_ref()) && !mounts.contains(&unique),
            "process left: {} {cmdline}",
            path.display()
        );
    }
}

fn http_get(address: SocketAddr, path: &str) -> String {
    // The server may still be starting: connections are refused (closed) until it listens.
    for _ in 0..500 {
        if let Ok(mut stream) = TcpStream::connect(address) {
            let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut response = String::new();
                if stream.read_to_string(&mut response).is_ok() && !response.is_empty() {
                    return response;
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("no HTTP response from {address}");
}

#[test]
fn default_process_runs_with_launch_env_and_exec_d() {
    if !tools_available(
        "default_process_runs_with_launch_env_and_exec_d",
        &["runc", "root"],
    ) {
        return;
    }
    let state = built();
    let output = run_to_completion(state.path(), &ContainerOptions::new()).unwrap();
    assert_eq!(output.exit_code, 0, "{output:?}");
    assert_eq!(
        output.stdout,
        "exec.d ran\ngreet world [execd-tools] [tools] [greet] in /workspace\n"
    );
    assert_eq!(output.stderr, "to stderr\n");

    // Arguments replace the process's; a process type by name; the launcher entrypoint.
    let output =
        run_to_completion(state.path(), &ContainerOptions::new().command(["you"])).unwrap();
    assert!(
        output
            .stdout
            .ends_with("greet you [execd-tools] [tools] [greet] in /workspace\n")
    );
    let output = run_to_completion(
        state.path(),
        &ContainerOptions::new().entrypoint("launcher").command([
            "sh",
            "-c",
            "echo $TOOLS_ENV $FROM_EXECD; ls /layers/fixture_container",
        ]),
    )
    .unwrap();
    assert_eq!(output.stdout, "exec.d ran\ntools execd-tools\ntools\n");
    assert_nothing_left(state.path());
}

#[test]
fn a_failing_process_reports_its_exit_code_and_stderr() {
    if !tools_available(
        "a_failing_process_reports_its_exit_code_and_stderr",
        &["runc", "root"],
    ) {
        return;
    }
    let state = built();
    let output = run_to_completion(state.path(), &ContainerOptions::new().process("fail")).unwrap();
    assert_eq!(output.exit_code, 3);
    assert_eq!(output.stderr, "failing\n");
    // Nothing runs in an exited container.
    let container =
        Container::start(state.path(), &ContainerOptions::new().process("fail")).unwrap();
    assert_eq!(container.wait().unwrap(), 3);
    let error = container.exec_shell("true").unwrap_err();
    assert!(
        matches!(error, ContainerError::NotRunning { .. }),
        "{error}"
    );
    drop(container);

    let error =
        Container::start(state.path(), &ContainerOptions::new().process("nope")).unwrap_err();
    assert!(
        matches!(error, ContainerError::Launch(LaunchError::NoProcess { .. })),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "no process nope; the image has: fail, greet, sleeper, web"
    );

    // A command that does not exist: runc cannot start it.
    let error = Container::start(
        state.path(),
        &ContainerOptions::new().entrypoint("/no/such/program"),
    )
    .unwrap_err();
    assert!(
        matches!(error, ContainerError::ExitedAtOnce { .. }),
        "{error}"
    );
    assert_nothing_left(state.path());
}

#[test]
fn two_containers_publish_the_same_port() {
    if !tools_available(
        "two_containers_publish_the_same_port",
        &["runc", "root", "python3"],
    ) {
        return;
    }
    let state = built();
    let options = ContainerOptions::new().process("web").publish(8080);
    let one = Container::start(state.path(), &options).unwrap();
    let two = Container::start(state.path(), &options).unwrap();
    let (a, b) = (
        one.address_for_port(8080).unwrap(),
        two.address_for_port(8080).unwrap(),
    );
    assert_ne!(a, b);
    assert!(a.ip().is_loopback());
    for address in [a, b] {
        let response = http_get(address, "/app.txt");
        assert!(response.starts_with("HTTP/1.0 200"), "{response}");
        assert!(response.ends_with("hello from the app\n"), "{response}");
    }
    assert_eq!(one.address_for_port(9999), None);
    drop(one);
    drop(two);
    assert_nothing_left(state.path());
}

#[test]
fn exec_in_a_running_container_and_mounts() {
    if !tools_available("exec_in_a_running_container_and_mounts", &["runc", "root"]) {
        return;
    }
    let state = built();
    let host = tempfile::tempdir().unwrap();
    fs::write(host.path().join("note"), "from the host").unwrap();
    let container = Container::start(
        state.path(),
        &ContainerOptions::new()
            .process("sleeper")
            .env("MINE", "set")
            .mount(Mount::new(host.path(), "/mnt/host", true)),
    )
    .unwrap();
    let output = container
        .exec_shell("cat /mnt/host/note; echo \" $MINE $TOOLS_ENV\"; pwd; touch /mnt/host/x")
        .unwrap();
    // In the process's working dir, with its env.
    assert_eq!(output.stdout, "from the host set tools\n/workspace/src\n");
    assert_ne!(output.exit_code, 0, "the mount is read-only: {output:?}");
    let output = container.exec_shell("exit 7").unwrap();
    assert_eq!(output.exit_code, 7);
    // The host's OS tree is read-only, /tmp is the container's own.
    let output = container
        .exec_shell("touch /usr/x 2>/dev/null || echo ro; touch /tmp/x && echo rw; cat /proc/1/cmdline | tr '\\0' ' '")
        .unwrap();
    assert_eq!(output.stdout, "ro\nrw\nsleep 3617 ");
    assert_eq!(container.logs_now().stdout, "exec.d ran\n");
    drop(container);

    // `stop` sends SIGTERM first: a process that handles it exits by itself.
    let container = Container::start(
        state.path(),
        &ContainerOptions::new().entrypoint("launcher").command([
            "sh",
            "-c",
            "trap 'exit 0' TERM; echo up; while :; do sleep 0.05; done",
        ]),
    )
    .unwrap();
    while container.logs_now().stdout != "exec.d ran\nup\n" {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    container.stop().unwrap();
    assert_nothing_left(state.path());
}

#[test]
fn runs_on_a_run_image() {
    if !tools_available("runs_on_a_run_image", &["runc", "umoci", "busybox", "root"]) {
        return;
    }
    let state = built();
    let images = tempfile::tempdir().unwrap();
    let busybox = images.path().join("busybox");
    write_busybox_image(&busybox).unwrap();
    let output = run_to_completion(
        state.path(),
        &ContainerOptions::new()
            .run_image(RunImage::new(&busybox, None))
            .entrypoint("launcher")
            .command(["sh", "-c", "echo $FROM_EXECD; ls /bin"]),
    )
    .unwrap();
    assert_eq!(output.exit_code, 0, "{output:?}");
    assert_eq!(output.stdout, "exec.d ran\nexecd-tools\nbusybox\nenv\nsh\n");
    assert_nothing_left(state.path());
}

/// Waits (bounded) until the watchdog of a killed owner has removed everything.
fn wait_until_cleaned(state: &Path) {
    let runc_root = state.join("containers/runc");
    for _ in 0..1000 {
        let list = Command::new("runc")
            .arg("--root")
            .arg(&runc_root)
            .args(["list", "-q"])
            .output()
            .unwrap();
        let bundles = fs::read_dir(state.join("containers")).unwrap().count();
        if list.stdout.trim_ascii().is_empty() && bundles == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_nothing_left(state);
}

#[test]
fn cnb_local_run_publishes_and_a_kill_leaves_nothing() {
    use std::io::BufRead;
    use std::process::Stdio;
    if !tools_available(
        "cnb_local_run_publishes_and_a_kill_leaves_nothing",
        &["runc", "root", "python3"],
    ) {
        return;
    }
    let state = built();
    let cnb_local = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cnb-local"));
        command.arg("run").arg("--state").arg(state.path());
        command
    };
    let mut server = cnb_local()
        .args(["--process", "web", "--publish", "8080"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(server.stderr.take().unwrap());
    let mut lines = Vec::new();
    let address = loop {
        let mut line = String::new();
        assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "{lines:?}");
        if let Some(address) = line
            .trim()
            .strip_prefix("Published: container port 8080 at ")
        {
            break address.parse::<SocketAddr>().unwrap();
        }
        lines.push(line);
    };
    assert!(
        lines[0].ends_with("run image: the host's OS tree, read-only\n"),
        "{lines:?}"
    );
    let response = http_get(address, "/app.txt");
    assert!(response.ends_with("hello from the app\n"), "{response}");

    // kill -9 of cnb-local: its watchdog removes the container and the bundle.
    server.kill().unwrap();
    server.wait().unwrap();
    wait_until_cleaned(state.path());

    // The next run works; arguments after `--`, the process's exit code, clear errors.
    let output = cnb_local().args(["--", "again"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "exec.d ran\ngreet again [execd-tools] [tools] [greet] in /workspace\n"
    );
    let output = cnb_local().args(["--process", "fail"]).output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).ends_with("failing\n"));
    let output = cnb_local().args(["--process", "nope"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "ERROR: no process nope; the image has: fail, greet, sleeper, web\n"
    );
    let output = cnb_local()
        .args([
            "--env",
            "MINE=x",
            "--mount",
            "/etc:/mnt/etc:ro",
            "--entrypoint",
            "launcher",
        ])
        .args([
            "--",
            "sh",
            "-c",
            "echo $MINE; test -f /mnt/etc/hostname && echo mounted",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "exec.d ran\nx\nmounted\n"
    );
    assert_nothing_left(state.path());
}

/// A buildpack dir or crate dir as libcnb-test's `BuildpackReference::Other`.
fn other(path: impl AsRef<std::path::Path>) -> BuildpackReference {
    BuildpackReference::Other(path.as_ref().display().to_string())
}

#[test]
fn a_panic_while_the_container_runs_leaves_nothing() {
    if !tools_available(
        "a_panic_while_the_container_runs_leaves_nothing",
        &["runc", "root"],
    ) {
        return;
    }
    let state = built();
    let path = state.path().to_path_buf();
    let result = std::thread::spawn(move || {
        let container =
            Container::start(&path, &ContainerOptions::new().process("sleeper")).unwrap();
        assert!(container.exec_shell("true").unwrap().exit_code == 0);
        panic!("a failing test, with {} running", container.name());
    })
    .join();
    assert!(result.is_err());
    assert_nothing_left(state.path());
}
