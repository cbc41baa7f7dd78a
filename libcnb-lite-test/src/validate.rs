//! What a build may commit: before the image and the cache are written, every layer that
//! will be exported or cached (its toml says `launch` or `cache`) is checked against what the next build's restore (and
//! `launch`) accepts, so a hostile or careless buildpack fails its own build, naming
//! buildpack, layer and path, instead of poisoning every later one.
//!
//! Refused: layer names that are not UTF-8, `.`/`..`/empty (from `..toml`), that hold a
//! backslash, or that are too long for the names the lifecycle derives from them
//! (`<name>.ignore`); a symlinked buildpack or layer dir (its contents would come from
//! outside the layers dir); FIFOs and device nodes in a layer (restore refuses them).
//! Symlinks *inside* a layer stay allowed, as the lifecycle exports and restores them.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::buildpack::Buildpack;
use crate::layer::{LayerToml, RESERVED};

/// The longest file name the lifecycle derives from a layer name: `<name>.ignore`, the
/// dir of a layer whose types are all false on the next build.
const LONGEST_SUFFIX: &str = ".ignore";
/// The longest file name Linux file systems take.
const NAME_MAX: usize = 255;

/// A layer the next build would refuse.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to commit layer '{buildpack}:{layer}': {path} {problem}; the previous image and cache are kept"
)]
pub struct UnsafeLayerError {
    /// The buildpack ID.
    pub buildpack: String,
    /// The layer name (lossily decoded when it is not UTF-8).
    pub layer: String,
    /// The offending path.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: String,
}

/// Checks every layer of `group` under `layers` that the export or the cache would take.
///
/// # Errors
///
/// The first layer the next build would refuse, or a dir that cannot be read (as a problem
/// of that dir).
pub(crate) fn check_layers(group: &[&Buildpack], layers: &Path) -> Result<(), UnsafeLayerError> {
    for buildpack in group {
        let bp_dir = layers.join(buildpack.escaped_id());
        let refuse = |layer: &OsStr, path: &Path, problem: String| UnsafeLayerError {
            buildpack: buildpack.id.clone(),
            layer: layer.to_string_lossy().into_owned(),
            path: path.to_path_buf(),
            problem,
        };
        let unreadable = |path: &Path, error: &dyn std::fmt::Display| {
            refuse(OsStr::new("*"), path, format!("cannot be read ({error})"))
        };
        match fs::symlink_metadata(&bp_dir) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(unreadable(&bp_dir, &error)),
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refuse(
                    OsStr::new("*"),
                    &bp_dir,
                    "is a symlink; the buildpack's layers dir must be a directory".into(),
                ));
            }
            Ok(_) => {}
        }
        let entries = fs::read_dir(&bp_dir).map_err(|error| unreadable(&bp_dir, &error))?;
        for entry in entries {
            let entry = entry.map_err(|error| unreadable(&bp_dir, &error))?;
            let file_name = entry.file_name();
            let file_type = entry
                .file_type()
                .map_err(|error| unreadable(&entry.path(), &error))?;
            let name = if file_type.is_dir() || file_type.is_symlink() {
                file_name.as_os_str()
            } else if let Some(stem) = file_name.as_bytes().strip_suffix(b".toml") {
                OsStr::from_bytes(stem)
            } else {
                continue;
            };
            if name.to_str().is_some_and(|text| RESERVED.contains(&text)) {
                continue;
            }
            let mut toml_name = name.to_os_string();
            toml_name.push(".toml");
            let types = match LayerToml::read(&bp_dir.join(&toml_name)) {
                Ok(Some(layer)) => layer.types,
                // No toml: not a layer. Export reports unparseable tomls with all their names.
                Ok(None) | Err(_) => continue,
            };
            if !(types.launch || types.cache) {
                continue;
            }
            let layer_dir = bp_dir.join(name);
            check_name(name).map_err(|problem| refuse(name, &bp_dir.join(&toml_name), problem))?;
            if file_type.is_file() {
                continue;
            }
            if file_type.is_symlink() {
                return Err(refuse(
                    name,
                    &layer_dir,
                    "is a symlink; a layer must be a directory inside the layers dir (symlinks inside it are fine)".into(),
                ));
            }
            check_contents(&layer_dir).map_err(|(path, problem)| refuse(name, &path, problem))?;
        }
    }
    Ok(())
}

/// The rules the state dir's metadata and restore apply to a layer name.
fn check_name(name: &OsStr) -> Result<(), String> {
    let Some(text) = name.to_str() else {
        return Err("has a name that is not UTF-8, which the layer metadata cannot hold".into());
    };
    if text.is_empty() || text == "." || text == ".." {
        return Err(format!(
            "names the layer {text:?}, which is not a usable dir name"
        ));
    }
    if text.contains('\\') {
        return Err("has a backslash in the layer name".into());
    }
    if text.len() + LONGEST_SUFFIX.len() > NAME_MAX {
        return Err(format!(
            "has a layer name of {} bytes; at most {} fit (the lifecycle derives `<name>{LONGEST_SUFFIX}` from it)",
            text.len(),
            NAME_MAX - LONGEST_SUFFIX.len()
        ));
    }
    Ok(())
}

/// No FIFOs or device nodes anywhere in the layer.
fn check_contents(layer_dir: &Path) -> Result<(), (PathBuf, String)> {
    for entry in WalkDir::new(layer_dir).follow_links(false) {
        let entry = entry.map_err(|error| {
            let path = error.path().unwrap_or(layer_dir).to_path_buf();
            (path, format!("cannot be read ({error})"))
        })?;
        let file_type = entry.file_type();
        let kind = if file_type.is_fifo() {
            "a FIFO"
        } else if file_type.is_char_device() {
            "a character device"
        } else if file_type.is_block_device() {
            "a block device"
        } else {
            continue;
        };
        return Err((
            entry.path().to_path_buf(),
            format!("is {kind}; layers may hold files, dirs and symlinks only"),
        ));
    }
    Ok(())
}
