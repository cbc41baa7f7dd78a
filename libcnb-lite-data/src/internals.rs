//! Support code for the literal macros ([`layer_name!`](crate::layer_name) and friends), and
//! the single-path-component rule that libcnb-lite shares with the layer name check.
//!
//! Macros expand in the caller's crate, so whatever they call must be public. Nothing here is
//! part of the stable API.

use std::marker::PhantomData;

pub use crate::path_component::{PathComponentRule, check_path_component, is_path_component};

/// A `&'static str` that passed the validation of the name type `T` during constant
/// evaluation.
///
/// The only way to get one is [`ValidLiteral::new`] (defined once per name type), which is a
/// `const fn` that validates. The literal macros evaluate it in a `const` item, so an invalid
/// literal fails the build, and a valid one becomes a `T` without a second check and without
/// any public "unchecked" constructor on `T` itself.
pub struct ValidLiteral<T> {
    value: &'static str,
    marker: PhantomData<fn() -> T>,
}

impl<T> ValidLiteral<T> {
    /// Wraps a value that the caller has just validated for `T`.
    pub(crate) const fn validated(value: &'static str) -> Self {
        Self {
            value,
            marker: PhantomData,
        }
    }

    /// The validated literal.
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        self.value
    }
}

impl<T> std::fmt::Debug for ValidLiteral<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ValidLiteral").field(&self.value).finish()
    }
}

/// Room for the fixed parts of a compile-time error message, on top of the literal itself.
const MESSAGE_OVERHEAD: usize = 256;

/// The buffer size [`LiteralError`] needs for a message about `value`.
#[must_use]
pub const fn message_capacity(value: &str) -> usize {
    value.len() + MESSAGE_OVERHEAD
}

/// The text of a compile-time error: "invalid {what} `{value}`: {rule}".
///
/// `format!` is not available in constant evaluation, so the message is copied into a fixed
/// buffer whose size the macro computes with [`message_capacity`].
#[derive(Debug)]
pub struct LiteralError<const N: usize> {
    buffer: [u8; N],
    len: usize,
}

impl<const N: usize> LiteralError<N> {
    /// Composes the message "invalid {what} `{value}`: {rule}".
    #[must_use]
    pub const fn new(what: &str, value: &str, rule: &str) -> Self {
        Self {
            buffer: [0; N],
            len: 0,
        }
        .push("invalid ")
        .push(what)
        .push(" `")
        .push(value)
        .push("`: ")
        .push(rule)
    }

    const fn push(mut self, text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut index = 0;
        // Truncates on overflow, which only drops the end of an over-long rule text: the
        // capacity always covers the literal.
        while index < bytes.len() && self.len < N {
            self.buffer[self.len] = bytes[index];
            self.len += 1;
            index += 1;
        }
        self
    }

    /// The composed message.
    #[must_use]
    pub const fn as_str(&self) -> &str {
        match std::str::from_utf8(self.buffer.split_at(self.len).0) {
            Ok(message) => message,
            Err(_) => "invalid literal",
        }
    }
}

/// Expands to a `T` built from a string literal that is validated at compile time.
///
/// Used by [`layer_name!`](crate::layer_name), [`buildpack_id!`](crate::buildpack_id),
/// [`process_type!`](crate::process_type) and
/// [`exec_d_program_output_key!`](crate::exec_d_program_output_key).
#[doc(hidden)]
#[macro_export]
macro_rules! __validated_literal {
    ($type:ty, $value:expr) => {{
        // Item names are not hygienic, so this one must not clash with a constant the caller
        // passes in as `$value`.
        const __LIBCNB_LITE_DATA_VALIDATED_LITERAL: $crate::internals::ValidLiteral<$type> =
            match $crate::internals::ValidLiteral::<$type>::new($value) {
                ::core::result::Result::Ok(literal) => literal,
                ::core::result::Result::Err(rule) => {
                    let error = $crate::internals::LiteralError::<
                        { $crate::internals::message_capacity($value) },
                    >::new(
                        $crate::internals::ValidLiteral::<$type>::WHAT,
                        $value,
                        rule.message(),
                    );
                    ::core::panic!("{}", error.as_str())
                }
            };
        __LIBCNB_LITE_DATA_VALIDATED_LITERAL.into_value()
    }};
}

/// Byte-level helpers for the `const fn` validators.
pub(crate) mod bytes {
    /// `a == b`, usable in constant evaluation.
    pub(crate) const fn equal(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let mut index = 0;
        while index < a.len() {
            if a[index] != b[index] {
                return false;
            }
            index += 1;
        }
        true
    }

    /// Whether `value` equals one of `candidates`.
    pub(crate) const fn is_one_of(value: &[u8], candidates: &[&str]) -> bool {
        let mut index = 0;
        while index < candidates.len() {
            if equal(value, candidates[index].as_bytes()) {
                return true;
            }
            index += 1;
        }
        false
    }

    /// Whether every byte of `value` is an ASCII letter, an ASCII digit or one of `extra`.
    pub(crate) const fn all_alphanumeric_or(value: &[u8], extra: &[u8]) -> bool {
        let mut index = 0;
        while index < value.len() {
            let byte = value[index];
            if !byte.is_ascii_alphanumeric() && !contains(extra, byte) {
                return false;
            }
            index += 1;
        }
        true
    }

    /// Whether `haystack` contains `needle`.
    pub(crate) const fn contains(haystack: &[u8], needle: u8) -> bool {
        let mut index = 0;
        while index < haystack.len() {
            if haystack[index] == needle {
                return true;
            }
            index += 1;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_error_message() {
        let error = LiteralError::<{ message_capacity("..") }>::new(
            "layer name",
            "..",
            "a layer name must be a single path component, not `.` or `..`",
        );
        assert_eq!(
            error.as_str(),
            "invalid layer name `..`: a layer name must be a single path component, not `.` or `..`"
        );
    }

    #[test]
    fn literal_error_truncates_instead_of_overflowing() {
        let error = LiteralError::<12>::new("layer name", "x", "rule");
        assert_eq!(error.as_str(), "invalid laye");
    }

    #[test]
    fn literal_error_never_splits_a_character_into_invalid_utf8() {
        // "invalid " is 8 bytes; 'ü' is 2 bytes and would be cut in half at 9.
        let error = LiteralError::<9>::new("ü", "", "");
        assert_eq!(error.as_str(), "invalid literal");
    }

    #[test]
    fn byte_helpers() {
        assert!(bytes::equal(b"abc", b"abc"));
        assert!(!bytes::equal(b"abc", b"abd"));
        assert!(!bytes::equal(b"abc", b"ab"));
        assert!(bytes::is_one_of(b"store", &["build", "store"]));
        assert!(!bytes::is_one_of(b"stor", &["build", "store"]));
        assert!(bytes::all_alphanumeric_or(b"Ab9-_", b"-_"));
        assert!(!bytes::all_alphanumeric_or(b"Ab9-_.", b"-_"));
        assert!(!bytes::all_alphanumeric_or("ü".as_bytes(), b"-_"));
    }
}
