//! The lifecycle's metadata round trip: it keeps `[metadata]` and store.toml in the image
//! label and the cache metadata as JSON, so between builds they go TOML → Go `any` → JSON →
//! `any` → TOML.
//! Integers come back as floats, datetimes as strings, and keys sorted.

use serde_json::{Map, Number, Value as Json};
use toml::Value as Toml;

/// A TOML value that JSON cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("metadata key {key:?} holds a non-finite float, which JSON cannot store")]
pub struct NonFiniteFloatError {
    /// The dotted key.
    pub key: String,
}

/// Converts TOML metadata to JSON as Go's `json.Marshal` of the decoded TOML does.
///
/// # Errors
///
/// Fails on NaN or infinite floats.
pub(crate) fn toml_to_json(table: &toml::Table) -> Result<Json, NonFiniteFloatError> {
    table_to_json(table, "")
}

fn table_to_json(table: &toml::Table, prefix: &str) -> Result<Json, NonFiniteFloatError> {
    let mut map = Map::new();
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        map.insert(key.clone(), value_to_json(value, &path)?);
    }
    Ok(Json::Object(map))
}

fn value_to_json(value: &Toml, path: &str) -> Result<Json, NonFiniteFloatError> {
    Ok(match value {
        Toml::String(s) => Json::String(s.clone()),
        Toml::Integer(i) => Json::Number((*i).into()),
        Toml::Float(f) => {
            Json::Number(Number::from_f64(*f).ok_or_else(|| NonFiniteFloatError {
                key: path.to_owned(),
            })?)
        }
        Toml::Boolean(b) => Json::Bool(*b),
        Toml::Datetime(d) => Json::String(d.to_string()),
        Toml::Array(items) => Json::Array(
            items
                .iter()
                .map(|item| value_to_json(item, path))
                .collect::<Result<_, _>>()?,
        ),
        Toml::Table(table) => table_to_json(table, path)?,
    })
}

/// Converts stored JSON back to TOML as Go does when it decodes JSON into `any`: every
/// number becomes a float, nulls are dropped, keys are sorted. Anything but an object gives
/// an empty table.
#[must_use]
pub(crate) fn json_to_toml(json: &Json) -> toml::Table {
    match json {
        Json::Object(map) => object_to_toml(map),
        _ => toml::Table::new(),
    }
}

fn object_to_toml(map: &Map<String, Json>) -> toml::Table {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let mut table = toml::Table::new();
    for key in keys {
        if let Some(value) = map.get(key).and_then(json_value_to_toml) {
            table.insert(key.clone(), value);
        }
    }
    table
}

fn json_value_to_toml(json: &Json) -> Option<Toml> {
    Some(match json {
        Json::Null => return None,
        Json::Bool(b) => Toml::Boolean(*b),
        Json::Number(n) => Toml::Float(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Toml::String(s.clone()),
        Json::Array(items) => Toml::Array(items.iter().filter_map(json_value_to_toml).collect()),
        Json::Object(map) => Toml::Table(object_to_toml(map)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_become_floats_in_nested_values() {
        let table: toml::Table =
            toml::from_str("a = 1\n[nested]\nlist = [1, 2]\nf = 1.5\nb = true\n").unwrap();
        let back = json_to_toml(&toml_to_json(&table).unwrap());
        let text = toml::to_string(&back).unwrap();
        assert!(text.contains("a = 1.0"), "{text}");
        assert_eq!(back["nested"]["list"][1].as_float(), Some(2.0));
        assert_eq!(back["nested"]["f"].as_float(), Some(1.5));
        assert_eq!(back["nested"]["b"].as_bool(), Some(true));
    }

    #[test]
    fn non_finite_floats_are_refused() {
        let table: toml::Table = toml::from_str("[x]\ny = nan\n").unwrap();
        assert_eq!(
            toml_to_json(&table).unwrap_err().to_string(),
            "metadata key \"x.y\" holds a non-finite float, which JSON cannot store"
        );
    }

    #[test]
    fn non_objects_give_empty_tables() {
        assert!(json_to_toml(&Json::Null).is_empty());
    }

    #[test]
    fn round_trip_turns_integers_into_floats_and_datetimes_into_strings()
    -> Result<(), Box<dyn std::error::Error>> {
        let metadata: toml::Table = toml::from_str("version = 1\nwhen = 1979-05-27T07:32:00Z")?;
        let restored = json_to_toml(&toml_to_json(&metadata)?);
        assert_eq!(restored["version"].as_float(), Some(1.0));
        assert_eq!(restored["when"].as_str(), Some("1979-05-27T07:32:00Z"));
        Ok(())
    }
}
