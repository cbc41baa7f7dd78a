//! Helpers for the container tests of libcnb-lite-test and cnb-local (included with
//! `#[path]` by both, so there is one copy): the `container` fixture's image in a state dir,
//! HTTP to a published port, and the check that nothing of a container is left.

// Each including test crate uses some of these.
#![allow(dead_code, reason = "shared by two test crates, each using a part")]

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

use libcnb_lite_test::{BuildConfig, BuildpackReference, Quiet, run};

/// libcnb-lite-test's test fixture `name` (from either crate's tests).
pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../libcnb-lite-test/tests/fixtures")
        .join(name)
}

/// A state dir holding the `container` fixture's image.
pub(crate) fn built() -> tempfile::TempDir {
    let state = tempfile::tempdir().unwrap();
    let config = BuildConfig::new("heroku/builder:24", fixture("app"))
        .buildpacks([BuildpackReference::Other(
            fixture("container").display().to_string(),
        )])
        .clone();
    run(&config, state.path(), &Quiet).unwrap();
    state
}

/// Asserts that nothing of the state dir's containers is left: no runc container, no
/// bundle, no mount, no process mentioning the state dir or running on its mounts.
pub(crate) fn assert_nothing_left(state: &Path) {
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

/// The response to `GET path` from `address`, retrying while the server starts.
pub(crate) fn http_get(address: SocketAddr, path: &str) -> String {
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

/// Waits (bounded) until the watchdog of a killed owner has removed everything.
pub(crate) fn wait_until_cleaned(state: &Path) {
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
