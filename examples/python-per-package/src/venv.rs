//! The `venv` layer: a virtual environment whose one `.pth` file wires in the package layers,
//! so packages are importable at build time (for later buildpacks) and at launch without
//! `PYTHONPATH` (which would come before the standard library and could shadow it).
//!
//! Layout: `<layer>/venv/` is `python -m venv --without-pip`, `<layer>/env/PATH.prepend` puts
//! `<layer>/venv/bin` first on `PATH`, and
//! `<layer>/venv/lib/python3.X/site-packages/python-per-package.pth` has one line per package
//! layer: `import site; site.addsitedir('<package layer>/site-packages')`. `addsitedir`
//! appends the directory after the standard library and, unlike a bare path line, also runs
//! the `.pth` files inside it (setuptools' `distutils-precedence.pth`, namespace packages).
//! The venv lives one level down so that the layer's root has no `lib/` or `include/`, which
//! the lifecycle would put on `LD_LIBRARY_PATH` and `CPATH`.

use crate::python::Python;
use libcnb_lite::layer::InspectRestoredAction;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The name of the `.pth` file.
const PTH_FILE: &str = "python-per-package.pth";

/// The metadata of the venv layer: the interpreter it was made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VenvMetadata {
    /// Python implementation and version, `cpython-3.11.7`.
    #[serde(rename = "py")]
    pub(crate) python: String,
    /// The interpreter's path: `pyvenv.cfg` and `venv/bin/python` point at it.
    #[serde(rename = "exe")]
    pub(crate) executable: PathBuf,
}

impl VenvMetadata {
    pub(crate) fn of(python: &Python) -> Self {
        Self {
            python: python.identity(),
            executable: python.executable.clone(),
        }
    }
}

/// Why a restored venv layer was kept or deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VenvCause {
    Unchanged,
    PythonChanged { was: String, now: String },
    InterpreterMoved { was: PathBuf, now: PathBuf },
}

impl fmt::Display for VenvCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unchanged => f.write_str("unchanged"),
            Self::PythonChanged { was, now } => write!(f, "Python changed: {was} → {now}"),
            Self::InterpreterMoved { was, now } => {
                write!(
                    f,
                    "interpreter moved: {} → {}",
                    was.display(),
                    now.display()
                )
            }
        }
    }
}

/// `inspect_restored` of the venv layer: keep it for the same interpreter.
pub(crate) fn inspect_restored(
    expected: &VenvMetadata,
    restored: &VenvMetadata,
) -> (InspectRestoredAction, VenvCause) {
    if restored.python != expected.python {
        let cause = VenvCause::PythonChanged {
            was: restored.python.clone(),
            now: expected.python.clone(),
        };
        (InspectRestoredAction::DeleteLayer, cause)
    } else if restored.executable != expected.executable {
        let cause = VenvCause::InterpreterMoved {
            was: restored.executable.clone(),
            now: expected.executable.clone(),
        };
        (InspectRestoredAction::DeleteLayer, cause)
    } else {
        (InspectRestoredAction::KeepLayer, VenvCause::Unchanged)
    }
}

/// The venv in a venv layer.
#[derive(Debug)]
pub(crate) struct Venv {
    dir: PathBuf,
}

impl Venv {
    /// The venv inside the layer directory `layer_dir`.
    pub(crate) fn in_layer(layer_dir: &Path) -> Self {
        Self {
            dir: layer_dir.join("venv"),
        }
    }

    /// Creates the venv with `python -I -m venv --without-pip`.
    ///
    /// # Errors
    ///
    /// [`VenvError::Create`] if `venv` fails.
    pub(crate) fn create(&self, python: &Python) -> Result<(), VenvError> {
        let output = Command::new(&python.executable)
            .args(["-I", "-m", "venv", "--without-pip"])
            .arg(&self.dir)
            .output()
            .map_err(|source| VenvError::Run {
                python: python.executable.clone(),
                source,
            })?;
        if output.status.success() {
            Ok(())
        } else {
            Err(VenvError::Create {
                dir: self.dir.clone(),
                status: output.status.to_string(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            })
        }
    }

    /// The venv's directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// `<venv>/bin/python`.
    pub(crate) fn python(&self) -> PathBuf {
        self.dir.join("bin").join("python")
    }

    /// Writes the `.pth` file that adds `site_dirs` (in this order), unless it already has
    /// exactly that content, so that an unchanged venv layer keeps its diff ID.
    ///
    /// # Errors
    ///
    /// [`VenvError`] if the venv has no `lib/*/site-packages`, a directory can't be written
    /// in a `.pth` line, or the file can't be written.
    pub(crate) fn write_pth(&self, site_dirs: &[PathBuf]) -> Result<(), VenvError> {
        let site_packages = self.site_packages()?;
        let contents = pth_contents(site_dirs)?;
        let path = site_packages.join(PTH_FILE);
        if fs::read(&path).is_ok_and(|existing| existing == contents.as_bytes()) {
            return Ok(());
        }
        let write_error = |source| VenvError::Write {
            path: path.clone(),
            source,
        };
        let mut file = tempfile::NamedTempFile::new_in(&site_packages).map_err(write_error)?;
        file.write_all(contents.as_bytes()).map_err(write_error)?;
        file.persist(&path)
            .map_err(|error| write_error(error.error))?;
        Ok(())
    }

    /// `<venv>/lib/<python>/site-packages`; its name depends on the implementation and
    /// version, so it is found rather than computed.
    fn site_packages(&self) -> Result<PathBuf, VenvError> {
        let lib = self.dir.join("lib");
        let not_found = || VenvError::NoSitePackages { dir: lib.clone() };
        let mut found = Vec::new();
        for entry in fs::read_dir(&lib).map_err(|_| not_found())? {
            let candidate = entry.map_err(|_| not_found())?.path().join("site-packages");
            if candidate.is_dir() {
                found.push(candidate);
            }
        }
        found.sort();
        found.into_iter().next().ok_or_else(not_found)
    }
}

/// The `.pth` file's text: a comment, then `import site; site.addsitedir('<dir>')` per dir.
fn pth_contents(site_dirs: &[PathBuf]) -> Result<String, VenvError> {
    let mut contents = String::from("# Package layers of the python-per-package buildpack.\n");
    for dir in site_dirs {
        let literal = dir
            .to_str()
            .and_then(python_string_literal)
            .ok_or_else(|| VenvError::UnwritablePath { path: dir.clone() })?;
        contents.push_str("import site; site.addsitedir(");
        contents.push_str(&literal);
        contents.push_str(")\n");
    }
    Ok(contents)
}

/// A single-quoted Python string literal for `text`, or `None` if it can't be on one line of
/// a `.pth` file (a line feed, carriage return or NUL).
fn python_string_literal(text: &str) -> Option<String> {
    if text.contains(['\n', '\r', '\0']) {
        return None;
    }
    Some(format!(
        "'{}'",
        text.replace('\\', "\\\\").replace('\'', "\\'")
    ))
}

/// The venv can't be made or wired up.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VenvError {
    #[error("couldn't run {}", python.display())]
    Run { python: PathBuf, source: io::Error },
    #[error("couldn't create a venv in {} ({status}): {stderr}", dir.display())]
    Create {
        dir: PathBuf,
        status: String,
        stderr: String,
    },
    #[error("the venv has no {}/<python>/site-packages directory", dir.display())]
    NoSitePackages { dir: PathBuf },
    #[error("{} can't be written in a .pth file line", path.display())]
    UnwritablePath { path: PathBuf },
    #[error("couldn't write {}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

#[cfg(test)]
mod tests {
    use super::{VenvCause, VenvMetadata, inspect_restored, pth_contents, python_string_literal};
    use libcnb_lite::layer::InspectRestoredAction;
    use std::path::PathBuf;

    fn metadata(python: &str, executable: &str) -> VenvMetadata {
        VenvMetadata {
            python: python.into(),
            executable: executable.into(),
        }
    }

    #[test]
    fn keeps_the_venv_for_the_same_interpreter_only() {
        let expected = metadata("cpython-3.11.7", "/usr/bin/python3.11");
        let (action, cause) = inspect_restored(&expected, &expected.clone());
        assert!(matches!(action, InspectRestoredAction::KeepLayer));
        assert_eq!(cause, VenvCause::Unchanged);

        let (action, cause) = inspect_restored(
            &expected,
            &metadata("cpython-3.12.1", "/usr/bin/python3.11"),
        );
        assert!(matches!(action, InspectRestoredAction::DeleteLayer));
        assert_eq!(
            cause.to_string(),
            "Python changed: cpython-3.12.1 → cpython-3.11.7"
        );

        let (action, cause) = inspect_restored(
            &expected,
            &metadata("cpython-3.11.7", "/opt/python/bin/python3"),
        );
        assert!(matches!(action, InspectRestoredAction::DeleteLayer));
        assert_eq!(
            cause.to_string(),
            "interpreter moved: /opt/python/bin/python3 → /usr/bin/python3.11"
        );
    }

    #[test]
    fn pth_lines_add_site_dirs_with_quoted_paths() {
        let contents = pth_contents(&[
            PathBuf::from("/layers/bp/pkg-a/site-packages"),
            PathBuf::from("/odd/it's\\here"),
        ])
        .unwrap();
        assert_eq!(
            contents,
            "# Package layers of the python-per-package buildpack.\n\
             import site; site.addsitedir('/layers/bp/pkg-a/site-packages')\n\
             import site; site.addsitedir('/odd/it\\'s\\\\here')\n"
        );
        assert_eq!(python_string_literal("a\nb"), None);
    }
}
