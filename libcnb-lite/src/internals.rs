//! Support for this crate's macros and documentation examples; not a public API.

use crate::build::{BuildContext, BuildResult, BuildResultBuilder};
use crate::detect::{DetectContext, DetectResult, DetectResultBuilder};
use crate::generic::{GenericError, GenericMetadata, GenericPlatform};
use crate::{Buildpack, Env, Target};
use libcnb_lite_data::buildpack::{
    Buildpack as BuildpackTable, BuildpackApi, BuildpackVersion, ComponentBuildpackDescriptor,
};
use libcnb_lite_data::buildpack_id;
use libcnb_lite_data::buildpack_plan::BuildpackPlan;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Where the packaged buildpack holds the additional binary `name`:
/// `<buildpack dir>/.libcnb-cargo/additional-bin/<name>`, the layout upstream's packaging
/// (`libcnb-cargo`) produces.
///
/// The buildpack directory is `CNB_BUILDPACK_DIR`, which the lifecycle always sets for detect
/// and build. If it is unset (for example in a unit test), the directory above the running
/// executable's `bin/` (from `argv[0]`) is used instead, and failing that the path is relative,
/// so a later file operation fails with an error naming it rather than this panicking.
#[must_use]
pub fn additional_buildpack_binary_path(name: &str) -> PathBuf {
    let buildpack_dir = std::env::var_os("CNB_BUILDPACK_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let argv0 = PathBuf::from(std::env::args_os().next()?);
            argv0.parent()?.parent().map(Path::to_path_buf)
        })
        .unwrap_or_default();

    buildpack_dir
        .join(".libcnb-cargo")
        .join("additional-bin")
        .join(name)
}

/// Whether `name` can be a Cargo binary target name that is also a single file name; the rule
/// is [`check_path_component`](libcnb_lite_data::internals::check_path_component)'s.
#[must_use]
pub const fn is_valid_binary_target_name(name: &str) -> bool {
    libcnb_lite_data::internals::is_path_component(name)
}

/// The buildpack of [`doctest_build_context`]: passes detection and builds nothing.
#[derive(Debug)]
pub struct DoctestBuildpack;

impl Buildpack for DoctestBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = GenericError;

    fn detect(&self, _context: DetectContext<Self>) -> crate::Result<DetectResult, GenericError> {
        DetectResultBuilder::pass().build()
    }

    fn build(&self, _context: BuildContext<Self>) -> crate::Result<BuildResult, GenericError> {
        BuildResultBuilder::new().build()
    }
}

/// A build context whose layers directory is `layers_dir`, so that documentation examples of
/// the layer APIs run against a temporary directory without thirty lines of scaffolding.
#[must_use]
pub fn doctest_build_context(layers_dir: &Path) -> BuildContext<DoctestBuildpack> {
    build_context_for(layers_dir)
}

/// [`doctest_build_context`] for any buildpack with the generic platform and metadata, for
/// tests.
#[must_use]
pub fn build_context_for<B>(layers_dir: &Path) -> BuildContext<B>
where
    B: Buildpack<Platform = GenericPlatform, Metadata = GenericMetadata>,
{
    BuildContext {
        layers_dir: layers_dir.to_path_buf(),
        app_dir: layers_dir.to_path_buf(),
        buildpack_dir: layers_dir.to_path_buf(),
        target: Target {
            os: String::from("linux"),
            arch: String::from("amd64"),
            arch_variant: None,
            distro_name: String::from("ubuntu"),
            distro_version: String::from("24.04"),
        },
        platform: GenericPlatform::new(Env::new()),
        buildpack_plan: BuildpackPlan {
            entries: Vec::new(),
        },
        buildpack_descriptor: ComponentBuildpackDescriptor {
            api: BuildpackApi {
                major: 0,
                minor: 10,
            },
            buildpack: BuildpackTable {
                id: buildpack_id!("libcnb-lite/doctest"),
                name: None,
                version: BuildpackVersion::new(0, 0, 0),
                homepage: None,
                clear_env: false,
                description: None,
                keywords: Vec::new(),
                licenses: Vec::new(),
                sbom_formats: HashSet::new(),
            },
            stacks: Vec::new(),
            targets: Vec::new(),
            metadata: None,
        },
        store: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_binary_target_names() {
        assert!(is_valid_binary_target_name("exec-d-program"));
        assert!(is_valid_binary_target_name("a.b"));
        for invalid in ["", ".", "..", "a/b", "a\\b", "a\0b"] {
            assert!(!is_valid_binary_target_name(invalid), "{invalid:?}");
        }
    }

    #[test]
    fn path_layout_without_cnb_buildpack_dir_uses_argv0() {
        // The test process doesn't run with CNB_BUILDPACK_DIR (cargo doesn't set it); if it
        // does, the layout below it is the same.
        let path = additional_buildpack_binary_path("helper");
        assert!(
            path.ends_with(".libcnb-cargo/additional-bin/helper"),
            "{}",
            path.display()
        );
    }
}
