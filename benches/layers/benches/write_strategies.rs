//! `cargo bench --bench write_strategies`: what rewriting `<layer>.toml` costs on
//! this machine's file system, by write strategy, independent of either library.
//!
//! Keeping a restored layer must rewrite `<layer>.toml` once (the lifecycle drops
//! `[types]`), so this write bounds how fast `keep` can get. Each strategy reads
//! the restored file and writes it back with `[types]` prepended, for every
//! layer of a fresh fixture (the same one as the `keep` operation).
//!
//! Options (after `--`): `--layers N` (default 200), `--iterations K` (default 15).

use libcnb_lite_layers_bench::BenchError;
use libcnb_lite_layers_bench::fixture::{layer_names, write_restored_layers};
use libcnb_lite_layers_bench::metadata::CURRENT_LAYER_TOML;
use libcnb_lite_layers_bench::timing::{Samples, micros_per_layer};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

const TYPES: &str = "[types]\nlaunch = true\nbuild = true\ncache = true\n\n";
const WARMUP: usize = 3;

/// Reads `path` and returns the contents to write back.
fn with_types(path: &Path) -> Result<String, BenchError> {
    Ok(format!("{TYPES}{}", fs::read_to_string(path)?))
}

/// The floor: the read alone.
fn read_only(path: &Path) -> Result<(), BenchError> {
    std::hint::black_box(with_types(path)?);
    Ok(())
}

/// `fs::write`: open with `O_TRUNC`, write (what upstream libcnb does).
fn truncate_and_write(path: &Path) -> Result<(), BenchError> {
    let contents = with_types(path)?;
    fs::write(path, contents)?;
    Ok(())
}

/// Open without `O_TRUNC`, write from offset 0, shorten only if the file was longer.
fn overwrite_in_place(path: &Path) -> Result<(), BenchError> {
    let contents = with_types(path)?;
    let mut file = OpenOptions::new().write(true).open(path)?;
    file.write_all(contents.as_bytes())?;
    let len = u64::try_from(contents.len())?;
    if file.metadata()?.len() > len {
        file.set_len(len)?;
    }
    Ok(())
}

/// Open without `O_TRUNC`, write from offset 0, then cut the file to the new length
/// (`set_len` always; libcnb-lite's in-place write).
fn overwrite_and_set_len(path: &Path) -> Result<(), BenchError> {
    let contents = with_types(path)?;
    let mut file = OpenOptions::new().write(true).open(path)?;
    file.write_all(contents.as_bytes())?;
    file.set_len(u64::try_from(contents.len())?)?;
    Ok(())
}

/// Atomic: a temporary file in the same directory, renamed over the original.
fn temp_file_and_rename(path: &Path) -> Result<(), BenchError> {
    let contents = with_types(path)?;
    let dir = path.parent().ok_or("layer toml has a parent")?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(contents.as_bytes())?;
    temp.persist(path)?;
    Ok(())
}

type Strategy = (&'static str, fn(&Path) -> Result<(), BenchError>);

const STRATEGIES: [Strategy; 5] = [
    ("read only (floor)", read_only),
    ("O_TRUNC + write (upstream)", truncate_and_write),
    ("overwrite, no O_TRUNC", overwrite_in_place),
    ("overwrite + set_len", overwrite_and_set_len),
    ("temp file + rename (atomic)", temp_file_and_rename),
];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("write strategies benchmark failed: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), BenchError> {
    let (mut layers, mut iterations) = (200_usize, 15_usize);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let field = match arg.as_str() {
            "--bench" => continue,
            "--layers" => &mut layers,
            "--iterations" => &mut iterations,
            _ => {
                return Err(
                    format!("unknown argument {arg}; expected --layers or --iterations").into(),
                );
            }
        };
        let value = args.next().ok_or_else(|| format!("{arg} needs a number"))?;
        *field = value
            .parse()
            .map_err(|_| format!("{arg} needs a number, got {value}"))?;
    }
    if layers == 0 || iterations == 0 {
        return Err("--layers and --iterations must be at least 1".into());
    }

    let mut samples = vec![Samples::default(); STRATEGIES.len()];
    for iteration in 0..WARMUP + iterations {
        // Rotate the order so no strategy always follows the same one.
        for offset in 0..STRATEGIES.len() {
            let index = (iteration + offset) % STRATEGIES.len();
            let layers_dir = tempfile::tempdir()?;
            write_restored_layers(layers_dir.path(), layers, CURRENT_LAYER_TOML)?;
            let paths: Vec<_> = layer_names(layers)
                .iter()
                .map(|name| layers_dir.path().join(format!("{name}.toml")))
                .collect();
            let start = Instant::now();
            for path in &paths {
                (STRATEGIES[index].1)(path)?;
            }
            let elapsed = start.elapsed();
            if iteration >= WARMUP {
                samples[index].push(elapsed);
            }
        }
    }

    println!(
        "rewriting <layer>.toml of {layers} restored layers in {}, median of {iterations} runs",
        std::env::temp_dir().display()
    );
    println!("µs per layer: median [fastest–slowest run]\n");
    for ((name, _), strategy) in STRATEGIES.iter().zip(&samples) {
        if let (Some(median), Some((fastest, slowest))) = (strategy.median(), strategy.range()) {
            println!(
                "{name:<28} | {:.1} [{:.1}–{:.1}]",
                micros_per_layer(median, layers),
                micros_per_layer(fastest, layers),
                micros_per_layer(slowest, layers)
            );
        }
    }
    Ok(())
}
