//! Environment variable changes made by a layer, in memory and on disk.
//!
//! A layer changes the environment of later buildpacks and of the launched app through files in
//! its `env/`, `env.build/`, `env.launch/` and `env.launch/<process>/` directories, and
//! implicitly through its `bin/`, `lib/`, `include/` and `pkgconfig/` directories
//! ([CNB spec: Environment](https://github.com/buildpacks/spec/blob/main/buildpack.md#environment)).
//! [`LayerEnv`] is that delta as a value: build it with [`LayerEnv::insert`], apply it to an
//! [`Env`] with [`LayerEnv::apply`], and read or write it with
//! [`LayerEnv::read_from_layer_dir`] and [`LayerEnv::write_to_layer_dir`].
//!
//! # Example: what a layer puts on `PATH`
//!
//! ```
//! use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
//! use libcnb_lite::Env;
//! use std::fs;
//!
//! # fn main() -> std::io::Result<()> {
//! # let temp_dir = tempfile::tempdir()?;
//! let layer_dir = temp_dir.path().join("python");
//! fs::create_dir_all(layer_dir.join("bin"))?;
//!
//! // The buildpack also puts a tool directory in front of PATH for the build only.
//! LayerEnv::new()
//!     .chainable_insert(Scope::Build, ModificationBehavior::Prepend, "PATH", "/opt/tools")
//!     .chainable_insert(Scope::Build, ModificationBehavior::Delimiter, "PATH", ":")
//!     .write_to_layer_dir(&layer_dir)?;
//! assert_eq!(fs::read_to_string(layer_dir.join("env.build/PATH.prepend"))?, "/opt/tools");
//!
//! let layer_env = LayerEnv::read_from_layer_dir(&layer_dir)?;
//! let mut env = Env::new();
//! env.insert("PATH", "/usr/bin");
//!
//! // Like the lifecycle: the layer's bin/ first, then env.build/ on top of it.
//! let bin = layer_dir.join("bin");
//! assert_eq!(
//!     layer_env.apply(Scope::Build, &env).get_string_lossy("PATH"),
//!     Some(format!("/opt/tools:{}:/usr/bin", bin.display()))
//! );
//! // At launch only bin/ applies.
//! assert_eq!(
//!     layer_env.apply(Scope::Launch, &env).get_string_lossy("PATH"),
//!     Some(format!("{}:/usr/bin", bin.display()))
//! );
//! # Ok(())
//! # }
//! ```

// Compile time: every non-generic function of this module and its submodules is `#[inline]`,
// so its code is generated only in a buildpack that calls it; one that doesn't use `LayerEnv`
// doesn't compile it. `.ci/check-inline.sh` fails if libcnb-lite's own release build defines any of it.

mod delta;
mod files;

pub use delta::ModificationBehavior;

use crate::Env;
use delta::LayerEnvDelta;
use std::collections::HashMap;
use std::ffi::OsString;

/// The environment variable changes of a layer.
///
/// Mirrors upstream libcnb 0.30's `LayerEnv`, including the apply order of libcnb 0.29.1
/// (the implicit layer paths come first, so that a layer's own `PATH` prepend lands in front of
/// its `bin/`, as with the lifecycle), and additionally reads `env.launch/<process>/`
/// directories into [`Scope::Process`] instead of failing.
///
/// # Applying
///
/// [`apply`](Self::apply) folds these parts over the given [`Env`], in order:
///
/// | scope | parts |
/// |---|---|
/// | [`Scope::All`] | `env/` |
/// | [`Scope::Build`] | implicit build paths, `env/`, `env.build/` |
/// | [`Scope::Launch`] | implicit launch paths, `env/`, `env.launch/` |
/// | [`Scope::Process`] | `env/`, `env.launch/<process>/` |
///
/// `Scope::Process(p)` is upstream's: it has neither `env.launch/` nor the implicit launch
/// paths, so it isn't what process `p` is launched with. The launcher applies the implicit
/// paths, `env/`, `env.launch/` and `env.launch/<p>/`; see [`Scope::Process`] for how to get
/// that.
///
/// Within one part, entries apply in [`ModificationBehavior`] order (append, default,
/// override, prepend), then by name. Append and prepend use the part's delimiter for that name
/// (none if unset), and only when the previous value is non-empty.
///
/// # Implicit entries
///
/// [`read_from_layer_dir`](Self::read_from_layer_dir) adds, for each of the layer's directories
/// that exists, a prepend with the platform's path separator:
///
/// | directory | build | launch |
/// |---|---|---|
/// | `bin/` | `PATH` | `PATH` |
/// | `lib/` | `LIBRARY_PATH`, `LD_LIBRARY_PATH` | `LD_LIBRARY_PATH` |
/// | `include/` | `CPATH` | |
/// | `pkgconfig/` | `PKG_CONFIG_PATH` | |
///
/// These entries are never written back by [`write_to_layer_dir`](Self::write_to_layer_dir):
/// the directories themselves are the record.
///
/// # Examples
///
/// ```
/// use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
/// use libcnb_lite::Env;
///
/// let mut layer_env = LayerEnv::new();
/// layer_env.insert(Scope::All, ModificationBehavior::Append, "VAR", "bar");
/// layer_env.insert(Scope::All, ModificationBehavior::Default, "VAR2", "default");
///
/// let mut env = Env::new();
/// env.insert("VAR", "foo");
/// env.insert("VAR2", "previous-value");
///
/// let modified_env = layer_env.apply(Scope::Build, &env);
/// assert_eq!(modified_env.get("VAR").unwrap(), "foobar");
/// assert_eq!(modified_env.get("VAR2").unwrap(), "previous-value");
/// ```
#[derive(Eq, PartialEq, Debug, Default, Clone)]
pub struct LayerEnv {
    all: LayerEnvDelta,
    build: LayerEnvDelta,
    launch: LayerEnvDelta,
    process: HashMap<String, LayerEnvDelta>,
    // The implicit `bin/`, `lib/`... entries; only set by `read_from_layer_dir`.
    layer_paths_build: LayerEnvDelta,
    layer_paths_launch: LayerEnvDelta,
}

impl LayerEnv {
    /// Creates a `LayerEnv` that changes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::layer_env::{LayerEnv, Scope};
    /// use libcnb_lite::Env;
    ///
    /// let mut env = Env::new();
    /// env.insert("PATH", "/usr/bin");
    /// assert_eq!(LayerEnv::new().apply(Scope::Build, &env), env);
    /// ```
    #[must_use]
    #[inline]
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies this delta for `scope` to a copy of `env` and returns the result; see the
    /// [type docs](Self#applying) for the order.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
    /// use libcnb_lite::Env;
    ///
    /// let layer_env = LayerEnv::new()
    ///     .chainable_insert(Scope::All, ModificationBehavior::Override, "MODE", "all")
    ///     .chainable_insert(Scope::Build, ModificationBehavior::Override, "MODE", "build");
    ///
    /// assert_eq!(layer_env.apply(Scope::Build, &Env::new()).get("MODE").unwrap(), "build");
    /// assert_eq!(layer_env.apply(Scope::Launch, &Env::new()).get("MODE").unwrap(), "all");
    /// ```
    #[must_use]
    #[inline]
    pub fn apply(&self, scope: Scope, env: &Env) -> Env {
        let deltas: Vec<&LayerEnvDelta> = match scope {
            Scope::All => vec![&self.all],
            Scope::Build => vec![&self.layer_paths_build, &self.all, &self.build],
            Scope::Launch => vec![&self.layer_paths_launch, &self.all, &self.launch],
            Scope::Process(process) => {
                let mut deltas = vec![&self.all];
                deltas.extend(self.process.get(&process));
                deltas
            }
        };

        let mut result = env.clone();
        for delta in deltas {
            delta.apply_in_place(&mut result);
        }
        result
    }

    /// Applies this delta for `scope` to an empty [`Env`].
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
    ///
    /// let layer_env = LayerEnv::new()
    ///     .chainable_insert(Scope::All, ModificationBehavior::Append, "JAVA_OPTS", "-Xmx1G");
    /// assert_eq!(layer_env.apply_to_empty(Scope::All).get("JAVA_OPTS").unwrap(), "-Xmx1G");
    /// ```
    #[must_use]
    #[inline]
    pub fn apply_to_empty(&self, scope: Scope) -> Env {
        self.apply(scope, &Env::new())
    }

    /// Adds an entry, replacing any entry with the same scope, behavior and name.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
    ///
    /// let mut layer_env = LayerEnv::new();
    /// layer_env.insert(Scope::All, ModificationBehavior::Default, "VAR", "hello");
    /// // "foo" is replaced by "bar":
    /// layer_env.insert(Scope::All, ModificationBehavior::Append, "VAR2", "foo");
    /// layer_env.insert(Scope::All, ModificationBehavior::Append, "VAR2", "bar");
    ///
    /// let env = layer_env.apply_to_empty(Scope::Build);
    /// assert_eq!(env.get("VAR").unwrap(), "hello");
    /// assert_eq!(env.get("VAR2").unwrap(), "bar");
    /// ```
    pub fn insert(
        &mut self,
        scope: Scope,
        modification_behavior: ModificationBehavior,
        name: impl Into<OsString>,
        value: impl Into<OsString>,
    ) {
        let delta = match scope {
            Scope::All => &mut self.all,
            Scope::Build => &mut self.build,
            Scope::Launch => &mut self.launch,
            Scope::Process(process) => self.process.entry(process).or_default(),
        };
        delta.insert(modification_behavior, name.into(), value.into());
    }

    /// [`insert`](Self::insert) for building a `LayerEnv` in one expression.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
    ///
    /// let layer_env = LayerEnv::new()
    ///     .chainable_insert(Scope::All, ModificationBehavior::Default, "VAR", "hello")
    ///     .chainable_insert(Scope::All, ModificationBehavior::Append, "VAR2", "bar");
    ///
    /// let env = layer_env.apply_to_empty(Scope::Build);
    /// assert_eq!(env.get("VAR").unwrap(), "hello");
    /// assert_eq!(env.get("VAR2").unwrap(), "bar");
    /// ```
    #[must_use]
    pub fn chainable_insert(
        mut self,
        scope: Scope,
        modification_behavior: ModificationBehavior,
        name: impl Into<OsString>,
        value: impl Into<OsString>,
    ) -> Self {
        self.insert(scope, modification_behavior, name, value);
        self
    }
}

/// Where an env change applies.
#[derive(Eq, PartialEq, Debug, Clone)]
pub enum Scope {
    /// Build and launch (`env/`).
    All,
    /// Later buildpacks' builds (`env.build/`).
    Build,
    /// Every launched process (`env.launch/`).
    Launch,
    /// Only the launched process of this type (`env.launch/<process>/`).
    ///
    /// When [applying](LayerEnv::apply), `Process(p)` applies `env/` and then
    /// `env.launch/<p>/`, but not `env.launch/` nor the implicit `bin/` and `lib/` paths
    /// (upstream libcnb's semantics). The launcher gives process `p` all of them, so a
    /// process's full launch env is [`Launch`](Self::Launch) and then `Process(p)` applied on
    /// top. That applies `env/` twice, which changes nothing for override and default entries,
    /// but repeats an append or prepend in `env/`: give `Scope::All` only overrides and
    /// defaults if you compute launch envs this way.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
    ///
    /// let web_process = Scope::Process("web".into());
    /// let layer_env = LayerEnv::new()
    ///     .chainable_insert(Scope::All, ModificationBehavior::Default, "LANG", "C.UTF-8")
    ///     .chainable_insert(Scope::Launch, ModificationBehavior::Override, "PORT", "5000")
    ///     .chainable_insert(web_process.clone(), ModificationBehavior::Override, "THREADS", "4");
    ///
    /// // `Process` alone misses `env.launch/`:
    /// let web = layer_env.apply_to_empty(web_process.clone());
    /// assert_eq!(web.get("PORT"), None);
    ///
    /// // What the launcher gives `web`: `Launch`, then `Process("web")`.
    /// let launch = layer_env.apply_to_empty(Scope::Launch);
    /// let web = layer_env.apply(web_process.clone(), &launch);
    /// assert_eq!(web.get("LANG").unwrap(), "C.UTF-8");
    /// assert_eq!(web.get("PORT").unwrap(), "5000");
    /// assert_eq!(web.get("THREADS").unwrap(), "4");
    ///
    /// // An append in `env/` would be applied twice that way.
    /// let appending = LayerEnv::new()
    ///     .chainable_insert(Scope::All, ModificationBehavior::Append, "OPTS", "-v");
    /// let launch = appending.apply_to_empty(Scope::Launch);
    /// let web = appending.apply(web_process, &launch);
    /// assert_eq!(web.get("OPTS").unwrap(), "-v-v");
    /// ```
    Process(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn env(pairs: &[(&str, &str)]) -> Env {
        let mut env = Env::new();
        for (name, value) in pairs {
            env.insert(name, value);
        }
        env
    }

    pub(super) fn get(env: &Env, name: &str) -> Option<String> {
        env.get_string_lossy(name)
    }

    // Apply order within and across parts (upstream semantics).

    #[test]
    fn behaviours_apply_in_order_within_one_part() {
        // Append, Default, Override, Prepend: the override wins over the append, the prepend
        // goes in front of the override.
        let layer_env = LayerEnv::new()
            .chainable_insert(Scope::All, ModificationBehavior::Override, "V", "ov")
            .chainable_insert(Scope::All, ModificationBehavior::Append, "V", "ap")
            .chainable_insert(Scope::All, ModificationBehavior::Prepend, "V", "pre")
            .chainable_insert(Scope::All, ModificationBehavior::Default, "W", "def")
            .chainable_insert(Scope::All, ModificationBehavior::Append, "W", "ap");

        let result = layer_env.apply(Scope::All, &env(&[("V", "orig")]));

        assert_eq!(get(&result, "V").as_deref(), Some("preov"));
        assert_eq!(get(&result, "W").as_deref(), Some("ap"));
    }

    #[test]
    fn scope_specific_parts_apply_after_env() {
        let layer_env = LayerEnv::new()
            .chainable_insert(
                Scope::All,
                ModificationBehavior::Override,
                "JAVA_TOOL_OPTIONS",
                "-Xmx1G",
            )
            .chainable_insert(
                Scope::Build,
                ModificationBehavior::Override,
                "JAVA_TOOL_OPTIONS",
                "-Xmx2G",
            )
            .chainable_insert(
                Scope::Launch,
                ModificationBehavior::Append,
                "JAVA_TOOL_OPTIONS",
                "-XX:+UseSerialGC",
            );

        assert_eq!(
            get(&layer_env.apply_to_empty(Scope::Build), "JAVA_TOOL_OPTIONS").as_deref(),
            Some("-Xmx2G")
        );
        assert_eq!(
            get(
                &layer_env.apply_to_empty(Scope::Launch),
                "JAVA_TOOL_OPTIONS"
            )
            .as_deref(),
            Some("-Xmx1G-XX:+UseSerialGC")
        );
    }

    #[test]
    fn equality_ignores_insertion_order() {
        let a = LayerEnv::new()
            .chainable_insert(Scope::All, ModificationBehavior::Default, "A", "1")
            .chainable_insert(Scope::Build, ModificationBehavior::Append, "B", "2");
        let b = LayerEnv::new()
            .chainable_insert(Scope::Build, ModificationBehavior::Append, "B", "2")
            .chainable_insert(Scope::All, ModificationBehavior::Default, "A", "1");
        assert_eq!(a, b);
    }
}
