//! Publishing the built image to an OCI registry, with `skopeo copy`.
//!
//! The image is written as an OCI layout into a temporary dir ([`write_image`]) and copied
//! with `skopeo copy --preserve-digests oci:<dir>:latest docker://<reference>`. skopeo
//! (Debian's package; containers/image, the code of podman and buildah) asks the registry
//! for each blob before uploading it, so a rebuild in which one layer changed uploads that
//! layer, the config and the manifest, and nothing else. It also brings registry auth
//! (`auth.json`, credential helpers), TLS and retries; a Rust registry client would bring an
//! async HTTP stack into this crate for the same. `--preserve-digests` keeps the layers
//! uncompressed, so the registry's digests are the image's diff IDs and the manifest digest
//! is the layout's.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{ImageError, ImageLayer, ImageOptions, REF, write_image};

/// How to reach the registry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryOptions {
    insecure: bool,
}

impl RegistryOptions {
    /// HTTPS with verified certificates.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Plain HTTP or unverified TLS (`--dest-tls-verify=false`), for a local test registry.
    #[must_use]
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }
}

/// An image in a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedImage {
    /// Where it was pushed, as given (`host[:port]/repo[:tag]`).
    pub reference: String,
    /// The manifest digest the registry reported (`sha256:…`).
    pub manifest_digest: String,
    /// The config's digest.
    pub config_digest: String,
    /// The layers, bottom first.
    pub layers: Vec<ImageLayer>,
}

/// Publishing failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The image could not be written.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// `skopeo` could not be started.
    #[error("cannot run skopeo (install it: apt-get install skopeo)")]
    Skopeo(#[source] io::Error),
    /// `skopeo copy` failed.
    #[error("skopeo copy to docker://{reference} failed ({status}): {stderr}")]
    Push {
        /// The reference.
        reference: String,
        /// skopeo's exit status.
        status: String,
        /// What skopeo printed.
        stderr: String,
    },
    /// A temporary file or dir could not be used.
    #[error("cannot use temporary path {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// Writes the image committed in `state_dir` and pushes it to `reference`
/// (`host[:port]/repo[:tag]`, without `docker://`).
///
/// # Errors
///
/// Fails when the image cannot be written (see [`write_image`]), skopeo is missing, or the
/// push fails (skopeo's message is in the error).
pub fn publish(
    state_dir: &Path,
    reference: &str,
    options: &ImageOptions,
    registry: &RegistryOptions,
) -> Result<PublishedImage, PublishError> {
    let temp = tempfile::Builder::new()
        .prefix("cnb-local-publish-")
        .tempdir()
        .map_err(|source| PublishError::Io {
            path: std::env::temp_dir(),
            source,
        })?;
    let layout = temp.path().join("image");
    let image = write_image(state_dir, &layout, options)?;
    let digest_file = temp.path().join("digest");
    let output = Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            "--preserve-digests",
            "--retry-times",
            "2",
        ])
        .arg(format!("--dest-tls-verify={}", !registry.insecure))
        .arg("--digestfile")
        .arg(&digest_file)
        .arg(format!("oci:{}:{REF}", layout.display()))
        .arg(format!("docker://{reference}"))
        .output()
        .map_err(PublishError::Skopeo)?;
    if !output.status.success() {
        return Err(PublishError::Push {
            reference: reference.to_owned(),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    let manifest_digest = fs::read_to_string(&digest_file)
        .map_err(|source| PublishError::Io {
            path: digest_file.clone(),
            source,
        })?
        .trim()
        .to_owned();
    Ok(PublishedImage {
        reference: reference.to_owned(),
        manifest_digest,
        config_digest: image.config_digest,
        layers: image.layers,
    })
}
