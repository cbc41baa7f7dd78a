//! `cnb-local run`: the image of a build started as a runc container, a published port
//! reached over HTTP, a `kill -9` of cnb-local that leaves nothing behind, and the next runs'
//! arguments, exit codes and errors.
//!
//! Needs root, `runc` and `python3` (`.ci/run` installs runc).

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

#[path = "../../libcnb-lite-test/tests/support/containers.rs"]
mod containers;

use containers::{assert_nothing_left, built, http_get, wait_until_cleaned};
use libcnb_lite_test::oci::tools_available;
use std::net::SocketAddr;
use std::process::Command;

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
