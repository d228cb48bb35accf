//! [`Proxy`]: a `wasi:http` component behind hyper, each request in a
//! sandbox restored to the component's warm snapshot.

use super::body::{ChannelSink, IncomingBody, ResponseBody, Started};
use super::outgoing::OutgoingPolicy;
use crate::error::HttpError;
use crate::sandbox::http::{BodySource, HttpIo, IncomingRequest};
use crate::{Component, Error, Linker, OutputSink, Sandbox, SharedWriter, Snapshot};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, oneshot};

/// How a [`Proxy`] serves.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Requests running at once, each in its own VM (default: 2 per CPU).
    pub max_concurrent: usize,
    /// Requests waiting for a VM beyond those; more are answered `503`
    /// (default: 1024).
    pub max_queued: usize,
    /// How long one request may run in its VM (default: 60 s; `None`: no
    /// limit). Past it the request is answered `504` (or its body cut).
    pub request_timeout: Option<Duration>,
    /// Largest request body accepted (default: 1 GiB, `None`: no limit):
    /// larger bodies are answered `413`.
    pub max_body_size: Option<u64>,
    /// Where outgoing requests may go (default: nowhere).
    pub outgoing: OutgoingPolicy,
    /// Prefix each line of a request's stdout and stderr with
    /// `stdout [N] :: ` / `stderr [N] :: ` (`N` numbers the requests), as
    /// `wasmtime serve` does; otherwise output goes where the linker's
    /// WASI settings send it.
    pub prefix_output: bool,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self {
            max_concurrent: 2 * cpus,
            max_queued: 1024,
            request_timeout: Some(Duration::from_secs(60)),
            max_body_size: Some(1 << 30),
            outgoing: OutgoingPolicy::deny_all(),
            prefix_output: false,
        }
    }
}

/// A `wasi:http` component ready to serve: its warm snapshot and a pool of
/// VMs restored to it. Cheap to clone; every clone serves from the same
/// pool.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use featherlight::http::{Proxy, ProxyConfig};
/// use featherlight::{Component, Engine, Linker};
///
/// let engine = Engine::new(featherlight::Config::default())?;
/// let component = Component::from_file(&engine, "proxy.wasm")?;
/// let proxy = Proxy::new(&component, &Linker::new(), ProxyConfig::default())?;
/// // In a hyper service (or axum handler): any `http::Request` whose body
/// // is an `http_body::Body<Data = Bytes>`.
/// let request = http::Request::get("http://localhost/hello").body(http_body_util::Empty::<bytes::Bytes>::new())?;
/// let response = proxy.handle(request).await;
/// println!("{}", response.status());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Proxy {
    inner: Arc<Inner>,
}

struct Inner {
    snapshot: Arc<Snapshot>,
    linker: Linker,
    config: ProxyConfig,
    running: Arc<Semaphore>,
    queued: AtomicUsize,
    next_request: AtomicU64,
    outgoing: Option<Arc<dyn crate::sandbox::http::OutgoingHttp>>,
    served: AtomicU64,
    vm_exits: AtomicU64,
}

/// Counts of what a [`Proxy`] did since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Requests that ran in a VM (whatever their outcome).
    pub requests: u64,
    /// VM exits those requests took, in total.
    pub vm_exits: u64,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

/// What became of one request, for the request log.
#[derive(Debug, Clone, Copy)]
struct Served {
    exits: u64,
    bytes_out: u64,
}

impl Proxy {
    /// Boots `component` once with `linker`'s host functions and WASI
    /// settings, and keeps its warm state as the snapshot every request
    /// starts from. Fails if the component is not a `wasi:http` proxy.
    pub fn new(component: &Component, linker: &Linker, config: ProxyConfig) -> Result<Self, Error> {
        if !component.world().exports_http_handler() {
            return Err(HttpError::NotAProxy.into());
        }
        let mut sandbox = Sandbox::new(component, linker)?;
        let snapshot = sandbox.snapshot()?;
        drop(sandbox);
        Self::from_snapshot(snapshot, linker, config)
    }

    /// Serves from a warm snapshot made earlier, such as one loaded from a
    /// file ([`Snapshot::load`], [`Snapshot::load_or_make`]): nothing boots
    /// or instantiates. `linker` must be the one the snapshot was made with.
    pub fn from_snapshot(snapshot: Arc<Snapshot>, linker: &Linker, config: ProxyConfig) -> Result<Self, Error> {
        if !snapshot.component().world().exports_http_handler() {
            return Err(HttpError::NotAProxy.into());
        }
        let outgoing = config.outgoing.client();
        Ok(Self {
            inner: Arc::new(Inner {
                snapshot,
                linker: linker.clone(),
                running: Arc::new(Semaphore::new(config.max_concurrent.max(1))),
                queued: AtomicUsize::new(0),
                next_request: AtomicU64::new(0),
                config,
                outgoing,
                served: AtomicU64::new(0),
                vm_exits: AtomicU64::new(0),
            }),
        })
    }

    /// Requests served and VM exits taken so far.
    pub fn stats(&self) -> ProxyStats {
        ProxyStats {
            requests: self.inner.served.load(Ordering::Relaxed),
            vm_exits: self.inner.vm_exits.load(Ordering::Relaxed),
        }
    }

    /// The snapshot requests start from.
    pub fn snapshot(&self) -> &Arc<Snapshot> {
        &self.inner.snapshot
    }

    /// Serves one request: waits for a VM (or answers `503` when too many
    /// wait), runs the component in it and returns its response, whose body
    /// streams from the VM as the component writes it. Failures become
    /// responses too: `500` for a trap or a missing response, `504` past
    /// the request timeout, `413` for a body over the limit.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ResponseBody>
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: std::fmt::Display,
    {
        let started = Instant::now();
        let id = self.inner.next_request.fetch_add(1, Ordering::Relaxed);
        let (parts, body) = request.into_parts();
        let log = RequestLog { id, started, method: parts.method.clone(), path: parts.uri.path().to_owned() };
        match self.serve(id, parts, body, log.clone()).await {
            Ok(response) => response,
            // Answered without a VM: logged here (a VM's request is logged
            // when the VM is done with it).
            Err(response) => {
                log.emit(response.status(), None);
                response
            }
        }
    }

    /// The response, or `Err` with one made without running the component.
    async fn serve<B>(
        &self,
        id: u64,
        parts: http::request::Parts,
        body: B,
        log: RequestLog,
    ) -> Result<Response<ResponseBody>, Response<ResponseBody>>
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: std::fmt::Display,
    {
        let inner = &self.inner;
        let limit = inner.config.max_body_size;
        let announced = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let (Some(limit), Some(len)) = (limit, announced)
            && len > limit
        {
            return Err(error_response(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n"));
        }
        let permit = match inner.running.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if inner.queued.fetch_add(1, Ordering::AcqRel) >= inner.config.max_queued {
                    inner.queued.fetch_sub(1, Ordering::AcqRel);
                    return Err(error_response(StatusCode::SERVICE_UNAVAILABLE, "server busy\n"));
                }
                let permit = inner.running.clone().acquire_owned().await;
                inner.queued.fetch_sub(1, Ordering::AcqRel);
                match permit {
                    Ok(permit) => permit,
                    Err(_) => return Err(error_response(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")),
                }
            }
        };
        let request = IncomingRequest::from_parts(&parts, "http");
        let runtime = tokio::runtime::Handle::current();
        let (started_tx, started_rx) = oneshot::channel();
        let deadline = inner.config.request_timeout.map(|timeout| Instant::now() + timeout);
        let (sink, response_body) = ChannelSink::new(runtime.clone(), deadline, started_tx);
        let over_limit = sink.over_limit_flag();
        let status = sink.status_flag();
        let source = IncomingBody::new(body, runtime.clone(), limit, over_limit);
        let this = self.clone();
        runtime.spawn_blocking(move || {
            let served = this.run_in_vm(id, &request, Box::new(source), sink);
            // The VM is back in the pool before the next request is let in.
            drop(permit);
            let status =
                StatusCode::from_u16(status.load(Ordering::Relaxed)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            log.emit(status, Some(served));
        });
        Ok(match started_rx.await {
            Ok(Started::Head(head)) => {
                let mut response = Response::new(response_body);
                *response.status_mut() = head.status;
                *response.headers_mut() = head.headers;
                response
            }
            Ok(Started::Failed(status, why)) => error_response(status, &format!("{why}\n")),
            Err(_) => error_response(StatusCode::INTERNAL_SERVER_ERROR, "the request's VM went away\n"),
        })
    }

    /// Runs one request on a VM from the pool; returns what it did.
    fn run_in_vm(&self, id: u64, request: &IncomingRequest, source: Box<dyn BodySource>, sink: ChannelSink) -> Served {
        let inner = &self.inner;
        let linker = if inner.config.prefix_output {
            let mut linker = inner.linker.clone();
            let wasi = inner
                .linker
                .wasi_config()
                .clone()
                .stdout(OutputSink::Writer(SharedWriter::new(PrefixedLines::new(std::io::stdout(), "stdout", id))))
                .stderr(OutputSink::Writer(SharedWriter::new(PrefixedLines::new(std::io::stderr(), "stderr", id))));
            linker.wasi(wasi);
            std::borrow::Cow::Owned(linker)
        } else {
            std::borrow::Cow::Borrowed(&inner.linker)
        };
        let mut sandbox = match Sandbox::from_snapshot(&inner.snapshot, &linker) {
            Ok(sandbox) => sandbox,
            Err(e) => {
                tracing::error!("cannot start a VM for request {id}: {e}");
                let mut sink = sink;
                crate::sandbox::http::ResponseSink::abort(&mut sink, &e);
                return Served { exits: 0, bytes_out: 0 };
            }
        };
        sandbox.set_call_timeout(inner.config.request_timeout);
        let exits_before = sandbox.vm_exits();
        let io = HttpIo { body: source, response: Box::new(sink), outgoing: inner.outgoing.clone() };
        let outcome = sandbox.handle_http(request, io);
        let exits = sandbox.vm_exits() - exits_before;
        inner.served.fetch_add(1, Ordering::Relaxed);
        inner.vm_exits.fetch_add(exits, Ordering::Relaxed);
        if let Err(e) = &outcome {
            tracing::warn!("request {id} failed: {e}");
        }
        // Dropping the sandbox restores it to the snapshot and parks its VM
        // for the next request.
        drop(sandbox);
        Served { exits, bytes_out: outcome.map_or(0, |stats| stats.bytes_out) }
    }
}

/// What the request log line says of one request.
#[derive(Debug, Clone)]
struct RequestLog {
    id: u64,
    started: Instant,
    method: http::Method,
    path: String,
}

impl RequestLog {
    /// One line per request (`served`: what its VM did, if it ran in one).
    fn emit(&self, status: StatusCode, served: Option<Served>) {
        tracing::info!(
            target: "featherlight::http",
            id = self.id,
            status = status.as_u16(),
            duration_us = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX),
            vm_exits = served.map_or(0, |s| s.exits),
            bytes_out = served.map_or(0, |s| s.bytes_out),
            "{} {} -> {}",
            self.method,
            self.path,
            status.as_u16()
        );
    }
}

/// A short plain-text response the server makes itself.
pub(super) fn error_response(status: StatusCode, text: &str) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::full(Bytes::copy_from_slice(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
    response
}

/// Writes `stdout [N] :: ` (or `stderr`) in front of every line, as
/// `wasmtime serve` does.
struct PrefixedLines<W> {
    out: W,
    prefix: String,
    at_line_start: bool,
}

impl<W> PrefixedLines<W> {
    fn new(out: W, stream: &str, id: u64) -> Self {
        Self { out, prefix: format!("{stream} [{id}] :: "), at_line_start: true }
    }
}

impl<W: std::io::Write> std::io::Write for PrefixedLines<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.at_line_start {
                self.out.write_all(self.prefix.as_bytes())?;
                self.at_line_start = false;
            }
            match rest.iter().position(|b| *b == b'\n') {
                Some(end) => {
                    self.out.write_all(&rest[..=end])?;
                    rest = &rest[end + 1..];
                    self.at_line_start = true;
                }
                None => {
                    self.out.write_all(rest)?;
                    break;
                }
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::PrefixedLines;
    use std::io::Write;

    #[test]
    fn every_line_gets_the_prefix_once() {
        let mut lines = PrefixedLines::new(Vec::new(), "stdout", 7);
        lines.write_all(b"one\ntw").unwrap();
        lines.write_all(b"o\n\nthree").unwrap();
        assert_eq!(
            String::from_utf8(lines.out).unwrap(),
            "stdout [7] :: one\nstdout [7] :: two\nstdout [7] :: \nstdout [7] :: three"
        );
    }
}
