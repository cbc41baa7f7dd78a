//! Runs one operation on prepared layers, for counting system calls with `strace -c`.
//!
//! ```text
//! layer_syscalls prepare <scenario> <layers-dir> <n>            # not traced
//! layer_syscalls <upstream|lite> <scenario> <layers-dir> <n>    # traced
//! layer_syscalls verify <scenario> <layers-dir> <n>             # not traced
//! ```
//!
//! `<scenario>` is `create`, `keep` or `migrate` (the struct API), or
//! `trait-create`, `trait-keep` or `trait-migrate` (the deprecated trait API's
//! `handle_layer`; see `Scenario`). Tracing the
//! second command for `n` layers and for `0` layers (an empty directory) and
//! dividing the difference by `n` gives system calls per layer: process start-up
//! cancels out, and the fixture is written and the result checked by separate,
//! untraced processes.

use libcnb_lite_layers_bench::upstream::Upstream;
use libcnb_lite_layers_bench::{BenchError, LayerApi, Scenario, fixture};
use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "usage: layer_syscalls <prepare|upstream|lite|verify> \
     <create|keep|migrate|trait-create|trait-keep|trait-migrate> <layers-dir> <n>";

fn main() -> ExitCode {
    match run(&std::env::args().skip(1).collect::<Vec<_>>()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("layer_syscalls: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), BenchError> {
    let [command, scenario, layers_dir, n] = args else {
        return Err(USAGE.into());
    };
    let scenario = Scenario::from_arg(scenario)
        .ok_or_else(|| format!("unknown scenario {scenario}; {USAGE}"))?;
    let layers_dir = Path::new(layers_dir);
    let n: usize = n
        .parse()
        .map_err(|_| format!("n must be a number, got {n}"))?;
    match command.as_str() {
        "prepare" => Ok(scenario.operation.prepare(layers_dir, n)?),
        "verify" => scenario.operation.verify(layers_dir, n),
        "upstream" => handle::<Upstream>(scenario, layers_dir, n),
        #[cfg(feature = "lite")]
        "lite" => handle::<libcnb_lite_layers_bench::lite::Lite>(scenario, layers_dir, n),
        #[cfg(not(feature = "lite"))]
        "lite" => Err("built without the `lite` feature".into()),
        _ => Err(USAGE.into()),
    }
}

fn handle<A: LayerApi>(scenario: Scenario, layers_dir: &Path, n: usize) -> Result<(), BenchError> {
    let context = A::context(layers_dir)?;
    let layer_names = fixture::layer_names(n)
        .iter()
        .map(|name| A::layer_name(name))
        .collect::<Result<Vec<_>, _>>()?;
    libcnb_lite_layers_bench::handle::<A>(&context, &layer_names, scenario)
}
