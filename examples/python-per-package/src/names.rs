//! Distribution names: PEP 503 normalisation, which is also the key of a package's layer.

use std::fmt;

/// A distribution name normalised as PEP 503 says: runs of `-`, `_` and `.` become one `-`,
/// and letters are lower-cased (`Demo.Web` and `demo_web` are both `demo-web`).
///
/// pip's report gives the display name from a distribution's `METADATA`; two spellings of one
/// name must land in the same layer, so layers are keyed by this form. A valid distribution
/// name (PEP 508: ASCII letters and digits, with `-`, `_` or `.` inside) normalises to ASCII
/// lower-case letters, digits and single inner dashes: no dots, which matters because the
/// lifecycle splits SBOM and env file names at the first dot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct NormalizedName(String);

impl NormalizedName {
    /// Normalises `name`, or returns `None` if it isn't a valid distribution name (empty, a
    /// character other than ASCII letters, digits, `-`, `_` and `.`, or a separator at
    /// either end).
    pub(crate) fn new(name: &str) -> Option<Self> {
        let valid_chars = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        let starts_and_ends_alphanumeric = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && name
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        if !valid_chars || !starts_and_ends_alphanumeric {
            return None;
        }

        let mut normalized = String::with_capacity(name.len());
        for c in name.chars() {
            if matches!(c, '-' | '_' | '.') {
                if !normalized.ends_with('-') {
                    normalized.push('-');
                }
            } else {
                normalized.push(c.to_ascii_lowercase());
            }
        }
        Some(Self(normalized))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NormalizedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::NormalizedName;

    fn normalize(name: &str) -> Option<String> {
        NormalizedName::new(name).map(|name| name.as_str().to_string())
    }

    #[test]
    fn normalises_like_pep_503() {
        assert_eq!(normalize("Demo.Web").as_deref(), Some("demo-web"));
        assert_eq!(
            normalize("demo_json_tools").as_deref(),
            Some("demo-json-tools")
        );
        assert_eq!(normalize("DEMO-CLI").as_deref(), Some("demo-cli"));
        assert_eq!(normalize("demo.ns-alpha").as_deref(), Some("demo-ns-alpha"));
        assert_eq!(normalize("a-_.-b").as_deref(), Some("a-b"));
        assert_eq!(normalize("x").as_deref(), Some("x"));
    }

    #[test]
    fn rejects_what_is_not_a_distribution_name() {
        for name in [
            "", "-demo", "demo_", ".", "demo web", "démo", "demo/web", "../x",
        ] {
            assert_eq!(normalize(name), None, "{name:?}");
        }
    }
}
