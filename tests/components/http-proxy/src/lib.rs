//! A `wasi:http/proxy` component with one route per behaviour the tests and
//! the benchmark need:
//!
//! - `/hello`: `hello, world\n`
//! - `/echo`: the request body streamed back, with the request's content-type
//! - `/counter`: a `static` counter incremented per request (1 in a fresh instance)
//! - `/headers`: the method, path, query and headers as text
//! - `/status/N`: status N, empty body
//! - `/trap`: panics before setting a response
//! - `/trap-after`: sets the head, writes some body, then panics
//! - `/download?bytes=N`: N bytes of a pattern, written 64 KiB at a time
//! - `/fetch?url=U`: GETs `U` through `wasi:http/outgoing-handler`; the
//!   upstream's status and body, or 502 with the error code's debug text
//! - `/stdout`: prints a line to stdout and one to stderr
//! - `/sleep?ms=N`: waits N ms on the monotonic clock
//! - `/secret`: writes a secret into a static buffer; says whether it was already there
//! - `/misuse/CASE`: uses resources wrongly and reports (or traps on) what
//!   `wasi:http` answered: `double-consume`, `fields` (header errors),
//!   `content-length` (writing past, finishing short), `finish-with-stream`
//!   and `drop-body-with-stream` (trap: the stream is the body's child),
//!   `write-before-set` (more than the body takes before the response is
//!   set: waits forever in wasmtime, traps here)
//! - anything else: 404

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU32, Ordering};

use wasip2::exports::http::incoming_handler::Guest;
use wasip2::http::types::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingRequest, OutgoingResponse, ResponseOutparam, Scheme,
    http_error_code,
};
use wasip2::io::streams::StreamError;

struct Proxy;

wasip2::http::proxy::export!(Proxy);

/// Bytes of `/download` per write.
const CHUNK: usize = 64 * 1024;
/// What `/secret` leaves in memory; the tests look for it after a restore.
const SECRET: &[u8; 32] = b"featherlight-http-secret-5f3a9c1";

static COUNTER: AtomicU32 = AtomicU32::new(0);
static mut SECRET_SLOT: [u8; 32] = [0; 32];

impl Guest for Proxy {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let path_with_query = request.path_with_query().unwrap_or_default();
        let (path, query) = path_with_query.split_once('?').unwrap_or((&path_with_query, ""));
        match path {
            "/hello" => respond(out, 200, &[("content-type", b"text/plain")], b"hello, world\n"),
            "/echo" => echo(request, out),
            "/counter" => {
                let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
                respond(out, 200, &[], format!("{n}\n").as_bytes());
            }
            "/headers" => {
                let mut text = format!("method: {}\npath: {path}\nquery: {query}\n", method_name(&request.method()));
                for (name, value) in request.headers().entries() {
                    text.push_str(&format!("{name}: {}\n", String::from_utf8_lossy(&value)));
                }
                respond(out, 200, &[], text.as_bytes());
            }
            "/trap" => panic!("/trap asked for a trap"),
            "/trap-after" => {
                let (_body, mut stream) = start(out, 200, &[]);
                stream.write_all(b"partial body\n").expect("writing the body");
                panic!("/trap-after asked for a trap after the head");
            }
            "/download" => download(out, param(query, "bytes").and_then(|b| b.parse().ok()).unwrap_or(0)),
            "/fetch" => fetch(out, &param(query, "url").unwrap_or_default()),
            "/stdout" => {
                println!("a line on stdout");
                eprintln!("a line on stderr");
                respond(out, 200, &[], b"printed\n");
            }
            "/sleep" => {
                let ms: u64 = param(query, "ms").and_then(|m| m.parse().ok()).unwrap_or(0);
                wasip2::clocks::monotonic_clock::subscribe_duration(ms * 1_000_000).block();
                respond(out, 200, &[], format!("slept {ms} ms\n").as_bytes());
            }
            "/secret" => {
                let slot = &raw mut SECRET_SLOT;
                // SAFETY: one request at a time runs in this instance.
                let was_set = unsafe { std::ptr::read_volatile(slot) == *SECRET };
                // SAFETY: as above.
                unsafe { std::ptr::write_volatile(slot, *SECRET) };
                respond(out, 200, &[], format!("already set: {was_set}\n").as_bytes());
            }
            _ if path.starts_with("/misuse/") => misuse(request, out, &path["/misuse/".len()..]),
            _ => match path.strip_prefix("/status/").and_then(|n| n.parse::<u16>().ok()) {
                Some(status) => respond(out, status, &[], b""),
                None => respond(out, 404, &[], b"not found\n"),
            },
        }
    }
}

fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(name) => name.clone(),
    }
}

/// The value of `name` in a query string, percent-decoded.
fn param(query: &str, name: &str) -> Option<String> {
    let value = query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))?;
    let mut bytes = Vec::new();
    let mut rest = value.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        match (b, tail.get(..2).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())) {
            (b'%', Some(decoded)) => {
                bytes.push(decoded);
                rest = &tail[2..];
            }
            _ => {
                bytes.push(b);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).ok()
}

/// Sets a response with `status` and `headers` and returns its body and the
/// body's stream.
fn start(
    out: ResponseOutparam,
    status: u16,
    headers: &[(&str, &[u8])],
) -> (OutgoingBody, wasip2::io::streams::OutputStream) {
    let fields =
        Fields::from_list(&headers.iter().map(|(name, value)| (name.to_string(), value.to_vec())).collect::<Vec<_>>())
            .expect("valid headers");
    let response = OutgoingResponse::new(fields);
    response.set_status_code(status).expect("a valid status");
    let body = response.body().expect("the response's body");
    let stream = body.write().expect("the body's stream");
    ResponseOutparam::set(out, Ok(response));
    (body, stream)
}

fn respond(out: ResponseOutparam, status: u16, headers: &[(&str, &[u8])], body: &[u8]) {
    let (outgoing, mut stream) = start(out, status, headers);
    stream.write_all(body).expect("writing the body");
    drop(stream);
    OutgoingBody::finish(outgoing, None).expect("finishing the body");
}

fn echo(request: IncomingRequest, out: ResponseOutparam) {
    let content_type = request.headers().get("content-type");
    let headers: Vec<(&str, &[u8])> = content_type.iter().map(|v| ("content-type", v.as_slice())).collect();
    let incoming = request.consume().expect("the request body");
    let mut input = incoming.stream().expect("the request body's stream");
    let (outgoing, mut output) = start(out, 200, &headers);
    let mut buffer = vec![0; CHUNK];
    loop {
        let n = Read::read(&mut input, &mut buffer).expect("reading the request body");
        if n == 0 {
            break;
        }
        output.write_all(&buffer[..n]).expect("writing the body");
    }
    drop((input, output));
    OutgoingBody::finish(outgoing, None).expect("finishing the body");
}

fn download(out: ResponseOutparam, bytes: u64) {
    let length = bytes.to_string();
    let (outgoing, mut stream) = start(out, 200, &[("content-length", length.as_bytes())]);
    let pattern: Vec<u8> = (0..CHUNK).map(|i| b'a' + (i % 26) as u8).collect();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(CHUNK as u64) as usize;
        stream.write_all(&pattern[..n]).expect("writing the body");
        left -= n as u64;
    }
    drop(stream);
    OutgoingBody::finish(outgoing, None).expect("finishing the body");
}

fn fetch(out: ResponseOutparam, url: &str) {
    match get(url) {
        Ok((status, body)) => respond(out, status, &[], &body),
        Err(error) => respond(out, 502, &[], format!("{error}\n").as_bytes()),
    }
}

/// GETs `url` (`http://authority/path` or `https://...`): status and body.
fn get(url: &str) -> Result<(u16, Vec<u8>), String> {
    let (scheme, rest) = match url.split_once("://") {
        Some(("http", rest)) => (Scheme::Http, rest),
        Some(("https", rest)) => (Scheme::Https, rest),
        _ => return Err(format!("not an http(s) URL: {url:?}")),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let request = OutgoingRequest::new(Fields::new());
    request.set_scheme(Some(&scheme)).map_err(|()| "invalid scheme".to_string())?;
    request.set_authority(Some(authority)).map_err(|()| "invalid authority".to_string())?;
    request.set_path_with_query(Some(path)).map_err(|()| "invalid path".to_string())?;
    let future = wasip2::http::outgoing_handler::handle(request, None).map_err(|e| format!("{e:?}"))?;
    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(e))) => return Err(format!("{e:?}")),
        other => return Err(format!("no response: {other:?}")),
    };
    let status = response.status();
    let body = response.consume().map_err(|()| "the response body was taken".to_string())?;
    let mut bytes = Vec::new();
    body.stream()
        .map_err(|()| "the response body's stream was taken".to_string())?
        .read_to_end(&mut bytes)
        .map_err(|e| format!("reading the response body: {e}"))?;
    Ok((status, bytes))
}

/// Misuses `wasi:http` resources as `case` says; what the calls answered
/// becomes the body.
fn misuse(request: IncomingRequest, out: ResponseOutparam, case: &str) {
    let mut report = String::new();
    match case {
        "double-consume" => {
            let first = request.consume();
            let second = request.consume();
            report = format!("first: {}, second: {}\n", first.is_ok(), second.is_ok());
        }
        "fields" => {
            let list = |entries: &[(&str, &[u8])]| {
                Fields::from_list(&entries.iter().map(|(n, v)| (n.to_string(), v.to_vec())).collect::<Vec<_>>())
                    .map(|_| ())
            };
            report.push_str(&format!("from-list host: {:?}\n", list(&[("host", b"x")])));
            report.push_str(&format!("from-list bad name: {:?}\n", list(&[("a b", b"x")])));
            report.push_str(&format!("from-list bad value: {:?}\n", list(&[("a", b"x\ny")])));
            report.push_str(&format!("from-list length: {:?}\n", list(&[("content-length", b"+5")])));
            let fields = Fields::new();
            report.push_str(&format!("append: {:?}\n", fields.append("X-Up", b"1")));
            report.push_str(&format!("set: {:?}\n", fields.set("x-two", &[b"a".to_vec(), b"b".to_vec()])));
            report.push_str(&format!("delete forbidden: {:?}\n", fields.delete("connection")));
            report.push_str(&format!("entries: {:?}\n", fields.entries()));
            report.push_str(&format!("get X-UP: {:?}, has bad: {}\n", fields.get("X-UP"), fields.has("a b")));
            let response = OutgoingResponse::new(fields);
            let headers = response.headers();
            report.push_str(&format!("immutable set: {:?}\n", headers.set("x-three", &[b"c".to_vec()])));
            report.push_str(&format!("immutable append bad: {:?}\n", headers.append("x", b"\0")));
            report.push_str(&format!("immutable delete host: {:?}\n", headers.delete("host")));
            report.push_str(&format!("clone set: {:?}\n", headers.clone().set("x-three", &[b"c".to_vec()])));
            report.push_str(&format!("request headers set: {:?}\n", request.headers().set("x", &[])));
            report.push_str(&format!("status 1000: {:?}\n", response.set_status_code(1000)));
        }
        "content-length" => {
            let response = OutgoingResponse::new(
                Fields::from_list(&[("content-length".to_string(), b"5".to_vec())]).expect("valid"),
            );
            let body = response.body().expect("a body");
            let stream = body.write().expect("a stream");
            let code = |e: StreamError| match e {
                StreamError::LastOperationFailed(e) => format!("{:?}", http_error_code(&e)),
                StreamError::Closed => "closed".to_string(),
            };
            report.push_str(&format!("write 3: {:?}\n", stream.write(b"abc").map_err(code)));
            report.push_str(&format!("write 4 more: {:?}\n", stream.write(b"defg").map_err(code)));
            drop(stream);
            report.push_str(&format!("finish: {:?}\n", OutgoingBody::finish(body, None)));
            let short = OutgoingResponse::new(
                Fields::from_list(&[("content-length".to_string(), b"5".to_vec())]).expect("valid"),
            );
            let body = short.body().expect("a body");
            report.push_str(&format!("second body: {:?}\n", short.body().is_ok()));
            report.push_str(&format!("finish short: {:?}\n", OutgoingBody::finish(body, None)));
        }
        "finish-with-stream" => {
            let (body, stream) = start(out, 200, &[]);
            OutgoingBody::finish(body, None).expect("finishing");
            drop(stream);
            return;
        }
        "drop-body-with-stream" => {
            let body = request.consume().expect("the body");
            let stream = body.stream().expect("its stream");
            drop(body);
            drop(stream);
        }
        "write-before-set" => {
            let response = OutgoingResponse::new(Fields::new());
            let body = response.body().expect("a body");
            let mut stream = body.write().expect("a stream");
            stream.write_all(&vec![b'x'; 4 * 1024 * 1024]).expect("writing");
            drop(stream);
            ResponseOutparam::set(out, Ok(response));
            OutgoingBody::finish(body, None).expect("finishing");
            return;
        }
        _ => report.push_str("no such case\n"),
    }
    respond(out, 200, &[], report.as_bytes());
}
