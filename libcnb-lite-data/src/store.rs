//! `store.toml`: metadata a buildpack keeps from one build to the next.
//!
//! Models the spec's
//! [store.toml](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#storetoml-toml).

use serde::{Deserialize, Serialize};

/// The contents of `store.toml`.
///
/// The `[metadata]` table is required when reading, as upstream libcnb requires it, so an
/// empty file does not parse; `Store::default()` serializes to `"[metadata]\n"`.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::store::Store;
///
/// let mut store = Store::default();
/// store.metadata.insert("last_build".into(), toml::Value::Integer(7));
/// let text = toml::to_string(&store)?;
/// assert_eq!(text, "[metadata]\nlast_build = 7\n");
/// assert_eq!(toml::from_str::<Store>(&text)?, store);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// The metadata to keep.
    pub metadata: toml::Table,
}
