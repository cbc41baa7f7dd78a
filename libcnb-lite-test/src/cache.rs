//! The cache phase ([`phase/cache.go`](https://github.com/buildpacks/lifecycle/blob/main/phase/cache.go)): write exactly this build's
//! `cache=true` layers (and
//! the cache SBOM layer) to a staging dir, with the export's digests, then commit. A layer
//! without contents is skipped with a warning; a cache failure never fails the build.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::archive::{self, ArchiveError, DiffId, Owner};
use crate::buildpack::Buildpack;
use crate::export::{ExportError, link_blob};
use crate::json::NonFiniteFloatError;
use crate::layer::metadata_json;
use crate::output::Log;
use crate::report::{LayerReport, LayerStatus};
use crate::snapshot::Trees;
use crate::state::{self, BuildpackLayers, CACHE_METADATA, CacheMetadata, LayerRecord, ShaRef};

/// Writing the cache failed (reported as a warning; the build still succeeds).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CacheError {
    /// Archiving failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// Linking an exported blob failed.
    #[error(transparent)]
    Link(#[from] ExportError),
    /// Metadata could not be stored as JSON.
    #[error(transparent)]
    Metadata(#[from] NonFiniteFloatError),
    /// A file could not be written.
    #[error("cannot write cache file {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// What the cache phase needs.
#[derive(Debug)]
pub(crate) struct CacheInput<'a> {
    pub(crate) group: &'a [&'a Buildpack],
    pub(crate) layers_dir: &'a Path,
    /// The export's blobs (the image staging dir's), to link launch layers from.
    pub(crate) image_blobs: &'a Path,
    pub(crate) previous: Option<&'a CacheMetadata>,
    pub(crate) owner: Owner,
}

/// Writes the cache into `staging` and fills in `cached` on the layer reports.
pub(crate) fn cache(
    input: &CacheInput<'_>,
    trees: &mut Trees,
    layers: &mut [LayerReport],
    staging: &Path,
    log: &Log<'_>,
) -> Result<(), CacheError> {
    let mut metadata = CacheMetadata::default();
    for buildpack in input.group {
        let esc = buildpack.escaped_id();
        let previous = input
            .previous
            .and_then(|cache| state::for_buildpack(&cache.buildpacks, &buildpack.id));
        let mut records = BTreeMap::new();
        for report in layers
            .iter_mut()
            .filter(|l| l.buildpack_id == buildpack.id && l.types.cache)
        {
            let identifier = report.identifier();
            let layer_dir = input.layers_dir.join(&esc).join(&report.name);
            if fs::read_dir(&layer_dir).is_err() {
                log.warn(&format!(
                    "Failed to cache layer '{identifier}' because it has no contents"
                ));
                continue;
            }
            // Launch layers were archived by the export: reuse that blob and digest.
            let diff_id = if let Some(diff_id) = &report.diff_id {
                link_blob(
                    &input.image_blobs.join(diff_id.blob_name()),
                    &staging.join(diff_id.blob_name()),
                )?;
                diff_id.clone()
            } else {
                let diff_id = log.step(&format!("caching {identifier}"), || {
                    trees.archive_layer(
                        input.layers_dir,
                        (&esc, &report.name),
                        input.owner,
                        staging,
                    )
                })?;
                report.diff_id = Some(diff_id.clone());
                diff_id
            };
            let previous_sha = previous
                .and_then(|bp| bp.layers.get(&report.name))
                .and_then(|record| DiffId::parse(&record.sha));
            // "Reusing cache layer '%s'" / "Adding cache layer '%s'": phase/cache.go, lifecycle
            // v0.21.17, lines 102 and 120.
            let status = if previous_sha.as_ref() == Some(&diff_id) {
                log.info(&format!("Reusing cache layer '{identifier}'"));
                LayerStatus::Reused
            } else {
                log.info(&format!("Adding cache layer '{identifier}'"));
                LayerStatus::Added
            };
            report.cached = Some(status);
            records.insert(
                report.name.clone(),
                LayerRecord {
                    sha: diff_id.as_str().to_owned(),
                    data: metadata_json(&report.metadata, report.metadata_absent)?,
                    build: report.types.build,
                    launch: report.types.launch,
                    cache: true,
                },
            );
        }
        metadata.buildpacks.push(BuildpackLayers {
            key: buildpack.id.clone(),
            version: buildpack.version.clone(),
            layers: records,
            store: None,
        });
    }
    if input.layers_dir.join("sbom").join("cache").is_dir() {
        let diff_id = archive::archive_to_blob(
            input.layers_dir,
            Path::new("sbom/cache"),
            input.owner,
            staging,
        )?;
        metadata.sbom = Some(ShaRef {
            sha: diff_id.as_str().to_owned(),
        });
    }
    let path = staging.join(CACHE_METADATA);
    let json = serde_json::to_vec_pretty(&metadata).map_err(|error| CacheError::Io {
        path: path.clone(),
        source: error.into(),
    })?;
    crate::fs::write_atomically(&path, &json).map_err(|source| CacheError::Io { path, source })?;
    Ok(())
}
