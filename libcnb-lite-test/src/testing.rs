//! libcnb-test's API: [`TestRunner::build`] runs a build and hands a [`TestContext`] to a
//! closure, [`TestContext::rebuild`] builds again with the same state (previous image and
//! cache), and [`TestContext::download_sbom_files`] reads the image's SBOMs.
//!
//! Like libcnb-test, these functions are for tests: they panic when the build does not end
//! as [`BuildConfig::expected_pack_result`] says, with libcnb-test's messages.

use std::borrow::Borrow;
use std::fs;
use std::path::{Path, PathBuf};

use libcnb_lite_data::buildpack::BuildpackId;
use libcnb_lite_data::layer::LayerName;
use libcnb_lite_data::sbom::SbomFormat;

use crate::buildpack::escape_id;
use crate::config::{BuildConfig, PackResult};
use crate::container::{Container, ContainerOptions, Mount, run_to_completion};
use crate::container_config::ContainerConfig;
use crate::container_context::ContainerContext;
use crate::launch::{ProcessOutput, run_process};
use crate::lifecycle::{LifecycleError, error_chain, exit_code, run, sync_tree};
use crate::log::LogOutput;
use crate::output::Quiet;
use crate::report::{BuildReport, LayerReport};
use crate::state::StateDir;

/// Runs builds for tests (libcnb-test's `TestRunner`).
///
/// Each [`TestRunner::build`] gets a fresh temporary state dir (where the previous image
/// and cache of [`TestContext::rebuild`] live), removed when the closure returns, unless
/// [`TestRunner::state_dir`] names one to keep.
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::{BuildConfig, BuildpackReference, TestRunner, assert_contains};
///
/// let mut config = BuildConfig::new("heroku/builder:24", "tests/fixtures/app");
/// config.buildpacks([BuildpackReference::Other("tests/fixtures/layers".into())]);
/// TestRunner::default().build(&config, |context| {
///     assert_contains!(context.pack_stdout, "Adding cache layer 'fixture/layers:c'");
///     context.rebuild(&config, |context| {
///         assert_contains!(context.pack_stdout, "Reusing cache layer 'fixture/layers:c'");
///     });
/// });
/// ```
#[derive(Debug, Default)]
pub struct TestRunner {
    state_dir: Option<PathBuf>,
}

/// A state dir that is removed on drop when the runner created it.
#[derive(Debug)]
struct StateGuard {
    path: PathBuf,
    temporary: bool,
}

impl Drop for StateGuard {
    fn drop(&mut self) {
        if self.temporary {
            // A buildpack may leave read-only dirs in its layers, which `TempDir` cannot
            // remove; a failure here must not turn a passing test into a panic.
            let _ = crate::fs::remove_dir_forcibly(&self.path);
        }
    }
}

impl TestRunner {
    /// Keeps the state (previous image and cache) in `dir` instead of a temporary dir, so
    /// builds by separate runners, or later processes, see each other's results.
    #[must_use]
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Builds `config` and calls `f` with the result.
    ///
    /// The app dir (relative to the crate dir, `CARGO_MANIFEST_DIR`) is copied and run
    /// through the app dir preprocessor if one is set; the buildpacks are packaged (see
    /// [`BuildpackReference`](crate::BuildpackReference)) and the local lifecycle builds.
    ///
    /// # Panics
    ///
    /// As libcnb-test: when `CARGO_MANIFEST_DIR` is unset, the app dir is missing
    /// (`App dir is not a valid directory: …`), a buildpack cannot be packaged
    /// (`Error packaging current crate as buildpack: …`, `Error packaging buildpack '<id>':
    /// …`), the build fails unexpectedly (`Error performing pack build:…`) or succeeds when
    /// it should fail (`The pack build was expected to fail, but did not:…`).
    pub fn build<C: Borrow<BuildConfig>, F: FnOnce(TestContext<'_>)>(&self, config: C, f: F) {
        let state = match &self.state_dir {
            Some(dir) => StateGuard {
                path: dir.clone(),
                temporary: false,
            },
            None => StateGuard {
                path: tempfile::Builder::new()
                    .prefix("libcnb-lite-test-state-")
                    .tempdir()
                    .unwrap_or_else(|error| {
                        panic!("Couldn't create a temporary state directory: {error}")
                    })
                    .keep(),
                temporary: true,
            },
        };
        self.build_internal(state, config.borrow(), f);
    }

    fn build_internal<F: FnOnce(TestContext<'_>)>(
        &self,
        state: StateGuard,
        config: &BuildConfig,
        f: F,
    ) {
        let crate_dir = std::env::var("CARGO_MANIFEST_DIR").map_or_else(
            |error| panic!("Error determining Cargo manifest directory: {error}"),
            PathBuf::from,
        );
        let app_dir = if config.app_dir.is_relative() {
            crate_dir.join(&config.app_dir)
        } else {
            config.app_dir.clone()
        };
        assert!(
            app_dir.is_dir(),
            "App dir is not a valid directory: {}",
            app_dir.display()
        );
        // Kept alive until the build is over; the lifecycle copies the app again into its
        // own workspace.
        let mut preprocessed = None;
        let app_dir = if let Some(preprocessor) = &config.app_dir_preprocessor {
            let copy = tempfile::tempdir()
                .and_then(|copy| sync_tree(&app_dir, copy.path()).map(|()| copy))
                .expect("Error copying app fixture to temporary location");
            preprocessor(copy.path().to_owned());
            let path = copy.path().to_owned();
            preprocessed = Some(copy);
            path
        } else {
            app_dir
        };
        let mut run_config = config.clone();
        run_config.app_dir = app_dir;
        run_config.crate_dir = Some(crate_dir);
        let result = run(&run_config, &state.path, &Quiet);
        drop(preprocessed);
        let (report, error, output) = match result {
            Ok(report) => {
                let output = report.output.clone();
                (Some(report), None, output)
            }
            Err(failure) => (None, Some(*failure.error), failure.output),
        };
        let log_output = LogOutput {
            stdout: output.stdout,
            stderr: output.stderr,
        };
        if let Some(LifecycleError::Prepare { source, .. }) = &error {
            let context = error.as_ref().map(ToString::to_string).unwrap_or_default();
            panic!("{context}: {source}");
        }
        match (&config.expected_pack_result, &error) {
            (PackResult::Failure, None) => {
                panic!("The pack build was expected to fail, but did not:\n\n{log_output}")
            }
            (PackResult::Success, Some(error)) => panic!(
                "Error performing pack build:\n\npack command failed with exit code {}!\n\n{log_output}",
                exit_code(error)
            ),
            _ => {}
        }
        f(TestContext {
            pack_stdout: log_output.stdout,
            pack_stderr: log_output.stderr,
            config: config.clone(),
            report,
            error,
            state,
            runner: self,
        });
    }
}

/// A finished build, handed to the closure of [`TestRunner::build`] and
/// [`TestContext::rebuild`] (libcnb-test's `TestContext`), with the local lifecycle's
/// report and dirs as extras.
#[derive(Debug)]
pub struct TestContext<'a> {
    /// The lifecycle's log (`===> DETECTING` … `===> EXPORTING`, `Adding layer '…'`, …)
    /// and the buildpacks' stdout, as `pack build` prints them. A failed detection is
    /// logged here, as the lifecycle logs it.
    pub pack_stdout: String,
    /// The buildpacks' stderr, warnings, and the error of a failed build as an `ERROR: …`
    /// line.
    pub pack_stderr: String,
    /// The config this build ran with.
    pub config: BuildConfig,
    report: Option<BuildReport>,
    error: Option<LifecycleError>,
    state: StateGuard,
    runner: &'a TestRunner,
}

impl TestContext<'_> {
    /// Builds again with the same state, so the build sees this build's image and cache
    /// (libcnb-test keeps the image name and cache volumes the same way).
    ///
    /// # Panics
    ///
    /// As [`TestRunner::build`].
    pub fn rebuild<C: Borrow<BuildConfig>, F: FnOnce(TestContext<'_>)>(self, config: C, f: F) {
        let Self { state, runner, .. } = self;
        runner.build_internal(state, config.borrow(), f);
    }

    /// Calls `f` with the image's SBOM files, laid out as `pack sbom download` writes them
    /// (`layers/sbom/launch/<escaped buildpack id>/[<layer>/]sbom.<format>.json`).
    ///
    /// # Panics
    ///
    /// When the build failed or the SBOM layer cannot be read or extracted.
    pub fn download_sbom_files<R, F: Fn(SbomFiles) -> R>(&self, f: F) -> R {
        let temp_dir =
            tempfile::tempdir().expect("Couldn't create temporary directory for SBOM files");
        let layers = temp_dir.path().join("layers");
        fs::create_dir_all(&layers).unwrap_or_else(|error| {
            panic!(
                "Error downloading SBOM files:\n\ncannot create {}: {error}",
                layers.display()
            )
        });
        let state = StateDir::open(&self.state.path).unwrap_or_else(|error| {
            panic!("Error downloading SBOM files:\n\n{}", error_chain(&error))
        });
        let image = state
            .image_metadata()
            .unwrap_or_else(|error| {
                panic!("Error downloading SBOM files:\n\n{}", error_chain(&error))
            })
            .unwrap_or_else(|| {
                panic!("Error downloading SBOM files:\n\nthe build exported no image")
            });
        if let Some(diff_id) = image
            .sbom
            .as_ref()
            .and_then(|sbom| crate::archive::DiffId::parse(&sbom.sha))
        {
            let blob = state.image_blob(&diff_id);
            let file = fs::File::open(&blob).unwrap_or_else(|error| {
                panic!(
                    "Error downloading SBOM files:\n\ncannot open {}: {error}",
                    blob.display()
                )
            });
            crate::archive::extract(file, &layers, Path::new("")).unwrap_or_else(|error| {
                panic!("Error downloading SBOM files:\n\n{}", error_chain(&error))
            });
        }
        f(SbomFiles {
            sbom_files_directory: temp_dir.path().into(),
        })
    }

    /// Starts a container of the built image and calls `f` with it; the container is
    /// removed when `f` returns or panics. Containers run through `runc` on the host's OS
    /// tree (read-only), or on the run image the state dir's image was last written on.
    ///
    /// # Panics
    ///
    /// When the container cannot start (`Error starting container:`), for example without
    /// root or `runc` (the message says which).
    pub fn start_container<C: Borrow<ContainerConfig>, F: FnOnce(ContainerContext)>(
        &self,
        config: C,
        f: F,
    ) {
        let config = config.borrow();
        let mut options = ContainerOptions::new();
        options.entrypoint.clone_from(&config.entrypoint);
        options.command.clone_from(&config.command);
        options.env.extend(config.env.clone());
        let mut ports: Vec<u16> = config.exposed_ports.iter().copied().collect();
        ports.sort_unstable();
        options.publish = ports;
        for (source, target) in &config.bind_mounts {
            let source = std::path::absolute(source).unwrap_or_else(|_| source.clone());
            options.mounts.push(Mount::new(source, target, false));
        }
        let container = Container::start(&self.state.path, &options)
            .unwrap_or_else(|error| panic!("Error starting container:\n\n{}", error_chain(&error)));
        f(ContainerContext {
            container_name: container.name().to_owned(),
            container,
            config: config.clone(),
        });
    }

    /// Runs `command` with `bash -c` through the launcher in a new container of the built
    /// image, to its end (libcnb-test runs `launcher <command>`): the launch env applies.
    ///
    /// # Panics
    ///
    /// When the container cannot run or the command exits non-zero (`Error running
    /// container:`, as libcnb-test).
    pub fn run_shell_command(&self, command: impl Into<String>) -> LogOutput {
        let options = ContainerOptions::new()
            .entrypoint("launcher")
            .command([command.into()]);
        let output = run_to_completion(&self.state.path, &options)
            .unwrap_or_else(|error| panic!("Error running container:\n\n{}", error_chain(&error)));
        let log_output = LogOutput {
            stdout: output.stdout,
            stderr: output.stderr,
        };
        assert!(
            output.exit_code == 0,
            "Error running container:\n\ndocker command failed with exit code {}!\n\n{log_output}",
            output.exit_code
        );
        log_output
    }

    /// The report of a successful build.
    ///
    /// # Panics
    ///
    /// Panics when the build failed.
    #[must_use]
    pub fn report(&self) -> &BuildReport {
        self.report.as_ref().unwrap_or_else(|| {
            panic!(
                "the build failed, so it has no report:\n{}",
                self.pack_stderr
            )
        })
    }

    /// The error of a failed build (expected with [`PackResult::Failure`]).
    #[must_use]
    pub fn error(&self) -> Option<&LifecycleError> {
        self.error.as_ref()
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
        &self.state.path
    }

    /// `<layers>` of the last build (until a process is launched from this state dir).
    #[must_use]
    pub fn layers_dir(&self) -> PathBuf {
        self.state.path.join("build").join("layers")
    }

    /// The layers dir of one buildpack in the last build, `<layers>/<escaped id>`: the dir
    /// its `bin/build` got as its first argument (`CNB_LAYERS_DIR`), holding its
    /// `<layer>.toml` files, `launch.toml`, `store.toml` and so on.
    ///
    /// # Examples
    ///
    /// ```
    /// use libcnb_lite_test::{BuildConfig, BuildpackReference, TestRunner};
    ///
    /// let mut config = BuildConfig::new("heroku/builder:24", "tests/fixtures/app");
    /// config.buildpacks([BuildpackReference::Other("tests/fixtures/layers".into())]);
    /// TestRunner::default().build(config, |ctx| {
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
    /// use libcnb_lite_test::{BuildConfig, BuildpackReference, TestRunner};
    ///
    /// let mut config = BuildConfig::new("heroku/builder:24", "tests/fixtures/app");
    /// config
    ///     .buildpacks([BuildpackReference::Other("tests/fixtures/layers".into())])
    ///     .env("LAYER_DATA", "v2");
    /// TestRunner::default().build(config, |ctx| {
    ///     let data = std::fs::read_to_string(ctx.layer_dir("fixture/layers", "bc").join("data.txt"));
    ///     assert_eq!(data.ok().as_deref(), Some("bc-v2\n"));
    /// });
    /// ```
    #[must_use]
    pub fn layer_dir(&self, buildpack_id: &str, layer: &str) -> PathBuf {
        self.buildpack_layers_dir(buildpack_id).join(layer)
    }

    /// Runs a process of the built image on this machine, without a container, as the
    /// launcher would: the default process for `None`; `args` replace the process's
    /// default arguments when given.
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
            &self.state.path,
            process_type,
            args,
            &self.config.exec_env,
            crate::WhenLocked::Wait,
        )
        .unwrap_or_else(|error| panic!("cannot launch process: {}", error_chain(&error)))
    }
}

/// The SBOM files of an image, handed to the closure of
/// [`TestContext::download_sbom_files`].
#[derive(Debug)]
pub struct SbomFiles {
    sbom_files_directory: PathBuf,
}

/// Which SBOM of a buildpack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SbomType {
    /// The buildpack's launch SBOM (`BuildResultBuilder::launch_sbom`).
    Launch,
    /// A layer's SBOM.
    Layer(LayerName),
}

impl SbomFiles {
    /// The path of one SBOM file (it exists only if the buildpack wrote that SBOM).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn check(files: libcnb_lite_test::SbomFiles) {
    /// use libcnb_lite_data::sbom::SbomFormat;
    /// use libcnb_lite_data::{buildpack_id, layer_name};
    /// use libcnb_lite_test::SbomType;
    ///
    /// let path = files.path_for(
    ///     buildpack_id!("example/sbom"),
    ///     SbomType::Layer(layer_name!("tools")),
    ///     SbomFormat::CycloneDxJson,
    /// );
    /// assert!(path.ends_with("layers/sbom/launch/example_sbom/tools/sbom.cdx.json"));
    /// # }
    /// ```
    pub fn path_for<I: Borrow<BuildpackId>, T: Borrow<SbomType>, F: Borrow<SbomFormat>>(
        &self,
        buildpack_id: I,
        sbom_type: T,
        format: F,
    ) -> PathBuf {
        self.sbom_files_directory
            .join("layers")
            .join("sbom")
            .join("launch")
            .join(escape_id(buildpack_id.borrow().as_str()))
            .join(match sbom_type.borrow() {
                SbomType::Layer(layer_name) => layer_name.to_string(),
                SbomType::Launch => String::new(),
            })
            .join(match format.borrow() {
                SbomFormat::CycloneDxJson => "sbom.cdx.json",
                SbomFormat::SpdxJson => "sbom.spdx.json",
                SbomFormat::SyftJson => "sbom.syft.json",
            })
    }
}
