//! Legacy stacks.
//!
//! Models `[[stacks]]` of the spec's
//! [buildpack.toml](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#buildpacktoml-toml).
//! Stacks are deprecated since Buildpack API 0.10 in favour of
//! [targets](crate::buildpack::BuildpackTarget), and libcnb ignores them, but buildpack.toml
//! files may still declare them.

use serde::Deserialize;

/// A stack a buildpack declares support for (deprecated by the spec).
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::buildpack::Stack;
///
/// let stack: Stack = toml::from_str(r#"
/// id = "io.buildpacks.stacks.jammy"
/// mixins = ["build:jq"]
/// "#)?;
/// assert_eq!(stack.mixins, ["build:jq"]);
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Deserialize, Debug, Eq, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// The stack ID; `*` means any stack.
    pub id: String,
    /// Mixins the buildpack needs on the stack.
    #[serde(default)]
    pub mixins: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_mixins() {
        assert_eq!(
            toml::from_str::<Stack>("id = \"heroku-20\""),
            Ok(Stack {
                id: String::from("heroku-20"),
                mixins: Vec::new()
            })
        );
    }

    #[test]
    fn with_mixins_and_any_stack() {
        assert_eq!(
            toml::from_str::<Stack>(
                "id = \"io.buildpacks.stacks.focal\"\nmixins = [\"build:jq\", \"wget\"]"
            ),
            Ok(Stack {
                id: String::from("io.buildpacks.stacks.focal"),
                mixins: vec![String::from("build:jq"), String::from("wget")]
            })
        );
        assert_eq!(toml::from_str::<Stack>("id = \"*\"").unwrap().id, "*");
    }

    #[test]
    fn unknown_key_is_rejected() {
        assert!(toml::from_str::<Stack>("id = \"x\"\nfoo = 1").is_err());
    }
}
