//! The layer store: the one module that reads, writes and deletes a layer's files, for both
//! layer APIs.
//!
//! A layer `<name>` is the directory `<layers>/<name>`, its content metadata
//! `<layers>/<name>.toml`, and its SBOMs `<layers>/<name>.sbom.<format>.json`. [`LayerFiles::read`]
//! tells what the lifecycle restored, as upstream libcnb's `read_layer` (`src/layer/shared.rs`)
//! does, without changing anything:
//!
//! - no directory: the layer is absent, with or without a `<name>.toml` (the lifecycle restores
//!   only the metadata of a launch-only layer, which the libcnb APIs don't support);
//! - a directory without `<name>.toml`: the layer exists, with no types and no metadata;
//! - both: `<name>.toml` is parsed; TOML that doesn't parse, has other top-level keys than
//!   `types` and `metadata`, or bad `[types]` is an error.
//!
//! Cleaning up is a step of its own: [`LayerFiles::remove_leftovers`] removes what an absent
//! layer left (its `<name>.toml`, and SBOMs, which the lifecycle restores without checking for
//! their layer), so that a new layer doesn't inherit them, and [`LayerFiles::delete`] removes a
//! whole layer.
//!
//! Files are written in place (see [`crate::fs`]). I/O errors carry a
//! [`PathError`](crate::PathError) naming the path and the layer.

use crate::fs::{Operation, in_layer};
use crate::generic::GenericMetadata;
use crate::internals::is_valid_binary_target_name;
use crate::layer::delete::remove_tree;
use crate::layer::error::{
    DeleteLayerError, LayerError, ReadLayerError, ReplaceLayerExecdProgramsError,
    ReplaceLayerSbomsError, WriteLayerError, WriteLayerMetadataError,
};
use crate::layer_env::LayerEnv;
use crate::sbom::{Sbom, cnb_sbom_path, write_sboms};
use crate::toml_file::TomlFileError;
use libcnb_lite_data::layer::LayerName;
use libcnb_lite_data::layer_content_metadata::LayerContentMetadata;
use libcnb_lite_data::sbom::SBOM_FORMATS;
use serde::Serialize;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// `<layer>.toml` with its `[metadata]` as raw TOML: any value, not only a table, so that a
/// metadata type that isn't a struct (an integer, say) reads back as upstream reads it.
pub(crate) type RawContentMetadata = LayerContentMetadata<Option<toml::Value>>;

/// A layer found on disk.
#[derive(Debug)]
pub(crate) struct StoredLayer {
    /// `<layer>.toml`, parsed.
    pub(crate) content: RawContentMetadata,
    /// `<layer>.toml` as read (empty if there was none).
    bytes: Vec<u8>,
}

impl StoredLayer {
    /// The `[metadata]` as [`GenericMetadata`], parsed from `<layer>.toml` as upstream parses
    /// it for the invalid-metadata callback.
    ///
    /// # Errors
    ///
    /// The TOML error if the metadata isn't a table.
    #[inline]
    pub(crate) fn generic_metadata(&self) -> Result<GenericMetadata, toml::de::Error> {
        toml::from_slice::<LayerContentMetadata<GenericMetadata>>(&self.bytes)
            .map(|content| content.metadata)
    }
}

/// The files of one layer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerFiles<'a> {
    layers_dir: &'a Path,
    name: &'a LayerName,
}

impl<'a> LayerFiles<'a> {
    #[inline]
    pub(crate) fn new(layers_dir: &'a Path, name: &'a LayerName) -> Self {
        Self { layers_dir, name }
    }

    #[inline]
    pub(crate) fn name(&self) -> &'a LayerName {
        self.name
    }

    /// `<layers>/<name>`.
    #[inline]
    pub(crate) fn dir(&self) -> PathBuf {
        self.layers_dir.join(self.name.as_str())
    }

    /// `<layers>/<name>.toml`.
    #[inline]
    pub(crate) fn toml_path(&self) -> PathBuf {
        self.layers_dir.join(format!("{}.toml", self.name))
    }

    /// Reads the layer: `None` if it has no directory (see the module docs). Changes nothing.
    ///
    /// # Errors
    ///
    /// [`ReadLayerError::IoError`] if a file can't be read, and
    /// [`LayerError::CouldNotReadGenericLayerMetadata`] with the TOML error if `<name>.toml`
    /// isn't valid layer content metadata, as upstream's struct API.
    // `inline`: only the generic layer APIs call this, so its TOML deserialization (a fifth of
    // this crate's release build time) is compiled only into buildpacks that use layers.
    #[inline]
    pub(crate) fn read(&self) -> Result<Option<StoredLayer>, LayerError> {
        let toml_path = self.toml_path();
        let bytes = match crate::fs::read(&toml_path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(error) => return Err(self.read_error(&toml_path, error).into()),
        };

        let dir = self.dir();
        match fs::metadata(&dir) {
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(self.read_error(&dir, error).into()),
        }

        let content = toml::from_slice::<RawContentMetadata>(&bytes).map_err(|error| {
            LayerError::CouldNotReadGenericLayerMetadata(TomlFileError::TomlDeserializationError(
                error,
            ))
        })?;
        Ok(Some(StoredLayer { content, bytes }))
    }

    #[inline]
    fn read_error(&self, path: &Path, error: io::Error) -> ReadLayerError {
        ReadLayerError::IoError(in_layer(Operation::Read, path, self.name, error))
    }

    /// Removes what a layer without directory may have left: `<name>.toml` and the SBOMs.
    /// Whatever is already missing is fine.
    ///
    /// # Errors
    ///
    /// [`DeleteLayerError`] naming the file that couldn't be removed.
    #[inline]
    pub(crate) fn remove_leftovers(&self) -> Result<(), DeleteLayerError> {
        self.remove_file(&self.toml_path())?;
        self.remove_sboms()
    }

    /// Creates the layer directory (and the layers directory, if missing). A dangling symbolic
    /// link in its place is replaced by a directory.
    ///
    /// # Errors
    ///
    /// [`WriteLayerError::IoError`] naming the directory and the layer.
    #[inline]
    pub(crate) fn create_dir(&self) -> Result<(), WriteLayerError> {
        let dir = self.dir();
        let result = match fs::create_dir(&dir) {
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && !dir.is_dir() => {
                remove_tree(&dir).and_then(|()| fs::create_dir(&dir))
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => fs::create_dir_all(&dir),
            result => result,
        };
        result.map_err(|error| {
            WriteLayerError::IoError(in_layer(Operation::Create, &dir, self.name, error))
        })
    }

    /// Writes `<name>.toml`.
    ///
    /// # Errors
    ///
    /// [`WriteLayerMetadataError::TomlFileError`] with the TOML error if the metadata can't be
    /// serialized, [`WriteLayerMetadataError::IoError`] if the file can't be written.
    pub(crate) fn write_content_metadata<M: Serialize>(
        &self,
        content: &LayerContentMetadata<M>,
    ) -> Result<(), WriteLayerMetadataError> {
        let text = toml::to_string(content).map_err(|error| {
            WriteLayerMetadataError::TomlFileError(TomlFileError::TomlSerializationError(error))
        })?;
        let path = self.toml_path();
        crate::fs::write(&path, text).map_err(|error| {
            WriteLayerMetadataError::IoError(in_layer(Operation::Write, &path, self.name, error))
        })
    }

    /// Deletes the layer: its directory (never following a symbolic link, whether the
    /// directory itself is one or something inside it; read-only contents included),
    /// `<name>.toml` and its SBOMs. Whatever is already missing is fine.
    ///
    /// # Errors
    ///
    /// [`DeleteLayerError`] naming the path that couldn't be removed.
    #[inline]
    pub(crate) fn delete(&self) -> Result<(), DeleteLayerError> {
        let dir = self.dir();
        remove_tree(&dir).map_err(|error| self.delete_error(&dir, error))?;
        self.remove_leftovers()
    }

    #[inline]
    fn remove_sboms(&self) -> Result<(), DeleteLayerError> {
        for format in SBOM_FORMATS {
            self.remove_file(&cnb_sbom_path(*format, self.layers_dir, self.name.as_str()))?;
        }
        Ok(())
    }

    #[inline]
    fn remove_file(&self, path: &Path) -> Result<(), DeleteLayerError> {
        match fs::remove_file(path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                Err(self.delete_error(path, error))
            }
            _ => Ok(()),
        }
    }

    #[inline]
    fn delete_error(&self, path: &Path, error: io::Error) -> DeleteLayerError {
        DeleteLayerError::IoError(in_layer(Operation::Delete, path, self.name, error))
    }

    /// Replaces the layer's SBOM files by `sboms` (a later SBOM of the same format wins).
    ///
    /// # Errors
    ///
    /// [`ReplaceLayerSbomsError::MissingLayer`] if the layer directory doesn't exist, and
    /// [`ReplaceLayerSbomsError::IoError`] naming the file that couldn't be removed or
    /// written, and the layer.
    #[inline]
    pub(crate) fn replace_sboms(&self, sboms: &[Sbom]) -> Result<(), ReplaceLayerSbomsError> {
        if !self.dir().is_dir() {
            return Err(ReplaceLayerSbomsError::MissingLayer(self.name.clone()));
        }
        self.remove_sboms()
            .map_err(|DeleteLayerError::IoError(error)| ReplaceLayerSbomsError::IoError(error))?;
        write_sboms(sboms, self.layers_dir, self.name.as_str()).map_err(|error| {
            ReplaceLayerSbomsError::IoError(in_layer(
                Operation::Write,
                self.layers_dir,
                self.name,
                error,
            ))
        })
    }

    /// Replaces `<name>/exec.d/` by a directory with a copy of each program (keeping its
    /// permissions), or by nothing if `programs` is empty.
    ///
    /// Names and sources are checked before anything changes. As upstream, a directory named
    /// `exec.d` (or a symbolic link to one, of which only the link is removed) is replaced,
    /// while anything else of that name stays, so that creating the directory fails with
    /// [`io::ErrorKind::AlreadyExists`].
    ///
    /// # Errors
    ///
    /// [`ReplaceLayerExecdProgramsError`]: the layer directory is missing, a name isn't a file
    /// name, a program doesn't exist, or `exec.d` can't be replaced.
    #[inline]
    pub(crate) fn replace_exec_d_programs(
        &self,
        programs: &HashMap<String, PathBuf>,
    ) -> Result<(), ReplaceLayerExecdProgramsError> {
        let dir = self.dir();
        if !dir.is_dir() {
            return Err(ReplaceLayerExecdProgramsError::MissingLayer(
                self.name.clone(),
            ));
        }
        for (name, source) in programs {
            if !is_valid_binary_target_name(name) {
                return Err(ReplaceLayerExecdProgramsError::InvalidProgramName {
                    layer: self.name.clone(),
                    name: name.clone(),
                });
            }
            if !source.exists() {
                return Err(ReplaceLayerExecdProgramsError::MissingExecDFile(
                    source.clone(),
                ));
            }
        }

        let exec_d_dir = dir.join("exec.d");
        let io_error = |operation, path: &Path, error| {
            ReplaceLayerExecdProgramsError::IoError(in_layer(operation, path, self.name, error))
        };
        if exec_d_dir.is_dir() {
            remove_tree(&exec_d_dir)
                .map_err(|error| io_error(Operation::Delete, &exec_d_dir, error))?;
        }
        if programs.is_empty() {
            return Ok(());
        }
        fs::create_dir(&exec_d_dir)
            .map_err(|error| io_error(Operation::Create, &exec_d_dir, error))?;
        for (name, source) in programs {
            let destination = exec_d_dir.join(name);
            crate::fs::copy(source, &destination)
                .map_err(|error| io_error(Operation::Write, &destination, error))?;
        }
        Ok(())
    }

    /// Replaces the layer's `env/`, `env.build/` and `env.launch/` by `env`.
    ///
    /// # Errors
    ///
    /// [`WriteLayerError::IoError`] naming the file and the layer.
    #[inline]
    pub(crate) fn write_env(&self, env: &LayerEnv) -> Result<(), WriteLayerError> {
        let dir = self.dir();
        env.write_to_layer_dir(&dir).map_err(|error| {
            WriteLayerError::IoError(in_layer(Operation::Write, &dir, self.name, error))
        })
    }

    /// Reads the layer's environment, including the implicit entries of `bin/`, `lib/` and so
    /// on (see [`LayerEnv::read_from_layer_dir`]).
    ///
    /// # Errors
    ///
    /// [`ReadLayerError::IoError`] naming the file and the layer.
    #[inline]
    pub(crate) fn read_env(&self) -> Result<LayerEnv, ReadLayerError> {
        let dir = self.dir();
        LayerEnv::read_from_layer_dir(&dir).map_err(|error| self.read_error(&dir, error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::test_support::{names, read, restore, write};
    use libcnb_lite_data::layer_name;
    use libcnb_lite_data::sbom::SbomFormat;

    fn name() -> LayerName {
        layer_name!("cache")
    }

    #[test]
    fn nothing_on_disk_is_absent() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();

        assert!(
            LayerFiles::new(temp_dir.path(), &name)
                .read()
                .unwrap()
                .is_none()
        );
        assert!(names(temp_dir.path()).is_empty());
    }

    #[test]
    fn toml_without_directory_is_absent_and_its_leftovers_are_removed_separately() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let layers_dir = temp_dir.path();
        restore(layers_dir, "cache", "[metadata]\nversion = \"1\"\n");
        fs::remove_dir_all(layers_dir.join("cache")).unwrap();
        restore(layers_dir, "other", "");
        let files = LayerFiles::new(layers_dir, &name);

        assert!(files.read().unwrap().is_none());
        // Reading changes nothing.
        assert_eq!(
            names(layers_dir),
            [
                "cache.sbom.cdx.json",
                "cache.toml",
                "other",
                "other.sbom.cdx.json",
                "other.toml"
            ]
        );

        files.remove_leftovers().unwrap();
        assert_eq!(
            names(layers_dir),
            ["other", "other.sbom.cdx.json", "other.toml"]
        );
        files.remove_leftovers().unwrap();
    }

    #[test]
    fn directory_without_toml_exists_without_types_or_metadata() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        write(&temp_dir.path().join("cache/content"), "x");

        let layer = LayerFiles::new(temp_dir.path(), &name)
            .read()
            .unwrap()
            .unwrap();

        assert_eq!(layer.content.types, None);
        assert_eq!(layer.content.metadata, None);
        assert_eq!(layer.generic_metadata(), Ok(None));
        // Nothing is written: the caller writes `<layer>.toml` once it knows the types.
        assert_eq!(names(temp_dir.path()), ["cache"]);
    }

    #[test]
    fn both_are_parsed() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let text = "[types]\nbuild = true\n\n[metadata]\nversion = \"1\"\n";
        restore(temp_dir.path(), "cache", text);

        let layer = LayerFiles::new(temp_dir.path(), &name)
            .read()
            .unwrap()
            .unwrap();

        assert!(layer.content.types.unwrap().build);
        assert_eq!(
            layer.content.metadata.as_ref().unwrap()["version"].as_str(),
            Some("1")
        );
        let generic = layer.generic_metadata().unwrap().unwrap();
        assert_eq!(generic["version"].as_str(), Some("1"));
    }

    #[test]
    fn metadata_of_any_type_reads() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        restore(temp_dir.path(), "cache", "metadata = 5\n");

        let layer = LayerFiles::new(temp_dir.path(), &name)
            .read()
            .unwrap()
            .unwrap();

        assert_eq!(layer.content.metadata, Some(toml::Value::Integer(5)));
        // As `GenericMetadata` it's upstream's TOML error.
        let error = layer.generic_metadata().unwrap_err();
        assert_eq!(error.span(), Some(11..12));
        assert!(error.message().contains("expected a map"), "{error}");
    }

    #[test]
    fn invalid_content_metadata_is_upstreams_toml_error() {
        let name = name();
        for text in [
            "[types",
            "launch = true\n",
            "[types]\nlaunch = \"yes\"\n",
            "[metadata]\nversion = \"1",
            "\u{feff}\u{0}\u{1}",
        ] {
            let temp_dir = tempfile::tempdir().unwrap();
            restore(temp_dir.path(), "cache", text);

            let error = LayerFiles::new(temp_dir.path(), &name).read().unwrap_err();

            let LayerError::CouldNotReadGenericLayerMetadata(
                TomlFileError::TomlDeserializationError(toml_error),
            ) = &error
            else {
                panic!("{text:?}: {error:?}");
            };
            // The error the `toml` crate reported, with its position in the file.
            let expected = toml::from_str::<RawContentMetadata>(text).unwrap_err();
            assert_eq!(toml_error, &expected, "{text:?}");
            assert_eq!(read(&temp_dir.path().join("cache.toml")), text);
        }
    }

    #[test]
    fn io_errors_name_the_path_and_the_layer_and_keep_the_kind() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let toml_path = temp_dir.path().join("cache.toml");
        fs::create_dir(&toml_path).unwrap();

        let error = LayerFiles::new(temp_dir.path(), &name).read().unwrap_err();

        match &error {
            LayerError::ReadLayerError(ReadLayerError::IoError(source)) => {
                assert_eq!(source.kind(), io::ErrorKind::IsADirectory);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            error.to_string(),
            "Unexpected I/O error while reading layer: Is a directory (os error 21)"
        );
        let path_error = error.path_error().unwrap();
        assert!(
            path_error.to_string().starts_with(&format!(
                "couldn't read {} of layer `cache`: ",
                toml_path.display()
            )),
            "{path_error}"
        );

        let not_a_dir = temp_dir.path().join("file");
        write(&not_a_dir, "");
        let error = LayerFiles::new(&not_a_dir, &name).create_dir().unwrap_err();

        let WriteLayerError::IoError(source) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(source.kind(), io::ErrorKind::NotADirectory);
        assert!(
            error
                .to_string()
                .starts_with("Unexpected I/O error while writing layer: "),
            "{error}"
        );
        let path_error = crate::PathError::in_io_error(source).unwrap();
        assert!(
            path_error.to_string().starts_with(&format!(
                "couldn't create {} of layer `cache`: ",
                not_a_dir.join("cache").display()
            )),
            "{path_error}"
        );
    }

    #[test]
    fn non_utf8_content_metadata_is_a_parse_error() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        fs::create_dir(temp_dir.path().join("cache")).unwrap();
        fs::write(
            temp_dir.path().join("cache.toml"),
            b"[metadata]\nv = \"\xff\"\n",
        )
        .unwrap();

        let error = LayerFiles::new(temp_dir.path(), &name).read().unwrap_err();

        assert!(
            matches!(
                error,
                LayerError::CouldNotReadGenericLayerMetadata(
                    TomlFileError::TomlDeserializationError(_)
                )
            ),
            "{error:?}"
        );
    }

    #[test]
    fn large_content_metadata_reads_whole() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let text = format!("[metadata]\nblob = \"{}\"\n", "x".repeat(100_000));
        restore(temp_dir.path(), "cache", &text);

        let layer = LayerFiles::new(temp_dir.path(), &name)
            .read()
            .unwrap()
            .unwrap();

        let metadata = layer.content.metadata.unwrap();
        assert_eq!(metadata["blob"].as_str().map(str::len), Some(100_000));
    }

    #[cfg(unix)]
    #[test]
    fn content_metadata_is_written_in_place() {
        use std::os::unix::fs::MetadataExt;

        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let files = LayerFiles::new(temp_dir.path(), &name);
        let long = LayerContentMetadata {
            types: None,
            metadata: Some(toml::Value::String("a long value".into())),
        };
        files.write_content_metadata(&long).unwrap();
        let inode = fs::metadata(files.toml_path()).unwrap().ino();

        let short = LayerContentMetadata {
            types: None,
            metadata: Some(toml::Value::Integer(1)),
        };
        files.write_content_metadata(&short).unwrap();

        assert_eq!(fs::metadata(files.toml_path()).unwrap().ino(), inode);
        assert_eq!(read(&files.toml_path()), "metadata = 1\n");
        assert_eq!(names(temp_dir.path()), ["cache.toml"]);
    }

    #[test]
    fn unserializable_metadata_is_an_error_and_writes_nothing() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let files = LayerFiles::new(temp_dir.path(), &name);
        let content = LayerContentMetadata {
            types: None,
            metadata: vec![Some(1), None],
        };

        let error = files.write_content_metadata(&content).unwrap_err();

        let WriteLayerMetadataError::TomlFileError(TomlFileError::TomlSerializationError(
            toml_error,
        )) = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(toml_error.to_string(), "unsupported None value");
        assert!(names(temp_dir.path()).is_empty());
    }

    #[test]
    fn delete_removes_directory_toml_and_sboms_only() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        restore(temp_dir.path(), "cache", "");
        write(&temp_dir.path().join("cache.sbom.spdx.json"), "{}");
        restore(temp_dir.path(), "other", "");

        LayerFiles::new(temp_dir.path(), &name).delete().unwrap();

        assert_eq!(
            names(temp_dir.path()),
            ["other", "other.sbom.cdx.json", "other.toml"]
        );
    }

    #[test]
    fn deleting_nothing_is_fine() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        LayerFiles::new(temp_dir.path(), &name).delete().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn create_dir_replaces_a_dangling_link_and_creates_missing_parents() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let link = temp_dir.path().join("cache");
        std::os::unix::fs::symlink(temp_dir.path().join("nowhere"), &link).unwrap();

        LayerFiles::new(temp_dir.path(), &name)
            .create_dir()
            .unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().is_dir());
        assert!(!temp_dir.path().join("nowhere").exists());

        let layers_dir = temp_dir.path().join("missing/bp");
        LayerFiles::new(&layers_dir, &name).create_dir().unwrap();
        assert!(layers_dir.join("cache").is_dir());
    }

    #[test]
    fn sboms_are_replaced_and_the_last_of_a_format_wins() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        restore(temp_dir.path(), "cache", "");
        let files = LayerFiles::new(temp_dir.path(), &name);

        files
            .replace_sboms(&[
                Sbom::from_bytes(SbomFormat::SpdxJson, "first"),
                Sbom::from_bytes(SbomFormat::SyftJson, "syft"),
                Sbom::from_bytes(SbomFormat::SpdxJson, "second"),
            ])
            .unwrap();

        assert_eq!(
            names(temp_dir.path()),
            [
                "cache",
                "cache.sbom.spdx.json",
                "cache.sbom.syft.json",
                "cache.toml"
            ]
        );
        assert_eq!(
            read(&temp_dir.path().join("cache.sbom.spdx.json")),
            "second"
        );

        files.replace_sboms(&[]).unwrap();
        assert_eq!(names(temp_dir.path()), ["cache", "cache.toml"]);
    }

    #[test]
    fn sboms_need_the_layer_directory() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();

        let error = LayerFiles::new(temp_dir.path(), &name)
            .replace_sboms(&[Sbom::from_bytes(SbomFormat::SpdxJson, "{}")])
            .unwrap_err();

        assert!(
            matches!(&error, ReplaceLayerSbomsError::MissingLayer(layer) if *layer == name),
            "{error:?}"
        );
        assert!(names(temp_dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn exec_d_programs_are_replaced_keeping_permissions() {
        use std::os::unix::fs::PermissionsExt;

        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let layers_dir = temp_dir.path().join("layers");
        restore(&layers_dir, "cache", "");
        write(&layers_dir.join("cache/exec.d/stale"), "old");
        let program = temp_dir.path().join("program");
        write(&program, "#!/bin/sh\n");
        fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).unwrap();
        let files = LayerFiles::new(&layers_dir, &name);

        files
            .replace_exec_d_programs(&HashMap::from([(String::from("set-port"), program)]))
            .unwrap();

        let exec_d = layers_dir.join("cache/exec.d");
        assert_eq!(names(&exec_d), ["set-port"]);
        let mode = fs::metadata(exec_d.join("set-port"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);

        files.replace_exec_d_programs(&HashMap::new()).unwrap();
        assert!(!exec_d.exists());
    }

    #[test]
    fn exec_d_program_problems_change_nothing() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let layers_dir = temp_dir.path().join("layers");
        restore(&layers_dir, "cache", "");
        write(&layers_dir.join("cache/exec.d/existing"), "old");
        let program = temp_dir.path().join("program");
        write(&program, "#!/bin/sh\n");
        let files = LayerFiles::new(&layers_dir, &name);

        for name in ["", ".", "..", "../escape", "a/b", "a\\b", "nul\0"] {
            let error = files
                .replace_exec_d_programs(&HashMap::from([(String::from(name), program.clone())]))
                .unwrap_err();
            assert!(
                matches!(
                    error,
                    ReplaceLayerExecdProgramsError::InvalidProgramName { .. }
                ),
                "{name:?}: {error:?}"
            );
        }
        let missing = temp_dir.path().join("missing");
        let error = files
            .replace_exec_d_programs(&HashMap::from([(String::from("x"), missing.clone())]))
            .unwrap_err();
        assert!(
            matches!(&error, ReplaceLayerExecdProgramsError::MissingExecDFile(path) if *path == missing),
            "{error:?}"
        );

        assert_eq!(names(&layers_dir.join("cache/exec.d")), ["existing"]);
        assert_eq!(names(temp_dir.path()), ["layers", "program"]);
    }

    #[test]
    fn a_file_named_exec_d_stays_and_adding_programs_fails_with_already_exists() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let layers_dir = temp_dir.path().join("layers");
        restore(&layers_dir, "cache", "");
        let exec_d = layers_dir.join("cache/exec.d");
        write(&exec_d, "a file");
        let program = temp_dir.path().join("program");
        write(&program, "#!/bin/sh\n");
        let files = LayerFiles::new(&layers_dir, &name);

        let error = files
            .replace_exec_d_programs(&HashMap::from([(String::from("p"), program)]))
            .unwrap_err();

        let ReplaceLayerExecdProgramsError::IoError(io_error) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(io_error.kind(), io::ErrorKind::AlreadyExists);
        let path_error = crate::PathError::in_io_error(io_error).unwrap();
        assert_eq!(path_error.path(), exec_d);
        assert_eq!(path_error.layer(), Some(&name));
        assert_eq!(read(&exec_d), "a file");

        // Without programs there is nothing to create, and the file stays too.
        files.replace_exec_d_programs(&HashMap::new()).unwrap();
        assert_eq!(read(&exec_d), "a file");
    }

    #[cfg(unix)]
    #[test]
    fn an_exec_d_link_to_a_directory_is_replaced_and_its_target_kept() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let layers_dir = temp_dir.path().join("layers");
        restore(&layers_dir, "cache", "");
        let outside = temp_dir.path().join("outside");
        write(&outside.join("keep"), "x");
        let exec_d = layers_dir.join("cache/exec.d");
        std::os::unix::fs::symlink(&outside, &exec_d).unwrap();

        LayerFiles::new(&layers_dir, &name)
            .replace_exec_d_programs(&HashMap::new())
            .unwrap();

        assert!(fs::symlink_metadata(&exec_d).is_err());
        assert_eq!(names(&outside), ["keep"]);
    }

    #[test]
    fn exec_d_programs_need_the_layer_directory() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();

        let error = LayerFiles::new(temp_dir.path(), &name)
            .replace_exec_d_programs(&HashMap::new())
            .unwrap_err();

        assert!(
            matches!(error, ReplaceLayerExecdProgramsError::MissingLayer(_)),
            "{error:?}"
        );
    }
}
