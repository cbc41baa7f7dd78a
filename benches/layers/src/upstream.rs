//! Upstream libcnb 0.30.4 under the benchmark.
//!
//! The scenario code is `library!` (module `library`), expanded with
//! upstream's struct-API names.

crate::library::library! {
    crate: libcnb,
    /// Upstream libcnb 0.30.4.
    library: Upstream,
    invalid_metadata: invalid_metadata_action,
    inspect_restored: restored_layer_action,
    InspectRestoredAction: RestoredLayerAction,
}
