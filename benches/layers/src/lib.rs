//! Layer-handling benchmark: libcnb-lite against upstream libcnb 0.30.4.
//!
//! Three operations, each on `N` layers in a fresh temporary layers directory
//! (see [`Operation`]), through the struct API (`cached_layer`):
//! - **create**: `cached_layer` on absent layers, then `write_metadata`;
//! - **keep**: `cached_layer` on layers restored the way the lifecycle restores
//!   them (`<layer>.toml` holds `[metadata]` only), answering `KeepLayer`;
//! - **migrate**: the same, but the restored metadata has an old shape, so the
//!   invalid-metadata callback answers `ReplaceMetadata` before the layer is kept.
//!
//! The same three again through the deprecated trait API (`handle_layer` with a
//! `Layer` whose `create` returns the metadata, `existing_layer_strategy` answers
//! `Keep` and `migrate_incompatible_metadata` answers `ReplaceMetadata`): the
//! [`Scenario`]s `trait create`, `trait keep` and `trait migrate`.
//!
//! Each library is driven through [`LayerApi`]: [`upstream::Upstream`], and
//! `lite::Lite` with the `lite` feature. Both run the same fixtures and the same
//! on-disk checks, so their times compare like for like; both are expanded from
//! one definition, `library::library!`, so they also run the same code.

pub mod fixture;
mod library;
#[cfg(feature = "lite")]
pub mod lite;
pub mod metadata;
pub mod operation;
pub mod timing;
pub mod upstream;

pub use operation::{Api, LayerApi, Operation, Scenario, handle, run_once};

/// The error type of the benchmark: any failure stops the run with its message.
pub type BenchError = Box<dyn std::error::Error>;
