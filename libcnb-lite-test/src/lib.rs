#![doc = include_str!("../README.md")]
//!
//! ## Why it has its own types for the lifecycle's files
//!
//! This crate does not depend on `libcnb-lite` or `libcnb-lite-data`: it parses
//! `buildpack.toml`, `<layer>.toml`, `launch.toml`, `store.toml` and the plans with its own
//! types, written from the CNB spec and the reference lifecycle. It is the independent
//! lifecycle that libcnb-lite's tests run against; if both read these files with the same
//! types, a mistake in them would be made twice and agree with itself, and the tests could
//! not catch it.
#![warn(unnameable_types)]
mod archive;
mod build;
mod buildpack;
mod cache;
mod config;
pub mod container;
mod detect;
mod env;
mod export;
mod fs;
mod json;
mod launch;
mod launch_toml;
mod layer;
mod leftovers;
mod lifecycle;
mod lock;
pub mod oci;
mod output;
mod plan;
mod report;
mod restore;
mod sandbox;
mod snapshot;
mod state;
mod testing;
mod toml_error;
mod validate;

pub use archive::{ArchiveError, DiffId, ExtractError};
pub use build::BuildError;
pub use buildpack::PrepareBuildpackError;
pub use config::{BuildConfig, BuildpackSource, CargoProfile, ExpectedResult, GroupEntry, Target};
pub use detect::{DetectError, DetectResult, DetectRun};
pub use env::ReadEnvDirError;
pub use export::ExportError;
pub use json::NonFiniteFloatError;
pub use launch::{LaunchError, ProcessOutput, launch};
pub use launch_toml::{LaunchTomlError, Process};
pub use layer::{LayerTomlError, LayerTypes};
pub use lifecycle::{BuildFailure, LifecycleError, run};
pub use lock::WhenLocked;
pub use output::{Observer, Output, Progress, Quiet, Stream};
pub use report::{BuildReport, LayerReport, LayerStatus, Timings};
pub use restore::{RestoreError, RestoredFrom, RestoredLayer};
pub use sandbox::{SANDBOX_ENV, SandboxError, builds_at_lifecycle_paths};
pub use state::{
    BuildpackLayers, CacheMetadata, ImageMetadata, LayerRecord, ShaRef, StateDir, StateError,
    StoreRecord,
};
pub use testing::{TestContext, build, build_in};
pub use toml_error::TomlError;
pub use validate::UnsafeLayerError;
