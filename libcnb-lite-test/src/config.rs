//! What to build: the app, the buildpack group, the platform env and the target.

use std::path::{Path, PathBuf};

use crate::lock::WhenLocked;

/// Where a buildpack comes from.
///
/// # Examples
///
/// ```no_run
/// use libcnb_lite_test::BuildpackSource;
///
/// // A packaged buildpack: a dir with `buildpack.toml`, `bin/detect` and `bin/build`.
/// let packaged = BuildpackSource::dir("tests/fixtures/hello");
/// // In an integration test of a Rust buildpack: its compiled binary plus its descriptor.
/// let binary = BuildpackSource::binary(
///     "target/debug/my-buildpack", // env!("CARGO_BIN_EXE_my-buildpack") in a test
///     "buildpack.toml",
/// );
/// // A crate dir the harness builds with cargo.
/// let from_source = BuildpackSource::crate_dir("../my-buildpack");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildpackSource {
    /// A packaged buildpack dir holding `buildpack.toml`, `bin/detect` and `bin/build`.
    Dir(PathBuf),
    /// A compiled buildpack binary plus its `buildpack.toml`. The harness packages it into a
    /// dir where `bin/detect` and `bin/build` are that binary (libcnb dispatches on the
    /// basename of `argv[0]`).
    Binary {
        /// The compiled binary, e.g. `env!("CARGO_BIN_EXE_<name>")`.
        path: PathBuf,
        /// The buildpack's `buildpack.toml`.
        descriptor: PathBuf,
        /// Extra binaries (name, path), placed at `.libcnb-cargo/additional-bin/<name>` as
        /// libcnb-cargo does for `additional_buildpack_binary_path!`.
        additional_binaries: Vec<(String, PathBuf)>,
    },
    /// A crate dir (with `Cargo.toml` and `buildpack.toml`) the harness builds with
    /// `cargo build`; the bin target named like the package (or the only one) becomes
    /// `bin/build` and `bin/detect`, every other bin target an additional binary.
    Crate {
        /// The crate dir.
        dir: PathBuf,
        /// The cargo profile to build with.
        profile: CargoProfile,
    },
}

impl BuildpackSource {
    /// A packaged buildpack dir.
    pub fn dir(path: impl Into<PathBuf>) -> Self {
        Self::Dir(path.into())
    }

    /// A compiled binary plus its `buildpack.toml`.
    pub fn binary(path: impl Into<PathBuf>, descriptor: impl Into<PathBuf>) -> Self {
        Self::Binary {
            path: path.into(),
            descriptor: descriptor.into(),
            additional_binaries: Vec::new(),
        }
    }

    /// A crate dir built with cargo's dev profile.
    pub fn crate_dir(dir: impl Into<PathBuf>) -> Self {
        Self::Crate {
            dir: dir.into(),
            profile: CargoProfile::Dev,
        }
    }

    /// Adds an additional binary to a [`BuildpackSource::Binary`]; other sources are returned
    /// unchanged (a packaged dir already holds its binaries, a crate's come from cargo).
    #[must_use]
    pub fn with_additional_binary(
        mut self,
        name: impl Into<String>,
        path: impl Into<PathBuf>,
    ) -> Self {
        if let Self::Binary {
            additional_binaries,
            ..
        } = &mut self
        {
            additional_binaries.push((name.into(), path.into()));
        }
        self
    }

    /// Makes this buildpack an optional member of the group.
    #[must_use]
    pub fn optional(self) -> GroupEntry {
        GroupEntry {
            source: self,
            optional: true,
        }
    }
}

/// The cargo profile for [`BuildpackSource::Crate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CargoProfile {
    /// `cargo build` (fast to compile; the default, as in libcnb-test).
    #[default]
    Dev,
    /// `cargo build --release`.
    Release,
}

/// One element of the buildpack group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    /// Where the buildpack comes from.
    pub source: BuildpackSource,
    /// An optional buildpack may fail detection or be dropped by plan resolution without
    /// failing the group.
    pub optional: bool,
}

impl From<BuildpackSource> for GroupEntry {
    fn from(source: BuildpackSource) -> Self {
        Self {
            source,
            optional: false,
        }
    }
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

/// Whether the test API expects a build to succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpectedResult {
    /// The build must succeed (the default).
    #[default]
    Success,
    /// The build must fail (detect, build or export).
    Failure,
}

/// Everything a build needs.
///
/// The app dir is never modified: each build copies it into a per-build work dir first,
/// because buildpacks may write to the app dir. Platform env vars (`env`) are written to
/// `<platform>/env/<NAME>` as `pack build --env` does.
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::{BuildConfig, BuildpackSource, Target};
///
/// let config = BuildConfig::new("tests/fixtures/app", [BuildpackSource::dir("my-buildpack")])
///     .env("BP_LOG_LEVEL", "debug")
///     .target(Target { arch: "arm64".into(), ..Target::default() });
/// assert_eq!(config.env_vars(), [("BP_LOG_LEVEL".to_string(), "debug".to_string())]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildConfig {
    pub(crate) app_dir: PathBuf,
    pub(crate) buildpacks: Vec<GroupEntry>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) operator_env: Vec<(String, String)>,
    pub(crate) target: Target,
    pub(crate) platform_api: PlatformApi,
    pub(crate) exec_env: String,
    pub(crate) user: (u64, u64),
    pub(crate) skip_layers: bool,
    pub(crate) expected_result: ExpectedResult,
    pub(crate) when_locked: WhenLocked,
}

impl BuildConfig {
    /// A build of `app_dir` with the given buildpack group, default target and no env.
    pub fn new<I, E>(app_dir: impl Into<PathBuf>, buildpacks: I) -> Self
    where
        I: IntoIterator<Item = E>,
        E: Into<GroupEntry>,
    {
        Self {
            app_dir: app_dir.into(),
            buildpacks: buildpacks.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            operator_env: Vec::new(),
            target: Target::default(),
            platform_api: PlatformApi::default(),
            exec_env: "production".into(),
            user: (1000, 1000),
            skip_layers: false,
            expected_result: ExpectedResult::Success,
            when_locked: WhenLocked::Wait,
        }
    }

    /// What to do when another build, export or launch holds the state dir: wait for it
    /// (the default, logging that it waits) or fail at once with [`StateError::Busy`].
    ///
    /// [`StateError::Busy`]: crate::StateError::Busy
    #[must_use]
    pub fn when_locked(mut self, when: WhenLocked) -> Self {
        self.when_locked = when;
        self
    }

    /// Sets a platform env var (`<platform>/env/<name>`), replacing an earlier value.
    #[must_use]
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.env.retain(|(n, _)| *n != name);
        self.env.push((name, value.into()));
        self
    }

    /// Sets an operator env file `<build-config>/env/<file_name>` (suffix rules apply; an
    /// un-suffixed file sets a default).
    #[must_use]
    pub fn build_config_env(
        mut self,
        file_name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.operator_env.push((file_name.into(), value.into()));
        self
    }

    /// Sets the app dir.
    #[must_use]
    pub fn app_dir(mut self, app_dir: impl Into<PathBuf>) -> Self {
        self.app_dir = app_dir.into();
        self
    }

    /// Replaces the buildpack group.
    #[must_use]
    pub fn buildpacks<I, E>(mut self, buildpacks: I) -> Self
    where
        I: IntoIterator<Item = E>,
        E: Into<GroupEntry>,
    {
        self.buildpacks = buildpacks.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the target.
    #[must_use]
    pub fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// Sets the Platform API version (default 0.15).
    #[must_use]
    pub fn platform_api(mut self, major: u32, minor: u32) -> Self {
        self.platform_api = PlatformApi { major, minor };
        self
    }

    /// Sets `CNB_EXEC_ENV` for Buildpack API ≥ 0.12 (default `production`).
    #[must_use]
    pub fn exec_env(mut self, exec_env: impl Into<String>) -> Self {
        self.exec_env = exec_env.into();
        self
    }

    /// Sets the owner recorded in layer archives (`CNB_USER_ID`, `CNB_GROUP_ID`; default 1000).
    #[must_use]
    pub fn user(mut self, uid: u64, gid: u64) -> Self {
        self.user = (uid, gid);
        self
    }

    /// Restores no layer metadata or contents, as `CNB_SKIP_LAYERS=true` (store.toml still
    /// comes back).
    #[must_use]
    pub fn skip_layers(mut self, skip: bool) -> Self {
        self.skip_layers = skip;
        self
    }

    /// Sets whether the test API ([`crate::build`]) expects success or failure.
    #[must_use]
    pub fn expected_result(mut self, expected: ExpectedResult) -> Self {
        self.expected_result = expected;
        self
    }

    /// The app dir.
    #[must_use]
    pub fn app(&self) -> &Path {
        &self.app_dir
    }

    /// The buildpack group.
    #[must_use]
    pub fn group(&self) -> &[GroupEntry] {
        &self.buildpacks
    }

    /// The platform env vars.
    #[must_use]
    pub fn env_vars(&self) -> &[(String, String)] {
        &self.env
    }
}
