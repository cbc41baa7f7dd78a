//! The Buildpack API version.
//!
//! Models the top-level `api` key of the spec's
//! [buildpack.toml](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#buildpacktoml-toml).

use serde::Deserialize;
use std::fmt::{self, Display, Formatter};

/// The Buildpack API version a buildpack implements, such as `0.10`.
///
/// It is written `<major>.<minor>` or `<major>`, where `<major>` means `<major>.0`. Both parts
/// are parsed as `u64`, exactly as upstream libcnb does, so `"1.2.3"`, `"1."`, `".1"`, `"-1"`
/// and `""` are rejected, while `"+1.+2"` is accepted (a quirk of `u64` parsing).
///
/// Ordering compares the major, then the minor version.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::buildpack::BuildpackApi;
///
/// let api = BuildpackApi::try_from(String::from("0.10"))?;
/// assert_eq!(api, BuildpackApi { major: 0, minor: 10 });
/// assert_eq!(api.to_string(), "0.10");
/// assert!(api < BuildpackApi { major: 0, minor: 12 });
/// # Ok::<(), libcnb_lite_data::buildpack::BuildpackApiError>(())
/// ```
#[derive(Deserialize, Debug, Eq, PartialEq, Clone, Copy, Hash, PartialOrd, Ord)]
#[serde(try_from = "String")]
pub struct BuildpackApi {
    /// The major version.
    pub major: u64,
    /// The minor version.
    pub minor: u64,
}

impl TryFrom<String> for BuildpackApi {
    type Error = BuildpackApiError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        // Not the `semver` crate: it only parses full `X.Y.Z` versions.
        let (major, minor) = value.split_once('.').unwrap_or((&value, "0"));
        match (major.parse(), minor.parse()) {
            (Ok(major), Ok(minor)) => Ok(Self { major, minor }),
            _ => Err(BuildpackApiError::InvalidBuildpackApi(value)),
        }
    }
}

impl Display for BuildpackApi {
    fn fmt(&self, formatter: &mut Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}.{}", self.major, self.minor)
    }
}

/// The error returned when a string is not a valid [`BuildpackApi`].
#[derive(thiserror::Error, Debug, Clone, Eq, PartialEq)]
pub enum BuildpackApiError {
    /// The string is not of the form `<major>.<minor>` or `<major>`.
    #[error("Invalid Buildpack API version: `{0}`")]
    InvalidBuildpackApi(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<BuildpackApi, BuildpackApiError> {
        BuildpackApi::try_from(String::from(value))
    }

    #[test]
    fn valid() {
        assert_eq!(parse("1.3"), Ok(BuildpackApi { major: 1, minor: 3 }));
        assert_eq!(parse("0.0"), Ok(BuildpackApi { major: 0, minor: 0 }));
        assert_eq!(
            parse("2020.10"),
            Ok(BuildpackApi {
                major: 2020,
                minor: 10
            })
        );
        assert_eq!(parse("2"), Ok(BuildpackApi { major: 2, minor: 0 }));
        // Upstream quirk, mirrored: `u64::from_str` accepts a leading `+`.
        assert_eq!(parse("+1.+2"), Ok(BuildpackApi { major: 1, minor: 2 }));
    }

    #[test]
    fn invalid() {
        for value in ["1.2.3", "1.2-dev", "-1", ".1", "1.", "1..2", "", "a.b"] {
            assert_eq!(
                parse(value).unwrap_err().to_string(),
                format!("Invalid Buildpack API version: `{value}`")
            );
        }
    }

    #[test]
    fn deserialize_from_toml() {
        #[derive(Deserialize, Debug)]
        struct Holder {
            api: BuildpackApi,
        }
        assert_eq!(
            toml::from_str::<Holder>("api = \"0.12\"").unwrap().api,
            BuildpackApi {
                major: 0,
                minor: 12
            }
        );
        let error = toml::from_str::<Holder>("api = \"0.10.1\"").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("Invalid Buildpack API version: `0.10.1`"),
            "{error}"
        );
    }

    #[test]
    fn display_and_order() {
        assert_eq!(BuildpackApi { major: 1, minor: 0 }.to_string(), "1.0");
        assert_eq!(
            BuildpackApi {
                major: 0,
                minor: 10
            }
            .to_string(),
            "0.10"
        );
        assert!(
            BuildpackApi { major: 0, minor: 9 }
                < BuildpackApi {
                    major: 0,
                    minor: 10
                }
        );
        assert!(
            BuildpackApi { major: 1, minor: 0 }
                > BuildpackApi {
                    major: 0,
                    minor: 99
                }
        );
    }
}
