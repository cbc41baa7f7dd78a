//! Export benchmark: archiving and hashing a ~100 MB layer (many small files and a few
//! large ones) with the harness versus `tar -cf - DIR | sha256sum` on the same files, plus
//! peak memory for a 10 MB and a 100 MB layer to show it does not grow with layer size.
//!
//! Run with `cargo bench -p libcnb-lite-test --bench export`.

use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

// The archiving code itself, not a public API of libcnb-lite-test: compiled into the
// benchmark from its source file.
#[path = "../src/archive.rs"]
#[expect(
    dead_code,
    unreachable_pub,
    reason = "the benchmark uses only the archiving half of the module"
)]
mod archive;

use archive::Owner;

const RUNS: usize = 7;
const OWNER: Owner = Owner {
    uid: 1000,
    gid: 1000,
};

/// Fills `dir` with `small` files of 4 KiB in 50 sub-dirs and `large` files of `large_mb` MiB.
fn generate(
    dir: &Path,
    small: usize,
    large: usize,
    large_mb: usize,
) -> Result<u64, Box<dyn Error>> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut chunk = vec![0u8; 1 << 20];
    let mut refill = |chunk: &mut [u8]| {
        for word in chunk.chunks_mut(8) {
            // xorshift64: incompressible, deterministic content.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
    };
    let mut total = 0u64;
    for i in 0..small {
        let sub = dir.join(format!("pkg-{:02}", i % 50));
        fs::create_dir_all(&sub)?;
        refill(&mut chunk[..4096]);
        fs::write(sub.join(format!("module-{i:05}.py")), &chunk[..4096])?;
        total += 4096;
    }
    for i in 0..large {
        let mut file = fs::File::create(dir.join(format!("lib-{i}.so")))?;
        for _ in 0..large_mb {
            refill(&mut chunk);
            file.write_all(&chunk)?;
            total += chunk.len() as u64;
        }
    }
    Ok(total)
}

#[expect(
    clippy::cast_precision_loss,
    reason = "byte counts of a few hundred MB are exact in f64"
)]
fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// The diff ID of `root/rel`, hashing the tar without storing it, as export does.
fn digest_dir(root: &Path, rel: &Path, owner: Owner) -> Result<archive::DiffId, Box<dyn Error>> {
    Ok(archive::write_archive(root, rel, owner, std::io::sink())?.0)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(mut f: impl FnMut() -> Result<T, Box<dyn Error>>) -> Result<Duration, Box<dyn Error>> {
    f()?; // warm the page cache and the code path
    let mut samples = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        f()?;
        samples.push(start.elapsed());
    }
    Ok(median(samples))
}

fn tar_sha256sum(root: &Path, rel: &str) -> Result<String, Box<dyn Error>> {
    let output = Command::new("sh")
        .arg("-c")
        .arg("tar -C \"$0\" -cf - \"$1\" | sha256sum")
        .arg(root)
        .arg(rel)
        .output()?;
    if !output.status.success() {
        return Err(format!("tar | sha256sum failed: {output:?}").into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Peak resident memory (`VmHWM`) in KiB since the last reset.
fn peak_rss_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets `VmHWM` (Linux: writing 5 to `/proc/self/clear_refs`).
fn reset_peak_rss() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn main() -> Result<(), Box<dyn Error>> {
    let root = tempfile::tempdir()?;
    let big = root.path().join("bp/big");
    let small = root.path().join("bp/small");
    fs::create_dir_all(&big)?;
    fs::create_dir_all(&small)?;
    // ~100 MB: 5000 files of 4 KiB (20 MB) plus 4 files of 20 MiB (80 MiB).
    let big_bytes = generate(&big, 5000, 4, 20)?;
    let small_bytes = generate(&small, 500, 1, 8)?;
    println!(
        "layer: {:.1} MB in 5004 files; runs: {RUNS} (median, warm page cache)",
        megabytes(big_bytes)
    );

    let ours = time(|| digest_dir(root.path(), Path::new("bp/big"), OWNER))?;
    let theirs = time(|| tar_sha256sum(root.path(), "bp/big"))?;
    let blobs = tempfile::tempdir()?;
    let tee = time(|| {
        let diff_id =
            archive::archive_to_blob(root.path(), Path::new("bp/big"), OWNER, blobs.path())?;
        fs::remove_file(blobs.path().join(diff_id.blob_name()))?;
        Ok(())
    })?;
    let mb = megabytes(big_bytes);
    println!(
        "harness archive+sha256:       {:>8.1} ms  ({:.0} MB/s)",
        ours.as_secs_f64() * 1e3,
        mb / ours.as_secs_f64()
    );
    println!(
        "tar -cf - DIR | sha256sum:    {:>8.1} ms  ({:.0} MB/s)",
        theirs.as_secs_f64() * 1e3,
        mb / theirs.as_secs_f64()
    );
    println!(
        "harness archive+sha256+blob:  {:>8.1} ms  (tee into a blob file, as export does)",
        tee.as_secs_f64() * 1e3
    );
    println!(
        "ratio harness / (tar | sha256sum): {:.2} (target <= 1.5)",
        ours.as_secs_f64() / theirs.as_secs_f64()
    );

    if reset_peak_rss() {
        digest_dir(root.path(), Path::new("bp/small"), OWNER)?;
        let small_peak = peak_rss_kib().unwrap_or(0);
        reset_peak_rss();
        digest_dir(root.path(), Path::new("bp/big"), OWNER)?;
        let big_peak = peak_rss_kib().unwrap_or(0);
        println!(
            "peak RSS (VmHWM): {small_peak} KiB for a {:.1} MB layer, {big_peak} KiB for a {mb:.1} MB layer",
            megabytes(small_bytes)
        );
    } else {
        println!(
            "peak RSS: cannot reset VmHWM here; final VmHWM {:?} KiB",
            peak_rss_kib()
        );
    }
    Ok(())
}
