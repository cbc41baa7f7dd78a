//! The buildpack of the libcnb-test suite: one cached runtime layer (with an env var, a
//! program and a `CycloneDX` SBOM), a `web` process serving the app with Python's
//! `http.server` on port 8080, and a `worker` process that prints and exits. It fails the
//! build when the platform env has `SUITE_FAIL`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::{fmt, io};

use libcnb::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb::data::launch::{LaunchBuilder, ProcessBuilder};
use libcnb::data::sbom::SbomFormat;
use libcnb::data::{layer_name, process_type};
use libcnb::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb::generic::{GenericMetadata, GenericPlatform};
use libcnb::layer::{
    CachedLayerDefinition, InspectRestoredAction, InvalidMetadataAction, LayerState,
};
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use libcnb::sbom::Sbom;
use libcnb::{Buildpack, Platform, buildpack_main};
use serde::{Deserialize, Serialize};

struct SuiteBuildpack;

/// What the runtime layer holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RuntimeMetadata {
    version: String,
}

impl Buildpack for SuiteBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = SuiteError;

    fn detect(&self, _context: DetectContext<Self>) -> libcnb::Result<DetectResult, Self::Error> {
        DetectResultBuilder::pass().build()
    }

    fn build(&self, context: BuildContext<Self>) -> libcnb::Result<BuildResult, Self::Error> {
        let env = context.platform.env();
        if env.get("SUITE_FAIL").is_some() {
            return Err(SuiteError::Requested.into());
        }
        let version = env
            .get_string_lossy("SUITE_RUNTIME_VERSION")
            .unwrap_or_else(|| "1.0".to_owned());

        let layer = context.cached_layer(
            layer_name!("runtime"),
            CachedLayerDefinition {
                build: true,
                launch: true,
                invalid_metadata: &|_| InvalidMetadataAction::DeleteLayer,
                inspect_restored: &|restored: &RuntimeMetadata, _| {
                    if restored.version == version {
                        InspectRestoredAction::KeepLayer
                    } else {
                        InspectRestoredAction::DeleteLayer
                    }
                },
            },
        )?;
        match layer.state {
            LayerState::Restored { .. } => println!("Reusing runtime {version}"),
            LayerState::Empty { .. } => {
                println!("Installing runtime {version}");
                let bin = layer.path().join("bin");
                let program = bin.join("suite-version");
                fs::create_dir_all(&bin)
                    .and_then(|()| {
                        fs::write(&program, format!("#!/bin/sh\necho \"runtime {version}\"\n"))
                    })
                    .and_then(|()| fs::set_permissions(&program, fs::Permissions::from_mode(0o755)))
                    .map_err(SuiteError::Install)?;
                layer.write_metadata(RuntimeMetadata {
                    version: version.clone(),
                })?;
            }
        }
        layer.write_env(LayerEnv::new().chainable_insert(
            Scope::All,
            ModificationBehavior::Override,
            "SUITE_RUNTIME_VERSION",
            &version,
        ))?;
        layer.write_sboms(&[Sbom::from_bytes(
            SbomFormat::CycloneDxJson,
            format!(r#"{{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{{"name":"runtime","version":"{version}"}}]}}"#),
        )])?;

        BuildResultBuilder::new()
            .launch(
                LaunchBuilder::new()
                    .process(
                        ProcessBuilder::new(
                            process_type!("web"),
                            ["python3", "-m", "http.server", "8080"],
                        )
                        .default(true)
                        .build(),
                    )
                    .process(
                        ProcessBuilder::new(
                            process_type!("worker"),
                            [
                                "bash",
                                "-c",
                                "echo \"worker ${WORKER_NAME:-} says $SUITE_RUNTIME_VERSION\"; suite-version",
                            ],
                        )
                        .build(),
                    )
                    .build(),
            )
            .build()
    }

    fn on_error(&self, error: libcnb::Error<Self::Error>) {
        // libcnb's `Error` shows a buildpack error's Debug form; this prints its message.
        match error {
            libcnb::Error::BuildpackError(error) => eprintln!("suite: {error}"),
            other => eprintln!("suite: {other}"),
        }
    }
}

#[derive(Debug)]
enum SuiteError {
    Requested,
    Install(io::Error),
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Requested => f.write_str("failing as SUITE_FAIL asks"),
            Self::Install(error) => write!(f, "couldn't install the runtime: {error}"),
        }
    }
}

impl From<SuiteError> for libcnb::Error<SuiteError> {
    fn from(error: SuiteError) -> Self {
        Self::BuildpackError(error)
    }
}

buildpack_main!(SuiteBuildpack);
