//! The impls every validated name type shares.
//!
//! Each name type ([`LayerName`](crate::layer::LayerName),
//! [`BuildpackId`](crate::buildpack::BuildpackId), [`ProcessType`](crate::launch::ProcessType),
//! [`ExecDProgramOutputKey`](crate::exec_d::ExecDProgramOutputKey)) is written out in its own
//! module: the struct, its rule enum, its `const fn validate` and its literal macro. This macro
//! adds what is identical between them, so the one validator is used by the literal macro,
//! `FromStr` and `Deserialize` alike.

/// Implements the shared traits for a validated `String` newtype.
///
/// The type must be a tuple struct over `String` with an inherent
/// `const fn validate(&str) -> Result<(), $rule>`, and `$rule` must have an inherent
/// `const fn message(self) -> &'static str`.
macro_rules! validated_name {
    (
        name: $name:ident,
        error: $error:ident,
        rule: $rule:ident,
        what: $what:literal,
        macro: $macro_name:literal $(,)?
    ) => {
        impl $name {
            #[doc = concat!("Returns the ", $what, " as a string slice.")]
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $error;

            #[doc = concat!(
                "Parses a ", $what, ", checking the rules listed on [`", stringify!($rule), "`]."
            )]
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match Self::validate(value) {
                    Ok(()) => Ok(Self(String::from(value))),
                    Err(_) => Err($error::InvalidValue(String::from(value))),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer)?
                    .parse::<$name>()
                    .map_err(::serde::de::Error::custom)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, formatter: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                formatter.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        // Upstream libcnb-data offers these; kept so code written against it still compiles
        // (`id.replace('/', "_")`, `let name: &str = &layer_name;`).
        impl ::std::ops::Deref for $name {
            type Target = String;

            fn deref(&self) -> &String {
                &self.0
            }
        }

        impl AsRef<String> for $name {
            fn as_ref(&self) -> &String {
                &self.0
            }
        }

        impl ::std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl ::std::borrow::Borrow<String> for $name {
            fn borrow(&self) -> &String {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        #[doc = concat!("The error returned when a string is not a valid [`", stringify!($name), "`].")]
        ///
        /// Its shape is upstream libcnb-data's, so code that matches or constructs
        #[doc = concat!("`", stringify!($error), "::InvalidValue(value)` compiles against either.")]
        /// Its message is upstream's, `Invalid Value: <value>`. The rule that the value broke
        /// is a value of its own:
        #[doc = concat!("[`", stringify!($error), "::rule`]")]
        /// returns it, computed from the value by
        #[doc = concat!("[`", stringify!($name), "::validate`],")]
        /// and it prints as a sentence saying what is allowed.
        #[derive(::thiserror::Error, Debug, Clone, Eq, PartialEq)]
        pub enum $error {
            /// The rejected string.
            InvalidValue(String),
        }

        impl $error {
            /// The string that was rejected.
            #[must_use]
            pub fn value(&self) -> &str {
                match self {
                    Self::InvalidValue(value) => value,
                }
            }

            /// The rule that the string broke, the first one
            #[doc = concat!("[`", stringify!($name), "::validate`]")]
            /// finds.
            ///
            /// `None` only for an error constructed by hand around a string that follows every
            /// rule; parsing never returns one.
            #[must_use]
            pub fn rule(&self) -> Option<$rule> {
                $name::validate(self.value()).err()
            }
        }

        impl ::std::fmt::Display for $error {
            fn fmt(&self, formatter: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                // Upstream's text, byte for byte: buildpacks snapshot their error output.
                write!(formatter, "Invalid Value: {}", self.value())
            }
        }

        impl ::std::fmt::Display for $rule {
            fn fmt(&self, formatter: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                formatter.write_str(self.message())
            }
        }

        impl $crate::internals::ValidLiteral<$name> {
            /// What the type is called in error messages.
            pub const WHAT: &'static str = $what;

            #[doc = concat!("Validates a literal for [`", $macro_name, "`](crate::", $macro_name, ").")]
            ///
            /// # Errors
            ///
            /// Returns the rule that `value` broke.
            pub const fn new(value: &'static str) -> Result<Self, $rule> {
                match $name::validate(value) {
                    Ok(()) => Ok(Self::validated(value)),
                    Err(rule) => Err(rule),
                }
            }

            #[doc = concat!("Converts the validated literal into a [`", stringify!($name), "`].")]
            #[must_use]
            pub fn into_value(self) -> $name {
                $name(String::from(self.as_str()))
            }
        }
    };
}

pub(crate) use validated_name;
