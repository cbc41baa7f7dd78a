//! `cnb-local`: `pack build` without Docker. Builds an app with Cloud Native Buildpacks on
//! the local file system with the lifecycle of `libcnb-lite-test`, launches its processes,
//! and writes it as an OCI image. Run `cnb-local --help` for the commands.
//!
//! Arguments are parsed in `args.rs`; this file turns them into calls of
//! `libcnb-lite-test` and prints the results. Every error, usage errors included, is one
//! `ERROR: …` line on stderr (the lifecycle's style); usage errors exit with 2.

mod args;
mod terminal;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{CommandFactory, FromArgMatches};
use libcnb_lite_test::oci::{self, ImageOptions, RegistryOptions, RunImage};
use libcnb_lite_test::{
    BuildConfig, BuildReport, BuildpackReference, DetectError, DetectResult, LayerReport,
    LayerStatus, LifecycleError, WhenLocked, error_chain, launch as launch_process, run,
};

use args::{BuildArgs, Cli, Command, ExportArgs, LaunchArgs, PublishArgs, RunArgs, StateArgs};
use libcnb_lite_test::container::{Container, ContainerOptions};
use terminal::{Terminal, seconds};

/// Exit code for usage errors.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    ExitCode::from(cnb_local(std::env::args_os()))
}

/// Runs the tool with `args` (the program name first) and returns the exit code.
fn cnb_local(args: impl IntoIterator<Item = OsString>) -> u8 {
    let matches = match Cli::command().try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(error) => return usage_error(&error),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    match cli.command {
        Command::Build(build_args) => {
            let group = matches
                .subcommand_matches("build")
                .map(|m| build_args.group(m))
                .unwrap_or_default();
            build(&build_args, &group)
        }
        Command::Export(export_args) => export(&export_args),
        Command::Launch(launch_args) => launch(&launch_args),
        Command::Run(run_args) => run_container(&run_args),
    }
}

/// Prints clap's message (help and `--version` on stdout, exit 0), errors in the tool's
/// one style: `ERROR: …` on stderr, exit 2.
fn usage_error(error: &clap::Error) -> u8 {
    use clap::error::ErrorKind::{DisplayHelp, DisplayVersion};
    if matches!(error.kind(), DisplayHelp | DisplayVersion) {
        print!("{error}");
        return 0;
    }
    let text = error.render().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    eprint!("ERROR: {text}");
    EXIT_USAGE
}

fn when_locked(state: &StateArgs) -> WhenLocked {
    if state.no_wait {
        WhenLocked::Fail
    } else {
        WhenLocked::Wait
    }
}

/// Where `--image` writes and `--publish` pushes, on which `--run-image`.
struct ImageTarget {
    dir: Option<PathBuf>,
    publish: Option<(String, RegistryOptions)>,
    options: ImageOptions,
}

impl ImageTarget {
    /// The target of `--image`, `--publish` and `--run-image`; `Ok(None)` without a
    /// destination, an error for a run image without one.
    fn new(
        dir: Option<&Path>,
        publish: &PublishArgs,
        run_image: Option<&RunImage>,
        when: WhenLocked,
    ) -> Result<Option<Self>, clap::Error> {
        if dir.is_none() && publish.publish.is_none() {
            return match run_image {
                Some(_) => Err(Cli::command().error(
                    clap::error::ErrorKind::MissingRequiredArgument,
                    "--run-image needs --image <DIR> or --publish <REF>",
                )),
                None => Ok(None),
            };
        }
        let options = ImageOptions::new().when_locked(when);
        Ok(Some(Self {
            dir: dir.map(Path::to_path_buf),
            publish: publish.publish.as_ref().map(|reference| {
                (
                    reference.clone(),
                    RegistryOptions::new().insecure(publish.publish_insecure),
                )
            }),
            options: match run_image {
                Some(run_image) => options.run_image(run_image.clone()),
                None => options,
            },
        }))
    }

    /// Checks the output dir and the run image before a build, so a long build is not
    /// wasted (the export checks the output dir again, under its lock).
    fn check(&self) -> Result<(), oci::ImageError> {
        if let Some(dir) = &self.dir {
            oci::check_output(dir)?;
        }
        self.options
            .run_image_ref()
            .map_or(Ok(()), oci::check_run_image)
    }

    /// Writes the state dir's image and pushes it, printing what was written and pushed.
    fn write(&self, state: &Path) -> u8 {
        if let Some(dir) = &self.dir {
            let started = Instant::now();
            match oci::write_image(state, dir, &self.options) {
                Ok(image) => {
                    for warning in &image.warnings {
                        eprintln!("Warning: {warning}");
                    }
                    let from_run_image = image
                        .layers
                        .iter()
                        .filter(|layer| layer.name.starts_with("run-image"))
                        .count();
                    println!(
                        "Image: oci:{}:{} written in {}: {} layer(s) ({from_run_image} from the run image), manifest {}, config {}",
                        dir.display(),
                        oci::REF,
                        seconds(started.elapsed()),
                        image.layers.len(),
                        image.manifest_digest,
                        image.config_digest,
                    );
                }
                Err(error) => {
                    eprintln!("ERROR: {}", error_chain(&error));
                    return 1;
                }
            }
        }
        if let Some((reference, registry)) = &self.publish {
            let started = Instant::now();
            match oci::publish(state, reference, &self.options, registry) {
                Ok(published) => println!(
                    "Published: docker://{reference} in {}: {} layer(s), manifest {}",
                    seconds(started.elapsed()),
                    published.layers.len(),
                    published.manifest_digest
                ),
                Err(error) => {
                    eprintln!("ERROR: {}", error_chain(&error));
                    return 1;
                }
            }
        }
        0
    }
}

fn build(args: &BuildArgs, group: &[(PathBuf, bool)]) -> u8 {
    let when = when_locked(&args.state);
    let image = match ImageTarget::new(
        args.image.image.as_deref(),
        &args.image.publish,
        args.image.run_image.as_ref(),
        when,
    ) {
        Ok(image) => image,
        Err(error) => return usage_error(&error),
    };
    if let Some(Err(error)) = image.as_ref().map(ImageTarget::check) {
        eprintln!("ERROR: {}", error_chain(&error));
        return 1;
    }
    // A packaged buildpack dir, a crate dir (built with cargo) or a buildpack ID, resolved
    // as libcnb-test's `BuildpackReference::Other` (see `BuildConfig`).
    let reference = |dir: &Path| BuildpackReference::Other(dir.display().to_string());
    let optional: Vec<BuildpackReference> = group
        .iter()
        .filter(|(_, optional)| *optional)
        .map(|(dir, _)| reference(dir))
        .collect();
    let group: Vec<BuildpackReference> = group.iter().map(|(dir, _)| reference(dir)).collect();
    // No builder: the default target (see `BuildConfig`'s builder rule).
    let mut config = BuildConfig::new("cnb-local", args.app.display().to_string());
    config
        .buildpacks(group)
        .optional_buildpacks(optional)
        .envs(args.env.iter().cloned())
        .when_locked(when);
    if let Some((major, minor)) = args.platform_api {
        config.platform_api(major, minor);
    }
    let state = &args.state.state;
    let terminal = Terminal::new();
    let started = Instant::now();
    if args.app.is_dir() {
        // Buildpacks see the copy, so their messages name paths in it, not in the app dir.
        let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        println!(
            "App: {}, built from a copy in {} (the build's /workspace)",
            absolute(&args.app).display(),
            absolute(&state.join("build").join("workspace")).display()
        );
    }
    let result = terminal.with_progress(|| run(&config, state, &terminal));
    match result {
        Ok(report) => {
            print_summary(&report, state, started.elapsed());
            image.map_or(0, |image| image.write(state))
        }
        // `run` has reported the failure through the terminal observer, once.
        Err(failure) => match failure.error.as_ref() {
            LifecycleError::Detect(DetectError::Failed { .. }) => 20,
            LifecycleError::Detect(DetectError::Errored { .. }) => 21,
            LifecycleError::Build(_) => 51,
            _ => 1,
        },
    }
}

fn export(args: &ExportArgs) -> u8 {
    match ImageTarget::new(
        args.image.as_deref(),
        &args.publish,
        args.run_image.as_ref(),
        when_locked(&args.state),
    ) {
        Ok(Some(target)) => target.write(&args.state.state),
        // clap requires --image unless --publish is given.
        Ok(None) => 0,
        Err(error) => usage_error(&error),
    }
}

fn launch(args: &LaunchArgs) -> u8 {
    match launch_process(
        &args.state.state,
        args.process.as_deref(),
        args.args.as_deref(),
        when_locked(&args.state),
    ) {
        Ok(output) => {
            print!("{}", output.stdout);
            eprint!("{}", output.stderr);
            // A process killed by a signal, or an exit code outside 0..=255, reads as 1.
            output
                .status
                .and_then(|code| u8::try_from(code).ok())
                .unwrap_or(1)
        }
        Err(error) => {
            eprintln!("ERROR: {}", error_chain(&error));
            1
        }
    }
}

fn print_summary(report: &BuildReport, state: &Path, total: Duration) {
    use LayerStatus::{Added, Reused};
    println!("\n===> SUMMARY");
    println!("Detect:");
    for run in &report.detect {
        let marker = if run.result == DetectResult::Pass {
            "pass"
        } else {
            &run.result.to_string()
        };
        println!("  {marker:<8} {}@{}", run.id, run.version);
    }
    println!("Layers:");
    // The first column is as wide as the longest layer identifier, so long buildpack IDs
    // and layer names don't push the other columns out of line.
    let name_width = report
        .layers
        .iter()
        .map(|layer| layer.identifier().len())
        .max()
        .unwrap_or(0)
        .max("LAYER".len());
    let row = |cells: [&str; 5]| {
        let line = format!(
            "  {:<name_width$} {:<18} {:<12} {:<6} {:<6}",
            cells[0], cells[1], cells[2], cells[3], cells[4]
        );
        println!("{}", line.trim_end());
    };
    row(["LAYER", "TYPES", "DIFF ID", "EXPORT", "CACHE"]);
    for layer in &report.layers {
        let dash = || "-".to_owned();
        row([
            &layer.identifier(),
            &layer.types.to_string(),
            &layer
                .diff_id
                .as_ref()
                .map_or_else(dash, |d| d.short().to_owned()),
            &layer.exported.map_or_else(dash, |s| s.to_string()),
            &layer.cached.map_or_else(dash, |s| s.to_string()),
        ]);
    }
    row([
        "app",
        "launch",
        report.app.0.short(),
        &report.app.1.to_string(),
        "-",
    ]);
    let count = |f: &dyn Fn(&LayerReport) -> Option<LayerStatus>, status| {
        report
            .layers
            .iter()
            .filter(|l| f(l) == Some(status))
            .count()
    };
    println!(
        "Image: {} layer(s) added, {} reused; cache: {} layer(s) added, {} reused",
        count(&|l| l.exported, Added),
        count(&|l| l.exported, Reused),
        count(&|l| l.cached, Added),
        count(&|l| l.cached, Reused),
    );
    if report.processes.is_empty() {
        println!("Processes: none");
    } else {
        println!("Processes:");
        for process in &report.processes {
            let default = if report.default_process.as_deref() == Some(process.r#type.as_str()) {
                " (default)"
            } else {
                ""
            };
            println!(
                "  {}{default}: {}",
                process.r#type,
                process
                    .command
                    .iter()
                    .chain(&process.args)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
    let t = &report.timings;
    println!(
        "Timings: prepare {}, detect {}, restore {}, build {}, export {}, cache {}, total {}",
        seconds(t.prepare),
        seconds(t.detect),
        seconds(t.restore),
        seconds(t.build),
        seconds(t.export),
        seconds(t.cache),
        seconds(total)
    );
    println!("State: {}", state.display());
}

/// Starts the container, says on stderr which run image and host addresses it has, shows
/// its output until it exits and returns its exit code.
fn run_container(args: &RunArgs) -> u8 {
    let mut options = ContainerOptions::new();
    options.process.clone_from(&args.process);
    options.entrypoint.clone_from(&args.entrypoint);
    options.command.clone_from(&args.command);
    options.env.extend(args.env.iter().cloned());
    options.mounts.clone_from(&args.mounts);
    options.publish.clone_from(&args.publish);
    options.run_image.clone_from(&args.run_image);
    let container = match Container::start(&args.state, &options) {
        Ok(container) => container,
        Err(error) => {
            eprintln!("ERROR: {}", error_chain(&error));
            return 1;
        }
    };
    match container.run_image() {
        Some(run_image) => eprintln!("Container {}: run image {run_image}", container.name()),
        None => eprintln!(
            "Container {}: run image: the host's OS tree, read-only",
            container.name()
        ),
    }
    for port in &options.publish {
        if let Some(address) = container.address_for_port(*port) {
            eprintln!("Published: container port {port} at {address}");
        }
    }
    match container.follow(&mut std::io::stdout(), &mut std::io::stderr()) {
        // Exit codes are 0 to 255; a signal's 128 + n fits too.
        Ok(code) => u8::try_from(code).unwrap_or(1),
        Err(error) => {
            eprintln!("ERROR: {}", error_chain(&error));
            1
        }
    }
}
