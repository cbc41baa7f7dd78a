//! Stat snapshots of layer trees, so a rebuild neither re-extracts nor re-archives a layer
//! nobody touched.
//!
//! The build's layers dir survives from one build to the next. After a build whose cache was
//! committed, `<state>/build/snapshot.json` records, for every cached layer, the diff ID `D` of
//! its cache blob and the lstat of every entry of its tree (path, `st_mode`, uid, gid, size,
//! inode, device, mtime and ctime to the nanosecond), plus the lstat of the blob. Restore keeps
//! (moves into the fresh layers dir) a previous tree instead of extracting `D` when a new walk
//! finds the same paths with the same stats and the blob's stat is unchanged; export and
//! cache link the blob `D` instead of archiving a tree whose walk equals the one taken when it
//! was restored.
//!
//! ## The invariant
//!
//! A recorded tree is byte for byte what its blob holds at the moment it is recorded: right
//! after the harness extracted the blob into it, or right before the harness archived it into
//! the blob. If a later walk yields the same paths with the same stats, the archive of the
//! tree is still `D`, because every change the archive would show changes a recorded field:
//!
//! - the entry set (added, removed, renamed entries): the path list;
//! - a mode, a dir's mode included: `st_mode`;
//! - a file's contents: its ctime, which no system call can set back;
//! - a replaced file or symlink: its inode and ctime.
//!
//! A change within the same clock tick as a recorded ctime would keep it (git's "racy clean"
//! entries). The harness therefore *settles* each record before another process may write:
//! it waits until the file system's clock, read from a marker file's mtime, has passed every
//! recorded ctime, so any later change gets a later ctime. Dirs need no settling: their
//! archive entry is their mode and name, both compared directly. Blobs are checked by their
//! stat in the same way; a blob replaced or rewritten in the state dir is hashed again rather
//! than trusted. Trees that do not survive an archive round trip unchanged are never recorded
//! (names that are not UTF-8, hard-linked files, sockets, FIFOs, devices), and neither is a
//! tree that is not a real dir.
//!
//! This assumes that while a build runs, nothing but the harness and the build's buildpacks
//! writes into the state dir, that no buildpack leaves a writer running after it exits, and
//! that the system clock does not go backwards.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use crate::archive::{self, ArchiveError, DiffId, Owner};

/// The snapshot file's name in the build root.
pub(crate) const SNAPSHOT_FILE: &str = "snapshot.json";
const FORMAT: u32 = 1;
/// How long settling may wait for the clock before the record is dropped.
const SETTLE_LIMIT: Duration = Duration::from_secs(2);

/// One entry's lstat, as compared between walks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stat {
    path: String,
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
    ino: u64,
    dev: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stat {
    fn of(meta: &fs::Metadata, path: String) -> Self {
        Self {
            path,
            mode: meta.mode(),
            uid: meta.uid(),
            gid: meta.gid(),
            size: meta.size(),
            ino: meta.ino(),
            dev: meta.dev(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    fn is_dir(&self) -> bool {
        self.mode & 0o170_000 == 0o040_000
    }

    fn file(path: &Path) -> Option<Self> {
        let meta = fs::symlink_metadata(path).ok()?;
        meta.is_file().then(|| Self::of(&meta, String::new()))
    }
}

/// Walks a tree, or `None` when it cannot be recorded (see the module docs) or read.
pub(crate) fn walk(dir: &Path) -> Option<Vec<Stat>> {
    // walkdir follows a symlinked root; a recorded tree must be a real dir.
    if !fs::symlink_metadata(dir).ok()?.is_dir() {
        return None;
    }
    let mut stats = Vec::new();
    for entry in WalkDir::new(dir).follow_links(false).sort_by_file_name() {
        let entry = entry.ok()?;
        let meta = entry.metadata().ok()?;
        let kind = meta.file_type();
        let regular = kind.is_file() && meta.nlink() == 1;
        if !(regular || kind.is_dir() || kind.is_symlink()) {
            return None;
        }
        let rel = entry.path().strip_prefix(dir).ok()?.to_str()?.to_owned();
        stats.push(Stat::of(&meta, rel));
    }
    Some(stats)
}

/// The saved form of a cached layer's tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedTree {
    diff_id: String,
    blob: Stat,
    entries: Vec<Stat>,
}

/// `<state>/build/snapshot.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    format: u32,
    /// By `<esc-bp-id>/<layer>`.
    layers: BTreeMap<String, SavedTree>,
}

impl Snapshot {
    /// Reads a snapshot; a missing, unreadable or foreign one is empty (it only saves work).
    pub(crate) fn load(path: &Path) -> Self {
        fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Self>(&bytes).ok())
            .filter(|snapshot| snapshot.format == FORMAT)
            .unwrap_or_default()
    }
}

/// How the parent dir of a layer appears in its blob: the archive's first entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parent {
    mode: u32,
    owner: Owner,
}

fn blob_parent(blob: &Path) -> Option<Parent> {
    let mut archive = tar::Archive::new(File::open(blob).ok()?);
    let entry = archive.entries().ok()?.next()?.ok()?;
    let header = entry.header();
    Some(Parent {
        mode: header.mode().ok()? & 0o7777,
        owner: Owner {
            uid: header.uid().ok()?,
            gid: header.gid().ok()?,
        },
    })
}

/// A tree as restore left it: what its archive is, and where a blob of it is.
#[derive(Debug)]
struct Restored {
    diff_id: DiffId,
    blob: PathBuf,
    parent: Parent,
    entries: Vec<Stat>,
}

/// This build's records: trees as restored, then trees as archived.
#[derive(Debug, Default)]
pub(crate) struct Trees {
    restored: BTreeMap<String, Restored>,
    archived: BTreeMap<String, (DiffId, Vec<Stat>)>,
}

fn key(esc: &str, name: &str) -> String {
    format!("{esc}/{name}")
}

impl Trees {
    /// Moves the previous build's tree of a layer into `layers_dir` when it provably is what
    /// `blob` (diff ID `diff_id`) holds; `false` means the caller extracts the blob.
    pub(crate) fn keep(
        &mut self,
        previous: &Previous,
        layers_dir: &Path,
        (esc, name): (&str, &str),
        diff_id: &DiffId,
        blob: &Path,
    ) -> bool {
        let key = key(esc, name);
        let Some(saved) = previous.snapshot.layers.get(&key) else {
            return false;
        };
        let blob_unchanged = Stat::file(blob).is_some_and(|stat| stat == saved.blob);
        if saved.diff_id != diff_id.as_str() || !blob_unchanged {
            return false;
        }
        let Some(parent) = blob_parent(blob) else {
            return false;
        };
        let from_parent = previous.dir.join(esc);
        if !fs::symlink_metadata(&from_parent).is_ok_and(|meta| meta.is_dir()) {
            return false;
        }
        let from = from_parent.join(name);
        let Some(mut entries) = walk(&from).filter(|entries| *entries == saved.entries) else {
            return false;
        };
        let to_parent = layers_dir.join(esc);
        let to = to_parent.join(name);
        if fs::create_dir_all(&to_parent).is_err() || fs::rename(&from, &to).is_err() {
            return false;
        }
        // The rename changed the root's ctime; the root is a dir, compared by mode and names.
        match fs::symlink_metadata(&to) {
            Ok(meta) => entries[0] = Stat::of(&meta, String::new()),
            Err(_) => return false,
        }
        self.restored.insert(
            key,
            Restored {
                diff_id: diff_id.clone(),
                blob: blob.to_path_buf(),
                parent,
                entries,
            },
        );
        true
    }

    /// Records a tree just extracted from `blob`, whose digest was verified.
    pub(crate) fn extracted(
        &mut self,
        layers_dir: &Path,
        (esc, name): (&str, &str),
        diff_id: &DiffId,
        blob: &Path,
    ) {
        let parent = blob_parent(blob);
        let entries = walk(&layers_dir.join(esc).join(name));
        if let (Some(parent), Some(entries)) = (parent, entries) {
            self.restored.insert(
                key(esc, name),
                Restored {
                    diff_id: diff_id.clone(),
                    blob: blob.to_path_buf(),
                    parent,
                    entries,
                },
            );
        }
    }

    /// Waits until every restored tree is settled; drops them all if the clock never passes.
    pub(crate) fn settle_restored(&mut self, marker: &Path) {
        let newest = newest_ctime(self.restored.values().flat_map(|tree| &tree.entries));
        if settle(marker, newest).is_err() {
            self.restored.clear();
        }
    }

    /// Archives `<layers_dir>/<esc>/<name>` into `blob_dir` as [`archive::archive_to_blob`]
    /// does, but links the restored blob instead when the tree is unchanged since restore.
    ///
    /// # Errors
    ///
    /// Fails when a file cannot be read or the blob cannot be written.
    pub(crate) fn archive_layer(
        &mut self,
        layers_dir: &Path,
        (esc, name): (&str, &str),
        owner: Owner,
        blob_dir: &Path,
    ) -> Result<DiffId, ArchiveError> {
        let key = key(esc, name);
        let entries = walk(&layers_dir.join(esc).join(name));
        if let (Some(entries), Some(restored)) = (&entries, self.restored.get(&key)) {
            let parent_mode = fs::symlink_metadata(layers_dir.join(esc))
                .ok()
                .map(|meta| meta.mode() & 0o7777);
            let unchanged = *entries == restored.entries
                && parent_mode == Some(restored.parent.mode)
                && owner == restored.parent.owner;
            if unchanged && link(&restored.blob, &blob_dir.join(restored.diff_id.blob_name())) {
                let diff_id = restored.diff_id.clone();
                self.archived
                    .insert(key, (diff_id.clone(), entries.clone()));
                return Ok(diff_id);
            }
        }
        let rel = Path::new(esc).join(name);
        let diff_id = archive::archive_to_blob(layers_dir, &rel, owner, blob_dir)?;
        if let Some(entries) = entries {
            self.archived.insert(key, (diff_id.clone(), entries));
        }
        Ok(diff_id)
    }

    /// Writes the snapshot of this build's cached layers (`(esc, name, diff ID, committed
    /// blob)`), or removes the file when nothing can be recorded.
    ///
    /// # Errors
    ///
    /// Fails when the file cannot be written or removed.
    pub(crate) fn save(
        &self,
        path: &Path,
        marker: &Path,
        cached: impl IntoIterator<Item = (String, String, DiffId, PathBuf)>,
    ) -> io::Result<()> {
        let mut snapshot = Snapshot {
            format: FORMAT,
            layers: BTreeMap::new(),
        };
        for (esc, name, diff_id, blob) in cached {
            let key = key(&esc, &name);
            let Some((archived, entries)) = self.archived.get(&key) else {
                continue;
            };
            if *archived != diff_id {
                continue;
            }
            let Some(blob) = Stat::file(&blob) else {
                continue;
            };
            snapshot.layers.insert(
                key,
                SavedTree {
                    diff_id: diff_id.as_str().to_owned(),
                    blob,
                    entries: entries.clone(),
                },
            );
        }
        let newest = newest_ctime(
            snapshot
                .layers
                .values()
                .flat_map(|tree| tree.entries.iter().chain([&tree.blob])),
        );
        if snapshot.layers.is_empty() || settle(marker, newest).is_err() {
            return discard(path);
        }
        let json = serde_json::to_vec(&snapshot).map_err(io::Error::other)?;
        crate::fs::write_atomically(path, &json)
    }
}

/// Removes a snapshot that no longer describes the tree's blobs.
pub(crate) fn discard(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// The previous build's layers dir, moved aside, and its snapshot.
#[derive(Debug)]
pub(crate) struct Previous {
    pub(crate) dir: PathBuf,
    pub(crate) snapshot: Snapshot,
}

/// Hard-links (or copies) a blob; `false` when neither works.
fn link(from: &Path, to: &Path) -> bool {
    to.exists() || fs::hard_link(from, to).is_ok() || fs::copy(from, to).is_ok()
}

fn newest_ctime<'a>(stats: impl Iterator<Item = &'a Stat>) -> (i64, i64) {
    stats
        .filter(|stat| !stat.is_dir())
        .map(|stat| stat.ctime)
        .max()
        .unwrap_or((i64::MIN, 0))
}

/// Waits until the file system's clock, as a write to `marker` shows it, is past `newest`.
fn settle(marker: &Path, newest: (i64, i64)) -> io::Result<()> {
    let started = std::time::Instant::now();
    loop {
        fs::write(marker, b"tick")?;
        let meta = fs::metadata(marker)?;
        if (meta.mtime(), meta.mtime_nsec()) > newest {
            return Ok(());
        }
        if started.elapsed() > SETTLE_LIMIT {
            return Err(io::Error::other(format!(
                "the clock of {} did not pass {newest:?}",
                marker.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn tree() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let layer = root.path().join("bp/layer");
        fs::create_dir_all(layer.join("sub")).unwrap();
        fs::write(layer.join("sub/file"), "same").unwrap();
        std::os::unix::fs::symlink("sub/file", layer.join("link")).unwrap();
        root
    }

    #[test]
    fn every_change_the_archive_would_show_changes_the_walk() {
        let root = tree();
        let layer = root.path().join("bp/layer");
        let marker = root.path().join("marker");
        let before = walk(&layer).unwrap();
        settle(&marker, newest_ctime(before.iter())).unwrap();
        assert_eq!(walk(&layer).unwrap(), before, "a walk is repeatable");

        // Same size, same second: the ctime still moves, as settling guarantees.
        fs::write(layer.join("sub/file"), "SAME").unwrap();
        assert_ne!(walk(&layer).unwrap(), before, "contents");

        let before = walk(&layer).unwrap();
        fs::set_permissions(layer.join("sub"), fs::Permissions::from_mode(0o700)).unwrap();
        assert_ne!(walk(&layer).unwrap(), before, "a dir's mode");

        let before = walk(&layer).unwrap();
        fs::remove_file(layer.join("link")).unwrap();
        std::os::unix::fs::symlink("sub/other", layer.join("link")).unwrap();
        assert_ne!(walk(&layer).unwrap(), before, "a symlink's target");

        let before = walk(&layer).unwrap();
        fs::write(layer.join("new"), "").unwrap();
        assert_ne!(walk(&layer).unwrap(), before, "a new entry");
    }

    #[test]
    fn trees_that_would_not_round_trip_are_not_recorded() {
        let root = tree();
        let layer = root.path().join("bp/layer");
        fs::hard_link(layer.join("sub/file"), layer.join("hard")).unwrap();
        assert!(walk(&layer).is_none(), "hard links");
        fs::remove_file(layer.join("hard")).unwrap();
        assert!(walk(&layer).is_some());

        let link = root.path().join("bp/symlinked");
        std::os::unix::fs::symlink(&layer, &link).unwrap();
        assert!(walk(&link).is_none(), "a symlinked root");
    }

    #[test]
    fn a_settled_record_survives_a_save_and_load() {
        let root = tree();
        let layers = root.path();
        let blobs = tempfile::tempdir().unwrap();
        let owner = Owner { uid: 0, gid: 0 };
        let mut trees = Trees::default();
        let diff_id = trees
            .archive_layer(layers, ("bp", "layer"), owner, blobs.path())
            .unwrap();
        let blob = blobs.path().join(diff_id.blob_name());
        let path = layers.join(SNAPSHOT_FILE);
        trees
            .save(
                &path,
                &layers.join("marker"),
                [("bp".into(), "layer".into(), diff_id.clone(), blob.clone())],
            )
            .unwrap();
        let snapshot = Snapshot::load(&path);
        assert_eq!(snapshot.layers["bp/layer"].diff_id, diff_id.as_str());

        // Kept: the tree moves into the new layers dir unchanged.
        let previous = Previous {
            dir: layers.to_path_buf(),
            snapshot,
        };
        let fresh = tempfile::tempdir().unwrap();
        let mut trees = Trees::default();
        assert!(trees.keep(&previous, fresh.path(), ("bp", "layer"), &diff_id, &blob));
        assert_eq!(
            fs::read_to_string(fresh.path().join("bp/layer/sub/file")).unwrap(),
            "same"
        );
        // Unchanged since restore: the blob is linked, not rebuilt.
        let out = tempfile::tempdir().unwrap();
        let again = trees
            .archive_layer(fresh.path(), ("bp", "layer"), owner, out.path())
            .unwrap();
        assert_eq!(again, diff_id);
        let linked = fs::metadata(out.path().join(diff_id.blob_name())).unwrap();
        assert_eq!(linked.ino(), fs::metadata(&blob).unwrap().ino());

        // Changed: archived afresh, to the digest a full archive gives.
        fs::write(fresh.path().join("bp/layer/sub/file"), "diff").unwrap();
        let out = tempfile::tempdir().unwrap();
        let changed = trees
            .archive_layer(fresh.path(), ("bp", "layer"), owner, out.path())
            .unwrap();
        assert_ne!(changed, diff_id);
        assert_eq!(
            changed,
            archive::digest_dir(fresh.path(), Path::new("bp/layer"), owner).unwrap()
        );
    }
}
