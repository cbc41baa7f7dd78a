//! Reading a run image from an OCI layout (`oci:DIR` or `oci:DIR:<ref>`): its manifest,
//! config and layer descriptors, every blob checked against its digest.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::ImageError;
use super::blobs::{self, Blobs};
use super::spec::{
    Descriptor, ImageConfig, Index, MEDIA_TYPE_CONFIG, MEDIA_TYPE_MANIFEST, Manifest, REF_NAME,
    RUN_IMAGE_LAYER_TYPES,
};

/// A run image in an OCI image layout: `oci:DIR`, or `oci:DIR:<ref>` to pick the manifest
/// whose `org.opencontainers.image.ref.name` is `<ref>` (as `skopeo` names them). Without
/// a ref the layout's `index.json` must list exactly one manifest.
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::oci::RunImage;
///
/// let image: RunImage = "oci:images/busybox:stable".parse()?;
/// assert_eq!(image.dir(), std::path::Path::new("images/busybox"));
/// assert_eq!(image.reference(), Some("stable"));
/// assert_eq!(image.to_string(), "oci:images/busybox:stable");
/// # Ok::<(), libcnb_lite_test::oci::ParseRunImageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunImage {
    dir: PathBuf,
    reference: Option<String>,
}

/// A run image name is not `oci:DIR[:ref]`.
#[derive(Debug, thiserror::Error)]
#[error("run image {text:?} is not oci:DIR or oci:DIR:<ref> (an OCI image layout)")]
pub struct ParseRunImageError {
    text: String,
}

impl RunImage {
    /// The run image in the layout at `dir`; `reference` picks a manifest by ref name.
    pub fn new(dir: impl Into<PathBuf>, reference: Option<String>) -> Self {
        Self {
            dir: dir.into(),
            reference,
        }
    }

    /// The layout dir.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The ref name, if one was given.
    #[must_use]
    pub fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }
}

impl FromStr for RunImage {
    type Err = ParseRunImageError;

    /// Parses `oci:DIR[:ref]`. When `DIR:ref` is itself an existing dir, it is the dir.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseRunImageError {
            text: text.to_owned(),
        };
        let rest = text.strip_prefix("oci:").ok_or_else(error)?;
        if rest.is_empty() {
            return Err(error());
        }
        if Path::new(rest).is_dir() {
            return Ok(Self::new(rest, None));
        }
        match rest.rsplit_once(':') {
            Some((dir, reference)) if !dir.is_empty() && !reference.contains('/') => {
                let reference = (!reference.is_empty()).then(|| reference.to_owned());
                Ok(Self::new(dir, reference))
            }
            _ => Ok(Self::new(rest, None)),
        }
    }
}

impl fmt::Display for RunImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oci:{}", self.dir.display())?;
        if let Some(reference) = &self.reference {
            write!(f, ":{reference}")?;
        }
        Ok(())
    }
}

/// A run image, read and checked.
#[derive(Debug)]
pub(crate) struct BaseImage {
    pub(crate) dir: PathBuf,
    pub(crate) manifest_digest: String,
    pub(crate) config: ImageConfig,
    pub(crate) layers: Vec<Descriptor>,
}

fn invalid(path: &Path, problem: impl Into<String>) -> ImageError {
    ImageError::RunImage {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

/// Reads the run image's index, manifest and config, checking digests, media types and
/// that the config lists one diff ID per layer.
pub(crate) fn read(image: &RunImage) -> Result<BaseImage, ImageError> {
    let dir = image.dir();
    if !dir.is_dir() {
        return Err(invalid(dir, "does not exist or is not a directory"));
    }
    let index_path = dir.join("index.json");
    let bytes = fs::read(&index_path).map_err(|source| ImageError::RunImageIo {
        path: index_path.clone(),
        source,
    })?;
    let index: Index = serde_json::from_slice(&bytes)
        .map_err(|error| invalid(&index_path, format!("is not an OCI image index ({error})")))?;
    let descriptor = pick_manifest(&index, image.reference(), &index_path)?;
    if descriptor.media_type != MEDIA_TYPE_MANIFEST {
        return Err(invalid(
            &index_path,
            format!(
                "lists a manifest of unsupported media type {:?} (only {MEDIA_TYPE_MANIFEST}; \
                 copy a single-platform image with `skopeo copy --override-arch`)",
                descriptor.media_type
            ),
        ));
    }
    let manifest_path = blobs::blob_path(dir, &descriptor.digest)?;
    let manifest: Manifest = serde_json::from_slice(&blobs::read_verified(dir, descriptor)?)
        .map_err(|error| {
            invalid(
                &manifest_path,
                format!("is not an image manifest ({error})"),
            )
        })?;
    if manifest.config.media_type != MEDIA_TYPE_CONFIG {
        return Err(invalid(
            &manifest_path,
            format!(
                "has a config of unsupported media type {:?} (only {MEDIA_TYPE_CONFIG})",
                manifest.config.media_type
            ),
        ));
    }
    for layer in &manifest.layers {
        // Present and of the right size now; the digest is checked while the blob is copied.
        let path = blobs::blob_path(dir, &layer.digest)?;
        let size = fs::metadata(&path)
            .map_err(|source| ImageError::RunImageIo {
                path: path.clone(),
                source,
            })?
            .len();
        if size != layer.size {
            return Err(invalid(
                &path,
                format!("has {size} bytes, its descriptor says {}", layer.size),
            ));
        }
        if !RUN_IMAGE_LAYER_TYPES.contains(&layer.media_type.as_str()) {
            return Err(invalid(
                &manifest_path,
                format!(
                    "has a layer of unsupported media type {:?} (supported: {})",
                    layer.media_type,
                    RUN_IMAGE_LAYER_TYPES.join(", ")
                ),
            ));
        }
    }
    let config_path = blobs::blob_path(dir, &manifest.config.digest)?;
    let config: ImageConfig = serde_json::from_slice(&blobs::read_verified(dir, &manifest.config)?)
        .map_err(|error| invalid(&config_path, format!("is not an image config ({error})")))?;
    if config.rootfs.diff_ids.len() != manifest.layers.len() {
        return Err(invalid(
            &config_path,
            format!(
                "lists {} diff IDs for {} layers",
                config.rootfs.diff_ids.len(),
                manifest.layers.len()
            ),
        ));
    }
    Ok(BaseImage {
        dir: dir.to_path_buf(),
        manifest_digest: descriptor.digest.clone(),
        config,
        layers: manifest.layers,
    })
}

fn pick_manifest<'a>(
    index: &'a Index,
    reference: Option<&str>,
    index_path: &Path,
) -> Result<&'a Descriptor, ImageError> {
    let names = || {
        index
            .manifests
            .iter()
            .filter_map(|m| m.annotations.get(REF_NAME).map(String::as_str))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match reference {
        Some(reference) => index
            .manifests
            .iter()
            .find(|m| m.annotations.get(REF_NAME).map(String::as_str) == Some(reference))
            .ok_or_else(|| {
                invalid(
                    index_path,
                    format!("has no manifest named {reference:?} (names: {})", names()),
                )
            }),
        None => match index.manifests.as_slice() {
            [only] => Ok(only),
            [] => Err(invalid(index_path, "lists no manifest")),
            _ => Err(invalid(
                index_path,
                format!(
                    "lists several manifests; pick one with oci:DIR:<ref> (names: {})",
                    names()
                ),
            )),
        },
    }
}

/// Copies the run image's layer blobs into `blobs`, checking their digests.
pub(crate) fn copy_layers(base: &BaseImage, blobs: &Blobs) -> Result<(), ImageError> {
    for layer in &base.layers {
        blobs::copy_verified(&base.dir, layer, blobs)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        let parse = |text: &str| text.parse::<RunImage>();
        assert_eq!(
            parse("oci:/tmp/does-not-exist-xyz").unwrap(),
            RunImage::new("/tmp/does-not-exist-xyz", None)
        );
        assert_eq!(
            parse("oci:dir:tag").unwrap(),
            RunImage::new("dir", Some("tag".into()))
        );
        assert!(parse("docker://busybox").is_err());
        assert!(parse("oci:").is_err());
        assert!(parse("/some/dir").is_err());
    }
}
