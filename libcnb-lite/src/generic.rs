//! Ready-made implementations of the [`Buildpack`](crate::Buildpack) associated types for
//! buildpacks that need nothing special, and [`deserialize_restored`], which reads metadata
//! that the lifecycle restored as raw TOML into a type of yours.
//!
//! # Examples
//!
//! ```
//! use libcnb_lite::build::{BuildContext, BuildResult, BuildResultBuilder};
//! use libcnb_lite::detect::{DetectContext, DetectResult, DetectResultBuilder};
//! use libcnb_lite::generic::{GenericError, GenericMetadata, GenericPlatform};
//! use libcnb_lite::Buildpack;
//!
//! struct MinimalBuildpack;
//!
//! impl Buildpack for MinimalBuildpack {
//!     type Platform = GenericPlatform;
//!     type Metadata = GenericMetadata;
//!     type Error = GenericError;
//!
//!     fn detect(&self, _: DetectContext<Self>) -> libcnb_lite::Result<DetectResult, GenericError> {
//!         DetectResultBuilder::pass().build()
//!     }
//!
//!     fn build(&self, _: BuildContext<Self>) -> libcnb_lite::Result<BuildResult, GenericError> {
//!         BuildResultBuilder::new().build()
//!     }
//! }
//! ```

use crate::Env;
use crate::platform::{Platform, read_platform_env};
use serde::de::DeserializeOwned;
use std::fmt::{self, Debug, Display, Formatter};
use std::path::Path;

pub use libcnb_lite_data::generic::GenericMetadata;

/// An error type for buildpacks that never fail with an error of their own.
///
/// It has no values, so a `Result<_, GenericError>` is always `Ok` or a framework error.
#[derive(Debug)]
pub enum GenericError {}

impl Display for GenericError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("GenericError")
    }
}

/// A [`Platform`] that reads only the user-provided environment variables (`<platform>/env/`).
///
/// # Examples
///
/// ```
/// use libcnb_lite::generic::GenericPlatform;
/// use libcnb_lite::{Env, Platform};
///
/// let mut env = Env::new();
/// env.insert("BP_LOG_LEVEL", "DEBUG");
/// let platform = GenericPlatform::new(env);
/// assert!(platform.env().contains_key("BP_LOG_LEVEL"));
/// ```
#[derive(Debug)]
pub struct GenericPlatform {
    env: Env,
}

impl GenericPlatform {
    /// Creates a platform with the given user-provided environment variables.
    #[must_use]
    pub fn new(env: Env) -> Self {
        Self { env }
    }
}

impl Platform for GenericPlatform {
    fn env(&self) -> &Env {
        &self.env
    }

    /// Reads `<platform_dir>/env/` (see [`Platform`]); a missing `env/` is an empty [`Env`],
    /// sub-directories are skipped, and every value must be UTF-8.
    fn from_path(platform_dir: impl AsRef<Path>) -> std::io::Result<Self> {
        read_platform_env(platform_dir).map(Self::new)
    }
}

/// Deserializes metadata that the lifecycle restored, such as the `[metadata]` of `store.toml`
/// ([`BuildContext::store_metadata`](crate::build::BuildContext::store_metadata) does it for
/// you) or the [`GenericMetadata`] of an old layer, tolerating what the lifecycle's JSON round
/// trip does to integers.
///
/// The lifecycle keeps `store.toml` and the metadata of launch layers as JSON, so `count = 1`
/// comes back as `count = 1.0`, which doesn't deserialize into a `u64`. If deserializing fails
/// and the table has floats with integral values, they are read as integers in a second
/// attempt; an `f64` field accepts an integer, so float fields keep their values. Cached layer
/// metadata goes through the same function before it reaches your callbacks.
///
/// # Examples
///
/// ```
/// use libcnb_lite::generic::deserialize_restored;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct History {
///     count: u64,
///     ratio: f64,
/// }
///
/// // What the lifecycle restores for `count = 1` and `ratio = 0.5`.
/// let restored: toml::Table = toml::from_str("count = 1.0\nratio = 0.5")?;
///
/// let history: History = deserialize_restored(&restored)?;
/// assert_eq!(history.count, 1);
/// assert_eq!(history.ratio, 0.5);
/// # Ok::<(), toml::de::Error>(())
/// ```
///
/// # Errors
///
/// The error of the first attempt if the metadata doesn't deserialize as `T` either way (a
/// fractional float such as `1.5` still doesn't fit an integer field).
pub fn deserialize_restored<T: DeserializeOwned>(
    metadata: &toml::Table,
) -> Result<T, toml::de::Error> {
    deserialize_tolerating_floats(metadata)
}

/// [`deserialize_restored`] for any TOML value, not only a table (layer metadata can be an
/// integer, say).
pub(crate) fn deserialize_tolerating_floats<T: DeserializeOwned>(
    metadata: &(impl Clone + Into<toml::Value>),
) -> Result<T, toml::de::Error> {
    let error = match metadata.clone().into().try_into() {
        Ok(metadata) => return Ok(metadata),
        Err(error) => error,
    };
    let mut metadata = metadata.clone().into();
    if integral_floats_to_integers(&mut metadata) {
        metadata.try_into().map_err(|_| error)
    } else {
        Err(error)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Counts {
        count: u32,
        ratio: f64,
        nested: Vec<BTreeMap<String, i64>>,
    }

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn integers_that_came_back_as_floats_deserialize() {
        // What the lifecycle restores for `count = 1`, `ratio = 2.0`, `nested = [{ a = 3 }]`
        // after its JSON round trip.
        let restored = table("count = 1.0\nratio = 2.0\nnested = [{ a = 3.0 }]");

        let counts: Counts = deserialize_restored(&restored).unwrap();

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
        let restored = table("count = 1.0\nratio = 0.5\nnested = []");
        let counts: Counts = deserialize_restored(&restored).unwrap();
        assert_eq!(counts.ratio.to_bits(), 0.5_f64.to_bits());
    }

    #[test]
    fn fractional_floats_stay_an_error_with_the_original_message() {
        let restored = table("count = 1.5\nratio = 2.0\nnested = []");
        let error = deserialize_restored::<Counts>(&restored).unwrap_err();
        assert!(error.to_string().contains("1.5"), "{error}");
    }

    #[test]
    fn values_other_than_tables_deserialize() {
        let count: u8 = deserialize_tolerating_floats(&toml::Value::Float(7.0)).unwrap();
        assert_eq!(count, 7);
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
