//! File reads and writes, and the [`PathError`]s that name their paths.
//!
//! Every file a buildpack writes (`<layer>.toml`, env files, SBOMs, exec.d programs,
//! `launch.toml`, `build.toml`, `store.toml`, the build plan) is written in place, as upstream
//! libcnb writes it. The lifecycle reads them only after the buildpack exits successfully and
//! exports nothing from a build that failed or was killed, so a half-written file is never seen
//! by a later build; a temporary file renamed into place would only cost time (on ext4 the
//! rename forces the data out). The local lifecycle of `libcnb-lite-test`, whose state does
//! outlive a killed process, writes its own files atomically.

use crate::path_error::PathError;
pub(crate) use crate::path_error::PathOperation as Operation;
use libcnb_lite_data::layer::LayerName;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

/// Writes `contents` to the file at `path`, creating it if needed (`0o666` minus the umask,
/// like [`std::fs::write`]) and replacing what it held.
///
/// The bytes are written over the old ones from the start, and the file is cut to their length
/// if it was longer, rather than emptied first with `O_TRUNC`: ext4 starts writing back a file
/// that was truncated to zero when it is closed, which made rewriting a `<layer>.toml` several
/// times slower than the write itself (and a truncation that changes nothing still costs ext4
/// a journal transaction).
///
/// # Errors
///
/// An error naming `path` (see [`at_path`]) if the file can't be opened, written or resized.
pub(crate) fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref();
    let contents = contents.as_ref();
    let result = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .and_then(|mut file| {
            file.write_all(contents)?;
            let length = contents.len() as u64;
            if file.metadata()?.len() > length {
                file.set_len(length)?;
            }
            Ok(())
        });
    result.map_err(|error| at_path(Operation::Write, path, error))
}

/// Copies the file at `from` to `to`, replacing `to` and giving it `from`'s permission bits,
/// like [`std::fs::copy`].
///
/// # Errors
///
/// An error naming `from` if it can't be opened or read, and one naming `to` if it can't be
/// written.
pub(crate) fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref(), to.as_ref());
    let mut source = File::open(from).map_err(|error| at_path(Operation::Read, from, error))?;
    let permissions = source
        .metadata()
        .map_err(|error| at_path(Operation::Read, from, error))?
        .permissions();
    let mut destination = File::create(to).map_err(|error| at_path(Operation::Write, to, error))?;
    io::copy(&mut source, &mut destination)
        .and_then(|_| destination.set_permissions(permissions))
        .map_err(|error| at_path(Operation::Write, to, error))
}

/// Reads the whole file at `path`, like [`std::fs::read`], reading until `read` reports the end
/// (a short read isn't the end on every file system: FUSE and network file systems return
/// them), but without first asking for the file's size.
///
/// # Errors
///
/// The I/O error of opening or reading the file, as is: callers name the path.
pub(crate) fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    let mut contents = Vec::new();
    let mut buffer = [0; 8 * 1024];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return Ok(contents),
            Ok(read) => contents.extend_from_slice(&buffer[..read]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

/// Wraps `error` in a [`PathError`] naming `path`, keeping its [`io::ErrorKind`] and its
/// message (`Permission denied (os error 13)`, as upstream's).
///
/// Public signatures that mirror upstream libcnb return [`io::Error`] (for example
/// `Platform::from_path` and `LayerEnv::write_to_layer_dir`); this keeps those signatures and
/// upstream's messages while [`PathError::in_io_error`] gives the path back (`couldn't read
/// /platform/env/FOO: Permission denied (os error 13)`). An error that already names a path is
/// returned unchanged.
pub(crate) fn at_path(operation: Operation, path: &Path, error: io::Error) -> io::Error {
    if PathError::in_io_error(&error).is_some() {
        return error;
    }
    PathError::new(operation, path, error).into()
}

/// [`at_path`], also naming `layer` (the `PathError` prints `couldn't delete /layers/bp/gems of
/// layer `gems`: Permission denied (os error 13)`).
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
    let path_error = match PathError::take_from_io_error(error) {
        Ok(path_error) => path_error,
        Err(error) => PathError::new(operation, path, error),
    };
    if path_error.layer().is_some() {
        return path_error.into();
    }
    path_error.with_layer(layer.clone()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::str::FromStr;

    #[test]
    fn write_creates_and_replaces_files() {
        let temp_dir = tempfile::tempdir().unwrap();
        let path = temp_dir.path().join("launch.toml");

        write(&path, "a longer first version").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "a longer first version");

        write(&path, "shorter").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "shorter");

        write(&path, "").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "");
    }

    #[cfg(unix)]
    #[test]
    fn write_writes_in_place() {
        use std::os::unix::fs::MetadataExt;

        let temp_dir = tempfile::tempdir().unwrap();
        let path = temp_dir.path().join("store.toml");
        write(&path, "old").unwrap();
        let inode = fs::metadata(&path).unwrap().ino();

        write(&path, "new").unwrap();

        assert_eq!(fs::metadata(&path).unwrap().ino(), inode);
        let names: Vec<_> = fs::read_dir(temp_dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn write_error_names_the_path_and_keeps_the_kind() {
        let temp_dir = tempfile::tempdir().unwrap();
        let path = temp_dir.path().join("missing-dir").join("launch.toml");

        let error = write(&path, "x").unwrap_err();

        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        let path_error = PathError::in_io_error(&error).unwrap();
        assert_eq!(path_error.path(), path);
        assert_eq!(path_error.operation(), Operation::Write);
        // The io::Error prints upstream's text; the PathError names the path.
        assert_eq!(error.to_string(), "No such file or directory (os error 2)");
        assert!(
            path_error
                .to_string()
                .starts_with(&format!("couldn't write {}: ", path.display())),
            "{path_error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn copy_keeps_permissions_and_content() {
        use std::os::unix::fs::PermissionsExt;

        let temp_dir = tempfile::tempdir().unwrap();
        let from = temp_dir.path().join("program");
        let to = temp_dir.path().join("copy");
        fs::write(&from, "#!/bin/sh\necho hi\n").unwrap();
        fs::set_permissions(&from, fs::Permissions::from_mode(0o751)).unwrap();
        fs::write(&to, "an older, longer program that is replaced").unwrap();

        copy(&from, &to).unwrap();

        assert_eq!(fs::read_to_string(&to).unwrap(), "#!/bin/sh\necho hi\n");
        assert_eq!(
            fs::metadata(&to).unwrap().permissions().mode() & 0o7777,
            0o751
        );
    }

    #[test]
    fn copy_errors_name_the_side_that_failed() {
        let temp_dir = tempfile::tempdir().unwrap();
        let from = temp_dir.path().join("nope");

        let error = copy(&from, temp_dir.path().join("to")).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert_eq!(PathError::in_io_error(&error).unwrap().path(), from);

        let from = temp_dir.path().join("program");
        fs::write(&from, "x").unwrap();
        let to = temp_dir.path().join("missing-dir/program");
        let error = copy(&from, &to).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert_eq!(PathError::in_io_error(&error).unwrap().path(), to);
    }

    #[test]
    fn read_reads_small_large_and_empty_files_whole() {
        let temp_dir = tempfile::tempdir().unwrap();
        let path = temp_dir.path().join("file");
        for length in [0, 1, 8 * 1024 - 1, 8 * 1024, 8 * 1024 + 1, 100_000] {
            let contents: Vec<u8> = (0..length)
                .map(|i: usize| u8::try_from(i % 251).unwrap())
                .collect();
            fs::write(&path, &contents).unwrap();
            assert_eq!(read(&path).unwrap(), contents, "{length} bytes");
        }
        let error = read(&temp_dir.path().join("missing")).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
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
        assert_eq!(error.to_string(), "no");
        let path_error = PathError::in_io_error(&error).unwrap();
        assert_eq!(
            path_error.to_string(),
            "couldn't delete /layers/bp/gems of layer `gems`: no"
        );
        assert_eq!(path_error.layer(), Some(&layer));
        assert_eq!(path_error.path(), Path::new("/layers/bp/gems"));

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
        let path_error = PathError::in_io_error(&error).unwrap();
        assert!(
            path_error
                .to_string()
                .starts_with("couldn't write /layers/bp/gems/env/PATH of layer `gems`: "),
            "{path_error}"
        );
        assert_eq!(
            PathError::in_io_error(&error).unwrap().layer(),
            Some(&layer)
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
        let path_error = PathError::in_io_error(&error).unwrap();
        assert!(
            path_error.to_string().starts_with("couldn't read /a: "),
            "{path_error}"
        );
    }
}
