//! The one rule for names that become a single file or directory name: layer names, exec.d
//! program names, process types in `env.launch/<process>/`.

use crate::internals::bytes;

/// Why a name is not a single path component; see [`check_path_component`].
#[derive(Debug, Clone, Copy, Eq, PartialEq, Hash)]
pub enum PathComponentRule {
    /// The name is empty.
    Empty,
    /// The name is `.` or `..`.
    DotComponent,
    /// The name contains `/` or `\`.
    PathSeparator,
    /// The name contains a NUL byte.
    Nul,
}

/// Checks that `name`, joined to a directory, names an entry directly inside that directory:
/// it is not empty, not `.` or `..`, and contains no `/`, no `\` (a separator on Windows, so
/// rejected on every platform) and no NUL byte.
///
/// This is the home of the rule: [`LayerName::validate`](crate::layer::LayerName::validate)
/// and libcnb-lite's checks of exec.d program names and process types all call it.
///
/// # Errors
///
/// The first rule, in the order above, that `name` breaks.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::internals::{PathComponentRule, check_path_component};
///
/// assert_eq!(check_path_component("web"), Ok(()));
/// assert_eq!(check_path_component("a.b"), Ok(()));
/// assert_eq!(check_path_component(".."), Err(PathComponentRule::DotComponent));
/// assert_eq!(check_path_component("../web"), Err(PathComponentRule::PathSeparator));
/// ```
pub const fn check_path_component(name: &str) -> Result<(), PathComponentRule> {
    let name = name.as_bytes();
    if name.is_empty() {
        return Err(PathComponentRule::Empty);
    }
    if bytes::is_one_of(name, &[".", ".."]) {
        return Err(PathComponentRule::DotComponent);
    }
    let mut index = 0;
    while index < name.len() {
        match name[index] {
            b'/' | b'\\' => return Err(PathComponentRule::PathSeparator),
            b'\0' => return Err(PathComponentRule::Nul),
            _ => {}
        }
        index += 1;
    }
    Ok(())
}

/// Whether `name` is a single path component ([`check_path_component`] passes).
#[must_use]
pub const fn is_path_component(name: &str) -> bool {
    check_path_component(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_normal_component_passes() {
        for name in ["web", "a.b", "...", ".hidden", "with space", "ü"] {
            assert_eq!(check_path_component(name), Ok(()), "{name:?}");
            assert!(is_path_component(name));
        }
    }

    #[test]
    fn each_rule_is_reported() {
        for (name, rule) in [
            ("", PathComponentRule::Empty),
            (".", PathComponentRule::DotComponent),
            ("..", PathComponentRule::DotComponent),
            ("../escape", PathComponentRule::PathSeparator),
            ("a/b", PathComponentRule::PathSeparator),
            ("a\\b", PathComponentRule::PathSeparator),
            ("a\0b", PathComponentRule::Nul),
        ] {
            assert_eq!(check_path_component(name), Err(rule), "{name:?}");
            assert!(!is_path_component(name));
        }
    }
}
