//! Deleting a file tree without leaving it: symbolic links are removed, never followed (a
//! restored layer may hold links out of the layers directory, and deleting the layer must not
//! delete what they point to), and read-only directories are made writable first.
//!
//! The cheap path is [`fs::remove_dir_all`], which already never follows links (it opens each
//! directory with `O_NOFOLLOW` and unlinks relative to it). It fails with `PermissionDenied` on a
//! directory its owner can't write or list, as the lifecycle restores a cached `0o555`
//! directory; only then does [`make_directories_writable`] walk the tree, adding the owner's
//! `rwx` to every real directory (files need no change: deleting a file needs write access to
//! its directory, not to the file), and the removal runs again.

use std::fs;
use std::io;
use std::path::Path;

/// Removes `path`: a directory with everything below it, or a file or symbolic link (only the
/// link, never its target). A missing `path` is not an error.
///
/// # Errors
///
/// The I/O error of the removal (unwrapped; the caller names the layer and path).
#[inline]
pub(crate) fn remove_tree(path: &Path) -> io::Result<()> {
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    if !metadata.is_dir() {
        return ignore_not_found(fs::remove_file(path));
    }

    match fs::remove_dir_all(path) {
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            make_directories_writable(path)?;
            ignore_not_found(fs::remove_dir_all(path))
        }
        result => ignore_not_found(result),
    }
}

#[inline]
fn ignore_not_found(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        result => result,
    }
}

/// Gives the owner `rwx` on `dir` and every directory below it, so that their entries can be
/// listed and removed.
///
/// `dir` must be a real directory (not a link to one): [`fs::set_permissions`] follows links,
/// so it is only called on paths that `symlink_metadata` (or a directory entry's type, which is
/// not followed either) showed to be directories.
#[inline]
fn make_directories_writable(dir: &Path) -> io::Result<()> {
    let metadata = fs::symlink_metadata(dir)?;
    if !metadata.is_dir() {
        return Ok(());
    }
    if let Some(permissions) = writable(&metadata.permissions()) {
        fs::set_permissions(dir, permissions)?;
    }

    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            make_directories_writable(&entry.path())?;
        }
    }
    Ok(())
}

/// The permissions with the owner's `rwx` added, or `None` if it has them already.
#[cfg(unix)]
#[inline]
fn writable(permissions: &fs::Permissions) -> Option<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;

    let mode = permissions.mode();
    (mode & 0o700 != 0o700).then(|| fs::Permissions::from_mode(mode | 0o700))
}

/// The permissions without the read-only attribute, or `None` if it isn't set.
#[cfg(not(unix))]
#[inline]
fn writable(permissions: &fs::Permissions) -> Option<fs::Permissions> {
    if !permissions.readonly() {
        return None;
    }
    let mut permissions = permissions.clone();
    #[expect(
        clippy::permissions_set_readonly_false,
        reason = "the directory is deleted right after; this isn't unix, where the lint applies"
    )]
    permissions.set_readonly(false);
    Some(permissions)
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
    }

    fn set_mode(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn removes_a_tree_with_read_only_files_and_directories() {
        let temp_dir = tempfile::tempdir().unwrap();
        let tree = temp_dir.path().join("layer");
        fs::create_dir_all(tree.join("a/b")).unwrap();
        fs::write(tree.join("a/b/file"), "x").unwrap();
        set_mode(&tree.join("a/b/file"), 0o444);
        set_mode(&tree.join("a/b"), 0o555);
        set_mode(&tree.join("a"), 0o000);

        remove_tree(&tree).unwrap();

        assert!(!tree.exists());
    }

    #[test]
    fn removes_a_link_and_not_its_target() {
        let temp_dir = tempfile::tempdir().unwrap();
        let outside = temp_dir.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("keep"), "x").unwrap();
        let link = temp_dir.path().join("layer");
        symlink(&outside, &link).unwrap();

        remove_tree(&link).unwrap();

        assert!(fs::symlink_metadata(&link).is_err());
        assert_eq!(fs::read_to_string(outside.join("keep")).unwrap(), "x");
    }

    #[test]
    fn missing_paths_and_files_are_fine() {
        let temp_dir = tempfile::tempdir().unwrap();
        remove_tree(&temp_dir.path().join("missing")).unwrap();

        let file = temp_dir.path().join("file");
        fs::write(&file, "x").unwrap();
        remove_tree(&file).unwrap();
        assert!(!file.exists());
    }

    /// The fallback itself, which a test running as root never reaches through `remove_tree`
    /// (root may delete from read-only directories).
    #[test]
    fn making_directories_writable_skips_links_and_files() {
        let temp_dir = tempfile::tempdir().unwrap();
        let outside = temp_dir.path().join("outside");
        fs::create_dir(&outside).unwrap();
        set_mode(&outside, 0o555);
        let tree = temp_dir.path().join("layer");
        fs::create_dir_all(tree.join("sub")).unwrap();
        fs::write(tree.join("sub/file"), "x").unwrap();
        symlink(&outside, tree.join("sub/link")).unwrap();
        set_mode(&tree.join("sub/file"), 0o444);
        set_mode(&tree.join("sub"), 0o500);
        set_mode(&tree, 0o555);

        make_directories_writable(&tree).unwrap();

        assert_eq!(mode(&tree), 0o755);
        assert_eq!(mode(&tree.join("sub")), 0o700);
        assert_eq!(mode(&tree.join("sub/file")), 0o444);
        assert_eq!(mode(&outside), 0o555);
        set_mode(&outside, 0o755);
    }
}
