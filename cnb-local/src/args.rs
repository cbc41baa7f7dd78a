//! The command line, parsed by clap: what each subcommand takes and how values are checked.
//! Nothing here runs anything; `main.rs` turns a parsed [`Cli`] into calls.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use libcnb_lite_test::container::Mount;
use libcnb_lite_test::oci::RunImage;

/// The state dir when `--state` is not given.
const DEFAULT_STATE: &str = ".cnb-local-state";

/// `pack build` without Docker: build an app with Cloud Native Buildpacks on the local file
/// system, launch its processes, and write it as an OCI image.
#[derive(Debug, Parser)]
#[command(name = "cnb-local", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Build an app: detect, restore, build, export, cache (as `pack build`).
    ///
    /// Exit codes: 0 success, 2 usage error, 20 no group passed detection, 21 a detect
    /// errored, 51 a buildpack's build failed, 1 anything else.
    Build(BuildArgs),
    /// Write the last build's image as an OCI image layout.
    Export(ExportArgs),
    /// Run a process of the last build's image, as the CNB launcher does; exits with the
    /// process's exit code.
    Launch(LaunchArgs),
    /// Run a process of the last build's image as a runc container (needs root and runc):
    /// its layers at /layers, its app at /workspace, on the run image of the last --image
    /// (else the host's OS tree, read-only); exits with the process's exit code.
    Run(RunArgs),
}

/// The state dir and what to do when another run holds it.
#[derive(Debug, Args)]
pub(crate) struct StateArgs {
    /// The state dir: the previous image and the cache (build twice to see reuse).
    #[arg(short, long, value_name = "DIR", default_value = DEFAULT_STATE)]
    pub(crate) state: PathBuf,
    /// Fail at once when another build, export or launch uses the state dir (or the
    /// image dir), instead of waiting for it.
    #[arg(long)]
    pub(crate) no_wait: bool,
}

/// `cnb-local build`.
#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    /// A buildpack: a packaged dir (buildpack.toml, bin/detect, bin/build) or a crate dir
    /// (Cargo.toml + buildpack.toml, built with cargo). Repeat for a group, in order.
    #[arg(short, long = "buildpack", value_name = "DIR", required = true)]
    pub(crate) buildpacks: Vec<PathBuf>,
    /// An optional buildpack (its place in the group is where it is given).
    #[arg(long = "optional-buildpack", value_name = "DIR")]
    pub(crate) optional_buildpacks: Vec<PathBuf>,
    /// The app dir (copied; the original is never changed).
    #[arg(short, long, value_name = "DIR")]
    pub(crate) app: PathBuf,
    #[command(flatten)]
    pub(crate) state: StateArgs,
    /// A platform env var for the buildpacks (`<platform>/env/NAME`).
    #[arg(short, long = "env", value_name = "NAME=VALUE", value_parser = parse_env)]
    pub(crate) env: Vec<(String, String)>,
    /// The Platform API to follow, 0.7 to 0.15.
    #[arg(long, value_name = "X.Y", value_parser = parse_platform_api)]
    pub(crate) platform_api: Option<(u32, u32)>,
    #[command(flatten)]
    pub(crate) image: ImageArgs,
}

/// Where an image goes.
#[derive(Debug, Args)]
pub(crate) struct ImageArgs {
    /// Also write the built image as an OCI image layout into this new or empty dir.
    #[arg(long, value_name = "DIR")]
    pub(crate) image: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) publish: PublishArgs,
    /// The run image to build on, an OCI layout (default: scratch).
    #[arg(long, value_name = "oci:DIR[:REF]", value_parser = parse_run_image)]
    pub(crate) run_image: Option<RunImage>,
}

/// Pushing an image to a registry.
#[derive(Debug, Args)]
pub(crate) struct PublishArgs {
    /// Also push the image to a registry, `HOST[:PORT]/REPO[:TAG]`, with skopeo: only the blobs
    /// the registry lacks are uploaded.
    #[arg(long, value_name = "REF")]
    pub(crate) publish: Option<String>,
    /// Talk to the `--publish` registry over plain HTTP (a local registry).
    #[arg(long, requires = "publish")]
    pub(crate) publish_insecure: bool,
}

/// `cnb-local export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub(crate) state: StateArgs,
    /// The new or empty dir to write the OCI image layout into.
    #[arg(long, value_name = "DIR", required_unless_present = "publish")]
    pub(crate) image: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) publish: PublishArgs,
    /// The run image to build on, an OCI layout (default: scratch).
    #[arg(long, value_name = "oci:DIR[:REF]", value_parser = parse_run_image)]
    pub(crate) run_image: Option<RunImage>,
}

/// `cnb-local run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The state dir of the build whose image to run.
    #[arg(short, long, value_name = "DIR", default_value = DEFAULT_STATE)]
    pub(crate) state: PathBuf,
    /// The process type (default: the image's default process).
    #[arg(short, long, value_name = "TYPE")]
    pub(crate) process: Option<String>,
    /// Run this instead of a process type: `launcher` (then the command after `--` is a
    /// shell command), a process type, `/cnb/process/<type>`, or a program.
    #[arg(long, value_name = "ENTRYPOINT")]
    pub(crate) entrypoint: Option<String>,
    /// An environment variable for the container.
    #[arg(short, long = "env", value_name = "NAME=VALUE", value_parser = parse_env)]
    pub(crate) env: Vec<(String, String)>,
    /// A host path mounted into the container, read-write unless `:ro`.
    #[arg(long = "mount", value_name = "SRC:DST[:ro]", value_parser = parse_mount)]
    pub(crate) mounts: Vec<Mount>,
    /// A container port to publish on 127.0.0.1 at a free port (printed on stderr).
    #[arg(long, value_name = "PORT")]
    pub(crate) publish: Vec<u16>,
    /// The run image, an OCI layout (default: the one of the last `--image`).
    #[arg(long, value_name = "oci:DIR[:REF]", value_parser = parse_run_image)]
    pub(crate) run_image: Option<RunImage>,
    /// The command (with `--entrypoint launcher`) or the arguments of the process.
    #[arg(last = true, value_name = "ARGS")]
    pub(crate) command: Option<Vec<String>>,
}

/// `cnb-local launch`.
#[derive(Debug, Args)]
pub(crate) struct LaunchArgs {
    #[command(flatten)]
    pub(crate) state: StateArgs,
    /// The process type (default: the image's default process).
    #[arg(short, long, value_name = "TYPE")]
    pub(crate) process: Option<String>,
    /// Arguments that replace the process's default arguments.
    #[arg(last = true, value_name = "ARGS")]
    pub(crate) args: Option<Vec<String>>,
}

impl BuildArgs {
    /// The group: every `--buildpack` and `--optional-buildpack` in command-line order,
    /// with whether it is optional. `matches` are the `build` subcommand's.
    pub(crate) fn group(&self, matches: &clap::ArgMatches) -> Vec<(PathBuf, bool)> {
        let indices = |id: &str| {
            matches
                .indices_of(id)
                .map(Iterator::collect::<Vec<_>>)
                .unwrap_or_default()
        };
        let mut group: Vec<(usize, PathBuf, bool)> = indices("buildpacks")
            .into_iter()
            .zip(&self.buildpacks)
            .map(|(index, dir)| (index, dir.clone(), false))
            .chain(
                indices("optional_buildpacks")
                    .into_iter()
                    .zip(&self.optional_buildpacks)
                    .map(|(index, dir)| (index, dir.clone(), true)),
            )
            .collect();
        group.sort_by_key(|&(index, ..)| index);
        group
            .into_iter()
            .map(|(_, dir, optional)| (dir, optional))
            .collect()
    }
}

fn parse_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() && !name.contains('/') => {
            Ok((name.to_owned(), value.to_owned()))
        }
        _ => Err(format!("wants NAME=VALUE, got {text:?}")),
    }
}

fn parse_mount(text: &str) -> Result<Mount, String> {
    let (spec, read_only) = match text.strip_suffix(":ro") {
        Some(spec) => (spec, true),
        None => (text.strip_suffix(":rw").unwrap_or(text), false),
    };
    match spec.split_once(':') {
        Some((source, target)) if !source.is_empty() && !target.is_empty() => {
            Ok(Mount::new(source, target, read_only))
        }
        _ => Err(format!("wants SRC:DST[:ro], got {text:?}")),
    }
}

fn parse_platform_api(text: &str) -> Result<(u32, u32), String> {
    let version = text
        .split_once('.')
        .and_then(|(major, minor)| Some((major.parse().ok()?, minor.parse().ok()?)));
    match version {
        Some(version @ (0, 7..=15)) => Ok(version),
        _ => Err(format!(
            "{text:?} is not a supported Platform API; this lifecycle follows 0.7 to 0.15"
        )),
    }
}

fn parse_run_image(text: &str) -> Result<RunImage, String> {
    text.parse()
        .map_err(|error: libcnb_lite_test::oci::ParseRunImageError| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn the_group_keeps_command_line_order() {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Cli::command()
            .try_get_matches_from([
                "cnb-local",
                "build",
                "-b",
                "one",
                "--optional-buildpack",
                "two",
                "--buildpack",
                "three",
                "--app",
                "app",
            ])
            .unwrap();
        let Command::Build(build) = Cli::from_arg_matches(&matches).unwrap().command else {
            panic!("not a build");
        };
        let group = build.group(matches.subcommand_matches("build").unwrap());
        assert_eq!(
            group,
            [
                (PathBuf::from("one"), false),
                (PathBuf::from("two"), true),
                (PathBuf::from("three"), false)
            ]
        );
    }

    #[test]
    fn values_are_checked() {
        assert_eq!(parse_platform_api("0.15"), Ok((0, 15)));
        assert!(parse_platform_api("99.99").is_err());
        assert!(parse_platform_api("0.6").is_err());
        assert!(parse_env("NAME").is_err());
        assert!(parse_env("=x").is_err());
        assert_eq!(parse_env("A=b=c"), Ok(("A".into(), "b=c".into())));
    }
}
