//! Captured output of a command (libcnb-test's `LogOutput`).

use std::fmt;

/// The stdout and stderr of a command, a container or a build.
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::LogOutput;
///
/// let output = LogOutput { stdout: "out".into(), stderr: "err".into() };
/// assert_eq!(output.to_string(), "## stderr:\n\nerr\n## stdout:\n\nout\n");
/// ```
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LogOutput {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl fmt::Display for LogOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let LogOutput { stdout, stderr } = self;
        write!(f, "## stderr:\n\n{stderr}\n## stdout:\n\n{stdout}\n")
    }
}
