//! What the store buildpack keeps in `store.toml`, and how to read it back robustly.
//!
//! The lifecycle stores `store.toml` as JSON in the image's metadata label and writes it back
//! as TOML before the next build, so every integer comes back as a float (`1` → `1.0`) and
//! every datetime as a string. A serde struct with integer fields then fails to deserialize
//! ("invalid type: floating point `1.0`, expected u64"). Reading robustly means accepting a
//! whole-number float wherever an integer was written: [`whole_number`] does that for one
//! field, [`whole_numbers`] for a list.

use libcnb_lite::data::store::Store;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// The datetime written into every store; it comes back as a string.
const BUILT_AT: &str = "1979-05-27T07:32:00Z";

/// The part of the store this buildpack reads back; an empty store is an empty history.
#[derive(Debug, Default, Deserialize, PartialEq)]
pub(crate) struct History {
    /// How many builds wrote a store.
    #[serde(default, deserialize_with = "whole_number")]
    pub(crate) builds: u64,
    /// The number of every build that wrote a store.
    #[serde(default, deserialize_with = "whole_numbers")]
    pub(crate) build_numbers: Vec<u64>,
}

impl History {
    /// Reads the history from a store, accepting integers that came back as floats.
    pub(crate) fn read(store: &Store) -> Result<Self, toml::de::Error> {
        toml::Value::Table(store.metadata.clone()).try_into()
    }

    /// The history after one more build.
    pub(crate) fn next(&self) -> Self {
        let builds = self.builds + 1;
        let mut build_numbers = self.build_numbers.clone();
        build_numbers.push(builds);
        Self {
            builds,
            build_numbers,
        }
    }

    /// The store's `[metadata]`: the history plus one value of each other TOML type, so the
    /// next build can show what the round trip makes of them.
    pub(crate) fn to_metadata(&self) -> toml::Table {
        let mut nested = toml::Table::new();
        nested.insert("builds".into(), integer(self.builds));
        let mut metadata = toml::Table::new();
        metadata.insert("builds".into(), integer(self.builds));
        metadata.insert(
            "build_numbers".into(),
            toml::Value::Array(self.build_numbers.iter().copied().map(integer).collect()),
        );
        metadata.insert("ratio".into(), toml::Value::Float(0.5));
        metadata.insert("label".into(), format!("build {}", self.builds).into());
        metadata.insert("fresh".into(), (self.builds == 1).into());
        metadata.insert(
            "built_at".into(),
            BUILT_AT
                .parse::<toml::value::Datetime>()
                .map_or_else(|_| BUILT_AT.into(), toml::Value::Datetime),
        );
        metadata.insert("nested".into(), toml::Value::Table(nested));
        metadata
    }
}

fn integer(value: u64) -> toml::Value {
    toml::Value::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

/// Reads `builds` the naive way, as most buildpacks would: a struct with a `u64` field.
pub(crate) fn read_strictly(store: &Store) -> Result<u64, toml::de::Error> {
    #[derive(Deserialize)]
    struct Strict {
        builds: u64,
    }
    toml::Value::Table(store.metadata.clone())
        .try_into::<Strict>()
        .map(|strict| strict.builds)
}

/// Deserializes a `u64` written as an integer that may come back as a whole-number float.
///
/// serde's `f64` accepts both integers and floats; the value is then checked to be whole and
/// in range, so `1.5` or `-1.0` are still errors.
pub(crate) fn whole_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    to_whole_number(f64::deserialize(deserializer)?).map_err(D::Error::custom)
}

/// [`whole_number`] for every element of a list.
pub(crate) fn whole_numbers<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<u64>, D::Error> {
    Vec::<f64>::deserialize(deserializer)?
        .into_iter()
        .map(|number| to_whole_number(number).map_err(D::Error::custom))
        .collect()
}

/// Whole numbers up to 2^53 are exact in an `f64`; larger ones may already have been rounded.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "the number is checked to be whole and within 0..=2^53 before the cast"
)]
fn to_whole_number(number: f64) -> Result<u64, String> {
    if number.fract() == 0.0 && (0.0..=MAX_EXACT).contains(&number) {
        Ok(number as u64)
    } else {
        Err(format!("expected a whole number, got {number}"))
    }
}

/// A value and its TOML type, e.g. `float 1.0`, for the build log.
pub(crate) fn describe(value: &toml::Value) -> String {
    match value {
        toml::Value::String(string) => format!("string {string:?}"),
        toml::Value::Integer(integer) => format!("integer {integer}"),
        toml::Value::Float(float) => format!("float {float:?}"),
        toml::Value::Boolean(boolean) => format!("boolean {boolean}"),
        toml::Value::Datetime(datetime) => format!("datetime {datetime}"),
        toml::Value::Array(values) => {
            let values: Vec<String> = values.iter().map(describe).collect();
            format!("array [{}]", values.join(", "))
        }
        toml::Value::Table(table) => {
            let entries: Vec<String> = table
                .iter()
                .map(|(key, value)| format!("{key} = {}", describe(value)))
                .collect();
            format!("table {{{}}}", entries.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the lifecycle's JSON round trip makes of `store`: integers become floats and
    /// datetimes strings (libcnb-lite-test's `json` module does the same in the harness).
    #[expect(
        clippy::cast_precision_loss,
        reason = "JSON numbers are f64; the test values are small"
    )]
    fn round_trip(value: toml::Value) -> toml::Value {
        match value {
            toml::Value::Integer(integer) => toml::Value::Float(integer as f64),
            toml::Value::Datetime(datetime) => toml::Value::String(datetime.to_string()),
            toml::Value::Array(values) => {
                toml::Value::Array(values.into_iter().map(round_trip).collect())
            }
            toml::Value::Table(table) => toml::Value::Table(
                table
                    .into_iter()
                    .map(|(key, value)| (key, round_trip(value)))
                    .collect(),
            ),
            other => other,
        }
    }

    fn store(metadata: toml::Table) -> Store {
        Store { metadata }
    }

    #[test]
    fn the_history_reads_back_before_and_after_the_round_trip() {
        let written = History::default().next().next();
        assert_eq!(written.builds, 2);
        assert_eq!(written.build_numbers, [1, 2]);
        let metadata = written.to_metadata();
        assert_eq!(History::read(&store(metadata.clone())).unwrap(), written);

        let toml::Value::Table(restored) = round_trip(toml::Value::Table(metadata)) else {
            unreachable!("a table stays a table")
        };
        assert_eq!(restored["builds"], toml::Value::Float(2.0));
        assert_eq!(
            restored["built_at"],
            toml::Value::String(BUILT_AT.to_owned())
        );
        assert_eq!(History::read(&store(restored.clone())).unwrap(), written);
        let strict = read_strictly(&store(restored)).unwrap_err();
        assert_eq!(
            strict.message(),
            "invalid type: floating point `2.0`, expected u64"
        );
    }

    #[test]
    fn only_whole_numbers_in_range_are_accepted() {
        assert_eq!(to_whole_number(3.0), Ok(3));
        assert_eq!(to_whole_number(0.0), Ok(0));
        for bad in [1.5, -1.0, f64::NAN, f64::INFINITY, 1e300] {
            assert!(to_whole_number(bad).is_err(), "{bad}");
        }
        let fractional = store(toml::from_str("builds = 1.5\nbuild_numbers = []").unwrap());
        let error = History::read(&fractional).unwrap_err();
        assert!(
            error.message().contains("expected a whole number, got 1.5"),
            "{error}"
        );
    }

    #[test]
    fn values_are_described_with_their_type() {
        let table: toml::Table = toml::from_str(
            "a = 1\nb = 1.0\nc = \"x\"\nd = true\ne = [1, 2.5]\nf = { g = 1979-05-27T07:32:00Z }",
        )
        .unwrap();
        let described: Vec<String> = table
            .iter()
            .map(|(key, value)| format!("{key} = {}", describe(value)))
            .collect();
        assert_eq!(
            described,
            [
                "a = integer 1",
                "b = float 1.0",
                "c = string \"x\"",
                "d = boolean true",
                "e = array [integer 1, float 2.5]",
                "f = table {g = datetime 1979-05-27T07:32:00Z}",
            ]
        );
    }
}
