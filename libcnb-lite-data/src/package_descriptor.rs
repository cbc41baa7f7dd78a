//! The package descriptor, `package.toml`.
//!
//! Models `pack`'s [package.toml](https://buildpacks.io/docs/reference/config/package-config/),
//! which says how to package a buildpack (and, for a composite buildpack, where its
//! dependencies are).
//!
//! The URIs are `uriparse` [`URIReference`]s, as upstream's are, so code written against
//! upstream libcnb-data (`libcnb-package` calls `dependency.uri.scheme()`) compiles against
//! this crate.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::path::PathBuf;
pub use uriparse::URIReference;

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
/// assert_eq!(descriptor.buildpack.uri.to_string(), ".");
/// assert_eq!(descriptor.dependencies[0].uri.scheme().map(|scheme| scheme.as_str()), Some("libcnb"));
/// assert_eq!(descriptor.dependencies[0].uri.path().to_string(), "heroku/jvm");
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
            buildpack: PackageDescriptorBuildpackReference { uri: current_dir() },
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
    #[serde(
        deserialize_with = "deserialize_uri_reference",
        serialize_with = "serialize_uri_reference"
    )]
    pub uri: URIReference<'static>,
}

/// The error returned when a string is not a valid buildpack reference URI.
#[derive(thiserror::Error, Debug, Clone, Eq, PartialEq)]
pub enum PackageDescriptorBuildpackError {
    /// The string isn't an RFC 3986 URI reference.
    #[error("Invalid URI: {0}")]
    InvalidUri(String),
}

impl TryFrom<&str> for PackageDescriptorBuildpackReference {
    type Error = PackageDescriptorBuildpackError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        parse_uri(value)
            .map(|uri| Self { uri })
            .ok_or_else(|| PackageDescriptorBuildpackError::InvalidUri(String::from(value)))
    }
}

/// A dependency of a composite buildpack: `[[dependencies]] uri`, an RFC 3986 URI reference.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::package_descriptor::PackageDescriptorDependency;
///
/// let dependency = PackageDescriptorDependency::try_from("libcnb:heroku/jvm")?;
/// assert_eq!(dependency.uri.to_string(), "libcnb:heroku/jvm");
/// assert!(PackageDescriptorDependency::try_from("has space").is_err());
/// # Ok::<(), libcnb_lite_data::package_descriptor::PackageDescriptorDependencyError>(())
/// ```
#[derive(Debug, Deserialize, Serialize, Eq, PartialEq, Clone)]
#[serde(deny_unknown_fields)]
pub struct PackageDescriptorDependency {
    /// A URL or path of an archive, a packaged buildpack (`.cnb` file) or a directory, or a
    /// `docker://` image reference. A relative path is relative to `package.toml`.
    #[serde(
        deserialize_with = "deserialize_uri_reference",
        serialize_with = "serialize_uri_reference"
    )]
    pub uri: URIReference<'static>,
}

/// The error returned when a string is not a valid dependency URI.
#[derive(thiserror::Error, Debug, Clone, Eq, PartialEq)]
pub enum PackageDescriptorDependencyError {
    /// The string isn't an RFC 3986 URI reference.
    #[error("Invalid URI: {0}")]
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
        parse_uri(value)
            .map(|uri| Self { uri })
            .ok_or_else(|| PackageDescriptorDependencyError::InvalidUri(String::from(value)))
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

/// The URI reference `.`.
fn current_dir() -> URIReference<'static> {
    // A constant that parses: this never panics.
    parse_uri(".").expect("`.` is a valid URI reference")
}

fn parse_uri(value: &str) -> Option<URIReference<'static>> {
    URIReference::try_from(value)
        .ok()
        .map(URIReference::into_owned)
}

// package.toml holds URIs as plain strings; uriparse's own serde support reads and writes a
// table of URI parts, so both directions go through the string form.
fn deserialize_uri_reference<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<URIReference<'static>, D::Error> {
    let value = String::deserialize(deserializer)?;
    URIReference::try_from(value.as_str())
        .map(URIReference::into_owned)
        .map_err(serde::de::Error::custom)
}

fn serialize_uri_reference<S: Serializer>(
    uri: &URIReference<'static>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(uri)
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
    fn uris_are_uri_references() {
        for valid in [
            ".",
            "../relative/path",
            "/absolute/path",
            "libcnb:buildpack-id",
            "docker://docker.io/heroku/example:1.2.3",
        ] {
            let dependency = PackageDescriptorDependency::try_from(valid).unwrap();
            assert_eq!(dependency.uri.to_string(), valid);
        }
        assert_eq!(
            PackageDescriptorDependency::try_from("a b")
                .unwrap_err()
                .to_string(),
            "Invalid URI: a b"
        );
        assert_eq!(
            PackageDescriptorBuildpackReference::try_from("a b").unwrap_err(),
            PackageDescriptorBuildpackError::InvalidUri(String::from("a b"))
        );
        assert_eq!(
            PackageDescriptorDependency::try_from(PathBuf::from("../x"))
                .unwrap()
                .uri
                .to_string(),
            "../x"
        );
        assert_eq!(PackageDescriptor::default().buildpack.uri.to_string(), ".");
        let error = toml::from_str::<PackageDescriptor>("[buildpack]\nuri = \"a b\"").unwrap_err();
        assert!(error.to_string().contains("invalid"), "{error}");
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
