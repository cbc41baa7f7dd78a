//! Containers from a built image, through `runc` (the OCI runtime), without Docker.
//!
//! [`Container::start`] takes the image committed in a state dir (the result of a build),
//! extracts its launch layers to `/layers` and its app to `/workspace` in a fresh bundle
//! under `<state>/containers/<name>/`, and starts one process as the CNB launcher would
//! (launch env of the layers, exec.d programs with their fd 3 output applied, process
//! types by name, working dir, user arguments). The root file system is the run image
//! ([`ContainerOptions::run_image`], unpacked with `umoci`) or else the host's OS tree,
//! read-only, as the build saw it. Each container has its own network namespace with a
//! loopback interface; [`ContainerOptions::publish`] forwards a free port on the host's
//! `127.0.0.1` to a port inside, so two containers can publish the same port.
//!
//! Nothing outlives the handle: dropping a [`Container`] (also while unwinding from a
//! panic) kills the container, deletes it from `runc`'s state and removes the bundle. A
//! small watchdog process (`sh`) does that cleanup when the handle drops, and also when the
//! process holding it is killed (its pipe closes), so `kill -9` leaves no container behind;
//! bundles whose owner is gone are removed at the next start in the same state dir.
//!
//! Needs root, `runc` (Debian package `runc`) and, for run images, `umoci`.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod forward;
mod plan;

use forward::Forwarder;
use plan::{Plan, env_from_lines, plan_process, shell_exports};

use crate::env::Env;
use crate::launch::{self, LaunchError};
use crate::oci::RunImage;
use crate::sandbox::{
    OciProcess, SandboxError, bind, find_tool, host_mounts, host_rootfs, oci_config, system_mounts,
};
use crate::state::{StateDir, StateError};

/// Where the image's layers appear in a container, as in an image the lifecycle exports.
pub const LAYERS_DIR: &str = "/layers";
/// Where the app appears in a container.
pub const APP_DIR: &str = "/workspace";
/// The entrypoint names that mean "the launcher" (libcnb-test's `CNB_LAUNCHER_BINARY`).
const LAUNCHER_NAMES: [&str; 2] = ["launcher", "/cnb/lifecycle/launcher"];
/// Where the bundle's `launch/` dir (exec.d's fd 3 files, the final env) appears.
const LAUNCH_DIR: &str = "/cnb/launch";
/// How long [`Container::stop`] waits after `SIGTERM` before `SIGKILL`, as `docker stop`.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// A bind mount into a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The host path.
    pub source: PathBuf,
    /// The path inside the container.
    pub target: PathBuf,
    /// Whether the container may not write to it.
    pub read_only: bool,
}

impl Mount {
    /// A bind mount of `source` at `target`.
    pub fn new(source: impl Into<PathBuf>, target: impl Into<PathBuf>, read_only: bool) -> Self {
        Self {
            source: source.into(),
            target: target.into(),
            read_only,
        }
    }
}

/// What to start in a container.
///
/// # Examples
///
/// ```
/// use libcnb_lite_test::container::ContainerOptions;
///
/// let options = ContainerOptions::new()
///     .process("web")
///     .env("PORT", "8080")
///     .publish(8080);
/// assert_eq!(options.publish, [8080]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ContainerOptions {
    /// The process type; `None` is the default process.
    pub process: Option<String>,
    /// Overrides the process: `launcher` (or `/cnb/lifecycle/launcher`) runs
    /// [`command`](Self::command) through the launcher, a process type name (or
    /// `/cnb/process/<type>`) runs that process, anything else is run directly without the
    /// launcher's env.
    pub entrypoint: Option<String>,
    /// Arguments for the process (they replace its default `args`), or the command for the
    /// `launcher` entrypoint.
    pub command: Option<Vec<String>>,
    /// Extra env, applied before the launch layers' env (as `docker run --env` is).
    pub env: BTreeMap<String, String>,
    /// Bind mounts.
    pub mounts: Vec<Mount>,
    /// Container ports to publish on `127.0.0.1:<free port>`.
    pub publish: Vec<u16>,
    /// The run image for the root file system; `None` is the one the state dir's image was
    /// last written on (`oci::write_image`, `cnb-local build --image --run-image`), else the
    /// host's OS tree, read-only.
    pub run_image: Option<RunImage>,
}

impl ContainerOptions {
    /// The default process, nothing published.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs process type `process`.
    #[must_use]
    pub fn process(mut self, process: impl Into<String>) -> Self {
        self.process = Some(process.into());
        self
    }

    /// Sets the entrypoint (see [`ContainerOptions::entrypoint`](Self#structfield.entrypoint)).
    #[must_use]
    pub fn entrypoint(mut self, entrypoint: impl Into<String>) -> Self {
        self.entrypoint = Some(entrypoint.into());
        self
    }

    /// Sets the arguments or command.
    #[must_use]
    pub fn command<I: IntoIterator<Item = S>, S: Into<String>>(mut self, command: I) -> Self {
        self.command = Some(command.into_iter().map(Into::into).collect());
        self
    }

    /// Adds an env var.
    #[must_use]
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(name.into(), value.into());
        self
    }

    /// Adds a bind mount.
    #[must_use]
    pub fn mount(mut self, mount: Mount) -> Self {
        self.mounts.push(mount);
        self
    }

    /// Publishes container port `port` on a free port of the host's `127.0.0.1`.
    #[must_use]
    pub fn publish(mut self, port: u16) -> Self {
        self.publish.push(port);
        self
    }

    /// Uses `run_image` as the root file system.
    #[must_use]
    pub fn run_image(mut self, run_image: RunImage) -> Self {
        self.run_image = Some(run_image);
        self
    }
}

/// A container's output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logs {
    /// Its stdout (exec.d programs' first).
    pub stdout: String,
    /// Its stderr (exec.d programs' first).
    pub stderr: String,
}

/// The result of a command run to completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
    /// Its exit code; `128 + signal` when a signal ended it.
    pub exit_code: i32,
}

/// A container could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    /// `runc` is not installed.
    #[error(
        "runc not found on PATH; containers need it: install the Debian package runc (apt-get install runc)"
    )]
    NoRunc,
    /// `umoci` (for unpacking a run image) is not installed.
    #[error(
        "umoci not found on PATH; a run image is unpacked with it: install the Debian package umoci (apt-get install umoci)"
    )]
    NoUmoci,
    /// Not running as root.
    #[error("containers need root (runc here runs rootful containers); run as root")]
    NotRoot,
    /// The state dir cannot be used.
    #[error(transparent)]
    State(#[from] StateError),
    /// The image or process cannot be launched.
    #[error(transparent)]
    Launch(#[from] LaunchError),
    /// The same container port is published twice.
    #[error("container port {port} is published twice; publish each port once")]
    PortTwice {
        /// The port.
        port: u16,
    },
    /// A mount source does not exist.
    #[error("mount source {path} does not exist")]
    MountSource {
        /// The host path.
        path: PathBuf,
    },
    /// The container stopped before its process was running.
    #[error("container {name} exited at once ({status}); its stderr: {stderr}")]
    ExitedAtOnce {
        /// The container.
        name: String,
        /// How runc exited.
        status: String,
        /// What runc and the container wrote to stderr.
        stderr: String,
    },
    /// The container's process has exited: nothing can be run in it.
    #[error("container {name} is not running (its process has exited)")]
    NotRunning {
        /// The container.
        name: String,
    },
    /// A tool (`runc`, `umoci`) failed.
    #[error("{command} failed ({status}): {stderr}")]
    Tool {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// Its stderr.
        stderr: String,
    },
    /// The root file system could not be prepared.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// A file could not be read or written, or a tool could not be started.
    #[error("cannot access {path}")]
    Io {
        /// The path (or tool).
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ContainerError + '_ {
    move |source| ContainerError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Output collected from a pipe by a reader thread.
type Buffer = Arc<Mutex<Vec<u8>>>;

/// A running (or exited) container. Dropping it kills the container and removes
/// everything it left: `runc` state, bundle, forwarders.
#[derive(Debug)]
pub struct Container {
    name: String,
    runc: PathBuf,
    runc_root: PathBuf,
    /// `runc run`, which exits with the container's process.
    child: Mutex<Option<Child>>,
    exit_code: Mutex<Option<i32>>,
    stdout: Buffer,
    stderr: Buffer,
    readers: Vec<JoinHandle<()>>,
    ports: BTreeMap<u16, SocketAddr>,
    forwarders: Vec<Forwarder>,
    /// Removes the container and bundle when its stdin closes (drop, or our death).
    watchdog: Option<(Child, ChildStdin)>,
    shell: &'static str,
    run_image: Option<RunImage>,
    /// Held for the container's life: a bundle whose lock is free is stale.
    _lock: File,
}

/// Starts [`Container`] names apart within one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Container {
    /// Starts a container from the image committed in a cnb-local state dir (the result of
    /// a build).
    ///
    /// # Errors
    ///
    /// Fails when runc (or umoci for a run image) is missing, not running as root, there
    /// is no image or no such process, a mount source is missing, a port is published
    /// twice, an exec.d program fails, or the container exits before it runs.
    pub fn start(state_dir: &Path, options: &ContainerOptions) -> Result<Self, ContainerError> {
        let runc = find_tool("runc").ok_or(ContainerError::NoRunc)?;
        if !rustix::process::geteuid().is_root() {
            return Err(ContainerError::NotRoot);
        }
        let state = StateDir::open(state_dir)?;
        let image = launch::image_of(&state)?;
        let containers = state.path().join("containers");
        let runc_root = containers.join("runc");
        fs::create_dir_all(&runc_root).map_err(io_error(&runc_root))?;
        remove_stale(&containers, &runc, &runc_root);

        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "cnb-{}-{}-{nanos:x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        // Locked before it gets its name, so no other start takes it for stale.
        let setup = containers.join(format!(".{name}"));
        fs::create_dir(&setup).map_err(io_error(&setup))?;
        let lock_path = setup.join("lock");
        let lock = File::create(&lock_path).map_err(io_error(&lock_path))?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive)
            .map_err(|errno| io_error(&lock_path)(errno.into()))?;
        let dir = containers.join(&name);
        fs::rename(&setup, &dir).map_err(io_error(&dir))?;
        let watchdog = spawn_watchdog(&runc, &runc_root, &name, &dir)?;
        let mut container = Self {
            name,
            runc,
            runc_root,
            child: Mutex::new(None),
            exit_code: Mutex::new(None),
            stdout: Buffer::default(),
            stderr: Buffer::default(),
            readers: Vec::new(),
            ports: BTreeMap::new(),
            forwarders: Vec::new(),
            watchdog: Some(watchdog),
            shell: "sh",
            run_image: None,
            _lock: lock,
        };
        container.launch(&state, &image, &dir, options)?;
        Ok(container)
    }

    /// Everything after the bundle dir exists; on error, drop cleans up.
    fn launch(
        &mut self,
        state: &StateDir,
        image: &crate::state::ImageMetadata,
        dir: &Path,
        options: &ContainerOptions,
    ) -> Result<(), ContainerError> {
        let run_image = options
            .run_image
            .clone()
            .or_else(|| recorded_run_image(state));
        let (rootfs, base_env, rootfs_read_only) = if let Some(run_image) = &run_image {
            let (rootfs, env) = unpack_run_image(run_image, &dir.join("image"))?;
            (rootfs, env, false)
        } else {
            let rootfs = dir.join("rootfs");
            host_rootfs(&rootfs)?;
            (rootfs, Env::from_current_process(), true)
        };
        if ["bin/bash", "usr/bin/bash"]
            .iter()
            .any(|bash| rootfs.join(bash).exists())
        {
            self.shell = "bash";
        }
        let layers = dir.join("layers");
        let workspace = dir.join("workspace");
        let launch_dir = dir.join("launch");
        fs::create_dir_all(&launch_dir).map_err(io_error(&launch_dir))?;
        launch::extract_image(state, image, &layers, &workspace)?;

        let plan = plan_process(image, options, base_env, &layers, self.shell)?;
        self.run_image = run_image;
        let mounts = mounts(state, dir, options, self.run_image.is_some())?;
        let exec_d = !plan.exec_d.is_empty();
        let mut args = plan.args.clone();
        if exec_d {
            // Waits (on stdin) until the exec.d programs have run, then takes their env.
            let script = format!("read _ignored; . {LAUNCH_DIR}/env.sh; exec \"$@\" </dev/null");
            args.splice(
                0..0,
                ["/bin/sh".into(), "-c".into(), script, "launcher".into()],
            );
        }
        let config = oci_config(
            &self.name,
            &rootfs,
            rootfs_read_only,
            &OciProcess {
                args: &args,
                env: &plan.env,
                cwd: &plan.cwd,
                user: (0, 0),
                own_network: true,
                host_user: None,
            },
            &mounts,
        );
        let config_path = dir.join("config.json");
        fs::write(&config_path, config.to_string()).map_err(io_error(&config_path))?;

        let mut listeners = Vec::new();
        for &port in &options.publish {
            if listeners.iter().any(|(p, _)| *p == port) {
                return Err(ContainerError::PortTwice { port });
            }
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .map_err(io_error(Path::new("127.0.0.1:0")))?;
            listeners.push((port, listener));
        }

        let pid_file = dir.join("pid");
        let release = self.spawn_runc(dir, &pid_file, exec_d)?;
        let pid = self.wait_for_pid(&pid_file)?;
        if !listeners.is_empty() {
            let ns_path = PathBuf::from(format!("/proc/{pid}/ns/net"));
            let netns = File::open(&ns_path).map_err(|_| self.exited_at_once())?;
            let netns = Arc::new(netns);
            for (port, listener) in listeners {
                let forwarder = Forwarder::spawn(listener, Arc::clone(&netns), port)
                    .map_err(io_error(Path::new("127.0.0.1")))?;
                self.ports.insert(port, forwarder.address);
                self.forwarders.push(forwarder);
            }
        }
        match release {
            Some(release) => self.run_all_exec_d(plan, &launch_dir, release),
            None => Ok(()),
        }
    }

    /// Runs the exec.d programs, then lets the waiting init exec the process with their env.
    fn run_all_exec_d(
        &self,
        plan: Plan,
        launch_dir: &Path,
        mut release: ChildStdin,
    ) -> Result<(), ContainerError> {
        let mut env = plan.launch_env;
        for program in &plan.exec_d {
            self.run_exec_d(program, launch_dir, &mut env)?;
        }
        let env_sh = launch_dir.join("env.sh");
        crate::fs::write_atomically(&env_sh, shell_exports(&env).as_bytes())
            .map_err(io_error(&env_sh))?;
        // The init may already be gone (then `wait` tells); a broken pipe is no error here.
        let _ = release.write_all(b"go\n");
        Ok(())
    }

    /// Starts `runc run` on the bundle `dir`, with reader threads on its output; with
    /// `exec_d`, returns the pipe that releases the waiting init.
    fn spawn_runc(
        &mut self,
        dir: &Path,
        pid_file: &Path,
        exec_d: bool,
    ) -> Result<Option<ChildStdin>, ContainerError> {
        let mut child = Command::new(&self.runc)
            .arg("--root")
            .arg(&self.runc_root)
            .arg("run")
            .arg("--bundle")
            .arg(dir)
            .arg("--pid-file")
            .arg(pid_file)
            .arg(&self.name)
            .stdin(if exec_d {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(io_error(&self.runc))?;
        let release = child.stdin.take();
        if let Some(out) = child.stdout.take() {
            self.readers
                .push(spawn_reader(out, Arc::clone(&self.stdout)));
        }
        if let Some(err) = child.stderr.take() {
            self.readers
                .push(spawn_reader(err, Arc::clone(&self.stderr)));
        }
        *self.child.get_mut().unwrap_or_else(PoisonError::into_inner) = Some(child);

        Ok(release)
    }

    /// Waits until `runc run` has written the container's pid, or has exited without.
    fn wait_for_pid(&self, pid_file: &Path) -> Result<u32, ContainerError> {
        loop {
            if let Some(pid) = fs::read_to_string(pid_file)
                .ok()
                .and_then(|text| text.trim().parse().ok())
            {
                return Ok(pid);
            }
            let exited = {
                let mut child = self.child.lock().unwrap_or_else(PoisonError::into_inner);
                child
                    .as_mut()
                    .and_then(|child| child.try_wait().ok().flatten())
            };
            if let Some(status) = exited {
                if let Some(pid) = fs::read_to_string(pid_file)
                    .ok()
                    .and_then(|text| text.trim().parse().ok())
                {
                    *self
                        .exit_code
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = Some(exit_code(status));
                    return Ok(pid);
                }
                *self
                    .exit_code
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(exit_code(status));
                return Err(self.exited_at_once());
            }
            thread::sleep(Duration::from_millis(2));
        }
    }

    fn exited_at_once(&self) -> ContainerError {
        let status = self
            .wait()
            .map_or_else(|e| e.to_string(), |c| format!("exit code {c}"));
        ContainerError::ExitedAtOnce {
            name: self.name.clone(),
            status,
            stderr: self.logs_now().stderr.trim_end().to_owned(),
        }
    }

    /// Runs one exec.d program in the container with fd 3 on a file of the bundle, adds
    /// its output to the logs and applies what it wrote to `env`.
    fn run_exec_d(
        &self,
        program: &str,
        launch_dir: &Path,
        env: &mut Env,
    ) -> Result<(), ContainerError> {
        let fd3 = launch_dir.join("fd3");
        File::create(&fd3).map_err(io_error(&fd3))?;
        let mut command = self.runc_command("exec");
        command.args(["--cwd", APP_DIR]);
        for (name, value) in env.iter() {
            let mut pair = name.to_os_string();
            pair.push("=");
            pair.push(value);
            command.arg("--env").arg(pair);
        }
        command
            .arg(&self.name)
            .args(["/bin/sh", "-c", "exec \"$0\" 3>\"$1\"", program])
            .arg(format!("{LAUNCH_DIR}/fd3"));
        let output = command.output().map_err(io_error(&self.runc))?;
        lock(&self.stdout).extend_from_slice(&output.stdout);
        lock(&self.stderr).extend_from_slice(&output.stderr);
        if !output.status.success() {
            return Err(LaunchError::ExecD {
                path: program.into(),
                problem: format!(
                    "exit status {}: {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim_end()
                ),
            }
            .into());
        }
        let text = fs::read_to_string(&fd3).map_err(io_error(&fd3))?;
        launch::apply_exec_d_output(Path::new(program), &text, env)?;
        Ok(())
    }

    fn runc_command(&self, subcommand: &str) -> Command {
        let mut command = Command::new(&self.runc);
        command
            .arg("--root")
            .arg(&self.runc_root)
            .arg(subcommand)
            .stdin(Stdio::null());
        command
    }

    /// The container's name (its `runc` ID).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The output so far.
    #[must_use]
    pub fn logs_now(&self) -> Logs {
        Logs {
            stdout: String::from_utf8_lossy(&lock(&self.stdout)).into_owned(),
            stderr: String::from_utf8_lossy(&lock(&self.stderr)).into_owned(),
        }
    }

    /// Waits for the container to exit, then returns all its output.
    ///
    /// # Errors
    ///
    /// Fails when `runc` cannot be waited for.
    pub fn logs_wait(&self) -> Result<Logs, ContainerError> {
        self.wait()?;
        // The process is gone; the pipes close once every process in the container is.
        self.wait_for_readers();
        Ok(self.logs_now())
    }

    fn wait_for_readers(&self) {
        while self.readers.iter().any(|reader| !reader.is_finished()) {
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// Copies the container's output to `stdout` and `stderr` as it arrives, until the
    /// container has exited and its output ended; returns its exit code. For a tool that
    /// shows a container in the foreground (`cnb-local run`).
    ///
    /// # Errors
    ///
    /// Fails when `runc` cannot be waited for.
    pub fn follow(
        &self,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> Result<i32, ContainerError> {
        let (mut out_done, mut err_done) = (0, 0);
        loop {
            let finished = self.exited() && self.readers.iter().all(JoinHandle::is_finished);
            out_done = copy_new(&self.stdout, out_done, stdout);
            err_done = copy_new(&self.stderr, err_done, stderr);
            if finished {
                return self.wait();
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// The run image of its root file system; `None`: the host's OS tree, read-only.
    #[must_use]
    pub fn run_image(&self) -> Option<&RunImage> {
        self.run_image.as_ref()
    }

    /// The host address at which container port `port` is published, if it is.
    #[must_use]
    pub fn address_for_port(&self, port: u16) -> Option<SocketAddr> {
        self.ports.get(&port).copied()
    }

    /// Runs `command` with `bash -c` (`sh -c` where the root file system has no bash) in
    /// the running container, with the container's env, in `/workspace`.
    ///
    /// # Errors
    ///
    /// Fails when the container is not running or `runc exec` fails or cannot be started.
    pub fn exec_shell(&self, command: &str) -> Result<ExecOutput, ContainerError> {
        if self.exited() {
            return Err(ContainerError::NotRunning {
                name: self.name.clone(),
            });
        }
        let output = self
            .runc_command("exec")
            .arg(&self.name)
            .args([self.shell, "-c", command])
            .output()
            .map_err(io_error(&self.runc))?;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if !output.status.success() && stderr.contains("level=error msg=") {
            // runc's own failure (e.g. the container stopped meanwhile), not the command's.
            return Err(ContainerError::Tool {
                command: format!("runc exec {} {} -c {command:?}", self.name, self.shell),
                status: output.status.to_string(),
                stderr,
            });
        }
        Ok(ExecOutput {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr,
            exit_code: exit_code(output.status),
        })
    }

    /// Waits for the container's process to exit and returns its exit code (`128 + signal`
    /// when a signal ended it).
    ///
    /// # Errors
    ///
    /// Fails when `runc` cannot be waited for.
    pub fn wait(&self) -> Result<i32, ContainerError> {
        let mut code = self
            .exit_code
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(code) = *code {
            return Ok(code);
        }
        let mut child = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(child) = child.as_mut() else {
            return Ok(*code.get_or_insert(-1));
        };
        let status = child.wait().map_err(io_error(&self.runc))?;
        Ok(*code.get_or_insert(exit_code(status)))
    }

    /// Whether the container's process has exited.
    fn exited(&self) -> bool {
        if self
            .exit_code
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
        {
            return true;
        }
        let mut child = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        match child.as_mut().map(Child::try_wait) {
            Some(Ok(Some(status))) => {
                *self
                    .exit_code
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(exit_code(status));
                true
            }
            Some(Ok(None)) => false,
            None | Some(Err(_)) => true,
        }
    }

    /// Stops the container: `SIGTERM`, then `SIGKILL` after 10 s, and removes it.
    ///
    /// # Errors
    ///
    /// Fails when `runc` cannot be started.
    pub fn stop(self) -> Result<(), ContainerError> {
        if !self.exited() {
            let _ = self
                .runc_command("kill")
                .arg(&self.name)
                .arg("TERM")
                .stderr(Stdio::null())
                .status()
                .map_err(io_error(&self.runc))?;
            let started = Instant::now();
            while !self.exited() && started.elapsed() < STOP_GRACE {
                thread::sleep(Duration::from_millis(5));
            }
        }
        drop(self);
        Ok(())
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        for forwarder in &mut self.forwarders {
            forwarder.stop();
        }
        let mut kill = self.runc_command("kill");
        kill.args([&self.name, "KILL"]).stderr(Stdio::null());
        if let Some(child) = self.child.get_mut().unwrap_or_else(PoisonError::into_inner) {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = kill.status();
            }
            let _ = child.wait();
        }
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        if let Some((mut watchdog, stdin)) = self.watchdog.take() {
            drop(stdin);
            let _ = watchdog.wait();
        }
    }
}

/// Runs one command to completion in a fresh container (libcnb-test's
/// `run_shell_command`) and returns its output.
///
/// # Errors
///
/// As [`Container::start`], and when waiting fails.
pub fn run_to_completion(
    state_dir: &Path,
    options: &ContainerOptions,
) -> Result<ExecOutput, ContainerError> {
    let container = Container::start(state_dir, options)?;
    let logs = container.logs_wait()?;
    let exit_code = container.wait()?;
    Ok(ExecOutput {
        stdout: logs.stdout,
        stderr: logs.stderr,
        exit_code,
    })
}

/// Unpacks `run_image` with `umoci unpack` into the bundle `bundle`; returns its rootfs
/// and the image's env.
fn unpack_run_image(run_image: &RunImage, bundle: &Path) -> Result<(PathBuf, Env), ContainerError> {
    let umoci = find_tool("umoci").ok_or(ContainerError::NoUmoci)?;
    let reference = match run_image.reference() {
        Some(reference) => reference.to_owned(),
        None => only_ref(run_image.dir())?,
    };
    let image_arg = format!("{}:{reference}", run_image.dir().display());
    let output = Command::new(&umoci)
        .args(["unpack", "--image", &image_arg])
        .arg(bundle)
        .stdin(Stdio::null())
        .output()
        .map_err(io_error(&umoci))?;
    if !output.status.success() {
        return Err(ContainerError::Tool {
            command: format!("umoci unpack --image {image_arg} {}", bundle.display()),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let config_path = bundle.join("config.json");
    let config: serde_json::Value = fs::read(&config_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let lines: Vec<String> = config["process"]["env"]
        .as_array()
        .map(|env| {
            env.iter()
                .filter_map(|line| line.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok((bundle.join("rootfs"), env_from_lines(&lines)))
}

/// The ref name of the only manifest of the layout at `dir` (umoci needs one).
fn only_ref(dir: &Path) -> Result<String, ContainerError> {
    let index_path = dir.join("index.json");
    let bytes = fs::read(&index_path).map_err(io_error(&index_path))?;
    let index: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|error| ContainerError::Io {
            path: index_path.clone(),
            source: io::Error::new(io::ErrorKind::InvalidData, error),
        })?;
    index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ContainerError::Io {
            path: index_path,
            source: io::Error::new(
                io::ErrorKind::InvalidData,
                "its first manifest has no ref name; name one with oci:DIR:<ref>",
            ),
        })
}

/// Where a state dir records the run image of its last written image.
const RUN_IMAGE_RECORD: &str = "run-image.json";

/// Records `run_image` (`None`: none) as the state dir's run image, for later containers.
pub(crate) fn record_run_image(
    state: &StateDir,
    run_image: Option<&RunImage>,
) -> Result<(), StateError> {
    let path = state.path().join(RUN_IMAGE_RECORD);
    let state_error = |source| StateError::Io {
        path: path.clone(),
        source,
    };
    match run_image {
        Some(run_image) => {
            let dir = std::path::absolute(run_image.dir()).map_err(state_error)?;
            let record = serde_json::json!({"dir": dir, "reference": run_image.reference()});
            crate::fs::write_atomically(&path, record.to_string().as_bytes()).map_err(state_error)
        }
        None => match fs::remove_file(&path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(state_error(error)),
            _ => Ok(()),
        },
    }
}

/// The run image recorded by [`record_run_image`], if any.
fn recorded_run_image(state: &StateDir) -> Option<RunImage> {
    let bytes = fs::read(state.path().join(RUN_IMAGE_RECORD)).ok()?;
    let record: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some(RunImage::new(
        record["dir"].as_str()?,
        record["reference"].as_str().map(str::to_owned),
    ))
}

/// The container's mounts: the host's OS tree (read-only, without a run image), the
/// kernel's file systems, the image's layers and app, the launch dir, the user's.
fn mounts(
    state: &StateDir,
    dir: &Path,
    options: &ContainerOptions,
    on_run_image: bool,
) -> Result<Vec<serde_json::Value>, ContainerError> {
    let (layers, workspace, launch_dir) = (
        dir.join("layers"),
        dir.join("workspace"),
        dir.join("launch"),
    );
    let mut mounts = host_mounts(!on_run_image);
    mounts.extend(system_mounts(false));
    let build_dirs = crate::lifecycle::BuildDirs::of(state);
    for (source, target) in [
        (&layers, PathBuf::from(LAYERS_DIR)),
        (&workspace, PathBuf::from(APP_DIR)),
        (&launch_dir, PathBuf::from(LAUNCH_DIR)),
    ] {
        mounts.push(bind(source, &target, false));
    }
    // Builds outside the sandbox wrote these paths into their layers. Under a read-only
    // host dir, only a mount point that exists can be used.
    for (source, target) in [
        (&layers, &build_dirs.layers),
        (&workspace, &build_dirs.workspace),
    ] {
        if on_run_image || target.starts_with("/tmp") || target.is_dir() {
            mounts.push(bind(source, target, false));
        }
    }
    for mount in &options.mounts {
        let source = mount
            .source
            .canonicalize()
            .map_err(|_| ContainerError::MountSource {
                path: mount.source.clone(),
            })?;
        mounts.push(bind(&source, &mount.target, mount.read_only));
    }

    Ok(mounts)
}

/// Starts the process that removes the container and its bundle when its stdin closes:
/// when the handle drops, or when this process dies, even by `SIGKILL`.
fn spawn_watchdog(
    runc: &Path,
    runc_root: &Path,
    name: &str,
    dir: &Path,
) -> Result<(Child, ChildStdin), ContainerError> {
    // Ignores the terminal's signals: a Ctrl-C must not kill the cleanup with the tool.
    const SCRIPT: &str = "trap '' INT TERM HUP; read _ignored; \
        \"$0\" --root \"$1\" kill \"$2\" KILL; \"$0\" --root \"$1\" delete --force \"$2\"; \
        rm -rf \"$3\"";
    let mut child = Command::new("/bin/sh")
        .args(["-c", SCRIPT])
        .arg(runc)
        .arg(runc_root)
        .arg(name)
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(io_error(Path::new("/bin/sh")))?;
    let stdin = child.stdin.take().ok_or_else(|| ContainerError::Io {
        path: "/bin/sh".into(),
        source: io::Error::other("no stdin pipe"),
    })?;
    Ok((child, stdin))
}

/// Removes bundles (and their runc containers) whose owner is gone: their lock is free.
fn remove_stale(containers: &Path, runc: &Path, runc_root: &Path) {
    let Ok(entries) = fs::read_dir(containers) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if entry.file_name().as_bytes().starts_with(b".") {
            continue;
        }
        let Ok(lock) = File::open(path.join("lock")) else {
            continue;
        };
        if rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
            continue;
        }
        let name = entry.file_name();
        for args in [&["kill"][..], &["delete", "--force"][..]] {
            let _ = Command::new(runc)
                .arg("--root")
                .arg(runc_root)
                .args(args)
                .arg(&name)
                .args(if args[0] == "kill" {
                    &["KILL"][..]
                } else {
                    &[][..]
                })
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = crate::fs::remove_dir_forcibly(&path);
    }
}

fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(-1)
}

fn lock(buffer: &Buffer) -> std::sync::MutexGuard<'_, Vec<u8>> {
    buffer.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes what `buffer` gained after `done` bytes to `sink`; returns its length.
fn copy_new(buffer: &Buffer, done: usize, sink: &mut dyn Write) -> usize {
    let bytes = lock(buffer);
    if bytes.len() > done {
        // Showing output is best effort: a closed pipe must not stop the wait.
        let _ = sink.write_all(&bytes[done..]).and_then(|()| sink.flush());
    }
    bytes.len()
}

fn spawn_reader(mut pipe: impl Read + Send + 'static, buffer: Buffer) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut chunk = [0_u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => lock(&buffer).extend_from_slice(&chunk[..n]),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    })
}
