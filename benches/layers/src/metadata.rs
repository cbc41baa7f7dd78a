//! The layer metadata the benchmark stores, in its current and its old shape.

use serde::{Deserialize, Serialize};

/// The metadata type `M` every scenario asks `cached_layer` for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerMetadata {
    /// Version of the (imaginary) tool installed in the layer.
    pub version: String,
    /// Some counter kept across builds.
    pub count: u64,
}

/// `<layer>.toml` of a restored layer whose metadata is [`LayerMetadata::current`].
pub const CURRENT_LAYER_TOML: &str = "[metadata]\nversion = \"1.2.3\"\ncount = 7\n";

/// `<layer>.toml` of a restored layer written by an older buildpack version: it
/// does not deserialize as [`LayerMetadata`], so it has to be migrated.
pub const OLD_LAYER_TOML: &str = "[metadata]\nold_version = \"1.2\"\n";

impl LayerMetadata {
    /// The metadata that [`CURRENT_LAYER_TOML`] holds and that `create` writes.
    #[must_use]
    pub fn current() -> Self {
        Self {
            version: String::from("1.2.3"),
            count: 7,
        }
    }

    /// Migrates metadata of the old shape (`old_version = "…"`), as a buildpack's
    /// invalid-metadata callback would. Metadata without `old_version` migrates to
    /// version `unknown`.
    #[must_use]
    pub fn migrate(old: Option<&toml::Table>) -> Self {
        let version = old
            .and_then(|table| table.get("old_version"))
            .and_then(toml::Value::as_str)
            .unwrap_or("unknown");
        Self {
            version: version.to_owned(),
            count: 0,
        }
    }

    /// What [`LayerMetadata::migrate`] makes of [`OLD_LAYER_TOML`].
    #[must_use]
    pub fn migrated() -> Self {
        Self {
            version: String::from("1.2"),
            count: 0,
        }
    }
}
