//! The build plan a buildpack writes during detection.
//!
//! Models the spec's
//! [Build Plan (TOML)](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#build-plan-toml):
//! what a buildpack `provides`, what it `requires`, and `[[or]]` alternatives.

use serde::ser::Error as _;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The contents of a build plan file.
///
/// Build one with [`BuildPlanBuilder`]. Empty lists are left out when serialized, so an empty
/// plan serializes to an empty document.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::build_plan::{BuildPlan, BuildPlanBuilder};
///
/// let plan: BuildPlan = BuildPlanBuilder::new().provides("python").requires("python").build();
/// assert_eq!(
///     toml::to_string(&plan)?,
///     "[[provides]]\nname = \"python\"\n\n[[requires]]\nname = \"python\"\n\n[requires.metadata]\n"
/// );
/// # Ok::<(), toml::ser::Error>(())
/// ```
#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq)]
#[must_use]
pub struct BuildPlan {
    /// What the buildpack provides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provides: Vec<Provide>,
    /// What the buildpack requires.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<Require>,
    /// Alternative provides/requires pairs, tried when the top-level pair does not resolve.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub or: Vec<Or>,
}

impl BuildPlan {
    /// Creates an empty build plan.
    pub fn new() -> Self {
        Self::default()
    }
}

/// A consuming builder for [`BuildPlan`] values.
///
/// Entries go into the current provides/requires pair. [`or`](Self::or) closes the current pair
/// and starts an alternative. The first pair becomes the top level of the plan, every later one
/// an `[[or]]` entry. As upstream, a trailing `.or()` before [`build`](Self::build) adds an
/// empty `[[or]]` entry.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::build_plan::{BuildPlanBuilder, Require};
///
/// let mut jdk = Require::new("jdk");
/// jdk.metadata(toml::toml! { version = "21" })?;
///
/// let plan = BuildPlanBuilder::new()
///     .provides("jdk")
///     .requires(jdk)
///     .or()
///     .requires("jdk")
///     .build();
///
/// assert_eq!(plan.provides.len(), 1);
/// assert_eq!(plan.requires[0].metadata["version"].as_str(), Some("21"));
/// assert_eq!(plan.or.len(), 1);
/// assert_eq!(plan.or[0].requires()[0].name, "jdk");
/// # Ok::<(), toml::ser::Error>(())
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct BuildPlanBuilder {
    acc: VecDeque<(Vec<Provide>, Vec<Require>)>,
    current_provides: Vec<Provide>,
    current_requires: Vec<Require>,
}

impl BuildPlanBuilder {
    /// Creates a builder for an empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a `provides` entry to the current pair.
    pub fn provides(mut self, name: impl AsRef<str>) -> Self {
        self.current_provides.push(Provide::new(name.as_ref()));
        self
    }

    /// Adds a `requires` entry to the current pair.
    pub fn requires(mut self, require: impl Into<Require>) -> Self {
        self.current_requires.push(require.into());
        self
    }

    /// Closes the current provides/requires pair and starts an alternative.
    pub fn or(mut self) -> Self {
        self.acc.push_back((
            std::mem::take(&mut self.current_provides),
            std::mem::take(&mut self.current_requires),
        ));
        self
    }

    /// Builds the plan.
    pub fn build(self) -> BuildPlan {
        let mut pairs = self.or().acc;
        let mut build_plan = BuildPlan::new();
        if let Some((provides, requires)) = pairs.pop_front() {
            build_plan.provides = provides;
            build_plan.requires = requires;
            build_plan.or = pairs
                .into_iter()
                .map(|(provides, requires)| Or { provides, requires })
                .collect();
        }
        build_plan
    }
}

/// An `[[or]]` alternative of a [`BuildPlan`].
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Or {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    provides: Vec<Provide>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    requires: Vec<Require>,
}

impl Or {
    /// What the buildpack provides in this alternative.
    #[must_use]
    pub fn provides(&self) -> &[Provide] {
        &self.provides
    }

    /// What the buildpack requires in this alternative.
    #[must_use]
    pub fn requires(&self) -> &[Require] {
        &self.requires
    }
}

/// A dependency a buildpack provides.
#[derive(Serialize, Deserialize, Debug, Clone, Eq, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Provide {
    name: String,
}

impl Provide {
    /// Provides the dependency `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }

    /// The name of the dependency.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A dependency a buildpack requires, with metadata for the buildpack that provides it.
///
/// The `metadata` table is always written, even when empty, as upstream does.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Require {
    /// The name of the dependency.
    pub name: String,
    /// Metadata for the providing buildpack.
    #[serde(default)]
    pub metadata: toml::Table,
}

impl Require {
    /// Requires the dependency `name`, with empty metadata.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            metadata: toml::Table::new(),
        }
    }

    /// Sets the metadata from any value that serializes to a TOML table.
    ///
    /// # Errors
    ///
    /// Returns the serialization error, or the error "Couldn't be serialized as a TOML Table."
    /// if `metadata` serializes to something other than a table.
    pub fn metadata<T: Serialize>(&mut self, metadata: T) -> Result<(), toml::ser::Error> {
        if let toml::Value::Table(table) = toml::Value::try_from(metadata)? {
            self.metadata = table;
            Ok(())
        } else {
            Err(toml::ser::Error::custom(
                "Couldn't be serialized as a TOML Table.",
            ))
        }
    }
}

impl<S: Into<String>> From<S> for Require {
    fn from(s: S) -> Self {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_plan_serializes_to_nothing() {
        assert_eq!(
            toml::to_string(&BuildPlanBuilder::new().build()).unwrap(),
            ""
        );
    }

    #[test]
    fn trailing_or_adds_an_empty_alternative() {
        let plan = BuildPlanBuilder::new().provides("rust").or().build();
        assert_eq!(plan.or.len(), 1);
        assert!(plan.or[0].provides().is_empty() && plan.or[0].requires().is_empty());
        assert_eq!(
            toml::to_string(&plan).unwrap(),
            "[[provides]]\nname = \"rust\"\n\n[[or]]\n"
        );
    }

    #[test]
    fn metadata_must_be_a_table() {
        #[derive(Serialize)]
        struct Metadata {
            foo: String,
        }
        let mut require = Require::new("foo");
        require
            .metadata(Metadata {
                foo: String::from("bar"),
            })
            .unwrap();
        assert_eq!(require.metadata["foo"].as_str(), Some("bar"));

        let error = require.metadata("not a table").unwrap_err();
        assert_eq!(error.to_string(), "Couldn't be serialized as a TOML Table.");
        // The failed call leaves the earlier metadata in place.
        assert_eq!(require.metadata["foo"].as_str(), Some("bar"));
    }
}
