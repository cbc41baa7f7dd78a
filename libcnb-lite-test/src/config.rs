//! What to build: the app, the buildpack group, the platform env and the target.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::lock::WhenLocked;
use libcnb_lite_data::buildpack::BuildpackId;

/// A buildpack of the group, as libcnb-test names them.
///
/// How each is found and packaged (libcnb-package's rules for the first two):
/// - [`CurrentCrate`](Self::CurrentCrate): the crate whose tests are running
///   (`CARGO_MANIFEST_DIR`); its bin targets are built with cargo and laid out as
///   `cargo libcnb package` does: the buildpack's target as `bin/build` (with `bin/detect`
///   linking to it), every other bin target in `.libcnb-cargo/additional-bin/`.
/// - [`WorkspaceBuildpack`](Self::WorkspaceBuildpack): a buildpack of the Cargo workspace
///   (found by its `buildpack.toml`), packaged the same way; a composite buildpack (one
///   with `[[order]]`) is replaced by the members of its first order group, each resolved
///   through its `package.toml` (`libcnb:<id>` or a relative `uri`).
/// - [`Other`](Self::Other): a dir path, or a buildpack ID resolved locally (never
///   downloaded): a path is used when it names a dir (relative paths against the crate
///   dir); otherwise the ID is looked up, in order, in each dir of `CNB_BUILDPACK_PATH`
///   (colon-separated; a dir holding buildpack dirs, as `/cnb/buildpacks` does, by any name
///   or as `<escaped id>/` or `<id>/<version>/`) and then among the workspace's buildpacks.
///
/// # Examples
///
/// ```
/// use libcnb_lite_data::buildpack_id;
/// use libcnb_lite_test::BuildpackReference;
///
/// let group = [
///     BuildpackReference::Other("tests/fixtures/layers".into()),
///     BuildpackReference::WorkspaceBuildpack(buildpack_id!("example/basics")),
///     BuildpackReference::CurrentCrate,
/// ];
/// assert_eq!(group.len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildpackReference {
    /// The crate whose tests are running.
    CurrentCrate,
    /// A libcnb buildpack (or composite buildpack) of the current Cargo workspace.
    WorkspaceBuildpack(BuildpackId),
    /// A packaged buildpack dir or crate dir, or a buildpack ID found by the local search
    /// rule above.
    Other(String),
}

/// The cargo profile packaged buildpacks are built with (libcnb-package's `CargoProfile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CargoProfile {
    /// `cargo build` (fast to compile; the default, as in libcnb-test).
    #[default]
    Dev,
    /// `cargo build --release`.
    Release,
}

/// The build's target platform, given to buildpacks as `CNB_TARGET_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `CNB_TARGET_OS`.
    pub os: String,
    /// `CNB_TARGET_ARCH`.
    pub arch: String,
    /// `CNB_TARGET_ARCH_VARIANT` (passed only when non-empty).
    pub arch_variant: String,
    /// `CNB_TARGET_DISTRO_NAME` (libcnb requires it).
    pub distro_name: String,
    /// `CNB_TARGET_DISTRO_VERSION` (libcnb requires it).
    pub distro_version: String,
}

impl Default for Target {
    /// `linux/amd64` on Ubuntu 24.04, as Heroku's `heroku/builder:24`.
    fn default() -> Self {
        Self {
            os: "linux".into(),
            arch: "amd64".into(),
            arch_variant: String::new(),
            distro_name: "ubuntu".into(),
            distro_version: "24.04".into(),
        }
    }
}

/// A Platform API version; it decides the launch+cache restore fallback (≥ 0.14) and
/// descriptor `exec-env` filtering (≥ 0.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PlatformApi {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl Default for PlatformApi {
    /// 0.15, the newest that `pack` speaks.
    fn default() -> Self {
        Self {
            major: 0,
            minor: 15,
        }
    }
}

/// Whether a build is expected to succeed (libcnb-test's `PackResult`).
#[derive(Debug, Clone, Eq, PartialEq)]
pub enum PackResult {
    /// The build must succeed (the default).
    Success,
    /// The build must fail (detect, build or export).
    Failure,
}

/// Called with a copy of the app dir before the build (see
/// [`BuildConfig::app_dir_preprocessor`]).
type AppDirPreprocessor = Rc<dyn Fn(PathBuf)>;

/// Everything a build needs: libcnb-test's `BuildConfig`, plus the platform options a
/// local lifecycle can offer (target, Platform API, operator env, user, skipped layers).
///
/// As in libcnb-test, a relative app dir is resolved against the crate dir
/// (`CARGO_MANIFEST_DIR`) by [`TestRunner`](crate::TestRunner), and the app dir is never
/// modified: each build copies it into its `/workspace` first. Platform env vars (`env`)
/// are written to `<platform>/env/<NAME>` as `pack build --env` does.
///
/// The builder name picks the target the buildpacks see (`CNB_TARGET_*`): a tag of two
/// digits (`heroku/builder:22`, `heroku/builder:24`, `heroku/buildpacks:20`) means Ubuntu
/// `<tag>.04`; any other name means Ubuntu 24.04 (as [`Target::default`]). The arch comes
/// from the target triple (`aarch64-…` is `arm64`, anything else `amd64`). Containers of
/// every builder run on the host's OS tree, read-only (so `bash` and `python3` are the
/// host's); nothing is downloaded. [`BuildConfig::target`] overrides the rule.
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::{BuildConfig, BuildpackReference, PackResult};
///
/// let mut config = BuildConfig::new("heroku/builder:24", "tests/fixtures/app");
/// config
///     .buildpacks([BuildpackReference::Other("tests/fixtures/layers".into())])
///     .env("BP_LOG_LEVEL", "debug")
///     .expected_pack_result(PackResult::Success);
/// assert_eq!(config.builder_target().distro_version, "24.04");
/// ```
#[derive(Clone)]
pub struct BuildConfig {
    pub(crate) app_dir: PathBuf,
    pub(crate) cargo_profile: CargoProfile,
    pub(crate) target_triple: String,
    pub(crate) builder_name: String,
    pub(crate) buildpacks: Vec<BuildpackReference>,
    pub(crate) optional: Vec<BuildpackReference>,
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) app_dir_preprocessor: Option<AppDirPreprocessor>,
    pub(crate) expected_pack_result: PackResult,
    pub(crate) operator_env: Vec<(String, String)>,
    pub(crate) target: Option<Target>,
    pub(crate) platform_api: PlatformApi,
    pub(crate) exec_env: String,
    pub(crate) user: (u64, u64),
    pub(crate) skip_layers: bool,
    pub(crate) when_locked: WhenLocked,
    /// The crate dir `CurrentCrate` and the workspace search start from; the current dir
    /// when `None` (the CLI). Set by the test runner from `CARGO_MANIFEST_DIR`.
    pub(crate) crate_dir: Option<PathBuf>,
}

impl fmt::Debug for BuildConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuildConfig")
            .field("app_dir", &self.app_dir)
            .field("cargo_profile", &self.cargo_profile)
            .field("target_triple", &self.target_triple)
            .field("builder_name", &self.builder_name)
            .field("buildpacks", &self.buildpacks)
            .field("optional", &self.optional)
            .field("env", &self.env)
            .field(
                "app_dir_preprocessor",
                &self.app_dir_preprocessor.as_ref().map(|_| "Fn(PathBuf)"),
            )
            .field("expected_pack_result", &self.expected_pack_result)
            .field("operator_env", &self.operator_env)
            .field("target", &self.target)
            .field("platform_api", &self.platform_api)
            .field("exec_env", &self.exec_env)
            .field("user", &self.user)
            .field("skip_layers", &self.skip_layers)
            .field("when_locked", &self.when_locked)
            .finish_non_exhaustive()
    }
}

impl BuildConfig {
    /// A build of `app_dir` on `builder_name` with the current crate as the only buildpack,
    /// the dev profile, target triple `x86_64-unknown-linux-musl` and no env, expected to
    /// succeed (libcnb-test's defaults).
    pub fn new(builder_name: impl Into<String>, app_dir: impl AsRef<Path>) -> Self {
        Self {
            app_dir: PathBuf::from(app_dir.as_ref()),
            cargo_profile: CargoProfile::Dev,
            target_triple: String::from("x86_64-unknown-linux-musl"),
            builder_name: builder_name.into(),
            buildpacks: vec![BuildpackReference::CurrentCrate],
            optional: Vec::new(),
            env: BTreeMap::new(),
            app_dir_preprocessor: None,
            expected_pack_result: PackResult::Success,
            operator_env: Vec::new(),
            target: None,
            platform_api: PlatformApi::default(),
            exec_env: "production".into(),
            user: (1000, 1000),
            skip_layers: false,
            when_locked: WhenLocked::Wait,
            crate_dir: None,
        }
    }

    /// What to do when another build, export or launch holds the state dir: wait for it
    /// (the default, logging that it waits) or fail at once with [`StateError::Busy`].
    ///
    /// [`StateError::Busy`]: crate::StateError::Busy
    pub fn when_locked(&mut self, when: WhenLocked) -> &mut Self {
        self.when_locked = when;
        self
    }

    /// Replaces the buildpack group (default: `[BuildpackReference::CurrentCrate]`).
    pub fn buildpacks(&mut self, buildpacks: impl Into<Vec<BuildpackReference>>) -> &mut Self {
        self.buildpacks = buildpacks.into();
        self
    }

    /// Marks these members of the group optional: an optional buildpack may fail detection
    /// or be dropped by plan resolution without failing the group.
    pub fn optional_buildpacks(
        &mut self,
        buildpacks: impl IntoIterator<Item = BuildpackReference>,
    ) -> &mut Self {
        self.optional.extend(buildpacks);
        self
    }

    /// Sets the cargo profile packaged buildpacks are built with.
    pub fn cargo_profile(&mut self, cargo_profile: CargoProfile) -> &mut Self {
        self.cargo_profile = cargo_profile;
        self
    }

    /// Sets the target triple packaged buildpacks are built for. Builds run on this
    /// machine, so a triple of the host's architecture is built for the host itself (its
    /// standard library need not be installed); another architecture fails packaging.
    pub fn target_triple(&mut self, target_triple: impl Into<String>) -> &mut Self {
        self.target_triple = target_triple.into();
        self
    }

    /// Sets a platform env var (`<platform>/env/<name>`), replacing an earlier value.
    pub fn env(&mut self, k: impl Into<String>, v: impl Into<String>) -> &mut Self {
        self.env.insert(k.into(), v.into());
        self
    }

    /// Sets several platform env vars.
    pub fn envs<K: Into<String>, V: Into<String>, I: IntoIterator<Item = (K, V)>>(
        &mut self,
        envs: I,
    ) -> &mut Self {
        for (key, value) in envs {
            self.env(key, value);
        }
        self
    }

    /// Sets a function called with a temporary copy of the app dir before the build, to
    /// change the app without changing the fixture.
    pub fn app_dir_preprocessor<F: 'static + Fn(PathBuf)>(&mut self, f: F) -> &mut Self {
        self.app_dir_preprocessor = Some(Rc::new(f));
        self
    }

    /// Sets the app dir.
    pub fn app_dir<P: Into<PathBuf>>(&mut self, path: P) -> &mut Self {
        self.app_dir = path.into();
        self
    }

    /// Sets whether the build is expected to succeed or fail.
    pub fn expected_pack_result(&mut self, pack_result: PackResult) -> &mut Self {
        self.expected_pack_result = pack_result;
        self
    }

    /// Sets an operator env file `<build-config>/env/<file_name>` (suffix rules apply; an
    /// un-suffixed file sets a default).
    pub fn build_config_env(
        &mut self,
        file_name: impl Into<String>,
        value: impl Into<String>,
    ) -> &mut Self {
        self.operator_env.push((file_name.into(), value.into()));
        self
    }

    /// Sets the target, overriding the one the builder name maps to.
    pub fn target(&mut self, target: Target) -> &mut Self {
        self.target = Some(target);
        self
    }

    /// Sets the Platform API version (default 0.15).
    pub fn platform_api(&mut self, major: u32, minor: u32) -> &mut Self {
        self.platform_api = PlatformApi { major, minor };
        self
    }

    /// Sets `CNB_EXEC_ENV` for Buildpack API ≥ 0.12 (default `production`).
    pub fn exec_env(&mut self, exec_env: impl Into<String>) -> &mut Self {
        self.exec_env = exec_env.into();
        self
    }

    /// Sets the owner recorded in layer archives (`CNB_USER_ID`, `CNB_GROUP_ID`; default 1000).
    pub fn user(&mut self, uid: u64, gid: u64) -> &mut Self {
        self.user = (uid, gid);
        self
    }

    /// Restores no layer metadata or contents, as `CNB_SKIP_LAYERS=true` (store.toml still
    /// comes back).
    pub fn skip_layers(&mut self, skip: bool) -> &mut Self {
        self.skip_layers = skip;
        self
    }

    /// The target the buildpacks see: [`BuildConfig::target`] if set, else the builder
    /// name's (see the type's docs).
    #[must_use]
    pub fn builder_target(&self) -> Target {
        if let Some(target) = &self.target {
            return target.clone();
        }
        let mut target = Target::default();
        let tag = self.builder_name.rsplit_once(':').map(|(_, tag)| tag);
        if let Some(tag) = tag.filter(|t| t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit())) {
            target.distro_version = format!("{tag}.04");
        }
        if self.target_triple.starts_with("aarch64") {
            target.arch = "arm64".into();
        }
        target
    }
}
