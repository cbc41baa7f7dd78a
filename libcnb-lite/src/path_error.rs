//! [`PathError`]: an I/O error that knows the path (and the layer) it happened on.

use libcnb_lite_data::layer::LayerName;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// An I/O error on a file or directory: what was being done, to which path, of which layer.
///
/// Functions that mirror upstream libcnb return [`io::Error`] (`LayerEnv::read_from_layer_dir`,
/// `Platform::from_path`) or hold one in upstream's error variants
/// (`ReadLayerError::IoError(io::Error)`, `TomlFileError::IoError(io::Error)`, ...). The
/// `io::Error`s libcnb-lite builds carry a `PathError` inside, so the path is a value you can
/// get back with [`PathError::in_io_error`] (or [`Error::path_error`](crate::Error::path_error)
/// from the framework's error), while the `io::Error` keeps its [`kind`](io::Error::kind) and
/// prints exactly what upstream's prints, the operating system's message
/// (`Permission denied (os error 13)`): buildpacks snapshot their error output. The `PathError`
/// is that `io::Error`'s [`source`](std::error::Error::source), so error reporters that print a
/// whole chain show the path too.
///
/// A `PathError`'s own message is ``couldn't <operation> <path> of layer `<name>`: <the I/O
/// error>`` (without the layer when there is none), and its source is the underlying
/// [`io::Error`].
///
/// # Examples
///
/// ```
/// use libcnb_lite::data::layer_name;
/// use libcnb_lite::layer::{LayerError, ReadLayerError, UncachedLayerDefinition};
/// use libcnb_lite::{Error, PathError, PathOperation};
/// use std::io;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let temp_dir = tempfile::tempdir()?;
/// # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
/// // A directory where the layer's `venv.toml` should be: reading the layer fails.
/// std::fs::create_dir(context.layers_dir.join("venv.toml"))?;
///
/// let error = context
///     .uncached_layer(layer_name!("venv"), UncachedLayerDefinition { build: true, launch: true })
///     .unwrap_err();
///
/// // Upstream's variant, holding an `io::Error`...
/// let Error::LayerError(LayerError::ReadLayerError(ReadLayerError::IoError(io_error))) = &error
/// else {
///     panic!("{error}");
/// };
/// assert_eq!(io_error.kind(), io::ErrorKind::IsADirectory);
/// // ...that holds the path, the layer and what was being done.
/// let path_error = PathError::in_io_error(io_error).expect("libcnb-lite names the path");
/// assert_eq!(path_error.operation(), PathOperation::Read);
/// assert_eq!(path_error.path(), context.layers_dir.join("venv.toml"));
/// assert_eq!(path_error.layer(), Some(&layer_name!("venv")));
/// assert_eq!(path_error.kind(), io::ErrorKind::IsADirectory);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct PathError {
    operation: PathOperation,
    path: PathBuf,
    layer: Option<LayerName>,
    source: io::Error,
}

/// What was being done to a path when a [`PathError`] happened.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum PathOperation {
    /// Reading a file or listing a directory.
    Read,
    /// Writing or copying a file.
    Write,
    /// Creating a directory.
    Create,
    /// Deleting a file or a directory tree.
    Delete,
}

impl PathError {
    /// An error of `operation` on `path`, caused by `source`.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::{PathError, PathOperation};
    /// use std::io;
    ///
    /// let error = PathError::new(
    ///     PathOperation::Read,
    ///     "/platform/env/FOO",
    ///     io::Error::from(io::ErrorKind::PermissionDenied),
    /// );
    /// assert_eq!(error.to_string(), "couldn't read /platform/env/FOO: permission denied");
    ///
    /// // As an `io::Error` it prints what the operating system said, and carries the path.
    /// let io_error = io::Error::from(error);
    /// assert_eq!(io_error.kind(), io::ErrorKind::PermissionDenied);
    /// assert_eq!(io_error.to_string(), "permission denied");
    /// let path_error = PathError::in_io_error(&io_error).expect("carries the PathError");
    /// assert_eq!(path_error.to_string(), "couldn't read /platform/env/FOO: permission denied");
    /// ```
    #[must_use]
    pub fn new(operation: PathOperation, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self {
            operation,
            path: path.into(),
            layer: None,
            source,
        }
    }

    /// The same error, saying that `path` belongs to `layer`.
    #[must_use]
    pub fn with_layer(mut self, layer: LayerName) -> Self {
        self.layer = Some(layer);
        self
    }

    /// The `PathError` inside `error`, if it holds one: how the path comes back out of the
    /// [`io::Error`]s of upstream's error variants.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
    /// use libcnb_lite::PathError;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// let not_a_layer = temp_dir.path().join("file");
    /// std::fs::write(&not_a_layer, "")?;
    /// let env = LayerEnv::new().chainable_insert(Scope::All, ModificationBehavior::Override, "A", "1");
    ///
    /// let error = env.write_to_layer_dir(&not_a_layer).unwrap_err();
    ///
    /// let path_error = PathError::in_io_error(&error).expect("names the path");
    /// assert_eq!(path_error.path(), not_a_layer.join("env"));
    /// assert!(PathError::in_io_error(&std::io::Error::other("no path")).is_none());
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn in_io_error(error: &io::Error) -> Option<&Self> {
        error
            .get_ref()?
            .downcast_ref::<InIoError>()
            .map(|InIoError(path_error)| path_error)
    }

    /// The `PathError` inside `error`, taken out of it, or `error` unchanged if it holds none.
    pub(crate) fn take_from_io_error(error: io::Error) -> Result<Self, io::Error> {
        if Self::in_io_error(&error).is_none() {
            return Err(error);
        }
        let kind = error.kind();
        match error
            .into_inner()
            .map(<dyn std::error::Error + Send + Sync>::downcast::<InIoError>)
        {
            Some(Ok(carried)) => Ok(carried.0),
            // Not reached (checked above), but rebuilding an error beats panicking.
            Some(Err(inner)) => Err(io::Error::new(kind, inner)),
            None => Err(io::Error::from(kind)),
        }
    }

    /// What was being done.
    #[must_use]
    pub fn operation(&self) -> PathOperation {
        self.operation
    }

    /// The file or directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The layer the path belongs to, when the error happened while handling one.
    #[must_use]
    pub fn layer(&self) -> Option<&LayerName> {
        self.layer.as_ref()
    }

    /// The kind of the underlying [`io::Error`].
    #[must_use]
    pub fn kind(&self) -> io::ErrorKind {
        self.source.kind()
    }

    /// The underlying [`io::Error`].
    #[must_use]
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }

    /// The underlying [`io::Error`], without the path. (To keep the path, convert the
    /// `PathError` itself into an `io::Error` with [`From`].)
    #[must_use]
    pub fn into_io_error(self) -> io::Error {
        self.source
    }
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
        Some(&self.source)
    }
}

/// An [`io::Error`] of the same kind and message as the underlying one, that carries the
/// `PathError` (see [`PathError::in_io_error`]) and has it as its source.
impl From<PathError> for io::Error {
    fn from(error: PathError) -> Self {
        Self::new(error.kind(), InIoError(error))
    }
}

/// How a [`PathError`] travels inside an [`io::Error`]: printed as the underlying I/O error, as
/// upstream's `io::Error`s print, with the `PathError` as the source.
#[derive(Debug)]
struct InIoError(PathError);

impl fmt::Display for InIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.source.fmt(f)
    }
}

impl std::error::Error for InIoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl fmt::Display for PathOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Read => "couldn't read",
            Self::Write => "couldn't write",
            Self::Create => "couldn't create",
            Self::Delete => "couldn't delete",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcnb_lite_data::layer_name;
    use std::error::Error as _;

    fn permission_denied() -> PathError {
        PathError::new(
            PathOperation::Delete,
            "/layers/bp/gems",
            io::Error::from(io::ErrorKind::PermissionDenied),
        )
        .with_layer(layer_name!("gems"))
    }

    #[test]
    fn accessors_return_the_values() {
        let error = permission_denied();
        assert_eq!(error.operation(), PathOperation::Delete);
        assert_eq!(error.path(), Path::new("/layers/bp/gems"));
        assert_eq!(error.layer(), Some(&layer_name!("gems")));
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(error.io_error().kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(
            error.to_string(),
            "couldn't delete /layers/bp/gems of layer `gems`: permission denied"
        );
        let source = error.source().unwrap();
        assert_eq!(source.to_string(), "permission denied");
        assert_eq!(
            error.into_io_error().kind(),
            io::ErrorKind::PermissionDenied
        );
    }

    #[test]
    fn converts_into_an_io_error_keeping_kind_message_and_path() {
        let io_error = io::Error::from(permission_denied());

        assert_eq!(io_error.kind(), io::ErrorKind::PermissionDenied);
        // Upstream's io::Errors print the operating system's message alone.
        assert_eq!(io_error.to_string(), "permission denied");
        let path_error = PathError::in_io_error(&io_error).unwrap();
        assert_eq!(path_error.path(), Path::new("/layers/bp/gems"));
        assert_eq!(
            io_error.source().unwrap().to_string(),
            "couldn't delete /layers/bp/gems of layer `gems`: permission denied"
        );
        let path_error = PathError::take_from_io_error(io_error).unwrap();
        assert_eq!(path_error.layer(), Some(&layer_name!("gems")));
        assert!(PathError::take_from_io_error(io::Error::other("text")).is_err());
        assert!(PathError::in_io_error(&io::Error::from(io::ErrorKind::NotFound)).is_none());
        assert!(PathError::in_io_error(&io::Error::other("text")).is_none());
    }

    #[test]
    fn is_send_sync_and_static() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<PathError>();
        assert_send_sync::<PathOperation>();
    }
}
