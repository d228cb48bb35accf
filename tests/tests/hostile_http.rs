//! A hostile guest (`guest-runtime/hostile/src/http.rs`) breaks the
//! `wasi:http` exchange in every way the protocol allows: each request ends
//! in a typed error, the response sink is aborted (a 500 from the server),
//! and a restore serves again. The host never panics or hangs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use featherlight::http::{
    ClientGone, EmptyBody, HttpCallStats, HttpError, HttpIo, IncomingRequest, ResponseHead, ResponseSink,
};
use featherlight::{Component, Error, Malformed, Sandbox, Snapshot};

#[path = "support/hostile.rs"]
#[allow(dead_code, reason = "this binary uses only the fixture's engine, linker and component builder")]
mod support;
use support::{component_bytes, engine_with_timeout, linker};

/// The hostile guest pretends to be a `wasi:http` proxy: the host only
/// checks the export's name.
const WORLD: &str = "package test:hostile-http;
package wasi:http@0.2.12 {
  interface incoming-handler {
    handle: func();
  }
}
world hostile {
  export wasi:http/incoming-handler@0.2.12;
  export echo: func(x: u32) -> u32;
}";

#[derive(Debug, Default)]
struct Seen {
    head: bool,
    body: Vec<u8>,
    finished: bool,
    aborted: bool,
}

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Seen>>);

impl ResponseSink for Sink {
    fn head(&mut self, _head: ResponseHead) {
        self.0.lock().unwrap().head = true;
    }
    fn data(&mut self, bytes: Bytes) -> Result<(), ClientGone> {
        self.0.lock().unwrap().body.extend_from_slice(&bytes);
        Ok(())
    }
    fn finish(&mut self, _trailers: Option<http::HeaderMap>) {
        self.0.lock().unwrap().finished = true;
    }
    fn abort(&mut self, _why: &Error) {
        self.0.lock().unwrap().aborted = true;
    }
}

struct Server {
    sandbox: Sandbox,
    snapshot: Arc<Snapshot>,
}

impl Server {
    fn new(call_timeout: Duration) -> Self {
        let component = Component::new(&engine_with_timeout(call_timeout), &component_bytes(WORLD)).expect("compile");
        let mut sandbox = Sandbox::new(&component, &linker()).expect("the hostile guest boots");
        let snapshot = sandbox.snapshot().expect("snapshot");
        Self { sandbox, snapshot }
    }

    fn get(&mut self, path: &str) -> (Result<HttpCallStats, Error>, Seen) {
        let request = IncomingRequest {
            method: http::Method::GET,
            scheme: Some("http".into()),
            authority: Some("localhost".into()),
            path_with_query: path.into(),
            headers: http::HeaderMap::new(),
        };
        let sink = Sink::default();
        let io = HttpIo { body: Box::new(EmptyBody), response: Box::new(sink.clone()), outgoing: None };
        let outcome = self.sandbox.handle_http(&request, io);
        let seen = std::mem::take(&mut *sink.0.lock().unwrap());
        (outcome, seen)
    }

    #[track_caller]
    fn assert_serves(&mut self) {
        let (outcome, seen) = self.get("/ok");
        outcome.expect("the control case");
        assert!(seen.head && seen.finished && !seen.aborted);
        assert_eq!(seen.body, b"ok");
    }
}

#[test]
fn every_broken_exchange_is_a_typed_error_and_a_restore_serves_again() {
    let mut server = Server::new(Duration::from_secs(20));
    server.assert_serves();
    let sequence = |e: &Error| matches!(e, Error::Malformed(Malformed::HttpSequence(_)));
    let field = |e: &Error| matches!(e, Error::Malformed(Malformed::HttpField { .. }));
    // Path, the error it must give, whether it poisons the sandbox.
    type Case<'a> = (&'a str, &'a dyn Fn(&Error) -> bool, bool);
    let cases: [Case<'_>; 10] = [
        ("/no-response", &|e| matches!(e, Error::Http(HttpError::NoResponse)), false),
        ("/two-heads", &sequence, true),
        ("/after-end", &sequence, true),
        ("/body-before-head", &sequence, true),
        ("/bad-status", &field, true),
        ("/bad-header", &field, true),
        ("/early-trailers", &sequence, true),
        ("/error-after-head", &sequence, true),
        ("/read-unknown-stream", &sequence, true),
        ("/unsent-outgoing-id", &sequence, true),
    ];
    for (path, expected, poisons) in cases {
        let (outcome, seen) = server.get(path);
        let error = outcome.expect_err(path);
        assert!(expected(&error), "{path}: unexpected error {error:?}");
        // (`/after-end` had ended its body before it broke the exchange.)
        assert!(seen.aborted, "{path}: the response was not aborted: {seen:?}");
        assert!(!seen.finished || path == "/after-end", "{path}: {seen:?}");
        assert_eq!(server.sandbox.is_poisoned(), poisons, "{path}: poisoned?");
        server.sandbox.restore(&server.snapshot).expect("restore");
        server.assert_serves();
    }
}

#[test]
fn floods_of_parts_or_reads_end_at_the_deadline() {
    let mut server = Server::new(Duration::from_millis(300));
    server.assert_serves();
    let (outcome, seen) = server.get("/flood");
    let error = outcome.expect_err("flood");
    assert!(matches!(error, Error::DeadlineExceeded { .. }), "{error:?}");
    assert!(seen.head && seen.aborted && !seen.finished);
    assert!(!seen.body.is_empty());
    server.sandbox.restore(&server.snapshot).expect("restore");
    server.assert_serves();

    let (outcome, seen) = server.get("/read-flood");
    let error = outcome.expect_err("read flood");
    assert!(matches!(error, Error::DeadlineExceeded { .. }), "{error:?}");
    assert!(seen.aborted && !seen.head);
    server.sandbox.restore(&server.snapshot).expect("restore");
    server.assert_serves();
}
