//! HTTP helpers shared by the tests and `featherlight bench --serve`:
//! wasmtime-wasi-http serving a component in process (the baseline), and a
//! load generator over loopback keep-alive connections.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Why the baseline server could not start.
#[derive(Debug, thiserror::Error)]
#[error("wasmtime-wasi-http cannot serve the component: {0}")]
pub struct WasmtimeError(String);

struct WasmtimeState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: wasmtime::component::ResourceTable,
}

impl WasiView for WasmtimeState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for WasmtimeState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: Default::default() }
    }
}

/// The body of the baseline's responses.
pub type WasmtimeBody = http_body_util::combinators::UnsyncBoxBody<Bytes, String>;

/// wasmtime-wasi-http in process: a new instance per request from the
/// pooling allocator, as `wasmtime serve` runs a component. Failures are
/// answered as `featherlight serve` answers them (500, the same text), so
/// responses compare one to one.
#[derive(Clone)]
pub struct WasmtimeProxy {
    pre: ProxyPre<WasmtimeState>,
}

impl std::fmt::Debug for WasmtimeProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmtimeProxy").finish_non_exhaustive()
    }
}

impl WasmtimeProxy {
    /// Compiles `wasm` (a component's bytes) and links WASI and wasi:http.
    pub fn new(wasm: &[u8]) -> Result<Self, WasmtimeError> {
        let error = |e: wasmtime::Error| WasmtimeError(format!("{e:?}"));
        let mut config = wasmtime::Config::new();
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::pooling());
        let engine = wasmtime::Engine::new(&config).map_err(error)?;
        let component = wasmtime::component::Component::new(&engine, wasm).map_err(error)?;
        let mut linker = wasmtime::component::Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(error)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(error)?;
        let pre = ProxyPre::new(linker.instantiate_pre(&component).map_err(error)?).map_err(error)?;
        Ok(Self { pre })
    }

    /// Serves one request in a new instance.
    pub async fn handle(&self, request: Request<hyper::body::Incoming>) -> Response<WasmtimeBody> {
        let state = WasmtimeState {
            wasi: WasiCtx::builder().build(),
            http: WasiHttpCtx::new(),
            table: wasmtime::component::ResourceTable::new(),
        };
        let mut store = wasmtime::Store::new(self.pre.engine(), state);
        let (sender, receiver) = oneshot::channel();
        let made = store.data_mut().http().new_incoming_request(Scheme::Http, request).and_then(|request| {
            let out = store.data_mut().http().new_response_outparam(sender)?;
            Ok((request, out))
        });
        let Ok((request, out)) = made else {
            return text_response(StatusCode::INTERNAL_SERVER_ERROR, "internal server error\n");
        };
        let pre = self.pre.clone();
        let task = tokio::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy.wasi_http_incoming_handler().call_handle(&mut store, request, out).await
        });
        match receiver.await {
            Ok(Ok(response)) => response.map(|body| body.map_err(|e| format!("{e:?}")).boxed_unsync()),
            _ => {
                let _ = task.await;
                text_response(StatusCode::INTERNAL_SERVER_ERROR, "internal server error\n")
            }
        }
    }

    /// Serves on `listener` until `stop` completes.
    pub async fn serve(self, listener: TcpListener, stop: impl std::future::Future<Output = ()>) {
        let mut stop = std::pin::pin!(stop);
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => continue,
                },
                () = &mut stop => return,
            };
            // As the featherlight server (and a load balancer) do: no Nagle delay.
            let _ = stream.set_nodelay(true);
            let this = self.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let this = this.clone();
                    async move { Ok::<_, Infallible>(this.handle(request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    }
}

fn text_response(status: StatusCode, text: &'static str) -> Response<WasmtimeBody> {
    let body = Full::new(Bytes::from_static(text.as_bytes())).map_err(|e: Infallible| match e {}).boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
    response
}

/// What a load run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadResult {
    /// Requests answered with the expected status and body.
    pub requests: usize,
    /// Each request's latency, sorted.
    pub latencies: Vec<Duration>,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

impl LoadResult {
    /// Requests per second.
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The quantile of the latencies at `percent` (0–100): the nearest rank.
    pub fn percentile(&self, percent: usize) -> Duration {
        let last = self.latencies.len().saturating_sub(1);
        let index = (last * percent.min(100) + 50) / 100;
        self.latencies.get(index).copied().unwrap_or_default()
    }
}

/// Why a load run failed.
#[derive(Debug, thiserror::Error)]
#[error("the load run failed: {0}")]
pub struct LoadError(String);

/// `concurrency` keep-alive connections each sending `requests_each`
/// requests (`method` `path` with `body`), each reply checked against
/// `expect`.
pub async fn load(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Bytes,
    expect: Bytes,
    concurrency: usize,
    requests_each: usize,
) -> Result<LoadResult, LoadError> {
    let started = Instant::now();
    let clients = (0..concurrency).map(|_| {
        let (method, path, body, expect) = (method.to_owned(), path.to_owned(), body.clone(), expect.clone());
        tokio::spawn(async move {
            let error = |e: &dyn std::fmt::Display| LoadError(e.to_string());
            let stream = TcpStream::connect(addr).await.map_err(|e| error(&e))?;
            stream.set_nodelay(true).map_err(|e| error(&e))?;
            let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| error(&e))?;
            tokio::spawn(connection);
            let mut latencies = Vec::with_capacity(requests_each);
            for _ in 0..requests_each {
                let request = Request::builder()
                    .method(method.as_str())
                    .uri(path.as_str())
                    .header(http::header::HOST, "localhost")
                    .body(Full::new(body.clone()))
                    .map_err(|e| error(&e))?;
                // hyper's client takes the next request only once the connection is idle
                // (the last response read to its end is not enough).
                sender.ready().await.map_err(|e| error(&e))?;
                let start = Instant::now();
                let response = sender.send_request(request).await.map_err(|e| error(&e))?;
                let status = response.status();
                let got = response.into_body().collect().await.map_err(|e| error(&e))?.to_bytes();
                latencies.push(start.elapsed());
                if status != StatusCode::OK || got != expect {
                    return Err(LoadError(format!("{path} answered {status} with {} bytes", got.len())));
                }
            }
            Ok(latencies)
        })
    });
    let mut latencies = Vec::new();
    for client in clients.collect::<Vec<_>>() {
        latencies.extend(client.await.map_err(|e| LoadError(e.to_string()))??);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Ok(LoadResult { requests: latencies.len(), latencies, elapsed })
}
