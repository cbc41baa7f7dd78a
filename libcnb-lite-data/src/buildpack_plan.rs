//! The buildpack plan a buildpack receives during build.
//!
//! Models the spec's
//! [Buildpack Plan (TOML)](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#buildpack-plan-toml):
//! the entries of the resolved build plan that this buildpack is to provide.

use serde::{Deserialize, Serialize};

/// The contents of the buildpack plan file.
///
/// An empty file is an empty plan.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::buildpack_plan::BuildpackPlan;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct NodeMetadata {
///     version: String,
/// }
///
/// let plan: BuildpackPlan = toml::from_str(r#"
/// [[entries]]
/// name = "node"
/// [entries.metadata]
/// version = "22"
/// "#)?;
///
/// assert_eq!(plan.entries[0].name, "node");
/// let metadata: NodeMetadata = plan.entries[0].metadata()?;
/// assert_eq!(metadata.version, "22");
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Deserialize, Serialize, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BuildpackPlan {
    /// The plan entries.
    #[serde(default)]
    pub entries: Vec<Entry>,
}

/// An entry of a [`BuildpackPlan`]: a required dependency and its merged metadata.
#[derive(Debug, Deserialize, Serialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The name of the dependency.
    pub name: String,
    /// The metadata the requiring buildpacks gave.
    #[serde(default)]
    pub metadata: toml::Table,
}

impl Entry {
    /// Deserializes the metadata into `T`.
    ///
    /// # Errors
    ///
    /// Returns an error if the metadata table does not deserialize into `T`.
    pub fn metadata<'de, T>(&self) -> Result<T, toml::de::Error>
    where
        T: Deserialize<'de>,
    {
        // The table is borrowed, and `try_into` consumes a `Value`, hence the clone.
        toml::Value::Table(self.metadata.clone()).try_into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_an_empty_plan() {
        assert_eq!(
            toml::from_str::<BuildpackPlan>(""),
            Ok(BuildpackPlan::default())
        );
    }

    #[test]
    fn metadata_into_wrong_type_is_an_error() {
        #[derive(Deserialize, Debug)]
        struct Metadata {
            #[expect(dead_code, reason = "only parsed")]
            version: u32,
        }
        let plan = toml::from_str::<BuildpackPlan>(
            "[[entries]]\nname = \"x\"\n[entries.metadata]\nversion = \"a\"",
        )
        .unwrap();
        assert!(plan.entries[0].metadata::<Metadata>().is_err());
    }
}
