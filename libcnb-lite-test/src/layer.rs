//! Layers on disk: `<layer>.toml` parsing and validation
//! ([spec: Layer Content Metadata](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#layer-content-metadata-toml)),
//! and listing a buildpack's
//! layers as the lifecycle's `ReadLayersDir` does.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::json::{NonFiniteFloatError, toml_to_json};
use crate::toml_error::TomlError;

/// A layer's `[types]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LayerTypes {
    /// Available to later buildpacks during the build.
    #[serde(default)]
    pub build: bool,
    /// Exported into the image.
    #[serde(default)]
    pub launch: bool,
    /// Written to the cache.
    #[serde(default)]
    pub cache: bool,
}

impl LayerTypes {
    /// Whether all three flags are false (the layer is ignored).
    #[must_use]
    pub(crate) fn is_ignored(self) -> bool {
        !self.build && !self.launch && !self.cache
    }
}

impl std::fmt::Display for LayerTypes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = [
            (self.build, "build"),
            (self.launch, "launch"),
            (self.cache, "cache"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect();
        if names.is_empty() {
            f.write_str("-")
        } else {
            f.write_str(&names.join(","))
        }
    }
}

/// What the lifecycle keeps of a `<layer>.toml`: `[types]` and `[metadata]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct LayerToml {
    /// `[types]` (all false when absent).
    pub types: LayerTypes,
    /// `[metadata]`, opaque buildpack data (empty when the file has none).
    pub metadata: toml::Table,
    /// Whether the file has no `[metadata]` table at all. The lifecycle keeps that apart
    /// from an empty table: it stores absent metadata as JSON `null` and restores the toml
    /// without `[metadata]`, where an empty table comes back as an empty `[metadata]`.
    pub metadata_absent: bool,
}

/// A `<layer>.toml` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LayerTomlError {
    /// The file could not be read.
    #[error("cannot read layer metadata {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file is not valid TOML.
    #[error("cannot parse layer metadata {path}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: TomlError,
    },
    /// `build`, `launch` or `cache` keys at the top level (API ≥ 0.6 wants them in `[types]`).
    #[error(
        "layer metadata {path} has top-level types; the build, launch and cache flags should be in the types table"
    )]
    TypesAtTopLevel {
        /// The file.
        path: PathBuf,
    },
    /// `[types]` or `[metadata]` has the wrong shape.
    #[error("layer metadata {path} has an invalid {key} table; expected a table of {expected}")]
    InvalidTable {
        /// The file.
        path: PathBuf,
        /// `types` or `metadata`.
        key: &'static str,
        /// What was expected.
        expected: &'static str,
    },
}

impl LayerToml {
    /// Parses `<layer>.toml` text, keeping only `[types]` and `[metadata]`.
    ///
    /// # Errors
    ///
    /// Fails on invalid TOML, top-level type flags, or a `[types]`/`[metadata]` that is not a
    /// table of the right kind.
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self, LayerTomlError> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|source| LayerTomlError::Parse {
                path: path.to_path_buf(),
                source: TomlError::new(text, &source),
            })?;
        if ["build", "launch", "cache"]
            .iter()
            .any(|key| table.contains_key(*key))
        {
            return Err(LayerTomlError::TypesAtTopLevel {
                path: path.to_path_buf(),
            });
        }
        let invalid = |key, expected| LayerTomlError::InvalidTable {
            path: path.to_path_buf(),
            key,
            expected,
        };
        let types = match table.remove("types") {
            None => LayerTypes::default(),
            Some(value) => value
                .try_into()
                .map_err(|_| invalid("types", "build/launch/cache booleans"))?,
        };
        let (metadata, metadata_absent) = match table.remove("metadata") {
            None => (toml::Table::new(), true),
            Some(toml::Value::Table(metadata)) => (metadata, false),
            Some(_) => return Err(invalid("metadata", "buildpack data")),
        };
        Ok(Self {
            types,
            metadata,
            metadata_absent,
        })
    }

    /// `[metadata]` as the lifecycle stores it in the image label and the cache metadata:
    /// JSON `null` when the file has no `[metadata]`, else the table as JSON.
    ///
    /// # Errors
    ///
    /// Fails on NaN or infinite floats, which JSON cannot hold.
    pub(crate) fn metadata_json(&self) -> Result<serde_json::Value, NonFiniteFloatError> {
        metadata_json(&self.metadata, self.metadata_absent)
    }

    /// Reads `<layer>.toml`; a missing file reads as `None` (all-false types, as the
    /// lifecycle decodes it).
    ///
    /// # Errors
    ///
    /// Fails when the file exists but cannot be read or parsed.
    pub(crate) fn read(path: &Path) -> Result<Option<Self>, LayerTomlError> {
        match fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, path).map(Some),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(LayerTomlError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }
}

/// `[metadata]` as the lifecycle stores it: `null` when absent, else the table as JSON.
pub(crate) fn metadata_json(
    metadata: &toml::Table,
    absent: bool,
) -> Result<serde_json::Value, NonFiniteFloatError> {
    if absent {
        Ok(serde_json::Value::Null)
    } else {
        toml_to_json(metadata)
    }
}

/// Names that are never layers: `store`, `launch` and `build` (their tomls are files of
/// another kind).
pub(crate) const RESERVED: [&str; 3] = ["store", "launch", "build"];

/// The layer names of a buildpack dir: every sub-dir and every `<name>.toml`, minus the
/// reserved names, sorted and de-duplicated (`ReadLayersDir`). A missing dir has none.
///
/// # Errors
///
/// Fails when the dir exists but cannot be read.
pub(crate) fn list_layers(buildpack_dir: &Path) -> io::Result<Vec<String>> {
    let entries = match fs::read_dir(buildpack_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Ok(file_name) = entry.file_name().into_string() else {
            continue;
        };
        // A symlinked dir is not a directory for ReadLayersDir.
        let is_dir = entry.file_type()?.is_dir();
        let name = if is_dir {
            file_name
        } else if let Some(stem) = file_name.strip_suffix(".toml") {
            stem.to_owned()
        } else {
            continue;
        };
        if !RESERVED.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_dropped_and_types_default_false() {
        let layer =
            LayerToml::parse("other = 1\n[metadata]\na = \"b\"\n", Path::new("x.toml")).unwrap();
        assert!(layer.types.is_ignored());
        assert_eq!(layer.metadata.len(), 1);
    }

    #[test]
    fn absent_metadata_is_told_apart_from_an_empty_table() {
        let absent = LayerToml::parse("[types]\ncache = true\n", Path::new("x.toml")).unwrap();
        assert!(absent.metadata_absent);
        assert_eq!(absent.metadata_json().unwrap(), serde_json::Value::Null);
        let empty = LayerToml::parse("[metadata]\n", Path::new("x.toml")).unwrap();
        assert!(!empty.metadata_absent);
        assert_eq!(empty.metadata_json().unwrap(), serde_json::json!({}));
    }

    #[test]
    fn top_level_flags_are_rejected_with_the_lifecycle_hint() {
        let error = LayerToml::parse("cache = true\n", Path::new("/l/x.toml")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "layer metadata /l/x.toml has top-level types; the build, launch and cache flags should be in the types table"
        );
    }

    #[test]
    fn bad_types_are_rejected() {
        assert!(LayerToml::parse("[types]\nlaunch = \"yes\"\n", Path::new("x.toml")).is_err());
        assert!(LayerToml::parse("metadata = 3\n", Path::new("x.toml")).is_err());
        assert!(LayerToml::parse("[types\n", Path::new("x.toml")).is_err());
    }

    #[test]
    fn listing_matches_read_layers_dir() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in ["a", "b.ignore", "store"] {
            fs::create_dir(d.join(sub)).unwrap();
        }
        for file in [
            "a.toml",
            "c.toml",
            "launch.toml",
            "build.toml",
            "store.toml",
            "a.sbom.cdx.json",
        ] {
            fs::write(d.join(file), "").unwrap();
        }
        std::os::unix::fs::symlink(d.join("a"), d.join("link")).unwrap();
        assert_eq!(list_layers(d).unwrap(), ["a", "b.ignore", "c"]);
        assert!(list_layers(&d.join("missing")).unwrap().is_empty());
        assert_eq!(LayerToml::read(&d.join("missing.toml")).unwrap(), None);
    }

    #[test]
    fn parse_keeps_types_and_metadata() -> Result<(), Box<dyn std::error::Error>> {
        let layer = LayerToml::parse(
            "[types]\nlaunch = true\n[metadata]\nversion = 3\n",
            "venv.toml".as_ref(),
        )?;
        assert!(layer.types.launch && !layer.types.cache);
        assert_eq!(layer.metadata["version"].as_integer(), Some(3));
        assert!(LayerToml::parse("launch = true", "venv.toml".as_ref()).is_err());
        Ok(())
    }

    #[test]
    fn metadata_json_is_null_when_absent() -> Result<(), Box<dyn std::error::Error>> {
        let absent = LayerToml::parse("[types]\ncache = true\n", "venv.toml".as_ref())?;
        assert!(absent.metadata_json()?.is_null());
        let empty = LayerToml::parse("[metadata]\n", "venv.toml".as_ref())?;
        assert_eq!(empty.metadata_json()?, serde_json::json!({}));
        Ok(())
    }
}
