//! Buildpack IDs.
//!
//! Models `[buildpack] id` of the spec's
//! [buildpack.toml](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#buildpacktoml-toml).

use crate::internals::bytes;
use crate::newtype::validated_name;

/// The ID of a buildpack, such as `heroku/ruby`.
///
/// The rules, checked in this order (see [`BuildpackIdRule`]):
///
/// - it is not empty;
/// - it is not `app`, `config` or `sbom`;
/// - it contains only ASCII letters and digits, `.`, `/` and `-`.
///
/// These are upstream libcnb's rules (its regex `^(?!(app|config|sbom)$)[[:alnum:]./-]+$`),
/// so `APP`, `a..b` and `/` are valid IDs. The lifecycle also reserves `generated`; like
/// upstream, this type accepts it.
///
/// Use the [`buildpack_id!`](crate::buildpack_id) macro for a literal, which is checked at
/// compile time. Parse any other string with [`str::parse`].
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::buildpack::{BuildpackId, BuildpackIdRule};
/// use libcnb_lite_data::buildpack_id;
///
/// let from_literal = buildpack_id!("heroku/jvm");
/// let from_dynamic: BuildpackId = "heroku/jvm".parse()?;
/// assert_eq!(from_dynamic, from_literal);
///
/// let error = "app".parse::<BuildpackId>().unwrap_err();
/// assert_eq!(error.rule(), Some(BuildpackIdRule::Reserved));
/// # Ok::<(), libcnb_lite_data::buildpack::BuildpackIdError>(())
/// ```
#[derive(Debug, Clone, Eq, PartialEq, Ord, PartialOrd, Hash, serde::Serialize)]
pub struct BuildpackId(String);

/// A rule that a [`BuildpackId`] must follow.
///
/// [`BuildpackIdError::rule`] says which one a string broke.
#[derive(Debug, Clone, Copy, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum BuildpackIdRule {
    /// The ID is empty.
    Empty,
    /// The ID is `app`, `config` or `sbom`.
    Reserved,
    /// The ID contains a character other than an ASCII letter or digit, `.`, `/` or `-`.
    InvalidCharacter,
}

impl BuildpackIdRule {
    /// Explains the rule, for error messages.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::Empty => "a buildpack id must not be empty",
            Self::Reserved => "`app`, `config` and `sbom` are reserved buildpack ids",
            Self::InvalidCharacter => {
                "a buildpack id may only contain ASCII letters and digits, `.`, `/` and `-`"
            }
        }
    }
}

impl BuildpackId {
    /// Checks `value` against the buildpack ID rules, without allocating.
    ///
    /// This is the one implementation behind [`buildpack_id!`](crate::buildpack_id) (at compile
    /// time), [`FromStr`](std::str::FromStr) and `Deserialize`.
    ///
    /// # Errors
    ///
    /// Returns the first [`BuildpackIdRule`] that `value` breaks.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite_data::buildpack::{BuildpackId, BuildpackIdRule};
    ///
    /// assert_eq!(BuildpackId::validate("heroku/ruby"), Ok(()));
    /// assert_eq!(BuildpackId::validate("heroku_ruby"), Err(BuildpackIdRule::InvalidCharacter));
    /// ```
    pub const fn validate(value: &str) -> Result<(), BuildpackIdRule> {
        let value = value.as_bytes();
        if value.is_empty() {
            return Err(BuildpackIdRule::Empty);
        }
        if bytes::is_one_of(value, &["app", "config", "sbom"]) {
            return Err(BuildpackIdRule::Reserved);
        }
        if !bytes::all_alphanumeric_or(value, b"./-") {
            return Err(BuildpackIdRule::InvalidCharacter);
        }
        Ok(())
    }
}

validated_name! {
    name: BuildpackId,
    error: BuildpackIdError,
    rule: BuildpackIdRule,
    what: "buildpack id",
    macro: "buildpack_id",
}

/// Constructs a [`BuildpackId`](crate::buildpack::BuildpackId) from a string literal, checked
/// at compile time.
///
/// An invalid literal is a compile error that names the rule it broke. The check is a
/// `const fn` ([`BuildpackId::validate`](crate::buildpack::BuildpackId::validate)), the same
/// one that `parse` uses.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::buildpack::BuildpackId;
/// use libcnb_lite_data::buildpack_id;
///
/// let id: BuildpackId = buildpack_id!("heroku/java");
/// assert_eq!(id.to_string(), "heroku/java");
/// ```
///
/// ```compile_fail
/// let id = libcnb_lite_data::buildpack_id!("heroku_java");
/// ```
#[macro_export]
macro_rules! buildpack_id {
    ($value:expr $(,)?) => {
        $crate::__validated_literal!($crate::buildpack::BuildpackId, $value)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_of(value: &str) -> BuildpackIdRule {
        value.parse::<BuildpackId>().unwrap_err().rule().unwrap()
    }

    #[test]
    fn valid() {
        for id in [
            "heroku/jvm",
            "Abc123./-",
            "app-foo",
            "foo-app",
            "APP",
            "a..b",
            "/",
            "generated",
        ] {
            assert_eq!(id.parse::<BuildpackId>().unwrap().as_str(), id);
        }
    }

    #[test]
    fn invalid() {
        assert_eq!(rule_of(""), BuildpackIdRule::Empty);
        assert_eq!(rule_of("app"), BuildpackIdRule::Reserved);
        assert_eq!(rule_of("config"), BuildpackIdRule::Reserved);
        assert_eq!(rule_of("sbom"), BuildpackIdRule::Reserved);
        for id in ["heroku_jvm", "heroku:jvm", "heroku jvm", "Füchse", "a\nb"] {
            assert_eq!(rule_of(id), BuildpackIdRule::InvalidCharacter, "{id}");
        }
    }

    #[test]
    fn error_display() {
        let error = "heroku_jvm".parse::<BuildpackId>().unwrap_err();
        assert_eq!(error.to_string(), "Invalid Value: heroku_jvm");
        assert_eq!(
            error.rule().unwrap().to_string(),
            "a buildpack id may only contain ASCII letters and digits, `.`, `/` and `-`"
        );
        let error = "config".parse::<BuildpackId>().unwrap_err();
        assert_eq!(error.to_string(), "Invalid Value: config");
        assert_eq!(
            error.rule().unwrap().to_string(),
            "`app`, `config` and `sbom` are reserved buildpack ids"
        );
    }

    #[test]
    fn macro_matches_parse() {
        assert_eq!(
            buildpack_id!("heroku/jvm"),
            "heroku/jvm".parse::<BuildpackId>().unwrap()
        );
    }
}
