//! The crate's two file-system helpers with a policy: writing a file of the state dir
//! atomically, and deleting a tree that a buildpack may have made read-only.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use walkdir::WalkDir;

/// Writes `contents` to `path` atomically (a temporary file in the same dir, then a rename),
/// with mode 0644.
///
/// The state dir outlives a killed process, so a reader must find either the old file or the
/// new one, never a torn one.
///
/// # Errors
///
/// Fails when the temporary file cannot be created or written, or the rename fails.
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(contents)?;
    temp.as_file()
        .set_permissions(fs::Permissions::from_mode(0o644))?;
    temp.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// Removes the file, symlink or tree at `path`, first making its dirs writable (restored
/// layers may hold 0555 dirs). A symlink is removed itself, never followed, so nothing
/// outside `path` is changed or deleted. A missing `path` is not an error; every other
/// failure is.
///
/// # Errors
///
/// Fails when `path` or an entry below it cannot be read, made writable or removed.
pub(crate) fn remove_dir_forcibly(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
        Ok(meta) if !meta.is_dir() => return ignore_not_found(fs::remove_file(path)),
        Ok(_) => {}
    }
    for entry in WalkDir::new(path).follow_links(false) {
        let entry = entry.map_err(io::Error::from)?;
        if entry.file_type().is_dir() {
            let mode = entry
                .metadata()
                .map_err(io::Error::from)?
                .permissions()
                .mode();
            if mode & 0o700 != 0o700 {
                fs::set_permissions(entry.path(), fs::Permissions::from_mode(mode | 0o700))?;
            }
        }
    }
    ignore_not_found(fs::remove_dir_all(path))
}

fn ignore_not_found(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomically_replaces_the_file_with_mode_0644() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metadata.json");
        fs::write(&path, "old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn a_missing_path_is_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        remove_dir_forcibly(&dir.path().join("missing")).unwrap();
    }

    #[test]
    fn other_errors_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, "").unwrap();
        // A path below a regular file: ENOTDIR, not NotFound.
        let error = remove_dir_forcibly(&file.join("below")).unwrap_err();
        assert_ne!(error.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn forced_removal_handles_read_only_dirs_and_never_follows_a_symlinked_root() {
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::create_dir(&victim).unwrap();
        fs::set_permissions(&victim, fs::Permissions::from_mode(0o555)).unwrap();
        let state = tempfile::tempdir().unwrap();
        let link = state.path().join("build");
        std::os::unix::fs::symlink(outside.path(), &link).unwrap();
        remove_dir_forcibly(&link).unwrap();
        assert!(!link.exists());
        let mode = fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o555, "the link target is untouched");

        let tree = state.path().join("tree");
        fs::create_dir_all(tree.join("ro/sub")).unwrap();
        fs::set_permissions(tree.join("ro"), fs::Permissions::from_mode(0o555)).unwrap();
        remove_dir_forcibly(&tree).unwrap();
        assert!(!tree.exists());
        fs::set_permissions(&victim, fs::Permissions::from_mode(0o755)).unwrap();
    }
}
