//! Finding the Python that builds the app: the first `python3` on `PATH`, with pip.

use serde::{Deserialize, Serialize};
use std::io;
use std::path::PathBuf;
use std::process::Command;

/// The probe script, run as `python3 -I -c PROBE`.
const PROBE: &str = include_str!("probe.py");

/// The oldest Python the demo's wheels and the pip driver support.
const MIN_PYTHON: (u32, u32) = (3, 8);
/// The oldest pip whose installation report has format version 1.
const MIN_PIP_MAJOR: u32 = 23;

/// A Python 3 with pip, as the probe saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Python {
    /// `sys.executable`: the interpreter itself, not a shim or wrapper that ran it.
    pub(crate) executable: PathBuf,
    /// `sys.implementation.name`, e.g. `cpython`.
    pub(crate) implementation: String,
    /// `platform.python_version()`, e.g. `3.11.7`.
    pub(crate) version: String,
    /// `pip.__version__`.
    pub(crate) pip_version: String,
    /// The directory of the `pip` package.
    pub(crate) pip_dir: PathBuf,
}

impl Python {
    /// Runs the first `python3` on `PATH` and checks that it is a Python 3.8 or later with
    /// pip 23 or later.
    ///
    /// # Errors
    ///
    /// [`PythonError`] saying what is missing.
    pub(crate) fn probe() -> Result<Self, PythonError> {
        let output = Command::new("python3")
            .args(["-I", "-c", PROBE])
            .output()
            .map_err(|source| match source.kind() {
                io::ErrorKind::NotFound => PythonError::NotFound,
                _ => PythonError::Run(source),
            })?;
        if !output.status.success() {
            return Err(PythonError::Failed {
                status: output.status.to_string(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        Self::from_probe_output(&output.stdout)
    }

    fn from_probe_output(stdout: &[u8]) -> Result<Self, PythonError> {
        let probe: ProbeOutput = serde_json::from_slice(stdout).map_err(PythonError::Output)?;
        if leading_numbers(&probe.version) < [MIN_PYTHON.0, MIN_PYTHON.1] {
            return Err(PythonError::TooOld {
                executable: probe.executable,
                version: probe.version,
            });
        }
        let (Some(pip_version), Some(pip_dir)) = (probe.pip_version, probe.pip_dir) else {
            return Err(PythonError::NoPip {
                executable: probe.executable,
            });
        };
        if leading_numbers(&pip_version)[0] < MIN_PIP_MAJOR {
            return Err(PythonError::PipTooOld {
                executable: probe.executable,
                version: pip_version,
            });
        }
        Ok(Self {
            executable: probe.executable,
            implementation: probe.implementation,
            version: probe.version,
            pip_version,
            pip_dir,
        })
    }

    /// Implementation and version, e.g. `cpython-3.11.7`: what a pure-Python wheel's
    /// installation (its compiled `.pyc` files, its console scripts) depends on.
    pub(crate) fn identity(&self) -> String {
        format!("{}-{}", self.implementation, self.version)
    }
}

#[derive(Deserialize)]
struct ProbeOutput {
    executable: PathBuf,
    implementation: String,
    version: String,
    pip_version: Option<String>,
    pip_dir: Option<PathBuf>,
}

/// The first two dot-separated numbers of a version (`3.11.7` → `[3, 11]`, `24.0` →
/// `[24, 0]`); missing or non-numeric parts count as 0.
fn leading_numbers(version: &str) -> [u32; 2] {
    let mut parts = version.split('.').map(|part| {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().unwrap_or(0)
    });
    [parts.next().unwrap_or(0), parts.next().unwrap_or(0)]
}

/// No usable Python.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PythonError {
    #[error("no `python3` on PATH: provide Python 3.8 or later with pip in the build image")]
    NotFound,
    #[error("couldn't run `python3`")]
    Run(#[source] io::Error),
    #[error("`python3` failed ({status}): {stderr}")]
    Failed { status: String, stderr: String },
    #[error("`python3` printed something other than the probe's JSON")]
    Output(#[source] serde_json::Error),
    #[error("{} is Python {version}; Python 3.8 or later is required", executable.display())]
    TooOld {
        executable: PathBuf,
        version: String,
    },
    #[error("{} has no pip: install pip for it (`python3 -m ensurepip`)", executable.display())]
    NoPip { executable: PathBuf },
    #[error(
        "{} has pip {version}; pip 23.0 or later is required (for `--report`)",
        executable.display()
    )]
    PipTooOld {
        executable: PathBuf,
        version: String,
    },
}

#[cfg(test)]
mod tests {
    use super::{Python, PythonError, leading_numbers};

    #[test]
    fn reads_the_probe_output() {
        let python = Python::from_probe_output(
            br#"{"executable": "/usr/bin/python3.11", "implementation": "cpython", "version": "3.11.7", "pip_version": "23.2.1", "pip_dir": "/usr/lib/python3/dist-packages/pip"}"#,
        )
        .unwrap();
        assert_eq!(python.identity(), "cpython-3.11.7");
        assert_eq!(python.pip_version, "23.2.1");
    }

    #[test]
    fn rejects_old_python_missing_pip_and_old_pip() {
        let old_python = br#"{"executable": "/x", "implementation": "cpython", "version": "3.7.16", "pip_version": "23.0", "pip_dir": "/p"}"#;
        assert!(matches!(
            Python::from_probe_output(old_python),
            Err(PythonError::TooOld { .. })
        ));
        let no_pip = br#"{"executable": "/x", "implementation": "cpython", "version": "3.12.1"}"#;
        let error = Python::from_probe_output(no_pip).unwrap_err();
        assert_eq!(
            error.to_string(),
            "/x has no pip: install pip for it (`python3 -m ensurepip`)"
        );
        let old_pip = br#"{"executable": "/x", "implementation": "cpython", "version": "3.12.1", "pip_version": "22.3.1", "pip_dir": "/p"}"#;
        assert!(matches!(
            Python::from_probe_output(old_pip),
            Err(PythonError::PipTooOld { .. })
        ));
    }

    #[test]
    fn compares_versions_numerically() {
        assert_eq!(leading_numbers("3.11.7"), [3, 11]);
        assert_eq!(leading_numbers("3.13.0rc1"), [3, 13]);
        assert_eq!(leading_numbers("24"), [24, 0]);
        assert!(leading_numbers("3.10.13") > leading_numbers("3.9.18"));
    }

    #[test]
    fn probes_the_python_on_path() {
        // The tests of this crate need a Python 3.8+ with pip on PATH, like the demo.
        let python = Python::probe().unwrap();
        assert!(python.executable.is_absolute(), "{python:?}");
        assert!(python.pip_dir.join("__init__.py").is_file(), "{python:?}");
    }
}
