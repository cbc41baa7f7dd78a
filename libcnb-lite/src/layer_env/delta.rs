//! One part of a layer's env (one env directory) as entries, and how its modification rules
//! change a variable.

#[cfg(doc)]
use super::LayerEnv;
use crate::Env;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::Path;

/// How an env file changes its variable
/// ([CNB spec: Environment Variable Modification Rules](https://github.com/buildpacks/spec/blob/main/buildpack.md#environment-variable-modification-rules)).
///
/// Ordered as upstream libcnb applies them within one part of a [`LayerEnv`]:
/// `Append < Default < Delimiter < Override < Prepend`.
#[derive(Eq, PartialEq, Debug, Clone)]
pub enum ModificationBehavior {
    /// `<NAME>.append`: the previous value, the delimiter, then this value.
    Append,
    /// `<NAME>.default`: this value, if the variable isn't set.
    Default,
    /// `<NAME>.delim`: the delimiter for this variable's append and prepend.
    Delimiter,
    /// `<NAME>.override` (or `<NAME>`): this value, replacing the previous one.
    Override,
    /// `<NAME>.prepend`: this value, the delimiter, then the previous value.
    Prepend,
}

impl ModificationBehavior {
    #[inline]
    pub(super) fn file_suffix(&self) -> &'static str {
        match self {
            Self::Append => "append",
            Self::Default => "default",
            Self::Delimiter => "delim",
            Self::Override => "override",
            Self::Prepend => "prepend",
        }
    }

    #[inline]
    pub(super) fn from_file_suffix(suffix: &OsStr) -> Option<Self> {
        match suffix.to_str()? {
            "append" => Some(Self::Append),
            "default" => Some(Self::Default),
            "delim" => Some(Self::Delimiter),
            "override" => Some(Self::Override),
            "prepend" => Some(Self::Prepend),
            _ => None,
        }
    }

    #[inline]
    fn rank(&self) -> u8 {
        // Explicit, so that the declaration order of the variants doesn't define the apply order.
        match self {
            Self::Append => 0,
            Self::Default => 1,
            Self::Delimiter => 2,
            Self::Override => 3,
            Self::Prepend => 4,
        }
    }
}

impl Ord for ModificationBehavior {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for ModificationBehavior {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(unix)]
const PATH_LIST_SEPARATOR: &str = ":";
#[cfg(not(unix))]
const PATH_LIST_SEPARATOR: &str = ";";

/// One env directory's entries.
#[derive(Eq, PartialEq, Debug, Default, Clone)]
pub(super) struct LayerEnvDelta {
    pub(super) entries: BTreeMap<(ModificationBehavior, OsString), OsString>,
}

impl LayerEnvDelta {
    #[inline]
    pub(super) fn insert(
        &mut self,
        behavior: ModificationBehavior,
        name: OsString,
        value: OsString,
    ) {
        self.entries.insert((behavior, name), value);
    }

    #[inline]
    pub(super) fn insert_path_prepend(&mut self, name: &str, path: &Path) {
        self.insert(
            ModificationBehavior::Prepend,
            name.into(),
            path.as_os_str().to_owned(),
        );
        self.insert(
            ModificationBehavior::Delimiter,
            name.into(),
            PATH_LIST_SEPARATOR.into(),
        );
    }

    #[inline]
    pub(super) fn apply_in_place(&self, env: &mut Env) {
        for ((behavior, name), value) in &self.entries {
            match behavior {
                ModificationBehavior::Override => {
                    env.insert(name, value);
                }
                ModificationBehavior::Default => {
                    if !env.contains_key(name) {
                        env.insert(name, value);
                    }
                }
                ModificationBehavior::Append => {
                    let mut new_value = env.get(name).cloned().unwrap_or_default();
                    if !new_value.is_empty() {
                        new_value.push(self.delimiter_for(name));
                    }
                    new_value.push(value);
                    env.insert(name, new_value);
                }
                ModificationBehavior::Prepend => {
                    let mut new_value = value.clone();
                    if let Some(previous) = env.get(name).filter(|previous| !previous.is_empty()) {
                        new_value.push(self.delimiter_for(name));
                        new_value.push(previous);
                    }
                    env.insert(name, new_value);
                }
                ModificationBehavior::Delimiter => {}
            }
        }
    }

    #[inline]
    fn delimiter_for(&self, name: &OsString) -> &OsStr {
        self.entries
            .get(&(ModificationBehavior::Delimiter, name.clone()))
            .map_or(OsStr::new(""), OsString::as_os_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modification_behavior_order() {
        use ModificationBehavior::{Append, Default, Delimiter, Override, Prepend};
        let mut behaviors = vec![Prepend, Override, Delimiter, Default, Append];
        behaviors.sort();
        assert_eq!(behaviors, [Append, Default, Delimiter, Override, Prepend]);
    }
}
