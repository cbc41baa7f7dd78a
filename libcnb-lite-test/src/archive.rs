//! Layer archives, as the lifecycle makes them
//! ([`archive/`](https://github.com/buildpacks/lifecycle/tree/main/archive),
//! [`layers/dir.go`](https://github.com/buildpacks/lifecycle/blob/main/layers/dir.go)): a
//! deterministic tar of a dir streamed through sha256 (the diff ID),
//! optionally teed into a blob file, and a safe extraction that refuses anything escaping
//! the destination.
//!
//! Entries are named relative to a root (`<esc-bp-id>/<layer>/…` for layers), never
//! absolutely: the per-build layers dir moves between builds. Every entry has the mtime
//! 1980-01-01T00:00:01Z, empty user and group names, and the configured uid/gid; modes keep
//! permission, setuid, setgid and sticky bits; symlinks are stored as links; hard links as
//! independent files; sockets are skipped.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};
use tar::{EntryType, Header};
use walkdir::WalkDir;

/// The mtime of every archive entry: 1980-01-01T00:00:01Z.
pub(crate) const NORMALIZED_MTIME: u64 = 315_532_801;

/// The write buffer between the tar writer and the hasher.
const BUFFER_SIZE: usize = 1 << 20;

/// The owner recorded for every entry (`CNB_USER_ID`, `CNB_GROUP_ID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner {
    /// User ID.
    pub uid: u64,
    /// Group ID.
    pub gid: u64,
}

/// The sha256 of an uncompressed layer tar, `sha256:<hex>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DiffId(String);

impl DiffId {
    /// The digest a finished hasher computed.
    pub(crate) fn from_hasher(hasher: Sha256) -> Self {
        use std::fmt::Write as _;
        let mut text = String::from("sha256:");
        for byte in hasher.finalize() {
            let _ = write!(text, "{byte:02x}");
        }
        Self(text)
    }

    /// Parses `sha256:<64 lowercase hex digits>`.
    #[must_use]
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix("sha256:")?;
        (hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Self(text.to_owned()))
    }

    /// The full `sha256:<hex>` text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 64 hex digits, without `sha256:`: the file name of a blob in an OCI layout.
    #[must_use]
    pub(crate) fn hex(&self) -> &str {
        &self.0[7..]
    }

    /// The first 12 hex digits, as `docker images` shows them.
    #[must_use]
    pub fn short(&self) -> &str {
        &self.0[7..19]
    }

    /// The blob file name, `sha256:<hex>.tar`.
    #[must_use]
    pub(crate) fn blob_name(&self) -> String {
        format!("{}.tar", self.0)
    }
}

impl fmt::Display for DiffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Archiving a dir failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The dir to archive, or a dir above it, is a symlink: its contents would come from
    /// outside the dir being archived.
    #[error(
        "{path} is a symlink; a layer and the dirs above it must be real directories, so nothing from outside enters an image or the cache"
    )]
    Symlinked {
        /// The symlink.
        path: PathBuf,
    },
    /// A FIFO or device node, which restore would refuse.
    #[error(
        "{path} is a FIFO or device node; layers and the app may hold files, dirs and symlinks only"
    )]
    Special {
        /// The file.
        path: PathBuf,
    },
    /// A file could not be read, or the archive could not be written.
    #[error("cannot archive {path}")]
    Io {
        /// The file being archived, or the blob being written.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// Extracting an archive was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// An entry would land outside the destination or its layer.
    #[error("refusing archive entry {entry:?}: {reason}")]
    UnsafePath {
        /// The entry name.
        entry: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A device file, FIFO, hard link or other unsupported entry type.
    #[error("refusing archive entry {entry:?}: unsupported entry type {kind}")]
    UnsupportedEntry {
        /// The entry name.
        entry: String,
        /// The tar entry type.
        kind: String,
    },
    /// The archive could not be read.
    #[error("cannot read archive")]
    Read(#[source] io::Error),
    /// A file or dir could not be created.
    #[error("cannot extract to {path}")]
    Write {
        /// The destination path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// A writer that hashes everything it forwards.
struct HashingWriter<W> {
    hasher: Sha256,
    inner: W,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Streams the tar of `root/rel` into `out` and returns its diff ID and `out`.
///
/// Entries: each parent of `rel` (top down), then `rel` itself and everything below it in
/// lexical order, all named relative to `root`. An empty `rel` archives the contents of
/// `root` without a root entry (used for the app dir).
///
/// # Errors
///
/// Fails when a file cannot be read or `out` cannot be written.
pub(crate) fn write_archive<W: Write>(
    root: &Path,
    rel: &Path,
    owner: Owner,
    out: W,
) -> Result<(DiffId, W), ArchiveError> {
    let writer = HashingWriter {
        hasher: Sha256::new(),
        inner: out,
    };
    let mut builder = tar::Builder::new(BufWriter::with_capacity(BUFFER_SIZE, writer));
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ArchiveError::Io { path, source }
    };
    // Neither the root nor a dir on the way to `rel` may lead elsewhere.
    let mut on_the_way = root.to_path_buf();
    for component in std::iter::once(None).chain(rel.components().map(Some)) {
        on_the_way.extend(component);
        let meta = fs::symlink_metadata(&on_the_way).map_err(io_error(&on_the_way))?;
        if meta.file_type().is_symlink() {
            return Err(ArchiveError::Symlinked { path: on_the_way });
        }
    }
    // Parents of the layer dir, top down, keeping their real mode.
    let mut parent = PathBuf::new();
    let parents: Vec<_> = rel.components().collect();
    for component in parents.iter().take(parents.len().saturating_sub(1)) {
        parent.push(component);
        let meta =
            fs::symlink_metadata(root.join(&parent)).map_err(io_error(&root.join(&parent)))?;
        let mut header = base_header(&meta, owner, EntryType::Directory);
        builder
            .append_data(&mut header, &parent, io::empty())
            .map_err(io_error(&root.join(&parent)))?;
    }
    let start = root.join(rel);
    let walk = WalkDir::new(&start)
        .follow_links(false)
        .follow_root_links(false)
        .sort_by_file_name()
        .min_depth(usize::from(rel.as_os_str().is_empty()));
    for entry in walk {
        let entry = entry.map_err(|error| {
            let path = error.path().unwrap_or(&start).to_path_buf();
            ArchiveError::Io {
                path,
                source: error.into(),
            }
        })?;
        let path = entry.path();
        let name = path.strip_prefix(root).unwrap_or(path);
        let meta = entry.metadata().map_err(|error| ArchiveError::Io {
            path: path.to_path_buf(),
            source: error.into(),
        })?;
        let file_type = meta.file_type();
        if file_type.is_dir() {
            let mut header = base_header(&meta, owner, EntryType::Directory);
            builder
                .append_data(&mut header, name, io::empty())
                .map_err(io_error(path))?;
        } else if file_type.is_file() {
            let mut header = base_header(&meta, owner, EntryType::Regular);
            header.set_size(meta.len());
            let file = File::open(path).map_err(io_error(path))?;
            builder
                .append_data(&mut header, name, file.take(meta.len()))
                .map_err(io_error(path))?;
        } else if file_type.is_symlink() {
            let target = fs::read_link(path).map_err(io_error(path))?;
            let mut header = base_header(&meta, owner, EntryType::Symlink);
            builder
                .append_link(&mut header, name, target)
                .map_err(io_error(path))?;
        } else if !file_type.is_socket() {
            // Restore refuses FIFOs and devices, so an archive never holds them.
            return Err(ArchiveError::Special {
                path: path.to_path_buf(),
            });
        }
    }
    let buffered = builder.into_inner().map_err(io_error(root))?;
    let writer = buffered.into_inner().map_err(|error| ArchiveError::Io {
        path: root.to_path_buf(),
        source: error.into_error(),
    })?;
    Ok((DiffId::from_hasher(writer.hasher), writer.inner))
}

fn base_header(meta: &fs::Metadata, owner: Owner, kind: EntryType) -> Header {
    let mut header = Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(meta.permissions().mode() & 0o7777);
    header.set_uid(owner.uid);
    header.set_gid(owner.gid);
    header.set_mtime(NORMALIZED_MTIME);
    header.set_size(0);
    header
}

/// The diff ID of `root/rel`, hashing the tar without storing it.
///
/// # Errors
///
/// Fails when a file cannot be read.
#[cfg(test)]
pub(crate) fn digest_dir(root: &Path, rel: &Path, owner: Owner) -> Result<DiffId, ArchiveError> {
    write_archive(root, rel, owner, io::sink()).map(|(diff_id, _)| diff_id)
}

/// Archives `root/rel` into `<blob_dir>/sha256:<hex>.tar` in one pass (written to a
/// temporary file in `blob_dir`, then renamed) and returns the diff ID.
///
/// # Errors
///
/// Fails when a file cannot be read or the blob cannot be written.
pub(crate) fn archive_to_blob(
    root: &Path,
    rel: &Path,
    owner: Owner,
    blob_dir: &Path,
) -> Result<DiffId, ArchiveError> {
    let blob_error = |source| ArchiveError::Io {
        path: blob_dir.to_path_buf(),
        source,
    };
    let temp = tempfile::NamedTempFile::new_in(blob_dir).map_err(blob_error)?;
    let (diff_id, file) = write_archive(root, rel, owner, temp)?;
    let target = blob_dir.join(diff_id.blob_name());
    if !target.exists() {
        file.persist(&target)
            .map_err(|error| blob_error(error.error))?;
    }
    Ok(diff_id)
}

/// The sha256 of a file, as a diff ID.
///
/// # Errors
///
/// Fails when the file cannot be read.
pub(crate) fn hash_file(path: &Path) -> io::Result<DiffId> {
    let mut file = File::open(path)?;
    let mut writer = HashingWriter {
        hasher: Sha256::new(),
        inner: io::sink(),
    };
    let mut buffered = BufWriter::with_capacity(BUFFER_SIZE, &mut writer);
    io::copy(&mut file, &mut buffered)?;
    buffered.flush()?;
    drop(buffered);
    Ok(DiffId::from_hasher(writer.hasher))
}

/// Extracts an archive under `dest`, as the lifecycle restores a layer, refusing
/// anything unsafe.
///
/// Every entry must be a relative path without `..` that lies inside `allowed` (the layer's
/// `<esc-bp-id>/<layer>`) or is one of its parents; an empty `allowed` allows everything
/// under `dest`. No entry may be written through a symlink. Directories are created
/// writable and get their archived mode only at the end (so 0555 dirs restore); files get
/// their exact mode; symlinks are created as links; hard links, FIFOs and devices are
/// refused. Ownership and mtimes are not restored.
///
/// # Errors
///
/// Fails on an unsafe or unsupported entry, or when a file cannot be created.
pub(crate) fn extract(archive: impl Read, dest: &Path, allowed: &Path) -> Result<(), ExtractError> {
    let mut archive = tar::Archive::new(archive);
    let mut delayed_modes: Vec<(PathBuf, u32)> = Vec::new();
    for entry in archive.entries().map_err(ExtractError::Read)? {
        let mut entry = entry.map_err(ExtractError::Read)?;
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        if kind == EntryType::XGlobalHeader {
            continue;
        }
        let rel = safe_relative_path(&raw_name)?;
        if rel.as_os_str().is_empty() {
            continue;
        }
        let is_parent_of_allowed = allowed.starts_with(&rel) && rel != allowed;
        if !(rel.starts_with(allowed) || is_parent_of_allowed) {
            return Err(ExtractError::UnsafePath {
                entry: raw_name,
                reason: "it lies outside the layer being restored",
            });
        }
        if is_parent_of_allowed && kind != EntryType::Directory {
            return Err(ExtractError::UnsafePath {
                entry: raw_name,
                reason: "a parent of the layer must be a directory",
            });
        }
        let target = dest.join(&rel);
        ensure_no_symlink_on_the_way(dest, &rel, &raw_name)?;
        let write_error = |source| ExtractError::Write {
            path: target.clone(),
            source,
        };
        let mode = entry.header().mode().map_err(ExtractError::Read)? & 0o7777;
        match kind {
            EntryType::Directory => {
                if !target.is_dir() {
                    fs::create_dir_all(&target).map_err(write_error)?;
                    if !is_parent_of_allowed {
                        delayed_modes.push((target.clone(), mode));
                    }
                }
            }
            EntryType::Regular | EntryType::Continuous => {
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(write_error)?;
                }
                let mut file = fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(mode)
                    .open(&target)
                    .map_err(write_error)?;
                io::copy(&mut entry, &mut file).map_err(write_error)?;
                file.set_permissions(fs::Permissions::from_mode(mode))
                    .map_err(write_error)?;
            }
            EntryType::Symlink => {
                let link = entry
                    .link_name()
                    .map_err(ExtractError::Read)?
                    .ok_or_else(|| ExtractError::UnsupportedEntry {
                        entry: raw_name.clone(),
                        kind: "symlink without a target".into(),
                    })?
                    .into_owned();
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(write_error)?;
                }
                std::os::unix::fs::symlink(link, &target).map_err(write_error)?;
            }
            other => {
                return Err(ExtractError::UnsupportedEntry {
                    entry: raw_name,
                    kind: format!("{other:?}"),
                });
            }
        }
    }
    // Deepest first, so a read-only parent never blocks a child's chmod.
    for (path, mode) in delayed_modes.into_iter().rev() {
        fs::set_permissions(&path, fs::Permissions::from_mode(mode))
            .map_err(|source| ExtractError::Write { path, source })?;
    }
    Ok(())
}

/// The entry name as a relative path, or an error for absolute names and `..`.
fn safe_relative_path(name: &str) -> Result<PathBuf, ExtractError> {
    let unsafe_path = |reason| ExtractError::UnsafePath {
        entry: name.to_owned(),
        reason,
    };
    let mut rel = PathBuf::new();
    for component in Path::new(name).components() {
        match component {
            Component::Normal(part) => rel.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err(unsafe_path("it contains `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(unsafe_path("it is an absolute path"));
            }
        }
    }
    Ok(rel)
}

/// Refuses to write through a symlink: neither the target nor any dir between `dest` and it
/// may be a symlink.
fn ensure_no_symlink_on_the_way(dest: &Path, rel: &Path, name: &str) -> Result<(), ExtractError> {
    let mut current = dest.to_path_buf();
    for component in rel.components() {
        current.push(component);
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(ExtractError::UnsafePath {
                    entry: name.to_owned(),
                    reason: "it would be written through a symlink",
                });
            }
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: Owner = Owner {
        uid: 1000,
        gid: 1000,
    };

    fn layer_tree() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let layer = root.path().join("bp/layer");
        fs::create_dir_all(layer.join("ro")).unwrap();
        fs::write(layer.join("ro/file"), "data").unwrap();
        fs::write(layer.join("exe"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(layer.join("exe"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(layer.join("readonly"), "r").unwrap();
        fs::set_permissions(layer.join("readonly"), fs::Permissions::from_mode(0o444)).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", layer.join("abs-link")).unwrap();
        fs::set_permissions(layer.join("ro"), fs::Permissions::from_mode(0o555)).unwrap();
        root
    }

    #[test]
    fn round_trip_keeps_modes_links_and_digest() {
        let src = layer_tree();
        let blobs = tempfile::tempdir().unwrap();
        let diff_id =
            archive_to_blob(src.path(), Path::new("bp/layer"), OWNER, blobs.path()).unwrap();
        assert_eq!(
            diff_id,
            digest_dir(src.path(), Path::new("bp/layer"), OWNER).unwrap()
        );
        let blob = blobs.path().join(diff_id.blob_name());
        assert_eq!(hash_file(&blob).unwrap(), diff_id);

        let dest = tempfile::tempdir().unwrap();
        extract(
            File::open(&blob).unwrap(),
            dest.path(),
            Path::new("bp/layer"),
        )
        .unwrap();
        let layer = dest.path().join("bp/layer");
        let mode = |p: &str| {
            fs::symlink_metadata(layer.join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777
        };
        assert_eq!(mode("exe"), 0o755);
        assert_eq!(mode("readonly"), 0o444);
        assert_eq!(mode("ro"), 0o555);
        assert_eq!(fs::read_to_string(layer.join("ro/file")).unwrap(), "data");
        assert_eq!(
            fs::read_link(layer.join("abs-link")).unwrap(),
            Path::new("/etc/passwd")
        );
        // The restored tree archives to the same digest.
        assert_eq!(
            digest_dir(dest.path(), Path::new("bp/layer"), OWNER).unwrap(),
            diff_id
        );
        for dir in [src.path().join("bp/layer/ro"), layer.join("ro")] {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    #[test]
    fn entries_are_normalised() {
        let src = layer_tree();
        let (_, bytes) =
            write_archive(src.path(), Path::new("bp/layer"), OWNER, Vec::new()).unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                assert_eq!(e.header().mtime().unwrap(), NORMALIZED_MTIME);
                assert_eq!(e.header().uid().unwrap(), 1000);
                assert_eq!(e.header().username().unwrap(), Some(""));
                e.path().unwrap().display().to_string()
            })
            .collect();
        assert_eq!(
            names,
            [
                "bp",
                "bp/layer",
                "bp/layer/abs-link",
                "bp/layer/exe",
                "bp/layer/readonly",
                "bp/layer/ro",
                "bp/layer/ro/file"
            ]
        );
        fs::set_permissions(
            src.path().join("bp/layer/ro"),
            fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }

    fn raw_archive(entries: &[(&str, EntryType, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, kind, data) in entries {
            let mut header = Header::new_gnu();
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_entry_type(*kind);
            header.set_mode(0o644);
            header.set_size(data.len() as u64);
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn hostile_entries_are_refused() {
        let cases: [(&str, EntryType, &str); 6] = [
            ("bp/layer/../../escape", EntryType::Regular, "contains `..`"),
            ("/tmp/escape", EntryType::Regular, "absolute path"),
            ("bp/other/file", EntryType::Regular, "outside the layer"),
            ("bp/layer/fifo", EntryType::Fifo, "unsupported entry type"),
            ("bp/layer/dev", EntryType::Char, "unsupported entry type"),
            ("bp/layer/hard", EntryType::Link, "unsupported entry type"),
        ];
        for (name, kind, expected) in cases {
            let dest = tempfile::tempdir().unwrap();
            let bytes = raw_archive(&[(name, kind, b"")]);
            let error = extract(bytes.as_slice(), dest.path(), Path::new("bp/layer")).unwrap_err();
            assert!(error.to_string().contains(expected), "{name}: {error}");
        }
    }

    #[test]
    fn writing_through_a_symlink_is_refused() {
        let outside = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Symlink);
        header.set_size(0);
        header.set_mode(0o777);
        builder
            .append_link(&mut header, "bp/layer/link", outside.path())
            .unwrap();
        let mut header = Header::new_gnu();
        header.set_size(1);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, "bp/layer/link/file", &b"x"[..])
            .unwrap();
        let bytes = builder.into_inner().unwrap();
        let error = extract(bytes.as_slice(), dest.path(), Path::new("bp/layer")).unwrap_err();
        assert!(error.to_string().contains("through a symlink"), "{error}");
        assert!(!outside.path().join("file").exists());
    }

    #[test]
    fn diff_id_parsing() {
        let id = digest_dir(layer_tree().path(), Path::new("bp"), OWNER).unwrap();
        assert_eq!(DiffId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(id.short().len(), 12);
        assert!(DiffId::parse("sha256:../../x").is_none());
    }

    #[test]
    fn write_archive_is_deterministic() -> Result<(), Box<dyn std::error::Error>> {
        let layers = tempfile::tempdir()?;
        std::fs::create_dir_all(layers.path().join("example_bp/tools/bin"))?;
        std::fs::write(
            layers.path().join("example_bp/tools/bin/tool"),
            "#!/bin/sh\n",
        )?;
        let owner = Owner {
            uid: 1000,
            gid: 1000,
        };
        let (first, _) = write_archive(
            layers.path(),
            "example_bp/tools".as_ref(),
            owner,
            std::io::sink(),
        )?;
        let (second, _) = write_archive(
            layers.path(),
            "example_bp/tools".as_ref(),
            owner,
            std::io::sink(),
        )?;
        assert_eq!(first, second, "archives are deterministic");
        Ok(())
    }
}
