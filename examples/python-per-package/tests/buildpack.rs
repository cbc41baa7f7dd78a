//! The buildpack, built and rebuilt on copies of the demo app through the local lifecycle
//! (`libcnb-lite-test`): what each build installs, which layers' diff IDs change, what ends up
//! in the image and the cache, and what the app sees at build time and at launch.
//!
//! Needs what the demo needs: a `python3` (3.8+) with pip 23+ on `PATH`. The test of a Python
//! change also needs a second Python (3.10+, for the demo app) of another version; it looks in
//! `$PYTHON_PER_PACKAGE_OTHER_PYTHON`, then in `~/.pyenv/versions/*/bin/python3` and
//! `/usr/bin/python3`.

#![expect(
    clippy::unwrap_used,
    reason = "the helpers outside #[test] fns panic on setup failures, like the tests"
)]

use libcnb_lite_test::oci::{ImageOptions, WrittenImage, write_image};
use libcnb_lite_test::{
    BuildConfig, BuildpackReference, LayerReport, LayerStatus, StateDir, Target, TestContext,
    TestRunner, assert_contains, assert_not_contains,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const BUILDPACK_ID: &str = "examples/python-per-package";
const DEMO_DISTRIBUTIONS: usize = 35;

fn buildpack() -> BuildpackReference {
    BuildpackReference::CurrentCrate
}

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("demo")
}

/// A copy of the demo app whose `requirements.txt` a test edits between builds.
struct App {
    dir: tempfile::TempDir,
}

impl App {
    fn demo() -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&demo_dir(), dir.path());
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn edit_requirements(&self, edit: impl FnOnce(String) -> String) {
        let path = self.path().join("requirements.txt");
        let text = fs::read_to_string(&path).unwrap();
        let edited = edit(text.clone());
        assert_ne!(edited, text, "the edit changed nothing");
        fs::write(path, edited).unwrap();
    }

    fn config(&self) -> BuildConfig {
        BuildConfig::new("heroku/builder:24", self.path())
            .buildpacks([buildpack()])
            .clone()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let destination = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &destination);
        } else {
            fs::copy(entry.path(), destination).unwrap();
        }
    }
}

/// The package layers (`pkg-*`, `pkgs-*`) of a build, by name.
fn package_layers(ctx: &TestContext<'_>) -> BTreeMap<String, LayerReport> {
    ctx.report()
        .layers
        .iter()
        .filter(|layer| layer.buildpack_id == BUILDPACK_ID && layer.name.starts_with("pkg"))
        .map(|layer| (layer.name.clone(), layer.clone()))
        .collect()
}

/// The names of the distributions recorded in a package layer's metadata.
fn distributions_in(layer: &LayerReport) -> Vec<String> {
    layer.metadata["d"]
        .as_array()
        .unwrap()
        .iter()
        .map(|dist| dist["n"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts that exactly the layers in `changed` were rebuilt (new diff IDs, exported and
/// cached as added) and all others of `before` were reused byte for byte.
fn assert_only_changed(
    before: &BTreeMap<String, LayerReport>,
    after: &BTreeMap<String, LayerReport>,
    changed: &[&str],
) {
    for (name, layer) in after {
        if changed.contains(&name.as_str()) {
            assert_eq!(layer.exported, Some(LayerStatus::Added), "{name}");
            assert_eq!(layer.cached, Some(LayerStatus::Added), "{name}");
            if let Some(old) = before.get(name) {
                assert_ne!(layer.diff_id, old.diff_id, "{name} kept its diff ID");
            }
        } else {
            assert_eq!(layer.exported, Some(LayerStatus::Reused), "{name}");
            assert_eq!(layer.cached, Some(LayerStatus::Reused), "{name}");
            assert_eq!(layer.diff_id, before[name].diff_id, "{name}");
        }
    }
}

/// Asserts that a layer is in neither the image nor the cache of the state dir.
fn assert_gone(ctx: &TestContext<'_>, name: &str) {
    assert!(
        ctx.report().layer(BUILDPACK_ID, name).is_none(),
        "{name} is in the build"
    );
    let state = StateDir::open(ctx.state_dir()).unwrap();
    let image = state.image_metadata().unwrap().unwrap();
    let (cache, _) = state.cache_metadata().unwrap();
    for layers in image.buildpacks.iter().chain(&cache.unwrap().buildpacks) {
        assert!(
            !layers.layers.contains_key(name),
            "{name} is in the image or cache"
        );
    }
}

/// Runs the demo's `web` process and returns its stdout.
fn run_app(ctx: &TestContext<'_>) -> String {
    let output = ctx.run_process(None, None);
    assert_eq!(
        output.status,
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        output.stdout,
        output.stderr
    );
    assert_contains!(output.stdout, "demo_sitehook.pth ran at startup");
    output.stdout
}

#[test]
fn rebuilds_exactly_the_layers_of_changed_packages() {
    let app = App::demo();
    TestRunner::default().build(app.config(), |ctx| {
        assert_contains!(ctx.pack_stdout, "venv: creating");
        assert_contains!(ctx.pack_stdout, "demo-urlkit: installing 2.2.1\n");
        assert_contains!(
            ctx.pack_stdout,
            "Demo-Auth".to_lowercase() + ": installing 1.1.0\n"
        );
        assert_contains!(ctx.pack_stdout, "35 packages: 0 reused, 35 installed in ");
        let first = package_layers(&ctx);
        assert_eq!(first.len(), DEMO_DISTRIBUTIONS);
        for (name, layer) in &first {
            assert_eq!(layer.exported, Some(LayerStatus::Added), "{name}");
            assert_eq!(layer.cached, Some(LayerStatus::Added), "{name}");
            assert_eq!(distributions_in(layer), [name.trim_start_matches("pkg-")]);
        }
        let stdout = run_app(&ctx);
        assert_contains!(stdout, "demo-urlkit==2.2.1");
        assert_contains!(
            stdout,
            "pkg-demo-cli/bin/demo-cli --version: DEMO-CLI 0.9.0"
        );

        // Nothing changed: no pip, every layer reused byte for byte.
        ctx.rebuild(app.config(), |ctx| {
            assert_contains!(ctx.pack_stdout, "venv: reused");
            assert_contains!(
                ctx.pack_stdout,
                "Resolution: 35 distributions, cached (inputs unchanged)"
            );
            assert_contains!(ctx.pack_stdout, "demo-urlkit 2.2.1: reused\n");
            assert_contains!(
                ctx.pack_stdout,
                "35 packages: 35 reused, 0 installed in 0.00 s"
            );
            assert_not_contains!(ctx.pack_stdout, "resolved with pip");
            assert_not_contains!(ctx.pack_stdout, "pip installed");
            let second = package_layers(&ctx);
            assert_only_changed(&first, &second, &[]);
            let venv = ctx.layer(BUILDPACK_ID, "venv");
            assert_eq!(venv.exported, Some(LayerStatus::Reused));

            // A new pin of a transitive dependency: one layer.
            app.edit_requirements(|text| text.replace("demo-urlkit==2.2.1", "demo-urlkit==2.2.2"));
            ctx.rebuild(app.config(), |ctx| {
                assert_contains!(
                    ctx.pack_stdout,
                    "demo-urlkit: installing 2.2.2 (was 2.2.1)\n"
                );
                assert_contains!(ctx.pack_stdout, "pip installed 1 distribution in ");
                assert_contains!(ctx.pack_stdout, "35 packages: 34 reused, 1 installed in ");
                let third = package_layers(&ctx);
                assert_eq!(third.len(), DEMO_DISTRIBUTIONS);
                assert_only_changed(&second, &third, &["pkg-demo-urlkit"]);
                assert_contains!(run_app(&ctx), "demo-urlkit==2.2.2");

                // A removed requirement: its layer leaves the image and the cache.
                app.edit_requirements(|text| text.replace("demo_scheduler==0.5.0\n", ""));
                ctx.rebuild(app.config(), |ctx| {
                    assert_contains!(
                        ctx.pack_stdout,
                        "pkg-demo-scheduler: removed (no longer required)"
                    );
                    assert_contains!(ctx.pack_stdout, "34 packages: 34 reused, 0 installed");
                    let fourth = package_layers(&ctx);
                    assert_eq!(fourth.len(), DEMO_DISTRIBUTIONS - 1);
                    assert_only_changed(&third, &fourth, &[]);
                    assert_gone(&ctx, "pkg-demo-scheduler");
                    // The demo app imports it, so now it fails to.
                    let output = ctx.run_process(None, None);
                    assert_eq!(output.status, Some(1));
                    assert_contains!(output.stderr, "No module named 'demo_scheduler'");

                    // A new requirement: one new layer.
                    app.edit_requirements(|text| text + "demo-lint==0.3.0\n");
                    ctx.rebuild(app.config(), |ctx| {
                        assert_contains!(ctx.pack_stdout, "demo-lint: installing 0.3.0\n");
                        assert_contains!(ctx.pack_stdout, "35 packages: 34 reused, 1 installed");
                        let fifth = package_layers(&ctx);
                        assert_eq!(fifth.len(), DEMO_DISTRIBUTIONS);
                        assert_only_changed(&fourth, &fifth, &["pkg-demo-lint"]);
                        assert!(!fourth.contains_key("pkg-demo-lint"));
                    });
                });
            });
        });
    });
}

/// A Python 3.10+ with pip 23+ whose version differs from the `python3` on `PATH`, as the
/// directory to put first on `PATH` and its version.
fn other_python() -> (PathBuf, String) {
    let version = |python: &Path| -> Option<String> {
        let output = Command::new(python)
            .args([
                "-I",
                "-c",
                "import platform, pip; print(platform.python_version(), pip.__version__)",
            ])
            .output()
            .ok()?;
        let text = String::from_utf8(output.stdout).ok()?;
        let (python_version, pip_version) = text.trim().split_once(' ')?;
        let minor: u32 = python_version
            .strip_prefix("3.")?
            .split('.')
            .next()?
            .parse()
            .ok()?;
        let pip_major: u32 = pip_version.split('.').next()?.parse().ok()?;
        (output.status.success() && minor >= 10 && pip_major >= 23)
            .then(|| python_version.to_string())
    };
    let default = version(Path::new("python3")).expect("the tests need python3 with pip on PATH");

    let mut candidates: Vec<PathBuf> = std::env::var_os("PYTHON_PER_PACKAGE_OTHER_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    if let Some(home) = std::env::var_os("HOME") {
        if let Ok(entries) = fs::read_dir(Path::new(&home).join(".pyenv/versions")) {
            // Newest first: the demo app's importlib.metadata lookups of dotted names need 3.10+.
            let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
                .flatten()
                .map(|entry| {
                    let numbers = entry
                        .file_name()
                        .to_string_lossy()
                        .split('.')
                        .map(|part| part.parse().unwrap_or(0))
                        .collect();
                    (numbers, entry.path().join("bin/python3"))
                })
                .collect();
            versions.sort();
            candidates.extend(versions.into_iter().rev().map(|(_, path)| path));
        }
    }
    candidates.push(PathBuf::from("/usr/bin/python3"));
    for candidate in candidates {
        if let Some(found) = version(&candidate).filter(|found| *found != default) {
            let dir = candidate.parent().unwrap().to_path_buf();
            return (dir, found);
        }
    }
    panic!(
        "no second Python 3.10+ with pip 23+ found; set PYTHON_PER_PACKAGE_OTHER_PYTHON to one \
         (the python3 on PATH is {default})"
    );
}

#[test]
fn a_new_python_or_target_rebuilds_every_layer_with_that_cause() {
    let app = App::demo();
    let (other_python_dir, other_version) = other_python();
    TestRunner::default().build(app.config(), |ctx| {
        let first = package_layers(&ctx);
        let other = app
            .config()
            .env("PATH", other_python_dir.to_string_lossy().to_string()).clone();
        ctx.rebuild(other, |ctx| {
            assert_contains!(ctx.pack_stdout, format!("Python {other_version} (pip "));
            assert_contains!(ctx.pack_stdout, "venv: creating (Python changed: cpython-");
            let cause = format!(" → cpython-{other_version})\n");
            assert_contains!(
                ctx.pack_stdout,
                format!("demo-web: installing 1.0.0 (Python changed: cpython-")
            );
            assert_eq!(
                ctx.pack_stdout.matches(&cause).count(),
                DEMO_DISTRIBUTIONS + 1,
                "{}",
                ctx.pack_stdout
            );
            assert_contains!(ctx.pack_stdout, "35 packages: 0 reused, 35 installed in ");
            let second = package_layers(&ctx);
            let all: Vec<&str> = first.keys().map(String::as_str).collect();
            assert_only_changed(&first, &second, &all);
            assert_contains!(run_app(&ctx), "demo_tz zones");

            // Another target (here: distribution version) rebuilds everything too.
            let noble = Target {
                distro_version: "26.04".into(),
                ..Target::default()
            };
            ctx.rebuild(app.config().env("PATH", other_python_dir.to_string_lossy().to_string()).target(noble), |ctx| {
                assert_contains!(ctx.pack_stdout, "venv: reused");
                assert_contains!(
                    ctx.pack_stdout,
                    "demo-web: installing 1.0.0 (target changed: linux/amd64 ubuntu 24.04 → linux/amd64 ubuntu 26.04)\n"
                );
                assert_contains!(ctx.pack_stdout, "35 packages: 0 reused, 35 installed in ");
                assert_eq!(package_layers(&ctx).len(), DEMO_DISTRIBUTIONS);
            });
        });
    });
}

/// Replaces the metadata the previous image recorded for a layer; the next build's restore
/// gives it back as `<layer>.toml`, as the lifecycle does with the image's label.
fn set_image_metadata(ctx: &TestContext<'_>, layer: &str, data: serde_json::Value) {
    let path = ctx.state_dir().join("image/metadata.json");
    let mut metadata: serde_json::Value =
        serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let buildpack = metadata["buildpacks"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|buildpack| buildpack["key"] == BUILDPACK_ID)
        .unwrap();
    buildpack["layers"][layer]["data"] = data;
    fs::write(path, serde_json::to_vec(&metadata).unwrap()).unwrap();
}

#[test]
fn unreadable_metadata_is_reinstalled_and_old_metadata_converted() {
    let app = App::demo();
    TestRunner::default().build(app.config(), |ctx| {
        let first = package_layers(&ctx);
        let http = &first["pkg-demo-http"].metadata;
        let version_0_1 = serde_json::json!({
            "name": "demo-http",
            "version": "1.4.0",
            "hash": format!("sha256={}", http["d"][0]["h"].as_str().unwrap()),
            "python": http["py"].as_str().unwrap(),
            "target": http["tgt"].as_str().unwrap(),
        });
        set_image_metadata(&ctx, "pkg-demo-http", version_0_1);
        set_image_metadata(
            &ctx,
            "pkg-demo-core",
            serde_json::json!({"d": "garbage", "py": 3}),
        );

        ctx.rebuild(app.config(), |ctx| {
            assert_contains!(
                ctx.pack_stdout,
                "demo-core: installing 1.2.0 (unrecognised cached metadata)\n"
            );
            assert_contains!(ctx.pack_stdout, "demo-http 1.4.0: reused\n");
            assert_contains!(ctx.pack_stdout, "35 packages: 34 reused, 1 installed");
            let second = package_layers(&ctx);
            // The converted layer is kept byte for byte, with metadata in today's shape.
            assert_eq!(
                second["pkg-demo-http"].diff_id,
                first["pkg-demo-http"].diff_id
            );
            assert_eq!(
                second["pkg-demo-http"].metadata,
                first["pkg-demo-http"].metadata
            );
            assert_eq!(
                second["pkg-demo-core"].metadata,
                first["pkg-demo-core"].metadata
            );
            // Reinstalled, and byte-identical to the first install (hash-based .pyc files):
            // the cache keeps its blob.
            assert_eq!(second["pkg-demo-core"].cached, Some(LayerStatus::Reused));
            assert_eq!(
                second["pkg-demo-core"].diff_id,
                first["pkg-demo-core"].diff_id
            );
            run_app(&ctx);
        });
    });
}

#[test]
fn more_packages_than_the_budget_share_stable_group_layers() {
    let app = App::demo();
    let config = || {
        app.config()
            .env("BP_PYTHON_PACKAGE_LAYER_BUDGET", "10")
            .clone()
    };
    TestRunner::default().build(config(), |ctx| {
        assert_contains!(
            ctx.pack_stdout,
            "layer strategy: per package, at most 10 layers"
        );
        let first = package_layers(&ctx);
        assert_eq!(first.len(), 10, "{:?}", first.keys());
        let groups: Vec<&String> = first
            .keys()
            .filter(|name| name.starts_with("pkgs-"))
            .collect();
        assert_eq!(groups.len(), 4, "{groups:?}");
        let total: usize = first
            .values()
            .map(|layer| distributions_in(layer).len())
            .sum();
        assert_eq!(total, DEMO_DISTRIBUTIONS);
        // Own layers go to distributions requirements.txt names.
        let requested = fs::read_to_string(app.path().join("requirements.txt")).unwrap();
        for name in first.keys().filter(|name| name.starts_with("pkg-")) {
            let dist = name.trim_start_matches("pkg-");
            let spelled = |text: &str| text.to_lowercase().replace(['_', '.'], "-");
            assert!(
                spelled(&requested).contains(&format!("\n{dist}==")),
                "{dist} is transitive"
            );
        }
        run_app(&ctx);

        // Bumping a grouped distribution rebuilds its group layer only.
        let (urlkit_layer, _) = first
            .iter()
            .find(|(_, layer)| distributions_in(layer).contains(&"demo-urlkit".to_string()))
            .unwrap();
        app.edit_requirements(|text| text.replace("demo-urlkit==2.2.1", "demo-urlkit==2.2.2"));
        ctx.rebuild(config(), |ctx| {
            let second = package_layers(&ctx);
            assert_eq!(
                second.keys().collect::<Vec<_>>(),
                first.keys().collect::<Vec<_>>()
            );
            assert_only_changed(&first, &second, &[urlkit_layer.as_str()]);
            if urlkit_layer.starts_with("pkgs-") {
                assert_contains!(ctx.pack_stdout, "demo-urlkit 2.2.1 → 2.2.2)\n");
            }
        });
    });
}

/// The demo as a complete lock file: every resolved distribution pinned, as `pip-compile`
/// writes it, from the resolution of a first build.
fn lock_file(ctx: &TestContext<'_>) -> String {
    let resolution = ctx
        .layer_dir(BUILDPACK_ID, "resolution")
        .join("resolution.json");
    let json: serde_json::Value = serde_json::from_slice(&fs::read(resolution).unwrap()).unwrap();
    let mut text = String::from("--no-index\n--find-links wheels\n");
    for dist in json["distributions"].as_array().unwrap() {
        let (name, version) = (&dist["name"], &dist["version"]);
        writeln!(
            text,
            "{}=={}",
            name.as_str().unwrap(),
            version.as_str().unwrap()
        )
        .unwrap();
    }
    text
}

#[test]
fn a_lock_file_bump_looks_up_the_changed_pin_without_the_resolver_in_both_strategies() {
    let app = App::demo();
    TestRunner::default().build(app.config(), |ctx| {
        assert_contains!(
            ctx.pack_stdout,
            "24 of them not pinned in requirements.txt, so every change resolves again"
        );
        let lock = lock_file(&ctx);
        for strategy in ["per-package", "single"] {
            let locked = App::demo();
            fs::write(locked.path().join("requirements.txt"), &lock).unwrap();
            let config = || locked.config().env("BP_PYTHON_LAYER_STRATEGY", strategy).clone();
            TestRunner::default().build(config(), |ctx| {
                assert_contains!(
                    ctx.pack_stdout,
                    "every distribution is pinned, so later builds look up changed pins only"
                );
                locked.edit_requirements(|text| {
                    text.replace("demo-urlkit==2.2.1", "demo-urlkit==2.2.2")
                });
                ctx.rebuild(config(), |ctx| {
                    assert_contains!(
                        ctx.pack_stdout,
                        "Resolution: 35 distributions, 1 changed pin(s) looked up with pip --no-deps in "
                    );
                    assert_contains!(ctx.pack_stdout, "(every requirement is pinned: no resolver)");
                    assert_not_contains!(ctx.pack_stdout, "resolved with pip");
                    assert_contains!(ctx.pack_stdout, "pip installed ");
                    assert_contains!(run_app(&ctx), "demo-urlkit==2.2.2");
                    if strategy == "per-package" {
                        assert_contains!(ctx.pack_stdout, "demo-urlkit: installing 2.2.2 (was 2.2.1)\n");
                        assert_contains!(ctx.pack_stdout, "35 packages: 34 reused, 1 installed in ");
                    }

                    // A pin that is not in the resolution needs the resolver again.
                    locked.edit_requirements(|text| text.replace("demo-urlkit==2.2.2\n", ""));
                    ctx.rebuild(config(), |ctx| {
                        assert_contains!(ctx.pack_stdout, "(pins added or removed)");
                    });
                });
            });
        }
    });
}

/// `python3 -m http.server` on 127.0.0.1 serving `dir`, stopped when dropped.
struct WheelServer {
    child: std::process::Child,
    url: String,
}

impl WheelServer {
    fn start(dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1"])
            .arg(port.to_string())
            .arg("--directory")
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..500 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self {
                    child,
                    url: format!("http://127.0.0.1:{port}/"),
                };
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("python3 -m http.server did not listen on 127.0.0.1:{port}");
    }
}

impl Drop for WheelServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn remote_wheels_are_downloaded_once_into_the_wheel_cache() {
    let server = WheelServer::start(&demo_dir().join("wheels"));
    let app = App::demo();
    app.edit_requirements(|text| {
        text.replace(
            "--find-links wheels",
            &format!("--find-links {}", server.url),
        )
    });
    let single = app
        .config()
        .env("BP_PYTHON_LAYER_STRATEGY", "single")
        .clone();
    TestRunner::default().build(single, |ctx| {
        assert_contains!(
            ctx.pack_stdout,
            "Wheel cache: 35 wheels downloaded, 0 already there"
        );
        let wheels = ctx.layer(BUILDPACK_ID, "wheels");
        assert_eq!(wheels.cached, Some(LayerStatus::Added));
        assert_eq!(wheels.exported, None, "cache only");
        run_app(&ctx);

        // Without the server, switching strategies reinstalls every package from the cache.
        drop(server);
        ctx.rebuild(app.config(), |ctx| {
            assert_contains!(ctx.pack_stdout, "35 packages: 0 reused, 35 installed in ");
            assert_contains!(
                ctx.pack_stdout,
                "Wheel cache: 0 wheels downloaded, 35 already there"
            );
            assert_eq!(
                ctx.layer(BUILDPACK_ID, "wheels").cached,
                Some(LayerStatus::Reused)
            );
            run_app(&ctx);
        });
    });
}

#[test]
fn the_single_layer_strategy_and_switching_strategies() {
    let app = App::demo();
    let single = app
        .config()
        .env("BP_PYTHON_LAYER_STRATEGY", "single")
        .clone();
    TestRunner::default().build(single.clone(), |ctx| {
        assert_contains!(
            ctx.pack_stdout,
            "layer strategy: one layer for all packages"
        );
        let layers = package_layers(&ctx);
        assert_eq!(layers.keys().collect::<Vec<_>>(), ["pkgs-0"]);
        assert_eq!(
            distributions_in(&layers["pkgs-0"]).len(),
            DEMO_DISTRIBUTIONS
        );
        run_app(&ctx);

        ctx.rebuild(single, |ctx| {
            assert_contains!(ctx.pack_stdout, "35 packages: 35 reused, 0 installed");
            assert_eq!(
                ctx.layer(BUILDPACK_ID, "pkgs-0").exported,
                Some(LayerStatus::Reused)
            );

            // Back to one layer per package: the single layer is pruned.
            ctx.rebuild(app.config(), |ctx| {
                assert_contains!(ctx.pack_stdout, "pkgs-0: removed (no longer required)");
                assert_eq!(package_layers(&ctx).len(), DEMO_DISTRIBUTIONS);
                assert_gone(&ctx, "pkgs-0");
                run_app(&ctx);
            });
        });
    });
}

#[test]
fn packages_are_importable_by_later_buildpacks() {
    let app = App::demo();
    let later = other(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/uses-packages"
    ));
    TestRunner::default().build(
        BuildConfig::new("heroku/builder:24", app.path()).buildpacks([buildpack(), later]),
        |ctx| {
            assert_contains!(ctx.pack_stdout, "build-time import: demo_web 1.0.0 from ");
            assert_contains!(
                ctx.pack_stdout,
                "/pkg-demo-web/site-packages/demo_web/__init__.py"
            );
            assert_contains!(ctx.pack_stdout, "build-time console script: DEMO-CLI 0.9.0");
            assert_contains!(ctx.pack_stdout, "build-time stdlib: ");
        },
    );
}

#[test]
fn detect_needs_requirements_txt() {
    let app = tempfile::tempdir().unwrap();
    fs::write(app.path().join("app.py"), "print('hello')\n").unwrap();
    let config = BuildConfig::new("heroku/builder:24", app.path())
        .buildpacks([buildpack()])
        .expected_pack_result(libcnb_lite_test::PackResult::Failure)
        .clone();
    TestRunner::default().build(config, |ctx| {
        assert_contains!(ctx.pack_stdout, "No requirements.txt in the app directory.");
    });
}

#[test]
fn the_committed_wheels_are_what_make_wheels_py_generates() {
    let output = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/make_wheels.py"))
        .arg("--check")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "make_wheels.py --check failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Layer digests of an OCI image, by layer name (`<bp-id>:<layer>`, `app`).
fn image_layers(image: &WrittenImage) -> BTreeMap<String, String> {
    image
        .layers
        .iter()
        .map(|layer| (layer.name.clone(), layer.digest.clone()))
        .collect()
}

/// The point of a layer per package, checked on a real OCI image (the layout `cnb-local
/// build --image` writes): after one pin changes, an image store that keeps layers by digest
/// already has every layer but that package's and the app's (whose `requirements.txt`
/// changed); an unchanged rebuild is the same image, and so is one that reinstalls a package.
#[test]
fn the_oci_image_changes_one_package_blob_when_one_package_changes() {
    let app = App::demo();
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    let image = |name: &str| {
        TestRunner::default()
            .state_dir(&state)
            .build(app.config(), |_| {});
        write_image(&state, &work.path().join(name), &ImageOptions::new()).unwrap()
    };
    let first = image("first");
    assert_eq!(
        first.layers.len(),
        DEMO_DISTRIBUTIONS + 2,
        "packages, venv, app"
    );
    let same = image("same");
    assert_eq!(same.manifest_digest, first.manifest_digest);

    app.edit_requirements(|text| text.replace("demo-urlkit==2.2.1", "demo-urlkit==2.2.2"));
    let bumped = image("bumped");
    let (before, after) = (image_layers(&first), image_layers(&bumped));
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    let changed: Vec<&str> = before
        .iter()
        .filter(|(name, digest)| after[*name] != **digest)
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        changed,
        ["app", "examples/python-per-package:pkg-demo-urlkit"]
    );
    for (name, digest) in &before {
        if !changed.contains(&name.as_str()) {
            let blob = |image: &str| {
                let hex = digest.strip_prefix("sha256:").unwrap();
                fs::read(work.path().join(image).join("blobs/sha256").join(hex)).unwrap()
            };
            assert_eq!(blob("first"), blob("bumped"), "{name}");
        }
    }
    assert_ne!(bumped.manifest_digest, first.manifest_digest);
    assert_ne!(bumped.config_digest, first.config_digest);

    // Back to 2.2.1: reinstalled at another time, the layer is byte-identical to the first
    // (the .pyc files are hash-based), so the whole image is the first one again.
    app.edit_requirements(|text| text.replace("demo-urlkit==2.2.2", "demo-urlkit==2.2.1"));
    let back = image("back");
    assert_eq!(back.manifest_digest, first.manifest_digest);
}

/// A buildpack dir or crate dir as libcnb-test's `BuildpackReference::Other`.
fn other(path: impl AsRef<std::path::Path>) -> BuildpackReference {
    BuildpackReference::Other(path.as_ref().display().to_string())
}

/// GETs `/` from `address`, retrying while the server starts; the response body.
fn http_get(address: std::net::SocketAddr) -> String {
    use std::io::{Read, Write};
    for _ in 0..1000 {
        if let Ok(mut stream) = std::net::TcpStream::connect(address) {
            let mut response = String::new();
            let sent = stream.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n");
            if sent.is_ok() && stream.read_to_string(&mut response).is_ok() {
                if let Some((head, body)) = response.split_once("\r\n\r\n") {
                    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
                    return body.to_owned();
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("no HTTP response from {address}");
}

#[test]
fn the_image_serves_http_as_a_container_with_venv_scripts_at_layers() {
    use libcnb_lite_test::container::{Container, ContainerOptions};
    if !libcnb_lite_test::oci::tools_available(
        "the_image_serves_http_as_a_container_with_venv_scripts_at_layers",
        &["runc", "root"],
    ) {
        return;
    }
    assert!(
        libcnb_lite_test::builds_at_lifecycle_paths(),
        "as root with runc, builds run at the lifecycle's paths"
    );
    let app = App::demo();
    let images = tempfile::tempdir().unwrap();
    TestRunner::default().build(app.config(), |ctx| {
        // Built at /layers, as the reference lifecycle builds: the venv's scripts say so.
        let venv_bin = ctx.layer_dir(BUILDPACK_ID, "venv").join("bin");
        let script = fs::read_to_string(venv_bin.join("demo-cli"))
            .or_else(|_| {
                let layers = ctx.buildpack_layers_dir(BUILDPACK_ID);
                let found = fs::read_dir(&layers)
                    .unwrap()
                    .map(|entry| entry.unwrap().path().join("bin/demo-cli"))
                    .find(|path| path.is_file())
                    .unwrap();
                fs::read_to_string(found)
            })
            .unwrap();
        assert!(script.starts_with("#!/layers/"), "{script}");

        write_image(
            ctx.state_dir(),
            &images.path().join("image"),
            &ImageOptions::new(),
        )
        .unwrap();
        let container = Container::start(
            ctx.state_dir(),
            &ContainerOptions::new().env("PORT", "8080").publish(8080),
        )
        .unwrap();
        let address = container.address_for_port(8080).unwrap();
        let body = http_get(address);
        assert_contains!(body, "demo-urlkit==2.2.1");
        assert_contains!(body, "demo_sitehook.pth ran at startup");
        assert_contains!(body, "/layers/");
        // Printed before it served; the pipe may still hold it.
        let logged = (0..500).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            container.logs_now().stdout.contains("serving on port 8080")
        });
        assert!(logged, "{:?}", container.logs_now());
        // Python as the container's pid 1 ignores SIGTERM (no handler): drop kills it.
        drop(container);
    });
}
