//! Layer names.
//!
//! A layer is a directory `<layers>/<name>` next to its content metadata file
//! `<layers>/<name>.toml` (see the spec's
//! [Layers](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#layers) section).
//! [`LayerName`] is the validated `<name>`.

use crate::internals::bytes;
use crate::newtype::validated_name;
use crate::path_component::{self, PathComponentRule};

/// The name of a layer: a single, safe path component.
///
/// A layer name becomes a directory name under the buildpack's layers directory, so it must not
/// be able to point anywhere else. The rules, checked in this order (see [`LayerNameRule`]):
///
/// - it is not empty;
/// - it is not `build`, `launch` or `store`, which name the buildpack's own TOML files;
/// - it is not `.` or `..`;
/// - it contains no `/` or `\`, no line feed and no NUL byte.
///
/// Upstream libcnb only has the first two rules and the line feed, so it accepts `../../etc`;
/// libcnb-lite rejects it. Anything else the file system allows is accepted, including spaces
/// and dots (though the lifecycle takes the text before the first `.` when it matches SBOM and
/// env files, so a dot-free name is the safest choice).
///
/// Use the [`layer_name!`](crate::layer_name) macro for a literal, which is checked at compile
/// time. Parse any other string with [`str::parse`].
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::layer::{LayerName, LayerNameRule};
/// use libcnb_lite_data::layer_name;
///
/// let from_literal = layer_name!("gems");
/// let from_dynamic: LayerName = "gems".parse()?;
/// assert_eq!(from_dynamic, from_literal);
///
/// let error = "../etc".parse::<LayerName>().unwrap_err();
/// assert_eq!(error.rule(), Some(LayerNameRule::PathSeparator));
/// // The message is upstream libcnb-data's; the rule says what is allowed.
/// assert_eq!(error.to_string(), "Invalid Value: ../etc");
/// assert_eq!(
///     error.rule().map(|rule| rule.to_string()).as_deref(),
///     Some("a layer name must be a single path component, without `/` or `\\`")
/// );
/// # Ok::<(), libcnb_lite_data::layer::LayerNameError>(())
/// ```
#[derive(Debug, Clone, Eq, PartialEq, Ord, PartialOrd, Hash, serde::Serialize)]
pub struct LayerName(String);

/// A rule that a [`LayerName`] must follow.
///
/// [`LayerNameError::rule`] says which one a string broke.
#[derive(Debug, Clone, Copy, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum LayerNameRule {
    /// The name is empty.
    Empty,
    /// The name is `build`, `launch` or `store`.
    Reserved,
    /// The name is `.` or `..`.
    DotComponent,
    /// The name contains `/` or `\`.
    PathSeparator,
    /// The name contains a line feed.
    LineFeed,
    /// The name contains a NUL byte.
    Nul,
}

impl LayerNameRule {
    /// Explains the rule, for error messages.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::Empty => "a layer name must not be empty",
            Self::Reserved => {
                "`build`, `launch` and `store` are reserved for the buildpack's own TOML files"
            }
            Self::DotComponent => "a layer name must be a single path component, not `.` or `..`",
            Self::PathSeparator => {
                "a layer name must be a single path component, without `/` or `\\`"
            }
            Self::LineFeed => "a layer name must not contain a line feed",
            Self::Nul => "a layer name must not contain a NUL byte",
        }
    }
}

impl LayerName {
    /// Checks `value` against the layer name rules, without allocating.
    ///
    /// This is the one implementation behind [`layer_name!`](crate::layer_name) (at compile
    /// time), [`FromStr`](std::str::FromStr) and `Deserialize`.
    ///
    /// # Errors
    ///
    /// Returns the first [`LayerNameRule`] that `name` breaks.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite_data::layer::{LayerName, LayerNameRule};
    ///
    /// assert_eq!(LayerName::validate("node_modules"), Ok(()));
    /// assert_eq!(LayerName::validate(".."), Err(LayerNameRule::DotComponent));
    /// assert_eq!(LayerName::validate("launch"), Err(LayerNameRule::Reserved));
    /// ```
    pub const fn validate(name: &str) -> Result<(), LayerNameRule> {
        let value = name.as_bytes();
        if bytes::is_one_of(value, &["build", "launch", "store"]) {
            return Err(LayerNameRule::Reserved);
        }
        // Empty, `.`, `..`, separators and NUL: the rule every file name libcnb-lite writes
        // follows.
        match path_component::check_path_component(name) {
            Ok(()) => {}
            Err(PathComponentRule::Empty) => return Err(LayerNameRule::Empty),
            Err(PathComponentRule::DotComponent) => return Err(LayerNameRule::DotComponent),
            Err(PathComponentRule::PathSeparator) => return Err(LayerNameRule::PathSeparator),
            Err(PathComponentRule::Nul) => return Err(LayerNameRule::Nul),
        }
        if bytes::contains(value, b'\n') {
            return Err(LayerNameRule::LineFeed);
        }
        Ok(())
    }
}

validated_name! {
    name: LayerName,
    error: LayerNameError,
    rule: LayerNameRule,
    what: "layer name",
    macro: "layer_name",
}

/// Constructs a [`LayerName`](crate::layer::LayerName) from a string literal, checked at
/// compile time.
///
/// An invalid literal is a compile error that names the rule it broke, e.g.
/// ``invalid layer name `..`: a layer name must be a single path component, not `.` or `..` ``.
/// The check is a `const fn` ([`LayerName::validate`](crate::layer::LayerName::validate)), the
/// same one that `parse` uses.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::layer::LayerName;
/// use libcnb_lite_data::layer_name;
///
/// let name: LayerName = layer_name!("gems");
/// assert_eq!(name.as_str(), "gems");
/// ```
///
/// ```compile_fail
/// let name = libcnb_lite_data::layer_name!("..");
/// ```
#[macro_export]
macro_rules! layer_name {
    ($value:expr $(,)?) => {
        $crate::__validated_literal!($crate::layer::LayerName, $value)
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn rule_of(value: &str) -> LayerNameRule {
        value.parse::<LayerName>().unwrap_err().rule().unwrap()
    }

    #[test]
    fn accepts_what_upstream_accepts_that_is_a_single_component() {
        for name in [
            "gems",
            "Abc 123.-_!",
            "build-foo",
            "foo-build",
            "Build",
            "sbom",
            "env",
            "foo.toml",
            " ",
            "...",
            ".hidden",
            "a\rb",
            "Füchse",
        ] {
            assert_eq!(name.parse::<LayerName>().unwrap().as_str(), name);
        }
    }

    #[test]
    fn rejects_upstream_rules() {
        assert_eq!(rule_of(""), LayerNameRule::Empty);
        assert_eq!(rule_of("build"), LayerNameRule::Reserved);
        assert_eq!(rule_of("launch"), LayerNameRule::Reserved);
        assert_eq!(rule_of("store"), LayerNameRule::Reserved);
        assert_eq!(rule_of("foo\nbar"), LayerNameRule::LineFeed);
    }

    // Deliberate difference 1: upstream accepts all of these.
    #[test]
    fn rejects_path_traversal() {
        assert_eq!(rule_of("."), LayerNameRule::DotComponent);
        assert_eq!(rule_of(".."), LayerNameRule::DotComponent);
        assert_eq!(rule_of("../x"), LayerNameRule::PathSeparator);
        assert_eq!(rule_of("../../etc"), LayerNameRule::PathSeparator);
        assert_eq!(rule_of("a/b"), LayerNameRule::PathSeparator);
        assert_eq!(rule_of("/"), LayerNameRule::PathSeparator);
        assert_eq!(rule_of("a\\b"), LayerNameRule::PathSeparator);
        assert_eq!(rule_of("a\0b"), LayerNameRule::Nul);
    }

    #[test]
    fn error_display_names_value_and_rule() {
        let error = "../x".parse::<LayerName>().unwrap_err();
        assert_eq!(error.value(), "../x");
        assert_eq!(error.to_string(), "Invalid Value: ../x");
        let rule_text = |value: &str| {
            value
                .parse::<LayerName>()
                .unwrap_err()
                .rule()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            rule_text("../x"),
            "a layer name must be a single path component, without `/` or `\\`"
        );
        assert_eq!(
            "".parse::<LayerName>().unwrap_err().to_string(),
            "Invalid Value: "
        );
        assert_eq!(rule_text(""), "a layer name must not be empty");
        assert_eq!(
            rule_text("store"),
            "`build`, `launch` and `store` are reserved for the buildpack's own TOML files"
        );
        // Upstream's text prints the value as it is.
        assert_eq!(
            "a\nb".parse::<LayerName>().unwrap_err().to_string(),
            "Invalid Value: a\nb"
        );
        assert_eq!(
            rule_text("a\nb"),
            "a layer name must not contain a line feed"
        );
        assert_eq!(LayerNameRule::Nul.to_string(), LayerNameRule::Nul.message());
    }

    #[test]
    fn macro_builds_the_same_value_as_parse() {
        const NAME: &str = "from-a-const";
        assert_eq!(layer_name!("gems"), "gems".parse::<LayerName>().unwrap());
        assert_eq!(layer_name!(NAME).as_str(), NAME);
    }

    #[test]
    fn macro_accepts_constants_whatever_their_name() {
        const VALUE: &str = "value";
        const LITERAL: &str = "literal";
        const LAYER: &str = "layer";
        assert_eq!(layer_name!(VALUE).as_str(), "value");
        assert_eq!(layer_name!(LITERAL).as_str(), "literal");
        assert_eq!(layer_name!(LAYER).as_str(), "layer");
    }

    #[test]
    fn string_views() {
        let name = layer_name!("gems");
        assert_eq!(AsRef::<str>::as_ref(&name), "gems");
        assert_eq!(AsRef::<String>::as_ref(&name), "gems");
        assert_eq!(name.to_string(), "gems");
        assert_eq!(String::from(name.clone()), "gems");
        let set = BTreeSet::from([layer_name!("b"), layer_name!("a")]);
        assert!(set.contains("a"));
        assert_eq!(
            set.iter().map(LayerName::as_str).collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[test]
    fn serde_round_trip() {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct Holder {
            name: LayerName,
        }
        let holder = Holder {
            name: layer_name!("gems"),
        };
        let toml = toml::to_string(&holder).unwrap();
        assert_eq!(toml, "name = \"gems\"\n");
        assert_eq!(toml::from_str::<Holder>(&toml).unwrap(), holder);

        let error = toml::from_str::<Holder>("name = \"..\"").unwrap_err();
        assert!(error.to_string().contains("Invalid Value: .."), "{error}");
    }
}
