//! `featherlight::http::Proxy` behind `featherlight::http::serve`, on real KVM
//! and real loopback sockets: the same requests answered exactly as
//! wasmtime-wasi-http answers them in process, one VM exit for a small
//! request, and no state from one request in the next.

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
    (0..len).map(|i| (i * 7 % 251) as u8).collect::<Vec<_>>().into()
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
                (Ok(a), Ok(b)) => {
                    assert!(a == b, "{} {}: bodies differ ({} vs {} bytes)", case.method, case.path, a.len(), b.len())
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
        // A trap after the head cuts the body on both sides.
        let expected = run(&case("GET", "/trap-after"), theirs.addr).await;
        let actual = run(&case("GET", "/trap-after"), ours.addr).await;
        assert_eq!((actual.status, actual.body.is_err()), (expected.status, expected.body.is_err()));
        assert!(actual.body.is_err(), "a trap after the head must not look like a complete body");
        ours.stop().await;
        theirs.stop().await;
        upstream.stop().await;
        denied_server.stop().await;
    });
}

/// Keeps what a sandbox sends for a response.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<(Option<u16>, Vec<u8>, bool)>>);

impl ResponseSink for Captured {
    fn head(&mut self, head: ResponseHead) {
        self.0.lock().unwrap().0 = Some(head.status.as_u16());
    }
    fn data(&mut self, bytes: Bytes) -> Result<(), featherlight::http::ClientGone> {
        self.0.lock().unwrap().1.extend_from_slice(&bytes);
        Ok(())
    }
    fn finish(&mut self, _trailers: Option<HeaderMap>) {
        self.0.lock().unwrap().2 = true;
    }
    fn abort(&mut self, _why: &featherlight::Error) {}
}

fn incoming(method: Method, path: &str, headers: HeaderMap) -> IncomingRequest {
    let parts = Request::builder().method(method).uri(path).body(()).unwrap().into_parts().0;
    let mut request = IncomingRequest::from_parts(&parts, "http");
    request.headers = headers;
    request
}

#[test]
fn a_small_request_and_response_cost_one_exit() {
    let fixture = Fixture::new();
    let component = Component::from_file(&fixture.engine, HTTP_PROXY_WASM).unwrap();
    let mut sandbox = Sandbox::new(&component, &Linker::new()).unwrap();
    let snapshot = sandbox.snapshot().unwrap();
    for (method, path, body, expected) in [
        (Method::GET, "/hello", Bytes::new(), Bytes::from_static(b"hello, world\n")),
        (Method::POST, "/echo", pattern(1024), pattern(1024)),
        (Method::POST, "/echo", pattern(100_000), pattern(100_000)),
    ] {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_LENGTH, body.len().into());
        let captured = Captured::default();
        let io = HttpIo { body: Box::new(FullBody(body)), response: Box::new(captured.clone()), outgoing: None };
        let before = sandbox.vm_exits();
        sandbox.handle_http(&incoming(method, path, headers), io).unwrap();
        assert_eq!(sandbox.vm_exits() - before, 1, "{path}: one entry, one exit");
        let (status, got, finished) = captured.0.lock().unwrap().clone();
        assert_eq!((status, finished), (Some(200), true));
        assert!(got == expected, "{path}: wrong body");
        sandbox.restore(&snapshot).unwrap();
    }
    // A body past the inline size adds body and response exchanges.
    let captured = Captured::default();
    let body = pattern(4 << 20);
    let io = HttpIo { body: Box::new(FullBody(body.clone())), response: Box::new(captured.clone()), outgoing: None };
    let before = sandbox.vm_exits();
    sandbox.handle_http(&incoming(Method::POST, "/echo", HeaderMap::new()), io).unwrap();
    assert!(sandbox.vm_exits() - before > 1);
    assert!(captured.0.lock().unwrap().1 == body);
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
fn a_secret_is_gone_from_memory_after_the_restore() {
    let fixture = Fixture::new();
    let component = Component::from_file(&fixture.engine, HTTP_PROXY_WASM).unwrap();
    let mut sandbox = Sandbox::new(&component, &Linker::new()).unwrap();
    let snapshot = sandbox.snapshot().unwrap();
    let secret = b"featherlight-http-secret-5f3a9c1";
    let contains = |sandbox: &Sandbox| {
        let memory = featherlight::testing::linear_memory_contents(sandbox).unwrap();
        let scratch = featherlight::testing::scratch_contents(sandbox).unwrap();
        [memory, scratch].iter().any(|bytes| bytes.windows(secret.len()).any(|w| w == secret))
    };
    assert!(!contains(&sandbox));
    let captured = Captured::default();
    let io = HttpIo { body: Box::new(FullBody(Bytes::new())), response: Box::new(captured.clone()), outgoing: None };
    sandbox.handle_http(&incoming(Method::GET, "/secret", HeaderMap::new()), io).unwrap();
    assert!(contains(&sandbox), "the component wrote its secret");
    sandbox.restore(&snapshot).unwrap();
    assert!(!contains(&sandbox), "the restore left the secret in memory");
}
