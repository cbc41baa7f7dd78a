//! A buildpack that reports what the runtime hands it and writes every kind of result, so the
//! integration tests can check the runtime's side of the CNB contract.
//!
//! Files in the app directory steer it: `fail-detect` makes detection fail, `error-detect` and
//! `error-build` make the phase return a buildpack error.
//!
//! It depends on `libcnb-lite` under the name `libcnb`, as a libcnb buildpack does after
//! renaming the dependency.

use libcnb::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb::data::build_plan::{BuildPlanBuilder, Require};
use libcnb::data::launch::{LaunchBuilder, ProcessBuilder};
use libcnb::data::process_type;
use libcnb::data::sbom::SbomFormat;
use libcnb::data::store::Store;
use libcnb::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb::generic::{GenericMetadata, GenericPlatform};
use libcnb::sbom::Sbom;
use libcnb::{Buildpack, Platform, buildpack_main};

struct RuntimeContractBuildpack;

/// The buildpack's own error, requested through a file in the app directory.
#[derive(Debug)]
enum ContractError {
    #[expect(dead_code, reason = "read through Debug, in the error message")]
    Requested(&'static str),
}

impl Buildpack for RuntimeContractBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = ContractError;

    fn detect(&self, context: DetectContext<Self>) -> libcnb::Result<DetectResult, Self::Error> {
        println!("app_dir={}", context.app_dir.display());
        println!("buildpack_dir={}", context.buildpack_dir.display());
        println!("buildpack_id={}", context.buildpack_descriptor.buildpack.id);
        println!("target={:?}", context.target);
        println!("exec_env={:?}", context.exec_env());
        println!(
            "platform_env_GREETING={:?}",
            context.platform.env().get_string_lossy("GREETING")
        );

        if context.app_dir.join("error-detect").exists() {
            return Err(libcnb::Error::BuildpackError(ContractError::Requested(
                "detect",
            )));
        }
        if context.app_dir.join("fail-detect").exists() {
            return DetectResultBuilder::fail().build();
        }

        let mut require = Require::new("runtime-contract");
        require
            .metadata(toml_table("from", "detect"))
            .map_err(|_| libcnb::Error::BuildpackError(ContractError::Requested("metadata")))?;
        DetectResultBuilder::pass()
            .build_plan(
                BuildPlanBuilder::new()
                    .provides("runtime-contract")
                    .requires(require)
                    .build(),
            )
            .build()
    }

    fn build(&self, context: BuildContext<Self>) -> libcnb::Result<BuildResult, Self::Error> {
        println!("layers_dir={}", context.layers_dir.display());
        println!("app_dir={}", context.app_dir.display());
        println!("target={:?}", context.target);
        println!("exec_env={:?}", context.exec_env());
        let plan_entries: Vec<_> = context
            .buildpack_plan
            .entries
            .iter()
            .map(|entry| entry.name.as_str())
            .collect();
        println!("plan_entries={plan_entries:?}");
        let previous_builds = context
            .store
            .as_ref()
            .and_then(|store| store.metadata.get("builds"))
            .and_then(toml::Value::as_integer);
        println!("previous_builds={previous_builds:?}");

        if context.app_dir.join("error-build").exists() {
            return Err(libcnb::Error::BuildpackError(ContractError::Requested(
                "build",
            )));
        }

        let mut store = Store::default();
        store
            .metadata
            .insert("builds".into(), (previous_builds.unwrap_or(0) + 1).into());

        BuildResultBuilder::new()
            .launch(
                LaunchBuilder::new()
                    .process(
                        ProcessBuilder::new(process_type!("web"), ["echo", "hello"])
                            .default(true)
                            .build(),
                    )
                    .build(),
            )
            .store(store)
            .build_sbom(Sbom::from_bytes(SbomFormat::CycloneDxJson, "{\"build\":1}"))
            .launch_sbom(Sbom::from_bytes(SbomFormat::SpdxJson, "{\"launch\":1}"))
            .launch_sbom(Sbom::from_bytes(SbomFormat::SyftJson, "{\"launch\":2}"))
            .build()
    }
}

fn toml_table(key: &str, value: &str) -> toml::Table {
    let mut table = toml::Table::new();
    table.insert(key.into(), value.into());
    table
}

buildpack_main!(RuntimeContractBuildpack);
