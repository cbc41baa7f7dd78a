//! The Rust side of `driver.py`: one Python process that runs pip to resolve and to install,
//! so that a build pays pip's start-up once. See `driver.py` for the protocol and the
//! installed layout.

use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

const DRIVER: &str = include_str!("driver.py");

/// A running `driver.py`.
#[derive(Debug)]
pub(crate) struct PipDriver {
    child: Child,
    requests: ChildStdin,
    replies: BufReader<ChildStdout>,
}

impl PipDriver {
    /// Starts the driver under `venv_python` (so that console scripts get it as their shebang)
    /// with `app_dir` as the working directory, where pip resolves relative paths.
    ///
    /// # Errors
    ///
    /// [`PipDriverError::Start`] if the process can't be started.
    pub(crate) fn start(
        venv_python: &Path,
        pip_dir: &Path,
        app_dir: &Path,
    ) -> Result<Self, PipDriverError> {
        let mut child = Command::new(venv_python)
            .args(["-I", "-S", "-c", DRIVER])
            .arg(pip_dir)
            .current_dir(app_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|source| PipDriverError::Start {
                python: venv_python.to_path_buf(),
                source,
            })?;
        let (Some(requests), Some(replies)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(PipDriverError::Start {
                python: venv_python.to_path_buf(),
                source: io::Error::other("the driver's stdin or stdout is not piped"),
            });
        };
        Ok(Self {
            child,
            requests,
            replies: BufReader::new(replies),
        })
    }

    /// Resolves `requirements` (relative to the app directory) and writes pip's installation
    /// report to `report`; returns how long pip took. With `no_deps`, pip only finds the
    /// artifact of each requirement and runs no resolver.
    ///
    /// # Errors
    ///
    /// [`PipDriverError`] if pip fails (it has printed why) or the driver dies.
    pub(crate) fn resolve(
        &mut self,
        requirements: &Path,
        report: &Path,
        no_deps: bool,
    ) -> Result<Duration, PipDriverError> {
        let reply: ResolveReply = self.request(
            "resolve",
            &json!({
                "command": "resolve",
                "requirements": requirements,
                "report": report,
                "no_deps": no_deps,
            }),
        )?;
        Ok(Duration::from_secs_f64(reply.seconds))
    }

    /// Installs `artifacts` with one `pip install --no-deps` into `staging`, then moves each
    /// distribution into the layer directory `targets` names for it (by normalised name).
    /// With `wheel_cache`, remote artifacts are installed from files there, downloaded once.
    ///
    /// # Errors
    ///
    /// [`PipDriverError`] if pip fails (it has printed why), a distribution can't be placed,
    /// or the driver dies.
    pub(crate) fn install(
        &mut self,
        staging: &Path,
        artifacts: &[String],
        targets: &BTreeMap<String, PathBuf>,
        wheel_cache: Option<&Path>,
    ) -> Result<Installed, PipDriverError> {
        let reply: InstallReply = self.request(
            "install",
            &json!({
                "command": "install",
                "staging": staging,
                "artifacts": artifacts,
                "targets": targets,
                "wheel_cache": wheel_cache,
            }),
        )?;
        Ok(Installed {
            pip: Duration::from_secs_f64(reply.pip_seconds),
            downloaded: reply.downloaded,
            from_wheel_cache: reply.cached,
            placed: reply
                .placed
                .into_iter()
                .map(|(layer, placed)| {
                    (
                        PathBuf::from(layer),
                        Placed {
                            files: placed.files,
                            duration: Duration::from_secs_f64(placed.seconds),
                        },
                    )
                })
                .collect(),
        })
    }

    /// Ends the driver and waits for it.
    ///
    /// # Errors
    ///
    /// [`PipDriverError::Exited`] if it exits unsuccessfully.
    pub(crate) fn finish(self) -> Result<(), PipDriverError> {
        let Self {
            mut child,
            requests,
            replies,
        } = self;
        drop(requests);
        drop(replies);
        let status = child.wait().map_err(PipDriverError::Wait)?;
        if status.success() {
            Ok(())
        } else {
            Err(PipDriverError::Exited(status.to_string()))
        }
    }

    fn request<T: for<'de> Deserialize<'de>>(
        &mut self,
        command: &'static str,
        request: &serde_json::Value,
    ) -> Result<T, PipDriverError> {
        let mut line = request.to_string();
        line.push('\n');
        self.requests
            .write_all(line.as_bytes())
            .and_then(|()| self.requests.flush())
            .map_err(|source| PipDriverError::Talk { command, source })?;

        let mut reply = String::new();
        let read = self
            .replies
            .read_line(&mut reply)
            .map_err(|source| PipDriverError::Talk { command, source })?;
        if read == 0 {
            let status = self
                .child
                .wait()
                .map_or_else(|error| error.to_string(), |status| status.to_string());
            return Err(PipDriverError::Exited(status));
        }

        let status: StatusReply = serde_json::from_str(&reply)
            .map_err(|source| PipDriverError::Reply { command, source })?;
        if status.status != 0 {
            return Err(PipDriverError::Pip {
                command,
                status: status.status,
                error: status.error.unwrap_or_default(),
            });
        }
        serde_json::from_str(&reply).map_err(|source| PipDriverError::Reply { command, source })
    }
}

/// What an installation did.
#[derive(Debug)]
pub(crate) struct Installed {
    /// How long `pip install` took.
    pub(crate) pip: Duration,
    /// Remote artifacts downloaded into the wheel cache.
    pub(crate) downloaded: usize,
    /// Remote artifacts found in the wheel cache.
    pub(crate) from_wheel_cache: usize,
    /// What was moved into each layer directory.
    pub(crate) placed: BTreeMap<PathBuf, Placed>,
}

/// The files moved into one layer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placed {
    /// The number of files, including the compiled `.pyc` files.
    pub(crate) files: usize,
    /// How long moving and compiling took.
    pub(crate) duration: Duration,
}

#[derive(Deserialize)]
struct StatusReply {
    status: i64,
    error: Option<String>,
}

#[derive(Deserialize)]
struct ResolveReply {
    seconds: f64,
}

#[derive(Deserialize)]
struct InstallReply {
    pip_seconds: f64,
    #[serde(default)]
    downloaded: usize,
    #[serde(default)]
    cached: usize,
    placed: BTreeMap<String, PlacedReply>,
}

#[derive(Deserialize)]
struct PlacedReply {
    files: usize,
    seconds: f64,
}

/// The pip driver failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PipDriverError {
    #[error("couldn't start pip with {}", python.display())]
    Start { python: PathBuf, source: io::Error },
    #[error("couldn't talk to the pip driver during {command}")]
    Talk {
        command: &'static str,
        source: io::Error,
    },
    #[error("the pip driver sent an unexpected reply to {command}")]
    Reply {
        command: &'static str,
        source: serde_json::Error,
    },
    #[error("pip {command} failed with status {status}{}; see pip's output above", error_suffix(.error))]
    Pip {
        command: &'static str,
        status: i64,
        error: String,
    },
    #[error("the pip driver exited unexpectedly ({0}); see its output above")]
    Exited(String),
    #[error("couldn't wait for the pip driver")]
    Wait(#[source] io::Error),
}

fn error_suffix(error: &str) -> String {
    if error.is_empty() {
        String::new()
    } else {
        format!(" ({error})")
    }
}

#[cfg(test)]
mod tests {
    use super::{PipDriver, PipDriverError};
    use crate::python::Python;
    use std::collections::BTreeMap;
    use std::fs;
    use std::path::Path;
    use std::process::Command;

    /// A venv of the Python on PATH, in `dir`.
    fn venv(python: &Python, dir: &Path) -> std::path::PathBuf {
        let status = Command::new(&python.executable)
            .args(["-I", "-m", "venv", "--without-pip"])
            .arg(dir)
            .status()
            .unwrap();
        assert!(status.success());
        dir.join("bin/python")
    }

    #[test]
    fn resolves_installs_and_places_distributions_in_one_process() {
        let python = Python::probe().unwrap();
        let temp = tempfile::tempdir().unwrap();
        let app = temp.path().join("app");
        fs::create_dir_all(app.join("wheels")).unwrap();
        let demo_wheels = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/wheels");
        for wheel in [
            "demo_lint-0.3.0-py3-none-any.whl",
            "demo_colors-2.0.0-py3-none-any.whl",
            "demo_textutil-3.0.2-py3-none-any.whl",
            "demo_certs-2024.1.0-py3-none-any.whl",
        ] {
            fs::copy(demo_wheels.join(wheel), app.join("wheels").join(wheel)).unwrap();
        }
        fs::write(
            app.join("requirements.txt"),
            "--no-index\n--find-links wheels\ndemo-lint==0.3.0\ndemo.certs\n",
        )
        .unwrap();
        let venv_python = venv(&python, &temp.path().join("venv"));

        let mut driver = PipDriver::start(&venv_python, &python.pip_dir, &app).unwrap();
        let report = temp.path().join("report.json");
        driver
            .resolve("requirements.txt".as_ref(), &report, false)
            .unwrap();
        let report: serde_json::Value =
            serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
        let urls: Vec<String> = report["install"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["download_info"]["url"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(urls.len(), 4, "{urls:?}");

        // Two own layers and a group layer for two distributions.
        let staging = temp.path().join("staging");
        let layers = temp.path().join("layers");
        let targets = BTreeMap::from([
            ("demo-lint".to_string(), layers.join("pkg-demo-lint")),
            ("demo-certs".to_string(), layers.join("pkg-demo-certs")),
            ("demo-colors".to_string(), layers.join("pkgs-0")),
            ("demo-textutil".to_string(), layers.join("pkgs-0")),
        ]);
        let installed = driver.install(&staging, &urls, &targets, None).unwrap();
        assert_eq!(installed.placed.len(), 3);

        // Console scripts in <layer>/bin, run by the venv's python; RECORD points at them.
        let lint = layers.join("pkg-demo-lint");
        let script = fs::read_to_string(lint.join("bin/demo-lint")).unwrap();
        assert!(
            script.starts_with(&format!("#!{}\n", venv_python.display())),
            "{script}"
        );
        let record =
            fs::read_to_string(lint.join("site-packages/demo_lint-0.3.0.dist-info/RECORD"))
                .unwrap();
        assert!(record.starts_with("../bin/demo-lint,sha256="), "{record}");
        assert!(
            record.contains("demo_lint/__pycache__/__init__."),
            "{record}"
        );
        // Compiled after the move: the .pyc names the final path.
        let pycache = lint.join("site-packages/demo_lint/__pycache__");
        let pyc = fs::read_dir(&pycache)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let source = lint.join("site-packages/demo_lint/__init__.py");
        let pyc_bytes = fs::read(pyc).unwrap();
        let needle = source.to_str().unwrap().as_bytes();
        assert!(
            pyc_bytes
                .windows(needle.len())
                .any(|window| window == needle)
        );
        // Data files keep their path relative to the prefix, under site-packages.
        assert!(
            layers
                .join("pkg-demo-certs/site-packages/share/demo-certs/README.txt")
                .is_file()
        );
        assert!(layers.join("pkgs-0/site-packages/demo_colors").is_dir());
        assert!(layers.join("pkgs-0/site-packages/demo_textutil").is_dir());

        // A failing pip run is an error, and the driver stays usable.
        let missing = temp.path().join("missing-1.0-py3-none-any.whl");
        let error = driver
            .install(
                &staging,
                &[missing.display().to_string()],
                &BTreeMap::new(),
                None,
            )
            .unwrap_err();
        assert!(
            matches!(
                error,
                PipDriverError::Pip {
                    command: "install",
                    ..
                }
            ),
            "{error}"
        );
        driver.finish().unwrap();
    }
}
