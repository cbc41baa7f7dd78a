//! The entry point: dispatching on `argv[0]`, reading what the lifecycle passes, running the
//! buildpack and writing its results.

use crate::build::{BuildContext, InnerBuildResult};
use crate::buildpack::Buildpack;
use crate::buildpack_api::{is_supported, supported_apis_text};
use crate::detect::{DetectContext, InnerDetectResult};
use crate::error::Error;
use crate::platform::Platform;
use crate::sbom::write_sboms;
use crate::toml_file::{TomlFileError, read_toml_file, write_toml_file};
use crate::{Target, exit_code};
use libcnb_lite_data::buildpack::{BuildpackApi, ComponentBuildpackDescriptor};
use libcnb_lite_data::store::Store;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::ffi::OsString;
use std::fmt::Debug;
use std::io;
use std::path::{Path, PathBuf};
use std::process::exit;

/// Runs the buildpack as `bin/detect` or `bin/build` and exits the process; the body of the
/// `main` that [`buildpack_main!`](crate::buildpack_main) generates.
///
/// One binary serves both phases: the file name it is started under (`argv[0]`, not the
/// resolved executable, so symlinks work) picks the phase. In order:
///
/// 1. `$CNB_BUILDPACK_DIR/buildpack.toml`'s `api` must be 0.10, 0.11 or 0.12; otherwise, or if
///    it can't be read, exit 254.
/// 2. `argv[0]` must be named `detect` or `build` (else exit 255), with the arguments the
///    lifecycle passes: `detect <platform> <plan>` or `build <layers> <platform> <plan>` (else
///    exit 1).
/// 3. The whole descriptor must match the buildpack's `Metadata` type (else
///    [`Buildpack::on_error`], exit 1).
/// 4. Detect exits 0 (pass), 100 (fail) or 1 (error, after `on_error`); build exits 0 or 1.
#[doc(hidden)]
pub fn libcnb_runtime<B: Buildpack>(buildpack: &B) {
    exit(run(buildpack, &std::env::args_os().collect::<Vec<_>>()));
}

fn run<B: Buildpack>(buildpack: &B, args: &[OsString]) -> i32 {
    // Check the API before anything else: with another API version, the lifecycle may pass
    // arguments and variables this runtime doesn't expect. Only `api` is read here, so that a
    // descriptor that is otherwise invalid still gets this message.
    match read_buildpack_descriptor::<BuildpackDescriptorApiOnly, B::Error>() {
        Ok(BuildpackDescriptorApiOnly { api }) if is_supported(&api) => {}
        Ok(BuildpackDescriptorApiOnly { api }) => {
            eprintln!("Error: Cloud Native Buildpack API mismatch");
            eprintln!(
                "This buildpack uses Cloud Native Buildpacks API version {api} (specified in buildpack.toml)."
            );
            eprintln!(
                "However, the underlying libcnb-lite library only supports CNB API {}.",
                supported_apis_text()
            );
            return exit_code::GENERIC_CNB_API_VERSION_ERROR;
        }
        Err(error) => {
            eprintln!("Error: Unable to determine Buildpack API version");
            eprintln!("Cause: {error}");
            return exit_code::GENERIC_CNB_API_VERSION_ERROR;
        }
    }

    let phase = match ExecutionPhase::parse(args) {
        Ok(phase) => phase,
        Err(ExecutionPhaseError::UnexpectedExecutableName(name)) => {
            eprintln!(
                "Error: Expected the name of this executable to be 'detect' or 'build', but it was '{name}'"
            );
            eprintln!("The executable name is used to determine the current buildpack phase.");
            eprintln!(
                "You might want to create 'detect' and 'build' links to this executable and run those instead."
            );
            return exit_code::GENERIC_UNEXPECTED_EXECUTABLE_NAME_ERROR;
        }
        Err(ExecutionPhaseError::DetectUsage) => {
            eprintln!("Usage: detect <platform_dir> <buildplan>");
            eprintln!("https://github.com/buildpacks/spec/blob/main/buildpack.md#detection");
            return exit_code::GENERIC_UNSPECIFIED_ERROR;
        }
        Err(ExecutionPhaseError::BuildUsage) => {
            eprintln!("Usage: build <layers> <platform> <plan>");
            eprintln!("https://github.com/buildpacks/spec/blob/main/buildpack.md#build");
            return exit_code::GENERIC_UNSPECIFIED_ERROR;
        }
    };

    let descriptor: ComponentBuildpackDescriptor<B::Metadata> = match read_buildpack_descriptor() {
        Ok(descriptor) => descriptor,
        Err(error) => {
            buildpack.on_error(error);
            return exit_code::GENERIC_UNSPECIFIED_ERROR;
        }
    };

    // Exports this phase's spans until the end of this function, `on_error` included, as
    // upstream does.
    #[cfg(feature = "trace")]
    let _trace = crate::tracing::init_tracing(&descriptor.buildpack, &phase);

    let result = match phase {
        ExecutionPhase::Detect(args) => libcnb_runtime_detect(buildpack, descriptor, args),
        ExecutionPhase::Build(args) => libcnb_runtime_build(buildpack, descriptor, args),
    };

    match result {
        Ok(code) => code,
        Err(error) => {
            buildpack.on_error(error);
            exit_code::GENERIC_UNSPECIFIED_ERROR
        }
    }
}

/// Runs the detect phase with already parsed inputs and returns the exit code: 0 (pass) or
/// 100 (fail). Writes the build plan, if any, to `args.build_plan_path`.
///
/// Exposed for advanced uses that run detect programmatically.
///
/// # Errors
///
/// Any framework error reading the inputs or writing the plan, and the buildpack's own.
#[doc(hidden)]
#[expect(clippy::needless_pass_by_value, reason = "upstream libcnb's signature")]
pub fn libcnb_runtime_detect<B: Buildpack>(
    buildpack: &B,
    buildpack_descriptor: ComponentBuildpackDescriptor<B::Metadata>,
    args: DetectArgs,
) -> crate::Result<i32, B::Error> {
    let app_dir = std::env::current_dir().map_err(Error::CannotDetermineAppDirectory)?;
    let buildpack_dir = read_buildpack_dir()?;

    // The `trace` feature's span and events, as upstream records them (and under upstream's
    // target, which collectors may filter on).
    #[cfg(feature = "trace")]
    let detect_span =
        tracing::info_span!(target: TRACE_TARGET, "libcnb-detect", failed = true).entered();
    #[cfg(feature = "trace")]
    let trace_error = |error: &Error<B::Error>| {
        tracing::error!(target: TRACE_TARGET, ?error, "libcnb-detect-error");
    };
    #[cfg(not(feature = "trace"))]
    let trace_error = |_: &Error<B::Error>| {};

    let platform = B::Platform::from_path(&args.platform_dir_path)
        .map_err(Error::CannotCreatePlatformFromPath)
        .inspect_err(trace_error)?;
    let target = context_target().inspect_err(trace_error)?;

    let detect_result = buildpack
        .detect(DetectContext {
            app_dir,
            buildpack_dir,
            target,
            platform,
            buildpack_descriptor,
        })
        .inspect_err(trace_error)?;

    match detect_result.0 {
        InnerDetectResult::Fail => {
            #[cfg(feature = "trace")]
            tracing::info!(target: TRACE_TARGET, "libcnb-detect-failed");
            Ok(exit_code::DETECT_DETECTION_FAILED)
        }
        InnerDetectResult::Pass { build_plan } => {
            if let Some(build_plan) = build_plan {
                write_toml_file(&build_plan, &args.build_plan_path)
                    .map_err(Error::CannotWriteBuildPlan)
                    .inspect_err(trace_error)?;
            }
            #[cfg(feature = "trace")]
            {
                detect_span.record("failed", false);
                tracing::info!(target: TRACE_TARGET, "libcnb-detect-passed");
            }
            Ok(exit_code::DETECT_DETECTION_PASSED)
        }
    }
}

/// Runs the build phase with already parsed inputs and returns the exit code (0). Writes
/// `launch.toml`, `store.toml` and the build and launch SBOMs to `args.layers_dir_path`, in
/// place (the lifecycle exports nothing from a failed build).
///
/// Exposed for advanced uses that run build programmatically.
///
/// # Errors
///
/// Any framework error reading the inputs or writing the results, and the buildpack's own.
#[doc(hidden)]
pub fn libcnb_runtime_build<B: Buildpack>(
    buildpack: &B,
    buildpack_descriptor: ComponentBuildpackDescriptor<B::Metadata>,
    args: BuildArgs,
) -> crate::Result<i32, B::Error> {
    let layers_dir = args.layers_dir_path;
    let app_dir = std::env::current_dir().map_err(Error::CannotDetermineAppDirectory)?;
    let buildpack_dir = read_buildpack_dir()?;

    #[cfg(feature = "trace")]
    let build_span =
        tracing::info_span!(target: TRACE_TARGET, "libcnb-build", failed = true).entered();
    #[cfg(feature = "trace")]
    let trace_error = |error: &Error<B::Error>| {
        tracing::error!(target: TRACE_TARGET, ?error, "libcnb-build-error");
    };
    #[cfg(not(feature = "trace"))]
    let trace_error = |_: &Error<B::Error>| {};

    let platform = B::Platform::from_path(&args.platform_dir_path)
        .map_err(Error::CannotCreatePlatformFromPath)
        .inspect_err(trace_error)?;
    let buildpack_plan = read_toml_file(&args.buildpack_plan_path)
        .map_err(Error::CannotReadBuildpackPlan)
        .inspect_err(trace_error)?;
    let store = match read_toml_file::<Store>(layers_dir.join("store.toml")) {
        Ok(store) => Some(store),
        Err(TomlFileError::IoError(error)) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(Error::CannotReadStore(error)).inspect_err(trace_error),
    };
    let target = context_target().inspect_err(trace_error)?;

    let build_result = buildpack
        .build(BuildContext {
            layers_dir: layers_dir.clone(),
            app_dir,
            buildpack_dir,
            target,
            platform,
            buildpack_plan,
            buildpack_descriptor,
            store,
        })
        .inspect_err(trace_error)?;

    let InnerBuildResult::Pass {
        launch,
        store,
        build_sboms,
        launch_sboms,
    } = build_result.0;

    if let Some(launch) = launch {
        write_toml_file(&launch, layers_dir.join("launch.toml"))
            .map_err(Error::CannotWriteLaunch)
            .inspect_err(trace_error)?;
    }
    if let Some(store) = store {
        write_toml_file(&store, layers_dir.join("store.toml"))
            .map_err(Error::CannotWriteStore)
            .inspect_err(trace_error)?;
    }
    write_sboms(&build_sboms, &layers_dir, "build")
        .map_err(Error::CannotWriteBuildSbom)
        .inspect_err(trace_error)?;
    write_sboms(&launch_sboms, &layers_dir, "launch")
        .map_err(Error::CannotWriteLaunchSbom)
        .inspect_err(trace_error)?;

    #[cfg(feature = "trace")]
    {
        build_span.record("failed", false);
        tracing::info!(target: TRACE_TARGET, "libcnb-build-success");
    }
    Ok(exit_code::GENERIC_SUCCESS)
}

/// The `tracing` target of the `trace` feature's spans and events: upstream's module path.
#[cfg(feature = "trace")]
const TRACE_TARGET: &str = "libcnb::runtime";

/// The phase picked by `argv[0]`, with its parsed arguments.
pub(crate) enum ExecutionPhase {
    Detect(DetectArgs),
    Build(BuildArgs),
}

enum ExecutionPhaseError {
    UnexpectedExecutableName(String),
    DetectUsage,
    BuildUsage,
}

impl ExecutionPhase {
    fn parse(args: &[OsString]) -> Result<Self, ExecutionPhaseError> {
        let file_name = args
            .first()
            .and_then(|arg| Path::new(arg).file_name())
            .map(|name| name.to_string_lossy().into_owned());
        // Non-UTF-8 arguments are paths this runtime can't pass on as `String`s; treat them
        // as bad usage instead of panicking.
        let string_args: Option<Vec<String>> = args
            .iter()
            .map(|arg| arg.clone().into_string().ok())
            .collect();

        match file_name.as_deref() {
            Some("detect") => string_args
                .and_then(|args| DetectArgs::parse(&args).ok())
                .map(Self::Detect)
                .ok_or(ExecutionPhaseError::DetectUsage),
            Some("build") => string_args
                .and_then(|args| BuildArgs::parse(&args).ok())
                .map(Self::Build)
                .ok_or(ExecutionPhaseError::BuildUsage),
            other => Err(ExecutionPhaseError::UnexpectedExecutableName(
                other.unwrap_or("<unknown>").to_string(),
            )),
        }
    }
}

/// Only the `api` of `buildpack.toml`, so that the version can be checked even if the rest
/// doesn't match the spec or the buildpack's metadata type.
#[derive(Deserialize)]
struct BuildpackDescriptorApiOnly {
    api: BuildpackApi,
}

/// The arguments of `bin/detect`: `detect <platform> <plan>`.
#[doc(hidden)]
#[derive(Debug)]
pub struct DetectArgs {
    /// The platform directory (`/platform`).
    pub platform_dir_path: PathBuf,
    /// Where to write the build plan.
    pub build_plan_path: PathBuf,
}

impl DetectArgs {
    /// Parses `[argv0, platform_dir, build_plan]`.
    ///
    /// # Errors
    ///
    /// [`DetectArgsParseError::InvalidArguments`] for any other number of arguments.
    pub fn parse(args: &[String]) -> Result<Self, DetectArgsParseError> {
        if let [_, platform_dir_path, build_plan_path] = args {
            Ok(Self {
                platform_dir_path: PathBuf::from(platform_dir_path),
                build_plan_path: PathBuf::from(build_plan_path),
            })
        } else {
            Err(DetectArgsParseError::InvalidArguments)
        }
    }
}

/// Why [`DetectArgs::parse`] failed.
#[doc(hidden)]
#[derive(Debug)]
pub enum DetectArgsParseError {
    /// Not exactly two arguments after the executable.
    InvalidArguments,
}

/// The arguments of `bin/build`: `build <layers> <platform> <plan>`.
#[doc(hidden)]
#[derive(Debug)]
pub struct BuildArgs {
    /// This buildpack's layers directory (`<layers>/<escaped buildpack id>`).
    pub layers_dir_path: PathBuf,
    /// The platform directory (`/platform`).
    pub platform_dir_path: PathBuf,
    /// The buildpack plan to read.
    pub buildpack_plan_path: PathBuf,
}

impl BuildArgs {
    /// Parses `[argv0, layers_dir, platform_dir, buildpack_plan]`.
    ///
    /// # Errors
    ///
    /// [`BuildArgsParseError::InvalidArguments`] for any other number of arguments.
    pub fn parse(args: &[String]) -> Result<Self, BuildArgsParseError> {
        if let [_, layers_dir_path, platform_dir_path, buildpack_plan_path] = args {
            Ok(Self {
                layers_dir_path: PathBuf::from(layers_dir_path),
                platform_dir_path: PathBuf::from(platform_dir_path),
                buildpack_plan_path: PathBuf::from(buildpack_plan_path),
            })
        } else {
            Err(BuildArgsParseError::InvalidArguments)
        }
    }
}

/// Why [`BuildArgs::parse`] failed.
#[doc(hidden)]
#[derive(Debug)]
pub enum BuildArgsParseError {
    /// Not exactly three arguments after the executable.
    InvalidArguments,
}

fn read_buildpack_dir<E: Debug>() -> crate::Result<PathBuf, E> {
    std::env::var("CNB_BUILDPACK_DIR")
        .map(PathBuf::from)
        .map_err(Error::CannotDetermineBuildpackDirectory)
}

fn read_buildpack_descriptor<D: DeserializeOwned, E: Debug>() -> crate::Result<D, E> {
    read_toml_file(read_buildpack_dir()?.join("buildpack.toml"))
        .map_err(Error::CannotReadBuildpackDescriptor)
}

/// Reads the `CNB_TARGET_*` variables. The distro variables are optional in the spec but
/// required here, as upstream does (heroku/libcnb.rs#820): the lifecycle always sets them when
/// the base image has the labels, and a buildpack that keys caches on them needs them.
fn context_target<E: Debug>() -> crate::Result<Target, E> {
    use std::env::var;

    Ok(Target {
        os: var("CNB_TARGET_OS").map_err(Error::CannotDetermineTargetOs)?,
        arch: var("CNB_TARGET_ARCH").map_err(Error::CannotDetermineTargetArch)?,
        arch_variant: var("CNB_TARGET_ARCH_VARIANT").ok(),
        distro_name: var("CNB_TARGET_DISTRO_NAME")
            .map_err(Error::CannotDetermineTargetDistroName)?,
        distro_version: var("CNB_TARGET_DISTRO_VERSION")
            .map_err(Error::CannotDetermineTargetDistroVersion)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os_args(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn detect_args() {
        let args =
            DetectArgs::parse(&["detect".into(), "/platform".into(), "/tmp/plan.toml".into()])
                .unwrap();
        assert_eq!(args.platform_dir_path, Path::new("/platform"));
        assert_eq!(args.build_plan_path, Path::new("/tmp/plan.toml"));

        assert!(DetectArgs::parse(&["detect".into(), "/platform".into()]).is_err());
        assert!(DetectArgs::parse(&["detect".into(), "a".into(), "b".into(), "c".into()]).is_err());
    }

    #[test]
    fn build_args() {
        let args = BuildArgs::parse(&[
            "build".into(),
            "/layers/bp".into(),
            "/platform".into(),
            "/tmp/plan.toml".into(),
        ])
        .unwrap();
        assert_eq!(args.layers_dir_path, Path::new("/layers/bp"));
        assert_eq!(args.platform_dir_path, Path::new("/platform"));
        assert_eq!(args.buildpack_plan_path, Path::new("/tmp/plan.toml"));

        assert!(
            BuildArgs::parse(&["build".into(), "/layers/bp".into(), "/platform".into()]).is_err()
        );
    }

    #[test]
    fn phase_comes_from_the_file_name_of_argv0() {
        assert!(matches!(
            ExecutionPhase::parse(&os_args(&[
                "/cnb/buildpacks/bp/bin/detect",
                "/platform",
                "/plan"
            ])),
            Ok(ExecutionPhase::Detect(_))
        ));
        assert!(matches!(
            ExecutionPhase::parse(&os_args(&["bin/build", "/layers/bp", "/platform", "/plan"])),
            Ok(ExecutionPhase::Build(_))
        ));
        assert!(matches!(
            ExecutionPhase::parse(&os_args(&["bin/detect", "/platform"])),
            Err(ExecutionPhaseError::DetectUsage)
        ));
        assert!(matches!(
            ExecutionPhase::parse(&os_args(&["bin/build"])),
            Err(ExecutionPhaseError::BuildUsage)
        ));
        assert!(matches!(
            ExecutionPhase::parse(&os_args(&["target/debug/my-buildpack", "a", "b"])),
            Err(ExecutionPhaseError::UnexpectedExecutableName(name)) if name == "my-buildpack"
        ));
        assert!(matches!(
            ExecutionPhase::parse(&[]),
            Err(ExecutionPhaseError::UnexpectedExecutableName(name)) if name == "<unknown>"
        ));
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_arguments_are_a_usage_error() {
        use std::os::unix::ffi::OsStringExt;

        let args = vec![
            OsString::from("bin/detect"),
            OsString::from_vec(vec![0xff]),
            OsString::from("/plan"),
        ];
        assert!(matches!(
            ExecutionPhase::parse(&args),
            Err(ExecutionPhaseError::DetectUsage)
        ));
    }
}
