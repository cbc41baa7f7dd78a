//! Printing a build as it runs: output live, and on a terminal only, progress for long steps
//! (restore, hashing, exporting a big layer). Piped output gets no progress lines, so logs
//! and tests see the same text on every run.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use libcnb_lite_test::{Observer, Progress, Stream};

/// Prints output live, and a progress line while a step runs long.
#[derive(Debug)]
pub(crate) struct Terminal {
    current: Mutex<Option<(String, Instant)>>,
    /// Whether stderr is a terminal: progress is printed only then.
    progress: bool,
}

impl Terminal {
    pub(crate) fn new() -> Self {
        Self {
            current: Mutex::new(None),
            progress: std::io::stderr().is_terminal(),
        }
    }

    /// Runs `f` while a thread prints `... <step> (Ns)` every few seconds during long steps
    /// (on a terminal only).
    pub(crate) fn with_progress<T>(&self, f: impl FnOnce() -> T) -> T {
        if !self.progress {
            return f();
        }
        let done = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let mut last_print = Instant::now();
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    let Ok(current) = self.current.lock() else {
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
        if !self.progress {
            return;
        }
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

/// A duration as `1.23s`.
pub(crate) fn seconds(duration: Duration) -> String {
    format!("{:.2}s", duration.as_secs_f64())
}
