//! `featherlight::http::Proxy` behind `featherlight::http::serve`, on real KVM
//! and real loopback sockets: the same requests answered exactly as
//! wasmtime-wasi-http answers them in process, and no state from one request
//! in the next (one exit per small request: `http_guest.rs`).

#[path = "support/http.rs"]
mod support;

use bytes::Bytes;
use featherlight::http::{FullBody, HttpIo, IncomingRequest, ProxyConfig, ResponseHead, ResponseSink, ServeOptions};
use featherlight::{Component, Linker, Sandbox};
use featherlight_tests::{Fixture, HTTP_PROXY_WASM};
use http::{HeaderMap, Method, Request};
use http_body_util::Full;
use std::sync::{Arc, Mutex};
use support::{Featherlight, Reply, Wasmtime, allowing_loopback, get, request, runtime, send};

/// One request of the differential table.
struct Case {
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

fn case(method: &'static str, path: impl Into<String>) -> Case {
    Case { method, path: path.into(), headers: Vec::new(), body: Bytes::new() }
}

fn with_body(mut case: Case, body: Bytes) -> Case {
    case.body = body;
    case
}

fn with_header(mut case: Case, name: &'static str, value: impl Into<String>) -> Case {
    case.headers.push((name, value.into()));
    case
}

fn pattern(len: usize) -> Bytes {
    (0..len).map(|i| u8::try_from(i * 7 % 251).expect("below 251")).collect::<Vec<_>>().into()
}

async fn run(case: &Case, addr: std::net::SocketAddr) -> Reply {
    let mut builder = request(case.method, addr, &case.path);
    for (name, value) in &case.headers {
        builder = builder.header(*name, value);
    }
    let request = builder.body(Full::new(case.body.clone())).expect("a request");
    send(addr, request).await.unwrap_or_else(|e| panic!("{} {}: no reply: {e}", case.method, case.path))
}

#[test]
fn responses_match_wasmtime_wasi_http() {
    let featherlight = Featherlight::new(HTTP_PROXY_WASM, allowing_loopback());
    let wasmtime = Wasmtime::new(HTTP_PROXY_WASM);
    runtime().block_on(async {
        let ours = featherlight.serve(ServeOptions::default()).await;
        let theirs = wasmtime.serve().await;
        // The upstream of the outgoing requests: a third server, featherlight's.
        let upstream = featherlight.serve(ServeOptions::default()).await;
        let denied = Featherlight::new(HTTP_PROXY_WASM, ProxyConfig::default());
        let denied_server = denied.serve(ServeOptions::default()).await;
        let mut cases = vec![
            case("GET", "/hello"),
            case("HEAD", "/hello"),
            case("GET", "/counter"),
            case("GET", "/headers"),
            case("GET", "/headers?a=1&b=two%20words"),
            case("DELETE", "/headers?x"),
            case("OPTIONS", "/headers"),
            case("PATCH", "/headers"),
            with_header(with_header(case("GET", "/headers"), "x-one", "1"), "x-two", "two, 2"),
            with_header(case("PUT", "/headers"), "x-repeated", "a"),
            with_header(case("GET", "/headers"), "user-agent", "featherlight-test/1.0"),
            case("GET", "/nowhere"),
            case("GET", "/status/200"),
            case("GET", "/status/201"),
            case("GET", "/status/204"),
            case("GET", "/status/301"),
            case("GET", "/status/404"),
            case("GET", "/status/418"),
            case("GET", "/status/500"),
            case("GET", "/status/503"),
            case("GET", "/status/599"),
            case("POST", "/echo"),
            with_body(case("POST", "/echo"), Bytes::from_static(b"small body")),
            with_header(with_body(case("PUT", "/echo"), pattern(1 << 20)), "content-type", "application/octet-stream"),
            with_body(case("POST", "/echo"), pattern(64 << 20)),
            case("GET", "/download?bytes=0"),
            case("GET", "/download?bytes=1000"),
            case("GET", "/download?bytes=16777216"),
            case("GET", "/trap"),
            case("GET", "/secret"),
            case("GET", "/stdout"),
            case("GET", "/sleep?ms=5"),
            case("GET", format!("/fetch?url=http://{}/hello", upstream.addr)),
            case("GET", format!("/fetch?url=http://{}/status/404", upstream.addr)),
        ];
        let long_path = format!("/headers?{}", "q".repeat(4000));
        cases.push(case("GET", long_path));
        assert!(cases.len() >= 30);
        for case in &cases {
            let expected = run(case, theirs.addr).await;
            let actual = run(case, ours.addr).await;
            assert_eq!(actual.status, expected.status, "{} {}", case.method, case.path);
            assert_eq!(actual.headers, expected.headers, "{} {}", case.method, case.path);
            match (&actual.body, &expected.body) {
                (Ok(a), Ok(b)) if a.len() < 4096 => assert_eq!(a, b, "{} {}", case.method, case.path),
                (Ok(a), Ok(b)) => {
                    assert!(a == b, "{} {}: bodies differ ({} vs {} bytes)", case.method, case.path, a.len(), b.len());
                }
                (a, b) => assert_eq!(a.is_ok(), b.is_ok(), "{} {}: {a:?} vs {b:?}", case.method, case.path),
            }
        }
        // Denied by default, with the error code a component expects.
        let fetch = format!("/fetch?url=http://{}/hello", upstream.addr);
        let reply = get(denied_server.addr, &fetch).await;
        assert_eq!(reply.status, 502);
        let text = String::from_utf8_lossy(reply.body.as_deref().unwrap_or_default()).into_owned();
        assert!(text.contains("HttpRequestDenied"), "{text}");
        // A trap after the head never looks like a complete response (the
        // connection is cut, with or without the head). wasmtime-wasi-http
        // sometimes ends such a body cleanly (the trap drops its sender), so
        // there is no comparison here.
        let request = request("GET", ours.addr, "/trap-after").body(Full::new(Bytes::new())).unwrap();
        let reply = send(ours.addr, request).await;
        let complete = reply.as_ref().is_ok_and(|reply| reply.body.is_ok());
        assert!(!complete, "a trap after the head must not look like a complete response: {reply:?}");
        ours.stop().await;
        theirs.stop().await;
        upstream.stop().await;
        denied_server.stop().await;
    });
}

/// What a sandbox sent for a response.
#[derive(Debug, Clone, Default)]
struct SentResponse {
    status: Option<u16>,
    body: Vec<u8>,
    finished: bool,
    aborted: Option<String>,
}

/// Keeps what a sandbox sends for a response.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<SentResponse>>);

impl Captured {
    fn sent(&self) -> SentResponse {
        self.0.lock().unwrap().clone()
    }
}

impl ResponseSink for Captured {
    fn head(&mut self, head: ResponseHead) {
        self.0.lock().unwrap().status = Some(head.status.as_u16());
    }
    fn data(&mut self, bytes: Bytes) -> Result<(), featherlight::http::ClientGone> {
        self.0.lock().unwrap().body.extend_from_slice(&bytes);
        Ok(())
    }
    fn finish(&mut self, _trailers: Option<HeaderMap>) {
        self.0.lock().unwrap().finished = true;
    }
    fn abort(&mut self, why: &featherlight::Error) {
        self.0.lock().unwrap().aborted = Some(why.to_string());
    }
}

fn incoming(method: Method, path: &str, headers: HeaderMap) -> IncomingRequest {
    let parts = Request::builder().method(method).uri(path).body(()).unwrap().into_parts().0;
    let mut request = IncomingRequest::from_parts(&parts, "http");
    request.headers = headers;
    request
}

#[test]
fn no_request_sees_another_requests_state() {
    let featherlight = Featherlight::new(HTTP_PROXY_WASM, ProxyConfig::default());
    runtime().block_on(async {
        let server = featherlight.serve(ServeOptions::default()).await;
        let counters = (0..200).map(|_| tokio::spawn(async move { get(server.addr, "/counter").await }));
        for counter in counters {
            let reply = counter.await.unwrap();
            assert_eq!((reply.status.as_u16(), reply.body.unwrap()), (200, Bytes::from_static(b"1\n")));
        }
        for _ in 0..3 {
            let reply = get(server.addr, "/secret").await;
            assert_eq!(reply.body.unwrap(), Bytes::from_static(b"already set: false\n"));
        }
        server.stop().await;
    });
}

#[test]
fn a_request_leaves_nothing_in_memory_after_the_restore() {
    let fixture = Fixture::new();
    let component = Component::from_file(&fixture.engine, HTTP_PROXY_WASM).unwrap();
    let mut sandbox = Sandbox::new(&component, &Linker::new()).unwrap();
    let snapshot = sandbox.snapshot().unwrap();
    let memory = |sandbox: &Sandbox| {
        (
            featherlight::testing::linear_memory_contents(sandbox).unwrap(),
            featherlight::testing::scratch_contents(sandbox).unwrap(),
        )
    };
    let warm = memory(&sandbox);
    let captured = Captured::default();
    let io = HttpIo { body: Box::new(FullBody(Bytes::new())), response: Box::new(captured.clone()), outgoing: None };
    sandbox.handle_http(&incoming(Method::GET, "/secret", HeaderMap::new()), io).unwrap();
    assert_eq!(captured.sent().body, b"already set: false\n");
    let after_request = memory(&sandbox);
    assert!(after_request.0 != warm.0, "the request wrote its secret into linear memory");
    sandbox.restore(&snapshot).unwrap();
    let restored = memory(&sandbox);
    assert!(restored.0 == warm.0, "linear memory differs from the warm snapshot after the restore");
    assert!(restored.1 == warm.1, "scratch memory differs from the warm snapshot after the restore");
}

#[test]
fn a_trap_after_the_head_aborts_the_body() {
    let fixture = Fixture::new();
    let component = Component::from_file(&fixture.engine, HTTP_PROXY_WASM).unwrap();
    let mut sandbox = Sandbox::new(&component, &Linker::new()).unwrap();
    let snapshot = sandbox.snapshot().unwrap();
    let captured = Captured::default();
    let io = HttpIo { body: Box::new(FullBody(Bytes::new())), response: Box::new(captured.clone()), outgoing: None };
    let outcome = sandbox.handle_http(&incoming(Method::GET, "/trap-after", HeaderMap::new()), io);
    assert!(matches!(outcome, Err(featherlight::Error::Trap { .. })), "{outcome:?}");
    let sent = captured.sent();
    assert_eq!((sent.status, sent.body.as_slice(), sent.finished), (Some(200), &b"partial body\n"[..], false));
    assert!(sent.aborted.is_some(), "the sink was not told the response failed");
    sandbox.restore(&snapshot).unwrap();
}
