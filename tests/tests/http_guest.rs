//! The guest's `wasi:http` on real KVM, one request at a time through
//! `Sandbox::handle_http` (no sockets): the `http-proxy` component's routes,
//! bodies that fit the messages and bodies that stream in parts, traps,
//! outgoing requests denied and allowed, and restores between requests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use featherlight::http::{
    BodyChunk, BodySource, ClientGone, ErrorCode, FullBody, HttpIo, IncomingRequest, OutgoingError, OutgoingHttp,
    OutgoingHttpRequest, ResponseHead, ResponseSink,
};
use featherlight::{Error, Linker, Sandbox, WasiConfig};
use featherlight_tests::{Fixture, HTTP_PROXY_WASM};

/// What a response sink saw.
#[derive(Debug, Default)]
struct Seen {
    head: Option<ResponseHead>,
    body: Vec<u8>,
    /// How many `data` calls (response parts with bytes).
    parts: usize,
    finished: bool,
    aborted: bool,
}

#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Seen>>);

impl ResponseSink for Collect {
    fn head(&mut self, head: ResponseHead) {
        self.0.lock().unwrap().head = Some(head);
    }
    fn data(&mut self, bytes: Bytes) -> Result<(), ClientGone> {
        let mut seen = self.0.lock().unwrap();
        seen.body.extend_from_slice(&bytes);
        seen.parts += 1;
        Ok(())
    }
    fn finish(&mut self, _trailers: Option<http::HeaderMap>) {
        self.0.lock().unwrap().finished = true;
    }
    fn abort(&mut self, _why: &Error) {
        self.0.lock().unwrap().aborted = true;
    }
}

/// A body that arrives in `chunk`-byte pieces.
struct Chunked {
    left: Vec<u8>,
    chunk: usize,
}

impl BodySource for Chunked {
    fn read(&mut self, max_len: usize, _wait: Duration) -> BodyChunk {
        if self.left.is_empty() {
            return BodyChunk::End(None);
        }
        let n = max_len.min(self.chunk).min(self.left.len());
        BodyChunk::Data(Bytes::from(self.left.drain(..n).collect::<Vec<u8>>()))
    }
}

/// Answers every outgoing request with 203 and the request's path.
struct Upstream;

impl OutgoingHttp for Upstream {
    fn send(&self, request: OutgoingHttpRequest<'_>) -> Result<(ResponseHead, Box<dyn BodySource>), OutgoingError> {
        let path = request.path_with_query.to_string();
        let head =
            ResponseHead { status: http::StatusCode::NON_AUTHORITATIVE_INFORMATION, headers: Default::default() };
        Ok((head, Box::new(FullBody(Bytes::from(format!("upstream saw {path}"))))))
    }
}

fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> IncomingRequest {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        map.append(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
    }
    IncomingRequest {
        method: method.parse().unwrap(),
        scheme: Some("http".into()),
        authority: Some("localhost:8080".into()),
        path_with_query: path.into(),
        headers: map,
    }
}

struct Server {
    sandbox: Sandbox,
    outgoing: Option<Arc<dyn OutgoingHttp>>,
}

impl Server {
    fn new(fixture: &Fixture) -> Self {
        let mut linker = Linker::new();
        linker.wasi(WasiConfig::new());
        let sandbox = Sandbox::new(&fixture.load(HTTP_PROXY_WASM), &linker).expect("instantiate");
        Self { sandbox, outgoing: None }
    }

    fn send(&mut self, request: &IncomingRequest, body: Box<dyn BodySource>) -> (Result<(), Error>, Seen) {
        let seen = Collect::default();
        let io = HttpIo { body, response: Box::new(seen.clone()), outgoing: self.outgoing.clone() };
        let outcome = self.sandbox.handle_http(request, io).map(|_| ());
        let seen = std::mem::take(&mut *seen.0.lock().unwrap());
        (outcome, seen)
    }

    fn get(&mut self, path: &str) -> (Result<(), Error>, Seen) {
        self.send(&request("GET", path, &[]), Box::new(FullBody::default()))
    }
}

fn status(seen: &Seen) -> u16 {
    seen.head.as_ref().expect("a response head").status.as_u16()
}

#[test]
fn small_routes_answer_like_the_component_says() {
    let fixture = Fixture::new();
    let mut server = Server::new(&fixture);
    let (outcome, seen) = server.get("/hello");
    outcome.expect("hello");
    assert_eq!(status(&seen), 200);
    assert_eq!(seen.body, b"hello, world\n");
    assert!(seen.finished);
    assert_eq!(seen.head.as_ref().unwrap().headers.get("content-type").unwrap(), "text/plain");

    let (outcome, seen) = server.get("/status/418");
    outcome.expect("status");
    assert_eq!(status(&seen), 418);
    assert!(seen.body.is_empty());

    let (outcome, seen) = server.get("/nowhere");
    outcome.expect("404");
    assert_eq!(status(&seen), 404);

    let req = request(
        "PUT",
        "/headers?a=1&b=2",
        &[("x-one", "1"), ("x-two", "2"), ("host", "example"), ("connection", "close")],
    );
    let (outcome, seen) = server.send(&req, Box::new(FullBody::default()));
    outcome.expect("headers");
    let text = String::from_utf8(seen.body).unwrap();
    assert!(text.starts_with("method: PUT\npath: /headers\nquery: a=1&b=2\n"), "{text}");
    assert!(text.contains("x-one: 1\n") && text.contains("x-two: 2\n"), "{text}");
    // Hop-by-hop headers never reach the component, as in wasmtime.
    assert!(!text.contains("host:") && !text.contains("connection:"), "{text}");
}

#[test]
fn bodies_stream_both_ways_in_parts() {
    let fixture = Fixture::new();
    let mut server = Server::new(&fixture);
    // Small: all of it in the call and the result.
    let req = request("POST", "/echo", &[("content-type", "application/x-test")]);
    let (outcome, seen) = server.send(&req, Box::new(FullBody(Bytes::from_static(b"ping"))));
    outcome.expect("small echo");
    assert_eq!(seen.body, b"ping");
    assert_eq!(seen.head.as_ref().unwrap().headers.get("content-type").unwrap(), "application/x-test");
    assert_eq!(seen.parts, 1);

    // 3 MiB arriving in 100 KiB pieces: read with BodyRead, answered in parts.
    let body: Vec<u8> = (0..3 * 1024 * 1024).map(|i: u32| (i % 251) as u8).collect();
    let (outcome, seen) = server.send(&req, Box::new(Chunked { left: body.clone(), chunk: 100 * 1024 }));
    outcome.expect("large echo");
    assert_eq!(seen.body.len(), body.len());
    assert!(seen.body == body, "the echoed body differs");
    assert!(seen.parts > 1);

    let (outcome, seen) = server.get("/download?bytes=5000000");
    outcome.expect("download");
    assert_eq!(seen.body.len(), 5_000_000);
    assert!(seen.body.iter().enumerate().all(|(i, &b)| b == b'a' + (i % 65536 % 26) as u8));
    assert!(seen.parts >= 5_000_000 / (256 * 1024));
    assert!(seen.finished);
}

#[test]
fn traps_abort_the_response_and_restore_serves_on() {
    let fixture = Fixture::new();
    let mut server = Server::new(&fixture);
    let snapshot = server.sandbox.snapshot().expect("snapshot");

    let (outcome, seen) = server.get("/trap");
    assert!(outcome.is_err());
    assert!(seen.head.is_none() && seen.aborted);

    server.sandbox.restore(&snapshot).expect("restore");
    let (outcome, seen) = server.get("/trap-after");
    assert!(outcome.is_err());
    assert_eq!(status(&seen), 200);
    assert!(seen.aborted && !seen.finished);

    server.sandbox.restore(&snapshot).expect("restore");
    for _ in 0..3 {
        let (outcome, seen) = server.get("/counter");
        outcome.expect("counter");
        assert_eq!(seen.body, b"1\n");
        server.sandbox.restore(&snapshot).expect("restore");
    }
    // Without a restore the instance keeps its state, as wasmtime's would.
    server.get("/counter").0.expect("counter");
    assert_eq!(server.get("/counter").1.body, b"2\n");
}

#[test]
fn outgoing_requests_are_denied_unless_allowed() {
    let fixture = Fixture::new();
    let mut server = Server::new(&fixture);
    let (outcome, seen) = server.get("/fetch?url=http://upstream.test/x");
    outcome.expect("denied fetch");
    assert_eq!(status(&seen), 502);
    assert_eq!(seen.body, b"ErrorCode::HttpRequestDenied\n");
    assert_eq!(ErrorCode::HttpRequestDenied.wire(), 16);

    server.outgoing = Some(Arc::new(Upstream));
    let (outcome, seen) = server.get("/fetch?url=http://upstream.test/x%3Fy");
    outcome.expect("allowed fetch");
    assert_eq!(status(&seen), 203);
    assert_eq!(seen.body, b"upstream saw /x?y");
}

#[test]
fn stdout_and_sleep_work_inside_a_request() {
    let fixture = Fixture::new();
    let mut server = Server::new(&fixture);
    let (outcome, seen) = server.get("/stdout");
    outcome.expect("stdout");
    assert_eq!(seen.body, b"printed\n");
    let (outcome, seen) = server.get("/sleep?ms=20");
    outcome.expect("sleep");
    assert_eq!(seen.body, b"slept 20 ms\n");
}

#[test]
fn a_small_request_costs_one_exit() {
    let fixture = Fixture::new();
    let mut server = Server::new(&fixture);
    let echo = request("POST", "/echo", &[("content-type", "text/plain")]);
    for path in ["/hello", "/counter", "/status/204", "/headers?x=1", "/echo"] {
        let before = server.sandbox.vm_exits();
        let (outcome, seen) = if path == "/echo" {
            server.send(&echo, Box::new(FullBody(Bytes::from(vec![7u8; 100 * 1024]))))
        } else {
            server.get(path)
        };
        outcome.expect(path);
        assert!(seen.finished, "{path}");
        assert_eq!(server.sandbox.vm_exits() - before, 1, "{path}: one entry, one exit");
    }
    // A body past what one message carries takes a few more.
    let before = server.sandbox.vm_exits();
    let (outcome, seen) = server.send(&echo, Box::new(FullBody(Bytes::from(vec![7u8; 1024 * 1024]))));
    outcome.expect("1 MiB echo");
    assert_eq!(seen.body.len(), 1024 * 1024);
    let exits = server.sandbox.vm_exits() - before;
    assert!((2..=12).contains(&exits), "a 1 MiB echo took {exits} exits");
}

#[test]
fn misused_resources_get_wasmtimes_errors() {
    let fixture = Fixture::new();
    let mut server = Server::new(&fixture);
    let snapshot = server.sandbox.snapshot().expect("snapshot");
    let text = |server: &mut Server, case: &str| {
        let (outcome, seen) = server.get(&format!("/misuse/{case}"));
        outcome.unwrap_or_else(|e| panic!("{case}: {e}"));
        String::from_utf8(seen.body).unwrap()
    };
    assert_eq!(text(&mut server, "double-consume"), "first: true, second: false\n");
    let fields = text(&mut server, "fields");
    for line in [
        "from-list host: Err(HeaderError::Forbidden)",
        "from-list bad name: Err(HeaderError::InvalidSyntax)",
        "from-list bad value: Err(HeaderError::InvalidSyntax)",
        "from-list length: Err(HeaderError::InvalidSyntax)",
        "append: Ok(())",
        "set: Ok(())",
        "delete forbidden: Err(HeaderError::Forbidden)",
        "entries: [(\"x-up\", [49]), (\"x-two\", [97]), (\"x-two\", [98])]",
        "get X-UP: [[49]], has bad: false",
        "immutable set: Err(HeaderError::Immutable)",
        "immutable append bad: Err(HeaderError::InvalidSyntax)",
        "immutable delete host: Err(HeaderError::Forbidden)",
        "clone set: Ok(())",
        "request headers set: Err(HeaderError::Immutable)",
        "status 1000: Err(())",
    ] {
        assert!(fields.lines().any(|l| l == line), "missing {line:?} in\n{fields}");
    }
    let length = text(&mut server, "content-length");
    for line in [
        "write 3: Ok(())",
        "write 4 more: Err(\"Some(ErrorCode::HttpResponseBodySize(Some(7)))\")",
        "finish: Err(ErrorCode::HttpResponseBodySize(Some(7)))",
        "second body: false",
        "finish short: Err(ErrorCode::HttpResponseBodySize(Some(0)))",
    ] {
        assert!(length.lines().any(|l| l == line), "missing {line:?} in\n{length}");
    }
    // wasmtime traps on these ("resource has children"; a write that can
    // never drain); the guest runtime neither panics nor hangs.
    for case in ["finish-with-stream", "drop-body-with-stream", "write-before-set"] {
        server.sandbox.restore(&snapshot).expect("restore");
        let (outcome, _) = server.get(&format!("/misuse/{case}"));
        let error = outcome.expect_err(case);
        assert!(matches!(error, Error::Trap { .. }), "{case}: {error:?}");
        server.sandbox.restore(&snapshot).expect("restore");
        assert_eq!(server.get("/hello").1.body, b"hello, world\n");
    }
}
