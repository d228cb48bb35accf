//! HTTP test harness: a featherlight server ([`featherlight::http::serve`])
//! and a wasmtime-wasi-http server in process for the same component, both on
//! loopback, and a client that records exactly what came back.

#![allow(dead_code, reason = "each test binary uses part of the harness")]

use bytes::Bytes;
use featherlight::http::{OutgoingPolicy, Proxy, ProxyConfig, ServeOptions};
use featherlight::{Component, Linker};
use featherlight_tests::Fixture;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// A multi-threaded runtime for one test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime")
}

/// A server running in the test's runtime until dropped.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Stops accepting and waits for requests in flight.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(done) = self.done.take() {
            done.await.expect("the server task").expect("the server");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The fixture and proxy behind a featherlight server.
pub struct Featherlight {
    pub fixture: Fixture,
    pub proxy: Proxy,
}

impl Featherlight {
    /// `path` served by a proxy with `config`.
    pub fn new(path: &str, config: ProxyConfig) -> Self {
        let fixture = Fixture::new();
        let component = Component::from_file(&fixture.engine, path).expect("the component compiles");
        let proxy = Proxy::new(&component, &Linker::new(), config).expect("the proxy starts");
        Self { fixture, proxy }
    }

    /// Serves on an ephemeral loopback port (inside a runtime).
    pub async fn serve(&self, options: ServeOptions) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let (shutdown, stopped) = oneshot::channel::<()>();
        let proxy = self.proxy.clone();
        let done = tokio::spawn(featherlight::http::serve(listener, proxy, options, async move {
            let _ = stopped.await;
        }));
        Server { addr, shutdown: Some(shutdown), done: Some(done) }
    }
}

/// A proxy configuration allowing outgoing requests to loopback.
pub fn allowing_loopback() -> ProxyConfig {
    ProxyConfig {
        outgoing: OutgoingPolicy::deny_all().allow("127.0.0.1".parse().expect("a host")),
        ..ProxyConfig::default()
    }
}

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

type WasmtimeBody = http_body_util::combinators::BoxBody<Bytes, String>;

/// wasmtime-wasi-http in process: a new instance per request, as `wasmtime
/// serve` runs it; failures answered as featherlight answers them (500 and
/// the same text), so responses compare one to one.
#[derive(Clone)]
pub struct Wasmtime {
    pre: ProxyPre<WasmtimeState>,
}

impl Wasmtime {
    pub fn new(path: &str) -> Self {
        let mut config = wasmtime::Config::new();
        config.async_support(true);
        let engine = wasmtime::Engine::new(&config).expect("a wasmtime engine");
        let component = wasmtime::component::Component::from_file(&engine, path).expect("the component compiles");
        let mut linker = wasmtime::component::Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).expect("WASI links");
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).expect("wasi:http links");
        let pre = ProxyPre::new(linker.instantiate_pre(&component).expect("pre-instantiates")).expect("a proxy");
        Self { pre }
    }

    async fn handle(&self, request: Request<hyper::body::Incoming>) -> Response<WasmtimeBody> {
        let state = WasmtimeState {
            wasi: WasiCtx::builder().build(),
            http: WasiHttpCtx::new(),
            table: wasmtime::component::ResourceTable::new(),
        };
        let mut store = wasmtime::Store::new(self.pre.engine(), state);
        let (sender, receiver) = oneshot::channel();
        let request = store.data_mut().http().new_incoming_request(Scheme::Http, request).expect("a request");
        let out = store.data_mut().http().new_response_outparam(sender).expect("an outparam");
        let pre = self.pre.clone();
        let task = tokio::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy.wasi_http_incoming_handler().call_handle(&mut store, request, out).await
        });
        match receiver.await {
            Ok(Ok(response)) => response.map(|body| body.map_err(|e| format!("{e:?}")).boxed()),
            _ => {
                let _ = task.await;
                text_response(StatusCode::INTERNAL_SERVER_ERROR, "internal server error\n")
            }
        }
    }

    /// Serves on an ephemeral loopback port.
    pub async fn serve(&self) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let (shutdown, mut stopped) = oneshot::channel::<()>();
        let this = self.clone();
        let done = tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    accepted = listener.accept() => accepted?,
                    _ = &mut stopped => return Ok(()),
                };
                let this = this.clone();
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
        });
        Server { addr, shutdown: Some(shutdown), done: Some(done) }
    }
}

fn text_response(status: StatusCode, text: &'static str) -> Response<WasmtimeBody> {
    let body = Full::new(Bytes::from_static(text.as_bytes())).map_err(|e: Infallible| match e {}).boxed();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
    response
}

/// What a client got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: StatusCode,
    /// Less `date`.
    pub headers: HeaderMap,
    /// The body, or the error that cut it short.
    pub body: Result<Bytes, String>,
}

/// Sends one request on a new connection and reads the whole reply.
pub async fn send(addr: SocketAddr, request: Request<Full<Bytes>>) -> Result<Reply, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let (parts, body) = response.into_parts();
    let body = tokio::time::timeout(Duration::from_secs(120), body.collect())
        .await
        .map_err(|_| "the body did not arrive within 120 s".to_string())?
        .map(|collected| collected.to_bytes())
        .map_err(|e| e.to_string());
    let mut headers = parts.headers;
    headers.remove(http::header::DATE);
    Ok(Reply { status: parts.status, headers, body })
}

/// A request builder for `path` on `addr`.
pub fn request(method: &str, addr: SocketAddr, path: &str) -> http::request::Builder {
    Request::builder().method(method).uri(format!("http://{addr}{path}")).header(http::header::HOST, addr.to_string())
}

/// `GET path`.
pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    let request = request("GET", addr, path).body(Full::new(Bytes::new())).expect("a request");
    send(addr, request).await.expect("a reply")
}
