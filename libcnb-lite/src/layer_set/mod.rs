//! Per-item layers: one cached layer per dependency, within a layer budget, with the layers of
//! dependencies that went away deleted.
//!
//! Use a [`LayerSet`] when a buildpack installs many independent items (packages, gems,
//! modules) and wants a change to one of them to rebuild, re-export and re-push only that
//! item's layer. Three things make that work, and this module has them:
//!
//! - **A plan.** [`LayerSet::plan`] gives each item its own layer, named
//!   `<item prefix><key>`, until there are more items than the budget; then the least
//!   specific items share a few group layers named `<group prefix><index>`. An image has at
//!   most about 127 layers, shared with the base image and the other buildpacks, so a budget
//!   ([`DEFAULT_BUDGET`] unless set) keeps a large dependency tree from breaking the export.
//!   The plan is deterministic and stable: it depends on keys and specificities only, so a
//!   new version of one item rebuilds one layer and moves nothing else.
//! - **Listing and deleting layers.** [`BuildContext::layer_names`] lists the layers in the
//!   buildpack's layers directory (at the start of a build: what was restored), and
//!   [`BuildContext::delete_layer`] deletes one safely.
//! - **Pruning.** [`LayerSet::prune`] deletes the set's layers that the plan no longer has,
//!   so the layer of a removed dependency ends up in neither the image nor the cache.
//!
//! Each planned layer is a normal cached layer: handle it with
//! [`BuildContext::cached_layer`], whose `inspect_restored` callback compares the restored
//! metadata with the items the plan put into it.
//!
//! # Example
//!
//! ```
//! use libcnb_lite::data::layer_name;
//! use libcnb_lite::layer_set::{LayerSet, SetItem};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let temp_dir = tempfile::tempdir()?;
//! # let context = libcnb_lite::internals::doctest_build_context(temp_dir.path());
//! // The previous build had a layer for `scheduler`, which the app no longer needs.
//! std::fs::create_dir(context.layers_dir.join("dep-scheduler"))?;
//! std::fs::write(context.layers_dir.join("dep-scheduler.toml"), "[metadata]\n")?;
//!
//! let set = LayerSet::new("dep-", "deps-")?.with_budget(3, 1)?;
//! let plan = set.plan([
//!     // (key, specificity: 1 = asked for by the app, 0 = transitive, value)
//!     SetItem::new("web", 1, "web 1.0.0"),
//!     SetItem::new("http", 0, "http 1.4.0"),
//!     SetItem::new("core", 0, "core 1.2.0"),
//!     SetItem::new("clock", 0, "clock 0.7.3"),
//! ])?;
//! assert_eq!(plan.layers().len(), 3);
//!
//! for layer in plan.layers() {
//!     // Here: `context.cached_layer(layer.name(), definition)` and install `layer.items()`.
//!     std::fs::create_dir(context.layers_dir.join(layer.name().as_str()))?;
//! }
//! let pruned = set.prune(&context, &plan)?;
//! assert_eq!(pruned, [layer_name!("dep-scheduler")]);
//! # Ok(())
//! # }
//! ```
//!
//! # How items are grouped
//!
//! With `n` items and a budget of `b` layers of which `g` are group layers:
//!
//! - `n ≤ b`: every item has its own layer.
//! - `n > b`: items are ordered by specificity (lowest first), then by a stable hash of their
//!   key (64-bit FNV-1a), then by key. The first `n - (b - g)` share the group layers, item
//!   `k` going into group `hash(k) % g`; the others keep their own layer.
//!
//! Adding or removing an item therefore moves at most one other item between its own layer
//! and a group layer. Crossing the budget (from `b` to `b + 1` items) moves `g + 1` items
//! into groups at once. A change to an item in a group layer rebuilds that group layer, so
//! more group layers mean smaller rebuilds and fewer own layers.
//!
//! [`BuildContext::layer_names`]: crate::build::BuildContext::layer_names
//! [`BuildContext::delete_layer`]: crate::build::BuildContext::delete_layer
//! [`BuildContext::cached_layer`]: crate::build::BuildContext::cached_layer

// Compile time: every non-generic function of this module is `#[inline]`, so its code is
// generated only in a buildpack that calls it; one that doesn't use layer sets doesn't compile
// it. `.ci/check-inline.sh` fails if libcnb-lite's own release build defines any of it.
mod listing;
mod plan;

pub use listing::{ListLayersError, PruneLayersError};
pub use plan::{
    DEFAULT_BUDGET, DEFAULT_GROUP_LAYERS, LayerPlan, LayerSet, LayerSetError, PlannedLayer, SetItem,
};
