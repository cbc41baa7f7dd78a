//! Buildpacks ready to run: reading `buildpack.toml`, packaging a compiled binary into a
//! buildpack dir, and building a crate dir with cargo.

use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use std::process::ExitStatus;
use std::sync::Mutex;

use walkdir::WalkDir;

use crate::config::{BuildpackReference, CargoProfile};
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
    /// Fails when `buildpack.toml` is missing or invalid.
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

/// A buildpack reference could not be turned into runnable buildpack dirs.
///
/// Where libcnb-package (0.30.4) reports the same failure, the text is its text word for
/// word (its variant is named in each doc), because test suites match on it.
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
    /// `buildpack.toml` is missing (libcnb-test's `BuildpackDescriptorNotFound`).
    #[error("Couldn't find a buildpack.toml file at {}", path.display())]
    DescriptorNotFound {
        /// Where it was expected.
        path: PathBuf,
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
    /// `bin/detect` or `bin/build` is missing or not executable.
    #[error("buildpack executable {path} is missing or not executable")]
    MissingExecutable {
        /// The expected executable.
        path: PathBuf,
    },
    /// No buildpack of the workspace has the ID (libcnb-test's `BuildpackIdNotFound`).
    #[error("Couldn't find a buildpack with ID '{id}' in the workspace at {}", workspace.display())]
    NotInWorkspace {
        /// The ID.
        id: String,
        /// The workspace root.
        workspace: PathBuf,
    },
    /// Neither a dir nor a buildpack ID found by the search rule of
    /// [`BuildpackReference::Other`].
    #[error(
        "Couldn't find buildpack '{reference}': it is not a directory, and no buildpack with this ID is in CNB_BUILDPACK_PATH ({search_path}) or in the workspace at {}",
        workspace.display()
    )]
    NotFound {
        /// The reference.
        reference: String,
        /// `CNB_BUILDPACK_PATH` as searched.
        search_path: String,
        /// The workspace root searched.
        workspace: PathBuf,
    },
    /// The Cargo workspace root could not be found (libcnb-package's
    /// `FindCargoWorkspaceRootError::CommandFailure`).
    #[error(
        "Couldn't find Cargo workspace root: Unexpected Cargo exit status ({code}) while attempting to read workspace root"
    )]
    WorkspaceRoot {
        /// Cargo's exit code, or `<unknown>`.
        code: String,
    },
    /// `cargo` could not be run (libcnb-package's `BuildError::CargoProcessIoError`).
    #[error("I/O error while running Cargo build process: {source}")]
    RunCargo {
        /// The underlying error.
        source: io::Error,
    },
    /// `cargo metadata` failed, e.g. on an invalid `Cargo.toml` (libcnb-package's
    /// `CargoMetadataError`).
    #[error("Obtaining Cargo metadata failed: `cargo metadata` exited with an error: {stderr}")]
    CargoMetadata {
        /// Cargo's diagnostics.
        stderr: String,
    },
    /// The crate has no bin target (libcnb-package's `NoBinTargets`).
    #[error(
        "Building buildpack binaries failed: Failed to determine Cargo target name for buildpack: No binary targets could be found in Cargo metadata"
    )]
    NoBinary {
        /// The crate dir.
        dir: PathBuf,
    },
    /// Several bin targets, none named like the package (libcnb-package's
    /// `AmbiguousBinTargets`).
    #[error(
        "Building buildpack binaries failed: Failed to determine Cargo target name for buildpack: Ambiguous binary targets found in Cargo metadata"
    )]
    AmbiguousBinary {
        /// The crate dir.
        dir: PathBuf,
    },
    /// `cargo build` failed (libcnb-package's `UnexpectedCargoExitStatus`); cargo's
    /// diagnostics went to stderr, as with libcnb-test.
    #[error(
        "Building buildpack binaries failed: Failed to build binary target {target}: Cargo unexpectedly exited with status {status}"
    )]
    CargoFailed {
        /// The buildpack's bin target.
        target: String,
        /// Cargo's exit status.
        status: ExitStatus,
    },
    /// The target triple is for another architecture than this machine's, where builds run.
    #[error(
        "Couldn't find cross-compilation toolchain.\n\nbuilds run on this {host} machine, so target triple {triple} cannot run here; use a {host} triple"
    )]
    ForeignTriple {
        /// The requested triple.
        triple: String,
        /// The host's architecture.
        host: &'static str,
    },
    /// A composite buildpack's `[[order]]` is empty.
    #[error("composite buildpack {path} has no order group")]
    EmptyComposite {
        /// Its `buildpack.toml`.
        path: PathBuf,
    },
}

/// How crates are packaged, and where packaged buildpacks go.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Packaging<'a> {
    /// The crate of `CurrentCrate`, and where the workspace search starts.
    pub crate_dir: &'a Path,
    /// The cargo profile.
    pub profile: CargoProfile,
    /// The target triple.
    pub target_triple: &'a str,
    /// Where buildpacks are assembled.
    pub work_dir: &'a Path,
}

/// Turns a reference into runnable buildpack dirs (several for a composite buildpack, with
/// their `optional` flags from its order group); packaged dirs are used in place, crates
/// are built and assembled under `work_dir`.
///
/// # Errors
///
/// Fails with libcnb-package's errors where it has them (see [`PrepareBuildpackError`]).
pub(crate) fn prepare(
    reference: &BuildpackReference,
    packaging: &Packaging<'_>,
) -> Result<Vec<Buildpack>, PrepareBuildpackError> {
    match reference {
        BuildpackReference::CurrentCrate => {
            let descriptor = packaging.crate_dir.join("buildpack.toml");
            if !descriptor.is_file() {
                return Err(PrepareBuildpackError::DescriptorNotFound { path: descriptor });
            }
            prepare_dir(packaging.crate_dir, packaging)
        }
        BuildpackReference::WorkspaceBuildpack(id) => {
            let workspace = workspace_root(packaging.crate_dir)?;
            let dir = find_in_workspace(&workspace, id.as_str())?.ok_or_else(|| {
                PrepareBuildpackError::NotInWorkspace {
                    id: id.to_string(),
                    workspace: workspace.clone(),
                }
            })?;
            prepare_dir(&dir, packaging)
        }
        BuildpackReference::Other(text) => {
            let path = packaging.crate_dir.join(text);
            if path.is_dir() {
                return prepare_dir(&path, packaging);
            }
            let dir = find_by_id(text, packaging.crate_dir)?;
            prepare_dir(&dir, packaging)
        }
    }
}

/// A dir holding a buildpack: a composite (`[[order]]`), a crate (`Cargo.toml` and no
/// `bin/build`) or a packaged buildpack.
fn prepare_dir(
    dir: &Path,
    packaging: &Packaging<'_>,
) -> Result<Vec<Buildpack>, PrepareBuildpackError> {
    let descriptor = dir.join("buildpack.toml");
    if !descriptor.is_file() {
        return Err(PrepareBuildpackError::DescriptorNotFound { path: descriptor });
    }
    if let Some(order) = read_descriptor(&descriptor)?.order {
        return prepare_composite(dir, &descriptor, &order, packaging);
    }
    if dir.join("Cargo.toml").is_file() && !dir.join("bin").join("build").exists() {
        let (main, additional) = cargo_build(dir, packaging)?;
        return Ok(vec![package_binary(
            &main,
            &descriptor,
            &additional,
            packaging.work_dir,
        )?]);
    }
    let buildpack = Buildpack::read(dir)?;
    for name in ["detect", "build"] {
        let path = buildpack.dir.join("bin").join(name);
        let executable = fs::metadata(&path)
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0);
        if !executable {
            return Err(PrepareBuildpackError::MissingExecutable { path });
        }
    }
    Ok(vec![buildpack])
}

/// The members of a composite buildpack's first order group, each found through the
/// composite's `package.toml` dependencies (`libcnb:<id>` is a workspace buildpack, any
/// other `uri` a dir relative to the composite) or, failing that, by the search rule.
fn prepare_composite(
    dir: &Path,
    descriptor: &Path,
    order: &[OrderGroup],
    packaging: &Packaging<'_>,
) -> Result<Vec<Buildpack>, PrepareBuildpackError> {
    let group = order
        .first()
        .ok_or_else(|| PrepareBuildpackError::EmptyComposite {
            path: descriptor.to_path_buf(),
        })?;
    let package_toml = dir.join("package.toml");
    let dependencies: Vec<String> = match fs::read_to_string(&package_toml) {
        Ok(text) => toml::from_str::<PackageDescriptor>(&text)
            .map_err(|source| PrepareBuildpackError::InvalidDescriptor {
                path: package_toml.clone(),
                source: TomlError::new(&text, &source),
            })?
            .dependencies
            .into_iter()
            .map(|dependency| dependency.uri)
            .collect(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(source) => {
            return Err(PrepareBuildpackError::Io {
                path: package_toml,
                source,
            });
        }
    };
    let mut members = Vec::new();
    for entry in &group.group {
        let mut member_dir = None;
        for uri in &dependencies {
            if let Some(id) = uri.strip_prefix("libcnb:") {
                if id == entry.id {
                    let workspace = workspace_root(packaging.crate_dir)?;
                    member_dir = find_in_workspace(&workspace, id)?;
                }
            } else if !uri.contains("://") {
                let candidate = dir.join(uri);
                let matches = read_descriptor(&candidate.join("buildpack.toml"))
                    .is_ok_and(|d| d.buildpack.id == entry.id);
                if matches {
                    member_dir = Some(candidate);
                }
            }
            if member_dir.is_some() {
                break;
            }
        }
        let member_dir = match member_dir {
            Some(found) => found,
            None => find_by_id(&entry.id, packaging.crate_dir)?,
        };
        for mut buildpack in prepare_dir(&member_dir, packaging)? {
            buildpack.optional |= entry.optional;
            members.push(buildpack);
        }
    }
    Ok(members)
}

/// Finds a buildpack by ID: in each dir of `CNB_BUILDPACK_PATH`, then in the workspace.
fn find_by_id(id: &str, crate_dir: &Path) -> Result<PathBuf, PrepareBuildpackError> {
    let search_path = std::env::var("CNB_BUILDPACK_PATH").unwrap_or_default();
    if let Some(found) = find_by_id_in(id, &search_path) {
        return Ok(found);
    }
    let workspace = workspace_root(crate_dir)?;
    find_in_workspace(&workspace, id)?.ok_or(PrepareBuildpackError::NotFound {
        reference: id.to_owned(),
        search_path,
        workspace,
    })
}

/// Finds a buildpack by ID in the dirs of a `CNB_BUILDPACK_PATH`-style search path.
fn find_by_id_in(id: &str, search_path: &str) -> Option<PathBuf> {
    for root in search_path.split(':').filter(|dir| !dir.is_empty()) {
        let root = Path::new(root);
        for candidate in [root.join(escape_id(id)), root.join(id), root.to_path_buf()] {
            if descriptor_id(&candidate).as_deref() == Some(id) {
                return Some(candidate);
            }
        }
        // `<id>/<version>/`, as in a builder's `/cnb/buildpacks`.
        if let Ok(versions) = fs::read_dir(root.join(escape_id(id))) {
            let mut versions: Vec<PathBuf> = versions.flatten().map(|e| e.path()).collect();
            versions.sort();
            if let Some(found) = versions
                .into_iter()
                .rev()
                .find(|dir| descriptor_id(dir).as_deref() == Some(id))
            {
                return Some(found);
            }
        }
        if let Ok(entries) = fs::read_dir(root) {
            let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            entries.sort();
            if let Some(found) = entries
                .into_iter()
                .find(|dir| descriptor_id(dir).as_deref() == Some(id))
            {
                return Some(found);
            }
        }
    }
    None
}

/// The `[buildpack] id` of `<dir>/buildpack.toml`, if it reads.
fn descriptor_id(dir: &Path) -> Option<String> {
    read_descriptor(&dir.join("buildpack.toml"))
        .ok()
        .map(|descriptor| descriptor.buildpack.id)
}

fn read_descriptor(path: &Path) -> Result<LooseDescriptor, PrepareBuildpackError> {
    let text = fs::read_to_string(path).map_err(io_error(path))?;
    toml::from_str(&text).map_err(|source| PrepareBuildpackError::InvalidDescriptor {
        path: path.to_path_buf(),
        source: TomlError::new(&text, &source),
    })
}

/// The root of the Cargo workspace holding `dir`, as libcnb-package finds it
/// (`cargo locate-project --workspace`).
fn workspace_root(dir: &Path) -> Result<PathBuf, PrepareBuildpackError> {
    let output = Command::new(cargo())
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| PrepareBuildpackError::RunCargo { source })?;
    if !output.status.success() {
        return Err(PrepareBuildpackError::WorkspaceRoot {
            code: output
                .status
                .code()
                .map_or_else(|| "<unknown>".to_owned(), |code| code.to_string()),
        });
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    Ok(manifest
        .parent()
        .map_or_else(|| dir.to_path_buf(), Path::to_path_buf))
}

/// The dir of the workspace buildpack with `id`: crates (with `Cargo.toml`) before other
/// dirs, in path order; `target` and hidden dirs are skipped.
fn find_in_workspace(workspace: &Path, id: &str) -> Result<Option<PathBuf>, PrepareBuildpackError> {
    let mut found: Vec<PathBuf> = Vec::new();
    let walk = WalkDir::new(workspace)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            let name = entry.file_name().to_string_lossy();
            entry.depth() == 0 || !(name == "target" || name.starts_with('.'))
        });
    for entry in walk {
        let entry = entry.map_err(|error| PrepareBuildpackError::Io {
            path: workspace.to_path_buf(),
            source: error.into(),
        })?;
        if entry.file_name() == "buildpack.toml" && entry.file_type().is_file() {
            let dir = entry.path().parent().unwrap_or(workspace);
            if descriptor_id(dir).as_deref() == Some(id) {
                found.push(dir.to_path_buf());
            }
        }
    }
    found.sort_by_key(|dir| !dir.join("Cargo.toml").is_file());
    Ok(found.into_iter().next())
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

#[derive(Deserialize)]
struct LooseDescriptor {
    buildpack: LooseBuildpack,
    order: Option<Vec<OrderGroup>>,
}

#[derive(Deserialize)]
struct LooseBuildpack {
    id: String,
}

#[derive(Deserialize)]
struct OrderGroup {
    #[serde(default)]
    group: Vec<OrderEntry>,
}

#[derive(Deserialize)]
struct OrderEntry {
    id: String,
    #[serde(default)]
    optional: bool,
}

#[derive(Deserialize)]
struct PackageDescriptor {
    #[serde(default)]
    dependencies: Vec<PackageDependency>,
}

#[derive(Deserialize)]
struct PackageDependency {
    uri: String,
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
struct CargoMetadata {
    packages: Vec<CargoPackage>,
}

#[derive(Deserialize)]
struct CargoPackage {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<CargoTarget>,
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

/// The binaries of one `cargo build` of a crate, kept for the rest of the test process.
type Binaries = (PathBuf, Vec<(String, PathBuf)>);

/// Crates already built by this process: `cargo test` runs tests on several threads, and
/// each would otherwise wait for cargo's lock on the target dir only to find nothing to do.
static BUILT: Mutex<Vec<((PathBuf, CargoProfile), Binaries)>> = Mutex::new(Vec::new());

/// The bin target names of the crate (libcnb-package: the only bin target, else the one
/// named like the package) and whether the rest are additional binaries.
fn cargo_bin_targets(
    manifest: &Path,
    dir: &Path,
) -> Result<(String, Vec<String>), PrepareBuildpackError> {
    let output = Command::new(cargo())
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(manifest)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| PrepareBuildpackError::RunCargo { source })?;
    if !output.status.success() {
        return Err(PrepareBuildpackError::CargoMetadata {
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let metadata: CargoMetadata = serde_json::from_slice(&output.stdout).map_err(|error| {
        PrepareBuildpackError::CargoMetadata {
            stderr: error.to_string(),
        }
    })?;
    let package = metadata
        .packages
        .into_iter()
        .find(|package| package.manifest_path == manifest)
        .ok_or_else(|| PrepareBuildpackError::NoBinary {
            dir: dir.to_path_buf(),
        })?;
    let mut bins: Vec<String> = package
        .targets
        .into_iter()
        .filter(|target| target.kind.iter().any(|kind| kind == "bin"))
        .map(|target| target.name)
        .collect();
    let main = match bins.len() {
        0 => {
            return Err(PrepareBuildpackError::NoBinary {
                dir: dir.to_path_buf(),
            });
        }
        1 => 0,
        _ => bins
            .iter()
            .position(|name| *name == package.name)
            .ok_or_else(|| PrepareBuildpackError::AmbiguousBinary {
                dir: dir.to_path_buf(),
            })?,
    };
    let main = bins.remove(main);
    Ok((main, bins))
}

/// Builds the crate's bin targets, as libcnb-package does (`--locked` under CI), and returns
/// its buildpack binary and the additional ones. Builds run on this machine, so a triple of
/// the host's architecture is built for the host (no `--target`: its standard library need
/// not be installed, and the binaries `cargo test` built are reused).
fn cargo_build(dir: &Path, packaging: &Packaging<'_>) -> Result<Binaries, PrepareBuildpackError> {
    let host = std::env::consts::ARCH;
    let triple_arch = packaging
        .target_triple
        .split('-')
        .next()
        .unwrap_or_default();
    if triple_arch != host {
        return Err(PrepareBuildpackError::ForeignTriple {
            triple: packaging.target_triple.to_owned(),
            host,
        });
    }
    let manifest = dir
        .join("Cargo.toml")
        .canonicalize()
        .map_err(io_error(dir))?;
    let key = (manifest.clone(), packaging.profile);
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, binaries)) = built.iter().find(|(k, _)| *k == key) {
        return Ok(binaries.clone());
    }
    let (main, additional) = cargo_bin_targets(&manifest, dir)?;
    let mut command = Command::new(cargo());
    dies_with_parent(&mut command)
        .arg("build")
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--bins")
        .arg("--message-format=json-render-diagnostics")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    if std::env::var_os("CI").is_some() {
        command.arg("--locked");
    }
    if packaging.profile == CargoProfile::Release {
        command.arg("--release");
    }
    let output = command
        .output()
        .map_err(|source| PrepareBuildpackError::RunCargo { source })?;
    if !output.status.success() {
        return Err(PrepareBuildpackError::CargoFailed {
            target: main,
            status: output.status,
        });
    }
    let mut executables = Vec::new();
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
            executables.push((target.name, executable));
        }
    }
    let find = |name: &str| {
        executables
            .iter()
            .find(|(target, _)| target == name)
            .map(|(_, path)| path.clone())
            .ok_or_else(|| PrepareBuildpackError::NoBinary {
                dir: dir.to_path_buf(),
            })
    };
    let main_path = find(&main)?;
    let mut extra = Vec::new();
    for name in additional {
        let path = find(&name)?;
        extra.push((name, path));
    }
    let binaries = (main_path, extra);
    built.push((key, binaries.clone()));
    Ok(binaries)
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

    fn packaged(dir: &Path, id: &str) {
        fs::create_dir_all(dir.join("bin")).unwrap();
        fs::write(
            dir.join("buildpack.toml"),
            format!("api = \"0.10\"\n[buildpack]\nid = \"{id}\"\nversion = \"1\"\n"),
        )
        .unwrap();
        for name in ["detect", "build"] {
            fs::write(dir.join("bin").join(name), "#!/bin/sh\n").unwrap();
            fs::set_permissions(
                dir.join("bin").join(name),
                fs::Permissions::from_mode(0o755),
            )
            .unwrap();
        }
    }

    #[test]
    fn composite_buildpacks_become_their_first_group() {
        let root = tempfile::tempdir().unwrap();
        let meta = root.path().join("meta");
        fs::create_dir(&meta).unwrap();
        fs::write(
            meta.join("buildpack.toml"),
            "api = \"0.10\"\n[buildpack]\nid = \"a/meta\"\nversion = \"1\"\n[[order]]\n[[order.group]]\nid = \"a/one\"\nversion = \"1\"\n[[order.group]]\nid = \"a/two\"\nversion = \"1\"\noptional = true\n",
        )
        .unwrap();
        fs::write(
            meta.join("package.toml"),
            "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../one\"\n[[dependencies]]\nuri = \"../two\"\n",
        )
        .unwrap();
        packaged(&root.path().join("one"), "a/one");
        packaged(&root.path().join("two"), "a/two");
        let packaging = Packaging {
            crate_dir: root.path(),
            profile: CargoProfile::Dev,
            target_triple: "x86_64-unknown-linux-musl",
            work_dir: root.path(),
        };
        let group = prepare_dir(&meta, &packaging).unwrap();
        let members: Vec<(&str, bool)> = group
            .iter()
            .map(|bp| (bp.id.as_str(), bp.optional))
            .collect();
        assert_eq!(members, [("a/one", false), ("a/two", true)]);
    }

    #[test]
    fn ids_are_found_in_the_buildpack_search_path() {
        let root = tempfile::tempdir().unwrap();
        packaged(&root.path().join("a_one"), "a/one");
        let found = find_by_id_in("a/one", root.path().to_str().unwrap());
        assert_eq!(found.as_deref(), Some(root.path().join("a_one").as_path()));
        assert_eq!(find_by_id_in("a/none", root.path().to_str().unwrap()), None);
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
        let additional = [("helper".to_owned(), helper)];
        let buildpack = package_binary(&binary, &descriptor, &additional, work.path()).unwrap();
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
        let packaging = Packaging {
            crate_dir: dir.path(),
            profile: CargoProfile::Dev,
            target_triple: "x86_64-unknown-linux-musl",
            work_dir: dir.path(),
        };
        let error = prepare_dir(dir.path(), &packaging).unwrap_err();
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
