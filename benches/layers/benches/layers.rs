//! `cargo bench`: times create / keep / migrate through the struct API and
//! through the deprecated trait API on upstream libcnb 0.30.4 (and on
//! libcnb-lite, the default feature `lite`) in one run and prints one table.
//!
//! Options (after `cargo bench --`): `--layers N` (default 200),
//! `--iterations K` measured runs (default 15), `--warmup W` (default 3).

use libcnb_lite_layers_bench::timing::{Samples, micros_per_layer};
use libcnb_lite_layers_bench::upstream::Upstream;
use libcnb_lite_layers_bench::{BenchError, Scenario, run_once};
use std::process::ExitCode;
use std::time::Duration;

/// Runs one scenario once on one library; see [`run_once`].
type RunOnce = fn(Scenario, usize) -> Result<Duration, BenchError>;

struct Settings {
    layers: usize,
    iterations: usize,
    warmup: usize,
}

impl Settings {
    fn from_args(args: impl Iterator<Item = String>) -> Result<Self, BenchError> {
        let mut settings = Self {
            layers: 200,
            iterations: 15,
            warmup: 3,
        };
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            let field = match arg.as_str() {
                // `cargo bench` passes `--bench` to every bench target.
                "--bench" => continue,
                "--layers" => &mut settings.layers,
                "--iterations" => &mut settings.iterations,
                "--warmup" => &mut settings.warmup,
                _ => {
                    return Err(format!(
                        "unknown argument {arg}; expected --layers, --iterations or --warmup"
                    )
                    .into());
                }
            };
            let value = args.next().ok_or_else(|| format!("{arg} needs a number"))?;
            *field = value
                .parse()
                .map_err(|_| format!("{arg} needs a number, got {value}"))?;
        }
        if settings.layers == 0 || settings.iterations == 0 {
            return Err("--layers and --iterations must be at least 1".into());
        }
        Ok(settings)
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("layers benchmark failed: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), BenchError> {
    let settings = Settings::from_args(std::env::args().skip(1))?;
    #[cfg_attr(
        not(feature = "lite"),
        expect(unused_mut, reason = "lite adds a library")
    )]
    let mut libraries: Vec<(&str, RunOnce)> = vec![("upstream", run_once::<Upstream>)];
    #[cfg(feature = "lite")]
    libraries.push(("lite", run_once::<libcnb_lite_layers_bench::lite::Lite>));

    println!(
        "layers benchmark: {} layers per run in {}, median of {} runs after {} warm-up runs",
        settings.layers,
        std::env::temp_dir().display(),
        settings.iterations,
        settings.warmup
    );
    println!("times are µs per layer: median [fastest–slowest run]\n");
    let mut header = vec![String::from("operation")];
    header.extend(libraries.iter().map(|(name, _)| (*name).to_owned()));
    if libraries.len() == 2 {
        header.extend([String::from("ratio"), String::from("target")]);
    }
    println!("{}", table_line(&header));

    for scenario in Scenario::ALL {
        let mut samples = vec![Samples::default(); libraries.len()];
        for iteration in 0..settings.warmup + settings.iterations {
            // Alternate which library goes first so neither always runs right
            // after the other one's clean-up.
            for offset in 0..libraries.len() {
                let index = (iteration + offset) % libraries.len();
                let duration = (libraries[index].1)(scenario, settings.layers)?;
                if iteration >= settings.warmup {
                    samples[index].push(duration);
                }
            }
        }
        println!("{}", table_line(&row(scenario, &samples, settings.layers)));
    }
    Ok(())
}

fn row(scenario: Scenario, samples: &[Samples], layers: usize) -> Vec<String> {
    let mut row = vec![scenario.name()];
    let mut medians = Vec::new();
    for library in samples {
        if let (Some(median), Some((fastest, slowest))) = (library.median(), library.range()) {
            row.push(format!(
                "{:.1} [{:.1}–{:.1}]",
                micros_per_layer(median, layers),
                micros_per_layer(fastest, layers),
                micros_per_layer(slowest, layers)
            ));
            medians.push(median);
        }
    }
    if let [upstream, lite] = medians[..] {
        let ratio = lite.as_secs_f64() / upstream.as_secs_f64();
        let target = scenario.operation.target_ratio();
        let verdict = if ratio <= target { "met" } else { "MISSED" };
        row.push(format!("{ratio:.2}"));
        row.push(format!("≤ {target:.2} {verdict}"));
    }
    row
}

/// One table line: the scenario column 13 wide, time columns 21 wide.
fn table_line(cells: &[String]) -> String {
    cells
        .iter()
        .enumerate()
        .map(|(column, cell)| {
            if column == 0 {
                format!("{cell:<13}")
            } else {
                format!("{cell:<21}")
            }
        })
        .collect::<Vec<_>>()
        .join(" | ")
        .trim_end()
        .to_owned()
}
