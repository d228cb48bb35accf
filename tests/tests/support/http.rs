//! HTTP test harness: a featherlight server ([`featherlight::http::serve`])
//! and wasmtime-wasi-http in process (`featherlight_bench::http`) for the same
//! component, both on loopback, and a client that records exactly what came back.

#![allow(dead_code, reason = "each test binary uses part of the harness")]

use bytes::Bytes;
use featherlight::http::{OutgoingPolicy, Proxy, ProxyConfig, ServeOptions};
use featherlight::{Component, Linker};
use featherlight_bench::http::WasmtimeProxy;
use featherlight_tests::Fixture;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

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

/// wasmtime-wasi-http in process, serving on an ephemeral loopback port.
pub struct Wasmtime(WasmtimeProxy);

impl Wasmtime {
    pub fn new(path: &str) -> Self {
        let wasm = std::fs::read(path).expect("the component");
        Self(WasmtimeProxy::new(&wasm).expect("wasmtime-wasi-http serves it"))
    }

    pub async fn serve(&self) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let (shutdown, stopped) = oneshot::channel::<()>();
        let proxy = self.0.clone();
        let done = tokio::spawn(async move {
            proxy
                .serve(listener, async move {
                    let _ = stopped.await;
                })
                .await;
            Ok(())
        });
        Server { addr, shutdown: Some(shutdown), done: Some(done) }
    }
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
    // One Host for every server, so replies compare.
    Request::builder().method(method).uri(format!("http://{addr}{path}")).header(http::header::HOST, "localhost:8080")
}

/// `GET path`.
pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    let request = request("GET", addr, path).body(Full::new(Bytes::new())).expect("a request");
    send(addr, request).await.expect("a reply")
}
