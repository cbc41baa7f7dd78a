#![doc = include_str!("../README.md")]
//!
//! ## Why it has its own types for the lifecycle's files
//!
//! This crate does not depend on `libcnb-lite` or `libcnb-lite-data`: it parses
//! `buildpack.toml`, `<layer>.toml`, `launch.toml`, `store.toml` and the plans with its own
//! types, written from the CNB spec and the reference lifecycle. It is the independent
//! lifecycle that libcnb-lite's tests run against; if both read these files with the same
//! types, a mistake in them would be made twice and agree with itself, and the tests could
//! not catch it. It uses `libcnb-lite-data` only for the names in libcnb-test's signatures
//! (`BuildpackId`, `LayerName`, `SbomFormat`), so a suite's `buildpack_id!` literals fit.
#![warn(unnameable_types)]
mod archive;
mod build;
mod buildpack;
mod cache;
mod config;
pub mod container;
mod container_config;
mod container_context;
mod detect;
mod env;
mod export;
mod fs;
#[doc(hidden)]
pub mod internals;
mod json;
mod launch;
mod launch_toml;
mod layer;
mod leftovers;
mod lifecycle;
mod lock;
mod log;
mod macros;
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
pub use config::{BuildConfig, BuildpackReference, CargoProfile, PackResult, Target};
pub use container_config::ContainerConfig;
pub use container_context::ContainerContext;
pub use detect::{DetectError, DetectResult, DetectRun};
pub use env::ReadEnvDirError;
pub use export::ExportError;
pub use json::NonFiniteFloatError;
pub use launch::{LaunchError, ProcessOutput, launch};
pub use launch_toml::{LaunchTomlError, Process};
pub use layer::{LayerTomlError, LayerTypes};
pub use lifecycle::{BuildFailure, LifecycleError, error_chain, run};
pub use lock::WhenLocked;
pub use log::LogOutput;
pub use output::{Observer, Output, Progress, Quiet, Stream};
pub use report::{BuildReport, LayerReport, LayerStatus, Timings};
pub use restore::{RestoreError, RestoredFrom, RestoredLayer};
pub use sandbox::{SANDBOX_ENV, SandboxError, builds_at_lifecycle_paths};
pub use state::{
    BuildpackLayers, CacheMetadata, ImageMetadata, LayerRecord, ShaRef, StateDir, StateError,
    StoreRecord,
};
pub use testing::{SbomFiles, SbomType, TestContext, TestRunner};
pub use toml_error::TomlError;
pub use validate::UnsafeLayerError;
