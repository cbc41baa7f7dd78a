//! The package descriptor, `package.toml`.
//!
//! Models `pack`'s [package.toml](https://buildpacks.io/docs/reference/config/package-config/),
//! which says how to package a buildpack (and, for a composite buildpack, where its
//! dependencies are).
//!
//! Upstream libcnb parses the URIs with the `uriparse` crate. libcnb-lite keeps them as
//! `String`s with a small check (see [`PackageDescriptorDependency`]) so that this crate only
//! depends on serde, toml and thiserror.

use serde::{Deserialize, Deserializer, Serialize};
use std::path::PathBuf;

/// The contents of `package.toml`.
///
/// The default is a descriptor for the buildpack in the current directory (`uri = "."`), with
/// no dependencies, for Linux.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::package_descriptor::{PackageDescriptor, PlatformOs};
///
/// let descriptor: PackageDescriptor = toml::from_str(r#"
/// [buildpack]
/// uri = "."
///
/// [[dependencies]]
/// uri = "libcnb:heroku/jvm"
///
/// [[dependencies]]
/// uri = "docker://docker.io/heroku/example:1.2.3"
///
/// [platform]
/// os = "windows"
/// "#)?;
///
/// assert_eq!(descriptor.buildpack.uri, ".");
/// assert_eq!(descriptor.dependencies[0].uri, "libcnb:heroku/jvm");
/// assert_eq!(descriptor.platform.os, PlatformOs::Windows);
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Deserialize, Serialize, Clone, Eq, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PackageDescriptor {
    /// The buildpack to package.
    pub buildpack: PackageDescriptorBuildpackReference,

    /// Where the buildpacks of a composite buildpack's order are. Each must match an order
    /// group of the composite buildpack.
    #[serde(default)]
    pub dependencies: Vec<PackageDescriptorDependency>,

    /// The platform the packaged buildpack runs on.
    #[serde(default)]
    pub platform: Platform,
}

impl Default for PackageDescriptor {
    fn default() -> Self {
        Self {
            buildpack: PackageDescriptorBuildpackReference {
                uri: String::from("."),
            },
            dependencies: Vec::new(),
            platform: Platform::default(),
        }
    }
}

/// The buildpack to package: `[buildpack] uri`.
#[derive(Debug, Deserialize, Serialize, Eq, PartialEq, Clone)]
#[serde(deny_unknown_fields)]
pub struct PackageDescriptorBuildpackReference {
    /// A URL or path of an archive, or a path of a directory. A relative path is relative to
    /// `package.toml`.
    #[serde(deserialize_with = "deserialize_uri")]
    pub uri: String,
}

/// The error returned when a string is not a valid buildpack reference URI.
#[derive(thiserror::Error, Debug, Clone, Eq, PartialEq)]
pub enum PackageDescriptorBuildpackError {
    /// The URI is empty or contains whitespace or control characters.
    #[error("invalid buildpack uri `{}`: {URI_RULE}", .0.escape_debug())]
    InvalidUri(String),
}

impl TryFrom<&str> for PackageDescriptorBuildpackReference {
    type Error = PackageDescriptorBuildpackError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        if is_valid_uri(value) {
            Ok(Self {
                uri: String::from(value),
            })
        } else {
            Err(PackageDescriptorBuildpackError::InvalidUri(String::from(
                value,
            )))
        }
    }
}

/// A dependency of a composite buildpack: `[[dependencies]] uri`.
///
/// Upstream parses the URI as an RFC 3986 URI reference. Here it is a `String` that must be
/// non-empty and free of whitespace and control characters, which rules out the mistakes that
/// matter (an empty value, stray spaces or line breaks) without a URI parser.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::package_descriptor::PackageDescriptorDependency;
///
/// let dependency = PackageDescriptorDependency::try_from("libcnb:heroku/jvm")?;
/// assert_eq!(dependency.uri, "libcnb:heroku/jvm");
/// assert!(PackageDescriptorDependency::try_from("has space").is_err());
/// # Ok::<(), libcnb_lite_data::package_descriptor::PackageDescriptorDependencyError>(())
/// ```
#[derive(Debug, Deserialize, Serialize, Eq, PartialEq, Clone)]
#[serde(deny_unknown_fields)]
pub struct PackageDescriptorDependency {
    /// A URL or path of an archive, a packaged buildpack (`.cnb` file) or a directory, or a
    /// `docker://` image reference. A relative path is relative to `package.toml`.
    #[serde(deserialize_with = "deserialize_uri")]
    pub uri: String,
}

/// The error returned when a string is not a valid dependency URI.
#[derive(thiserror::Error, Debug, Clone, Eq, PartialEq)]
pub enum PackageDescriptorDependencyError {
    /// The URI is empty or contains whitespace or control characters.
    #[error("invalid dependency uri `{}`: {URI_RULE}", .0.escape_debug())]
    InvalidUri(String),
}

impl TryFrom<PathBuf> for PackageDescriptorDependency {
    type Error = PackageDescriptorDependencyError;

    fn try_from(value: PathBuf) -> Result<Self, Self::Error> {
        Self::try_from(value.to_string_lossy().as_ref())
    }
}

impl TryFrom<&str> for PackageDescriptorDependency {
    type Error = PackageDescriptorDependencyError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        if is_valid_uri(value) {
            Ok(Self {
                uri: String::from(value),
            })
        } else {
            Err(PackageDescriptorDependencyError::InvalidUri(String::from(
                value,
            )))
        }
    }
}

/// The platform a packaged buildpack runs on: `[platform]`.
#[derive(Debug, Deserialize, Serialize, Clone, Default, Eq, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    /// The operating system; Linux when `[platform]` is left out.
    pub os: PlatformOs,
}

/// An operating system a packaged buildpack can run on, serialized in lowercase.
#[derive(Debug, Deserialize, Serialize, Eq, PartialEq, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
pub enum PlatformOs {
    /// Linux.
    #[default]
    Linux,
    /// Windows.
    Windows,
}

const URI_RULE: &str = "a uri must be non-empty and contain no whitespace or control characters";

fn is_valid_uri(value: &str) -> bool {
    !value.is_empty()
        && !value
            .chars()
            .any(|character| character.is_whitespace() || character.is_control())
}

fn deserialize_uri<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let value = String::deserialize(deserializer)?;
    if is_valid_uri(&value) {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(format_args!(
            "invalid uri `{}`: {URI_RULE}",
            value.escape_debug()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_defaults_to_linux() {
        let descriptor = toml::from_str::<PackageDescriptor>("[buildpack]\nuri = \".\"").unwrap();
        assert_eq!(descriptor, PackageDescriptor::default());
        assert_eq!(descriptor.platform.os, PlatformOs::Linux);
    }

    #[test]
    fn uri_check() {
        for valid in [
            ".",
            " ../relative/path".trim(),
            "/absolute/path",
            "libcnb:buildpack-id",
            "docker://docker.io/heroku/example:1.2.3",
        ] {
            assert!(
                PackageDescriptorDependency::try_from(valid).is_ok(),
                "{valid}"
            );
        }
        assert_eq!(
            PackageDescriptorDependency::try_from("a b")
                .unwrap_err()
                .to_string(),
            "invalid dependency uri `a b`: a uri must be non-empty and contain no whitespace or control characters"
        );
        assert_eq!(
            PackageDescriptorBuildpackReference::try_from("").unwrap_err(),
            PackageDescriptorBuildpackError::InvalidUri(String::new())
        );
        assert_eq!(
            PackageDescriptorDependency::try_from(PathBuf::from("../x"))
                .unwrap()
                .uri,
            "../x"
        );
        let error = toml::from_str::<PackageDescriptor>("[buildpack]\nuri = \"\"").unwrap_err();
        assert!(error.to_string().contains("invalid uri ``"), "{error}");
    }

    #[test]
    fn platform_needs_os() {
        assert!(
            toml::from_str::<PackageDescriptor>("[buildpack]\nuri = \".\"\n[platform]").is_err()
        );
        assert!(
            toml::from_str::<PackageDescriptor>(
                "[buildpack]\nuri = \".\"\n[platform]\nos = \"macos\""
            )
            .is_err()
        );
    }
}
