//! Buildpack versions.
//!
//! Models `[buildpack] version` of the spec's
//! [buildpack.toml](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#buildpacktoml-toml).

use serde::Deserialize;
use std::fmt::{self, Display, Formatter};

/// The version of a buildpack, `<X>.<Y>.<Z>`.
///
/// Each part is a non-negative integer without leading zeros. Unlike semver, pre-release and
/// build suffixes (`-dev`, `+abc`) are not allowed. Parsing mirrors upstream libcnb, including
/// its quirk of accepting a leading `+` on a part (`"+1.2.3"`).
///
/// Ordering compares major, minor, then patch.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::buildpack::BuildpackVersion;
///
/// let version = BuildpackVersion::try_from(String::from("1.2.3"))?;
/// assert_eq!(version, BuildpackVersion::new(1, 2, 3));
/// assert_eq!(version.to_string(), "1.2.3");
/// assert!(BuildpackVersion::try_from(String::from("01.2.3")).is_err());
/// # Ok::<(), libcnb_lite_data::buildpack::BuildpackVersionError>(())
/// ```
#[derive(Deserialize, Debug, Eq, PartialEq, Clone, Copy, Hash, PartialOrd, Ord)]
#[serde(try_from = "String")]
pub struct BuildpackVersion {
    /// The major version.
    pub major: u64,
    /// The minor version.
    pub minor: u64,
    /// The patch version.
    pub patch: u64,
}

impl BuildpackVersion {
    /// Creates the version `<major>.<minor>.<patch>`.
    #[must_use]
    pub fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
}

impl TryFrom<String> for BuildpackVersion {
    type Error = BuildpackVersionError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        // Not the `semver` crate: semver allows pre-release and build suffixes, which buildpack
        // versions do not.
        let parts = value
            .split('.')
            .map(|part| {
                // The spec forbids redundant leading zeros.
                if part.starts_with('0') && part != "0" {
                    None
                } else {
                    part.parse::<u64>().ok()
                }
            })
            .collect::<Option<Vec<_>>>();

        match parts.as_deref() {
            Some(&[major, minor, patch]) => Ok(Self::new(major, minor, patch)),
            _ => Err(BuildpackVersionError::InvalidBuildpackVersion(value)),
        }
    }
}

impl Display for BuildpackVersion {
    fn fmt(&self, formatter: &mut Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The error returned when a string is not a valid [`BuildpackVersion`].
#[derive(thiserror::Error, Debug, Clone, Eq, PartialEq)]
pub enum BuildpackVersionError {
    /// The string is not of the form `<X>.<Y>.<Z>`.
    #[error("Invalid buildpack version: `{0}`")]
    InvalidBuildpackVersion(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<BuildpackVersion, BuildpackVersionError> {
        BuildpackVersion::try_from(String::from(value))
    }

    #[test]
    fn valid() {
        assert_eq!(parse("1.3.4"), Ok(BuildpackVersion::new(1, 3, 4)));
        assert_eq!(parse("0.0.0"), Ok(BuildpackVersion::new(0, 0, 0)));
        assert_eq!(
            parse("1234.5678.9876"),
            Ok(BuildpackVersion::new(1234, 5678, 9876))
        );
        // Upstream quirk, mirrored.
        assert_eq!(parse("+1.2.3"), Ok(BuildpackVersion::new(1, 2, 3)));
    }

    #[test]
    fn invalid() {
        for value in [
            // wrong number of parts
            "",
            "12345",
            "1.2",
            "1.2.3.4",
            ".2.3",
            "1.2.",
            "1..3",
            "1..2.3",
            "1.2_3",
            // semver suffixes
            "1.2.3-dev",
            "1.2.3+abc", // negative parts
            "-1.2.3",
            "1.-2.3",
            "1.2.-3", // leading zeros
            "01.2.3",
            "1.00.3",
            "1.2.030",
        ] {
            assert_eq!(
                parse(value).unwrap_err().to_string(),
                format!("Invalid buildpack version: `{value}`")
            );
        }
    }

    #[test]
    fn display_and_order() {
        assert_eq!(BuildpackVersion::new(0, 1, 2).to_string(), "0.1.2");
        assert_eq!(
            BuildpackVersion::new(2000, 10, 20).to_string(),
            "2000.10.20"
        );
        assert!(BuildpackVersion::new(1, 2, 3) < BuildpackVersion::new(1, 10, 0));
    }
}
