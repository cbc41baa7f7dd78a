//! libcnb-lite under the benchmark (cargo feature `lite`).
//!
//! The scenario code is `library!` (module `library`), expanded with
//! libcnb-lite's struct-API names.

crate::library::library! {
    crate: libcnb_lite,
    /// libcnb-lite, from this repository.
    library: Lite,
    invalid_metadata: invalid_metadata,
    inspect_restored: inspect_restored,
    InspectRestoredAction: InspectRestoredAction,
}
