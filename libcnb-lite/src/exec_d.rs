//! Writing the output of an exec.d program.
//!
//! An exec.d program is an executable in a launch layer's `exec.d/` directory. The launcher
//! runs it before the app starts and sets the environment variables it writes, as TOML, to file
//! descriptor 3 ([CNB spec: exec.d](https://github.com/buildpacks/spec/blob/main/buildpack.md#execd)).
//! Write such a program as an additional binary target of the buildpack crate, whose `main`
//! calls [`write_exec_d_program_output`], and install it into a layer with
//! [`additional_buildpack_binary_path!`](crate::additional_buildpack_binary_path).

use libcnb_lite_data::exec_d::ExecDProgramOutput;
use std::io::{self, Write};

/// Writes `output` to file descriptor 3, the exec.d output channel; meant to be the last thing
/// an exec.d program's `main` does.
///
/// This is the program's entry point to the launcher, so instead of returning an error it
/// reports it the way the launcher understands: if fd 3 isn't open or writing fails, it prints
/// `couldn't write the exec.d program output to file descriptor 3: <reason>` to stderr and exits
/// with status 1, which makes the launcher abort the launch. It never panics. On non-Unix
/// platforms, where the spec passes a handle instead, it does the same with the reason
/// "unsupported on this platform".
///
/// # Examples
///
/// `src/bin/port.rs` of a buildpack crate:
///
/// ```no_run
/// use libcnb_lite::data::exec_d_program_output_key;
/// use libcnb_lite::exec_d::write_exec_d_program_output;
///
/// fn main() {
///     let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_string());
///     write_exec_d_program_output([(exec_d_program_output_key!("SERVER_PORT"), port)]);
/// }
/// ```
pub fn write_exec_d_program_output<O: Into<ExecDProgramOutput>>(o: O) {
    if let Err(error) = write_to_fd_3(&o.into()) {
        eprintln!("couldn't write the exec.d program output to file descriptor 3: {error}");
        std::process::exit(1);
    }
}

#[cfg(unix)]
fn write_to_fd_3(output: &ExecDProgramOutput) -> io::Result<()> {
    use std::mem::ManuallyDrop;
    use std::os::fd::FromRawFd;
    use std::path::Path;

    // `File::from_raw_fd` requires an open fd. Where the system lists open fds (`/dev/fd`
    // on Linux and macOS), check that first and fail with a message instead.
    if Path::new("/dev/fd").is_dir() && std::fs::symlink_metadata("/dev/fd/3").is_err() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "file descriptor 3 is not open (the launcher opens it for exec.d programs)",
        ));
    }

    #[expect(
        unsafe_code,
        reason = "the CNB spec hands exec.d programs fd 3 for their output; std has no safe way \
                  to adopt an inherited fd"
    )]
    // SAFETY: fd 3 is open (checked above where possible) and is the output pipe the launcher
    // opened for this process; nothing else in an exec.d program uses it. `ManuallyDrop` leaves
    // it open, so it is never closed twice; the process exit closes it.
    let file = ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(3) });
    write_output(output, &*file)
}

#[cfg(not(unix))]
fn write_to_fd_3(_output: &ExecDProgramOutput) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "unsupported on this platform",
    ))
}

/// Serializes `output` as a flat TOML table into `writer` with a single write.
fn write_output(output: &ExecDProgramOutput, mut writer: impl Write) -> io::Result<()> {
    let toml = toml::to_string(output)
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
    writer.write_all(toml.as_bytes())?;
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcnb_lite_data::exec_d_program_output_key;

    #[test]
    fn writes_a_flat_toml_table() {
        let output = ExecDProgramOutput::from([(exec_d_program_output_key!("PORT"), "8080")]);
        let mut buffer = Vec::new();

        write_output(&output, &mut buffer).unwrap();

        assert_eq!(String::from_utf8(buffer).unwrap(), "PORT = \"8080\"\n");
    }
}
