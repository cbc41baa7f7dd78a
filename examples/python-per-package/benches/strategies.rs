//! Buildpack wall time of the two layer strategies on the demo app, side by side in one run:
//! a first build, a rebuild with nothing changed, and a rebuild after one pinned version
//! changed (`demo-urlkit` 2.2.1 → 2.2.2), through the local lifecycle.
//!
//! Run with `cargo bench -p python-per-package` (`BENCH_RUNS=<n>` sets the repetitions,
//! default 7). The strategies alternate within each repetition, so both see the same machine
//! load; the figures are medians. "Buildpack time" is detect plus build, as the harness
//! measures them around the buildpack's processes (export and cache are the lifecycle's).
//! The resolve and pip-install columns are what the buildpack itself reports pip took.

use libcnb_lite_test::{BuildConfig, BuildReport, BuildpackReference, Quiet, run};
use std::fs;
use std::path::Path;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strategy {
    PerPackage,
    Single,
}

impl Strategy {
    fn name(self) -> &'static str {
        match self {
            Self::PerPackage => "per-package",
            Self::Single => "single",
        }
    }
}

const SCENARIOS: [&str; 3] = ["first build", "no-change rebuild", "one-package change"];

/// One build's figures, in seconds.
#[derive(Clone, Copy, Default)]
struct Sample {
    detect: f64,
    build: f64,
    resolve: f64,
    install: f64,
}

impl Sample {
    fn total(&self) -> f64 {
        self.detect + self.build
    }

    fn of(report: &BuildReport) -> Self {
        let stdout = &report.output.stdout;
        Self {
            detect: report.timings.detect.as_secs_f64(),
            build: report.timings.build.as_secs_f64(),
            resolve: seconds_after(stdout, "resolved with pip ", " in "),
            install: seconds_after(stdout, "pip installed ", " in "),
        }
    }
}

/// The `0.41` of `… <marker> … in 0.41 s` on the line containing `marker`, or 0.
fn seconds_after(stdout: &str, marker: &str, before_number: &str) -> f64 {
    stdout
        .lines()
        .find(|line| line.contains(marker))
        .and_then(|line| {
            let rest = &line[line.find(marker)?..];
            let number = rest.split(before_number).nth(1)?.split(' ').next()?;
            number.parse().ok()
        })
        .unwrap_or(0.0)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let destination = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &destination)?;
        } else {
            fs::copy(entry.path(), destination)?;
        }
    }
    Ok(())
}

/// The three scenarios for one strategy, each in a fresh state dir and app copy.
fn run_scenarios(strategy: Strategy) -> Result<[Sample; 3], Box<dyn std::error::Error>> {
    let app = tempfile::tempdir()?;
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("demo"),
        app.path(),
    )?;
    let state = tempfile::tempdir()?;
    let buildpack = BuildpackReference::CurrentCrate;
    let mut config = BuildConfig::new("heroku/builder:24", app.path())
        .buildpacks([buildpack])
        .clone();
    if strategy == Strategy::Single {
        config = config.env("BP_PYTHON_LAYER_STRATEGY", "single").clone();
    }

    let build = || -> Result<Sample, Box<dyn std::error::Error>> {
        let report = run(&config, state.path(), &Quiet).map_err(|failure| {
            format!("build failed: {}\n{}", failure.error, failure.output.stderr)
        })?;
        Ok(Sample::of(&report))
    };
    let first = build()?;
    let unchanged = build()?;
    let requirements = app.path().join("requirements.txt");
    let text = fs::read_to_string(&requirements)?;
    fs::write(
        &requirements,
        text.replace("demo-urlkit==2.2.1", "demo-urlkit==2.2.2"),
    )?;
    let changed = build()?;
    Ok([first, unchanged, changed])
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once, quickly.
    let quick = !std::env::args().any(|arg| arg == "--bench");
    let runs: usize = if quick {
        1
    } else {
        std::env::var("BENCH_RUNS")
            .ok()
            .and_then(|runs| runs.parse().ok())
            .unwrap_or(7)
    };

    let strategies = [Strategy::PerPackage, Strategy::Single];
    let mut samples: Vec<Vec<[Sample; 3]>> = vec![Vec::new(); strategies.len()];
    for run_index in 0..runs {
        // Alternate which strategy goes first, so neither always builds on a warmer cache.
        for offset in 0..strategies.len() {
            let index = (run_index + offset) % strategies.len();
            samples[index].push(run_scenarios(strategies[index])?);
        }
        eprintln!("run {}/{runs} done", run_index + 1);
    }

    let medians: Vec<[Sample; 3]> = samples
        .iter()
        .map(|runs_of_strategy| {
            std::array::from_fn(|scenario| {
                let pick = |field: fn(&Sample) -> f64| {
                    median(
                        runs_of_strategy
                            .iter()
                            .map(|run| field(&run[scenario]))
                            .collect(),
                    )
                };
                Sample {
                    detect: pick(|sample| sample.detect),
                    build: pick(|sample| sample.build),
                    resolve: pick(|sample| sample.resolve),
                    install: pick(|sample| sample.install),
                }
            })
        })
        .collect();

    print_table(runs, &strategies, &medians);
    print_targets(&medians);
    Ok(())
}

fn print_table(runs: usize, strategies: &[Strategy], medians: &[[Sample; 3]]) {
    println!(
        "python-per-package: buildpack wall time on the demo app (35 distributions), median of {runs}"
    );
    println!(
        "{:<12} {:<20} {:>9} {:>9} {:>9} {:>9} {:>11}",
        "strategy", "scenario", "total s", "detect s", "build s", "resolve s", "pip inst s"
    );
    for (strategy, figures) in strategies.iter().zip(medians) {
        for (scenario, sample) in SCENARIOS.iter().zip(figures) {
            println!(
                "{:<12} {:<20} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>11.3}",
                strategy.name(),
                scenario,
                sample.total(),
                sample.detect,
                sample.build,
                sample.resolve,
                sample.install
            );
        }
    }
}

fn print_targets(medians: &[[Sample; 3]]) {
    let [first, unchanged, changed] = medians[0];
    let [single_first, _, single_changed] = medians[1];
    println!();
    println!("targets (per-package strategy):");
    let check = |label: &str, value: String, met: bool| {
        println!(
            "  {:<58} {:<16} {}",
            label,
            value,
            if met { "met" } else { "NOT MET" }
        );
    };
    check(
        "no-change rebuild ≤ 0.5 s",
        format!("{:.3} s", unchanged.total()),
        unchanged.total() <= 0.5,
    );
    check(
        "no-change rebuild ≤ 10% of the first build",
        format!("{:.1}%", 100.0 * unchanged.total() / first.total()),
        unchanged.total() <= 0.10 * first.total(),
    );
    check(
        "one-package change ≤ 25% of the first build",
        format!("{:.1}%", 100.0 * changed.total() / first.total()),
        changed.total() <= 0.25 * first.total(),
    );
    check(
        "one-package change ≥ 3× faster than with one layer",
        format!("{:.2}×", single_changed.total() / changed.total()),
        single_changed.total() >= 3.0 * changed.total(),
    );
    check(
        "first build ≤ 10% slower than with one layer",
        format!(
            "{:+.1}%",
            100.0 * (first.total() / single_first.total() - 1.0)
        ),
        first.total() <= 1.10 * single_first.total(),
    );
}
