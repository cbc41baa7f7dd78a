//! `build.toml`: plan entries a buildpack did not meet.
//!
//! Models the spec's
//! [build.toml](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#buildtoml-toml).
//! Upstream libcnb defines this type but never writes the file.

use serde::{Deserialize, Serialize};

/// The contents of `build.toml`.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::build::Build;
///
/// let build = Build { unmet: vec![String::from("node")] };
/// assert_eq!(toml::to_string(&build)?, "unmet = [\"node\"]\n");
/// # Ok::<(), toml::ser::Error>(())
/// ```
#[derive(Serialize, Deserialize, Debug, Clone, Default, Eq, PartialEq)]
pub struct Build {
    /// Names of buildpack plan entries this buildpack did not meet; they go on to the next
    /// buildpack that provides them.
    #[serde(default)]
    pub unmet: Vec<String>,
}
