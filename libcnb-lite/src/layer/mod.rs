//! Layers: directories under the buildpack's layers directory that the lifecycle exports into
//! the app image, caches for the next build, or puts on the environment of later buildpacks.
//!
//! # Choosing an API
//!
//! - [`BuildContext::uncached_layer`] gives you an empty layer every build. Use it for what
//!   is cheap to produce, or must not be reused.
//! - [`BuildContext::cached_layer`] gives you back the layer from the previous build when the
//!   lifecycle restored it and your callbacks accept it, and an empty one otherwise. Use it for
//!   downloads and builds worth caching.
//! - [`BuildContext::handle_layer`] and the [`Layer`] trait are the deprecated trait API, kept
//!   so that older buildpacks compile. Both APIs share one implementation of the file work.
//!
//! Both struct API calls return a [`LayerRef`]: the layer directory exists, its
//! `<layer>.toml` has the types you asked for, and [`LayerRef::state`] says whether it holds
//! restored contents ([`LayerState::Restored`]) or is empty ([`LayerState::Empty`], with an
//! [`EmptyLayerCause`]).
//!
//! ```
//! use libcnb_lite::data::layer_name;
//! use libcnb_lite::layer::{EmptyLayerCause, LayerState, UncachedLayerDefinition};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let temp_dir = tempfile::tempdir()?;
//! # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
//! let layer = context.uncached_layer(
//!     layer_name!("venv"),
//!     UncachedLayerDefinition { build: true, launch: true },
//! )?;
//! assert_eq!(layer.state, LayerState::Empty { cause: EmptyLayerCause::NewlyCreated });
//! std::fs::write(layer.path().join("pyvenv.cfg"), "home = /usr/bin\n")?;
//! # Ok(())
//! # }
//! ```
//!
//! # Cached layers and their callbacks
//!
//! A cached layer has metadata of your type `M` (any serde type; `GenericMetadata` for raw
//! TOML), written with [`LayerRef::write_metadata`]. When the lifecycle restored the layer, one
//! of two callbacks of the [`CachedLayerDefinition`] decides what happens to it:
//!
//! - `inspect_restored(&M, &Path)` when the metadata is a valid `M`:
//!   [`InspectRestoredAction::KeepLayer`] (state `Restored`) or
//!   [`InspectRestoredAction::DeleteLayer`] (the layer is recreated empty, state
//!   `Empty { cause: InspectRestoredAction { .. } }`);
//! - `invalid_metadata(&GenericMetadata)` when it isn't (an older format, or no metadata):
//!   [`InvalidMetadataAction::DeleteLayer`] (state `Empty { cause: InvalidMetadataAction { .. }
//!   }`) or [`InvalidMetadataAction::ReplaceMetadata`], after which the replacement goes to
//!   `inspect_restored`.
//!
//! A callback returns a bare action, an `(action, cause)` tuple, or either in a `Result` with
//! your buildpack's error ([`IntoAction`]); the cause comes back in the state, so the build can
//! say why it rebuilds.
//!
//! ```
//! use libcnb_lite::data::layer_name;
//! use libcnb_lite::generic::GenericMetadata;
//! use libcnb_lite::layer::{
//!     CachedLayerDefinition, EmptyLayerCause, InspectRestoredAction, InvalidMetadataAction,
//!     LayerState,
//! };
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize, Serialize)]
//! struct RuntimeMetadata {
//!     version: String,
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let temp_dir = tempfile::tempdir()?;
//! # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
//! let requested = "3.12.1";
//! let definition = CachedLayerDefinition {
//!     build: false,
//!     launch: true,
//!     invalid_metadata: &|_: &GenericMetadata| InvalidMetadataAction::DeleteLayer,
//!     inspect_restored: &|metadata: &RuntimeMetadata, _layer_dir| {
//!         if metadata.version == requested {
//!             (InspectRestoredAction::KeepLayer, "cached")
//!         } else {
//!             (InspectRestoredAction::DeleteLayer, "version changed")
//!         }
//!     },
//! };
//!
//! // First build: nothing to restore.
//! let layer = context.cached_layer(layer_name!("runtime"), &definition)?;
//! assert_eq!(layer.state, LayerState::Empty { cause: EmptyLayerCause::NewlyCreated });
//! std::fs::write(layer.path().join("python"), "...")?;
//! layer.write_metadata(RuntimeMetadata { version: requested.to_string() })?;
//!
//! // Next build, after the lifecycle restored the layer: kept.
//! let layer = context.cached_layer(layer_name!("runtime"), &definition)?;
//! assert_eq!(layer.state, LayerState::Restored { cause: "cached" });
//! assert!(layer.path().join("python").exists());
//! # Ok(())
//! # }
//! ```
//!
//! # On disk
//!
//! A layer `<name>` is the directory `<layers>/<name>`, `<layers>/<name>.toml` (its `[types]`
//! and `[metadata]`) and its SBOMs `<layers>/<name>.sbom.<format>.json`. Restored layers are
//! normalised as upstream libcnb does: `<name>.toml` without a directory (launch-only
//! metadata) is deleted and the layer is new; a directory without `<name>.toml` is a layer with
//! no metadata; a `<name>.toml` that isn't valid layer content metadata is an error
//! ([`LayerError::CouldNotReadGenericLayerMetadata`], in both APIs), not a callback. Files are
//! written in place, as upstream writes them: the lifecycle exports nothing from a build that
//! failed or was killed, so a half-written file is never seen by a later build.
//!
//! Where libcnb-lite differs from upstream (each a fix):
//!
//! - deleting a layer removes symbolic links, never what they point to, even when the layer
//!   directory itself is one, and copes with read-only files and directories;
//! - deleting a layer also deletes its SBOMs, and a new layer has none;
//! - a `ReplaceMetadata` that doesn't deserialize as `M` is an error naming the layer
//!   ([`ReadLayerError::LayerContentMetadataParseError`], what upstream returns when a layer
//!   doesn't read back), not endless recursion;
//! - metadata whose integers came back as floats from the lifecycle's JSON round trip (`1.0`)
//!   still deserializes into integer fields, as with
//!   [`deserialize_restored`](crate::generic::deserialize_restored);
//! - keeping a restored layer reads `<name>.toml` once and writes it once;
//! - a failing [`LayerRef::write_exec_d_programs`] changes nothing: every program is checked
//!   before `exec.d/` is touched;
//! - [`LayerRef::write_metadata`] doesn't need the old `<name>.toml`: if the buildpack removed
//!   it, it is written again with the layer's types;
//! - I/O errors hold a [`PathError`](crate::PathError) naming the path and the layer.

// Compile time: every non-generic function in these modules is `#[inline]`. That defers its
// code generation to the buildpack that calls it (generic code already is), so a buildpack that
// uses no layers doesn't compile any of it (benches/build-time/README.md). Keep new non-generic
// functions here `#[inline]` too: `.ci/check-inline.sh` fails if libcnb-lite's own release
// build defines any of their code.
mod delete;
mod error;
mod metadata;
mod store;
mod struct_api;
#[cfg(test)]
mod test_support;
mod trait_api;

#[cfg(doc)]
use crate::build::BuildContext;

pub use error::{
    DeleteLayerError, LayerError, ReadLayerError, ReplaceLayerExecdProgramsError,
    ReplaceLayerSbomsError, WriteLayerError, WriteLayerMetadataError,
};
pub use struct_api::{
    CachedLayerDefinition, EmptyLayerCause, InspectRestoredAction, IntoAction,
    InvalidMetadataAction, LayerRef, LayerState, UncachedLayerDefinition,
};
#[expect(
    deprecated,
    reason = "the deprecated trait API stays available under its old paths"
)]
pub use trait_api::{
    ExistingLayerStrategy, Layer, LayerData, LayerResult, LayerResultBuilder, MetadataMigration,
};

pub(crate) use store::LayerFiles;
pub(crate) use struct_api::handling::handle_layer as handle_struct_layer;
pub(crate) use trait_api::handling::handle_layer as handle_trait_layer;
