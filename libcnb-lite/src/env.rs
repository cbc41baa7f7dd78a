//! A snapshot of environment variables.

use std::collections::HashMap;
use std::collections::hash_map::Iter;
use std::env::VarsOs;
use std::ffi::{OsStr, OsString};

/// A set of environment variables, for example the platform's user-provided variables
/// ([`Platform::env`](crate::Platform::env)) or the result of applying a
/// [`LayerEnv`](crate::layer_env::LayerEnv).
///
/// Names and values are [`OsString`]s: environment variables don't have to be UTF-8.
///
/// # Examples
///
/// `&Env` iterates over `(name, value)` pairs, so it can be handed to
/// [`Command::envs`](std::process::Command::envs):
///
/// ```
/// use libcnb_lite::Env;
/// use std::process::Command;
///
/// # fn main() -> std::io::Result<()> {
/// let mut env = Env::new();
/// env.insert("GREETING", "hello");
///
/// # #[cfg(unix)] {
/// let output = Command::new("printenv").arg("GREETING").env_clear().envs(&env).output()?;
/// assert_eq!(output.stdout, b"hello\n");
/// # }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct Env {
    inner: HashMap<OsString, OsString>,
}

impl Env {
    /// Creates an `Env` holding a snapshot of the current process's environment.
    #[must_use]
    pub fn from_current() -> Self {
        std::env::vars_os().into()
    }

    /// Creates an empty `Env`.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`, replacing any previous value.
    pub fn insert(&mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> &mut Self {
        self.inner.insert(key.into(), value.into());
        self
    }

    /// Returns the value of `key`, if set.
    #[must_use]
    pub fn get(&self, key: impl AsRef<OsStr>) -> Option<&OsString> {
        self.inner.get(key.as_ref())
    }

    /// Returns the value of `key` as a `String`, replacing invalid UTF-8 with `U+FFFD`.
    #[must_use]
    pub fn get_string_lossy(&self, key: impl AsRef<OsStr>) -> Option<String> {
        self.get(key)
            .map(|value| value.to_string_lossy().into_owned())
    }

    /// Returns whether `key` is set (possibly to an empty value).
    #[must_use]
    pub fn contains_key(&self, key: impl AsRef<OsStr>) -> bool {
        self.inner.contains_key(key.as_ref())
    }

    /// Iterates over all `(name, value)` pairs, in no particular order.
    #[must_use]
    pub fn iter(&self) -> Iter<'_, OsString, OsString> {
        self.inner.iter()
    }
}

impl From<VarsOs> for Env {
    fn from(vars_os: VarsOs) -> Self {
        Self {
            inner: vars_os.collect(),
        }
    }
}

impl<'a> IntoIterator for &'a Env {
    type Item = (&'a OsString, &'a OsString);
    type IntoIter = Iter<'a, OsString, OsString>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_overwrites_and_reads_back() {
        let mut env = Env::new();
        env.insert("FOO", "FOO")
            .insert("FOO", "BAR")
            .insert("BAZ", "");

        assert_eq!(env.get("FOO"), Some(&OsString::from("BAR")));
        assert_eq!(env.get_string_lossy("FOO").as_deref(), Some("BAR"));
        assert!(env.contains_key("BAZ"));
        assert!(!env.contains_key("QUX"));
        assert_eq!(env.iter().count(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn works_with_command_envs() {
        let mut env = Env::new();
        env.insert("FOO", "BAR").insert("BAZ", "BLAH");

        let output = std::process::Command::new("printenv")
            .env_clear()
            .envs(&env)
            .output()
            .unwrap();

        let mut lines: Vec<_> = std::str::from_utf8(&output.stdout)
            .unwrap()
            .lines()
            .collect();
        lines.sort_unstable();
        assert_eq!(lines, ["BAZ=BLAH", "FOO=BAR"]);
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_values_are_kept() {
        use std::os::unix::ffi::OsStringExt;

        let mut env = Env::new();
        env.insert("RAW", OsString::from_vec(vec![0x66, 0xff]));

        assert_eq!(env.get("RAW").unwrap().as_encoded_bytes(), [0x66, 0xff]);
        assert_eq!(env.get_string_lossy("RAW").as_deref(), Some("f\u{fffd}"));
    }

    #[test]
    fn from_current_sees_the_process_environment() {
        // PATH is set for every test process cargo starts.
        assert_eq!(
            Env::from_current().get("PATH"),
            std::env::var_os("PATH").as_ref()
        );
    }
}
