//! What survives between builds, in a dir the caller chooses:
//!
//! ```text
//! <state>/cnb-local-state.toml                 marker: this dir belongs to the harness
//! <state>/image/metadata.json                  the previous image's lifecycle metadata label
//! <state>/image/blobs/sha256:<hex>.tar         its launch layers, app layer and launch SBOMs
//! <state>/cache/committed/sha256:<hex>.tar     cache layers
//! <state>/cache/committed/io.buildpacks.lifecycle.cache.metadata   cache metadata (JSON)
//! ```
//!
//! The image and the cache are each written to a staging dir and committed together by
//! renames (`committed` → backup, staging → `committed`, backup removed), after a journal
//! file (`commit.journal`) records that the commit is decided: a failed build leaves the
//! previous state untouched, and a build killed during the renames is finished by the next
//! [`StateDir::open`]. One process at a time uses a state dir (an exclusive `flock` on the
//! dir). The harness only ever deletes inside the state dir, and refuses a non-empty dir
//! without the marker.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::archive::DiffId;
use crate::launch_toml::Process;
use crate::lock::{DirLock, LockError, WhenLocked, lock_dir};

/// The marker file that identifies a state dir.
pub(crate) const MARKER: &str = "cnb-local-state.toml";
const MARKER_CONTENTS: &str =
    "# State of libcnb-lite-test / cnb-local: previous image and cache.\nformat = 1\n";
/// Written when the image and the cache are about to be committed together (see
/// [`StateDir::commit`]).
const COMMIT_JOURNAL: &str = "commit.journal";
/// The cache metadata file name, as in the lifecycle's volume cache.
pub(crate) const CACHE_METADATA: &str = "io.buildpacks.lifecycle.cache.metadata";

/// A `{"sha": …}` reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShaRef {
    /// The diff ID.
    pub sha: String,
}

/// One layer's record in the image label or the cache metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerRecord {
    /// The diff ID.
    pub sha: String,
    /// `[metadata]` as JSON.
    #[serde(default)]
    pub data: serde_json::Value,
    /// Build flag.
    #[serde(default)]
    pub build: bool,
    /// Launch flag.
    #[serde(default)]
    pub launch: bool,
    /// Cache flag.
    #[serde(default)]
    pub cache: bool,
}

/// `store.toml`'s `[metadata]` as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreRecord {
    /// The metadata.
    #[serde(default)]
    pub metadata: serde_json::Value,
}

/// One buildpack's layers, keyed by buildpack ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildpackLayers {
    /// The buildpack ID (metadata is matched by ID only, never by version).
    pub key: String,
    /// The buildpack version.
    #[serde(default)]
    pub version: String,
    /// Layers by name.
    #[serde(default)]
    pub layers: BTreeMap<String, LayerRecord>,
    /// `store.toml` (image only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreRecord>,
}

/// The previous image: the `io.buildpacks.lifecycle.metadata` label plus the process list.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageMetadata {
    /// Launch layers and store per buildpack.
    #[serde(default)]
    pub buildpacks: Vec<BuildpackLayers>,
    /// App layers.
    #[serde(default)]
    pub app: Vec<ShaRef>,
    /// The launch SBOM layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbom: Option<ShaRef>,
    /// The processes.
    #[serde(default)]
    pub processes: Vec<Process>,
    /// The default process type.
    #[serde(
        rename = "default-process",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub default_process: Option<String>,
    /// Image labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// The cache metadata: cache layers per buildpack, without store.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CacheMetadata {
    /// Cache layers per buildpack.
    #[serde(default)]
    pub buildpacks: Vec<BuildpackLayers>,
    /// The cache SBOM layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbom: Option<ShaRef>,
}

/// Finds a buildpack's entry by ID.
#[must_use]
pub(crate) fn for_buildpack<'a>(
    buildpacks: &'a [BuildpackLayers],
    id: &str,
) -> Option<&'a BuildpackLayers> {
    buildpacks.iter().find(|bp| bp.key == id)
}

/// The state dir cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The dir is not empty and was not created by the harness.
    #[error(
        "{path} is not empty and has no {MARKER}; refusing to use it as a state dir (choose an empty or new dir)"
    )]
    NotAStateDir {
        /// The dir.
        path: PathBuf,
    },
    /// A state file is unreadable or invalid.
    #[error("corrupt state dir: {path} {problem}; delete the state dir to start afresh")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// There is no state dir at the path (launch and export need a build first).
    #[error("{path} is not a state dir (no {MARKER}); build first")]
    Missing {
        /// The path.
        path: PathBuf,
    },
    /// Another build, export or launch holds the state dir.
    #[error(
        "state dir {path} is in use by another build, export or launch; wait for it to finish (or let this run wait for it), or use another state dir"
    )]
    Busy {
        /// The state dir.
        path: PathBuf,
    },
    /// A file or dir could not be read or written.
    #[error("cannot access state path {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A state dir.
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::StateDir;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let state = StateDir::open(&dir.path().join("state"))?;
/// assert!(state.image_metadata()?.is_none(), "no previous image yet");
///
/// std::fs::write(dir.path().join("notes.txt"), "mine")?;
/// assert!(StateDir::open(dir.path()).is_err(), "a foreign dir is never used");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
    _lock: Arc<DirLock>,
}

/// Whether [`StateDir::open_with`] may create the state dir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Open {
    /// Create the dir and the marker when missing (a build).
    Create,
    /// Use only an existing state dir (launch, export).
    Existing,
}

impl StateDir {
    /// Opens (creating if needed) a state dir, waiting while another build or export holds
    /// it, and finishes or undoes an interrupted commit. The dir stays locked for this
    /// process until the last clone of the returned value is dropped.
    ///
    /// # Errors
    ///
    /// Fails when the dir is not empty and lacks the marker, or cannot be created or locked.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        Self::open_with(path, Open::Create, WhenLocked::Wait, &|| {})
    }

    /// Opens a state dir as [`StateDir::open`] does; `waiting` is called once when another
    /// process holds the lock and `when` says to wait. [`Open::Existing`] creates nothing: a
    /// missing dir or one without the marker is [`StateError::Missing`].
    pub(crate) fn open_with(
        path: &Path,
        open: Open,
        when: WhenLocked,
        waiting: &dyn Fn(),
    ) -> Result<Self, StateError> {
        if open == Open::Existing && !path.join(MARKER).is_file() {
            return Err(StateError::Missing {
                path: path.to_path_buf(),
            });
        }
        // The emptiness check and the marker are written under the lock, so two first
        // builds on one new dir cannot both take it for theirs.
        let lock = lock_dir(path, when, waiting).map_err(|error| match error {
            LockError::Busy { path } => StateError::Busy { path },
            LockError::Io { path, source } => StateError::Io { path, source },
        })?;
        let root = path.canonicalize().map_err(io_error(path))?;
        let marker = root.join(MARKER);
        if !marker.is_file() {
            let empty = fs::read_dir(&root)
                .map_err(io_error(&root))?
                .next()
                .is_none();
            if !empty {
                return Err(StateError::NotAStateDir { path: root });
            }
            crate::fs::write_atomically(&marker, MARKER_CONTENTS.as_bytes())
                .map_err(io_error(&marker))?;
        }
        // A symlink here would redirect writes and deletions outside the state dir.
        for name in [
            "image",
            "image.staging",
            "image.backup",
            "cache",
            "cache/committed",
            "cache/committed.staging",
            "cache/committed.backup",
            "build",
            COMMIT_JOURNAL,
        ] {
            let path = root.join(name);
            if fs::symlink_metadata(&path).is_ok_and(|meta| meta.file_type().is_symlink()) {
                return Err(StateError::Corrupt {
                    path,
                    problem: "is a symlink".into(),
                });
            }
        }
        let state = Self {
            root,
            _lock: Arc::new(lock),
        };
        state.recover()?;
        Ok(state)
    }

    /// The state dir.
    #[must_use]
    pub(crate) fn path(&self) -> &Path {
        &self.root
    }

    /// The committed image dir.
    #[must_use]
    pub(crate) fn image_dir(&self) -> PathBuf {
        self.root.join("image")
    }

    /// The committed cache dir.
    #[must_use]
    pub(crate) fn cache_dir(&self) -> PathBuf {
        self.root.join("cache").join("committed")
    }

    /// A committed blob of the image.
    #[must_use]
    pub(crate) fn image_blob(&self, diff_id: &DiffId) -> PathBuf {
        self.image_dir().join("blobs").join(diff_id.blob_name())
    }

    /// A committed blob of the cache.
    #[must_use]
    pub(crate) fn cache_blob(&self, diff_id: &DiffId) -> PathBuf {
        self.cache_dir().join(diff_id.blob_name())
    }

    /// The previous image's metadata, or `None` when there is no previous image.
    ///
    /// # Errors
    ///
    /// Fails when the metadata exists but cannot be read or parsed, or names an invalid
    /// diff ID.
    pub fn image_metadata(&self) -> Result<Option<ImageMetadata>, StateError> {
        let path = self.image_dir().join("metadata.json");
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StateError::Io { path, source }),
        };
        let metadata: ImageMetadata =
            serde_json::from_slice(&bytes).map_err(|error| StateError::Corrupt {
                path: path.clone(),
                problem: format!("is not valid image metadata ({error})"),
            })?;
        let shas = metadata
            .buildpacks
            .iter()
            .flat_map(|bp| bp.layers.values().map(|layer| layer.sha.as_str()))
            .chain(metadata.app.iter().map(|app| app.sha.as_str()))
            .chain(metadata.sbom.iter().map(|sbom| sbom.sha.as_str()));
        check_shas(shas, &path)?;
        check_names(
            metadata.buildpacks.iter().flat_map(|bp| bp.layers.keys()),
            &path,
        )?;
        Ok(Some(metadata))
    }

    /// The committed cache metadata, or `None` (with a warning when it is unreadable) as
    /// the lifecycle treats a missing or unparseable cache as empty.
    ///
    /// # Errors
    ///
    /// Fails when the metadata parses but names an invalid diff ID (a hostile cache).
    pub fn cache_metadata(&self) -> Result<(Option<CacheMetadata>, Option<String>), StateError> {
        let path = self.cache_dir().join(CACHE_METADATA);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok((None, None)),
            Err(error) => {
                return Ok((
                    None,
                    Some(format!(
                        "cannot read cache metadata {}: {error}",
                        path.display()
                    )),
                ));
            }
        };
        match serde_json::from_slice::<CacheMetadata>(&bytes) {
            Ok(metadata) => {
                let shas = metadata
                    .buildpacks
                    .iter()
                    .flat_map(|bp| bp.layers.values().map(|layer| layer.sha.as_str()))
                    .chain(metadata.sbom.iter().map(|sbom| sbom.sha.as_str()));
                check_shas(shas, &path)?;
                check_names(
                    metadata.buildpacks.iter().flat_map(|bp| bp.layers.keys()),
                    &path,
                )?;
                Ok((Some(metadata), None))
            }
            Err(error) => Ok((
                None,
                Some(format!(
                    "ignoring unparseable cache metadata {}: {error}",
                    path.display()
                )),
            )),
        }
    }

    /// Creates a fresh staging dir for `committed` (the image dir or the cache dir).
    ///
    /// # Errors
    ///
    /// Fails when the dir cannot be created.
    pub(crate) fn begin(&self, committed: &Path) -> Result<PathBuf, StateError> {
        let staging = self.staging(committed)?;
        remove_all(&staging)?;
        fs::create_dir_all(&staging).map_err(io_error(&staging))?;
        Ok(staging)
    }

    /// The staging dir of `committed`, which must be the image or the cache dir.
    fn staging(&self, committed: &Path) -> Result<PathBuf, StateError> {
        if committed == self.image_dir() || committed == self.cache_dir() {
            Ok(staging_path(committed))
        } else {
            Err(StateError::Corrupt {
                path: committed.to_path_buf(),
                problem: "is not a committed dir of the state dir".into(),
            })
        }
    }

    /// Replaces the image and the cache dirs with their staging dirs, together: every
    /// staging dir that exists is committed, or (on a failure before the commit is decided)
    /// none is. The decision is the journal file; a run killed after it is rolled forward by
    /// the next [`StateDir::open`]. Returns warnings (an old dir that cannot be removed).
    ///
    /// # Errors
    ///
    /// Fails when a leftover backup cannot be removed, or the journal or a rename fails;
    /// before the journal is written, both dirs stay as they were.
    pub(crate) fn commit(&self) -> Result<Vec<String>, StateError> {
        let dirs = [self.image_dir(), self.cache_dir()];
        // A backup left by an earlier commit would make a rename below fail halfway.
        for committed in &dirs {
            remove_all(&backup_path(committed))?;
        }
        let journal = self.root.join(COMMIT_JOURNAL);
        crate::fs::write_atomically(&journal, b"committing the image and cache staging dirs\n")
            .map_err(io_error(&journal))?;
        self.roll_forward()?;
        fs::remove_file(&journal).map_err(io_error(&journal))?;
        let mut warnings = Vec::new();
        for committed in &dirs {
            let backup = backup_path(committed);
            if let Err(error) = remove_all(&backup) {
                warnings.push(format!(
                    "cannot remove the previous {}; the next build fails until it is removed: {}",
                    backup.display(),
                    crate::lifecycle::error_chain(&error)
                ));
            }
        }
        Ok(warnings)
    }

    /// Moves every staging dir into place (the old dir to its backup first).
    fn roll_forward(&self) -> Result<(), StateError> {
        for committed in [self.image_dir(), self.cache_dir()] {
            let staging = staging_path(&committed);
            if !staging.exists() {
                continue;
            }
            let backup = backup_path(&committed);
            if committed.exists() {
                fs::rename(&committed, &backup).map_err(io_error(&committed))?;
            }
            fs::rename(&staging, &committed).map_err(io_error(&staging))?;
        }
        Ok(())
    }

    /// Removes the staging dir of `committed` after a failure.
    ///
    /// # Errors
    ///
    /// Fails when the staging dir exists but cannot be removed.
    pub(crate) fn abandon(&self, committed: &Path) -> Result<(), StateError> {
        remove_all(&self.staging(committed)?)
    }

    /// Finishes a commit that was decided (the journal exists), or undoes one that was not:
    /// staging dirs are removed, and backups too when they can be (the next commit fails
    /// with a clear error on one that cannot, before changing anything).
    fn recover(&self) -> Result<(), StateError> {
        let journal = self.root.join(COMMIT_JOURNAL);
        if journal.exists() {
            self.roll_forward()?;
            fs::remove_file(&journal).map_err(io_error(&journal))?;
        }
        for committed in [self.image_dir(), self.cache_dir()] {
            remove_all(&staging_path(&committed))?;
            let backup = backup_path(&committed);
            if backup.exists() && !committed.exists() {
                // Left by an interrupted commit of an earlier version, which had no journal.
                fs::rename(&backup, &committed).map_err(io_error(&backup))?;
            } else {
                let _ = remove_all(&backup);
            }
        }
        Ok(())
    }
}

/// Layer names must be single path components, or a restored toml could land anywhere.
///
/// This is deliberately not libcnb-lite-data's check of the same rule: this crate is an
/// independent lifecycle and shares no code with the library it tests (see the crate docs).
fn check_names<'a>(names: impl Iterator<Item = &'a String>, path: &Path) -> Result<(), StateError> {
    for name in names {
        let safe =
            !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
        if !safe {
            return Err(StateError::Corrupt {
                path: path.to_path_buf(),
                problem: format!("names an invalid layer {name:?}"),
            });
        }
    }
    Ok(())
}

fn check_shas<'a>(shas: impl Iterator<Item = &'a str>, path: &Path) -> Result<(), StateError> {
    for sha in shas {
        if DiffId::parse(sha).is_none() {
            return Err(StateError::Corrupt {
                path: path.to_path_buf(),
                problem: format!("names an invalid layer digest {sha:?}"),
            });
        }
    }
    Ok(())
}

fn staging_path(committed: &Path) -> PathBuf {
    let mut name = committed.file_name().unwrap_or_default().to_os_string();
    name.push(".staging");
    committed.with_file_name(name)
}

fn backup_path(committed: &Path) -> PathBuf {
    let mut name = committed.file_name().unwrap_or_default().to_os_string();
    name.push(".backup");
    committed.with_file_name(name)
}

fn remove_all(path: &Path) -> Result<(), StateError> {
    crate::fs::remove_dir_forcibly(path).map_err(io_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_and_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let image = state.image_dir();
        let staging = state.begin(&image).unwrap();
        fs::write(staging.join("metadata.json"), "{}").unwrap();
        assert!(state.commit().unwrap().is_empty());
        assert!(state.image_metadata().unwrap().is_some());
        drop(state);

        // A commit that was not decided (no journal) is undone: the staging dirs go.
        fs::create_dir(staging_path(&image)).unwrap();
        fs::create_dir_all(staging_path(&dir.path().join("cache/committed"))).unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        assert!(state.image_metadata().unwrap().is_some());
        assert!(!staging_path(&image).exists());
        drop(state);

        // A decided commit killed halfway (the image moved to its backup, its staging dir
        // not yet renamed; the cache not started) is rolled forward: both are the new ones.
        let cache = dir.path().join("cache/committed");
        fs::create_dir_all(&cache).unwrap();
        fs::write(cache.join("old"), "").unwrap();
        fs::create_dir(staging_path(&image)).unwrap();
        fs::write(
            staging_path(&image).join("metadata.json"),
            r#"{"labels":{"a":"new"}}"#,
        )
        .unwrap();
        fs::create_dir(staging_path(&cache)).unwrap();
        fs::write(staging_path(&cache).join("new"), "").unwrap();
        fs::rename(&image, backup_path(&image)).unwrap();
        fs::write(dir.path().join(COMMIT_JOURNAL), "").unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let labels = state.image_metadata().unwrap().unwrap().labels;
        assert_eq!(labels.get("a").map(String::as_str), Some("new"));
        assert!(cache.join("new").exists() && !cache.join("old").exists());
        for leftover in [
            staging_path(&image),
            backup_path(&image),
            staging_path(&cache),
            backup_path(&cache),
            dir.path().join(COMMIT_JOURNAL),
        ] {
            assert!(!leftover.exists(), "{} is left", leftover.display());
        }
    }

    #[test]
    fn corrupt_and_hostile_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        fs::create_dir_all(state.image_dir()).unwrap();
        fs::write(state.image_dir().join("metadata.json"), "{not json").unwrap();
        let error = state.image_metadata().unwrap_err();
        assert!(
            error.to_string().starts_with("corrupt state dir: "),
            "{error}"
        );

        fs::create_dir_all(state.cache_dir()).unwrap();
        fs::write(state.cache_dir().join(CACHE_METADATA), "garbage").unwrap();
        let (metadata, warning) = state.cache_metadata().unwrap();
        assert!(metadata.is_none());
        assert!(
            warning
                .unwrap()
                .contains("ignoring unparseable cache metadata")
        );

        fs::write(
            state.cache_dir().join(CACHE_METADATA),
            r#"{"buildpacks":[{"key":"a","layers":{"l":{"sha":"sha256:../../../etc","cache":true}}}]}"#,
        )
        .unwrap();
        assert!(state.cache_metadata().is_err());
    }

    #[test]
    fn symlinked_state_entries_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        StateDir::open(dir.path()).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("cache")).unwrap();
        let error = StateDir::open(dir.path()).unwrap_err();
        assert!(error.to_string().contains("is a symlink"), "{error}");
    }

    #[test]
    fn foreign_dirs_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("important"), "x").unwrap();
        let error = StateDir::open(dir.path()).unwrap_err();
        assert!(matches!(error, StateError::NotAStateDir { .. }));
        assert!(dir.path().join("important").exists());
    }
}
