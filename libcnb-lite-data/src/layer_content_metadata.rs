//! Layer content metadata, `<layers>/<layer>.toml`.
//!
//! Models the spec's
//! [Layer Content Metadata (TOML)](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#layer-content-metadata-toml):
//! a `[types]` table saying where the layer is used, and a free-form `[metadata]` table.

use crate::generic::GenericMetadata;
use serde::{Deserialize, Serialize};

/// The contents of a layer's `<layer>.toml`.
///
/// `M` is the type of the `[metadata]` table. With the default [`GenericMetadata`], `None`
/// fields are left out, so an empty value serializes to an empty document. Keys other than
/// `types` and `metadata` are rejected, as the lifecycle rejects `launch`, `build` and
/// `cache` at the top level.
///
/// The lifecycle restores cached layers with a `<layer>.toml` that has no `[types]` table,
/// hence `types` is an `Option`.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::layer_content_metadata::{LayerContentMetadata, LayerTypes};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct RuntimeMetadata {
///     version: String,
/// }
///
/// let layer = LayerContentMetadata {
///     types: Some(LayerTypes { launch: true, build: false, cache: true }),
///     metadata: RuntimeMetadata { version: "3.12.1".into() },
/// };
///
/// let text = toml::to_string(&layer)?;
/// assert_eq!(
///     text,
///     "[types]\nlaunch = true\nbuild = false\ncache = true\n\n[metadata]\nversion = \"3.12.1\"\n"
/// );
/// assert_eq!(toml::from_str::<LayerContentMetadata<RuntimeMetadata>>(&text)?, layer);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LayerContentMetadata<M = GenericMetadata> {
    /// Where the layer is used, or `None` when the table is missing.
    pub types: Option<LayerTypes>,

    /// Metadata that describes the layer contents.
    pub metadata: M,
}

/// Where a layer is used: at launch, during build, and whether it is cached.
///
/// Missing keys are `false`, and an empty `[types]` table means all `false`. Serialized in the
/// order `launch`, `build`, `cache`.
#[derive(Debug, Default, Deserialize, Serialize, Eq, PartialEq, Copy, Clone)]
#[serde(deny_unknown_fields)]
pub struct LayerTypes {
    /// Whether the layer is part of the app image.
    #[serde(default)]
    pub launch: bool,

    /// Whether the layer is available to later buildpacks during the build.
    #[serde(default)]
    pub build: bool,

    /// Whether the layer is cached for the next build.
    #[serde(default)]
    pub cache: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything() {
        let layer = toml::from_str::<LayerContentMetadata>(
            "[types]\nlaunch = true\nbuild = true\ncache = false\n\n[metadata]\nversion = \"1.2.3\"",
        )
        .unwrap();
        assert_eq!(
            layer.types,
            Some(LayerTypes {
                launch: true,
                build: true,
                cache: false
            })
        );
        assert_eq!(layer.metadata.unwrap()["version"].as_str(), Some("1.2.3"));
    }

    #[test]
    fn empty() {
        let layer = toml::from_str::<LayerContentMetadata>("").unwrap();
        assert_eq!(layer.types, None);
        assert_eq!(layer.metadata, None);
        assert_eq!(toml::to_string(&layer).unwrap(), "");
    }

    #[test]
    fn empty_types_table_is_all_false() {
        let layer = toml::from_str::<LayerContentMetadata>("[types]").unwrap();
        assert_eq!(layer.types, Some(LayerTypes::default()));
    }

    #[test]
    fn top_level_flags_are_rejected() {
        let error = toml::from_str::<LayerContentMetadata>("launch = true").unwrap_err();
        assert!(
            error.to_string().contains("unknown field `launch`"),
            "{error}"
        );
        assert!(toml::from_str::<LayerContentMetadata>("[types]\nexport = true").is_err());
    }
}
