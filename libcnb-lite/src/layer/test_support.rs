//! Helpers for the layer module's unit tests: a buildpack whose error type has values, and
//! file-system set-up and checks that panic with the path.

use crate::Buildpack;
use crate::build::{BuildContext, BuildResult, BuildResultBuilder};
use crate::detect::{DetectContext, DetectResult, DetectResultBuilder};
use crate::generic::{GenericMetadata, GenericPlatform};
use crate::internals::build_context_for;
use std::fs;
use std::path::Path;

/// A buildpack whose callbacks can fail, with a `String`.
pub(crate) struct TestBuildpack;

impl Buildpack for TestBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = String;

    fn detect(&self, _: DetectContext<Self>) -> crate::Result<DetectResult, String> {
        DetectResultBuilder::pass().build()
    }

    fn build(&self, _: BuildContext<Self>) -> crate::Result<BuildResult, String> {
        BuildResultBuilder::new().build()
    }
}

pub(crate) fn context(layers_dir: &Path) -> BuildContext<TestBuildpack> {
    build_context_for(layers_dir)
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

/// A layer as the lifecycle restores it: `<name>.toml` with `toml` (no `[types]` unless the
/// text has them), a `content` file in the directory and a `CycloneDX` SBOM.
pub(crate) fn restore(layers_dir: &Path, name: &str, toml: &str) {
    write(&layers_dir.join(format!("{name}.toml")), toml);
    write(&layers_dir.join(name).join("content"), "restored");
    write(&layers_dir.join(format!("{name}.sbom.cdx.json")), "{}");
}

/// The `[types]` table written for a layer.
pub(crate) fn types_toml(launch: bool, build: bool, cache: bool) -> String {
    format!("[types]\nlaunch = {launch}\nbuild = {build}\ncache = {cache}\n")
}

/// Metadata that serializes without its only field, so it never deserializes again.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub(crate) struct Lossy {
    #[serde(skip_serializing)]
    #[expect(
        dead_code,
        reason = "never read: the type exists to fail deserializing"
    )]
    pub(crate) required: String,
}
