//! The blobs of an OCI layout: `blobs/sha256/<hex>`, each written to a temporary file in the
//! same dir while it is hashed, then renamed to its digest, so a blob file is only ever
//! complete. Blobs of a run image are read back with their digest and size checked.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::ImageError;
use super::spec::Descriptor;
use crate::archive::DiffId;

/// The write buffer between a blob's producer and its file.
const BUFFER_SIZE: usize = 1 << 20;

/// `<layout>/blobs/sha256` of the image being written.
#[derive(Debug)]
pub(crate) struct Blobs {
    dir: PathBuf,
}

impl Blobs {
    /// Creates `<layout>/blobs/sha256`.
    pub(crate) fn create(layout: &Path) -> Result<Self, ImageError> {
        let dir = layout.join("blobs").join("sha256");
        fs::create_dir_all(&dir).map_err(|source| ImageError::Write {
            path: dir.clone(),
            source,
        })?;
        Ok(Self { dir })
    }

    /// A writer for a new blob.
    pub(crate) fn writer(&self) -> Result<BlobWriter, ImageError> {
        let temp = tempfile::Builder::new()
            .prefix(".partial-")
            .tempfile_in(&self.dir)
            .map_err(|source| ImageError::Write {
                path: self.dir.clone(),
                source,
            })?;
        Ok(BlobWriter {
            path: temp.path().to_path_buf(),
            inner: BufWriter::with_capacity(BUFFER_SIZE, temp),
            hasher: Sha256::new(),
            size: 0,
            write_failed: false,
            dir: self.dir.clone(),
        })
    }

    /// Writes `value` as a JSON blob.
    pub(crate) fn write_json(
        &self,
        value: &impl Serialize,
        media_type: &str,
    ) -> Result<Descriptor, ImageError> {
        let bytes = serde_json::to_vec(value).map_err(|error| ImageError::Write {
            path: self.dir.clone(),
            source: error.into(),
        })?;
        let mut writer = self.writer()?;
        writer
            .write_all(&bytes)
            .map_err(|source| ImageError::Write {
                path: writer.path.clone(),
                source,
            })?;
        writer.finish(media_type)
    }
}

/// A blob being written: everything written is hashed and counted.
#[derive(Debug)]
pub(crate) struct BlobWriter {
    path: PathBuf,
    inner: BufWriter<tempfile::NamedTempFile>,
    hasher: Sha256,
    size: u64,
    write_failed: bool,
    dir: PathBuf,
}

impl BlobWriter {
    /// The temporary file, for error messages.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a write to the file failed (a full disk), as opposed to a failure of
    /// whatever produced the bytes.
    pub(crate) fn write_failed(&self) -> bool {
        self.write_failed
    }

    /// Flushes the blob and renames it to `blobs/sha256/<hex>`.
    pub(crate) fn finish(self, media_type: &str) -> Result<Descriptor, ImageError> {
        let path = self.path;
        let write_error = |source| ImageError::Write {
            path: path.clone(),
            source,
        };
        let temp = self
            .inner
            .into_inner()
            .map_err(|error| write_error(error.into_error()))?;
        temp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(write_error)?;
        let digest = DiffId::from_hasher(self.hasher);
        let target = self.dir.join(digest.hex());
        // The same content may already be there (two identical layers): keep it.
        if !target.exists() {
            temp.persist(&target)
                .map_err(|error| write_error(error.error))?;
        }
        Ok(Descriptor {
            media_type: media_type.to_owned(),
            digest: digest.to_string(),
            size: self.size,
            annotations: std::collections::BTreeMap::new(),
        })
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf).inspect_err(|_| {
            self.write_failed = true;
        })?;
        self.hasher.update(&buf[..written]);
        self.size += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().inspect_err(|_| {
            self.write_failed = true;
        })
    }
}

/// The file of blob `digest` in the layout at `layout`, or an error naming the digest.
pub(crate) fn blob_path(layout: &Path, digest: &str) -> Result<PathBuf, ImageError> {
    // Only `sha256:<64 lowercase hex>`: a digest can never name a file outside `blobs/sha256`.
    let digest = DiffId::parse(digest).ok_or_else(|| ImageError::RunImage {
        path: layout.to_path_buf(),
        problem: format!("names a blob {digest:?} that is not a sha256 digest"),
    })?;
    Ok(layout.join("blobs").join("sha256").join(digest.hex()))
}

/// Reads a (small) blob of a run image, checking its size and digest.
pub(crate) fn read_verified(layout: &Path, descriptor: &Descriptor) -> Result<Vec<u8>, ImageError> {
    let path = blob_path(layout, &descriptor.digest)?;
    let bytes = fs::read(&path).map_err(|source| ImageError::RunImageIo {
        path: path.clone(),
        source,
    })?;
    let mut hasher = Sha256::new();
    hasher.update(&bytes);
    check(
        &path,
        descriptor,
        &DiffId::from_hasher(hasher),
        bytes.len() as u64,
    )?;
    Ok(bytes)
}

/// Copies a run image's blob into `blobs`, checking its size and digest on the way.
pub(crate) fn copy_verified(
    layout: &Path,
    descriptor: &Descriptor,
    blobs: &Blobs,
) -> Result<(), ImageError> {
    let path = blob_path(layout, &descriptor.digest)?;
    let mut file = File::open(&path).map_err(|source| ImageError::RunImageIo {
        path: path.clone(),
        source,
    })?;
    let mut writer = blobs.writer()?;
    io::copy(&mut file, &mut writer).map_err(|source| {
        // Tells a full disk (the new blob) from an unreadable run image blob.
        if writer.write_failed() {
            ImageError::Write {
                path: writer.path().to_path_buf(),
                source,
            }
        } else {
            ImageError::RunImageIo {
                path: path.clone(),
                source,
            }
        }
    })?;
    let hasher = writer.hasher.clone();
    check(&path, descriptor, &DiffId::from_hasher(hasher), writer.size)?;
    writer.finish(&descriptor.media_type)?;
    Ok(())
}

fn check(
    path: &Path,
    descriptor: &Descriptor,
    digest: &DiffId,
    size: u64,
) -> Result<(), ImageError> {
    if digest.as_str() != descriptor.digest || size != descriptor.size {
        return Err(ImageError::RunImage {
            path: path.to_path_buf(),
            problem: format!(
                "does not match its descriptor: digest {digest} and size {size}, expected {} and {}",
                descriptor.digest, descriptor.size
            ),
        });
    }
    Ok(())
}
