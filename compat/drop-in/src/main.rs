//! `drop-in/greeter`: a buildpack written for upstream libcnb 0.30 in the usual style of real
//! ones (libherokubuildpack's `on_error` and `log`, a cached layer with typed metadata, a
//! libcnb-test integration test), switched to libcnb-lite by this workspace's
//! `[patch.crates-io]` section alone, plus libcnb-lite's four struct layer API renames.

use libcnb::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb::data::launch::{LaunchBuilder, ProcessBuilder};
use libcnb::data::{layer_name, process_type};
use libcnb::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb::generic::GenericPlatform;
use libcnb::layer::{
    CachedLayerDefinition, EmptyLayerCause, InspectRestoredAction, InvalidMetadataAction,
    LayerState,
};
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use libcnb::{Buildpack, buildpack_main};
use libherokubuildpack::log::{log_error, log_header, log_info};
use serde::{Deserialize, Serialize};

const GREETER_VERSION: &str = "1.2.0";

struct GreeterBuildpack;

/// The errors of this buildpack.
#[derive(Debug, thiserror::Error)]
enum GreeterError {
    #[error("The app has no greeting.txt")]
    NoGreeting,
}

impl From<GreeterError> for libcnb::Error<GreeterError> {
    fn from(error: GreeterError) -> Self {
        Self::BuildpackError(error)
    }
}

/// The metadata of the `greeter` layer.
#[derive(Debug, Deserialize, Serialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct GreeterMetadata {
    version: String,
}

impl Buildpack for GreeterBuildpack {
    type Platform = GenericPlatform;
    type Metadata = Option<toml::Table>;
    type Error = GreeterError;

    fn detect(&self, context: DetectContext<Self>) -> libcnb::Result<DetectResult, Self::Error> {
        if context.app_dir.join("greeting.txt").exists() {
            DetectResultBuilder::pass().build()
        } else {
            DetectResultBuilder::fail().build()
        }
    }

    fn build(&self, context: BuildContext<Self>) -> libcnb::Result<BuildResult, Self::Error> {
        log_header("Greeter");
        if !context.app_dir.join("greeting.txt").exists() {
            return Err(GreeterError::NoGreeting.into());
        }
        let layer = context.cached_layer(
            layer_name!("greeter"),
            CachedLayerDefinition {
                build: false,
                launch: true,
                invalid_metadata: &|_| InvalidMetadataAction::DeleteLayer,
                inspect_restored: &|metadata: &GreeterMetadata, _| {
                    if metadata.version == GREETER_VERSION {
                        InspectRestoredAction::KeepLayer
                    } else {
                        InspectRestoredAction::DeleteLayer
                    }
                },
            },
        )?;
        match layer.state {
            LayerState::Restored { .. } => log_info(format!("Reusing greeter {GREETER_VERSION}")),
            LayerState::Empty {
                cause:
                    EmptyLayerCause::NewlyCreated
                    | EmptyLayerCause::InvalidMetadataAction { .. }
                    | EmptyLayerCause::InspectRestoredAction { .. },
            } => {
                log_info(format!("Installing greeter {GREETER_VERSION}"));
                std::fs::create_dir_all(layer.path().join("bin"))
                    .map_err(|error| libcnb::Error::LayerError(error.into()))?;
                layer.write_metadata(GreeterMetadata {
                    version: String::from(GREETER_VERSION),
                })?;
                layer.write_env(LayerEnv::new().chainable_insert(
                    Scope::Launch,
                    ModificationBehavior::Override,
                    "GREETER_VERSION",
                    GREETER_VERSION,
                ))?;
            }
        }
        BuildResultBuilder::new()
            .launch(
                LaunchBuilder::new()
                    .process(
                        ProcessBuilder::new(process_type!("web"), ["cat", "greeting.txt"])
                            .default(true)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    fn on_error(&self, error: libcnb::Error<Self::Error>) {
        libherokubuildpack::error::on_error(
            |error| log_error("Greeter error", error.to_string()),
            error,
        );
    }
}

buildpack_main!(GreeterBuildpack);

#[cfg(test)]
mod tests {
    // Error texts that buildpacks snapshot: upstream libcnb 0.30.4's, byte for byte (the
    // expected strings are upstream's `#[error]` attributes with these values filled in).
    use libcnb::data::launch::ProcessType;
    use libcnb::data::layer::LayerName;
    use libcnb::layer::{DeleteLayerError, LayerError, ReadLayerError, WriteLayerError};

    type Error = libcnb::Error<super::GreeterError>;

    #[test]
    fn framework_errors_print_upstreams_text() {
        let cases: Vec<(Error, &str)> = vec![
            (
                Error::CannotDetermineTargetOs(std::env::VarError::NotPresent),
                "Couldn't determine target os: environment variable not found",
            ),
            (
                Error::CannotCreatePlatformFromPath(std::io::Error::from_raw_os_error(2)),
                "Couldn't create platform from platform path: No such file or directory (os error 2)",
            ),
            (
                Error::CannotWriteBuildSbom(std::io::Error::from_raw_os_error(28)),
                "Couldn't write build SBOM files: No space left on device (os error 28)",
            ),
            (
                "Web Server".parse::<ProcessType>().unwrap_err().into(),
                "Process type error: Invalid Value: Web Server",
            ),
            (
                LayerError::from(DeleteLayerError::IoError(std::io::Error::from_raw_os_error(13)))
                    .into(),
                "Layer error: I/O error while deleting layer: Permission denied (os error 13)",
            ),
            (
                LayerError::from(WriteLayerError::IoError(std::io::Error::from_raw_os_error(28)))
                    .into(),
                "Layer error: Unexpected I/O error while writing layer: No space left on device (os error 28)",
            ),
            (
                LayerError::from(ReadLayerError::LayerContentMetadataParseError(
                    toml::from_str::<toml::Table>("x =").unwrap_err(),
                ))
                .into(),
                "Layer error: Layer content metadata couldn't be parsed!",
            ),
            (
                Error::BuildpackError(super::GreeterError::NoGreeting),
                "Buildpack error: NoGreeting",
            ),
        ];
        for (error, upstream_text) in cases {
            assert_eq!(error.to_string(), upstream_text);
        }
        assert_eq!(
            "../etc".parse::<LayerName>().unwrap_err().to_string(),
            "Invalid Value: ../etc"
        );
    }
}
