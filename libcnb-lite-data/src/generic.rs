//! Generic, untyped metadata.

/// Any TOML table, or nothing: the metadata type to use when a buildpack does not care about
/// the shape of a `[metadata]` table.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::generic::GenericMetadata;
/// use libcnb_lite_data::layer_content_metadata::LayerContentMetadata;
///
/// let layer: LayerContentMetadata<GenericMetadata> = toml::from_str("[metadata]\nanswer = 42")?;
/// assert_eq!(layer.metadata.and_then(|table| table["answer"].as_integer()), Some(42));
/// # Ok::<(), toml::de::Error>(())
/// ```
pub type GenericMetadata = Option<toml::Table>;
