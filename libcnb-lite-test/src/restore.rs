//! The restore phase ([spec: Layer Types](https://github.com/buildpacks/spec/blob/main/buildpack.md#layer-types),
//! [`phase/restorer.go`](https://github.com/buildpacks/lifecycle/blob/main/phase/restorer.go)): store.toml from the previous image, layer
//! metadata by the eight-row table (written without `[types]`, through the JSON round
//! trip), cache contents when the SHAs agree, and layer SBOMs.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::archive::{self, DiffId, ExtractError};
use crate::buildpack::Buildpack;
use crate::config::PlatformApi;
use crate::json::json_to_toml;
use crate::output::Log;
use crate::snapshot::{Previous, Trees};
use crate::state::{self, CacheMetadata, ImageMetadata, LayerRecord, StateDir};

/// Where a restored layer's metadata came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoredFrom {
    /// The previous image (launch layers).
    Image,
    /// The cache.
    Cache,
}

/// One layer whose `<layer>.toml` was restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredLayer {
    /// The buildpack ID.
    pub buildpack_id: String,
    /// The layer name.
    pub name: String,
    /// Where its metadata came from.
    pub metadata_from: RestoredFrom,
    /// Whether its contents were extracted from the cache.
    pub contents: bool,
}

/// Restoring failed.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// A cache or image archive tried to write outside its layer.
    #[error("refusing to restore {layer} from {blob}")]
    Hostile {
        /// `<bp-id>:<layer>` or the SBOM layer.
        layer: String,
        /// The archive.
        blob: PathBuf,
        /// What was refused.
        source: ExtractError,
    },
    /// A file could not be written.
    #[error("cannot write restored file {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// What restore needs to know.
#[derive(Debug)]
pub(crate) struct RestoreInput<'a> {
    pub(crate) group: &'a [&'a Buildpack],
    pub(crate) layers_dir: &'a Path,
    pub(crate) state: &'a StateDir,
    pub(crate) image: Option<&'a ImageMetadata>,
    pub(crate) cache: Option<&'a CacheMetadata>,
    pub(crate) platform_api: PlatformApi,
    pub(crate) skip_layers: bool,
    /// The previous build's layers, kept instead of extracted where provably unchanged.
    pub(crate) previous: Option<&'a Previous>,
}

/// What the lifecycle's TOML encoder writes: `[metadata]` only, and nothing at all when the
/// stored metadata is `null` (it skips nil fields), so absent metadata stays absent.
#[derive(Serialize)]
struct MetadataOnly {
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<toml::Table>,
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> RestoreError + '_ {
    move |source| RestoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

///
/// Cache contents come from the previous build's tree when [`Trees::keep`] proves it equal to
/// the blob, else from the blob; either way the buildpack sees the same files and log.
pub(crate) fn restore(
    input: &RestoreInput<'_>,
    trees: &mut Trees,
    log: &Log<'_>,
) -> Result<Vec<RestoredLayer>, RestoreError> {
    let mut restored = Vec::new();
    if input.cache.is_none() {
        log.info("Layer cache not found");
    }
    for buildpack in input.group {
        let bp_dir = input.layers_dir.join(buildpack.escaped_id());
        let image_layers = input
            .image
            .and_then(|image| state::for_buildpack(&image.buildpacks, &buildpack.id));
        let cache_layers = input
            .cache
            .and_then(|cache| state::for_buildpack(&cache.buildpacks, &buildpack.id));

        if let Some(store) = image_layers.and_then(|bp| bp.store.as_ref()) {
            write_metadata_toml(&bp_dir, "store.toml", &store.metadata)?;
        }
        if input.skip_layers {
            continue;
        }

        // Metadata: (name, sha, record, from)
        let mut written: Vec<(String, String, RestoredFrom)> = Vec::new();
        if let Some(image_bp) = image_layers {
            for (name, layer) in &image_bp.layers {
                let cached = cache_layers.and_then(|bp| bp.layers.get(name));
                let restore = if !layer.build && !layer.cache {
                    true // launch-only: metadata from the image, never contents
                } else {
                    layer.cache && cached.is_some_and(|c| c.cache)
                };
                if restore {
                    log.info(&format!(
                        "Restoring metadata for \"{}:{name}\" from app image",
                        buildpack.id
                    ));
                    write_layer_toml(&bp_dir, name, layer)?;
                    written.push((name.clone(), layer.sha.clone(), RestoredFrom::Image));
                }
            }
        }
        if let Some(cache_bp) = cache_layers {
            for (name, layer) in &cache_bp.layers {
                if !layer.cache {
                    continue;
                }
                if layer.launch {
                    let in_image = image_layers.is_some_and(|bp| bp.layers.contains_key(name));
                    let fallback = input.platform_api
                        >= PlatformApi {
                            major: 0,
                            minor: 14,
                        };
                    if in_image || !fallback {
                        continue;
                    }
                }
                log.info(&format!(
                    "Restoring metadata for \"{}:{name}\" from cache",
                    buildpack.id
                ));
                write_layer_toml(&bp_dir, name, layer)?;
                written.push((name.clone(), layer.sha.clone(), RestoredFrom::Cache));
            }
        }

        // Contents, only from the cache and only when the SHAs agree.
        for (name, sha, from) in written {
            let identifier = format!("{}:{name}", buildpack.id);
            let mut contents = false;
            if let Some(cached) = cache_layers
                .and_then(|bp| bp.layers.get(&name))
                .filter(|c| c.cache)
            {
                if sha == cached.sha {
                    log.info(&format!("Restoring data for \"{identifier}\" from cache"));
                    // A step, so a terminal shows progress while a big layer is hashed and
                    // extracted.
                    contents = log.step(&format!("restoring {identifier}"), || {
                        restore_contents(input, trees, buildpack, &name, &cached.sha, log)
                    })?;
                } else {
                    log.info(&format!("Removing \"{identifier}\", wrong sha"));
                    for path in [
                        bp_dir.join(format!("{name}.toml")),
                        bp_dir.join(format!("{name}.sha")),
                    ] {
                        remove_if_exists(&path)?;
                    }
                    continue;
                }
            }
            restored.push(RestoredLayer {
                buildpack_id: buildpack.id.clone(),
                name,
                metadata_from: from,
                contents,
            });
        }
    }
    if !input.skip_layers {
        restore_sboms(input, log)?;
    }
    Ok(restored)
}

/// Extracts a cache layer; a missing or corrupt blob only warns and keeps the toml.
fn restore_contents(
    input: &RestoreInput<'_>,
    trees: &mut Trees,
    buildpack: &Buildpack,
    name: &str,
    sha: &str,
    log: &Log<'_>,
) -> Result<bool, RestoreError> {
    let identifier = &format!("{}:{name}", buildpack.id);
    let esc = buildpack.escaped_id();
    let Some(diff_id) = DiffId::parse(sha) else {
        log.warn(&format!(
            "Skipping restore for layer {identifier}: invalid digest {sha}"
        ));
        return Ok(false);
    };
    let blob = input.state.cache_blob(&diff_id);
    if input.previous.is_some_and(|previous| {
        trees.keep(previous, input.layers_dir, (&esc, name), &diff_id, &blob)
    }) {
        return Ok(true);
    }
    match archive::hash_file(&blob) {
        Ok(actual) if actual == diff_id => {}
        Ok(actual) => {
            log.warn(&format!(
                "Skipping restore for layer {identifier}: blob {} has digest {actual}",
                blob.display()
            ));
            return Ok(false);
        }
        Err(error) => {
            log.warn(&format!(
                "Skipping restore for layer {identifier}: cannot read {}: {error}",
                blob.display()
            ));
            return Ok(false);
        }
    }
    let allowed = Path::new(&esc).join(name);
    let file = File::open(&blob).map_err(io_error(&blob))?;
    archive::extract(file, input.layers_dir, &allowed).map_err(|source| RestoreError::Hostile {
        layer: identifier.to_owned(),
        blob: blob.clone(),
        source,
    })?;
    trees.extracted(input.layers_dir, (&esc, name), &diff_id, &blob);
    Ok(true)
}

/// Restores layer SBOMs: cache first, then launch, only into existing buildpack dirs.
fn restore_sboms(input: &RestoreInput<'_>, log: &Log<'_>) -> Result<(), RestoreError> {
    let sbom_root = input.layers_dir.join("sbom");
    let sources = [
        (
            input.cache.and_then(|c| c.sbom.as_ref()),
            "cache",
            input.state.cache_dir(),
        ),
        (
            input.image.and_then(|i| i.sbom.as_ref()),
            "launch",
            input.state.image_dir().join("blobs"),
        ),
    ];
    for (sha, kind, blob_dir) in &sources {
        let Some(diff_id) = sha.and_then(|s| DiffId::parse(&s.sha)) else {
            continue;
        };
        let blob = blob_dir.join(diff_id.blob_name());
        if archive::hash_file(&blob).ok().as_ref() != Some(&diff_id) {
            log.warn(&format!(
                "Skipping restore of the {kind} SBOM layer: {} is missing or corrupt",
                blob.display()
            ));
            continue;
        }
        let file = File::open(&blob).map_err(io_error(&blob))?;
        archive::extract(file, input.layers_dir, &Path::new("sbom").join(kind)).map_err(
            |source| RestoreError::Hostile {
                layer: format!("the {kind} SBOM layer"),
                blob: blob.clone(),
                source,
            },
        )?;
    }
    for kind in ["cache", "launch"] {
        for buildpack in input.group {
            let esc = buildpack.escaped_id();
            let bp_dir = input.layers_dir.join(&esc);
            let from = sbom_root.join(kind).join(&esc);
            if !bp_dir.is_dir() || !from.is_dir() {
                continue;
            }
            for layer in read_dir_names(&from)? {
                let layer_dir = from.join(&layer);
                if !layer_dir.is_dir() {
                    continue;
                }
                for file in read_dir_names(&layer_dir)? {
                    if let Some(ext) = file.strip_prefix("sbom.") {
                        let target = bp_dir.join(format!("{layer}.sbom.{ext}"));
                        fs::copy(layer_dir.join(&file), &target).map_err(io_error(&target))?;
                    }
                }
            }
        }
    }
    if sbom_root.exists() {
        fs::remove_dir_all(&sbom_root).map_err(io_error(&sbom_root))?;
    }
    Ok(())
}

fn read_dir_names(dir: &Path) -> Result<Vec<String>, RestoreError> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(io_error(dir))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names)
}

fn remove_if_exists(path: &Path) -> Result<(), RestoreError> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(RestoreError::Io {
            path: path.to_path_buf(),
            source: error,
        }),
        _ => Ok(()),
    }
}

fn write_layer_toml(bp_dir: &Path, name: &str, layer: &LayerRecord) -> Result<(), RestoreError> {
    write_metadata_toml(bp_dir, &format!("{name}.toml"), &layer.data)
}

/// Writes `[metadata]` only (no `[types]`, no `[metadata]` for `null`), after the JSON
/// round trip.
fn write_metadata_toml(
    bp_dir: &Path,
    file: &str,
    data: &serde_json::Value,
) -> Result<(), RestoreError> {
    fs::create_dir_all(bp_dir).map_err(io_error(bp_dir))?;
    let path = bp_dir.join(file);
    let text = toml::to_string(&MetadataOnly {
        metadata: (!data.is_null()).then(|| json_to_toml(data)),
    })
    .map_err(|error| RestoreError::Io {
        path: path.clone(),
        source: io::Error::new(io::ErrorKind::InvalidData, error),
    })?;
    crate::fs::write_atomically(&path, text.as_bytes()).map_err(io_error(&path))
}
