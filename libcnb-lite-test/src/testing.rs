//! The test API, in the spirit of libcnb-test: [`build`] runs a build and hands a
//! [`TestContext`] to a closure, [`TestContext::rebuild`] builds again with the same state
//! (previous image and cache), and the `assert_*!` macros check output.
//!
//! Like libcnb-test, these functions are for tests: they panic when the build does not end
//! as [`BuildConfig::expected_result`] says.

use std::path::{Path, PathBuf};

use crate::buildpack::escape_id;
use crate::config::{BuildConfig, ExpectedResult};
use crate::launch::{ProcessOutput, run_process};
use crate::lifecycle::{LifecycleError, error_chain, run};
use crate::output::Quiet;
use crate::report::{BuildReport, LayerReport};

/// A finished build, handed to the closure of [`build`] and [`TestContext::rebuild`].
#[derive(Debug)]
pub struct TestContext<'a> {
    /// Lifecycle log and buildpacks' stdout (libcnb-test's `pack_stdout`).
    pub stdout: String,
    /// Buildpacks' stderr, warnings and the error, if any, as an `ERROR: …` line
    /// (libcnb-test's `pack_stderr`). A failed detection is reported in `stdout` instead,
    /// as the lifecycle logs it; [`TestContext::error`] always holds the error.
    pub stderr: String,
    /// The report of a successful build.
    pub report: Option<BuildReport>,
    /// The error of a failed build.
    pub error: Option<LifecycleError>,
    /// The config this build ran with.
    pub config: BuildConfig,
    state_dir: &'a Path,
}

impl TestContext<'_> {
    /// Builds again with the same state dir, so the build sees this build's image and cache.
    ///
    /// # Panics
    ///
    /// Panics when the build does not end as `config` expects.
    pub fn rebuild<F: FnOnce(TestContext<'_>)>(&self, config: BuildConfig, f: F) {
        build_in(self.state_dir, config, f);
    }

    /// The report of a successful build.
    ///
    /// # Panics
    ///
    /// Panics when the build failed.
    #[must_use]
    pub fn report(&self) -> &BuildReport {
        self.report
            .as_ref()
            .unwrap_or_else(|| panic!("the build failed, so it has no report:\n{}", self.stderr))
    }

    /// The report of one layer.
    ///
    /// # Panics
    ///
    /// Panics when the build failed or has no such layer.
    #[must_use]
    pub fn layer(&self, buildpack_id: &str, name: &str) -> &LayerReport {
        let report = self.report();
        report.layer(buildpack_id, name).unwrap_or_else(|| {
            let names: Vec<String> = report.layers.iter().map(LayerReport::identifier).collect();
            panic!("no layer {buildpack_id}:{name}; the build has {names:?}")
        })
    }

    /// The state dir (previous image and cache).
    #[must_use]
    pub fn state_dir(&self) -> &Path {
        self.state_dir
    }

    /// `<layers>` of the last build (until a process is launched from this state dir).
    #[must_use]
    pub fn layers_dir(&self) -> PathBuf {
        self.state_dir.join("build").join("layers")
    }

    /// The layers dir of one buildpack in the last build, `<layers>/<escaped id>`: the dir
    /// its `bin/build` got as its first argument (`CNB_LAYERS_DIR`), holding its
    /// `<layer>.toml` files, `launch.toml`, `store.toml` and so on.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite_test::{BuildConfig, BuildpackSource, build};
    ///
    /// let config = BuildConfig::new("tests/fixtures/app", [BuildpackSource::dir("tests/fixtures/layers")]);
    /// build(config, |ctx| {
    ///     let dir = ctx.buildpack_layers_dir("fixture/layers");
    ///     assert!(dir.ends_with("layers/fixture_layers"));
    ///     assert!(dir.join("store.toml").is_file());
    /// });
    /// ```
    #[must_use]
    pub fn buildpack_layers_dir(&self, buildpack_id: &str) -> PathBuf {
        self.layers_dir().join(escape_id(buildpack_id))
    }

    /// The dir of one layer in the last build, `<layers>/<escaped id>/<layer>`; its
    /// `<layer>.toml` is next to it. An all-false layer was renamed to `<layer>.ignore`, as
    /// the lifecycle does, so this path no longer exists for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite_test::{BuildConfig, BuildpackSource, build};
    ///
    /// let config = BuildConfig::new("tests/fixtures/app", [BuildpackSource::dir("tests/fixtures/layers")])
    ///     .env("LAYER_DATA", "v2");
    /// build(config, |ctx| {
    ///     let data = std::fs::read_to_string(ctx.layer_dir("fixture/layers", "bc").join("data.txt"));
    ///     assert_eq!(data.ok().as_deref(), Some("bc-v2\n"));
    /// });
    /// ```
    #[must_use]
    pub fn layer_dir(&self, buildpack_id: &str, layer: &str) -> PathBuf {
        self.buildpack_layers_dir(buildpack_id).join(layer)
    }

    /// Runs a process of the built image, as the launcher would: the default process for
    /// `None`; `args` replace the process's default arguments when given.
    ///
    /// # Panics
    ///
    /// Panics when the process cannot be launched.
    #[must_use]
    pub fn run_process(
        &self,
        process_type: Option<&str>,
        args: Option<&[String]>,
    ) -> ProcessOutput {
        run_process(
            self.state_dir,
            process_type,
            args,
            &self.config.exec_env,
            crate::WhenLocked::Wait,
        )
        .unwrap_or_else(|error| panic!("cannot launch process: {}", error_chain(&error)))
    }
}

/// Builds `config` with a fresh temporary state dir and calls `f` with the result.
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::{BuildConfig, BuildpackSource, LayerStatus, assert_contains, build};
///
/// let config = BuildConfig::new("tests/fixtures/app", [BuildpackSource::dir("tests/fixtures/layers")]);
/// build(config.clone(), |ctx| {
///     assert_contains!(ctx.stdout, "Adding cache layer");
///     ctx.rebuild(config, |ctx| {
///         assert_eq!(ctx.layer("fixture/layers", "c").cached, Some(LayerStatus::Reused));
///     });
/// });
/// ```
///
/// # Panics
///
/// Panics when no temporary dir can be created, or the build does not end as `config`
/// expects.
pub fn build<F: FnOnce(TestContext<'_>)>(config: BuildConfig, f: F) {
    let state = tempfile::Builder::new()
        .prefix("cnb-state-")
        .tempdir()
        .unwrap_or_else(|error| panic!("cannot create a temporary state dir: {error}"));
    build_in(state.path(), config, f);
    // `TempDir` cannot delete the read-only dirs a buildpack may leave in its layers.
    let build_dir = state.path().join("build");
    crate::fs::remove_dir_forcibly(&build_dir).unwrap_or_else(|error| {
        panic!(
            "cannot remove the temporary build dir {}: {error}",
            build_dir.display()
        )
    });
}

/// Builds `config` with the given state dir and calls `f` with the result.
///
/// # Panics
///
/// Panics when the build does not end as `config` expects.
pub fn build_in<F: FnOnce(TestContext<'_>)>(state_dir: &Path, config: BuildConfig, f: F) {
    let expected = config.expected_result;
    let context = match run(&config, state_dir, &Quiet) {
        Ok(report) => {
            assert!(
                expected == ExpectedResult::Success,
                "the build succeeded but was expected to fail\n--- stdout ---\n{}\n--- stderr ---\n{}",
                report.output.stdout,
                report.output.stderr
            );
            TestContext {
                stdout: report.output.stdout.clone(),
                stderr: report.output.stderr.clone(),
                report: Some(report),
                error: None,
                config,
                state_dir,
            }
        }
        Err(failure) => {
            assert!(
                expected == ExpectedResult::Failure,
                "the build failed: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                error_chain(&failure.error),
                failure.output.stdout,
                failure.output.stderr
            );
            TestContext {
                stdout: failure.output.stdout,
                stderr: failure.output.stderr,
                report: None,
                error: Some(*failure.error),
                config,
                state_dir,
            }
        }
    };
    f(context);
}

/// Asserts that `left` contains `right`, printing both on failure.
///
/// # Examples
///
/// ```
/// libcnb_lite_test::assert_contains!("Reusing layer 'a:b'", "Reusing layer");
/// ```
#[macro_export]
macro_rules! assert_contains {
    ($left:expr, $right:expr $(,)?) => {{
        let (left, right) = (&$left, &$right);
        assert!(
            left.contains(right.as_ref() as &str),
            "assertion failed: `(left contains right)`\nleft (unescaped):\n{}\n\nright: {:?}",
            left,
            right,
        );
    }};
}

/// Asserts that `left` does not contain `right`, printing both on failure.
///
/// # Examples
///
/// ```
/// libcnb_lite_test::assert_not_contains!("Reusing layer 'a:b'", "Adding layer");
/// ```
#[macro_export]
macro_rules! assert_not_contains {
    ($left:expr, $right:expr $(,)?) => {{
        let (left, right) = (&$left, &$right);
        assert!(
            !left.contains(right.as_ref() as &str),
            "assertion failed: `(left does not contain right)`\nleft (unescaped):\n{}\n\nright: {:?}",
            left,
            right,
        );
    }};
}

/// Asserts that a string is empty, printing it on failure.
///
/// # Examples
///
/// ```
/// libcnb_lite_test::assert_empty!("");
/// ```
#[macro_export]
macro_rules! assert_empty {
    ($value:expr $(,)?) => {{
        let value = &$value;
        assert!(
            value.is_empty(),
            "assertion failed: `(is empty)`\nvalue (unescaped):\n{}",
            value
        );
    }};
}
