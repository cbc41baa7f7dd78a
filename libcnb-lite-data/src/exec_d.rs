//! The output of an exec.d program.
//!
//! Models the spec's [exec.d](https://github.com/buildpacks/spec/blob/buildpack/v0.10/buildpack.md#execd)
//! output: a flat TOML table of environment variables that the program writes to file
//! descriptor 3 before the app starts.

use crate::internals::bytes;
use crate::newtype::validated_name;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What an exec.d program writes: environment variable names and their values.
///
/// Serializes as a flat TOML table.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::exec_d::ExecDProgramOutput;
/// use libcnb_lite_data::exec_d_program_output_key;
///
/// let output = ExecDProgramOutput::from([(exec_d_program_output_key!("PORT"), "8080")]);
/// assert_eq!(toml::to_string(&output)?, "PORT = \"8080\"\n");
/// # Ok::<(), toml::ser::Error>(())
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, Default, Eq, PartialEq)]
pub struct ExecDProgramOutput(HashMap<ExecDProgramOutputKey, String>);

impl ExecDProgramOutput {
    /// Wraps a map of variable names to values.
    #[must_use]
    pub fn new(map: HashMap<ExecDProgramOutputKey, String>) -> Self {
        Self(map)
    }
}

impl<K: Into<ExecDProgramOutputKey>, V: Into<String>, A: IntoIterator<Item = (K, V)>> From<A>
    for ExecDProgramOutput
{
    fn from(a: A) -> Self {
        Self(
            a.into_iter()
                .map(|(key, value)| (key.into(), value.into()))
                .collect(),
        )
    }
}

/// A key of exec.d program output: an environment variable name.
///
/// It is not empty and contains only ASCII letters and digits, `_` and `-` (see
/// [`ExecDProgramOutputKeyRule`]).
///
/// Use the [`exec_d_program_output_key!`](crate::exec_d_program_output_key) macro for a
/// literal, which is checked at compile time. Parse any other string with [`str::parse`].
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::exec_d::ExecDProgramOutputKey;
/// use libcnb_lite_data::exec_d_program_output_key;
///
/// let from_literal = exec_d_program_output_key!("ENV_VAR");
/// let from_dynamic: ExecDProgramOutputKey = "ENV_VAR".parse()?;
/// assert_eq!(from_dynamic, from_literal);
/// assert!("ENV.VAR".parse::<ExecDProgramOutputKey>().is_err());
/// # Ok::<(), libcnb_lite_data::exec_d::ExecDProgramOutputKeyError>(())
/// ```
#[derive(Debug, Clone, Eq, PartialEq, Ord, PartialOrd, Hash, Serialize)]
pub struct ExecDProgramOutputKey(String);

/// A rule that an [`ExecDProgramOutputKey`] must follow.
///
/// [`ExecDProgramOutputKeyError::rule`] says which one a string broke.
#[derive(Debug, Clone, Copy, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum ExecDProgramOutputKeyRule {
    /// The key is empty.
    Empty,
    /// The key contains a character other than an ASCII letter or digit, `_` or `-`.
    InvalidCharacter,
}

impl ExecDProgramOutputKeyRule {
    /// Explains the rule, for error messages.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::Empty => "an exec.d output key must not be empty",
            Self::InvalidCharacter => {
                "an exec.d output key may only contain ASCII letters and digits, `_` and `-`"
            }
        }
    }
}

impl ExecDProgramOutputKey {
    /// Checks `value` against the exec.d output key rules, without allocating.
    ///
    /// This is the one implementation behind
    /// [`exec_d_program_output_key!`](crate::exec_d_program_output_key) (at compile time),
    /// [`FromStr`](std::str::FromStr) and `Deserialize`.
    ///
    /// # Errors
    ///
    /// Returns the first [`ExecDProgramOutputKeyRule`] that `value` breaks.
    pub const fn validate(value: &str) -> Result<(), ExecDProgramOutputKeyRule> {
        let value = value.as_bytes();
        if value.is_empty() {
            return Err(ExecDProgramOutputKeyRule::Empty);
        }
        if !bytes::all_alphanumeric_or(value, b"_-") {
            return Err(ExecDProgramOutputKeyRule::InvalidCharacter);
        }
        Ok(())
    }
}

validated_name! {
    name: ExecDProgramOutputKey,
    error: ExecDProgramOutputKeyError,
    rule: ExecDProgramOutputKeyRule,
    what: "exec.d output key",
    macro: "exec_d_program_output_key",
}

/// Constructs an [`ExecDProgramOutputKey`](crate::exec_d::ExecDProgramOutputKey) from a string
/// literal, checked at compile time.
///
/// An invalid literal is a compile error that names the rule it broke. The check is a
/// `const fn` ([`ExecDProgramOutputKey::validate`](crate::exec_d::ExecDProgramOutputKey::validate)),
/// the same one that `parse` uses.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::exec_d::ExecDProgramOutputKey;
/// use libcnb_lite_data::exec_d_program_output_key;
///
/// let key: ExecDProgramOutputKey = exec_d_program_output_key!("PATH");
/// assert_eq!(key.as_str(), "PATH");
/// ```
///
/// ```compile_fail
/// let key = libcnb_lite_data::exec_d_program_output_key!("MY.VAR");
/// ```
#[macro_export]
macro_rules! exec_d_program_output_key {
    ($value:expr $(,)?) => {
        $crate::__validated_literal!($crate::exec_d::ExecDProgramOutputKey, $value)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_keys() {
        for key in [
            "FOO", "foo", "FOO_BAR", "foo_bar", "123", "FOO-bar", "foo-BAR",
        ] {
            assert!(key.parse::<ExecDProgramOutputKey>().is_ok(), "{key}");
        }
    }

    #[test]
    fn invalid_keys() {
        for key in ["FOO BAR", "FOO.BAR", "FOO/BAR", "FÜCHSCHEN", "🦊", "A=B"] {
            assert_eq!(
                key.parse::<ExecDProgramOutputKey>().unwrap_err().rule(),
                Some(ExecDProgramOutputKeyRule::InvalidCharacter),
                "{key}"
            );
        }
        let error = "".parse::<ExecDProgramOutputKey>().unwrap_err();
        assert_eq!(error.rule(), Some(ExecDProgramOutputKeyRule::Empty));
        assert_eq!(error.to_string(), "Invalid Value: ");
        assert_eq!(
            error.rule().unwrap().to_string(),
            "an exec.d output key must not be empty"
        );
    }

    #[test]
    fn output_serializes_as_a_flat_table() {
        let output = ExecDProgramOutput::new(HashMap::from([
            (
                exec_d_program_output_key!("PATH"),
                String::from("/layer/bin"),
            ),
            (exec_d_program_output_key!("LANG"), String::from("C.UTF-8")),
        ]));
        let toml = toml::to_string(&output).unwrap();
        let table = toml::from_str::<toml::Table>(&toml).unwrap();
        assert_eq!(table.len(), 2);
        assert_eq!(table["PATH"].as_str(), Some("/layer/bin"));
        assert_eq!(table["LANG"].as_str(), Some("C.UTF-8"));
        assert_eq!(toml::from_str::<ExecDProgramOutput>(&toml).unwrap(), output);
    }

    #[test]
    fn output_rejects_invalid_keys_when_read() {
        assert!(toml::from_str::<ExecDProgramOutput>("\"A.B\" = \"x\"").is_err());
    }
}
