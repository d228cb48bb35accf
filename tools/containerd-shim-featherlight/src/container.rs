//! One container: its OCI bundle read into a sandbox ready to run (at create), then the
//! run on its own thread (at start), its exit status, and stopping it (kill).

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use containerd_shim::api::{CreateTaskRequest, Status};
use featherlight::http::{Proxy, ProxyConfig};
use featherlight::{
    Component, Config, Engine, Error, FsPerms, InterruptHandle, Linker, OutputSink, Sandbox, SharedWriter, Snapshot,
    WasiConfig,
};
use oci_spec::runtime::Spec;
use tokio::sync::watch;

use crate::http::{self, Stop};
use crate::rootfs;

/// The exit status of a guest that trapped, as `wasmtime run` and `featherlight run` exit
/// (128 + SIGABRT).
const TRAP_STATUS: u32 = 134;

/// The annotation CRI gives a pod's sandbox (pause) container.
const CRI_CONTAINER_TYPE: &str = "io.kubernetes.cri.container-type";

/// Environment variable (of the shim, so of containerd) naming the compile cache every
/// container on the node shares; default [`DEFAULT_CACHE_DIR`].
pub const CACHE_DIR_ENV: &str = "FEATHERLIGHT_CACHE_DIR";
const DEFAULT_CACHE_DIR: &str = "/var/cache/featherlight";

/// What runs in a container.
enum Workload {
    /// A WASI command: the sandbox and the index of its `wasi:cli/run` export.
    Command { sandbox: Box<Sandbox>, run: usize },
    /// A `wasi:http/proxy` component, served on its socket until killed.
    Http { proxy: Proxy, listener: std::net::TcpListener, stop: watch::Receiver<Stop> },
    /// A pod's sandbox container: it holds the pod's place and runs nothing until killed.
    PodSandbox,
}

/// Where a container is in its life.
enum Phase {
    Created(Workload),
    Running,
    Stopped { status: u32, at: SystemTime },
}

/// One container, shared by the task service's requests and its run thread.
pub struct Container {
    pub id: String,
    pub bundle: String,
    pub stdin: String,
    pub stdout: String,
    pub stderr: String,
    state: Mutex<State>,
    changed: Condvar,
    stopper: Stopper,
}

/// How a kill reaches the guest.
enum Stopper {
    /// Nothing runs (a pod's sandbox container).
    Nothing,
    /// A command: its call is interrupted.
    Interrupt(InterruptHandle),
    /// A server: it stops accepting, and then finishes or drops its requests.
    Server(watch::Sender<Stop>),
}

struct State {
    phase: Phase,
    /// The signal a kill sent, which becomes the exit status (128 + signal).
    killed_by: Option<u32>,
}

impl Container {
    /// Reads the bundle and prepares the sandbox: loads (compiles or takes from the cache)
    /// the entrypoint component and boots its VM, so start only runs it.
    pub fn create(request: &CreateTaskRequest) -> anyhow::Result<Self> {
        let bundle = Path::new(&request.bundle);
        let spec = Spec::load(bundle.join("config.json")).context("cannot read the bundle's config.json")?;
        let pod_sandbox =
            spec.annotations().as_ref().and_then(|a| a.get(CRI_CONTAINER_TYPE)).is_some_and(|kind| kind == "sandbox");
        let (workload, stopper) =
            if pod_sandbox { (Workload::PodSandbox, Stopper::Nothing) } else { workload(&spec, bundle, request)? };
        Ok(Self {
            id: request.id.clone(),
            bundle: request.bundle.clone(),
            stdin: request.stdin.clone(),
            stdout: request.stdout.clone(),
            stderr: request.stderr.clone(),
            state: Mutex::new(State { phase: Phase::Created(workload), killed_by: None }),
            changed: Condvar::new(),
            stopper,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the run on its own thread; `on_exit` is called with the exit status when it
    /// ends.
    pub fn start(self: &Arc<Self>, on_exit: impl FnOnce(u32, SystemTime) + Send + 'static) -> anyhow::Result<()> {
        let workload = {
            let mut state = self.lock();
            match std::mem::replace(&mut state.phase, Phase::Running) {
                Phase::Created(workload) => workload,
                other => {
                    state.phase = other;
                    bail!("container {} was started already", self.id);
                }
            }
        };
        let container = self.clone();
        std::thread::Builder::new().name(format!("run {}", self.id)).spawn(move || {
            let status = container.run(workload);
            let at = SystemTime::now();
            {
                let mut state = container.lock();
                let status = state.killed_by.map_or(status, |signal| 128 + signal);
                state.phase = Phase::Stopped { status, at };
            }
            container.changed.notify_all();
            if let Some((status, at)) = container.exited() {
                on_exit(status, at);
            }
        })?;
        Ok(())
    }

    /// Runs the workload to its end; returns its exit status.
    fn run(&self, workload: Workload) -> u32 {
        match workload {
            Workload::Command { mut sandbox, run } => {
                if self.lock().killed_by.is_some() {
                    return 0;
                }
                match sandbox.run_wasi_command(run) {
                    // containerd keeps exit statuses as u32, as the kernel reports them.
                    Ok(status) => status.cast_unsigned(),
                    Err(Error::Interrupted) => 0,
                    Err(error @ Error::Trap { .. }) => {
                        log::warn!("container {}: {error}", self.id);
                        TRAP_STATUS
                    }
                    Err(error) => {
                        log::error!("container {}: the component failed: {error}", self.id);
                        TRAP_STATUS
                    }
                }
            }
            Workload::Http { proxy, listener, stop } => match http::serve(proxy, listener, stop) {
                Ok(()) => 0,
                Err(error) => {
                    log::error!("container {}: {error:#}", self.id);
                    1
                }
            },
            Workload::PodSandbox => {
                let state = self.lock();
                let _killed = self.changed.wait_while(state, |state| state.killed_by.is_none());
                0
            }
        }
    }

    /// Stops the container with `signal` (the exit status becomes 128 + signal): a running
    /// guest is interrupted at once; a container not yet started never runs.
    pub fn kill(self: &Arc<Self>, signal: u32) -> anyhow::Result<()> {
        let mut state = self.lock();
        match state.phase {
            Phase::Stopped { .. } => bail!("container {} is not running", self.id),
            Phase::Created(_) => {
                state.killed_by = Some(signal);
                state.phase = Phase::Stopped { status: 128 + signal, at: SystemTime::now() };
            }
            Phase::Running => {
                state.killed_by.get_or_insert(signal);
            }
        }
        drop(state);
        self.changed.notify_all();
        if let Stopper::Server(stop) = &self.stopper {
            // A SIGKILL after a SIGTERM hurries a graceful stop; nothing slows one down.
            stop.send_if_modified(|now| {
                let wanted = Stop::for_signal(signal);
                let hurry = *now == Stop::No || wanted == Stop::Now;
                if hurry {
                    *now = wanted;
                }
                hurry
            });
        }
        if let Stopper::Interrupt(interrupt) = &self.stopper {
            let interrupt = interrupt.clone();
            // A request between calls does nothing: the run thread may not have entered the
            // guest yet; ask again until it has stopped.
            let container = self.clone();
            std::thread::spawn(move || {
                while container.exited().is_none() {
                    interrupt.interrupt();
                    let state = container.lock();
                    let _ = container.changed.wait_timeout(state, Duration::from_millis(2));
                }
            });
        }
        Ok(())
    }

    /// The exit status and time, once stopped.
    pub fn exited(&self) -> Option<(u32, SystemTime)> {
        match self.lock().phase {
            Phase::Stopped { status, at } => Some((status, at)),
            _ => None,
        }
    }

    /// Waits until the container has stopped.
    pub fn wait(&self) -> (u32, SystemTime) {
        let state = self.lock();
        let state = self.changed.wait_while(state, |state| !matches!(state.phase, Phase::Stopped { .. }));
        match state.unwrap_or_else(PoisonError::into_inner).phase {
            Phase::Stopped { status, at } => (status, at),
            _ => unreachable!("waited until stopped"),
        }
    }

    /// containerd's view of the phase.
    pub fn status(&self) -> Status {
        match self.lock().phase {
            Phase::Created(_) => Status::CREATED,
            Phase::Running => Status::RUNNING,
            Phase::Stopped { .. } => Status::STOPPED,
        }
    }
}

/// What the container runs, chosen by the entrypoint component's world, and how to stop
/// it. Both kinds start from the component's warm snapshot in the node's cache.
fn workload(spec: &Spec, bundle: &Path, request: &CreateTaskRequest) -> anyhow::Result<(Workload, Stopper)> {
    let Prepared { component, linker, warm_key, env } = prepare(spec, bundle, request)?;
    let world = component.world();
    if let Some(run) = world.wasi_run_export() {
        let snapshot = Snapshot::load_or_make(&component, &linker, &warm_key)?;
        let sandbox = Sandbox::from_snapshot(&snapshot, &linker)?;
        let interrupt = sandbox.interrupt_handle();
        return Ok((Workload::Command { sandbox: Box::new(sandbox), run }, Stopper::Interrupt(interrupt)));
    }
    if world.exports_http_handler() {
        let listener = http::listen(spec, http::address(spec, &env)?)?;
        let snapshot = Snapshot::load_or_make(&component, &linker, &warm_key)?;
        let proxy = Proxy::from_snapshot(snapshot, &linker, ProxyConfig::default())?;
        let (stop, stopped) = watch::channel(Stop::No);
        return Ok((Workload::Http { proxy, listener, stop: stopped }, Stopper::Server(stop)));
    }
    bail!(
        "the entrypoint component exports neither `wasi:cli/run` (a WASI command) nor \
         `wasi:http/incoming-handler` (an HTTP proxy): the featherlight shim runs those two kinds"
    )
}

/// A container's component and linker, made ready from its bundle.
struct Prepared {
    component: Component,
    linker: Linker,
    /// What shapes the warm state besides the component ([`Snapshot::load_or_make`]).
    warm_key: Vec<u8>,
    /// The process's environment, as pairs.
    env: Vec<(String, String)>,
}

/// The engine (with the memory limit), the entrypoint component from the root filesystem,
/// WASI from the spec's process and mounts, stdio on the FIFOs.
fn prepare(spec: &Spec, bundle: &Path, request: &CreateTaskRequest) -> anyhow::Result<Prepared> {
    let process = spec.process().as_ref().context("the spec has no process to run")?;
    let args = process.args().clone().unwrap_or_default();
    let Some(entrypoint) = args.first() else {
        bail!("the spec's process has no arguments: the first must name the component, like /app.wasm");
    };
    let root = spec.root().as_ref().map_or_else(|| PathBuf::from("rootfs"), |root| root.path().clone());
    let layers = rootfs::layers(bundle, &root, &request.rootfs)?;
    let mut bytes = Vec::new();
    rootfs::open(&layers, entrypoint)?.read_to_end(&mut bytes).context("cannot read the component")?;

    let mut config = Config {
        cache_dir: Some(
            std::env::var_os(CACHE_DIR_ENV).map_or_else(|| PathBuf::from(DEFAULT_CACHE_DIR), PathBuf::from),
        ),
        ..Config::default()
    };
    let memory_limit = spec.linux().as_ref().and_then(|linux| linux.resources().as_ref()?.memory().as_ref()?.limit());
    if let Some(limit) = memory_limit.and_then(|limit| u64::try_from(limit).ok()).filter(|limit| *limit > 0) {
        config.memory.max_wasm_memory = Some(limit);
    }
    let engine = Engine::new(config).context("cannot create the featherlight engine")?;
    let component =
        Component::new(&engine, &bytes).with_context(|| format!("cannot load the component {entrypoint}"))?;

    let mut wasi = WasiConfig::new().args(args.iter().cloned());
    let env: Vec<(String, String)> = process
        .env()
        .iter()
        .flatten()
        .map(|var| var.split_once('=').unwrap_or((var, "")))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    for (name, value) in &env {
        wasi = wasi.env(name, value);
    }
    for mount in spec.mounts().iter().flatten() {
        // Only host directories bound in are granted; the kernel file systems a container
        // spec mounts (proc, sysfs, tmpfs, ...) mean nothing to a component.
        let is_bind = mount.typ().as_deref() == Some("bind")
            || mount.options().iter().flatten().any(|option| option == "bind" || option == "rbind");
        let Some(source) = mount.source().as_ref().filter(|_| is_bind) else { continue };
        if !source.is_dir() {
            continue;
        }
        let read_only = mount.options().iter().flatten().any(|option| option == "ro");
        let perms = if read_only { FsPerms::ReadOnly } else { FsPerms::ReadWrite };
        let guest = mount.destination().to_string_lossy();
        wasi = wasi
            .preopened_dir(source, &*guest, perms)
            .with_context(|| format!("cannot grant the mount {} at {guest}", source.display()))?;
    }
    if !request.stdin.is_empty() {
        wasi = wasi.stdin_reader(LazyFifo { path: request.stdin.clone(), file: None });
    }
    wasi = wasi.stdout(output(&request.stdout)?).stderr(output(&request.stderr)?);

    let warm_key = wasi.warm_state_key();
    let mut linker = Linker::new();
    linker.wasi(wasi);
    Ok(Prepared { component, linker, warm_key, env })
}

/// Where the guest's stdout or stderr goes: the task's FIFO (opened read-write, so opening
/// never waits for a reader), or nowhere.
fn output(path: &str) -> anyhow::Result<OutputSink> {
    if path.is_empty() {
        return Ok(OutputSink::Discard);
    }
    let file = OpenOptions::new().read(true).write(true).open(path).with_context(|| format!("cannot open {path}"))?;
    Ok(OutputSink::Writer(SharedWriter::new(file)))
}

/// The stdin FIFO, opened when the guest first reads: opening a FIFO to read waits for its
/// writer.
struct LazyFifo {
    path: String,
    file: Option<File>,
}

impl Read for LazyFifo {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.file.is_none() {
            self.file = Some(File::open(&self.path)?);
        }
        self.file.as_mut().map_or(Ok(0), |file| file.read(buf))
    }
}
