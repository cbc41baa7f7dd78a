//! A layer's `[metadata]` as the buildpack's type: deserializing it (tolerating the floats the
//! lifecycle's JSON round trip makes of integers: it stores launch-layer metadata as JSON, see
//! libcnb.rs issue #473), serializing a replacement and checking that it reads back, and
//! restoring a layer (read it, check its metadata, delete it if the invalid-metadata callback
//! says so), for both layer APIs.

use crate::generic::{GenericMetadata, deserialize_tolerating_floats};
use crate::layer::error::{LayerError, ReadLayerError, WriteLayerMetadataError};
use crate::layer::store::{LayerFiles, StoredLayer};
use crate::toml_file::TomlFileError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// `<layer>.toml` as far as the `metadata` key goes: deserializing `M` through this wrapper
/// treats a missing `[metadata]` exactly as deserializing the whole file would (`None` for an
/// `Option`, "missing field `metadata`" for a struct).
#[derive(Deserialize, Serialize)]
struct MetadataField<M> {
    metadata: M,
}

/// Deserializes the `[metadata]` value (`None`: the key is missing) as `M`, tolerating the
/// floats the lifecycle's JSON round trip makes of integers, as
/// [`deserialize_restored`](crate::generic::deserialize_restored) does.
pub(crate) fn deserialize<M: DeserializeOwned>(
    metadata: Option<&toml::Value>,
) -> Result<M, toml::de::Error> {
    match metadata {
        Some(metadata) => deserialize_tolerating_floats(metadata),
        None => toml::Value::Table(toml::Table::new())
            .try_into::<MetadataField<M>>()
            .map(|field| field.metadata),
    }
}

/// Serializes `metadata` as the `[metadata]` value (`None` if it serializes to nothing, like a
/// `None` [`GenericMetadata`]).
pub(crate) fn to_value<M: Serialize>(
    metadata: &M,
) -> Result<Option<toml::Value>, WriteLayerMetadataError> {
    toml::Value::try_from(MetadataField { metadata })
        .map(|mut document| {
            document
                .as_table_mut()
                .and_then(|table| table.remove("metadata"))
        })
        .map_err(|error| {
            WriteLayerMetadataError::TomlFileError(TomlFileError::TomlSerializationError(error))
        })
}

/// Serializes `metadata` as the `[metadata]` value and deserializes that as `M` again, as
/// upstream reads a layer back after writing it: the value to write and the metadata as the
/// next build will read it. Checked in memory, before anything is written.
///
/// # Errors
///
/// [`LayerError::WriteLayerError`] if `metadata` doesn't serialize, and
/// [`ReadLayerError::LayerContentMetadataParseError`] if it doesn't read back. Upstream's
/// message for that variant is fixed, so the TOML error inside names the layer and its
/// `<layer>.toml`, says what to fix, and keeps the deserializer's own message.
pub(crate) fn round_trip<M: Serialize + DeserializeOwned>(
    files: &LayerFiles<'_>,
    metadata: &M,
) -> Result<(Option<toml::Value>, M), LayerError> {
    let value = to_value(metadata)?;
    let metadata = deserialize::<M>(value.as_ref()).map_err(|error| {
        ReadLayerError::LayerContentMetadataParseError(serde::de::Error::custom(format_args!(
            "the metadata of layer `{}` (to be written to {}) doesn't deserialize as the \
             layer's metadata type once serialized; make the type's `Serialize` and \
             `Deserialize` agree: {}",
            files.name(),
            files.toml_path().display(),
            error.message()
        )))
    })?;
    Ok((value, metadata))
}

/// What the invalid-metadata callback of either API decided.
pub(crate) enum Migration<M, C> {
    /// Delete the layer; the cause is the struct API's `MAC` (`()` for the trait API).
    Delete(C),
    /// Keep the layer with this metadata instead.
    Replace(M),
}

/// The layer the lifecycle left, after its metadata has been checked against `M`.
pub(crate) enum Restored<M, C> {
    /// There is no layer; leftovers of one (a `<layer>.toml` without a directory, SBOMs) are
    /// removed.
    Absent,
    /// The invalid-metadata callback chose to delete the layer, and it is deleted.
    Deleted(C),
    /// The metadata is (or was replaced by) a valid `M`; `layer` holds it as raw TOML.
    Valid { metadata: M, layer: StoredLayer },
}

/// Reads the layer (see [`LayerFiles::read`]) and deserializes its metadata as `M`, asking
/// `on_invalid` what to do if it isn't one; for both layer APIs, which create the layer again
/// unless it is [`Restored::Valid`]. If there is no layer, what it left is removed
/// ([`LayerFiles::remove_leftovers`]) so that a new one starts clean.
///
/// As upstream, `on_invalid` gets the metadata as [`GenericMetadata`], parsed from
/// `<layer>.toml` again; if that fails too (the metadata isn't a table), that is the error.
/// A replacement is checked in memory: it must read back as `M` (otherwise
/// [`ReadLayerError::LayerContentMetadataParseError`], instead of upstream's endless
/// recursion), and nothing is written yet, so the caller writes `<layer>.toml` once.
///
/// # Errors
///
/// [`LayerError`]s as described and those of reading and deleting the layer, and whatever
/// `on_invalid` returns.
pub(crate) fn restore<M, C, E>(
    files: &LayerFiles<'_>,
    on_invalid: impl FnOnce(&GenericMetadata) -> Result<Migration<M, C>, crate::Error<E>>,
) -> Result<Restored<M, C>, crate::Error<E>>
where
    M: Serialize + DeserializeOwned,
{
    let Some(mut layer) = files.read()? else {
        files.remove_leftovers().map_err(LayerError::from)?;
        return Ok(Restored::Absent);
    };
    if let Ok(metadata) = deserialize::<M>(layer.content.metadata.as_ref()) {
        return Ok(Restored::Valid { metadata, layer });
    }

    let generic = layer.generic_metadata().map_err(|error| {
        LayerError::CouldNotReadGenericLayerMetadata(TomlFileError::TomlDeserializationError(error))
    })?;
    match on_invalid(&generic)? {
        Migration::Delete(cause) => {
            files.delete().map_err(LayerError::from)?;
            Ok(Restored::Deleted(cause))
        }
        Migration::Replace(replacement) => {
            let (value, metadata) = round_trip(files, &replacement)?;
            layer.content.metadata = value;
            Ok(Restored::Valid { metadata, layer })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Counts {
        count: u32,
    }

    #[test]
    fn integers_that_came_back_as_floats_deserialize() {
        let restored = toml::Value::Table(toml::from_str("count = 1.0").unwrap());
        let counts: Counts = deserialize(Some(&restored)).unwrap();
        assert_eq!(counts, Counts { count: 1 });
        assert_eq!(
            deserialize::<u8>(Some(&toml::Value::Float(2.0))).unwrap(),
            2
        );
    }

    #[test]
    fn missing_metadata_is_none_or_a_missing_field() {
        assert_eq!(deserialize::<GenericMetadata>(None).unwrap(), None);
        let error = deserialize::<Counts>(None).unwrap_err();
        assert!(
            error.to_string().contains("missing field `metadata`"),
            "{error}"
        );
    }
}
