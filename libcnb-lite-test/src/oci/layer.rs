//! Image layers from the state dir's layer blobs.
//!
//! The state dir's blobs name their entries relative to the layers dir (`<esc-bp-id>/<layer>/…`)
//! or the app dir, so that a restore can never be redirected (see `archive.rs`). An image
//! layer needs full paths from `/`: this module re-writes a blob entry by entry under a
//! prefix (`layers/…` or `workspace/…`), preceded by the prefix dir itself, keeping every
//! header field (mode, owner, the 1980 mtime, link targets) and the entry order. The input
//! is deterministic, so the output is too. While re-writing a buildpack layer, the files the
//! launch env is computed from are copied aside (see [`EnvCapture`]).

use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Component, Path, PathBuf};

use tar::{EntryType, Header};

use super::ImageError;
use super::blobs::{BlobWriter, Blobs};
use super::spec::{Descriptor, MEDIA_TYPE_LAYER};
use crate::archive::NORMALIZED_MTIME;

/// The files of the launch layers that decide the launch env, copied to a scratch dir with
/// the layout of `<layers>`: each layer's `bin/` and `lib/` dirs (empty) and the files of
/// its `env/`, `env.launch/` and `env.launch/<process>/` dirs. Also notes the exec.d
/// programs, which the image cannot run without a launcher.
#[derive(Debug)]
pub(crate) struct EnvCapture {
    pub(crate) root: PathBuf,
    pub(crate) exec_d: Vec<String>,
}

enum Wanted {
    Nothing,
    Dir,
    File,
    ExecD,
}

impl EnvCapture {
    /// What to copy aside for entry `name`, a relative path of plain components (checked by
    /// [`rewrite`]).
    fn wanted(name: &Path, kind: EntryType) -> Wanted {
        let parts: Vec<&str> = name
            .components()
            .filter_map(|component| match component {
                Component::Normal(part) => part.to_str(),
                _ => None,
            })
            .collect();
        // <esc-bp-id>/<layer>/<rest…>
        let rest = parts.get(2..).unwrap_or_default();
        let regular = matches!(kind, EntryType::Regular | EntryType::Continuous);
        match (rest, kind) {
            (["bin" | "lib" | "env" | "env.launch"] | ["env.launch", _], EntryType::Directory) => {
                Wanted::Dir
            }
            (["env" | "env.launch", _] | ["env.launch", _, _], _) if regular => Wanted::File,
            (["exec.d", ..], _) if regular => Wanted::ExecD,
            _ => Wanted::Nothing,
        }
    }

    fn store(&mut self, name: &Path, data: Option<&[u8]>) -> Result<(), ImageError> {
        let path = self.root.join(name);
        let result = match data {
            None => fs::create_dir_all(&path),
            Some(data) => path
                .parent()
                .map_or(Ok(()), fs::create_dir_all)
                .and_then(|()| fs::write(&path, data)),
        };
        result.map_err(|source| ImageError::Write { path, source })
    }
}

/// Re-writes the state blob at `source` as an image layer under `prefix`, into `blobs`.
pub(crate) fn rewrite(
    source: &Path,
    prefix: &str,
    blobs: &Blobs,
    mut capture: Option<&mut EnvCapture>,
) -> Result<Descriptor, ImageError> {
    let read_error = |error: io::Error| ImageError::ReadLayer {
        path: source.to_path_buf(),
        source: error,
    };
    let file = File::open(source).map_err(read_error)?;
    let mut archive = tar::Archive::new(BufReader::with_capacity(1 << 20, file));
    let mut builder = tar::Builder::new(blobs.writer()?);
    // Tells a full disk (the blob) from a bad input (the state blob).
    let append_error = |builder: &tar::Builder<BlobWriter>, error: io::Error| {
        let writer = builder.get_ref();
        if writer.write_failed() {
            ImageError::Write {
                path: writer.path().to_path_buf(),
                source: error,
            }
        } else {
            read_error(error)
        }
    };
    let mut wrote_prefix = false;
    for entry in archive.entries().map_err(read_error)? {
        let mut entry = entry.map_err(read_error)?;
        let name = entry.path().map_err(read_error)?.into_owned();
        // The harness wrote these names; a state dir edited to hold anything else (absolute
        // names, `..`) must not reach the image or the env capture's scratch dir.
        if !name
            .components()
            .all(|component| matches!(component, Component::Normal(_)))
        {
            return Err(read_error(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "refusing archive entry {:?}: not a plain relative path",
                    name.display()
                ),
            )));
        }
        let mut header = entry.header().clone();
        if !wrote_prefix {
            // The prefix dir belongs to the same user as the layer's files (the CNB user).
            let owner = (header.uid().unwrap_or(0), header.gid().unwrap_or(0));
            append_prefix(&mut builder, prefix, owner).map_err(|e| append_error(&builder, e))?;
            wrote_prefix = true;
        }
        let target = Path::new(prefix).join(&name);
        let kind = header.entry_type();
        let wanted = capture
            .as_ref()
            .map_or(Wanted::Nothing, |_| EnvCapture::wanted(&name, kind));
        let result = match (kind, wanted, capture.as_deref_mut()) {
            (EntryType::Symlink, _, _) => {
                let link = entry
                    .link_name()
                    .map_err(read_error)?
                    .unwrap_or_default()
                    .into_owned();
                builder.append_link(&mut header, &target, link)
            }
            (_, Wanted::File, Some(capture)) => {
                let mut data = Vec::new();
                entry.read_to_end(&mut data).map_err(read_error)?;
                capture.store(&name, Some(&data))?;
                builder.append_data(&mut header, &target, data.as_slice())
            }
            (_, Wanted::Dir, Some(capture)) => {
                capture.store(&name, None)?;
                builder.append_data(&mut header, &target, &mut entry)
            }
            (_, Wanted::ExecD, Some(capture)) => {
                capture.exec_d.push(format!("/layers/{}", name.display()));
                builder.append_data(&mut header, &target, &mut entry)
            }
            _ => builder.append_data(&mut header, &target, &mut entry),
        };
        result.map_err(|e| append_error(&builder, e))?;
    }
    if !wrote_prefix {
        append_prefix(&mut builder, prefix, (0, 0)).map_err(|e| append_error(&builder, e))?;
    }
    let blob = builder.get_ref().path().to_path_buf();
    let writer = builder.into_inner().map_err(|error| ImageError::Write {
        path: blob,
        source: error,
    })?;
    writer.finish(MEDIA_TYPE_LAYER)
}

fn append_prefix(
    builder: &mut tar::Builder<BlobWriter>,
    prefix: &str,
    (uid, gid): (u64, u64),
) -> io::Result<()> {
    let mut header = Header::new_gnu();
    header.set_entry_type(EntryType::Directory);
    header.set_mode(0o755);
    header.set_uid(uid);
    header.set_gid(gid);
    header.set_mtime(NORMALIZED_MTIME);
    header.set_size(0);
    builder.append_data(&mut header, prefix, io::empty())
}

/// Writes a layer of the contents of `root` (no root entry), owned by root, for a base
/// image built from a directory.
pub(crate) fn from_dir(root: &Path, blobs: &Blobs) -> Result<Descriptor, ImageError> {
    let writer = blobs.writer()?;
    let owner = crate::archive::Owner { uid: 0, gid: 0 };
    let (_, writer) =
        crate::archive::write_archive(root, Path::new(""), owner, writer).map_err(|error| {
            match error {
                crate::archive::ArchiveError::Io { path, source } => {
                    ImageError::ReadLayer { path, source }
                }
                other => ImageError::RootFs(other),
            }
        })?;
    writer.finish(MEDIA_TYPE_LAYER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_paths() {
        let want = |name: &str, kind| EnvCapture::wanted(Path::new(name), kind);
        let dir = EntryType::Directory;
        let file = EntryType::Regular;
        assert!(matches!(want("bp/l/bin", dir), Wanted::Dir));
        assert!(matches!(want("bp/l/lib", dir), Wanted::Dir));
        assert!(matches!(want("bp/l/bin/tool", file), Wanted::Nothing));
        assert!(matches!(want("bp/l/env/PATH.prepend", file), Wanted::File));
        assert!(matches!(want("bp/l/env.launch/web/X", file), Wanted::File));
        assert!(matches!(want("bp/l/env.build/X", file), Wanted::Nothing));
        assert!(matches!(want("bp/l/exec.d/web/prog", file), Wanted::ExecD));
        assert!(matches!(want("bp/l/sub/env/X", file), Wanted::Nothing));
    }
}
