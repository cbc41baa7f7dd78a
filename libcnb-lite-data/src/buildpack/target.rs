//! Buildpack targets.
//!
//! Models `[[targets]]` of the spec's
//! [buildpack.toml](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#buildpacktoml-toml),
//! new in Buildpack API 0.10.

use serde::Deserialize;

/// An OS/architecture (and optionally distribution) combination that a buildpack supports.
///
/// Every key is optional: an empty `[[targets]]` table matches any target.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::buildpack::{BuildpackTarget, Distro};
///
/// let target: BuildpackTarget = toml::from_str(r#"
/// os = "linux"
/// arch = "arm"
/// variant = "v8"
/// [[distros]]
/// name = "ubuntu"
/// version = "24.04"
/// "#)?;
/// assert_eq!(target.os.as_deref(), Some("linux"));
/// assert_eq!(target.distros, [Distro { name: "ubuntu".into(), version: "24.04".into() }]);
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Eq, PartialEq, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildpackTarget {
    /// The operating system, e.g. `linux`.
    pub os: Option<String>,
    /// The CPU architecture, e.g. `amd64` or `arm64`.
    pub arch: Option<String>,
    /// The architecture variant, e.g. `v8`.
    pub variant: Option<String>,
    /// The distributions the buildpack supports on this OS and architecture.
    #[serde(default)]
    pub distros: Vec<Distro>,
}

/// An OS distribution, part of a [`BuildpackTarget`].
#[derive(Debug, Eq, PartialEq, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distro {
    /// The distribution name, e.g. `ubuntu`.
    pub name: String,
    /// The distribution version, e.g. `24.04`.
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_target_matches_anything() {
        assert_eq!(
            toml::from_str::<BuildpackTarget>(""),
            Ok(BuildpackTarget {
                os: None,
                arch: None,
                variant: None,
                distros: Vec::new()
            })
        );
    }

    #[test]
    fn distro_needs_name_and_version() {
        assert!(toml::from_str::<Distro>("name = \"ubuntu\"").is_err());
        assert!(toml::from_str::<BuildpackTarget>("platform = \"linux\"").is_err());
    }
}
