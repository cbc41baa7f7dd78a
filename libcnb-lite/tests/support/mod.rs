//! What the layer integration tests share: a buildpack, its build context for a layers
//! directory, and file-system helpers that panic with the path.

// `allow`, not `expect`: whether an item is used depends on the test file including this.
#![allow(
    dead_code,
    reason = "each test file uses a different part of this module"
)]

use libcnb_lite::Buildpack;
use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb_lite::generic::{GenericMetadata, GenericPlatform};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// A buildpack whose error type has values.
#[derive(Debug)]
pub(crate) struct TestBuildpack;

impl Buildpack for TestBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = String;

    fn detect(&self, _: DetectContext<Self>) -> libcnb_lite::Result<DetectResult, String> {
        DetectResultBuilder::pass().build()
    }

    fn build(&self, _: BuildContext<Self>) -> libcnb_lite::Result<BuildResult, String> {
        BuildResultBuilder::new().build()
    }
}

/// The build context of [`TestBuildpack`], with `layers_dir` as its layers directory.
pub(crate) fn context(layers_dir: &Path) -> BuildContext<TestBuildpack> {
    libcnb_lite::internals::build_context_for(layers_dir)
}

pub(crate) fn write(path: &Path, contents: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
    }
    fs::write(path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

pub(crate) fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The sorted names in `dir`.
pub(crate) fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Everything below `root`, by path relative to it: what a file holds, where a link points,
/// `/` for a directory, each with its permission bits. Links are not followed.
#[cfg(unix)]
pub(crate) fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;

    fn walk(root: &Path, dir: &Path, into: &mut BTreeMap<PathBuf, String>) {
        for name in names(dir) {
            let path = dir.join(&name);
            let metadata = fs::symlink_metadata(&path).unwrap();
            let mode = metadata.permissions().mode() & 0o7777;
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            if metadata.file_type().is_symlink() {
                let target = fs::read_link(&path).unwrap();
                into.insert(relative, format!("-> {}", target.display()));
            } else if metadata.is_dir() {
                into.insert(relative, format!("/ {mode:o}"));
                walk(root, &path, into);
            } else {
                into.insert(relative, format!("{} {mode:o}", read(&path)));
            }
        }
    }

    let mut snapshot = BTreeMap::new();
    walk(root, root, &mut snapshot);
    snapshot
}

/// Sets `path`'s permission bits (not following links).
#[cfg(unix)]
pub(crate) fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}
