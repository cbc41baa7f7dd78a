//! Downstream tests build contexts with struct literals, as with upstream libcnb; these tests
//! pin that the contexts keep exactly upstream's public fields, and that a buildpack's
//! `detect` and `build` can be called directly with them.

use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb_lite::data::buildpack::{
    Buildpack as BuildpackTable, BuildpackApi, BuildpackVersion, ComponentBuildpackDescriptor,
};
use libcnb_lite::data::buildpack_id;
use libcnb_lite::data::buildpack_plan::BuildpackPlan;
use libcnb_lite::data::store::Store;
use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb_lite::generic::{GenericError, GenericMetadata, GenericPlatform};
use libcnb_lite::{Buildpack, Env, Platform, Target};
use std::path::PathBuf;

struct TestBuildpack;

impl Buildpack for TestBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = GenericError;

    fn detect(
        &self,
        context: DetectContext<Self>,
    ) -> libcnb_lite::Result<DetectResult, GenericError> {
        if context.platform.env().contains_key("BP_SKIP") {
            DetectResultBuilder::fail().build()
        } else {
            DetectResultBuilder::pass().build()
        }
    }

    fn build(
        &self,
        _context: BuildContext<Self>,
    ) -> libcnb_lite::Result<BuildResult, GenericError> {
        BuildResultBuilder::new().build()
    }
}

fn descriptor(minor: u64) -> ComponentBuildpackDescriptor<GenericMetadata> {
    ComponentBuildpackDescriptor {
        api: BuildpackApi { major: 0, minor },
        buildpack: BuildpackTable {
            id: buildpack_id!("test/contexts"),
            name: None,
            version: BuildpackVersion::new(0, 1, 0),
            homepage: None,
            clear_env: false,
            description: None,
            keywords: Vec::new(),
            licenses: Vec::new(),
            sbom_formats: std::collections::HashSet::new(),
        },
        stacks: Vec::new(),
        targets: Vec::new(),
        metadata: None,
    }
}

fn target() -> Target {
    Target {
        os: "linux".to_string(),
        arch: "amd64".to_string(),
        arch_variant: None,
        distro_name: "ubuntu".to_string(),
        distro_version: "24.04".to_string(),
    }
}

#[test]
fn detect_context_from_a_struct_literal() {
    let mut env = Env::new();
    env.insert("BP_SKIP", "1");
    let context = DetectContext::<TestBuildpack> {
        app_dir: PathBuf::from("/workspace"),
        buildpack_dir: PathBuf::from("/cnb/buildpacks/test_contexts/0.1.0"),
        target: target(),
        platform: GenericPlatform::new(env),
        buildpack_descriptor: descriptor(10),
    };

    // Before Buildpack API 0.12 there is no execution environment, whatever the process env.
    assert_eq!(context.exec_env(), None);
    assert!(format!("{context:?}").starts_with("DetectContext { app_dir: \"/workspace\""));

    let result = TestBuildpack.detect(context).unwrap();
    assert_eq!(format!("{result:?}"), "DetectResult(Fail)");
}

#[test]
fn build_context_from_a_struct_literal() {
    let context = BuildContext::<TestBuildpack> {
        layers_dir: PathBuf::from("/layers/test_contexts"),
        app_dir: PathBuf::from("/workspace"),
        buildpack_dir: PathBuf::from("/cnb/buildpacks/test_contexts/0.1.0"),
        target: target(),
        platform: GenericPlatform::new(Env::new()),
        buildpack_plan: BuildpackPlan {
            entries: Vec::new(),
        },
        buildpack_descriptor: descriptor(11),
        store: None,
    };

    assert_eq!(context.exec_env(), None);

    let result = TestBuildpack.build(context).unwrap();
    assert!(format!("{result:?}").starts_with("BuildResult(Pass { launch: None, store: None"));
}

#[test]
fn store_metadata_reads_the_restored_store_tolerantly() {
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct History {
        builds: u64,
        numbers: Vec<u32>,
    }
    let store = |text: &str| {
        Some(Store {
            metadata: toml::from_str(text).unwrap(),
        })
    };
    let mut context = BuildContext::<TestBuildpack> {
        layers_dir: PathBuf::from("/layers/test_contexts"),
        app_dir: PathBuf::from("/workspace"),
        buildpack_dir: PathBuf::from("/cnb/buildpacks/test_contexts/0.1.0"),
        target: target(),
        platform: GenericPlatform::new(Env::new()),
        buildpack_plan: BuildpackPlan {
            entries: Vec::new(),
        },
        buildpack_descriptor: descriptor(10),
        store: None,
    };
    assert_eq!(context.store_metadata::<History>().unwrap(), None);

    // `builds = 2`, `numbers = [1, 2]` after the lifecycle's JSON round trip.
    context.store = store("builds = 2.0\nnumbers = [1.0, 2.0]");
    assert_eq!(
        context.store_metadata::<History>().unwrap(),
        Some(History {
            builds: 2,
            numbers: vec![1, 2],
        })
    );

    context.store = store("builds = 2.5\nnumbers = []");
    let error = context.store_metadata::<History>().unwrap_err();
    assert!(error.to_string().contains("2.5"), "{error}");
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Env>();
    assert_send_sync::<Target>();
    assert_send_sync::<GenericPlatform>();
    assert_send_sync::<libcnb_lite::layer_env::LayerEnv>();
    assert_send_sync::<libcnb_lite::sbom::Sbom>();
    assert_send_sync::<libcnb_lite::Error<std::io::Error>>();
    assert_send_sync::<libcnb_lite::TomlFileError>();
    assert_send_sync::<BuildContext<TestBuildpack>>();
    assert_send_sync::<DetectContext<TestBuildpack>>();
}
