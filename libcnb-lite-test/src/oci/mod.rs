//! The built image as a real OCI image layout (image spec v1.1), Docker-free:
//! `oci-layout`, `index.json` and `blobs/sha256/…`, readable by `skopeo`, `umoci` and any
//! registry client.
//!
//! [`write_image`] turns the image committed in a state dir into a layout. Layers, bottom
//! first: the run image's (copied blob for blob, digests checked; none for a scratch image),
//! one per launch layer of each buildpack (`/layers/<esc-bp-id>/<layer>/…`), the launch SBOM
//! layer (`/layers/sbom/launch/…`) when there is one, and the app (`/workspace/…`). Layers
//! are uncompressed tars (`application/vnd.oci.image.layer.v1.tar`), so a layer's blob
//! digest is its diff ID.
//!
//! # Reproducibility
//!
//! Every entry has the mtime 1980-01-01T00:00:01Z and the CNB user as owner (the lifecycle's
//! rules), entries are in lexical order, the config's `created` time is the same 1980 time,
//! and JSON keys are sorted. The same inputs give the same manifest digest; a rebuild in which
//! one layer changed changes that layer's blob, the config (diff IDs, labels) and the manifest,
//! and nothing else.
//!
//! # The entrypoint: no launcher
//!
//! A lifecycle image starts `/cnb/process/<type>`, a link to `/cnb/lifecycle/launcher`,
//! which computes the launch env, runs exec.d programs and then `exec`s the process. The
//! harness has no launcher binary, so the image does statically what the launcher would do
//! for the **default process**:
//!
//! - `Entrypoint` is the process's `command`, `Cmd` its `args` (arguments given to
//!   `docker run`/`runc` replace them, as they replace a CNB process's `args`);
//! - `Env` is the run image's env with the launch layers' env applied as the launcher
//!   applies it ([platform spec: Launch Environment](https://github.com/buildpacks/spec/blob/main/platform.md#launch-environment):
//!   `bin` → `PATH`, `lib` → `LD_LIBRARY_PATH`, then `env/`, `env.launch/`,
//!   `env.launch/<default type>/`), with paths under `/layers`;
//! - `WorkingDir` is `/workspace`, or the process's `working-dir`.
//!
//! Differences from a lifecycle image: exec.d programs are not run (their paths are
//! returned as warnings), other process types are not startable by name (they are listed in
//! the `io.buildpacks.build.metadata` label), env given at run time overrides the image env
//! instead of being modified by the layers' env files, and the image has no `CNB_*` variables
//! or `/cnb` dirs. An env value a buildpack wrote with the harness's layers or workspace
//! path (`<state>/build/layers`, `<state>/build/workspace`) is rewritten to `/layers` or
//! `/workspace`; files *inside* layers are not rewritten, so a layer that embeds its own
//! absolute path (a Python venv, a shebang) only works in the image when the build's
//! paths were `/layers` and `/workspace` too.
//!
//! # Failure
//!
//! Blobs are written to temporary files, renamed to their digest when complete, and
//! `index.json` is written last, atomically: a layout without `index.json` is not an image,
//! so an interrupted or failed write (a full disk) never leaves something that looks like
//! one. On failure the blobs written so far are removed as well.

mod blobs;
mod layer;
mod registry;
mod run_image;
mod spec;
mod testing;

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::archive::{ArchiveError, DiffId};
use crate::env::{Env, ReadEnvDirError};
use crate::launch::apply_launch_layers;
use crate::lock::{LockError, WhenLocked, lock_dir};
use crate::state::{ImageMetadata, Open, ShaRef, StateDir, StateError};
use blobs::Blobs;
use layer::EnvCapture;
pub use registry::{PublishError, PublishedImage, RegistryOptions, publish};
pub use run_image::{ParseRunImageError, RunImage};
use spec::{
    CREATED, Descriptor, History, ImageConfig, Index, Layout, MEDIA_TYPE_CONFIG, MEDIA_TYPE_INDEX,
    MEDIA_TYPE_MANIFEST, Manifest, REF_NAME, RootFs, RuntimeConfig,
};
pub use testing::{BUSYBOX, run_with_runc, tools_available, write_busybox_image};

/// The ref name the image's manifest gets in `index.json` (`oci:DIR:latest`).
pub const REF: &str = "latest";

/// Writing an OCI image failed.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The output dir exists and is not empty.
    #[error(
        "{path} exists and is not an empty dir; refusing to write an image there (choose a new or empty dir, or delete it)"
    )]
    OutputNotEmpty {
        /// The output dir.
        path: PathBuf,
    },
    /// Another export (or, for the state dir, a build) holds the dir.
    #[error(
        "{path} is in use by another export; wait for it to finish (or let this run wait for it), or choose another dir"
    )]
    Busy {
        /// The locked dir.
        path: PathBuf,
    },
    /// The state dir holds no image.
    #[error("no image in state dir {path}; build first")]
    NoImage {
        /// The state dir.
        path: PathBuf,
    },
    /// The state dir cannot be used.
    #[error(transparent)]
    State(#[from] StateError),
    /// The run image is not a usable OCI image layout.
    #[error("invalid run image: {path} {problem}")]
    RunImage {
        /// The dir or file at fault.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A file of the run image cannot be read.
    #[error("invalid run image: cannot read {path}")]
    RunImageIo {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A layer blob of the state dir cannot be read (or is not a tar).
    #[error("cannot read image layer {path}")]
    ReadLayer {
        /// The blob (or, for a base image, the file being archived).
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The rootfs of a base image holds what a layer may not (a symlinked root, a device).
    #[error("cannot use the rootfs")]
    RootFs(#[source] ArchiveError),
    /// A layer's env dir cannot be read.
    #[error(transparent)]
    Env(#[from] ReadEnvDirError),
    /// A file of the image cannot be written (a full disk, no permission).
    #[error("cannot write {path}")]
    Write {
        /// The file or dir.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// What [`write_image`] needs besides the state dir.
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::oci::{ImageOptions, RunImage};
///
/// let scratch = ImageOptions::new();
/// let on_busybox = ImageOptions::new().run_image(RunImage::new("images/busybox", None));
/// assert!(scratch.run_image_ref().is_none() && on_busybox.run_image_ref().is_some());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageOptions {
    run_image: Option<RunImage>,
    when_locked: WhenLocked,
}

impl ImageOptions {
    /// A scratch image: no run image layers.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds on `run_image`: its layers come first, its config is the base.
    #[must_use]
    pub fn run_image(mut self, run_image: RunImage) -> Self {
        self.run_image = Some(run_image);
        self
    }

    /// What to do when another process holds the state dir or the output dir: wait (the
    /// default, saying so on stderr) or fail at once ([`ImageError::Busy`]).
    #[must_use]
    pub fn when_locked(mut self, when: WhenLocked) -> Self {
        self.when_locked = when;
        self
    }

    /// The run image, if any.
    #[must_use]
    pub fn run_image_ref(&self) -> Option<&RunImage> {
        self.run_image.as_ref()
    }
}

/// One layer of a written image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLayer {
    /// What it holds: `run-image[<n>]`, `<bp-id>:<layer>`, `sbom` or `app`.
    pub name: String,
    /// `sha256:<hex>` of the blob (for the uncompressed layers written here, also the diff ID).
    pub digest: String,
    /// The blob's size in bytes.
    pub size: u64,
}

/// A written image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenImage {
    /// The layout dir.
    pub path: PathBuf,
    /// The manifest's digest: the image's identity.
    pub manifest_digest: String,
    /// The config's digest (`skopeo inspect`'s and `docker images`' image ID).
    pub config_digest: String,
    /// The layers, bottom first.
    pub layers: Vec<ImageLayer>,
    /// What the image does not do that a lifecycle image would (exec.d programs).
    pub warnings: Vec<String>,
}

impl WrittenImage {
    /// The layer named `name` (`<bp-id>:<layer>`, `sbom`, `app`, `run-image[<n>]`).
    #[must_use]
    pub fn layer(&self, name: &str) -> Option<&ImageLayer> {
        self.layers.iter().find(|layer| layer.name == name)
    }
}

/// Checks that `output` can receive an image: missing, or an empty dir.
///
/// # Errors
///
/// Fails when it exists and is not an empty dir.
pub fn check_output(output: &Path) -> Result<(), ImageError> {
    let usable = match fs::read_dir(output) {
        Ok(mut entries) => entries.next().is_none(),
        Err(error) => error.kind() == io::ErrorKind::NotFound,
    };
    if usable {
        Ok(())
    } else {
        Err(ImageError::OutputNotEmpty {
            path: output.to_path_buf(),
        })
    }
}

/// Writes the image committed in `state_dir` (by the last successful build) as an OCI image
/// layout at `output`, which must be missing or an empty dir.
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::oci::{ImageOptions, write_image};
/// use libcnb_lite_test::{BuildConfig, BuildpackReference, Quiet, run};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let mut config = BuildConfig::new("heroku/builder:24", "tests/fixtures/app");
/// config.buildpacks([BuildpackReference::Other("tests/fixtures/layers".into())]);
/// run(&config, &dir.path().join("state"), &Quiet)?;
///
/// let image = write_image(&dir.path().join("state"), &dir.path().join("image"), &ImageOptions::new())?;
/// assert!(dir.path().join("image/index.json").is_file());
/// assert_eq!(image.layers.last().map(|layer| layer.name.as_str()), Some("app"));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// Fails when `output` is not empty, the state dir has no image, the run image is missing
/// or invalid (no `index.json`, no manifest, an unsupported media type, a digest mismatch),
/// or a file cannot be read or written. Nothing that looks like an image is left behind.
pub fn write_image(
    state_dir: &Path,
    output: &Path,
    options: &ImageOptions,
) -> Result<WrittenImage, ImageError> {
    if !state_dir.join(crate::state::MARKER).is_file() {
        return Err(ImageError::NoImage {
            path: state_dir.to_path_buf(),
        });
    }
    let waiting = |dir: &Path| {
        let dir = dir.display().to_string();
        move || eprintln!("Waiting: {dir} is in use by another build, export or launch")
    };
    let state = StateDir::open_with(
        state_dir,
        Open::Existing,
        options.when_locked,
        &waiting(state_dir),
    )?;
    let metadata = state.image_metadata()?.ok_or_else(|| ImageError::NoImage {
        path: state.path().to_path_buf(),
    })?;
    let base = options
        .run_image
        .as_ref()
        .map(run_image::read)
        .transpose()?;
    let written = with_output(output, options.when_locked, &waiting(output), |blobs| {
        write_layers_and_config(&state, &metadata, base.as_ref(), blobs)
    })?;
    // Containers of this state dir start on the run image the image was written on.
    crate::container::record_run_image(&state, options.run_image.as_ref())?;
    Ok(written)
}

/// Reads and checks a run image without writing anything, to fail before a build.
///
/// # Errors
///
/// Fails as [`write_image`] does for a missing or invalid run image.
pub fn check_run_image(run_image: &RunImage) -> Result<(), ImageError> {
    run_image::read(run_image).map(drop)
}

/// Writes a base image (to use as a run image) whose single layer holds the contents of
/// `rootfs`, owned by root, with the mtimes normalised; `env` is its `Env` (`NAME=value`).
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::oci::write_rootfs_image;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("rootfs/etc"))?;
/// std::fs::write(dir.path().join("rootfs/etc/motd"), "hello\n")?;
/// let image = write_rootfs_image(&dir.path().join("rootfs"), &dir.path().join("base"), &["PATH=/bin".into()])?;
/// assert_eq!(image.layers.len(), 1);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// Fails when `output` is not empty or a file cannot be read or written.
pub fn write_rootfs_image(
    rootfs: &Path,
    output: &Path,
    env: &[String],
) -> Result<WrittenImage, ImageError> {
    with_output(output, WhenLocked::Wait, &|| {}, |blobs| {
        let layer = layer::from_dir(rootfs, blobs)?;
        let config = ImageConfig {
            created: Some(CREATED.into()),
            architecture: host_architecture().into(),
            os: "linux".into(),
            config: RuntimeConfig {
                env: env.to_vec(),
                ..RuntimeConfig::default()
            },
            rootfs: RootFs {
                diff_ids: vec![layer.digest.clone()],
                ..RootFs::default()
            },
            ..ImageConfig::default()
        };
        let layers = vec![ImageLayer {
            name: "rootfs".into(),
            digest: layer.digest.clone(),
            size: layer.size,
        }];
        Ok((config, vec![layer], layers, Vec::new()))
    })
}

type Parts = (ImageConfig, Vec<Descriptor>, Vec<ImageLayer>, Vec<String>);

/// Locks `output` (creating it), checks under the lock that it is empty, runs `write` for
/// the layers and config, writes the manifest, then `oci-layout` and `index.json`; removes
/// what it wrote when anything fails.
fn with_output(
    output: &Path,
    when: WhenLocked,
    waiting: &dyn Fn(),
    write: impl FnOnce(&Blobs) -> Result<Parts, ImageError>,
) -> Result<WrittenImage, ImageError> {
    check_output(output)?;
    let created = !output.exists();
    // Two exports into one dir: the second waits here, then finds the dir not empty.
    let _lock = lock_dir(output, when, waiting).map_err(|error| match error {
        LockError::Busy { path } => ImageError::Busy { path },
        LockError::Io { path, source } => ImageError::Write { path, source },
    })?;
    check_output(output)?;
    let result = Blobs::create(output).and_then(|blobs| {
        let (config, layer_descriptors, layers, warnings) = write(&blobs)?;
        let config = blobs.write_json(&config, MEDIA_TYPE_CONFIG)?;
        let manifest = blobs.write_json(
            &Manifest {
                schema_version: 2,
                media_type: Some(MEDIA_TYPE_MANIFEST.into()),
                config: config.clone(),
                layers: layer_descriptors,
            },
            MEDIA_TYPE_MANIFEST,
        )?;
        write_json_file(
            &output.join("oci-layout"),
            &Layout {
                image_layout_version: "1.0.0".into(),
            },
        )?;
        let mut entry = manifest.clone();
        entry.annotations.insert(REF_NAME.into(), REF.into());
        write_json_file(
            &output.join("index.json"),
            &Index {
                schema_version: 2,
                media_type: Some(MEDIA_TYPE_INDEX.into()),
                manifests: vec![entry],
            },
        )?;
        Ok(WrittenImage {
            path: output.to_path_buf(),
            manifest_digest: manifest.digest,
            config_digest: config.digest,
            layers,
            warnings,
        })
    });
    if result.is_err() {
        // Only what this call wrote: index.json was not written, the dir was empty.
        let _ = fs::remove_dir_all(output.join("blobs"));
        let _ = fs::remove_file(output.join("oci-layout"));
        if created {
            let _ = fs::remove_dir(output);
        }
    }
    result
}

fn write_json_file(path: &Path, value: &impl serde::Serialize) -> Result<(), ImageError> {
    let write_error = |source| ImageError::Write {
        path: path.to_path_buf(),
        source,
    };
    let bytes = serde_json::to_vec(value).map_err(|error| write_error(error.into()))?;
    crate::fs::write_atomically(path, &bytes).map_err(write_error)
}

/// Writes the run image's layers, the buildpack layers, the SBOM and the app, and builds
/// the config.
fn write_layers_and_config(
    state: &StateDir,
    metadata: &ImageMetadata,
    base: Option<&run_image::BaseImage>,
    blobs: &Blobs,
) -> Result<Parts, ImageError> {
    let mut descriptors = Vec::new();
    let mut layers = Vec::new();
    let mut config = base.map(|base| base.config.clone()).unwrap_or_default();
    if let Some(base) = base {
        run_image::copy_layers(base, blobs)?;
        for (n, descriptor) in base.layers.iter().enumerate() {
            layers.push(ImageLayer {
                name: format!("run-image[{n}]"),
                digest: descriptor.digest.clone(),
                size: descriptor.size,
            });
            descriptors.push(descriptor.clone());
        }
    }
    let base_layers = descriptors.len();
    let scratch = tempfile::tempdir().map_err(|source| ImageError::Write {
        path: std::env::temp_dir(),
        source,
    })?;
    let mut capture = EnvCapture {
        root: scratch.path().join("layers"),
        exec_d: Vec::new(),
    };
    let mut label = metadata.clone();
    {
        let mut add = |name: String,
                       sha: &str,
                       prefix: &str,
                       capture: Option<&mut EnvCapture>|
         -> Result<String, ImageError> {
            let blob = DiffId::parse(sha).map_or_else(PathBuf::new, |d| state.image_blob(&d));
            let descriptor = layer::rewrite(&blob, prefix, blobs, capture)?;
            let digest = descriptor.digest.clone();
            layers.push(ImageLayer {
                name,
                digest: digest.clone(),
                size: descriptor.size,
            });
            descriptors.push(descriptor);
            Ok(digest)
        };
        for buildpack in &mut label.buildpacks {
            for (name, record) in &mut buildpack.layers {
                let id = format!("{}:{name}", buildpack.key);
                record.sha = add(id, &record.sha, "layers", Some(&mut capture))?;
            }
        }
        if let Some(sbom) = &mut label.sbom {
            sbom.sha = add("sbom".into(), &sbom.sha, "layers", None)?;
        }
        for app in &mut label.app {
            app.sha = add("app".into(), &app.sha, "workspace", None)?;
        }
    }

    set_runtime_config(&mut config, state, metadata, &label, base, &capture.root)?;
    config.created = Some(CREATED.into());
    if config.architecture.is_empty() {
        config.architecture = host_architecture().into();
    }
    if config.os.is_empty() {
        config.os = "linux".into();
    }
    let ours = &layers[base_layers..];
    config
        .rootfs
        .diff_ids
        .extend(ours.iter().map(|layer| layer.digest.clone()));
    // History must list one non-empty entry per layer, or none at all.
    let base_history = config.history.iter().filter(|h| !h.empty_layer).count();
    if base_history == base_layers && !(config.history.is_empty() && base_layers > 0) {
        config.history.extend(ours.iter().map(|layer| History {
            created: Some(CREATED.into()),
            created_by: Some(format!("cnb-local: {}", layer.name)),
            comment: None,
            empty_layer: false,
        }));
    } else {
        config.history.clear();
    }
    let warnings = capture
        .exec_d
        .iter()
        .map(|program| {
            format!("exec.d program {program} is not run: the image starts its process without a launcher")
        })
        .collect();
    Ok((config, descriptors, layers, warnings))
}

/// Sets what starts the default process: `Entrypoint`, `Cmd`, `WorkingDir`, the launch env
/// (over the run image's) and the labels.
fn set_runtime_config(
    config: &mut ImageConfig,
    state: &StateDir,
    metadata: &ImageMetadata,
    label: &ImageMetadata,
    base: Option<&run_image::BaseImage>,
    captured_layers: &Path,
) -> Result<(), ImageError> {
    let process = metadata
        .default_process
        .as_deref()
        .and_then(|t| metadata.processes.iter().find(|p| p.r#type == t));
    let mut env = Env::new();
    for pair in &config.config.env {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        env.insert(name, value);
    }
    apply_launch_layers(
        &mut env,
        metadata,
        captured_layers,
        process.map(|p| &*p.r#type),
    )?;
    let build_dirs = crate::lifecycle::BuildDirs::of(state);
    let rewrites = [
        (captured_layers.as_os_str(), "/layers"),
        (build_dirs.layers.as_os_str(), "/layers"),
        (build_dirs.workspace.as_os_str(), "/workspace"),
    ];
    config.config.env = env
        .iter()
        .map(|(name, value)| {
            let mut value = value.to_string_lossy().into_owned();
            for (from, to) in rewrites {
                value = value.replace(&*from.to_string_lossy(), to);
            }
            format!("{}={value}", name.to_string_lossy())
        })
        .collect();

    let runtime = &mut config.config;
    runtime.entrypoint = process.map(|p| p.command.clone());
    runtime.cmd = process.map(|p| p.args.clone());
    runtime.working_dir = Some(match process.and_then(|p| p.working_dir.as_deref()) {
        Some(dir) if dir.starts_with('/') => dir.to_owned(),
        Some(dir) => format!("/workspace/{dir}"),
        None => "/workspace".to_owned(),
    });
    runtime.labels.extend(metadata.labels.clone());
    runtime
        .labels
        .extend(buildpacks_labels(label, metadata, base));
    Ok(())
}

/// The `io.buildpacks.*` labels the lifecycle writes that apply here.
fn buildpacks_labels(
    label: &ImageMetadata,
    metadata: &ImageMetadata,
    base: Option<&run_image::BaseImage>,
) -> BTreeMap<String, String> {
    // `io.buildpacks.lifecycle.metadata`: the layers with their image diff IDs.
    let mut lifecycle = json!({
        "app": label.app,
        "buildpacks": label.buildpacks,
    });
    if let Some(sbom) = &label.sbom {
        lifecycle["sbom"] = json!(ShaRef {
            sha: sbom.sha.clone()
        });
    }
    if let Some(base) = base {
        lifecycle["runImage"] = json!({
            "topLayer": base.config.rootfs.diff_ids.last(),
            "reference": base.manifest_digest,
        });
    }
    // `io.buildpacks.build.metadata`: buildpacks and processes, in the lifecycle's shape
    // (no `launcher`: there is none).
    let processes: Vec<Value> = metadata
        .processes
        .iter()
        .map(|p| {
            let mut process = json!({
                "type": p.r#type,
                "command": p.command,
                "args": p.args,
                "direct": true,
                "buildpackID": p.buildpack_id,
            });
            if p.default {
                process["default"] = json!(true);
            }
            if let Some(dir) = &p.working_dir {
                process["working-dir"] = json!(dir);
            }
            process
        })
        .collect();
    let mut build = json!({
        "buildpacks": metadata.buildpacks.iter().map(|bp| json!({
            "id": bp.key,
            "version": bp.version,
        })).collect::<Vec<_>>(),
        "processes": processes,
    });
    if let Some(default) = &metadata.default_process {
        build["buildpack-default-process-type"] = json!(default);
    }
    BTreeMap::from([
        (
            "io.buildpacks.lifecycle.metadata".into(),
            lifecycle.to_string(),
        ),
        ("io.buildpacks.build.metadata".into(), build.to_string()),
        ("io.buildpacks.project.metadata".into(), "{}".into()),
    ])
}

/// The OCI name of this machine's architecture.
fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}
