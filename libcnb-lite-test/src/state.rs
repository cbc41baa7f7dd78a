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
//! The image and the cache are each written to a staging dir and committed by renames
//! (`committed` → backup, staging → `committed`, backup removed), as the lifecycle's volume
//! cache does, so a failed build leaves the previous state untouched. The harness only
//! ever deletes inside the state dir, and refuses a non-empty dir without the marker.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::archive::DiffId;
use crate::launch_toml::Process;

/// The marker file that identifies a state dir.
pub(crate) const MARKER: &str = "cnb-local-state.toml";
const MARKER_CONTENTS: &str =
    "# State of libcnb-lite-test / cnb-local: previous image and cache.\nformat = 1\n";
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
}

impl StateDir {
    /// Opens (creating if needed) a state dir, and finishes or undoes an interrupted commit.
    ///
    /// # Errors
    ///
    /// Fails when the dir is not empty and lacks the marker, or cannot be created.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        fs::create_dir_all(path).map_err(io_error(path))?;
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
            fs::write(&marker, MARKER_CONTENTS).map_err(io_error(&marker))?;
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
        ] {
            let path = root.join(name);
            if fs::symlink_metadata(&path).is_ok_and(|meta| meta.file_type().is_symlink()) {
                return Err(StateError::Corrupt {
                    path,
                    problem: "is a symlink".into(),
                });
            }
        }
        recover(&root.join("image"))?;
        recover(&root.join("cache").join("committed"))?;
        Ok(Self { root })
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
    #[expect(
        clippy::unused_self,
        reason = "staging and committing go through the state dir they belong to"
    )]
    pub(crate) fn begin(&self, committed: &Path) -> Result<PathBuf, StateError> {
        let staging = staging_path(committed);
        if staging.exists() {
            remove_all(&staging)?;
        }
        fs::create_dir_all(&staging).map_err(io_error(&staging))?;
        Ok(staging)
    }

    /// Replaces `committed` with its staging dir.
    ///
    /// # Errors
    ///
    /// Fails when a rename or removal fails.
    #[expect(
        clippy::unused_self,
        reason = "staging and committing go through the state dir they belong to"
    )]
    pub(crate) fn commit(&self, committed: &Path) -> Result<(), StateError> {
        let staging = staging_path(committed);
        let backup = backup_path(committed);
        if committed.exists() {
            fs::rename(committed, &backup).map_err(io_error(committed))?;
        }
        fs::rename(&staging, committed).map_err(io_error(&staging))?;
        if backup.exists() {
            remove_all(&backup)?;
        }
        Ok(())
    }

    /// Removes a staging dir after a failure.
    ///
    /// # Errors
    ///
    /// Fails when the staging dir exists but cannot be removed.
    pub(crate) fn abandon(&self, committed: &Path) -> Result<(), StateError> {
        let staging = staging_path(committed);
        if staging.starts_with(&self.root) {
            remove_all(&staging)?;
        }
        Ok(())
    }
}

/// Finishes or undoes an interrupted commit of `committed`.
fn recover(committed: &Path) -> Result<(), StateError> {
    let backup = backup_path(committed);
    if backup.exists() {
        if committed.exists() {
            remove_all(&backup)?;
        } else {
            fs::rename(&backup, committed).map_err(io_error(&backup))?;
        }
    }
    let staging = staging_path(committed);
    if staging.exists() {
        remove_all(&staging)?;
    }
    Ok(())
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
        state.commit(&image).unwrap();
        assert!(state.image_metadata().unwrap().is_some());

        // An interrupted commit (committed moved away, staging not yet renamed) is undone.
        fs::rename(&image, backup_path(&image)).unwrap();
        fs::create_dir(staging_path(&image)).unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        assert!(state.image_metadata().unwrap().is_some());
        assert!(!staging_path(&image).exists());
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
