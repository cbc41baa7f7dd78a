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

/// The captured output of a build. Each stream keeps its first and its last 4 MiB (a note
/// in between says how much was left out); an [`Observer`] sees all of it as it arrives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Lifecycle log lines (`===> BUILDING`, `Adding layer '…'`, …) and buildpacks' stdout.
    pub stdout: String,
    /// Buildpacks' stderr and lifecycle warnings.
    pub stderr: String,
}

/// How much of each stream [`Output`] keeps: the first and the last half of this. A
/// buildpack may print gigabytes; everything still reaches the observer as it arrives.
const CAPTURE_LIMIT: usize = 8 << 20;

/// One captured stream, bounded by [`CAPTURE_LIMIT`]: its beginning, and a ring of its
/// most recent bytes once it grew too long.
#[derive(Debug, Default)]
pub(crate) struct Capture {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    /// Bytes dropped between the head and the tail.
    omitted: u64,
}

impl Capture {
    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        let half = CAPTURE_LIMIT / 2;
        if self.head.len() < half {
            let n = bytes.len().min(half - self.head.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        if bytes.len() >= half {
            self.omitted += (self.tail.len() + bytes.len() - half) as u64;
            self.tail.clear();
            bytes = &bytes[bytes.len() - half..];
        } else {
            let overflow = (self.tail.len() + bytes.len()).saturating_sub(half);
            self.tail.drain(..overflow);
            self.omitted += overflow as u64;
        }
        self.tail.extend(bytes);
    }

    pub(crate) fn into_string(self) -> String {
        let mut bytes = self.head;
        if self.omitted > 0 {
            bytes.extend_from_slice(
                format!(
                    "\n[... {} bytes of output not kept here ...]\n",
                    self.omitted
                )
                .as_bytes(),
            );
        }
        bytes.extend(self.tail);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Captures output (bounded) and forwards it to an observer.
pub(crate) struct Log<'a> {
    observer: &'a dyn Observer,
    captured: Mutex<(Capture, Capture)>,
}

impl<'a> Log<'a> {
    pub(crate) fn new(observer: &'a dyn Observer) -> Self {
        Self {
            observer,
            captured: Mutex::new((Capture::default(), Capture::default())),
        }
    }

    pub(crate) fn write(&self, stream: Stream, bytes: &[u8]) {
        if let Ok(mut captured) = self.captured.lock() {
            match stream {
                Stream::Stdout => captured.0.push(bytes),
                Stream::Stderr => captured.1.push(bytes),
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

    /// The captured output, emptying the capture (called once, when the build ends).
    pub(crate) fn output(&self) -> Output {
        self.captured
            .lock()
            .map(|mut captured| {
                let (stdout, stderr) = std::mem::take(&mut *captured);
                Output {
                    stdout: stdout.into_string(),
                    stderr: stderr.into_string(),
                }
            })
            .unwrap_or_default()
    }
}

impl std::fmt::Debug for Log<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log").finish_non_exhaustive()
    }
}

/// Makes the process `command` starts die with this process (`PR_SET_PDEATHSIG`), so a
/// killed `cnb-local` leaves no buildpack running on. Processes the child starts itself are
/// not covered.
pub(crate) fn dies_with_parent(command: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    let parent = rustix::process::getpid();
    let hook = move || {
        rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
        // The parent may have died before the signal was set up.
        if rustix::process::getppid() != Some(parent) {
            return Err(io::Error::other("the parent process exited"));
        }
        Ok(())
    };
    // SAFETY: the hook runs between fork and exec; it only makes two system calls (prctl,
    // getppid) and allocates nothing unless it fails.
    #[expect(
        unsafe_code,
        reason = "pre_exec is the only way to run prctl in the child"
    )]
    unsafe {
        command.pre_exec(hook)
    }
}

/// Runs `command`, streaming its stdout and stderr into `log` as they arrive.
pub(crate) fn run_streaming(command: &mut Command, log: &Log<'_>) -> io::Result<ExitStatus> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child: Child = dies_with_parent(command).spawn()?;
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
