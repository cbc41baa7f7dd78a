//! The `cnb-local` command-line tool: `pack build` without Docker.
//!
//! ```text
//! cnb-local build --buildpack <dir-or-crate>... --app <dir> [--state <dir>] [--env NAME=VALUE]...
//!                 [--image <dir> [--run-image oci:<dir>[:<ref>]]]
//! cnb-local export [--state <dir>] --image <dir> [--run-image oci:<dir>[:<ref>]]
//! cnb-local launch [--state <dir>] [--process <type>] [-- <args>...]
//! cnb-local run [--state <dir>] [--process <type>] [--entrypoint <e>] [--env NAME=VALUE]...
//!               [--mount SRC:DST[:ro]]... [--publish PORT]... [--run-image oci:<dir>[:<ref>]]
//!               [-- <command or args>...]
//! ```
//!
//! Exit codes: 0 success, 2 usage error, 20 no group passed detection, 21 detection errored,
//! 51 a buildpack's build failed (the lifecycle's codes), 1 anything else (missing app dir,
//! corrupt state dir, export failure). Each failure is reported once: a failed detection by
//! the lifecycle log, anything else by one `ERROR: …` line on stderr.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::config::{BuildConfig, BuildpackReference};
use crate::container::{Container, ContainerOptions, Mount};
use crate::detect::DetectResult;
use crate::launch::run_process;
use crate::lifecycle::{error_chain, exit_code, run};
use crate::oci::{self, ImageOptions, RunImage};
use crate::output::{Observer, Progress, Stream};
use crate::report::{BuildReport, LayerReport, LayerStatus};
use LayerStatus::{Added, Reused};

const USAGE: &str = "\
usage:
  cnb-local build --buildpack <dir-or-crate>... --app <dir> [--state <dir>] [--env NAME=VALUE]...
                  [--optional-buildpack <dir-or-crate>] [--platform-api X.Y]
                  [--image <dir> [--run-image oci:<dir>[:<ref>]]]
  cnb-local export [--state <dir>] --image <dir> [--run-image oci:<dir>[:<ref>]]
  cnb-local launch [--state <dir>] [--process <type>] [-- <args>...]
  cnb-local run [--state <dir>] [--process <type>] [--entrypoint <e>] [--env NAME=VALUE]...
                [--mount SRC:DST[:ro]]... [--publish PORT]... [--run-image oci:<dir>[:<ref>]]
                [-- <command or args>...]

A buildpack is a packaged dir (buildpack.toml, bin/detect, bin/build) or a crate dir
(Cargo.toml + buildpack.toml) that is built with cargo. The state dir (default
./.cnb-local-state) keeps the previous image and the cache: build twice to see reuse.
--image writes the built image as an OCI image layout into a new or empty dir (`export`
writes the last build's), on top of the run image's layers (none: a scratch image).
`run` starts a process of the last build's image as a runc container (needs root and runc):
its layers at /layers, its app at /workspace, on the run image of the last --image (else
the host's OS tree, read-only). --publish PORT prints the host address it chose.";

/// Exit code for usage errors.
const EXIT_USAGE: i32 = 2;

/// Runs the tool with `args` (without the program name) and returns the exit code.
///
/// # Examples
///
/// ```
/// let code = libcnb_lite_test::cli::main(vec!["--help".into()]);
/// assert_eq!(code, 0);
/// ```
#[must_use]
pub fn main(args: Vec<OsString>) -> i32 {
    let args: Vec<String> = match args.into_iter().map(OsString::into_string).collect() {
        Ok(args) => args,
        Err(arg) => {
            eprintln!("error: argument {arg:?} is not valid UTF-8");
            return EXIT_USAGE;
        }
    };
    match args.first().map(String::as_str) {
        Some("build") => match parse_build(&args[1..]) {
            Ok((config, state, image)) => build(&config, &state, image.as_ref()),
            Err(message) => usage_error(&message),
        },
        Some("export") => export(&args[1..]),
        Some("launch") => launch(&args[1..]),
        Some("run") => match parse_run(&args[1..]) {
            Ok((state, options)) => run_container(&state, &options),
            Err(message) => usage_error(&message),
        },
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            0
        }
        Some(other) => usage_error(&format!("unknown command {other:?}")),
        None => usage_error("missing command"),
    }
}

fn usage_error(message: &str) -> i32 {
    eprintln!("error: {message}\n\n{USAGE}");
    EXIT_USAGE
}

/// Where `--image` writes, on which `--run-image`.
type ImageTarget = (PathBuf, ImageOptions);

fn parse_build(args: &[String]) -> Result<(BuildConfig, PathBuf, Option<ImageTarget>), String> {
    let mut buildpacks = Vec::new();
    let mut optional = Vec::new();
    let mut app = None;
    let mut state = PathBuf::from(".cnb-local-state");
    let mut env = Vec::new();
    let mut platform_api = None;
    let (mut image, mut run_image) = (None, None);
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let mut value = || {
            iter.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--buildpack" | "-b" => buildpacks.push(BuildpackReference::Other(value()?)),
            "--optional-buildpack" => {
                let reference = BuildpackReference::Other(value()?);
                optional.push(reference.clone());
                buildpacks.push(reference);
            }
            "--app" | "-a" => app = Some(PathBuf::from(value()?)),
            "--state" | "-s" => state = PathBuf::from(value()?),
            "--image" => image = Some(PathBuf::from(value()?)),
            "--run-image" => run_image = Some(parse_run_image(&value()?)?),
            "--env" | "-e" => {
                let pair = value()?;
                let (name, val) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("--env wants NAME=VALUE, got {pair:?}"))?;
                env.push((name.to_owned(), val.to_owned()));
            }
            "--platform-api" => {
                let text = value()?;
                let parsed = text
                    .split_once('.')
                    .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
                    .ok_or_else(|| format!("--platform-api wants X.Y, got {text:?}"))?;
                platform_api = Some(parsed);
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let app = app.ok_or("--app is required")?;
    if buildpacks.is_empty() {
        return Err("at least one --buildpack is required".into());
    }
    // No builder: the default target (see `BuildConfig`'s builder rule).
    let mut config = BuildConfig::new("cnb-local", app);
    config
        .buildpacks(buildpacks)
        .optional_buildpacks(optional)
        .envs(env);
    if let Some((major, minor)) = platform_api {
        config.platform_api(major, minor);
    }
    Ok((config, state, image_target(image, run_image)?))
}

fn parse_run_image(text: &str) -> Result<RunImage, String> {
    text.parse()
        .map_err(|error: oci::ParseRunImageError| error.to_string())
}

fn image_target(
    image: Option<PathBuf>,
    run_image: Option<RunImage>,
) -> Result<Option<ImageTarget>, String> {
    match (image, run_image) {
        (Some(dir), run_image) => {
            let options = ImageOptions::new();
            let options = match run_image {
                Some(run_image) => options.run_image(run_image),
                None => options,
            };
            Ok(Some((dir, options)))
        }
        (None, Some(_)) => Err("--run-image needs --image".into()),
        (None, None) => Ok(None),
    }
}

/// Checks the output dir and the run image before a build, so a long build is not wasted.
fn check_image_target((dir, options): &ImageTarget) -> Result<(), oci::ImageError> {
    oci::check_output(dir)?;
    options.run_image_ref().map_or(Ok(()), oci::check_run_image)
}

/// Writes the state dir's image to `--image` and prints what was written.
fn write_image(state: &Path, (dir, options): &ImageTarget) -> i32 {
    let started = Instant::now();
    match oci::write_image(state, dir, options) {
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
            0
        }
        Err(error) => {
            eprintln!("ERROR: {}", error_chain(&error));
            1
        }
    }
}

fn export(args: &[String]) -> i32 {
    let mut state = PathBuf::from(".cnb-local-state");
    let (mut image, mut run_image) = (None, None);
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let Some(value) = iter.next() else {
            return usage_error(&format!("{flag} needs a value"));
        };
        match flag.as_str() {
            "--state" | "-s" => state = PathBuf::from(value),
            "--image" => image = Some(PathBuf::from(value)),
            "--run-image" => match parse_run_image(value) {
                Ok(parsed) => run_image = Some(parsed),
                Err(message) => return usage_error(&message),
            },
            other => return usage_error(&format!("unknown option {other:?}")),
        }
    }
    match image_target(image, run_image) {
        Ok(Some(target)) => write_image(&state, &target),
        Ok(None) => usage_error("--image is required"),
        Err(message) => usage_error(&message),
    }
}

/// Prints output live, and a progress line while a step runs long.
#[derive(Debug, Default)]
struct Terminal {
    current: Mutex<Option<(String, Instant)>>,
}

impl Observer for Terminal {
    fn output(&self, stream: Stream, bytes: &[u8]) {
        // Printing is best effort: a closed pipe must not abort the build.
        let _ = match stream {
            Stream::Stdout => std::io::stdout().write_all(bytes),
            Stream::Stderr => std::io::stderr().write_all(bytes),
        };
    }

    fn progress(&self, progress: &Progress) {
        if let Ok(mut current) = self.current.lock() {
            match progress {
                Progress::Started { step } => *current = Some((step.clone(), Instant::now())),
                Progress::Finished { step, elapsed } => {
                    if *elapsed >= Duration::from_secs(1) {
                        eprintln!("    {step} took {}", seconds(*elapsed));
                    }
                    *current = None;
                }
            }
        }
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.2}s", duration.as_secs_f64())
}

/// Runs `f` while a thread prints `... <step> (Ns)` every few seconds during long steps.
fn with_progress<T>(terminal: &Terminal, f: impl FnOnce() -> T) -> T {
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut last_print = Instant::now();
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let Ok(current) = terminal.current.lock() else {
                    return;
                };
                if let Some((step, started)) = current.as_ref() {
                    let elapsed = started.elapsed();
                    if elapsed >= Duration::from_secs(3)
                        && last_print.elapsed() >= Duration::from_secs(3)
                    {
                        eprintln!("    ... {step} ({}s)", elapsed.as_secs());
                        last_print = Instant::now();
                    }
                }
            }
        });
        let result = f();
        done.store(true, Ordering::Relaxed);
        result
    })
}

fn build(config: &BuildConfig, state: &Path, image: Option<&ImageTarget>) -> i32 {
    if let Some(Err(error)) = image.map(check_image_target) {
        eprintln!("ERROR: {}", error_chain(&error));
        return 1;
    }
    let terminal = Terminal::default();
    let started = Instant::now();
    if config.app_dir.is_dir() {
        // Buildpacks see the copy, so their messages name paths in it, not in the app dir.
        let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        println!(
            "App: {}, built from a copy in {} (the build's /workspace)",
            absolute(&config.app_dir).display(),
            absolute(&state.join("build").join("workspace")).display()
        );
    }
    let result = with_progress(&terminal, || run(config, state, &terminal));
    match result {
        Ok(report) => {
            print_summary(&report, state, started.elapsed());
            image.map_or(0, |image| write_image(state, image))
        }
        // `run` has reported the failure through the terminal observer, once.
        Err(failure) => exit_code(&failure.error),
    }
}

fn print_summary(report: &BuildReport, state: &Path, total: Duration) {
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

fn parse_run(args: &[String]) -> Result<(PathBuf, ContainerOptions), String> {
    let mut state = PathBuf::from(".cnb-local-state");
    let mut options = ContainerOptions::new();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        if flag == "--" {
            options.command = Some(iter.by_ref().cloned().collect());
            break;
        }
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--state" | "-s" => state = PathBuf::from(value),
            "--process" | "-p" => options.process = Some(value.clone()),
            "--entrypoint" => options.entrypoint = Some(value.clone()),
            "--env" | "-e" => {
                let (name, val) = value
                    .split_once('=')
                    .ok_or_else(|| format!("--env wants NAME=VALUE, got {value:?}"))?;
                options.env.insert(name.to_owned(), val.to_owned());
            }
            "--mount" => {
                let (spec, read_only) = match value.strip_suffix(":ro") {
                    Some(spec) => (spec, true),
                    None => (value.strip_suffix(":rw").unwrap_or(value), false),
                };
                let (source, target) = spec
                    .split_once(':')
                    .ok_or_else(|| format!("--mount wants SRC:DST[:ro], got {value:?}"))?;
                options.mounts.push(Mount::new(source, target, read_only));
            }
            "--publish" => options.publish.push(
                value
                    .parse()
                    .map_err(|_| format!("--publish wants a port number, got {value:?}"))?,
            ),
            "--run-image" => options.run_image = Some(parse_run_image(value)?),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok((state, options))
}

/// Starts the container, says on stderr which run image and host addresses it has, shows
/// its output until it exits and returns its exit code.
fn run_container(state: &Path, options: &ContainerOptions) -> i32 {
    let container = match Container::start(state, options) {
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
        Ok(code) => code,
        Err(error) => {
            eprintln!("ERROR: {}", error_chain(&error));
            1
        }
    }
}

fn launch(args: &[String]) -> i32 {
    let mut state = PathBuf::from(".cnb-local-state");
    let mut process = None;
    let mut process_args: Option<Vec<String>> = None;
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        match flag.as_str() {
            "--state" | "-s" => match iter.next() {
                Some(value) => state = PathBuf::from(value),
                None => return usage_error("--state needs a value"),
            },
            "--process" | "-p" => match iter.next() {
                Some(value) => process = Some(value.clone()),
                None => return usage_error("--process needs a value"),
            },
            "--" => {
                process_args = Some(iter.by_ref().cloned().collect());
            }
            other => return usage_error(&format!("unknown option {other:?}")),
        }
    }
    match run_process(
        &state,
        process.as_deref(),
        process_args.as_deref(),
        "production",
    ) {
        Ok(output) => {
            print!("{}", output.stdout);
            eprint!("{}", output.stderr);
            output.status.unwrap_or(1)
        }
        Err(error) => {
            eprintln!("error: {}", error_chain(&error));
            1
        }
    }
}
