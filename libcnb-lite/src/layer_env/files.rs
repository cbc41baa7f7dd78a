//! A layer's env on disk: reading and writing its `env/`, `env.build/`, `env.launch/` and
//! `env.launch/<process>/` directories, and the implicit entries of its `bin/`, `lib/`,
//! `include/` and `pkgconfig/` directories.

use super::LayerEnv;
#[cfg(doc)]
use super::Scope;
use super::delta::{LayerEnvDelta, ModificationBehavior};
use crate::fs::{Operation, at_path, write};
use libcnb_lite_data::internals::is_path_component;
use std::ffi::OsString;
use std::path::Path;
use std::{fs, io};

impl LayerEnv {
    /// Reads the env directories of the layer at `layer_dir`, plus the implicit entries for
    /// its `bin/`, `lib/`, `include/` and `pkgconfig/` directories.
    ///
    /// `env/` is read into [`Scope::All`], `env.build/` into [`Scope::Build`], `env.launch/`
    /// into [`Scope::Launch`] and each `env.launch/<process>/` into
    /// [`Scope::Process`]. A file's name is `<NAME>` (override) or
    /// `<NAME>.<append|default|delim|override|prepend>`; files with another suffix and
    /// other sub-directories are ignored, as the lifecycle does. Contents are taken verbatim,
    /// as bytes.
    ///
    /// Buildpacks rarely call this directly: the layer APIs return a layer's env.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::layer_env::{LayerEnv, Scope};
    /// use std::fs;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// let layer_dir = temp_dir.path();
    /// fs::create_dir_all(layer_dir.join("bin"))?;
    /// fs::create_dir_all(layer_dir.join("env.launch/web"))?;
    /// fs::write(layer_dir.join("env.launch/web/WEB_CONCURRENCY.default"), "4")?;
    ///
    /// let layer_env = LayerEnv::read_from_layer_dir(layer_dir)?;
    ///
    /// let launch = layer_env.apply_to_empty(Scope::Launch);
    /// assert_eq!(launch.get("PATH").unwrap(), layer_dir.join("bin").as_os_str());
    /// assert_eq!(launch.get("CPATH"), None); // include/ only applies during build
    /// let web = layer_env.apply_to_empty(Scope::Process("web".to_string()));
    /// assert_eq!(web.get("WEB_CONCURRENCY").unwrap(), "4");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// An I/O error naming the path if an env directory or file can't be read.
    pub fn read_from_layer_dir(layer_dir: impl AsRef<Path>) -> io::Result<Self> {
        let layer_dir = layer_dir.as_ref();
        let mut layer_env = Self::new();

        // One listing of the layer directory instead of a lookup per name: most layers have
        // few of these seven entries.
        let entries = EnvEntries::list(layer_dir);
        let bin = layer_dir.join("bin");
        let lib = layer_dir.join("lib");
        let include = layer_dir.join("include");
        let pkgconfig = layer_dir.join("pkgconfig");
        // In the lifecycle's order for each variable.
        if entries.bin.is_dir(&bin) {
            layer_env
                .layer_paths_build
                .insert_path_prepend("PATH", &bin);
            layer_env
                .layer_paths_launch
                .insert_path_prepend("PATH", &bin);
        }
        if entries.lib.is_dir(&lib) {
            layer_env
                .layer_paths_build
                .insert_path_prepend("LIBRARY_PATH", &lib);
            layer_env
                .layer_paths_build
                .insert_path_prepend("LD_LIBRARY_PATH", &lib);
            layer_env
                .layer_paths_launch
                .insert_path_prepend("LD_LIBRARY_PATH", &lib);
        }
        if entries.include.is_dir(&include) {
            layer_env
                .layer_paths_build
                .insert_path_prepend("CPATH", &include);
        }
        if entries.pkgconfig.is_dir(&pkgconfig) {
            layer_env
                .layer_paths_build
                .insert_path_prepend("PKG_CONFIG_PATH", &pkgconfig);
        }

        if let Some(EnvDir { delta, .. }) = entries.env.read(&layer_dir.join("env"))? {
            layer_env.all = delta;
        }
        if let Some(EnvDir { delta, .. }) = entries.env_build.read(&layer_dir.join("env.build"))? {
            layer_env.build = delta;
        }
        let launch_dir = layer_dir.join("env.launch");
        if let Some(EnvDir {
            delta,
            sub_directories,
        }) = entries.env_launch.read(&launch_dir)?
        {
            layer_env.launch = delta;
            for process in sub_directories {
                if let Some(EnvDir { delta, .. }) = EnvDir::read(&launch_dir.join(&process))? {
                    layer_env.process.insert(process, delta);
                }
            }
        }

        Ok(layer_env)
    }

    /// Writes this delta to the layer at `layer_dir`, replacing its `env/`, `env.build/` and
    /// `env.launch/` directories (including `env.launch/<process>/`).
    ///
    /// Each entry becomes a file `<NAME>.<behavior>` holding the value's bytes, written
    /// in place. A part without entries leaves no directory behind. The implicit layer-path
    /// entries are not written.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite::layer_env::{LayerEnv, ModificationBehavior, Scope};
    /// use std::fs;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let temp_dir = tempfile::tempdir()?;
    /// let layer_env = LayerEnv::new()
    ///     .chainable_insert(Scope::Build, ModificationBehavior::Default, "FOO", "bar")
    ///     .chainable_insert(Scope::All, ModificationBehavior::Append, "PATH", "some-path");
    ///
    /// layer_env.write_to_layer_dir(&temp_dir)?;
    ///
    /// assert_eq!(fs::read_to_string(temp_dir.path().join("env.build/FOO.default"))?, "bar");
    /// assert_eq!(fs::read_to_string(temp_dir.path().join("env/PATH.append"))?, "some-path");
    /// assert!(!temp_dir.path().join("env.launch").exists());
    /// assert_eq!(LayerEnv::read_from_layer_dir(&temp_dir)?, layer_env);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// An I/O error naming the path if a directory can't be removed or created, or a file
    /// can't be written; [`io::ErrorKind::InvalidInput`] if a [`Scope::Process`] name isn't a
    /// single path component (such as `../web`).
    pub fn write_to_layer_dir(&self, layer_dir: impl AsRef<Path>) -> io::Result<()> {
        let layer_dir = layer_dir.as_ref();
        self.all.write_to_env_dir(&layer_dir.join("env"))?;
        self.build.write_to_env_dir(&layer_dir.join("env.build"))?;

        let launch_dir = layer_dir.join("env.launch");
        self.launch.write_to_env_dir(&launch_dir)?;
        for (process, delta) in &self.process {
            // A process type is one path component; anything else would write outside
            // `env.launch/`.
            if !is_path_component(process) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "couldn't write the env of process {process:?} to {}: a process type \
                         must be a single path component",
                        launch_dir.display()
                    ),
                ));
            }
            delta.write_to_env_dir(&launch_dir.join(process))?;
        }

        Ok(())
    }
}

impl LayerEnvDelta {
    #[inline]
    fn write_to_env_dir(&self, dir: &Path) -> io::Result<()> {
        match fs::remove_dir_all(dir) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(at_path(Operation::Write, dir, error)),
        }

        // No empty env directories.
        if self.entries.is_empty() {
            return Ok(());
        }

        fs::create_dir_all(dir).map_err(|error| at_path(Operation::Write, dir, error))?;
        for ((behavior, name), value) in &self.entries {
            let mut file_name = name.clone();
            file_name.push(".");
            file_name.push(behavior.file_suffix());
            write(dir.join(file_name), value.as_encoded_bytes())?;
        }
        Ok(())
    }
}

/// What a layer directory holds under each name its env is read from, as far as one listing
/// of it tells.
struct EnvEntries {
    bin: EnvEntry,
    lib: EnvEntry,
    include: EnvEntry,
    pkgconfig: EnvEntry,
    env: EnvEntry,
    env_build: EnvEntry,
    env_launch: EnvEntry,
}

/// One name of [`EnvEntries`].
#[derive(Clone, Copy)]
enum EnvEntry {
    /// Not in the layer directory (or the layer directory is missing or not a directory).
    Missing,
    /// A directory.
    Directory,
    /// A regular file, or anything else that neither is nor leads to a directory.
    NotADirectory,
    /// A symbolic link, or an entry the listing couldn't type: the path itself decides.
    Unresolved,
}

impl EnvEntries {
    /// Lists `layer_dir` once (`open`, two `getdents`, `close`) instead of looking each name
    /// up. If it can't be listed for any other reason than being missing or not a directory
    /// (it may be searchable but not readable), every name is [`EnvEntry::Unresolved`], which
    /// looks each up by path as before.
    #[inline]
    fn list(layer_dir: &Path) -> Self {
        let mut entries = Self::all(EnvEntry::Missing);
        let listing = match fs::read_dir(layer_dir) {
            Ok(listing) => listing,
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                return entries;
            }
            Err(_) => return Self::all(EnvEntry::Unresolved),
        };
        for entry in listing {
            let Ok(entry) = entry else {
                return Self::all(EnvEntry::Unresolved);
            };
            let slot = match entry.file_name().to_str() {
                Some("bin") => &mut entries.bin,
                Some("lib") => &mut entries.lib,
                Some("include") => &mut entries.include,
                Some("pkgconfig") => &mut entries.pkgconfig,
                Some("env") => &mut entries.env,
                Some("env.build") => &mut entries.env_build,
                Some("env.launch") => &mut entries.env_launch,
                _ => continue,
            };
            *slot = match entry.file_type() {
                Ok(file_type) if file_type.is_dir() => EnvEntry::Directory,
                Ok(file_type) if !file_type.is_symlink() => EnvEntry::NotADirectory,
                _ => EnvEntry::Unresolved,
            };
        }
        entries
    }

    #[inline]
    fn all(entry: EnvEntry) -> Self {
        Self {
            bin: entry,
            lib: entry,
            include: entry,
            pkgconfig: entry,
            env: entry,
            env_build: entry,
            env_launch: entry,
        }
    }
}

impl EnvEntry {
    /// Whether `path`, this entry, is a directory or a link to one, as [`Path::is_dir`] says
    /// (errors count as no).
    #[inline]
    fn is_dir(self, path: &Path) -> bool {
        match self {
            Self::Directory => true,
            Self::Missing | Self::NotADirectory => false,
            Self::Unresolved => path.is_dir(),
        }
    }

    /// Reads `path`, this entry, as an env directory; `None` if it is missing or no directory.
    #[inline]
    fn read(self, path: &Path) -> io::Result<Option<EnvDir>> {
        match self {
            Self::Missing | Self::NotADirectory => Ok(None),
            Self::Directory | Self::Unresolved => EnvDir::read(path),
        }
    }
}

/// The contents of one env directory: its entries and the names of its sub-directories.
struct EnvDir {
    delta: LayerEnvDelta,
    sub_directories: Vec<String>,
}

impl EnvDir {
    /// Reads `dir`, or returns `None` if it doesn't exist or isn't a directory.
    #[inline]
    fn read(dir: &Path) -> io::Result<Option<Self>> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(at_path(Operation::Read, dir, error)),
        };

        let mut env_dir = Self {
            delta: LayerEnvDelta::default(),
            sub_directories: Vec::new(),
        };
        for entry in entries {
            let entry = entry.map_err(|error| at_path(Operation::Read, dir, error))?;
            let path = entry.path();
            let mut file_type = entry
                .file_type()
                .map_err(|error| at_path(Operation::Read, &path, error))?;
            if file_type.is_symlink() {
                // Follow links, as the lifecycle does; a dangling link is skipped.
                match fs::metadata(&path) {
                    Ok(metadata) => file_type = metadata.file_type(),
                    Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                    Err(error) => return Err(at_path(Operation::Read, &path, error)),
                }
            }

            if file_type.is_dir() {
                if let Ok(name) = entry.file_name().into_string() {
                    env_dir.sub_directories.push(name);
                }
                continue;
            }

            // Upstream's rule: the name is the file stem, the behavior the extension
            // (none: override); an unknown or non-UTF-8 extension is ignored.
            let (Some(name), extension) = (path.file_stem(), path.extension()) else {
                continue;
            };
            let behavior = match extension {
                None => ModificationBehavior::Override,
                Some(extension) => match ModificationBehavior::from_file_suffix(extension) {
                    Some(behavior) => behavior,
                    None => continue,
                },
            };

            let value = fs::read(&path).map_err(|error| at_path(Operation::Read, &path, error))?;
            env_dir
                .delta
                .insert(behavior, name.to_owned(), os_string_from_bytes(value)?);
        }

        Ok(Some(env_dir))
    }
}

/// File contents are bytes; the CNB spec says they are used unmodified.
#[cfg(unix)]
#[expect(
    clippy::unnecessary_wraps,
    reason = "other platforms can fail on non-UTF-8 contents"
)]
#[inline]
fn os_string_from_bytes(bytes: Vec<u8>) -> io::Result<OsString> {
    use std::os::unix::ffi::OsStringExt;
    Ok(OsString::from_vec(bytes))
}

#[cfg(not(unix))]
#[inline]
fn os_string_from_bytes(bytes: Vec<u8>) -> io::Result<OsString> {
    String::from_utf8(bytes)
        .map(OsString::from)
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{env, get};
    use super::super::{LayerEnv, ModificationBehavior, Scope};
    use crate::Env;
    use std::path::{Path, PathBuf};
    use std::{fs, io};

    fn write_files(dir: &Path, files: &[(&str, &str)]) {
        fs::create_dir_all(dir).unwrap();
        for (name, contents) in files {
            fs::write(dir.join(name), contents).unwrap();
        }
    }

    /// Reads `env/` written with `files` and applies it to `initial` for `Scope::All`.
    fn apply_env_files(files: &[(&str, &str)], initial: &[(&str, &str)]) -> Env {
        let layer_dir = tempfile::tempdir().unwrap();
        write_files(&layer_dir.path().join("env"), files);
        LayerEnv::read_from_layer_dir(layer_dir.path())
            .unwrap()
            .apply(Scope::All, &env(initial))
    }

    // The env-file rules, one test per rule, as the lifecycle applies them
    // (https://github.com/buildpacks/spec/blob/main/buildpack.md#environment-variable-modification-rules,
    // https://github.com/buildpacks/lifecycle/blob/main/env/env.go).

    #[test]
    fn no_suffix_and_override_replace_the_value() {
        let result = apply_env_files(
            &[("PLAIN", "new"), ("EXPLICIT.override", "new")],
            &[("PLAIN", "old"), ("EXPLICIT", "old")],
        );
        assert_eq!(get(&result, "PLAIN").as_deref(), Some("new"));
        assert_eq!(get(&result, "EXPLICIT").as_deref(), Some("new"));
    }

    #[test]
    fn default_sets_only_an_unset_variable() {
        let result = apply_env_files(
            &[("SET.default", "default"), ("UNSET.default", "default")],
            &[("SET", "existing")],
        );
        assert_eq!(get(&result, "SET").as_deref(), Some("existing"));
        assert_eq!(get(&result, "UNSET").as_deref(), Some("default"));
    }

    #[test]
    fn prepend_and_append_use_the_delimiter_from_the_same_directory() {
        let result = apply_env_files(
            &[
                ("PRE.prepend", "new"),
                ("PRE.delim", ":"),
                ("APP.append", "new"),
                ("APP.delim", ","),
            ],
            &[("PRE", "old"), ("APP", "old")],
        );
        assert_eq!(get(&result, "PRE").as_deref(), Some("new:old"));
        assert_eq!(get(&result, "APP").as_deref(), Some("old,new"));
    }

    #[test]
    fn prepend_and_append_have_no_implicit_delimiter() {
        let result = apply_env_files(
            &[("PRE.prepend", "new"), ("APP.append", "new")],
            &[("PRE", "old"), ("APP", "old")],
        );
        assert_eq!(get(&result, "PRE").as_deref(), Some("newold"));
        assert_eq!(get(&result, "APP").as_deref(), Some("oldnew"));
    }

    #[test]
    fn prepend_and_append_to_an_empty_or_unset_variable_give_just_the_value() {
        let result = apply_env_files(
            &[
                ("EMPTY.prepend", "new"),
                ("EMPTY.delim", ":"),
                ("UNSET.append", "new"),
                ("UNSET.delim", ":"),
            ],
            &[("EMPTY", "")],
        );
        assert_eq!(get(&result, "EMPTY").as_deref(), Some("new"));
        assert_eq!(get(&result, "UNSET").as_deref(), Some("new"));
    }

    #[test]
    fn a_lone_delim_file_changes_nothing() {
        let result = apply_env_files(&[("VAR.delim", ":")], &[("VAR", "old")]);
        assert_eq!(result, env(&[("VAR", "old")]));
    }

    #[test]
    fn unknown_suffixes_are_ignored() {
        let result = apply_env_files(&[("VAR.bogus", "x"), ("OTHER.ignore", "y")], &[]);
        assert_eq!(result, Env::new());
    }

    #[test]
    fn contents_are_verbatim() {
        let result = apply_env_files(&[("VAR", " spaced and\nnewlined\n")], &[]);
        assert_eq!(
            get(&result, "VAR").as_deref(),
            Some(" spaced and\nnewlined\n")
        );
    }

    #[cfg(unix)]
    #[test]
    fn contents_are_bytes() {
        let layer_dir = tempfile::tempdir().unwrap();
        fs::create_dir(layer_dir.path().join("env")).unwrap();
        fs::write(layer_dir.path().join("env/RAW"), [0x66, 0xff]).unwrap();

        let result = LayerEnv::read_from_layer_dir(layer_dir.path())
            .unwrap()
            .apply_to_empty(Scope::All);

        assert_eq!(result.get("RAW").unwrap().as_encoded_bytes(), [0x66, 0xff]);
    }

    #[test]
    fn sub_directories_of_env_and_env_build_are_skipped() {
        let layer_dir = tempfile::tempdir().unwrap();
        write_files(&layer_dir.path().join("env/nested"), &[("X", "1")]);
        write_files(&layer_dir.path().join("env.build/nested"), &[("Y", "1")]);
        write_files(&layer_dir.path().join("env"), &[("A", "1")]);

        let layer_env = LayerEnv::read_from_layer_dir(layer_dir.path()).unwrap();

        assert_eq!(layer_env.apply_to_empty(Scope::Build), env(&[("A", "1")]));
    }

    #[test]
    fn scopes_select_the_matching_directories() {
        let layer_dir = tempfile::tempdir().unwrap();
        let dir = layer_dir.path();
        write_files(&dir.join("env"), &[("ALL", "all"), ("WHO", "all")]);
        write_files(&dir.join("env.build"), &[("WHO", "build")]);
        write_files(&dir.join("env.launch"), &[("WHO", "launch")]);
        write_files(&dir.join("env.launch/web"), &[("WHO", "web")]);

        let layer_env = LayerEnv::read_from_layer_dir(dir).unwrap();

        assert_eq!(
            layer_env.apply_to_empty(Scope::All),
            env(&[("ALL", "all"), ("WHO", "all")])
        );
        assert_eq!(
            layer_env.apply_to_empty(Scope::Build),
            env(&[("ALL", "all"), ("WHO", "build")])
        );
        assert_eq!(
            layer_env.apply_to_empty(Scope::Launch),
            env(&[("ALL", "all"), ("WHO", "launch")])
        );
        assert_eq!(
            layer_env.apply_to_empty(Scope::Process("web".to_string())),
            env(&[("ALL", "all"), ("WHO", "web")])
        );
        // A process without its own directory gets `env/` only.
        assert_eq!(
            layer_env.apply_to_empty(Scope::Process("worker".to_string())),
            env(&[("ALL", "all"), ("WHO", "all")])
        );
    }

    #[test]
    fn env_launch_process_directories_read_back() {
        // Upstream libcnb reads every entry of `env.launch/` as a file and fails with "Is a
        // directory" here; these directories are how a layer sets a process's env.
        let layer_dir = tempfile::tempdir().unwrap();
        let written = LayerEnv::new()
            .chainable_insert(Scope::Launch, ModificationBehavior::Override, "A", "launch")
            .chainable_insert(
                Scope::Process("web".to_string()),
                ModificationBehavior::Default,
                "WEB_CONCURRENCY",
                "4",
            )
            .chainable_insert(
                Scope::Process("worker".to_string()),
                ModificationBehavior::Append,
                "QUEUES",
                "low",
            );

        written.write_to_layer_dir(layer_dir.path()).unwrap();

        assert_eq!(
            fs::read_to_string(
                layer_dir
                    .path()
                    .join("env.launch/web/WEB_CONCURRENCY.default")
            )
            .unwrap(),
            "4"
        );
        assert_eq!(
            LayerEnv::read_from_layer_dir(layer_dir.path()).unwrap(),
            written
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed_and_dangling_ones_skipped() {
        let layer_dir = tempfile::tempdir().unwrap();
        let dir = layer_dir.path();
        write_files(&dir.join("targets"), &[("value", "linked")]);
        fs::create_dir_all(dir.join("env.launch")).unwrap();
        std::os::unix::fs::symlink(dir.join("targets/value"), dir.join("env.launch/LINKED"))
            .unwrap();
        std::os::unix::fs::symlink(dir.join("targets"), dir.join("env.launch/web")).unwrap();
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("env.launch/DANGLING")).unwrap();

        let layer_env = LayerEnv::read_from_layer_dir(dir).unwrap();

        assert_eq!(
            layer_env.apply_to_empty(Scope::Launch),
            env(&[("LINKED", "linked")])
        );
        assert_eq!(
            layer_env.apply_to_empty(Scope::Process("web".to_string())),
            env(&[("value", "linked")])
        );
    }

    // The implicit layer paths: each of `bin/`, `lib/`, `include/` and `pkgconfig/` that
    // exists is prepended to its variables with `:`, before the layer's env files
    // (https://github.com/buildpacks/spec/blob/main/buildpack.md#layer-paths).

    fn layer_with_dirs(dirs: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let temp_dir = tempfile::tempdir().unwrap();
        let layer_dir = temp_dir.path().join("layer");
        for dir in dirs {
            fs::create_dir_all(layer_dir.join(dir)).unwrap();
        }
        (temp_dir, layer_dir)
    }

    fn path_string(path: &Path) -> String {
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn layer_paths_for_build() {
        let (_temp_dir, layer_dir) = layer_with_dirs(&["bin", "lib", "include", "pkgconfig"]);

        let build = LayerEnv::read_from_layer_dir(&layer_dir)
            .unwrap()
            .apply(Scope::Build, &env(&[("PATH", "/usr/bin")]));

        let path_of = |dir: &str| path_string(&layer_dir.join(dir));
        assert_eq!(
            build,
            env(&[
                ("PATH", &format!("{}:/usr/bin", path_of("bin"))),
                ("LIBRARY_PATH", &path_of("lib")),
                ("LD_LIBRARY_PATH", &path_of("lib")),
                ("CPATH", &path_of("include")),
                ("PKG_CONFIG_PATH", &path_of("pkgconfig")),
            ])
        );
    }

    #[test]
    fn layer_paths_for_launch_are_only_bin_and_lib() {
        let (_temp_dir, layer_dir) = layer_with_dirs(&["bin", "lib", "include", "pkgconfig"]);

        let launch = LayerEnv::read_from_layer_dir(&layer_dir)
            .unwrap()
            .apply_to_empty(Scope::Launch);

        assert_eq!(
            launch,
            env(&[
                ("PATH", &path_string(&layer_dir.join("bin"))),
                ("LD_LIBRARY_PATH", &path_string(&layer_dir.join("lib"))),
            ])
        );
    }

    #[test]
    fn layer_paths_are_not_part_of_all_or_process_scopes() {
        // Upstream behaviour (heroku/libcnb.rs#939, still open): `All` and `Process` don't
        // include the implicit paths.
        let (_temp_dir, layer_dir) = layer_with_dirs(&["bin"]);

        let layer_env = LayerEnv::read_from_layer_dir(&layer_dir).unwrap();

        assert_eq!(layer_env.apply_to_empty(Scope::All), Env::new());
        assert_eq!(
            layer_env.apply_to_empty(Scope::Process("web".to_string())),
            Env::new()
        );
    }

    #[test]
    fn layer_paths_come_before_the_layers_own_env_files() {
        // As the lifecycle: root dirs first, then env/, then env.build/, so a prepend from the
        // env files lands in front of the layer's bin/ (libcnb 0.29.1, #938).
        let (_temp_dir, layer_dir) = layer_with_dirs(&["bin", "lib"]);
        write_files(
            &layer_dir.join("env.build"),
            &[("PATH.prepend", "test-value")],
        );
        write_files(
            &layer_dir.join("env.launch"),
            &[("PATH.prepend", "test-value")],
        );
        write_files(
            &layer_dir.join("env"),
            &[
                ("LIBRARY_PATH.prepend", "lib-value"),
                ("LIBRARY_PATH.delim", ":"),
            ],
        );

        let layer_env = LayerEnv::read_from_layer_dir(&layer_dir).unwrap();
        let bin = path_string(&layer_dir.join("bin"));
        let lib = path_string(&layer_dir.join("lib"));

        let build = layer_env.apply_to_empty(Scope::Build);
        assert_eq!(get(&build, "PATH"), Some(format!("test-value{bin}")));
        assert_eq!(
            get(&build, "LIBRARY_PATH"),
            Some(format!("lib-value:{lib}"))
        );
        let launch = layer_env.apply_to_empty(Scope::Launch);
        assert_eq!(get(&launch, "PATH"), Some(format!("test-value{bin}")));
    }

    #[cfg(unix)]
    #[test]
    fn links_in_the_layer_directory_are_followed_like_is_dir() {
        use std::os::unix::fs::symlink;

        let temp_dir = tempfile::tempdir().unwrap();
        let targets = temp_dir.path().join("targets");
        write_files(&targets.join("env"), &[("FROM_LINK.override", "yes")]);
        fs::create_dir_all(targets.join("bin")).unwrap();
        fs::write(targets.join("file"), "not a directory").unwrap();
        let layer_dir = temp_dir.path().join("layer");
        fs::create_dir(&layer_dir).unwrap();
        symlink(targets.join("bin"), layer_dir.join("bin")).unwrap();
        symlink(targets.join("env"), layer_dir.join("env")).unwrap();
        symlink(targets.join("file"), layer_dir.join("lib")).unwrap();
        symlink(targets.join("nowhere"), layer_dir.join("include")).unwrap();
        symlink(targets.join("nowhere"), layer_dir.join("env.build")).unwrap();
        // The layer directory itself may be a link, too.
        let linked_layer_dir = temp_dir.path().join("linked-layer");
        symlink(&layer_dir, &linked_layer_dir).unwrap();

        let layer_env = LayerEnv::read_from_layer_dir(&linked_layer_dir).unwrap();

        let bin = path_string(&linked_layer_dir.join("bin"));
        assert_eq!(
            layer_env.apply_to_empty(Scope::Build),
            env(&[("FROM_LINK", "yes"), ("PATH", &bin)])
        );
        assert_eq!(
            layer_env.apply_to_empty(Scope::Launch),
            env(&[("FROM_LINK", "yes"), ("PATH", &bin)])
        );
    }

    #[test]
    fn files_named_like_layer_dirs_add_no_paths() {
        let temp_dir = tempfile::tempdir().unwrap();
        fs::write(temp_dir.path().join("bin"), "not a directory").unwrap();

        let layer_env = LayerEnv::read_from_layer_dir(temp_dir.path()).unwrap();

        assert_eq!(layer_env, LayerEnv::new());
    }

    #[test]
    fn missing_layer_dir_reads_as_empty() {
        let temp_dir = tempfile::tempdir().unwrap();

        let layer_env = LayerEnv::read_from_layer_dir(temp_dir.path().join("nope")).unwrap();

        assert_eq!(layer_env, LayerEnv::new());
    }

    // Writing.

    #[test]
    fn write_read_round_trip_for_every_behaviour_and_scope() {
        let layer_dir = tempfile::tempdir().unwrap();
        let behaviors = [
            ModificationBehavior::Append,
            ModificationBehavior::Default,
            ModificationBehavior::Delimiter,
            ModificationBehavior::Override,
            ModificationBehavior::Prepend,
        ];
        let scopes = [
            Scope::All,
            Scope::Build,
            Scope::Launch,
            Scope::Process("web".to_string()),
        ];
        let mut layer_env = LayerEnv::new();
        for scope in &scopes {
            for behavior in &behaviors {
                layer_env.insert(
                    scope.clone(),
                    behavior.clone(),
                    "VAR",
                    format!("{scope:?}-{behavior:?}"),
                );
            }
        }

        layer_env.write_to_layer_dir(layer_dir.path()).unwrap();

        assert_eq!(
            fs::read_to_string(layer_dir.path().join("env.launch/web/VAR.delim")).unwrap(),
            "Process(\"web\")-Delimiter"
        );
        assert_eq!(
            LayerEnv::read_from_layer_dir(layer_dir.path()).unwrap(),
            layer_env
        );
    }

    #[test]
    fn write_replaces_previous_files_and_leaves_no_empty_directories() {
        let layer_dir = tempfile::tempdir().unwrap();
        let dir = layer_dir.path();
        LayerEnv::new()
            .chainable_insert(Scope::All, ModificationBehavior::Default, "OLD", "1")
            .chainable_insert(Scope::Launch, ModificationBehavior::Default, "OLD", "1")
            .chainable_insert(
                Scope::Process("web".into()),
                ModificationBehavior::Default,
                "OLD",
                "1",
            )
            .write_to_layer_dir(dir)
            .unwrap();

        let new = LayerEnv::new().chainable_insert(
            Scope::All,
            ModificationBehavior::Override,
            "NEW",
            "2",
        );
        new.write_to_layer_dir(dir).unwrap();

        let mut names: Vec<_> = fs::read_dir(dir.join("env"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["NEW.override"]);
        assert!(!dir.join("env.launch").exists());
        assert!(!dir.join("env.build").exists());
        assert_eq!(LayerEnv::read_from_layer_dir(dir).unwrap(), new);
    }

    #[test]
    fn write_does_not_write_layer_paths() {
        let (_temp_dir, layer_dir) = layer_with_dirs(&["bin"]);
        let layer_env = LayerEnv::read_from_layer_dir(&layer_dir).unwrap();

        layer_env.write_to_layer_dir(&layer_dir).unwrap();

        assert!(!layer_dir.join("env.build").exists());
        assert!(!layer_dir.join("env.launch").exists());
    }

    #[test]
    fn process_names_that_are_not_one_path_component_are_rejected() {
        for process in ["", ".", "..", "../escape", "a/b", "a\\b"] {
            let temp_dir = tempfile::tempdir().unwrap();
            let layer_dir = temp_dir.path().join("layer");
            let layer_env = LayerEnv::new().chainable_insert(
                Scope::Process(process.to_string()),
                ModificationBehavior::Override,
                "VAR",
                "x",
            );

            let error = layer_env.write_to_layer_dir(&layer_dir).unwrap_err();

            assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{process:?}");
            assert!(
                error
                    .to_string()
                    .contains("must be a single path component")
            );
            assert!(!temp_dir.path().join("escape").exists());
        }
    }

    #[test]
    fn env_path_that_is_a_file_is_ignored() {
        let temp_dir = tempfile::tempdir().unwrap();
        fs::write(temp_dir.path().join("env"), "").unwrap();

        assert_eq!(
            LayerEnv::read_from_layer_dir(temp_dir.path()).unwrap(),
            LayerEnv::new()
        );
    }
}
