//! Build output: what the lifecycle and buildpacks print, captured for tests and streamed
//! to an [`Observer`] (the command-line tool prints it live).

use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// Which stream a chunk of output went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// A step of the build that may take a while, reported for progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A step started.
    Started {
        /// What the step does, e.g. `exporting example_hello/venv`.
        step: String,
    },
    /// The step that started last finished.
    Finished {
        /// The step's description.
        step: String,
        /// How long it took.
        elapsed: Duration,
    },
}

/// Receives output and progress while a build runs.
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::{Observer, Stream};
///
/// #[derive(Debug)]
/// struct Print;
/// impl Observer for Print {
///     fn output(&self, stream: Stream, bytes: &[u8]) {
///         if stream == Stream::Stdout {
///             print!("{}", String::from_utf8_lossy(bytes));
///         }
///     }
/// }
/// Print.output(Stream::Stdout, b"===> DETECTING\n");
/// ```
pub trait Observer: Sync {
    /// A chunk of output, as it arrives.
    fn output(&self, stream: Stream, bytes: &[u8]) {
        let _ = (stream, bytes);
    }

    /// A step started or finished.
    fn progress(&self, progress: &Progress) {
        let _ = progress;
    }
}

/// An observer that ignores everything; output is still captured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// The captured output of a build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Lifecycle log lines (`===> BUILDING`, `Adding layer '…'`, …) and buildpacks' stdout.
    pub stdout: String,
    /// Buildpacks' stderr and lifecycle warnings.
    pub stderr: String,
}

/// Captures output and forwards it to an observer.
pub(crate) struct Log<'a> {
    observer: &'a dyn Observer,
    captured: Mutex<(Vec<u8>, Vec<u8>)>,
}

impl<'a> Log<'a> {
    pub(crate) fn new(observer: &'a dyn Observer) -> Self {
        Self {
            observer,
            captured: Mutex::new((Vec::new(), Vec::new())),
        }
    }

    pub(crate) fn write(&self, stream: Stream, bytes: &[u8]) {
        if let Ok(mut captured) = self.captured.lock() {
            match stream {
                Stream::Stdout => captured.0.extend_from_slice(bytes),
                Stream::Stderr => captured.1.extend_from_slice(bytes),
            }
        }
        self.observer.output(stream, bytes);
    }

    /// A lifecycle log line on stdout.
    pub(crate) fn info(&self, line: &str) {
        self.write(Stream::Stdout, format!("{line}\n").as_bytes());
    }

    /// A lifecycle warning on stderr.
    pub(crate) fn warn(&self, line: &str) {
        self.write(Stream::Stderr, format!("Warning: {line}\n").as_bytes());
    }

    pub(crate) fn progress(&self, progress: &Progress) {
        self.observer.progress(progress);
    }

    /// Runs `f` as a named step, reporting its start and duration.
    pub(crate) fn step<T>(&self, step: &str, f: impl FnOnce() -> T) -> T {
        let start = std::time::Instant::now();
        self.progress(&Progress::Started {
            step: step.to_owned(),
        });
        let result = f();
        self.progress(&Progress::Finished {
            step: step.to_owned(),
            elapsed: start.elapsed(),
        });
        result
    }

    pub(crate) fn output(&self) -> Output {
        self.captured
            .lock()
            .map(|captured| Output {
                stdout: String::from_utf8_lossy(&captured.0).into_owned(),
                stderr: String::from_utf8_lossy(&captured.1).into_owned(),
            })
            .unwrap_or_default()
    }
}

impl std::fmt::Debug for Log<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log").finish_non_exhaustive()
    }
}

/// Runs `command`, streaming its stdout and stderr into `log` as they arrive.
pub(crate) fn run_streaming(command: &mut Command, log: &Log<'_>) -> io::Result<ExitStatus> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child: Child = command.spawn()?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    std::thread::scope(|scope| {
        if let Some(stdout) = stdout {
            scope.spawn(move || forward(stdout, Stream::Stdout, log));
        }
        if let Some(stderr) = stderr {
            scope.spawn(move || forward(stderr, Stream::Stderr, log));
        }
    });
    child.wait()
}

fn forward(mut reader: impl Read, stream: Stream, log: &Log<'_>) {
    let mut buffer = [0u8; 8192];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => log.write(stream, &buffer[..n]),
        }
    }
}
