//! The exec.d program of the execd example: the launcher runs it before the app, in the
//! app's launch environment, and reads the TOML it writes to file descriptor 3.
//!
//! It sets `WEB_CONCURRENCY` to the number of CPUs available, unless the app's environment
//! already sets it: a value chosen by the user wins over a computed default.

use std::num::NonZeroUsize;

use libcnb_lite::data::exec_d_program_output_key;
use libcnb_lite::exec_d::write_exec_d_program_output;

fn main() {
    let current = std::env::var("WEB_CONCURRENCY").ok();
    let cpus = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let output = web_concurrency(current.as_deref(), cpus)
        .map(|value| (exec_d_program_output_key!("WEB_CONCURRENCY"), value));
    // An empty output changes nothing; the launcher still expects the program to succeed.
    write_exec_d_program_output(output);
}

/// The value to set: none when the environment already has a non-empty one, else one worker
/// per CPU.
fn web_concurrency(current: Option<&str>, cpus: usize) -> Option<String> {
    match current {
        Some(value) if !value.is_empty() => None,
        _ => Some(cpus.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::web_concurrency;

    #[test]
    fn one_worker_per_cpu() {
        assert_eq!(web_concurrency(None, 4).as_deref(), Some("4"));
        assert_eq!(web_concurrency(Some(""), 1).as_deref(), Some("1"));
    }

    #[test]
    fn a_value_from_the_user_wins() {
        assert_eq!(web_concurrency(Some("7"), 4), None);
    }
}
