//! The export phase ([`phase/exporter.go`](https://github.com/buildpacks/lifecycle/blob/main/phase/exporter.go)): archive each
//! `launch=true` layer, compare its
//! diff ID with the previous image's (*added* or *reused*), reuse launch-only layers that
//! have no dir, record metadata and store.toml, and export the app and launch SBOM layers.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::archive::{self, ArchiveError, DiffId, Owner};
use crate::buildpack::Buildpack;
use crate::json::{NonFiniteFloatError, toml_to_json};
use crate::launch_toml::LaunchConfig;
use crate::layer::{LayerToml, LayerTomlError, list_layers};
use crate::output::Log;
use crate::report::{LayerReport, LayerStatus};
use crate::snapshot::Trees;
use crate::state::{
    self, BuildpackLayers, ImageMetadata, LayerRecord, ShaRef, StateDir, StoreRecord,
};
use crate::toml_error::TomlError;
use crate::validate::{UnsafeLayerError, check_layers};

/// The export failed; the previous image is kept.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Layer tomls could not be parsed.
    #[error("failed to parse metadata for layers '{layers:?}'")]
    ParseLayers {
        /// The `<bp-id>:<layer>` identifiers.
        layers: Vec<String>,
        /// The first error.
        source: LayerTomlError,
    },
    /// A `cache=true` launch layer has no dir.
    #[error("layer '{layer}' is cache=true but has no contents")]
    CacheWithoutContents {
        /// `<bp-id>:<layer>`.
        layer: String,
    },
    /// A launch layer has no dir and the previous image lacks it.
    #[error("cannot reuse '{layer}', previous image has no metadata for layer '{layer}'")]
    NothingToReuse {
        /// `<bp-id>:<layer>`.
        layer: String,
    },
    /// Metadata could not be stored as JSON.
    #[error("cannot store metadata of '{layer}'")]
    Metadata {
        /// `<bp-id>:<layer>` or `<bp-id>:store.toml`.
        layer: String,
        /// The problem.
        source: NonFiniteFloatError,
    },
    /// `store.toml` is invalid.
    #[error("cannot parse {path}")]
    Store {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: TomlError,
    },
    /// A layer would poison the state dir: the next build would refuse it.
    #[error(transparent)]
    UnsafeLayer(#[from] UnsafeLayerError),
    /// Archiving failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A file could not be read or written.
    #[error("cannot access {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What export needs.
#[derive(Debug)]
pub(crate) struct ExportInput<'a> {
    pub(crate) group: &'a [&'a Buildpack],
    pub(crate) layers_dir: &'a Path,
    pub(crate) app_dir: &'a Path,
    pub(crate) state: &'a StateDir,
    pub(crate) previous: Option<&'a ImageMetadata>,
    pub(crate) owner: Owner,
    pub(crate) launch: &'a LaunchConfig,
}

/// What export produced.
#[derive(Debug)]
pub(crate) struct Exported {
    pub(crate) layers: Vec<LayerReport>,
    pub(crate) app: (DiffId, LayerStatus),
}

/// Writes the new image into the state's image staging dir (the caller commits it).
///
/// A layer unchanged since restore is not archived again: [`Trees::archive_layer`] links its
/// blob, whose digest is the one a full archive would give.
pub(crate) fn export(
    input: &ExportInput<'_>,
    trees: &mut Trees,
    staging: &Path,
    log: &Log<'_>,
) -> Result<Exported, ExportError> {
    check_layers(input.group, input.layers_dir)?;
    let blobs = staging.join("blobs");
    fs::create_dir_all(&blobs).map_err(io_error(&blobs))?;
    let mut metadata = ImageMetadata::default();
    let mut reports = Vec::new();
    for buildpack in input.group {
        let esc = buildpack.escaped_id();
        let bp_dir = input.layers_dir.join(&esc);
        let previous = input
            .previous
            .and_then(|image| state::for_buildpack(&image.buildpacks, &buildpack.id));
        let mut layers = BTreeMap::new();

        let parsed = read_layer_tomls(&bp_dir, &buildpack.id)?;
        for (name, layer) in parsed {
            let identifier = format!("{}:{name}", buildpack.id);
            let mut report = LayerReport {
                buildpack_id: buildpack.id.clone(),
                name: name.clone(),
                types: layer.types,
                metadata: layer.metadata.clone(),
                metadata_absent: layer.metadata_absent,
                diff_id: None,
                exported: None,
                cached: None,
            };
            if layer.types.launch {
                let previous_sha = previous
                    .and_then(|bp| bp.layers.get(&name))
                    .and_then(|record| DiffId::parse(&record.sha));
                let (diff_id, status) = export_launch_layer(
                    input,
                    trees,
                    (&esc, &name),
                    &identifier,
                    layer.types.cache,
                    previous_sha,
                    &blobs,
                    log,
                )?;
                report.exported = Some(status);
                let data = layer
                    .metadata_json()
                    .map_err(|source| ExportError::Metadata {
                        layer: identifier.clone(),
                        source,
                    })?;
                layers.insert(
                    name.clone(),
                    LayerRecord {
                        sha: diff_id.as_str().to_owned(),
                        data,
                        build: layer.types.build,
                        launch: true,
                        cache: layer.types.cache,
                    },
                );
                report.diff_id = Some(diff_id);
            }
            reports.push(report);
        }

        let store = read_store(&bp_dir.join("store.toml"), &buildpack.id)?;
        metadata.buildpacks.push(BuildpackLayers {
            key: buildpack.id.clone(),
            version: buildpack.version.clone(),
            layers,
            store,
        });
    }

    let (app_diff_id, app_status) = export_app(input, &blobs, log)?;
    metadata.app = vec![ShaRef {
        sha: app_diff_id.as_str().to_owned(),
    }];

    if input.layers_dir.join("sbom").join("launch").is_dir() {
        let diff_id = archive::archive_to_blob(
            input.layers_dir,
            Path::new("sbom/launch"),
            input.owner,
            &blobs,
        )?;
        metadata.sbom = Some(ShaRef {
            sha: diff_id.as_str().to_owned(),
        });
    }
    metadata.processes = input.launch.processes.values().cloned().collect();
    metadata
        .default_process
        .clone_from(&input.launch.default_process);
    metadata.labels.clone_from(&input.launch.labels);
    let path = staging.join("metadata.json");
    let json = serde_json::to_vec_pretty(&metadata).map_err(|error| ExportError::Io {
        path: path.clone(),
        source: error.into(),
    })?;
    crate::fs::write_atomically(&path, &json).map_err(io_error(&path))?;
    Ok(Exported {
        layers: reports,
        app: (app_diff_id, app_status),
    })
}

/// Every `<layer>.toml` of a buildpack dir; any parse error fails the export, naming all
/// the layers that failed.
fn read_layer_tomls(
    bp_dir: &Path,
    buildpack_id: &str,
) -> Result<Vec<(String, LayerToml)>, ExportError> {
    let mut parsed = Vec::new();
    let mut failures = Vec::new();
    for name in list_layers(bp_dir).map_err(io_error(bp_dir))? {
        match LayerToml::read(&bp_dir.join(format!("{name}.toml"))) {
            Ok(Some(layer)) => parsed.push((name, layer)),
            Ok(None) => {}
            Err(error) => failures.push((format!("{buildpack_id}:{name}"), error)),
        }
    }
    if failures.is_empty() {
        return Ok(parsed);
    }
    let layers = failures.iter().map(|(id, _)| id.clone()).collect();
    let (_, source) = failures.swap_remove(0);
    Err(ExportError::ParseLayers { layers, source })
}

/// Archives one launch layer into `blobs`, or reuses the previous image's layer when the
/// dir is missing (a launch-only layer the buildpack kept without restoring its contents).
#[expect(
    clippy::too_many_arguments,
    reason = "one layer's export needs the build's input, records, identity and target"
)]
fn export_launch_layer(
    input: &ExportInput<'_>,
    trees: &mut Trees,
    (esc, name): (&str, &str),
    identifier: &str,
    cache: bool,
    previous_sha: Option<DiffId>,
    blobs: &Path,
    log: &Log<'_>,
) -> Result<(DiffId, LayerStatus), ExportError> {
    if fs::read_dir(input.layers_dir.join(esc).join(name)).is_ok() {
        let diff_id = log.step(&format!("exporting {identifier}"), || {
            trees.archive_layer(input.layers_dir, (esc, name), input.owner, blobs)
        })?;
        // "Reusing layer '%s'" / "Adding layer '%s'": phase/exporter.go, lifecycle v0.21.17
        // (`Exporter.addOrReuseBuildpackLayer`, lines 620 and 624).
        return Ok(if previous_sha.as_ref() == Some(&diff_id) {
            log.info(&format!("Reusing layer '{identifier}'"));
            (diff_id, LayerStatus::Reused)
        } else {
            log.info(&format!("Adding layer '{identifier}'"));
            (diff_id, LayerStatus::Added)
        });
    }
    if cache {
        return Err(ExportError::CacheWithoutContents {
            layer: identifier.to_owned(),
        });
    }
    let Some(diff_id) = previous_sha else {
        return Err(ExportError::NothingToReuse {
            layer: identifier.to_owned(),
        });
    };
    link_blob(
        &input.state.image_blob(&diff_id),
        &blobs.join(diff_id.blob_name()),
    )?;
    log.info(&format!("Reusing layer '{identifier}'"));
    Ok((diff_id, LayerStatus::Reused))
}

/// Archives the app dir as one layer; reused if its digest was among the previous app layers.
fn export_app(
    input: &ExportInput<'_>,
    blobs: &Path,
    log: &Log<'_>,
) -> Result<(DiffId, LayerStatus), ExportError> {
    let diff_id = log.step("exporting the app", || {
        archive::archive_to_blob(input.app_dir, Path::new(""), input.owner, blobs)
    })?;
    let reused = input
        .previous
        .is_some_and(|image| image.app.iter().any(|app| app.sha == diff_id.as_str()));
    // "Reused %d/%d app layer(s)" / "Added %d/%d app layer(s)": phase/exporter.go, lifecycle
    // v0.21.17, lines 485 and 488.
    Ok(if reused {
        log.info("Reused 1/1 app layer(s)");
        (diff_id, LayerStatus::Reused)
    } else {
        log.info("Added 1/1 app layer(s)");
        (diff_id, LayerStatus::Added)
    })
}

/// Reads `store.toml`; only `[metadata]` survives.
fn read_store(path: &Path, buildpack_id: &str) -> Result<Option<StoreRecord>, ExportError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ExportError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut table: toml::Table = toml::from_str(&text).map_err(|source| ExportError::Store {
        path: path.to_path_buf(),
        source: TomlError::new(&text, &source),
    })?;
    // As for layers, absent metadata is stored as `null` and restored absent.
    let metadata = match table.remove("metadata") {
        None => Ok(serde_json::Value::Null),
        Some(toml::Value::Table(metadata)) => toml_to_json(&metadata),
        Some(_) => Ok(serde_json::Value::Object(serde_json::Map::new())),
    }
    .map_err(|source| ExportError::Metadata {
        layer: format!("{buildpack_id}:store.toml"),
        source,
    })?;
    Ok(Some(StoreRecord { metadata }))
}

/// Hard-links a committed blob into a staging dir (copying across file systems).
pub(crate) fn link_blob(from: &Path, to: &Path) -> Result<(), ExportError> {
    if to.exists() {
        return Ok(());
    }
    if fs::hard_link(from, to).is_err() {
        fs::copy(from, to).map_err(io_error(from))?;
    }
    Ok(())
}
