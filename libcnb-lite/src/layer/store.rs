//! The layer store: the one module that reads, writes and deletes a layer's files, for both
//! layer APIs.
//!
//! A layer `<name>` is the directory `<layers>/<name>`, its content metadata
//! `<layers>/<name>.toml`, and its SBOMs `<layers>/<name>.sbom.<format>.json`. The store keeps
//! upstream libcnb's normalisation of what the lifecycle may restore (reference §2.4 a–d):
//!
//! - no directory and no `<name>.toml`: the layer is absent;
//! - `<name>.toml` without a directory (launch-only metadata from the previous image): the
//!   file is deleted and the layer is absent;
//! - a directory without `<name>.toml`: the layer exists, with no types and no metadata;
//! - both: `<name>.toml` is parsed; TOML that doesn't parse, has other top-level keys than
//!   `types` and `metadata`, or bad `[types]` is an error.
//!
//! An absent layer also has no SBOMs: stale ones (the lifecycle restores layer SBOMs without
//! checking for their layer) are deleted, so that a new layer doesn't inherit them (api.md
//! item 8) — when the layer is read, or, for the trait API, which always replaces a new layer's
//! SBOMs, then ([`StaleSboms`]).
//!
//! # Costs
//!
//! Handling a restored layer that is kept reads `<name>.toml` once (`open`, `read`, `close`),
//! checks the directory (`statx`), and writes `<name>.toml` at most once (`open`, `write`,
//! `close`, `rename`; nothing if the bytes are unchanged): eight system calls.

use crate::fs::{Operation, copy_atomically, in_layer, read_small_file, write_atomically};
use crate::internals::is_valid_binary_target_name;
use crate::layer::delete::remove_tree;
use crate::layer::error::{
    DeleteLayerError, LayerError, ReadLayerError, ReplaceLayerExecdProgramsError,
    ReplaceLayerSbomsError, WriteLayerError, WriteLayerMetadataError, de_error, ser_error,
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
    /// The bytes of `<layer>.toml` as read, to skip a write that would change nothing; `None`
    /// if there was no such file, or the metadata has since been replaced in memory.
    pub(crate) text: Option<String>,
}

/// What [`LayerFiles::read`] does with the SBOMs of a layer that turns out to be absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StaleSboms {
    /// Remove them now: the struct API's new layer has no SBOMs until the buildpack writes
    /// some.
    Remove,
    /// Leave them: the caller creates the layer and always replaces its SBOMs afterwards (the
    /// trait API, as upstream), so removing them first too would only repeat the `unlink`s.
    Replaced,
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

    /// Reads the layer, normalising what the lifecycle restored (see the module docs); the
    /// SBOMs of an absent layer are removed unless `stale_sboms` says the caller replaces them.
    ///
    /// # Errors
    ///
    /// [`ReadLayerError`] if a file can't be read or `<name>.toml` doesn't parse,
    /// [`DeleteLayerError`] if the leftovers of an absent layer can't be removed.
    // `inline`: only the generic layer APIs call this, so its TOML deserialization (a fifth of
    // this crate's release build time) is compiled only into buildpacks that use layers.
    #[inline]
    pub(crate) fn read(&self, stale_sboms: StaleSboms) -> Result<Option<StoredLayer>, LayerError> {
        let toml_path = self.toml_path();
        let bytes = match read_small_file(&toml_path) {
            Ok(bytes) => Some(bytes),
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(self.read_error(&toml_path, error).into()),
        };

        let dir = self.dir();
        match fs::metadata(&dir) {
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                if bytes.is_some() {
                    self.remove_file(&toml_path)?;
                }
                if stale_sboms == StaleSboms::Remove {
                    self.remove_sboms()?;
                }
                return Ok(None);
            }
            Err(error) => return Err(self.read_error(&dir, error).into()),
        }

        let Some(bytes) = bytes else {
            return Ok(Some(StoredLayer {
                content: LayerContentMetadata {
                    types: None,
                    metadata: None,
                },
                text: None,
            }));
        };
        let content = toml::from_slice::<RawContentMetadata>(&bytes).map_err(|error| {
            ReadLayerError::LayerContentMetadataParseError(de_error(
                format_args!(
                    "couldn't parse {}, the content metadata of layer `{}`: it must be TOML with \
                     only a `[types]` table (launch, build and cache booleans) and a \
                     `[metadata]` table; fix the file or delete the layer",
                    toml_path.display(),
                    self.name
                ),
                &error,
            ))
        })?;
        Ok(Some(StoredLayer {
            content,
            // Parsing succeeded, so the bytes are UTF-8.
            text: String::from_utf8(bytes).ok(),
        }))
    }

    #[inline]
    fn read_error(&self, path: &Path, error: io::Error) -> ReadLayerError {
        ReadLayerError::IoError(in_layer(Operation::Read, path, self.name, error))
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

    /// Writes `<name>.toml` atomically, unless it holds exactly these bytes already (`on_disk`,
    /// the text read by [`read`](Self::read)).
    ///
    /// # Errors
    ///
    /// [`WriteLayerMetadataError`] if the metadata can't be serialized or the file can't be
    /// written.
    pub(crate) fn write_content_metadata<M: Serialize>(
        &self,
        content: &LayerContentMetadata<M>,
        on_disk: Option<&str>,
    ) -> Result<(), WriteLayerMetadataError> {
        let text = toml::to_string(content).map_err(|error| self.serialization_error(&error))?;
        if on_disk == Some(text.as_str()) {
            return Ok(());
        }

        let path = self.toml_path();
        write_atomically(&path, text).map_err(|error| {
            WriteLayerMetadataError::IoError(in_layer(Operation::Write, &path, self.name, error))
        })
    }

    /// [`WriteLayerMetadataError::TomlFileError`] for metadata that can't be represented as
    /// TOML, naming the layer.
    #[inline]
    pub(crate) fn serialization_error(&self, error: &toml::ser::Error) -> WriteLayerMetadataError {
        WriteLayerMetadataError::TomlFileError(TomlFileError::TomlSerializationError(ser_error(
            format_args!(
                "couldn't serialize the metadata of layer `{}` as TOML; use a struct or a map \
                 with string keys, and no `None` inside arrays",
                self.name
            ),
            error,
        )))
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
        self.remove_file(&self.toml_path())?;
        self.remove_sboms()
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
        self.replace_sboms_of_existing_layer(sboms)
    }

    #[inline]
    fn replace_sboms_of_existing_layer(
        &self,
        sboms: &[Sbom],
    ) -> Result<(), ReplaceLayerSbomsError> {
        self.remove_sboms()
            .map_err(|DeleteLayerError::IoError(error)| ReplaceLayerSbomsError::IoError(error))?;
        write_sboms(sboms, self.layers_dir, self.name.as_str()).map_err(|(path, error)| {
            ReplaceLayerSbomsError::IoError(in_layer(Operation::Write, &path, self.name, error))
        })
    }

    /// Replaces `<name>/exec.d/` by a directory with a copy of each program (keeping its
    /// permissions), or by nothing if `programs` is empty.
    ///
    /// Names and sources are checked before anything changes.
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
        self.replace_exec_d_programs_of_existing_layer(&dir, programs)
    }

    /// [`replace_sboms`](Self::replace_sboms), then
    /// [`replace_exec_d_programs`](Self::replace_exec_d_programs), checking once that the
    /// layer directory exists (writing SBOMs, which live next to it, can't remove it).
    ///
    /// # Errors
    ///
    /// The errors of both, in this order.
    #[inline]
    pub(crate) fn replace_sboms_and_exec_d_programs(
        &self,
        sboms: &[Sbom],
        programs: &HashMap<String, PathBuf>,
    ) -> Result<(), LayerError> {
        let dir = self.dir();
        if !dir.is_dir() {
            return Err(ReplaceLayerSbomsError::MissingLayer(self.name.clone()).into());
        }
        self.replace_sboms_of_existing_layer(sboms)?;
        Ok(self.replace_exec_d_programs_of_existing_layer(&dir, programs)?)
    }

    #[inline]
    fn replace_exec_d_programs_of_existing_layer(
        &self,
        dir: &Path,
        programs: &HashMap<String, PathBuf>,
    ) -> Result<(), ReplaceLayerExecdProgramsError> {
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
        remove_tree(&exec_d_dir)
            .map_err(|error| io_error(Operation::Delete, &exec_d_dir, error))?;
        if programs.is_empty() {
            return Ok(());
        }
        fs::create_dir(&exec_d_dir)
            .map_err(|error| io_error(Operation::Create, &exec_d_dir, error))?;
        for (name, source) in programs {
            let destination = exec_d_dir.join(name);
            copy_atomically(source, &destination)
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
    fn nothing_on_disk_is_absent_and_stale_sboms_go() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let layers_dir = temp_dir.path();
        write(&layers_dir.join("cache.sbom.syft.json"), "{}");

        assert!(
            LayerFiles::new(layers_dir, &name)
                .read(StaleSboms::Remove)
                .unwrap()
                .is_none()
        );

        assert!(names(layers_dir).is_empty());
    }

    #[test]
    fn stale_sboms_of_an_absent_layer_stay_for_a_caller_that_replaces_them() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let layers_dir = temp_dir.path();
        write(&layers_dir.join("cache.sbom.syft.json"), "{}");
        write(&layers_dir.join("cache.toml"), "[metadata]\n");

        let files = LayerFiles::new(layers_dir, &name);
        assert!(files.read(StaleSboms::Replaced).unwrap().is_none());

        assert_eq!(names(layers_dir), ["cache.sbom.syft.json"]);
        files.create_dir().unwrap();
        files.replace_sboms(&[]).unwrap();
        assert_eq!(names(layers_dir), ["cache"]);
    }

    #[test]
    fn toml_without_directory_is_deleted_and_absent() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let layers_dir = temp_dir.path();
        restore(layers_dir, "cache", "[metadata]\nversion = \"1\"\n");
        fs::remove_dir_all(layers_dir.join("cache")).unwrap();

        assert!(
            LayerFiles::new(layers_dir, &name)
                .read(StaleSboms::Remove)
                .unwrap()
                .is_none()
        );

        assert!(names(layers_dir).is_empty());
    }

    #[test]
    fn directory_without_toml_exists_without_types_or_metadata() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        write(&temp_dir.path().join("cache/content"), "x");

        let layer = LayerFiles::new(temp_dir.path(), &name)
            .read(StaleSboms::Remove)
            .unwrap()
            .unwrap();

        assert_eq!(layer.content.types, None);
        assert_eq!(layer.content.metadata, None);
        assert_eq!(layer.text, None);
        // Nothing is written: the caller writes `<layer>.toml` once it knows the types.
        assert_eq!(names(temp_dir.path()), ["cache"]);
    }

    #[test]
    fn both_are_parsed_and_the_text_kept() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let text = "[types]\nbuild = true\n\n[metadata]\nversion = \"1\"\n";
        restore(temp_dir.path(), "cache", text);

        let layer = LayerFiles::new(temp_dir.path(), &name)
            .read(StaleSboms::Remove)
            .unwrap()
            .unwrap();

        assert!(layer.content.types.unwrap().build);
        assert_eq!(
            layer.content.metadata.unwrap()["version"].as_str(),
            Some("1")
        );
        assert_eq!(layer.text.as_deref(), Some(text));
    }

    #[test]
    fn metadata_of_any_type_reads() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        restore(temp_dir.path(), "cache", "metadata = 5\n");

        let layer = LayerFiles::new(temp_dir.path(), &name)
            .read(StaleSboms::Remove)
            .unwrap()
            .unwrap();

        assert_eq!(layer.content.metadata, Some(toml::Value::Integer(5)));
    }

    #[test]
    fn invalid_content_metadata_is_a_parse_error_naming_the_file() {
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

            let error = LayerFiles::new(temp_dir.path(), &name)
                .read(StaleSboms::Remove)
                .unwrap_err();

            match &error {
                LayerError::ReadLayerError(ReadLayerError::LayerContentMetadataParseError(_)) => {
                    assert!(
                        error.to_string().starts_with(&format!(
                            "couldn't parse {}, the content metadata of layer `cache`: it must be \
                             TOML with only a `[types]` table (launch, build and cache booleans) \
                             and a `[metadata]` table; fix the file or delete the layer: ",
                            temp_dir.path().join("cache.toml").display()
                        )),
                        "{error}"
                    );
                }
                other => panic!("{text:?}: {other:?}"),
            }
            assert_eq!(read(&temp_dir.path().join("cache.toml")), text);
        }
    }

    #[test]
    fn io_errors_name_the_path_and_the_layer_and_keep_the_kind() {
        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let toml_path = temp_dir.path().join("cache.toml");
        fs::create_dir(&toml_path).unwrap();

        let error = LayerFiles::new(temp_dir.path(), &name)
            .read(StaleSboms::Remove)
            .unwrap_err();

        match &error {
            LayerError::ReadLayerError(ReadLayerError::IoError(source)) => {
                assert_eq!(source.kind(), io::ErrorKind::IsADirectory);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            error.to_string().starts_with(&format!(
                "couldn't read {} of layer `cache`: ",
                toml_path.display()
            )),
            "{error}"
        );

        let not_a_dir = temp_dir.path().join("file");
        write(&not_a_dir, "");
        let error = LayerFiles::new(&not_a_dir, &name).create_dir().unwrap_err();

        let WriteLayerError::IoError(source) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(source.kind(), io::ErrorKind::NotADirectory);
        assert!(
            error.to_string().starts_with(&format!(
                "couldn't create {} of layer `cache`: ",
                not_a_dir.join("cache").display()
            )),
            "{error}"
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

        let error = LayerFiles::new(temp_dir.path(), &name)
            .read(StaleSboms::Remove)
            .unwrap_err();

        assert!(
            matches!(
                error,
                LayerError::ReadLayerError(ReadLayerError::LayerContentMetadataParseError(_))
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
            .read(StaleSboms::Remove)
            .unwrap()
            .unwrap();

        assert_eq!(layer.text.as_deref(), Some(text.as_str()));
    }

    #[cfg(unix)]
    #[test]
    fn identical_content_metadata_is_not_rewritten() {
        use std::os::unix::fs::MetadataExt;

        let temp_dir = tempfile::tempdir().unwrap();
        let name = name();
        let files = LayerFiles::new(temp_dir.path(), &name);
        let content = LayerContentMetadata {
            types: None,
            metadata: Some(toml::Value::Integer(1)),
        };
        files.write_content_metadata(&content, None).unwrap();
        let inode = fs::metadata(files.toml_path()).unwrap().ino();
        let text = read(&files.toml_path());

        files.write_content_metadata(&content, Some(&text)).unwrap();
        assert_eq!(fs::metadata(files.toml_path()).unwrap().ino(), inode);

        files.write_content_metadata(&content, Some("")).unwrap();
        assert_ne!(fs::metadata(files.toml_path()).unwrap().ino(), inode);
        assert_eq!(read(&files.toml_path()), text);
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

        let error = files.write_content_metadata(&content, None).unwrap_err();

        assert!(
            matches!(
                error,
                WriteLayerMetadataError::TomlFileError(TomlFileError::TomlSerializationError(_))
            ),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "couldn't serialize the metadata of layer `cache` as TOML; use a struct or a map with \
             string keys, and no `None` inside arrays: unsupported None value"
        );
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
