//! Buildpacks ready to run: reading `buildpack.toml`, packaging a compiled binary into a
//! buildpack dir, and building a crate dir with cargo.

use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::config::{BuildpackSource, CargoProfile};
use crate::output::dies_with_parent;
use crate::toml_error::TomlError;

/// A Buildpack API version such as `0.10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct BuildpackApi {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl BuildpackApi {
    /// Parses `"<major>.<minor>"`.
    #[must_use]
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (major, minor) = text.trim().split_once('.')?;
        Some(Self {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }

    /// Whether this version is at least `major.minor`.
    #[must_use]
    pub(crate) fn at_least(self, major: u32, minor: u32) -> bool {
        self >= Self { major, minor }
    }
}

impl fmt::Display for BuildpackApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A buildpack on disk, with what the lifecycle reads from its `buildpack.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Buildpack {
    /// The buildpack root (`CNB_BUILDPACK_DIR`).
    pub dir: PathBuf,
    /// `[buildpack] id`.
    pub id: String,
    /// `[buildpack] version`.
    pub version: String,
    /// `api`.
    pub api: BuildpackApi,
    /// `[buildpack] clear-env`: platform env vars are not put into the process env.
    pub clear_env: bool,
    /// `[buildpack] sbom-formats`: the SBOM media types the buildpack may write.
    pub sbom_formats: Vec<String>,
    /// `[buildpack] exec-env` (Buildpack API 0.12).
    pub exec_env: Vec<String>,
    /// Whether the group element is optional.
    pub optional: bool,
}

impl Buildpack {
    /// The ID with `/` replaced by `_`, the name of its dir under `<layers>`.
    #[must_use]
    pub(crate) fn escaped_id(&self) -> String {
        escape_id(&self.id)
    }

    /// Reads a packaged buildpack dir.
    ///
    /// # Errors
    ///
    /// Fails when `buildpack.toml` is missing or invalid, or describes a composite buildpack.
    pub(crate) fn read(dir: &Path) -> Result<Self, PrepareBuildpackError> {
        let path = dir.join("buildpack.toml");
        let text = fs::read_to_string(&path).map_err(|source| PrepareBuildpackError::Io {
            path: path.clone(),
            source,
        })?;
        let descriptor: Descriptor =
            toml::from_str(&text).map_err(|source| PrepareBuildpackError::InvalidDescriptor {
                path: path.clone(),
                source: TomlError::new(&text, &source),
            })?;
        if descriptor.order.is_some() {
            return Err(PrepareBuildpackError::Composite { path });
        }
        let api = BuildpackApi::parse(&descriptor.api).ok_or_else(|| {
            PrepareBuildpackError::InvalidApi {
                path: path.clone(),
                api: descriptor.api.clone(),
            }
        })?;
        let dir = dir
            .canonicalize()
            .map_err(|source| PrepareBuildpackError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        Ok(Self {
            dir,
            id: descriptor.buildpack.id,
            version: descriptor.buildpack.version,
            api,
            clear_env: descriptor.buildpack.clear_env,
            sbom_formats: descriptor.buildpack.sbom_formats,
            exec_env: descriptor.buildpack.exec_env,
            optional: false,
        })
    }
}

/// Replaces `/` with `_`, as the lifecycle names per-buildpack dirs.
#[must_use]
pub(crate) fn escape_id(id: &str) -> String {
    id.replace('/', "_")
}

#[derive(Deserialize)]
struct Descriptor {
    api: String,
    buildpack: DescriptorBuildpack,
    order: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct DescriptorBuildpack {
    id: String,
    version: String,
    #[serde(default)]
    clear_env: bool,
    #[serde(default)]
    sbom_formats: Vec<String>,
    #[serde(default)]
    exec_env: Vec<String>,
}

/// A buildpack source could not be turned into a runnable buildpack dir.
#[derive(Debug, thiserror::Error)]
pub enum PrepareBuildpackError {
    /// A file could not be read or written.
    #[error("cannot access {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// `buildpack.toml` is not valid.
    #[error("invalid buildpack descriptor {path}")]
    InvalidDescriptor {
        /// The descriptor path.
        path: PathBuf,
        /// The parse error.
        source: TomlError,
    },
    /// The `api` value is not `<major>.<minor>`.
    #[error("buildpack descriptor {path} has an invalid api version {api:?}")]
    InvalidApi {
        /// The descriptor path.
        path: PathBuf,
        /// The value found.
        api: String,
    },
    /// Composite (meta) buildpacks are not supported; list their members in the group.
    #[error("{path} describes a composite buildpack; list its component buildpacks instead")]
    Composite {
        /// The descriptor path.
        path: PathBuf,
    },
    /// `bin/detect` or `bin/build` is missing or not executable.
    #[error("buildpack executable {path} is missing or not executable")]
    MissingExecutable {
        /// The expected executable.
        path: PathBuf,
    },
    /// `cargo` could not be run.
    #[error("cannot run cargo for crate {dir}")]
    RunCargo {
        /// The crate dir.
        dir: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// `cargo build` failed.
    #[error("cargo build failed for crate {dir}:\n{stderr}")]
    CargoFailed {
        /// The crate dir.
        dir: PathBuf,
        /// Cargo's diagnostics.
        stderr: String,
    },
    /// `cargo build` produced no binary for the crate.
    #[error("cargo built no binary target for crate {dir}")]
    NoBinary {
        /// The crate dir.
        dir: PathBuf,
    },
}

/// Turns a source into a runnable buildpack dir; packaged dirs are used in place, binaries
/// and crates are packaged under `work_dir`.
///
/// # Errors
///
/// Fails when the descriptor is missing or invalid, an executable is missing, or cargo fails.
pub(crate) fn prepare(
    source: &BuildpackSource,
    work_dir: &Path,
) -> Result<Buildpack, PrepareBuildpackError> {
    match source {
        BuildpackSource::Dir(dir) => {
            let buildpack = Buildpack::read(dir)?;
            for name in ["detect", "build"] {
                let path = buildpack.dir.join("bin").join(name);
                let executable = fs::metadata(&path)
                    .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0);
                if !executable {
                    return Err(PrepareBuildpackError::MissingExecutable { path });
                }
            }
            Ok(buildpack)
        }
        BuildpackSource::Binary {
            path,
            descriptor,
            additional_binaries,
        } => package_binary(path, descriptor, additional_binaries, work_dir),
        BuildpackSource::Crate { dir, profile } => {
            let (main, additional) = cargo_build(dir, *profile)?;
            package_binary(&main, &dir.join("buildpack.toml"), &additional, work_dir)
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> PrepareBuildpackError + '_ {
    move |source| PrepareBuildpackError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Lays out `<work>/<n>/{buildpack.toml, bin/detect, bin/build, .libcnb-cargo/additional-bin/*}`.
fn package_binary(
    binary: &Path,
    descriptor: &Path,
    additional: &[(String, PathBuf)],
    work_dir: &Path,
) -> Result<Buildpack, PrepareBuildpackError> {
    let dir = tempfile::Builder::new()
        .prefix("buildpack-")
        .tempdir_in(work_dir)
        .map_err(io_error(work_dir))?
        .keep();
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).map_err(io_error(&bin))?;
    let target = dir.join("buildpack.toml");
    fs::copy(descriptor, &target).map_err(io_error(descriptor))?;
    if !binary.is_file() {
        return Err(PrepareBuildpackError::MissingExecutable {
            path: binary.to_path_buf(),
        });
    }
    for name in ["detect", "build"] {
        link_or_copy(binary, &bin.join(name))?;
    }
    if !additional.is_empty() {
        let extra = dir.join(".libcnb-cargo").join("additional-bin");
        fs::create_dir_all(&extra).map_err(io_error(&extra))?;
        for (name, path) in additional {
            link_or_copy(path, &extra.join(name))?;
        }
    }
    Buildpack::read(&dir)
}

fn link_or_copy(from: &Path, to: &Path) -> Result<(), PrepareBuildpackError> {
    if fs::hard_link(from, to).is_err() {
        fs::copy(from, to).map_err(io_error(from))?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct CargoMessage {
    reason: String,
    #[serde(default)]
    manifest_path: Option<PathBuf>,
    #[serde(default)]
    target: Option<CargoTarget>,
    #[serde(default)]
    executable: Option<PathBuf>,
}

#[derive(Deserialize)]
struct CargoTarget {
    name: String,
    kind: Vec<String>,
}

/// Runs `cargo build` on the crate and returns its main binary and the other bin targets.
fn cargo_build(
    dir: &Path,
    profile: CargoProfile,
) -> Result<(PathBuf, Vec<(String, PathBuf)>), PrepareBuildpackError> {
    let manifest = dir
        .join("Cargo.toml")
        .canonicalize()
        .map_err(io_error(dir))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    dies_with_parent(&mut command)
        .arg("build")
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--bins")
        .arg("--message-format=json-render-diagnostics")
        .stdin(Stdio::null());
    if profile == CargoProfile::Release {
        command.arg("--release");
    }
    let output = command
        .output()
        .map_err(|source| PrepareBuildpackError::RunCargo {
            dir: dir.to_path_buf(),
            source,
        })?;
    if !output.status.success() {
        return Err(PrepareBuildpackError::CargoFailed {
            dir: dir.to_path_buf(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let package_name = cargo_package_name(&manifest)?;
    let mut bins = Vec::new();
    for line in output.stdout.split(|b| *b == b'\n') {
        let Ok(message) = serde_json::from_slice::<CargoMessage>(line) else {
            continue;
        };
        if message.reason != "compiler-artifact"
            || message.manifest_path.as_deref() != Some(manifest.as_path())
        {
            continue;
        }
        if let (Some(target), Some(executable)) = (message.target, message.executable) {
            if target.kind.iter().any(|kind| kind == "bin") {
                bins.push((target.name, executable));
            }
        }
    }
    let main_index = bins
        .iter()
        .position(|(name, _)| Some(name) == package_name.as_ref())
        .or(if bins.len() == 1 { Some(0) } else { None })
        .ok_or_else(|| PrepareBuildpackError::NoBinary {
            dir: dir.to_path_buf(),
        })?;
    let (_, main) = bins.remove(main_index);
    Ok((main, bins))
}

fn cargo_package_name(manifest: &Path) -> Result<Option<String>, PrepareBuildpackError> {
    let text = fs::read_to_string(manifest).map_err(io_error(manifest))?;
    let table: toml::Table = toml::from_str(&text).unwrap_or_default();
    Ok(table
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(toml::Value::as_str)
        .map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_parsing_and_ordering() {
        let api = BuildpackApi::parse("0.10").unwrap();
        assert!(api.at_least(0, 9));
        assert!(api.at_least(0, 10));
        assert!(!api.at_least(0, 12));
        assert_eq!(api.to_string(), "0.10");
        assert!(BuildpackApi::parse("ten").is_none());
    }

    #[test]
    fn composite_buildpacks_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("buildpack.toml"),
            "api = \"0.10\"\n[buildpack]\nid = \"a/meta\"\nversion = \"1\"\n[[order]]\n[[order.group]]\nid = \"a/b\"\nversion = \"1\"\n",
        )
        .unwrap();
        let error = Buildpack::read(dir.path()).unwrap_err();
        assert!(error.to_string().contains("composite buildpack"), "{error}");
    }

    #[test]
    fn binary_is_packaged_with_detect_and_build_names() {
        let src = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let binary = src.path().join("my-bp");
        fs::write(&binary, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&binary, fs::Permissions::from_mode(0o755)).unwrap();
        let helper = src.path().join("helper");
        fs::write(&helper, "#!/bin/sh\n").unwrap();
        let descriptor = src.path().join("buildpack.toml");
        fs::write(
            &descriptor,
            "api = \"0.10\"\n[buildpack]\nid = \"a/b\"\nversion = \"1.2.3\"\nsbom-formats = [\"application/spdx+json\"]\n",
        )
        .unwrap();
        let source =
            BuildpackSource::binary(&binary, &descriptor).with_additional_binary("helper", &helper);
        let buildpack = prepare(&source, work.path()).unwrap();
        assert!(buildpack.dir.join("bin/detect").is_file());
        assert!(buildpack.dir.join("bin/build").is_file());
        assert!(
            buildpack
                .dir
                .join(".libcnb-cargo/additional-bin/helper")
                .is_file()
        );
        assert_eq!(buildpack.version, "1.2.3");
        assert_eq!(buildpack.sbom_formats, ["application/spdx+json"]);
    }

    #[test]
    fn packaged_dir_needs_executables() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("buildpack.toml"),
            "api = \"0.10\"\n[buildpack]\nid = \"a\"\nversion = \"1\"\n",
        )
        .unwrap();
        let error = prepare(&BuildpackSource::dir(dir.path()), dir.path()).unwrap_err();
        assert!(matches!(
            error,
            PrepareBuildpackError::MissingExecutable { .. }
        ));
    }

    #[test]
    fn read_a_packaged_buildpack_dir() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("buildpack.toml"),
            "api = \"0.10\"\n[buildpack]\nid = \"example/hello\"\nversion = \"1.0.0\"\n",
        )?;
        let buildpack = Buildpack::read(dir.path())?;
        assert_eq!(buildpack.escaped_id(), "example_hello");
        assert!(buildpack.api.at_least(0, 10));
        Ok(())
    }
}
