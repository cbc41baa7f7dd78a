//! The platform directory passed to `bin/detect` and `bin/build`.

use crate::Env;
use crate::fs::{Operation, at_path};
use std::path::Path;
use std::{fs, io};

/// The platform: what the platform (e.g. `pack`) hands the buildpack in its platform directory.
///
/// Implement this for a custom type to read more than [`GenericPlatform`](crate::generic::GenericPlatform)
/// does (for example service bindings).
///
/// # Examples
///
/// ```
/// use libcnb_lite::Platform;
/// use libcnb_lite::generic::GenericPlatform;
///
/// # fn main() -> std::io::Result<()> {
/// # let platform_dir = tempfile::tempdir()?;
/// std::fs::create_dir(platform_dir.path().join("env"))?;
/// std::fs::write(platform_dir.path().join("env").join("BP_LOG_LEVEL"), "DEBUG")?;
///
/// let platform = GenericPlatform::from_path(&platform_dir)?;
/// assert_eq!(platform.env().get_string_lossy("BP_LOG_LEVEL").as_deref(), Some("DEBUG"));
/// # Ok(())
/// # }
/// ```
pub trait Platform
where
    Self: Sized,
{
    /// The user-provided environment variables (`<platform>/env/`).
    fn env(&self) -> &Env;

    /// Reads the platform from `platform_dir`.
    ///
    /// # Errors
    ///
    /// An I/O error if the directory's contents can't be read.
    fn from_path(platform_dir: impl AsRef<Path>) -> io::Result<Self>;
}

/// Reads `<platform_dir>/env/`: one file per variable, the file name is the variable name and
/// the file contents, verbatim, its value.
///
/// A missing `env/` directory is an empty `Env`. Directories inside it, and symlinks to
/// directories (Kubernetes mounts `..data` links there), are skipped. Errors name the path.
pub(crate) fn read_platform_env(platform_dir: impl AsRef<Path>) -> io::Result<Env> {
    let env_dir = platform_dir.as_ref().join("env");
    let mut env = Env::new();

    let entries = match fs::read_dir(&env_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(env),
        Err(error) => return Err(at_path(Operation::Read, &env_dir, error)),
    };

    for entry in entries {
        let entry = entry.map_err(|error| at_path(Operation::Read, &env_dir, error))?;
        let path = entry.path();
        // `is_file` follows symlinks: links to files count, links to directories don't.
        if path.is_file() {
            let value = fs::read_to_string(&path)
                .map_err(|error| at_path(Operation::Read, &path, error))?;
            env.insert(entry.file_name(), value);
        }
    }

    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    #[test]
    fn reads_env_files_verbatim() {
        let platform_dir = tempfile::tempdir().unwrap();
        let env_dir = platform_dir.path().join("env");
        fs::create_dir(&env_dir).unwrap();
        fs::write(env_dir.join("FOO"), "BAR").unwrap();
        fs::write(env_dir.join("MULTI"), "line\n").unwrap();

        let env = read_platform_env(platform_dir.path()).unwrap();

        assert_eq!(env.get("FOO"), Some(&OsString::from("BAR")));
        assert_eq!(env.get("MULTI"), Some(&OsString::from("line\n")));
        assert_eq!(env.iter().count(), 2);
    }

    #[test]
    fn skips_directories() {
        let platform_dir = tempfile::tempdir().unwrap();
        let env_dir = platform_dir.path().join("env");
        fs::create_dir_all(env_dir.join("a-directory")).unwrap();
        fs::write(env_dir.join("FOO"), "BAR").unwrap();

        let env = read_platform_env(platform_dir.path()).unwrap();

        assert_eq!(env.iter().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn follows_file_symlinks_and_skips_directory_symlinks() {
        let platform_dir = tempfile::tempdir().unwrap();
        let env_dir = platform_dir.path().join("env");
        let data_dir = platform_dir.path().join("..2024_data");
        fs::create_dir_all(&env_dir).unwrap();
        fs::create_dir_all(&data_dir).unwrap();
        fs::write(data_dir.join("FOO"), "linked").unwrap();
        std::os::unix::fs::symlink(&data_dir, env_dir.join("..data")).unwrap();
        std::os::unix::fs::symlink(data_dir.join("FOO"), env_dir.join("FOO")).unwrap();

        let env = read_platform_env(platform_dir.path()).unwrap();

        assert_eq!(env.get("FOO"), Some(&OsString::from("linked")));
        assert_eq!(env.iter().count(), 1);
    }

    #[test]
    fn missing_env_directory_is_empty() {
        let platform_dir = tempfile::tempdir().unwrap();

        assert_eq!(read_platform_env(platform_dir.path()).unwrap(), Env::new());
    }

    #[test]
    fn unreadable_value_names_the_file() {
        let platform_dir = tempfile::tempdir().unwrap();
        let env_dir = platform_dir.path().join("env");
        fs::create_dir(&env_dir).unwrap();
        fs::write(env_dir.join("BINARY"), [0xff, 0xfe]).unwrap();

        let error = read_platform_env(platform_dir.path()).unwrap_err();

        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        let path_error = crate::PathError::in_io_error(&error).unwrap();
        assert!(
            path_error.to_string().starts_with(&format!(
                "couldn't read {}: ",
                env_dir.join("BINARY").display()
            )),
            "{path_error}"
        );
    }
}
