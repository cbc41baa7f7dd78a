#![doc = include_str!("../README.md")]
pub mod archive;
mod build;
mod buildpack;
mod cache;
pub mod cli;
mod config;
mod detect;
mod env;
mod export;
pub mod json;
mod launch;
mod launch_toml;
mod layer;
mod lifecycle;
pub mod oci;
mod output;
mod plan;
mod report;
mod restore;
mod state;
mod testing;

pub use archive::{ArchiveError, DiffId, ExtractError, Owner};
pub use build::BuildError;
pub use buildpack::{Buildpack, BuildpackApi, PrepareBuildpackError, escape_id};
pub use cache::CacheError;
pub use config::{
    BuildConfig, BuildpackSource, CargoProfile, ExpectedResult, GroupEntry, PlatformApi, Target,
};
pub use detect::{DetectError, DetectOutcome, DetectResult, DetectRun};
pub use env::{
    BASE_ENV_ALLOWLIST, DefaultAction, Env, PATH_VARIABLES, ReadEnvDirError, RootDirRules,
};
pub use export::ExportError;
pub use json::NonFiniteFloatError;
pub use launch::{LaunchError, ProcessOutput, run_process};
pub use launch_toml::{Label, LaunchConfig, LaunchToml, LaunchTomlError, Process};
pub use layer::{LayerToml, LayerTomlError, LayerTypes, list_layers};
pub use lifecycle::{BuildDirs, BuildFailure, LifecycleError, error_chain, run};
pub use output::{Observer, Output, Progress, Quiet, Stream};
pub use plan::{BuildPlan, BuildpackPlan, PlanEntry, PlanSections, Provide, Require, ResolvedPlan};
pub use report::{BuildReport, LayerReport, LayerStatus, Timings};
pub use restore::{RestoreError, RestoredFrom, RestoredLayer};
pub use state::{
    BuildpackLayers, CacheMetadata, ImageMetadata, LayerRecord, ShaRef, StateDir, StateError,
    StoreRecord,
};
pub use testing::{TestContext, build, build_in};
