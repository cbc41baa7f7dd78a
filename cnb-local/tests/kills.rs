//! kill -9 of `cnb-local` at random moments of a build (buildpack running, export, cache,
//! commit): the buildpack dies with it, and the next build succeeds, removes what the killed
//! one left, and commits exactly what a clean build commits.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic with the failing call when setup fails"
)]

use std::fs;
use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// How many builds are killed.
const KILLS: u32 = 24;

fn build_command(state: &Path, pid_dir: &Path) -> Command {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut command = Command::new(env!("CARGO_BIN_EXE_cnb-local"));
    command
        .arg("build")
        .arg("--buildpack")
        .arg(fixtures.join("slow"))
        .arg("--app")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../libcnb-lite-test/tests/fixtures/app"))
        .arg("--state")
        .arg(state)
        .arg("--env")
        .arg(format!("PID_DIR={}", pid_dir.display()))
        // The fixture records its host PIDs in a host dir, which a build at the lifecycle's
        // paths can see neither of; this test is about the state dir and the buildpack
        // process dying with cnb-local, so it builds at the state dir's paths.
        .env("CNB_LOCAL_SANDBOX", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// What a build commits: every file of the image and the cache, with its contents.
fn committed(state: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = ["image", "cache"]
        .iter()
        .flat_map(|dir| walkdir(&state.join(dir)))
        .map(|path| {
            let contents = fs::read(&path).unwrap();
            (path.strip_prefix(state).unwrap().to_path_buf(), contents)
        })
        .collect();
    files.sort();
    files
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            files.extend(walkdir(&entry.path()));
        } else {
            files.push(entry.path());
        }
    }
    files
}

/// Whether process `pid` is gone (or a zombie), waiting up to 10 s for the kernel to
/// deliver the parent-death signal.
fn gone(pid: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(stat)
                if stat
                    .rsplit(')')
                    .next()
                    .is_some_and(|s| s.trim_start().starts_with('Z')) =>
            {
                return true;
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    false
}

#[test]
fn kill_9_at_random_moments_leaves_a_state_the_next_build_completes() {
    let work = tempfile::tempdir().unwrap();
    let pid_dir = work.path().join("pids");
    fs::create_dir(&pid_dir).unwrap();

    let clean = work.path().join("clean");
    let started = Instant::now();
    let status = build_command(&clean, &pid_dir).status().unwrap();
    assert!(status.success(), "the clean build failed");
    let duration = started.elapsed();
    let expected = committed(&clean);

    let victim = work.path().join("victim");
    assert!(build_command(&victim, &pid_dir).status().unwrap().success());
    let random = RandomState::new();
    let mut killed = 0;
    for round in 0..KILLS {
        for file in ["build.pid", "build.done"] {
            let _ = fs::remove_file(pid_dir.join(file));
        }
        let mut child = build_command(&victim, &pid_dir).spawn().unwrap();
        // A moment anywhere in the build, export, cache and commit.
        let nanos = random.hash_one(round) % u64::try_from(duration.as_nanos()).unwrap();
        std::thread::sleep(Duration::from_nanos(nanos));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let kill_time = SystemTime::now();
        child.kill().unwrap();
        child.wait().unwrap();
        if let Ok(pid) = fs::read_to_string(pid_dir.join("build.pid")) {
            assert!(
                gone(pid.trim()),
                "round {round}: the buildpack (pid {}) outlived cnb-local",
                pid.trim()
            );
            // A buildpack that ran on after the kill would have finished its script.
            if let Ok(done) = fs::metadata(pid_dir.join("build.done")) {
                assert!(
                    done.modified().unwrap() <= kill_time,
                    "round {round}: the buildpack ran on after cnb-local was killed"
                );
            }
        }

        let after = build_command(&victim, &pid_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(
            after.status.success(),
            "round {round}: the build after the kill failed:\n{}{}",
            String::from_utf8_lossy(&after.stdout),
            String::from_utf8_lossy(&after.stderr)
        );
        assert!(
            committed(&victim) == expected,
            "round {round}: the build after the kill committed something else than a clean build"
        );
        let tmp = victim.join("build/tmp");
        assert_eq!(
            fs::read_dir(&tmp).unwrap().count(),
            0,
            "round {round}: leftovers in {}",
            tmp.display()
        );
        for leftover in [
            "image.staging",
            "image.backup",
            "cache/committed.staging",
            "cache/committed.backup",
            "commit.journal",
        ] {
            assert!(
                !victim.join(leftover).exists(),
                "round {round}: {leftover} is left"
            );
        }
    }
    assert!(
        killed >= KILLS / 2,
        "only {killed} of {KILLS} kills hit a running build"
    );
}
