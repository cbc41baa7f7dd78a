//! The environment the lifecycle gives buildpacks: the allowlisted base env
//! ([`env/build.go`](https://github.com/buildpacks/lifecycle/blob/main/env/build.go)), layer root dirs
//! ([spec: Layer Paths](https://github.com/buildpacks/spec/blob/main/buildpack.md#layer-paths)) and env-file rules
//! ([spec: Environment Variable Modification Rules](https://github.com/buildpacks/spec/blob/main/buildpack.md#environment-variable-modification-rules)),
//! and the platform and build-config overrides
//! ([platform spec: User-Provided Variables](https://github.com/buildpacks/spec/blob/main/platform.md#user-provided-variables),
//! [Operator-Defined Variables](https://github.com/buildpacks/spec/blob/main/platform.md#operator-defined-variables)).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use crate::buildpack::Buildpack;
use crate::config::Target;

/// Variables the lifecycle copies from its own env into the base env; all others are dropped.
pub(crate) const BASE_ENV_ALLOWLIST: [&str; 14] = [
    "CNB_STACK_ID",
    "HOSTNAME",
    "HOME",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "PATH",
    "LD_LIBRARY_PATH",
    "LIBRARY_PATH",
    "CPATH",
    "PKG_CONFIG_PATH",
];

/// The five path variables: platform env files prepend to them instead of overriding.
pub(crate) const PATH_VARIABLES: [&str; 5] = [
    "PATH",
    "LD_LIBRARY_PATH",
    "LIBRARY_PATH",
    "CPATH",
    "PKG_CONFIG_PATH",
];

/// Which phase's root-dir rules apply when a layer is put on the env.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootDirRules {
    /// Build: `bin` → `PATH`, `lib` → `LD_LIBRARY_PATH` and `LIBRARY_PATH`,
    /// `include` → `CPATH`, `pkgconfig` → `PKG_CONFIG_PATH`.
    Build,
    /// Launch: only `bin` → `PATH` and `lib` → `LD_LIBRARY_PATH`.
    Launch,
}

/// The action an env file without a suffix performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefaultAction {
    /// Layer env dirs: an un-suffixed file overrides.
    Override,
    /// The build-config env dir: an un-suffixed file sets a default.
    Default,
}

/// Reading an env dir failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot read env dir entry {path}")]
pub struct ReadEnvDirError {
    /// The file or dir that could not be read.
    pub path: PathBuf,
    /// The underlying I/O error.
    pub source: io::Error,
}

/// An ordered set of environment variables, as the lifecycle passes them to a process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Env {
    vars: BTreeMap<OsString, OsString>,
}

impl Env {
    /// An empty env.
    #[must_use]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The lifecycle's base env: the given variables filtered to [`BASE_ENV_ALLOWLIST`].
    #[must_use]
    pub(crate) fn from_allowlist(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        let vars = vars
            .into_iter()
            .filter(|(name, _)| BASE_ENV_ALLOWLIST.iter().any(|allowed| name == *allowed))
            .collect();
        Self { vars }
    }

    /// The base env built from this process's env, as the lifecycle builds it from its own.
    #[must_use]
    pub(crate) fn from_current_process() -> Self {
        Self::from_allowlist(std::env::vars_os())
    }

    /// The value of `name`, if set.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn get(&self, name: impl AsRef<OsStr>) -> Option<&OsStr> {
        self.vars.get(name.as_ref()).map(OsString::as_os_str)
    }

    /// Sets `name` to `value`.
    pub(crate) fn insert(&mut self, name: impl Into<OsString>, value: impl Into<OsString>) {
        self.vars.insert(name.into(), value.into());
    }

    /// All variables, sorted by name.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.vars
            .iter()
            .map(|(k, v)| (k.as_os_str(), v.as_os_str()))
    }

    fn current(&self, name: &OsStr) -> OsString {
        self.vars.get(name).cloned().unwrap_or_default()
    }

    /// `value` + `delim` + current value, or just `value` when the current value is empty.
    pub(crate) fn prepend(
        &mut self,
        name: impl Into<OsString>,
        value: impl Into<OsString>,
        delim: &OsStr,
    ) {
        let name = name.into();
        let mut value = value.into();
        let current = self.current(&name);
        if !current.is_empty() {
            value.push(delim);
            value.push(current);
        }
        self.vars.insert(name, value);
    }

    /// Current value + `delim` + `value`, or just `value` when the current value is empty.
    pub(crate) fn append(
        &mut self,
        name: impl Into<OsString>,
        value: impl Into<OsString>,
        delim: &OsStr,
    ) {
        let name = name.into();
        let value = value.into();
        let mut current = self.current(&name);
        if current.is_empty() {
            current = value;
        } else {
            current.push(delim);
            current.push(value);
        }
        self.vars.insert(name, current);
    }

    /// Prepends the layer's root dirs that exist (`bin`, `lib`, …) to their variables with `:`.
    pub(crate) fn add_root_dirs(&mut self, layer_dir: &Path, rules: RootDirRules) {
        let mapping: &[(&str, &[&str])] = match rules {
            RootDirRules::Build => &[
                ("bin", &["PATH"]),
                ("lib", &["LD_LIBRARY_PATH", "LIBRARY_PATH"]),
                ("include", &["CPATH"]),
                ("pkgconfig", &["PKG_CONFIG_PATH"]),
            ],
            RootDirRules::Launch => &[("bin", &["PATH"]), ("lib", &["LD_LIBRARY_PATH"])],
        };
        for (sub, names) in mapping {
            let dir = layer_dir.join(sub);
            if dir.is_dir() {
                for name in *names {
                    self.prepend(*name, dir.as_os_str(), OsStr::new(":"));
                }
            }
        }
    }

    /// Applies the env files of `dir`: the name is the text before the first dot, the
    /// suffix is the action, `.delim` files give the delimiter (none by default), contents are
    /// used verbatim, unknown suffixes and sub-dirs are ignored. A missing dir changes nothing.
    ///
    /// # Errors
    ///
    /// Fails when the dir or one of its files cannot be read.
    pub(crate) fn apply_env_dir(
        &mut self,
        dir: &Path,
        default_action: DefaultAction,
    ) -> Result<(), ReadEnvDirError> {
        for (file_name, path) in env_files(dir)? {
            let (name, action) = match file_name.split_once('.') {
                Some((name, action)) => (name, action),
                None => (file_name.as_str(), ""),
            };
            if name.is_empty() {
                continue;
            }
            let action = match (action, default_action) {
                ("", DefaultAction::Override) | ("override", _) => "override",
                ("", DefaultAction::Default) => "default",
                (other, _) => other,
            };
            if !matches!(action, "override" | "default" | "prepend" | "append") {
                continue;
            }
            let value = read_value(&path)?;
            match action {
                "override" => self.insert(name, value),
                "default" => {
                    if self.current(OsStr::new(name)).is_empty() {
                        self.insert(name, value);
                    }
                }
                _ => {
                    let delim_path = dir.join(format!("{name}.delim"));
                    let delim = if delim_path.is_file() {
                        read_value(&delim_path)?
                    } else {
                        OsString::new()
                    };
                    if action == "prepend" {
                        self.prepend(name, value, &delim);
                    } else {
                        self.append(name, value, &delim);
                    }
                }
            }
        }
        Ok(())
    }

    /// Applies `<platform>/env/<NAME>` files: the whole file name is the variable name,
    /// path variables get the user value prepended with `:`, all others are overridden.
    ///
    /// # Errors
    ///
    /// Fails when the dir or one of its files cannot be read.
    pub(crate) fn apply_platform_env(
        &mut self,
        platform_env_dir: &Path,
    ) -> Result<(), ReadEnvDirError> {
        for (name, path) in env_files(platform_env_dir)? {
            let mut value = read_value(&path)?;
            if PATH_VARIABLES.contains(&name.as_str()) {
                // Impl: `v + ":" + current`, even when the current value is empty.
                value.push(":");
                value.push(self.current(OsStr::new(&name)));
            }
            self.insert(name, value);
        }
        Ok(())
    }
}

/// Where the per-invocation overrides and `CNB_*` variables come from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InvocationContext<'a> {
    pub(crate) platform_dir: &'a Path,
    pub(crate) build_config_dir: &'a Path,
    pub(crate) target: &'a Target,
    pub(crate) exec_env: &'a str,
    /// Where buildpack processes run.
    pub(crate) sandbox: &'a crate::sandbox::Sandbox,
}

impl InvocationContext<'_> {
    /// A copy of `base` with the platform overrides (unless `clear-env`), the
    /// build-config env, `CNB_BUILDPACK_DIR`, `CNB_PLATFORM_DIR` (API ≥ 0.8), the target
    /// variables (API ≥ 0.10) and `CNB_EXEC_ENV` (API ≥ 0.12). Phase-specific variables
    /// are added by the caller.
    pub(crate) fn env_for(
        &self,
        base: &Env,
        buildpack: &Buildpack,
    ) -> Result<Env, ReadEnvDirError> {
        let mut env = base.clone();
        if !buildpack.clear_env {
            env.apply_platform_env(&self.platform_dir.join("env"))?;
        }
        env.apply_env_dir(&self.build_config_dir.join("env"), DefaultAction::Default)?;
        env.insert("CNB_BUILDPACK_DIR", buildpack.dir.as_os_str());
        let api = buildpack.api;
        if api.at_least(0, 8) {
            env.insert("CNB_PLATFORM_DIR", self.platform_dir.as_os_str());
        }
        if api.at_least(0, 10) {
            env.insert("CNB_TARGET_OS", &self.target.os);
            env.insert("CNB_TARGET_ARCH", &self.target.arch);
            for (name, value) in [
                ("CNB_TARGET_ARCH_VARIANT", &self.target.arch_variant),
                ("CNB_TARGET_DISTRO_NAME", &self.target.distro_name),
                ("CNB_TARGET_DISTRO_VERSION", &self.target.distro_version),
            ] {
                if !value.is_empty() {
                    env.insert(name, value);
                }
            }
        }
        if api.at_least(0, 12) && !self.exec_env.is_empty() {
            env.insert("CNB_EXEC_ENV", self.exec_env);
        }
        Ok(env)
    }
}

/// The regular files (symlinks followed) of `dir`, sorted by name; a missing dir has none.
fn env_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, ReadEnvDirError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ReadEnvDirError {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ReadEnvDirError {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        if let Ok(name) = entry.file_name().into_string() {
            files.push((name, path));
        }
    }
    files.sort();
    Ok(files)
}

fn read_value(path: &Path) -> Result<OsString, ReadEnvDirError> {
    fs::read(path)
        .map(OsString::from_vec)
        .map_err(|source| ReadEnvDirError {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, value: &str) {
        fs::write(dir.join(name), value).unwrap();
    }

    #[test]
    fn allowlist_drops_everything_else() {
        let env = Env::from_allowlist([
            ("PATH".into(), "/bin".into()),
            ("HOME".into(), "/root".into()),
            ("CNB_PLATFORM_API".into(), "0.14".into()),
            ("SECRET".into(), "x".into()),
            ("https_proxy".into(), "p".into()),
        ]);
        let names: Vec<_> = env.iter().map(|(k, _)| k.to_owned()).collect();
        assert_eq!(names, ["HOME", "PATH", "https_proxy"]);
    }

    #[test]
    fn env_dir_rules() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "OVER", "new\n");
        write(d, "OVER2.override", "o2");
        write(d, "DEF.default", "d");
        write(d, "KEPT.default", "ignored");
        write(d, "PRE.prepend", "a");
        write(d, "PRE.delim", ";");
        write(d, "NODELIM.append", "z");
        write(d, "EMPTYPRE.prepend", "only");
        write(d, "FOO.bar.append", "unknown");
        write(d, "X.unknown", "y");
        fs::create_dir(d.join("SUBDIR")).unwrap();
        let mut env = Env::new();
        env.insert("OVER", "old");
        env.insert("KEPT", "kept");
        env.insert("PRE", "b");
        env.insert("NODELIM", "y");
        env.insert("FOO", "foo");
        env.apply_env_dir(d, DefaultAction::Override).unwrap();
        assert_eq!(env.get("OVER").unwrap(), "new\n", "contents are verbatim");
        assert_eq!(env.get("OVER2").unwrap(), "o2");
        assert_eq!(env.get("DEF").unwrap(), "d");
        assert_eq!(env.get("KEPT").unwrap(), "kept");
        assert_eq!(env.get("PRE").unwrap(), "a;b");
        assert_eq!(env.get("NODELIM").unwrap(), "yz", "no implicit delimiter");
        assert_eq!(env.get("EMPTYPRE").unwrap(), "only");
        assert_eq!(
            env.get("FOO").unwrap(),
            "foo",
            "unknown suffixes are ignored"
        );
        assert!(env.get("X").is_none());
        assert!(env.get("SUBDIR").is_none());
    }

    #[test]
    fn build_config_default_action_is_default() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "A", "from-config");
        write(dir.path(), "B", "from-config");
        let mut env = Env::new();
        env.insert("A", "set");
        env.apply_env_dir(dir.path(), DefaultAction::Default)
            .unwrap();
        assert_eq!(env.get("A").unwrap(), "set");
        assert_eq!(env.get("B").unwrap(), "from-config");
    }

    #[test]
    fn platform_env_prepends_path_variables_and_overrides_others() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "PATH", "/user/bin");
        write(dir.path(), "CPATH", "/inc");
        write(dir.path(), "BP_X.append", "whole-name");
        write(dir.path(), "FOO", "user");
        let mut env = Env::new();
        env.insert("PATH", "/usr/bin");
        env.insert("FOO", "buildpack");
        env.apply_platform_env(dir.path()).unwrap();
        assert_eq!(env.get("PATH").unwrap(), "/user/bin:/usr/bin");
        assert_eq!(env.get("CPATH").unwrap(), "/inc:");
        assert_eq!(env.get("FOO").unwrap(), "user");
        assert_eq!(env.get("BP_X.append").unwrap(), "whole-name");
    }

    #[test]
    fn root_dirs_per_phase() {
        let layer = tempfile::tempdir().unwrap();
        for sub in ["bin", "lib", "include", "pkgconfig"] {
            fs::create_dir(layer.path().join(sub)).unwrap();
        }
        let mut build = Env::new();
        build.insert("PATH", "/usr/bin");
        build.add_root_dirs(layer.path(), RootDirRules::Build);
        let bin = layer.path().join("bin");
        assert_eq!(
            build.get("PATH").unwrap(),
            format!("{}:/usr/bin", bin.display()).as_str()
        );
        assert!(build.get("LIBRARY_PATH").is_some());
        assert!(build.get("CPATH").is_some());
        assert!(build.get("PKG_CONFIG_PATH").is_some());
        let mut launch = Env::new();
        launch.add_root_dirs(layer.path(), RootDirRules::Launch);
        assert!(launch.get("LD_LIBRARY_PATH").is_some());
        assert!(launch.get("LIBRARY_PATH").is_none());
        assert!(launch.get("CPATH").is_none());
    }

    #[test]
    fn apply_env_dir_example() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("PATH.prepend"), "/opt/bin")?;
        std::fs::write(dir.path().join("PATH.delim"), ":")?;
        std::fs::write(dir.path().join("GREETING.default"), "hi")?;

        let mut env = Env::new();
        env.insert("PATH", "/usr/bin");
        env.apply_env_dir(dir.path(), DefaultAction::Override)?;
        assert_eq!(env.get("PATH").unwrap(), "/opt/bin:/usr/bin");
        assert_eq!(env.get("GREETING").unwrap(), "hi");
        Ok(())
    }
}
