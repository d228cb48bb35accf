//! The services containerd calls: the shim's life (start, delete, wait) and the task API
//! (create, start, wait, kill, delete, state, pids, connect, shutdown).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use containerd_shim::api::{
    ConnectRequest, ConnectResponse, CreateTaskRequest, CreateTaskResponse, DeleteRequest, Empty, KillRequest,
    PidsRequest, PidsResponse, ShutdownRequest, StartRequest, StartResponse, StateRequest, StateResponse, WaitRequest,
    WaitResponse,
};
use containerd_shim::protos::api::ProcessInfo;
use containerd_shim::protos::events::task::{TaskCreate, TaskDelete, TaskExit, TaskStart};
use containerd_shim::protos::protobuf::well_known_types::timestamp::Timestamp;
use containerd_shim::protos::protobuf::{MessageDyn, MessageField};
use containerd_shim::protos::ttrpc::{self, Code};
use containerd_shim::publisher::RemotePublisher;
use containerd_shim::{Config, Context, DeleteResponse, ExitSignal, Flags, StartOpts, TtrpcContext, TtrpcResult};

use crate::container::Container;

/// The shim and its task service: one per shim process, shared by every request.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    namespace: String,
    exit: ExitSignal,
    publisher: Mutex<Option<RemotePublisher>>,
    containers: Mutex<HashMap<String, Arc<Container>>>,
}

impl Service {
    fn containers(&self) -> MutexGuard<'_, HashMap<String, Arc<Container>>> {
        self.inner.containers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn container(&self, id: &str) -> TtrpcResult<Arc<Container>> {
        self.containers().get(id).cloned().ok_or_else(|| status(Code::NOT_FOUND, format!("no container {id}")))
    }

    /// Tells containerd about a task event (CRI learns of exits this way); failures are
    /// logged, not fatal.
    fn publish(&self, topic: &str, event: Box<dyn MessageDyn>) {
        publish(&self.inner, topic, event);
    }
}

fn publish(inner: &Inner, topic: &str, event: Box<dyn MessageDyn>) {
    let publisher = inner.publisher.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(publisher) = publisher.as_ref()
        && let Err(e) = publisher.publish(Context::default(), topic, &inner.namespace, event)
    {
        log::warn!("cannot publish {topic}: {e}");
    }
}

/// A ttrpc error with a gRPC code containerd maps to its own errors.
fn status(code: Code, message: impl Into<String>) -> ttrpc::Error {
    ttrpc::Error::RpcStatus(ttrpc::get_status(code, message.into()))
}

fn timestamp(at: SystemTime) -> Timestamp {
    let since_epoch = at.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let mut timestamp = Timestamp::new();
    timestamp.seconds = i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX);
    timestamp.nanos = i32::try_from(since_epoch.subsec_nanos()).unwrap_or(0);
    timestamp
}

/// The process id containerd shows for every task: the guest runs inside this process.
fn pid() -> u32 {
    std::process::id()
}

impl containerd_shim::Shim for Service {
    type T = Service;

    fn new(_runtime_id: &str, args: &Flags, _config: &mut Config) -> Self {
        Service {
            inner: Arc::new(Inner {
                namespace: args.namespace.clone(),
                exit: ExitSignal::default(),
                publisher: Mutex::new(None),
                containers: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// One shim process per container: its own socket, named after the container.
    fn start_shim(&mut self, opts: StartOpts) -> containerd_shim::Result<String> {
        let grouping = opts.id.clone();
        let (_pid, address) = containerd_shim::spawn(opts, &grouping, Vec::new())?;
        containerd_shim::synchronous::util::write_address(&address)?;
        Ok(address)
    }

    /// Called after the shim process is gone: it held the VMs and every file it opened, so
    /// nothing is left to clean up.
    fn delete_shim(&mut self) -> containerd_shim::Result<DeleteResponse> {
        let mut response = DeleteResponse::new();
        // What containerd reports for a task whose shim died: killed.
        response.exit_status = 128 + libc::SIGKILL as u32;
        response.exited_at = MessageField::some(timestamp(SystemTime::now()));
        Ok(response)
    }

    fn wait(&mut self) {
        self.inner.exit.wait();
    }

    fn create_task_service(&self, publisher: RemotePublisher) -> Self::T {
        *self.inner.publisher.lock().unwrap_or_else(PoisonError::into_inner) = Some(publisher);
        self.clone()
    }
}

impl containerd_shim::Task for Service {
    fn create(&self, _ctx: &TtrpcContext, request: CreateTaskRequest) -> TtrpcResult<CreateTaskResponse> {
        if request.terminal {
            return Err(status(Code::INVALID_ARGUMENT, "the featherlight runtime has no terminals; run without -t"));
        }
        if !request.checkpoint.is_empty() {
            return Err(status(Code::UNIMPLEMENTED, "the featherlight runtime cannot restore checkpoints"));
        }
        if self.containers().contains_key(&request.id) {
            return Err(status(Code::ALREADY_EXISTS, format!("container {} exists", request.id)));
        }
        let container = Container::create(&request).map_err(|e| {
            log::error!("cannot create container {}: {e:#}", request.id);
            status(Code::FAILED_PRECONDITION, format!("{e:#}"))
        })?;
        self.containers().insert(request.id.clone(), Arc::new(container));
        let mut event = TaskCreate::new();
        event.container_id = request.id.clone();
        event.bundle = request.bundle.clone();
        event.rootfs = request.rootfs.clone();
        event.pid = pid();
        self.publish("/tasks/create", Box::new(event));
        Ok(CreateTaskResponse { pid: pid(), ..Default::default() })
    }

    fn start(&self, _ctx: &TtrpcContext, request: StartRequest) -> TtrpcResult<StartResponse> {
        if !request.exec_id.is_empty() {
            return Err(status(Code::UNIMPLEMENTED, "the featherlight runtime does not exec into containers"));
        }
        let container = self.container(&request.id)?;
        let inner = self.inner.clone();
        let id = request.id.clone();
        container
            .start(move |status, at| {
                let mut event = TaskExit::new();
                event.container_id = id.clone();
                event.id = id;
                event.pid = pid();
                event.exit_status = status;
                event.exited_at = MessageField::some(timestamp(at));
                publish(&inner, "/tasks/exit", Box::new(event));
            })
            .map_err(|e| status(Code::FAILED_PRECONDITION, format!("{e:#}")))?;
        let mut event = TaskStart::new();
        event.container_id = request.id;
        event.pid = pid();
        self.publish("/tasks/start", Box::new(event));
        Ok(StartResponse { pid: pid(), ..Default::default() })
    }

    fn wait(&self, _ctx: &TtrpcContext, request: WaitRequest) -> TtrpcResult<WaitResponse> {
        let container = self.container(&request.id)?;
        let (exit_status, at) = container.wait();
        Ok(WaitResponse { exit_status, exited_at: MessageField::some(timestamp(at)), ..Default::default() })
    }

    fn kill(&self, _ctx: &TtrpcContext, request: KillRequest) -> TtrpcResult<Empty> {
        let container = self.container(&request.id)?;
        container.kill(request.signal).map_err(|e| status(Code::NOT_FOUND, format!("{e:#}")))?;
        Ok(Empty::new())
    }

    fn delete(&self, _ctx: &TtrpcContext, request: DeleteRequest) -> TtrpcResult<DeleteResponse> {
        let container = self.container(&request.id)?;
        let Some((exit_status, at)) = container.exited() else {
            return Err(status(
                Code::FAILED_PRECONDITION,
                format!("container {} is running; kill it first", request.id),
            ));
        };
        // Dropping the container drops its sandbox (the VM) and closes its FIFOs.
        self.containers().remove(&request.id);
        let mut event = TaskDelete::new();
        event.container_id = request.id.clone();
        event.id = request.id;
        event.pid = pid();
        event.exit_status = exit_status;
        event.exited_at = MessageField::some(timestamp(at));
        self.publish("/tasks/delete", Box::new(event));
        Ok(DeleteResponse {
            pid: pid(),
            exit_status,
            exited_at: MessageField::some(timestamp(at)),
            ..Default::default()
        })
    }

    fn state(&self, _ctx: &TtrpcContext, request: StateRequest) -> TtrpcResult<StateResponse> {
        let container = self.container(&request.id)?;
        let (exit_status, exited_at) = match container.exited() {
            Some((status, at)) => (status, MessageField::some(timestamp(at))),
            None => (0, MessageField::none()),
        };
        Ok(StateResponse {
            id: container.id.clone(),
            bundle: container.bundle.clone(),
            pid: pid(),
            status: container.status().into(),
            stdin: container.stdin.clone(),
            stdout: container.stdout.clone(),
            stderr: container.stderr.clone(),
            exit_status,
            exited_at,
            ..Default::default()
        })
    }

    fn pids(&self, _ctx: &TtrpcContext, request: PidsRequest) -> TtrpcResult<PidsResponse> {
        self.container(&request.id)?;
        let process = ProcessInfo { pid: pid(), ..Default::default() };
        Ok(PidsResponse { processes: vec![process], ..Default::default() })
    }

    fn connect(&self, _ctx: &TtrpcContext, _request: ConnectRequest) -> TtrpcResult<ConnectResponse> {
        Ok(ConnectResponse {
            shim_pid: pid(),
            task_pid: pid(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            ..Default::default()
        })
    }

    /// Ends the shim once it holds no container.
    fn shutdown(&self, _ctx: &TtrpcContext, _request: ShutdownRequest) -> TtrpcResult<Empty> {
        if self.containers().is_empty() {
            self.inner.exit.signal();
        }
        Ok(Empty::new())
    }
}
