//! Example buildpack: installs `requirements.txt` with pip into one cached layer per resolved
//! Python distribution, so that when one dependency changes only its layer is rebuilt,
//! re-exported and re-pushed. See the README for the design.
//!
//! - Detect: the app has `requirements.txt` and the first `python3` on `PATH` is Python 3.8+
//!   with pip 23+.
//! - Build: resolve with pip (cached by the inputs' hash), one `pkg-<name>` layer per
//!   distribution (`pkgs-<n>` group layers beyond the budget), a `venv` layer whose `.pth`
//!   file wires them in, and a `web` process `python app.py` if the app has `app.py`.

mod config;
mod messages;
mod metadata;
mod names;
mod packages;
mod pins;
mod pip_driver;
mod python;
mod requirements;
mod resolution;
mod venv;

use crate::config::{ConfigError, Strategy};
use crate::packages::{REQUIREMENTS, install_packages};
use crate::pip_driver::PipDriverError;
use crate::python::{Python, PythonError};
use crate::requirements::ReadInputError;
use crate::resolution::ReportError;
use crate::venv::VenvError;
use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb_lite::data::build_plan::{BuildPlanBuilder, Require};
use libcnb_lite::data::launch::{LaunchBuilder, ProcessBuilder};
use libcnb_lite::data::process_type;
use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb_lite::generic::{GenericMetadata, GenericPlatform};
use libcnb_lite::layer_set::{LayerSetError, PruneLayersError};
use libcnb_lite::{Buildpack, Platform, buildpack_main};
use serde::{Deserialize, Serialize};
use std::error::Error as _;
use std::io;
use std::path::PathBuf;
use std::time::Instant;

/// The build plan entry that carries the probed Python from detect to build.
const PLAN_ENTRY: &str = "python-packages";

struct PythonPerPackageBuildpack;

impl Buildpack for PythonPerPackageBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = PythonPackagesError;

    fn detect(
        &self,
        context: DetectContext<Self>,
    ) -> libcnb_lite::Result<DetectResult, Self::Error> {
        if !context.app_dir.join(REQUIREMENTS).is_file() {
            println!("No {REQUIREMENTS} in the app directory.");
            return DetectResultBuilder::fail().build();
        }
        let python = match Python::probe() {
            Ok(python) => python,
            Err(error) => {
                println!("{REQUIREMENTS} found, but {error}");
                return DetectResultBuilder::fail().build();
            }
        };
        // The build re-uses this probe if its PATH is the same (it is unless an earlier
        // buildpack of the group adds to it), which saves starting Python once per build.
        let mut require = Require::new(PLAN_ENTRY);
        require
            .metadata(DetectedPython {
                path: std::env::var("PATH").unwrap_or_default(),
                python,
            })
            .map_err(PythonPackagesError::PlanMetadata)?;
        DetectResultBuilder::pass()
            .build_plan(
                BuildPlanBuilder::new()
                    .provides(PLAN_ENTRY)
                    .requires(require)
                    .build(),
            )
            .build()
    }

    fn build(&self, context: BuildContext<Self>) -> libcnb_lite::Result<BuildResult, Self::Error> {
        let start = Instant::now();
        let strategy =
            Strategy::from_env(context.platform.env()).map_err(PythonPackagesError::Config)?;
        let python = detected_python(&context)?;
        println!(
            "Python {} (pip {}) at {}; layer strategy: {}",
            python.version,
            python.pip_version,
            python.executable.display(),
            match strategy {
                Strategy::PerPackage { budget } => format!("per package, at most {budget} layers"),
                Strategy::Single => "one layer for all packages".to_string(),
            }
        );
        install_packages(&context, &python, strategy)?;

        let mut launch = LaunchBuilder::new();
        if context.app_dir.join("app.py").is_file() {
            launch.process(
                ProcessBuilder::new(process_type!("web"), ["python", "app.py"])
                    .default(true)
                    .build(),
            );
        }
        println!("Done in {}", messages::seconds(start.elapsed()));
        BuildResultBuilder::new().launch(launch.build()).build()
    }

    fn on_error(&self, error: libcnb_lite::Error<Self::Error>) {
        eprintln!("python-per-package failed:");
        match &error {
            libcnb_lite::Error::BuildpackError(error) => {
                eprintln!("  {error}");
                let mut source = error.source();
                while let Some(cause) = source {
                    eprintln!("  caused by: {cause}");
                    source = cause.source();
                }
            }
            other => eprintln!("  {other}"),
        }
    }
}

/// The probe detect ran, if the build's `PATH` is the one detect saw; otherwise a new probe.
fn detected_python(
    context: &BuildContext<PythonPerPackageBuildpack>,
) -> Result<Python, PythonPackagesError> {
    let path = std::env::var("PATH").unwrap_or_default();
    let from_detect = context
        .buildpack_plan
        .entries
        .iter()
        .filter(|entry| entry.name == PLAN_ENTRY)
        .find_map(|entry| entry.metadata::<DetectedPython>().ok())
        .filter(|detected| detected.path == path);
    match from_detect {
        Some(detected) => Ok(detected.python),
        None => Ok(Python::probe()?),
    }
}

/// The build plan metadata detect passes to build.
#[derive(Debug, Serialize, Deserialize)]
struct DetectedPython {
    /// `PATH` when the probe ran.
    path: String,
    python: Python,
}

/// Everything that can make this buildpack fail.
#[derive(Debug, thiserror::Error)]
enum PythonPackagesError {
    #[error(transparent)]
    Config(ConfigError),
    #[error(transparent)]
    Python(#[from] PythonError),
    #[error("couldn't read the inputs of the resolution")]
    ReadInputs(#[source] ReadInputError),
    #[error(transparent)]
    PipDriver(PipDriverError),
    #[error(transparent)]
    Report(ReportError),
    #[error("couldn't plan the package layers")]
    LayerSet(#[source] LayerSetError),
    #[error("couldn't delete the layers of packages that are no longer required")]
    PruneLayers(#[source] PruneLayersError),
    #[error("couldn't set up the venv")]
    Venv(#[source] VenvError),
    #[error("couldn't write the build plan metadata")]
    PlanMetadata(#[source] toml::ser::Error),
    #[error("couldn't create a temporary directory in {}", dir.display())]
    TempDir { dir: PathBuf, source: io::Error },
    #[error("couldn't read {}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("couldn't write {}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("couldn't serialise the resolution")]
    Serialize(#[source] serde_json::Error),
}

impl From<PythonPackagesError> for libcnb_lite::Error<PythonPackagesError> {
    fn from(error: PythonPackagesError) -> Self {
        Self::BuildpackError(error)
    }
}

buildpack_main!(PythonPerPackageBuildpack);
