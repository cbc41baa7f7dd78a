//! A running container of the built image (libcnb-test's `ContainerContext`).

use std::net::SocketAddr;

use crate::container::Container;
use crate::container_config::ContainerConfig;
use crate::lifecycle::error_chain;
use crate::log::LogOutput;

/// A container started by [`TestContext::start_container`](crate::TestContext::start_container),
/// handed to its closure. Dropping it (when the closure returns, or panics) kills the
/// container and removes everything it left.
#[derive(Debug)]
pub struct ContainerContext {
    /// The container's name (its `runc` ID).
    pub container_name: String,
    pub(crate) container: Container,
    pub(crate) config: ContainerConfig,
}

impl ContainerContext {
    /// The container's output so far.
    #[must_use]
    pub fn logs_now(&self) -> LogOutput {
        let logs = self.container.logs_now();
        LogOutput {
            stdout: logs.stdout,
            stderr: logs.stderr,
        }
    }

    /// Waits for the container to exit, then returns all its output.
    ///
    /// # Panics
    ///
    /// When the container cannot be waited for (`Error fetching container logs:`).
    #[must_use]
    pub fn logs_wait(&self) -> LogOutput {
        let logs = self.container.logs_wait().unwrap_or_else(|error| {
            panic!("Error fetching container logs:\n\n{}", error_chain(&error))
        });
        LogOutput {
            stdout: logs.stdout,
            stderr: logs.stderr,
        }
    }

    /// The host address at which exposed container port `port` is published.
    ///
    /// # Panics
    ///
    /// When `port` was not exposed with [`ContainerConfig::expose_port`], with libcnb-test's
    /// message.
    #[must_use]
    pub fn address_for_port(&self, port: u16) -> SocketAddr {
        assert!(
            self.config.exposed_ports.contains(&port),
            "Unknown port: Port {port} needs to be exposed first using `ContainerConfig::expose_port`"
        );
        self.container.address_for_port(port).unwrap_or_else(|| {
            panic!(
                "Error obtaining container port mapping:\nport {port} is not published\nThis normally means that the container crashed. Container logs:\n\n{}",
                self.logs_now()
            )
        })
    }

    /// Runs `command` with `bash -c` in the running container, with the container's env
    /// (the launch env included), in `/workspace`.
    ///
    /// # Panics
    ///
    /// When the command cannot be run or exits non-zero (`Error performing docker exec:`,
    /// as libcnb-test).
    pub fn shell_exec(&self, command: impl AsRef<str>) -> LogOutput {
        let output = self
            .container
            .exec_shell(command.as_ref())
            .unwrap_or_else(|error| {
                panic!("Error performing docker exec:\n\n{}", error_chain(&error))
            });
        let log_output = LogOutput {
            stdout: output.stdout,
            stderr: output.stderr,
        };
        assert!(
            output.exit_code == 0,
            "Error performing docker exec:\n\ndocker command failed with exit code {}!\n\n{log_output}",
            output.exit_code
        );
        log_output
    }
}
