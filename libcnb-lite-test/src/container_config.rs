//! What a container of the built image runs (libcnb-test's `ContainerConfig`).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// The configuration of a container started with
/// [`TestContext::start_container`](crate::TestContext::start_container).
///
/// Without an entrypoint the container runs the image's default process; `entrypoint`
/// names a process type, or `launcher` to run `command` through the launcher (`bash -c` for
/// a single string), as in an image the lifecycle exports. Exposed ports are published on
/// a free port of the host's `127.0.0.1` (see
/// [`ContainerContext::address_for_port`](crate::ContainerContext::address_for_port)).
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::ContainerConfig;
///
/// let mut config = ContainerConfig::new();
/// config
///     .entrypoint("worker")
///     .command(["--verbose"])
///     .env("PORT", "8080")
///     .expose_port(8080)
///     .bind_mount("tests/fixtures", "/fixtures");
/// ```
#[derive(Debug, Clone, Default)]
pub struct ContainerConfig {
    pub(crate) entrypoint: Option<String>,
    pub(crate) command: Option<Vec<String>>,
    pub(crate) env: HashMap<String, String>,
    pub(crate) exposed_ports: HashSet<u16>,
    pub(crate) bind_mounts: HashMap<PathBuf, PathBuf>,
}

impl ContainerConfig {
    /// A container of the default process, with no extra env, ports or mounts.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the entrypoint: a process type, or `launcher`.
    pub fn entrypoint(&mut self, entrypoint: impl Into<String>) -> &mut Self {
        self.entrypoint = Some(entrypoint.into());
        self
    }

    /// Sets the command: arguments that replace the process's default ones, or what the
    /// `launcher` entrypoint runs.
    pub fn command<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, command: I) -> &mut Self {
        self.command = Some(command.into_iter().map(S::into).collect());
        self
    }

    /// Publishes container port `port` on a free port of the host's `127.0.0.1`.
    pub fn expose_port(&mut self, port: u16) -> &mut Self {
        self.exposed_ports.insert(port);
        self
    }

    /// Sets an env var of the container.
    pub fn env(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Bind-mounts the host path `source` (relative to the current dir) at `target`,
    /// writable, as `docker run --volume` does.
    pub fn bind_mount(
        &mut self,
        source: impl Into<PathBuf>,
        target: impl Into<PathBuf>,
    ) -> &mut Self {
        self.bind_mounts.insert(source.into(), target.into());
        self
    }

    /// Sets several env vars of the container.
    pub fn envs<K: Into<String>, V: Into<String>, I: IntoIterator<Item = (K, V)>>(
        &mut self,
        envs: I,
    ) -> &mut Self {
        for (key, value) in envs {
            self.env(key, value);
        }
        self
    }
}
