//! A layer's `[metadata]` as the buildpack's type: deserializing it (tolerating the floats the
//! lifecycle's JSON round trip makes of integers, api.md item 7), serializing a replacement and
//! checking that it reads back, and deciding what to do with metadata that doesn't fit, for both
//! layer APIs.

use crate::generic::GenericMetadata;
use crate::layer::error::{LayerError, WriteLayerMetadataError};
use crate::layer::store::{LayerFiles, StoredLayer};
use libcnb_lite_data::layer::LayerName;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// `<layer>.toml` as far as the `metadata` key goes: deserializing `M` through this wrapper
/// treats a missing `[metadata]` exactly as deserializing the whole file would (`None` for an
/// `Option`, "missing field `metadata`" for a struct).
#[derive(Deserialize, Serialize)]
struct MetadataField<M> {
    metadata: M,
}

/// Deserializes the `[metadata]` value (`None`: the key is missing) as `M`.
///
/// If that fails and the value has floats with integral values, such as the `1.0` that the
/// lifecycle's JSON round trip makes of a `1`, they are read as integers in a second attempt;
/// an `f64` field accepts an integer, so float fields keep their values. The error is the first
/// attempt's.
pub(crate) fn deserialize<M: DeserializeOwned>(
    metadata: Option<&toml::Value>,
) -> Result<M, toml::de::Error> {
    let error = match from_value(metadata.cloned()) {
        Ok(metadata) => return Ok(metadata),
        Err(error) => error,
    };
    let mut metadata = metadata.cloned();
    if metadata.as_mut().is_some_and(integral_floats_to_integers) {
        from_value(metadata).map_err(|_| error)
    } else {
        Err(error)
    }
}

fn from_value<M: DeserializeOwned>(metadata: Option<toml::Value>) -> Result<M, toml::de::Error> {
    let mut document = toml::Table::new();
    if let Some(metadata) = metadata {
        document.insert(String::from("metadata"), metadata);
    }
    toml::Value::Table(document)
        .try_into::<MetadataField<M>>()
        .map(|field| field.metadata)
}

/// Replaces every float in `value` that holds an integer (`1.0`, `-3.0`) by that integer, and
/// says whether there was one.
fn integral_floats_to_integers(value: &mut toml::Value) -> bool {
    match value {
        toml::Value::Float(float) => match integral(*float) {
            Some(integer) => {
                *value = toml::Value::Integer(integer);
                true
            }
            None => false,
        },
        toml::Value::Array(values) => values.iter_mut().fold(false, |found, value| {
            integral_floats_to_integers(value) | found
        }),
        toml::Value::Table(table) => table.iter_mut().fold(false, |found, (_, value)| {
            integral_floats_to_integers(value) | found
        }),
        toml::Value::String(_)
        | toml::Value::Integer(_)
        | toml::Value::Boolean(_)
        | toml::Value::Datetime(_) => false,
    }
}

/// The integer `float` holds, if it is integral and fits an `i64` (TOML's integer range).
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    reason = "the float is integral and checked to be within the i64 range before the cast"
)]
fn integral(float: f64) -> Option<i64> {
    // -2^63 is exact as an f64; 2^63 is the first value above the range.
    let in_range = float >= i64::MIN as f64 && float < -(i64::MIN as f64);
    (float.fract() == 0.0 && in_range).then_some(float as i64)
}

/// Serializes `metadata` as the `[metadata]` value (`None` if it serializes to nothing, like a
/// `None` [`GenericMetadata`]).
pub(crate) fn to_value<M: Serialize>(
    files: &LayerFiles<'_>,
    metadata: &M,
) -> Result<Option<toml::Value>, WriteLayerMetadataError> {
    toml::Value::try_from(MetadataField { metadata })
        .map(|mut document| {
            document
                .as_table_mut()
                .and_then(|table| table.remove("metadata"))
        })
        .map_err(|source| WriteLayerMetadataError::TomlSerializationError {
            layer: files.name().clone(),
            source,
        })
}

/// Serializes `metadata` as the `[metadata]` value and deserializes that as `M` again, as
/// upstream reads a layer back after writing it: the value to write and the metadata as the
/// next build will read it. Checked in memory, before anything is written.
///
/// # Errors
///
/// [`LayerError::WriteLayerError`] if `metadata` doesn't serialize, and the error `read_back`
/// makes of the layer's name and the deserialization error if it doesn't read back.
pub(crate) fn round_trip<M: Serialize + DeserializeOwned>(
    files: &LayerFiles<'_>,
    metadata: &M,
    read_back: impl FnOnce(LayerName, Box<toml::de::Error>) -> LayerError,
) -> Result<(Option<toml::Value>, M), LayerError> {
    let value = to_value(files, metadata)?;
    let metadata = deserialize::<M>(value.as_ref())
        .map_err(|source| read_back(files.name().clone(), Box::new(source)))?;
    Ok((value, metadata))
}

/// What the invalid-metadata callback of either API decided.
pub(crate) enum Migration<M, C> {
    /// Delete the layer; the cause is the struct API's `MAC` (`()` for the trait API).
    Delete(C),
    /// Keep the layer with this metadata instead.
    Replace(M),
}

/// A restored layer after its metadata has been checked against `M`.
pub(crate) enum Resolution<M, C> {
    /// The metadata is (or was replaced by) a valid `M`. `layer` holds the raw metadata to
    /// write back and, unless it was replaced, the text of `<layer>.toml` as read.
    Valid { metadata: M, layer: StoredLayer },
    /// The invalid-metadata callback chose to delete the layer.
    Delete(C),
}

/// Deserializes a restored layer's metadata as `M`, asking `on_invalid` what to do if it isn't
/// one. A replacement is checked in memory: it must read back as `M` (otherwise
/// [`LayerError::ReplacedMetadataDoesNotReadBack`] instead of upstream's endless recursion),
/// and nothing is written yet, so the caller writes `<layer>.toml` once.
///
/// # Errors
///
/// [`LayerError`]s as described, and whatever `on_invalid` returns.
pub(crate) fn resolve<M, C, E>(
    files: &LayerFiles<'_>,
    mut layer: StoredLayer,
    on_invalid: impl FnOnce(&GenericMetadata) -> Result<Migration<M, C>, crate::Error<E>>,
) -> Result<Resolution<M, C>, crate::Error<E>>
where
    M: Serialize + DeserializeOwned,
{
    if let Ok(metadata) = deserialize::<M>(layer.content.metadata.as_ref()) {
        return Ok(Resolution::Valid { metadata, layer });
    }

    let generic = match &layer.content.metadata {
        None => None,
        Some(toml::Value::Table(table)) => Some(table.clone()),
        Some(other) => {
            return Err(LayerError::CouldNotReadGenericLayerMetadata {
                layer: files.name().clone(),
                path: files.toml_path(),
                found: other.type_str(),
            }
            .into());
        }
    };

    match on_invalid(&generic)? {
        Migration::Delete(cause) => Ok(Resolution::Delete(cause)),
        Migration::Replace(replacement) => {
            let (value, metadata) = round_trip(files, &replacement, |layer, source| {
                LayerError::ReplacedMetadataDoesNotReadBack { layer, source }
            })?;
            layer.content.metadata = value;
            layer.text = None;
            Ok(Resolution::Valid { metadata, layer })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Counts {
        count: u32,
        ratio: f64,
        nested: Vec<BTreeMap<String, i64>>,
    }

    fn value(text: &str) -> toml::Value {
        toml::Value::Table(toml::from_str(text).unwrap())
    }

    #[test]
    fn integers_that_came_back_as_floats_deserialize() {
        // What the lifecycle restores for `count = 1`, `ratio = 2.0`, `nested = [{ a = 3 }]`
        // after its JSON round trip.
        let restored = value("count = 1.0\nratio = 2.0\nnested = [{ a = 3.0 }]");

        let counts: Counts = deserialize(Some(&restored)).unwrap();

        assert_eq!(
            counts,
            Counts {
                count: 1,
                ratio: 2.0,
                nested: vec![BTreeMap::from([(String::from("a"), 3)])],
            }
        );
    }

    #[test]
    fn float_fields_keep_their_values() {
        let restored = value("count = 1.0\nratio = 0.5\nnested = []");
        let counts: Counts = deserialize(Some(&restored)).unwrap();
        assert_eq!(counts.ratio.to_bits(), 0.5_f64.to_bits());
    }

    #[test]
    fn fractional_floats_stay_an_error_with_the_original_message() {
        let restored = value("count = 1.5\nratio = 2.0\nnested = []");
        let error = deserialize::<Counts>(Some(&restored)).unwrap_err();
        assert!(error.to_string().contains("1.5"), "{error}");
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

    #[test]
    fn integral_range() {
        assert_eq!(integral(-3.0), Some(-3));
        assert_eq!(integral(-0.0), Some(0));
        assert_eq!(
            integral(9.007_199_254_740_992e15),
            Some(9_007_199_254_740_992)
        );
        assert_eq!(integral(-9.223_372_036_854_776e18), Some(i64::MIN));
        assert_eq!(integral(9.223_372_036_854_776e18), None);
        assert_eq!(integral(f64::NAN), None);
        assert_eq!(integral(f64::INFINITY), None);
        assert_eq!(integral(0.25), None);
    }
}
