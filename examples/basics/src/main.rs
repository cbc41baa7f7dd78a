//! The smallest useful buildpack, the one `README.md` walks through.
//!
//! It detects apps with a `greeter-version.txt`, installs that version of a (made-up) greeter
//! into a cached layer, reuses the layer while the version stays the same, and makes
//! `greet world` the app's default process.

mod greeter;

use std::{fmt, io};

use greeter::{GreeterLayerMetadata, VersionFileError};
use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb_lite::data::launch::{LaunchBuilder, ProcessBuilder};
use libcnb_lite::data::{layer_name, process_type};
use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb_lite::generic::{GenericMetadata, GenericPlatform};
use libcnb_lite::layer::{CachedLayerDefinition, EmptyLayerCause, LayerState};
use libcnb_lite::{Buildpack, buildpack_main};

struct BasicsBuildpack;

impl Buildpack for BasicsBuildpack {
    // Where the platform's env vars come from, what `[metadata]` of buildpack.toml holds, and
    // this buildpack's own error type.
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = BasicsError;

    fn detect(
        &self,
        context: DetectContext<Self>,
    ) -> libcnb_lite::Result<DetectResult, Self::Error> {
        if context.app_dir.join(greeter::VERSION_FILE).is_file() {
            DetectResultBuilder::pass().build()
        } else {
            println!("No {} in the app.", greeter::VERSION_FILE);
            DetectResultBuilder::fail().build()
        }
    }

    fn build(&self, context: BuildContext<Self>) -> libcnb_lite::Result<BuildResult, Self::Error> {
        let version =
            greeter::read_requested_version(&context.app_dir).map_err(BasicsError::VersionFile)?;

        let layer = context.cached_layer(
            layer_name!("greeter"),
            CachedLayerDefinition {
                build: true,
                launch: true,
                invalid_metadata: &greeter::invalid_metadata,
                inspect_restored: &|restored: &GreeterLayerMetadata, _layer_dir| {
                    greeter::inspect_restored(&version, restored)
                },
            },
        )?;

        match &layer.state {
            LayerState::Restored { cause } => println!("Reusing the greeter layer: {cause}."),
            LayerState::Empty { cause } => {
                match cause {
                    EmptyLayerCause::NewlyCreated => println!("Installing greeter {version}."),
                    EmptyLayerCause::InvalidMetadataAction { cause }
                    | EmptyLayerCause::InspectRestoredAction { cause } => {
                        println!("Installing greeter {version}: {cause}.");
                    }
                }
                greeter::install(&layer.path(), &version).map_err(BasicsError::Install)?;
                layer.write_metadata(GreeterLayerMetadata { version })?;
            }
        }

        BuildResultBuilder::new()
            .launch(
                LaunchBuilder::new()
                    .process(
                        ProcessBuilder::new(process_type!("greet"), ["greet"])
                            .arg("world")
                            .default(true)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    fn on_error(&self, error: libcnb_lite::Error<Self::Error>) {
        match error {
            libcnb_lite::Error::BuildpackError(error) => eprintln!("error: {error}"),
            other => eprintln!("error: {other}"),
        }
    }
}

/// What can go wrong in this buildpack; `on_error` prints it for the user.
#[derive(Debug)]
enum BasicsError {
    VersionFile(VersionFileError),
    Install(io::Error),
}

impl fmt::Display for BasicsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::VersionFile(error) => error.fmt(f),
            Self::Install(error) => write!(f, "couldn't install the greeter: {error}"),
        }
    }
}

// Lets `?` turn a `BasicsError` into the `libcnb_lite::Error` that `build` returns.
impl From<BasicsError> for libcnb_lite::Error<BasicsError> {
    fn from(error: BasicsError) -> Self {
        Self::BuildpackError(error)
    }
}

buildpack_main!(BasicsBuildpack);
