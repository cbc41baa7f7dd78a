//! One build, as `pack build` runs it: prepare buildpacks and the work dirs, detect,
//! restore, build, export, cache.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::archive::{DiffId, Owner};
use crate::build::{self, BuildError};
use crate::buildpack::{self, Buildpack, Packaging, PrepareBuildpackError};
use crate::cache::{self, CacheInput};
use crate::config::{BuildConfig, BuildpackReference, PlatformApi};
use crate::detect::{self, DetectError, DetectRun};
use crate::env::{Env, InvocationContext};
use crate::export::{self, ExportError, ExportInput};
use crate::output::{Log, Observer, Output};
use crate::report::{BuildReport, Timings};
use crate::restore::{self, RestoreError, RestoreInput};
use crate::sandbox::{Sandbox, SandboxError};
use crate::snapshot::{self, Previous, SNAPSHOT_FILE, Snapshot, Trees};
use crate::state::{Open, StateDir, StateError};

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// The app dir is missing.
    #[error("app dir {path} does not exist or is not a directory")]
    MissingAppDir {
        /// The app dir.
        path: PathBuf,
    },
    /// The group is empty.
    #[error("no buildpacks given; a build needs at least one")]
    NoBuildpacks,
    /// The state dir cannot be used.
    #[error(transparent)]
    State(#[from] StateError),
    /// A buildpack could not be packaged or found. The message starts as libcnb-test's
    /// panics do: `Error packaging current crate as buildpack`, `Error packaging buildpack
    /// '<id>'`, or `Error preparing buildpack '<reference>'` for
    /// [`BuildpackReference::Other`].
    #[error("{}", prepare_context(reference))]
    Prepare {
        /// The group member.
        reference: BuildpackReference,
        /// What failed.
        source: PrepareBuildpackError,
    },
    /// Detection failed.
    #[error(transparent)]
    Detect(#[from] DetectError),
    /// Restoring failed.
    #[error(transparent)]
    Restore(#[from] RestoreError),
    /// A buildpack's build failed.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Export failed.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// The sandbox could not be prepared.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// A work dir could not be prepared.
    #[error("cannot prepare build dir {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

fn prepare_context(reference: &BuildpackReference) -> String {
    match reference {
        BuildpackReference::CurrentCrate => "Error packaging current crate as buildpack".into(),
        BuildpackReference::WorkspaceBuildpack(id) => format!("Error packaging buildpack '{id}'"),
        BuildpackReference::Other(other) => format!("Error preparing buildpack '{other}'"),
    }
}

/// A failed build: the error plus everything printed before it.
#[derive(Debug, thiserror::Error)]
#[error("build failed")]
pub struct BuildFailure {
    /// What failed.
    #[source]
    pub error: Box<LifecycleError>,
    /// Output captured up to the failure.
    pub output: Output,
}

/// The previous build's layers dir while restore picks from it (then removed).
const PREVIOUS_LAYERS: &str = "layers.previous";
/// The file whose mtime shows the build dir's file-system clock (see [`snapshot`]).
const CLOCK_FILE: &str = "clock";

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> LifecycleError + '_ {
    move |source| LifecycleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The dirs of a build, under `<state>/build/`. Their paths stay the same from one build
/// to the next, as `/layers` and `/workspace` do in a real build, so paths a buildpack
/// writes into its layers remain valid after a restore.
#[derive(Debug, Clone)]
pub(crate) struct BuildDirs {
    /// `<layers>`.
    pub layers: PathBuf,
    /// The app work dir (a copy of the app dir).
    pub workspace: PathBuf,
    /// `<platform>`.
    pub platform: PathBuf,
    /// The build-config dir (`CNB_BUILD_CONFIG_DIR`).
    pub build_config: PathBuf,
    /// Where binaries and crates are packaged into buildpack dirs.
    pub buildpacks: PathBuf,
    /// Plan dirs and other temporary files of detect and build: inside the state dir, so
    /// the next build removes what a killed one left.
    pub tmp: PathBuf,
}

impl BuildDirs {
    /// The dirs of `state`.
    #[must_use]
    pub(crate) fn of(state: &StateDir) -> Self {
        let root = state.path().join("build");
        Self {
            layers: root.join("layers"),
            workspace: root.join("workspace"),
            platform: root.join("platform"),
            build_config: root.join("build-config"),
            buildpacks: root.join("buildpacks"),
            tmp: root.join("tmp"),
        }
    }

    /// Empties the build root for a new build, but moves the previous layers dir aside
    /// (returned with its snapshot, for restore to keep what it proves unchanged) and keeps
    /// the workspace (for [`sync_tree`]); read-only dirs are removed too.
    pub(crate) fn recreate(&self, state: &StateDir) -> Result<Previous, LifecycleError> {
        let root = state.path().join("build");
        // Processes a killed run left behind go first (they may still write in there).
        crate::leftovers::kill(&root);
        let previous = root.join(PREVIOUS_LAYERS);
        crate::fs::remove_dir_forcibly(&previous).map_err(io_error(&previous))?;
        let snapshot = Snapshot::load(&root.join(SNAPSHOT_FILE));
        if fs::symlink_metadata(&self.layers).is_ok_and(|meta| meta.is_dir()) {
            fs::rename(&self.layers, &previous).map_err(io_error(&self.layers))?;
        }
        let workspace_is_dir =
            fs::symlink_metadata(&self.workspace).is_ok_and(|meta| meta.is_dir());
        match fs::read_dir(&root) {
            Ok(entries) => {
                for entry in entries {
                    let path = entry.map_err(io_error(&root))?.path();
                    let keep = path == previous || (path == self.workspace && workspace_is_dir);
                    if !keep {
                        crate::fs::remove_dir_forcibly(&path).map_err(io_error(&path))?;
                    }
                }
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(LifecycleError::Io { path: root, source }),
        }
        for dir in [
            &self.layers,
            &self.workspace,
            &self.platform.join("env"),
            &self.build_config.join("env"),
            &self.buildpacks,
            &self.tmp,
        ] {
            fs::create_dir_all(dir).map_err(io_error(dir))?;
        }
        crate::leftovers::record(&root).map_err(io_error(&root))?;
        Ok(Previous {
            dir: previous,
            snapshot,
        })
    }
}

/// Removes the staging dir of `committed` after a failure; the failure is what the build
/// reports, so a staging dir that cannot be removed is a warning (the next build's
/// [`StateDir::open`] removes it again).
fn abandon(state: &StateDir, committed: &Path, log: &Log<'_>) {
    if let Err(error) = state.abandon(committed) {
        log.warn(&format!(
            "Failed to remove a staging dir: {}",
            error_chain(&error)
        ));
    }
}

/// Makes the existing dir `to` a copy of `from` by difference, keeping modes and symlinks
/// (never following them): a file whose size, mtime and mode already match is left alone
/// (rsync's quick check; copies get the source's mtime), anything else is copied, and
/// entries `from` lacks are removed. Sockets, FIFOs and devices are skipped. Dir modes are
/// applied last.
pub(crate) fn sync_tree(from: &Path, to: &Path) -> io::Result<()> {
    let mut dir_modes = Vec::new();
    sync_dir(from, to, &mut dir_modes)?;
    for (dir, permissions) in dir_modes.into_iter().rev() {
        fs::set_permissions(dir, permissions)?;
    }
    Ok(())
}

fn sync_dir(
    from: &Path,
    to: &Path,
    dir_modes: &mut Vec<(PathBuf, fs::Permissions)>,
) -> io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mut names: Vec<_> = fs::read_dir(from)?
        .map(|entry| entry.map(|entry| entry.file_name()))
        .collect::<io::Result<_>>()?;
    names.sort();
    for entry in fs::read_dir(to)? {
        let name = entry?.file_name();
        if names.binary_search(&name).is_err() {
            crate::fs::remove_dir_forcibly(&to.join(name))?;
        }
    }
    for name in names {
        let (source, target) = (from.join(&name), to.join(&name));
        let meta = fs::symlink_metadata(&source)?;
        let existing = fs::symlink_metadata(&target).ok();
        let kind = meta.file_type();
        if kind.is_dir() {
            if existing.as_ref().is_some_and(fs::Metadata::is_dir) {
                fs::set_permissions(&target, fs::Permissions::from_mode(0o700))?;
            } else {
                crate::fs::remove_dir_forcibly(&target)?;
                fs::create_dir(&target)?;
            }
            sync_dir(&source, &target, dir_modes)?;
            dir_modes.push((target, meta.permissions()));
        } else if kind.is_file() {
            let same = existing.as_ref().is_some_and(|old| {
                old.is_file()
                    && old.len() == meta.len()
                    && old.mode() == meta.mode()
                    && (old.mtime(), old.mtime_nsec()) == (meta.mtime(), meta.mtime_nsec())
            });
            if !same {
                crate::fs::remove_dir_forcibly(&target)?;
                fs::copy(&source, &target)?;
                fs::File::options()
                    .write(true)
                    .open(&target)
                    .and_then(|file| file.set_modified(meta.modified()?))?;
            }
        } else if kind.is_symlink() {
            let link = fs::read_link(&source)?;
            let same = existing.as_ref().is_some_and(fs::Metadata::is_symlink)
                && fs::read_link(&target).is_ok_and(|old| old == link);
            if !same {
                crate::fs::remove_dir_forcibly(&target)?;
                std::os::unix::fs::symlink(link, &target)?;
            }
        } else {
            crate::fs::remove_dir_forcibly(&target)?;
        }
    }
    Ok(())
}

/// Runs one build of `config` with the previous image and cache in `state_dir`.
///
/// The app dir is synced to `<state>/build/workspace` (buildpacks may modify the app dir;
/// the original is never touched), layers are built in `<state>/build/layers`, and the
/// new image and cache are committed to the state dir only if the build succeeds.
///
/// # Errors
///
/// Returns the failure and the output printed until then: a missing app dir, an unusable
/// state dir, a buildpack that cannot be prepared, failed detection, a hostile archive on
/// restore, a failed build, or a failed export. A failed cache write only warns. The
/// output reports the failure once: a failed detection as the lifecycle logs it (each
/// buildpack's result, then `ERROR: No buildpack groups passed detection.` on stdout),
/// anything else as an `ERROR: …` line on stderr.
pub fn run(
    config: &BuildConfig,
    state_dir: &Path,
    observer: &dyn Observer,
) -> Result<BuildReport, BuildFailure> {
    let log = Log::new(observer);
    match run_logged(config, state_dir, &log) {
        Ok(mut report) => {
            report.output = log.output();
            Ok(report)
        }
        Err(error) => {
            // A failed detection is already in the log, with each buildpack's result.
            if !matches!(
                error,
                LifecycleError::Detect(DetectError::Failed { .. } | DetectError::Errored { .. })
            ) {
                log.write(
                    crate::output::Stream::Stderr,
                    format!("ERROR: {}\n", error_chain(&error)).as_bytes(),
                );
            }
            Err(BuildFailure {
                error: Box::new(error),
                output: log.output(),
            })
        }
    }
}

/// The exit code `pack build` ends with for `error`: the lifecycle's 20 (no group passed
/// detection), 21 (detection errored) and 51 (a buildpack's build failed), 1 otherwise.
#[must_use]
pub(crate) fn exit_code(error: &LifecycleError) -> i32 {
    match error {
        LifecycleError::Detect(DetectError::Failed { .. }) => 20,
        LifecycleError::Detect(DetectError::Errored { .. }) => 21,
        LifecycleError::Build(_) => 51,
        _ => 1,
    }
}

/// An error and its sources, joined with `: ` (a source only if its text is new): how the
/// lifecycle and `cnb-local` print an error on one line.
///
/// # Examples
///
/// ```
/// let error = std::io::Error::other("disk full");
/// assert_eq!(libcnb_lite_test::error_chain(&error), "disk full");
/// ```
#[must_use]
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[expect(
    clippy::too_many_lines,
    reason = "the phases read top to bottom in lifecycle order"
)]
fn run_logged(
    config: &BuildConfig,
    state_dir: &Path,
    log: &Log<'_>,
) -> Result<BuildReport, LifecycleError> {
    let mut timings = Timings::default();
    let started = Instant::now();
    if !config.app_dir.is_dir() {
        return Err(LifecycleError::MissingAppDir {
            path: config.app_dir.clone(),
        });
    }
    if config.buildpacks.is_empty() {
        return Err(LifecycleError::NoBuildpacks);
    }
    let state = StateDir::open_with(state_dir, Open::Create, config.when_locked, &|| {
        log.info(&format!(
            "Waiting: state dir {} is in use by another build, export or launch",
            state_dir.display()
        ));
    })?;
    let previous_image = state.image_metadata()?;
    let (previous_cache, cache_warning) = state.cache_metadata()?;
    let mut warnings = Vec::new();
    if let Some(warning) = cache_warning {
        log.warn(&warning);
        warnings.push(warning);
    }
    let dirs = BuildDirs::of(&state);
    let previous = dirs.recreate(&state)?;
    let snapshot_file = state.path().join("build").join(SNAPSHOT_FILE);
    let clock = state.path().join("build").join(CLOCK_FILE);
    for (name, value) in &config.env {
        let path = dirs.platform.join("env").join(name);
        fs::write(&path, value).map_err(io_error(&path))?;
    }
    for (name, value) in &config.operator_env {
        let path = dirs.build_config.join("env").join(name);
        fs::write(&path, value).map_err(io_error(&path))?;
    }
    let current_dir;
    let crate_dir = if let Some(dir) = &config.crate_dir {
        dir.as_path()
    } else {
        current_dir = std::env::current_dir().map_err(io_error(Path::new(".")))?;
        current_dir.as_path()
    };
    let packaging = Packaging {
        crate_dir,
        profile: config.cargo_profile,
        target_triple: &config.target_triple,
        work_dir: &dirs.buildpacks,
    };
    let mut group = Vec::new();
    for reference in &config.buildpacks {
        let prepared = log
            .step("preparing buildpack", || {
                buildpack::prepare(reference, &packaging)
            })
            .map_err(|source| LifecycleError::Prepare {
                reference: reference.clone(),
                source,
            })?;
        let optional = config.optional.contains(reference);
        group.extend(prepared.into_iter().map(|mut buildpack| {
            buildpack.optional |= optional;
            buildpack
        }));
    }
    sync_tree(&config.app_dir, &dirs.workspace).map_err(io_error(&config.app_dir))?;
    timings.prepare = started.elapsed();

    let (sandbox, fallback) = Sandbox::for_build(state.path(), &dirs, &group, config.user)?;
    if let Some(warning) = fallback {
        log.warn(&warning);
        warnings.push(warning);
    }
    sandbox.give(&dirs.workspace)?;
    let base_env = Env::from_current_process();
    let target = config.builder_target();
    let context = InvocationContext {
        platform_dir: &dirs.platform,
        build_config_dir: &dirs.build_config,
        tmp_dir: &dirs.tmp,
        target: &target,
        exec_env: &config.exec_env,
        sandbox: &sandbox,
    };

    // The phase headers are the lifecycle's creator's (cmd/lifecycle/creator.go, v0.21.17:
    // `cmd.DefaultLogger.Phase("ANALYZING")` …, printed as "===> %s" by
    // log/default_logger.go). Analysis is reading the previous image and cache above.
    log.info("===> ANALYZING");
    log.info("===> DETECTING");
    let phase = Instant::now();
    let exec_env_filter = config.platform_api
        >= PlatformApi {
            major: 0,
            minor: 15,
        };
    let detected = log.step("detecting", || {
        detect::detect(
            &group,
            &dirs.workspace,
            &base_env,
            &context,
            exec_env_filter,
            log,
        )
    })?;
    timings.detect = phase.elapsed();
    let detect_runs: Vec<DetectRun> = detected.runs.clone();
    let built: Vec<(usize, &Buildpack)> = detected.group.iter().map(|&i| (i, &group[i])).collect();
    let built_refs: Vec<&Buildpack> = built.iter().map(|&(_, bp)| bp).collect();

    log.info("===> RESTORING");
    let phase = Instant::now();
    let mut trees = Trees::default();
    let restored = restore::restore(
        &RestoreInput {
            group: &built_refs,
            layers_dir: &dirs.layers,
            state: &state,
            image: previous_image.as_ref(),
            cache: previous_cache.as_ref(),
            platform_api: config.platform_api,
            skip_layers: config.skip_layers,
            previous: Some(&previous),
        },
        &mut trees,
        log,
    )?;
    // What restore did not keep is not part of this build (the reference's layers dir
    // starts empty).
    crate::fs::remove_dir_forcibly(&previous.dir).map_err(io_error(&previous.dir))?;
    trees.settle_restored(&clock);
    sandbox.give(&dirs.layers)?;
    timings.restore = phase.elapsed();

    log.info("===> BUILDING");
    let phase = Instant::now();
    let outcome = build::build(
        &built,
        detected.plan,
        &dirs.layers,
        &dirs.workspace,
        base_env,
        &context,
        log,
    )?;
    warnings.extend(outcome.warnings.iter().cloned());
    if outcome.slices > 0 {
        let warning = format!(
            "{} launch.toml slice(s) ignored: the app is exported as a single layer",
            outcome.slices
        );
        log.warn(&warning);
        warnings.push(warning);
    }
    timings.build = phase.elapsed();

    log.info("===> EXPORTING");
    let phase = Instant::now();
    let owner = Owner {
        uid: config.user.0,
        gid: config.user.1,
    };
    let image_dir = state.image_dir();
    let cache_dir = state.cache_dir();
    let staging = state.begin(&image_dir)?;
    let exported = export::export(
        &ExportInput {
            group: &built_refs,
            layers_dir: &dirs.layers,
            app_dir: &dirs.workspace,
            state: &state,
            previous: previous_image.as_ref(),
            owner,
            launch: &outcome.launch,
        },
        &mut trees,
        &staging,
        log,
    );
    let mut exported = match exported {
        Ok(exported) => exported,
        Err(error) => {
            abandon(&state, &image_dir, log);
            return Err(error.into());
        }
    };
    // The exporter's words (phase/exporter.go, lifecycle v0.21.17, `Exporter.entrypoint`).
    match &outcome.launch.default_process {
        Some(process_type) => log.info(&format!("Setting default process type '{process_type}'")),
        None => log.info("no default process type"),
    }
    timings.export = phase.elapsed();

    // The cache is staged next to the image and both are committed together below; a
    // cache that cannot be staged only warns, as in the lifecycle, and the old one stays.
    let phase = Instant::now();
    let cache_result = state
        .begin(&cache_dir)
        .map_err(|e| error_chain(&e))
        .and_then(|cache_staging| {
            cache::cache(
                &CacheInput {
                    group: &built_refs,
                    layers_dir: &dirs.layers,
                    image_blobs: &staging.join("blobs"),
                    previous: previous_cache.as_ref(),
                    owner,
                },
                &mut trees,
                &mut exported.layers,
                &cache_staging,
                log,
            )
            .map_err(|error| error_chain(&error))
        });
    let cache_written = match cache_result {
        Ok(()) => true,
        Err(error) => {
            abandon(&state, &cache_dir, log);
            let warning = format!("Failed to export cache: {error}");
            log.warn(&warning);
            warnings.push(warning);
            false
        }
    };
    match state.commit() {
        Ok(commit_warnings) => {
            for warning in commit_warnings {
                log.warn(&warning);
                warnings.push(warning);
            }
        }
        Err(error) => {
            abandon(&state, &image_dir, log);
            abandon(&state, &cache_dir, log);
            // The build's trees are not what any committed cache holds.
            let _ = snapshot::discard(&snapshot_file);
            return Err(error.into());
        }
    }
    // The snapshot describes the committed cache only (the blobs at their committed paths,
    // so it is written after the commit); without one it goes.
    let snapshot_result = if cache_written {
        trees.save(
            &snapshot_file,
            &clock,
            cached_layers(&built_refs, &exported.layers, &state),
        )
    } else {
        snapshot::discard(&snapshot_file)
    };
    if let Err(error) = snapshot_result {
        let warning = format!(
            "Failed to record the layers for the next build in {}: {error}",
            snapshot_file.display()
        );
        log.warn(&warning);
        warnings.push(warning);
    }
    timings.cache = phase.elapsed();

    Ok(BuildReport {
        output: Output::default(),
        detect: detect_runs,
        group: built_refs
            .iter()
            .map(|bp| (bp.id.clone(), bp.version.clone()))
            .collect(),
        restored,
        layers: exported.layers,
        app: exported.app,
        processes: outcome.launch.processes.values().cloned().collect(),
        default_process: outcome.launch.default_process.clone(),
        labels: outcome.launch.labels.clone(),
        warnings,
        timings,
    })
}

/// `(esc-bp-id, layer, diff ID, committed blob)` of every layer this build cached.
fn cached_layers<'a>(
    group: &'a [&'a Buildpack],
    layers: &'a [crate::report::LayerReport],
    state: &'a StateDir,
) -> impl Iterator<Item = (String, String, DiffId, PathBuf)> + 'a {
    layers.iter().filter_map(move |layer| {
        let buildpack = group.iter().find(|bp| bp.id == layer.buildpack_id)?;
        let diff_id = layer.diff_id.clone().filter(|_| layer.cached.is_some())?;
        let blob = state.cache_blob(&diff_id);
        Some((buildpack.escaped_id(), layer.name.clone(), diff_id, blob))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn sync_tree_keeps_modes_and_links() {
        let from = tempfile::tempdir().unwrap();
        fs::create_dir(from.path().join("bin")).unwrap();
        fs::write(from.path().join("bin/run"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(
            from.path().join("bin/run"),
            fs::Permissions::from_mode(0o750),
        )
        .unwrap();
        std::os::unix::fs::symlink("bin/run", from.path().join("link")).unwrap();
        let to = tempfile::tempdir().unwrap();
        sync_tree(from.path(), to.path()).unwrap();
        let mode = fs::metadata(to.path().join("bin/run"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o750);
        assert_eq!(
            fs::read_link(to.path().join("link")).unwrap(),
            Path::new("bin/run")
        );
    }

    #[test]
    fn sync_tree_copies_only_the_difference() {
        use std::os::unix::fs::MetadataExt;
        let from = tempfile::tempdir().unwrap();
        fs::write(from.path().join("same"), "same").unwrap();
        fs::write(from.path().join("edited"), "old").unwrap();
        let to = tempfile::tempdir().unwrap();
        sync_tree(from.path(), to.path()).unwrap();
        let inode = |name: &str| fs::metadata(to.path().join(name)).unwrap().ino();
        let same = inode("same");

        fs::write(from.path().join("edited"), "new").unwrap();
        fs::write(to.path().join("left-by-a-buildpack"), "x").unwrap();
        fs::create_dir(to.path().join("dir-left-by-a-buildpack")).unwrap();
        sync_tree(from.path(), to.path()).unwrap();
        assert_eq!(inode("same"), same, "an unchanged file is not copied again");
        assert_eq!(fs::read_to_string(to.path().join("edited")).unwrap(), "new");
        let mut names: Vec<_> = fs::read_dir(to.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["edited", "same"]);
    }
}
