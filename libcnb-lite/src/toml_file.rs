//! Reading and writing TOML files with serde.

use crate::fs::{Operation, at_path};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::{fs, io, path::Path};

/// An error from [`read_toml_file`] or [`write_toml_file`].
///
/// The variants and messages are those of upstream libcnb's `TomlFileError`, and, as there,
/// each variant's error is also its [`source`](std::error::Error::source). I/O errors keep
/// their [`io::ErrorKind`] (`error.kind() == io::ErrorKind::NotFound` still tells a missing file
/// apart) and carry the file they happened on: [`TomlFileError::path_error`].
#[derive(thiserror::Error, Debug)]
pub enum TomlFileError {
    /// The file couldn't be read or written.
    #[error("I/O error while reading/writing TOML file: {0}")]
    IoError(#[from] io::Error),

    /// The file's contents aren't valid TOML or don't match the expected type.
    #[error("TOML deserialization error while reading TOML file: {0}")]
    TomlDeserializationError(#[from] toml::de::Error),

    /// The value couldn't be serialized as TOML.
    #[error("TOML serialization error while writing TOML file: {0}")]
    TomlSerializationError(#[from] toml::ser::Error),
}

impl TomlFileError {
    /// The file an [`IoError`](Self::IoError) happened on, when libcnb-lite knows it.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::data::store::Store;
    /// use libcnb_lite::read_toml_file;
    ///
    /// let error = read_toml_file::<Store>("/nonexistent/store.toml").unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "I/O error while reading/writing TOML file: No such file or directory (os error 2)"
    /// );
    /// let path_error = error.path_error().expect("names the file");
    /// assert_eq!(path_error.path(), std::path::Path::new("/nonexistent/store.toml"));
    /// ```
    #[must_use]
    pub fn path_error(&self) -> Option<&crate::PathError> {
        match self {
            Self::IoError(error) => crate::PathError::in_io_error(error),
            Self::TomlDeserializationError(_) | Self::TomlSerializationError(_) => None,
        }
    }
}

/// Serializes `value` as TOML and writes it to `path`, replacing the file in place (as upstream
/// libcnb does).
///
/// # Examples
///
/// ```
/// use libcnb_lite::data::store::Store;
/// use libcnb_lite::{read_toml_file, write_toml_file};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let temp_dir = tempfile::tempdir()?;
/// let path = temp_dir.path().join("store.toml");
/// let mut store = Store::default();
/// store.metadata.insert("answer".into(), 42.into());
///
/// write_toml_file(&store, &path)?;
///
/// assert_eq!(std::fs::read_to_string(&path)?, "[metadata]\nanswer = 42\n");
/// let read_back: Store = read_toml_file(&path)?;
/// assert_eq!(read_back.metadata["answer"].as_integer(), Some(42));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// [`TomlFileError::TomlSerializationError`] if `value` can't be represented as TOML,
/// [`TomlFileError::IoError`] (naming `path`) if the file can't be written.
pub fn write_toml_file(
    value: &impl Serialize,
    path: impl AsRef<Path>,
) -> Result<(), TomlFileError> {
    let contents = toml::to_string(value)?;
    crate::fs::write(path, contents)?;
    Ok(())
}

/// Reads the TOML file at `path` and deserializes it into `A`.
///
/// # Examples
///
/// ```
/// use libcnb_lite::{TomlFileError, read_toml_file};
/// use libcnb_lite::data::buildpack_plan::BuildpackPlan;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let temp_dir = tempfile::tempdir()?;
/// let path = temp_dir.path().join("plan.toml");
/// std::fs::write(&path, "[[entries]]\nname = \"python\"\n")?;
///
/// let plan: BuildpackPlan = read_toml_file(&path)?;
/// assert_eq!(plan.entries[0].name, "python");
///
/// let missing = read_toml_file::<BuildpackPlan>(temp_dir.path().join("missing.toml"));
/// assert!(matches!(missing, Err(TomlFileError::IoError(e)) if e.kind() == std::io::ErrorKind::NotFound));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// [`TomlFileError::IoError`] (naming `path`) if the file can't be read,
/// [`TomlFileError::TomlDeserializationError`] if it isn't valid TOML or doesn't match `A`.
pub fn read_toml_file<A: DeserializeOwned>(path: impl AsRef<Path>) -> Result<A, TomlFileError> {
    let path = path.as_ref();
    let contents =
        fs::read_to_string(path).map_err(|error| at_path(Operation::Read, path, error))?;
    Ok(toml::from_str(&contents)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Answer {
        answer: u32,
    }

    #[test]
    fn round_trip() {
        let temp_dir = tempfile::tempdir().unwrap();
        let path = temp_dir.path().join("answer.toml");

        write_toml_file(&Answer { answer: 42 }, &path).unwrap();

        assert_eq!(std::fs::read_to_string(&path).unwrap(), "answer = 42\n");
        assert_eq!(
            read_toml_file::<Answer>(&path).unwrap(),
            Answer { answer: 42 }
        );
    }

    #[test]
    fn read_error_names_the_file() {
        let temp_dir = tempfile::tempdir().unwrap();
        let path = temp_dir.path().join("buildpack.toml");

        let error = read_toml_file::<Answer>(&path).unwrap_err();

        assert_eq!(
            error.to_string(),
            "I/O error while reading/writing TOML file: No such file or directory (os error 2)"
        );
        assert_eq!(
            error.path_error().unwrap().to_string(),
            format!(
                "couldn't read {}: No such file or directory (os error 2)",
                path.display()
            )
        );
        assert!(matches!(error, TomlFileError::IoError(e) if e.kind() == io::ErrorKind::NotFound));
    }

    #[test]
    fn deserialization_error_message() {
        let temp_dir = tempfile::tempdir().unwrap();
        let path = temp_dir.path().join("answer.toml");
        std::fs::write(&path, "answer = \"no\"\n").unwrap();

        let error = read_toml_file::<Answer>(&path).unwrap_err();

        assert!(matches!(error, TomlFileError::TomlDeserializationError(_)));
        assert!(
            error.to_string().starts_with(
                "TOML deserialization error while reading TOML file: TOML parse error at line 1"
            ),
            "{error}"
        );
        assert!(
            std::error::Error::source(&error).is_some(),
            "as upstream's #[from]"
        );
    }

    #[test]
    fn serialization_error_message() {
        let temp_dir = tempfile::tempdir().unwrap();
        let path = temp_dir.path().join("x.toml");

        // A bare integer is not a TOML document.
        let error = write_toml_file(&42, &path).unwrap_err();

        assert!(matches!(error, TomlFileError::TomlSerializationError(_)));
        assert!(
            error
                .to_string()
                .starts_with("TOML serialization error while writing TOML file: "),
            "{error}"
        );
        assert!(!path.exists());
    }
}
