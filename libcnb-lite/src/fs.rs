//! Atomic file writes and path-carrying I/O errors.
//!
//! Every file this crate writes (`launch.toml`, `store.toml`, the build plan, SBOMs, layer
//! metadata, env files, exec.d programs) goes through [`write_atomically`] or
//! [`copy_atomically`]: the content is written to a temporary file in the destination's
//! directory, which is then renamed over the destination. A reader therefore sees either the
//! old file or the complete new one, never a truncated one, and a failed write leaves the old
//! file in place.
//!
//! # Design
//!
//! - The temporary file lives in the same directory so that the final `rename` never crosses a
//!   file system. Its name starts with `.` and ends with `.tmp`, so neither the lifecycle's
//!   `*.toml` / `*.sbom.*.json` globs nor a reader of `env/` directories mistake it for a real
//!   file (env files are matched by their whole name, and no variable is named `""`).
//! - Names are unique per process (`<pid>.<counter>`) and opened with `create_new`, so two
//!   writers never share a temporary file; an `AlreadyExists` left over from a crashed process
//!   is skipped.
//! - There is no `fsync`: atomicity is what the lifecycle needs (it reads the files after the
//!   buildpack exits), durability across a power loss is not, and the syscall budget of layer
//!   handling (open, write, close, rename) stays small.
//! - This is a dozen lines of `std` rather than the `tempfile` crate, whose `rustix` dependency
//!   would dominate the compile time of a small buildpack.
//!
//! Errors name the destination path; see [`at_path`].

use libcnb_lite_data::layer::LayerName;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `contents` to `path` atomically (temporary file in the same directory, then rename).
///
/// The new file gets the default permissions (`0o666` minus the umask), like [`fs::write`]
/// creating a new file. The parent directory must exist.
///
/// # Errors
///
/// Returns an error that names `path` (see [`at_path`]) if the temporary file cannot be
/// created or written, or the rename fails. The temporary file is removed on failure.
pub(crate) fn write_atomically(
    path: impl AsRef<Path>,
    contents: impl AsRef<[u8]>,
) -> io::Result<()> {
    let path = path.as_ref();
    replace_with(path, None, |file| file.write_all(contents.as_ref()))
        .map_err(|error| at_path(Operation::Write, path, error))
}

/// Copies the file at `from` to `to` atomically, keeping `from`'s permission bits like
/// [`fs::copy`] does.
///
/// # Errors
///
/// Returns an error naming `from` if it cannot be opened or read, and one naming `to` if the
/// temporary file cannot be created, written or renamed.
pub(crate) fn copy_atomically(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref(), to.as_ref());
    let mut source = File::open(from).map_err(|error| at_path(Operation::Read, from, error))?;
    let permissions = source
        .metadata()
        .map_err(|error| at_path(Operation::Read, from, error))?
        .permissions();
    replace_with(to, Some(permissions), |file| {
        io::copy(&mut source, file).map(|_| ())
    })
    .map_err(|error| at_path(Operation::Write, to, error))
}

/// Reads the whole file at `path`, a small regular file such as a `<layer>.toml`.
///
/// Costs three system calls for a file smaller than 8 KiB (`open`, one `read`, `close`),
/// where [`fs::read`] costs five (it also asks for the size and reads once more to see the
/// end). A `read` of a regular file returns fewer bytes than asked for only at the end of the
/// file (POSIX), so a short read ends the loop; a larger file doubles the buffer and reads on.
///
/// # Errors
///
/// The I/O error of `open` or `read`, unwrapped: callers put the path into their own error.
pub(crate) fn read_small_file(path: &Path) -> io::Result<Vec<u8>> {
    const INITIAL_CAPACITY: usize = 8 * 1024;

    let mut file = File::open(path)?;
    let mut buffer = vec![0; INITIAL_CAPACITY];
    let mut length = 0;
    loop {
        match file.read(&mut buffer[length..]) {
            Ok(0) => break,
            Ok(read) => {
                length += read;
                if length < buffer.len() {
                    break;
                }
                buffer.resize(buffer.len() * 2, 0);
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    buffer.truncate(length);
    Ok(buffer)
}

/// Creates a unique temporary sibling of `path`, lets `write` fill it, sets `permissions` (if
/// any) and renames it over `path`. Removes the temporary file if any step fails.
fn replace_with(
    path: &Path,
    permissions: Option<fs::Permissions>,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let (temp_path, mut file) = create_temp_sibling(path)?;

    let result = write(&mut file)
        .and_then(|()| match permissions {
            Some(permissions) => file.set_permissions(permissions),
            None => Ok(()),
        })
        .and_then(|()| {
            drop(file);
            fs::rename(&temp_path, path)
        });

    if result.is_err() {
        // Best effort: the original error is what matters to the caller.
        let _ = fs::remove_file(&temp_path);
    }
    result
}

fn create_temp_sibling(path: &Path) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // `getpid` is a system call on every call; layer handling writes one file per layer.
    static PROCESS_ID: OnceLock<u32> = OnceLock::new();
    let process_id = *PROCESS_ID.get_or_init(std::process::id);

    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };

    loop {
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(file_name);
        temp_name.push(format!(
            ".{}.{}.tmp",
            process_id,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let temp_path = directory.join(temp_name);

        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp_path)
        {
            Ok(file) => return Ok((temp_path, file)),
            // Left behind by an earlier process with the same pid, or written by a forked child
            // that inherited the cached pid; try the next name.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
    }
}

/// What was being done to a path when an I/O error happened.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Operation {
    Read,
    Write,
    Create,
    Delete,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Read => "couldn't read",
            Self::Write => "couldn't write",
            Self::Create => "couldn't create",
            Self::Delete => "couldn't delete",
        })
    }
}

/// An I/O error that names the path it happened on, and the layer if the path belongs to
/// one; only ever seen inside an [`io::Error`].
#[derive(Debug)]
struct PathError {
    operation: Operation,
    path: PathBuf,
    layer: Option<LayerName>,
    source: io::Error,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.operation, self.path.display())?;
        if let Some(layer) = &self.layer {
            write!(f, " of layer `{layer}`")?;
        }
        write!(f, ": {}", self.source)
    }
}

impl std::error::Error for PathError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.source()
    }
}

/// Wraps `error` so that its message names `path`, keeping its [`io::ErrorKind`].
///
/// Public signatures that mirror upstream libcnb return [`io::Error`] (for example
/// `Platform::from_path` and `LayerEnv::write_to_layer_dir`); this keeps those signatures while
/// making the message say which file failed: `couldn't read /platform/env/FOO: Permission denied
/// (os error 13)`. An error that already names a path is returned unchanged.
pub(crate) fn at_path(operation: Operation, path: &Path, error: io::Error) -> io::Error {
    if names_a_path(&error) {
        return error;
    }
    io::Error::new(
        error.kind(),
        PathError {
            operation,
            path: path.to_path_buf(),
            layer: None,
            source: error,
        },
    )
}

/// Wraps `error` so that its message names `path` and `layer`, keeping its
/// [`io::ErrorKind`]: `couldn't delete /layers/bp/gems of layer `gems`: Permission denied (os
/// error 13)`.
///
/// The layer errors keep upstream's `IoError(io::Error)` shape, so this is where they say which
/// layer and file failed. An error that already names a path (from [`at_path`], such as the
/// env file that couldn't be written) keeps that path and operation, and gains the layer.
pub(crate) fn in_layer(
    operation: Operation,
    path: &Path,
    layer: &LayerName,
    error: io::Error,
) -> io::Error {
    let kind = error.kind();
    let mut path_error = if names_a_path(&error) {
        match error
            .into_inner()
            .map(<dyn std::error::Error + Send + Sync>::downcast::<PathError>)
        {
            Some(Ok(path_error)) => *path_error,
            // Not reached (checked above), but rebuilding an error beats panicking.
            Some(Err(inner)) => return io::Error::new(kind, inner),
            None => return io::Error::from(kind),
        }
    } else {
        PathError {
            operation,
            path: path.to_path_buf(),
            layer: None,
            source: error,
        }
    };
    path_error.layer.get_or_insert_with(|| layer.clone());
    io::Error::new(kind, path_error)
}

fn names_a_path(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(<dyn std::error::Error + Send + Sync>::is::<PathError>)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dir_entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_atomically_creates_and_replaces_files_without_leftovers() {
        let temp_dir = tempfile::tempdir().unwrap();
        let path = temp_dir.path().join("launch.toml");

        write_atomically(&path, "first").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "first");

        write_atomically(&path, "second, longer contents").unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "second, longer contents"
        );

        assert_eq!(dir_entries(temp_dir.path()), ["launch.toml"]);
    }

    #[test]
    fn write_atomically_replaces_the_file_instead_of_writing_through_it() {
        // A hard link to the old file keeps the old content: the destination is a new inode,
        // so a reader holding the old file never sees a partial write.
        let temp_dir = tempfile::tempdir().unwrap();
        let path = temp_dir.path().join("store.toml");
        let old_link = temp_dir.path().join("old");
        fs::write(&path, "old").unwrap();
        fs::hard_link(&path, &old_link).unwrap();

        write_atomically(&path, "new").unwrap();

        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(fs::read_to_string(&old_link).unwrap(), "old");
    }

    #[test]
    fn write_atomically_error_names_the_path_and_keeps_the_kind() {
        let temp_dir = tempfile::tempdir().unwrap();
        let path = temp_dir.path().join("missing-dir").join("launch.toml");

        let error = write_atomically(&path, "x").unwrap_err();

        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert!(
            error
                .to_string()
                .starts_with(&format!("couldn't write {}: ", path.display())),
            "{error}"
        );
    }

    #[test]
    fn failed_rename_leaves_the_destination_and_no_temporary_file() {
        let temp_dir = tempfile::tempdir().unwrap();
        // Renaming a file over a non-empty directory fails.
        let destination = temp_dir.path().join("a-directory");
        fs::create_dir(&destination).unwrap();
        fs::write(destination.join("inside"), "old").unwrap();

        let error = write_atomically(&destination, "new").unwrap_err();

        assert!(error.to_string().contains("a-directory"), "{error}");
        assert_eq!(
            fs::read_to_string(destination.join("inside")).unwrap(),
            "old"
        );
        assert_eq!(dir_entries(temp_dir.path()), ["a-directory"]);
    }

    #[cfg(unix)]
    #[test]
    fn copy_atomically_keeps_permissions_and_content() {
        use std::os::unix::fs::PermissionsExt;

        let temp_dir = tempfile::tempdir().unwrap();
        let from = temp_dir.path().join("program");
        let to = temp_dir.path().join("copy");
        fs::write(&from, "#!/bin/sh\necho hi\n").unwrap();
        fs::set_permissions(&from, fs::Permissions::from_mode(0o751)).unwrap();

        copy_atomically(&from, &to).unwrap();

        assert_eq!(fs::read_to_string(&to).unwrap(), "#!/bin/sh\necho hi\n");
        assert_eq!(
            fs::metadata(&to).unwrap().permissions().mode() & 0o7777,
            0o751
        );
        assert_eq!(dir_entries(temp_dir.path()), ["copy", "program"]);
    }

    #[test]
    fn copy_atomically_error_names_the_missing_source() {
        let temp_dir = tempfile::tempdir().unwrap();
        let from = temp_dir.path().join("nope");

        let error = copy_atomically(&from, temp_dir.path().join("to")).unwrap_err();

        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert!(
            error
                .to_string()
                .starts_with(&format!("couldn't read {}: ", from.display())),
            "{error}"
        );
    }

    #[test]
    fn in_layer_names_the_path_and_layer_and_keeps_the_kind() {
        let layer = LayerName::from_str("gems").unwrap();
        let error = in_layer(
            Operation::Delete,
            Path::new("/layers/bp/gems"),
            &layer,
            io::Error::new(io::ErrorKind::PermissionDenied, "no"),
        );
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(
            error.to_string(),
            "couldn't delete /layers/bp/gems of layer `gems`: no"
        );

        // An error that names a path already keeps it and gains the layer, once.
        let error = at_path(
            Operation::Write,
            Path::new("/layers/bp/gems/env/PATH"),
            io::Error::from(io::ErrorKind::StorageFull),
        );
        let error = in_layer(
            Operation::Write,
            Path::new("/layers/bp/gems"),
            &layer,
            error,
        );
        let other = LayerName::from_str("other").unwrap();
        let error = in_layer(Operation::Read, Path::new("/x"), &other, error);
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
        assert!(
            error
                .to_string()
                .starts_with("couldn't write /layers/bp/gems/env/PATH of layer `gems`: "),
            "{error}"
        );
    }

    #[test]
    fn at_path_does_not_wrap_twice() {
        let error = at_path(
            Operation::Read,
            Path::new("/a"),
            io::Error::from(io::ErrorKind::NotFound),
        );
        let error = at_path(Operation::Write, Path::new("/b"), error);
        assert!(
            error.to_string().starts_with("couldn't read /a: "),
            "{error}"
        );
    }
}
