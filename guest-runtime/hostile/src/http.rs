//! Misbehaving `wasi:http` handlers: the host sends an `HttpRequest` and the
//! guest answers by breaking the exchange as its path names. The host must
//! end each with a typed error (and abort the response), never a panic.
//!
//! - `/ok`: a well-formed `200 ok` in the result (the control case)
//! - `/no-response`: a result without a response
//! - `/two-heads`: a head in a part, another in the result
//! - `/after-end`: a part that ends the body, then more body in the result
//! - `/body-before-head`: body bytes in a part before any head
//! - `/bad-status`: status 1000
//! - `/bad-header`: a header value with a newline
//! - `/early-trailers`: trailers in a part that does not end the body
//! - `/error-after-head`: a head, then an error code instead of the rest
//! - `/read-unknown-stream`: a `BodyRead` of a body that does not exist
//! - `/unsent-outgoing-id`: an outgoing request numbered 0 (the request's body)
//! - `/flood`: small response parts forever (the call's deadline ends it)
//! - `/read-flood`: reads of the request's ended body forever (the same)

use crate::messages;
use alloc::vec::Vec;
use featherlight_abi::fb;
use featherlight_guest::host;
use flatbuffers::FlatBufferBuilder;

/// One response part, as the guest would build it.
#[derive(Default)]
struct Part<'a> {
    status: Option<u16>,
    header: Option<(&'a str, &'a [u8])>,
    body: &'a [u8],
    end: bool,
    trailers: bool,
    error: Option<&'a str>,
}

fn response<'a>(fbb: &mut FlatBufferBuilder<'a>, part: &Part<'_>) -> flatbuffers::WIPOffset<fb::HttpResponse<'a>> {
    let head = part.status.map(|status| {
        let headers: Vec<_> = part
            .header
            .iter()
            .map(|(name, value)| {
                let name = fbb.create_string(name);
                let value = fbb.create_vector(value);
                fb::HttpField::create(fbb, &fb::HttpFieldArgs { name: Some(name), value: Some(value) })
            })
            .collect();
        let headers = fbb.create_vector(&headers);
        fb::HttpResponseHead::create(fbb, &fb::HttpResponseHeadArgs { status, headers: Some(headers) })
    });
    let trailers = part.trailers.then(|| {
        let name = fbb.create_string("x-trailer");
        let value = fbb.create_vector(b"1");
        let field = fb::HttpField::create(fbb, &fb::HttpFieldArgs { name: Some(name), value: Some(value) });
        fbb.create_vector(&[field])
    });
    let body = fbb.create_vector(part.body);
    let error = part.error.map(|e| fbb.create_string(e));
    fb::HttpResponse::create(fbb, &fb::HttpResponseArgs { head, body: Some(body), end: part.end, trailers, error })
}

/// The call's result carrying `part` (none: no response).
fn result(part: Option<&Part<'_>>) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let http_response = part.map(|p| response(&mut fbb, p));
    let body = fb::FunctionCallResult::create(
        &mut fbb,
        &fb::FunctionCallResultArgs { results: None, error: None, http_response },
    );
    messages::finish(fbb, fb::GuestBody::FunctionCallResult, body.as_union_value())
}

/// Sends `message` during the call and waits for the host's answer.
fn exchange(message: &[u8]) {
    if host::send(message).is_err() {
        featherlight_guest::exceptions::fatal();
    }
    // The answer does not matter; a host that stopped answering never resumes us.
    let _ = host::receive();
}

/// Sends `part` during the call (the host answers `BodyWritten`).
fn send_part(part: &Part<'_>) {
    let mut fbb = FlatBufferBuilder::new();
    let body = response(&mut fbb, part);
    exchange(&messages::finish(fbb, fb::GuestBody::HttpResponse, body.as_union_value()));
}

/// Answers the `HttpRequest` for `path`.
pub fn misbehave(path: &str) -> Vec<u8> {
    let head = Part { status: Some(200), ..Part::default() };
    match path {
        "/ok" => result(Some(&Part { status: Some(200), body: b"ok", end: true, ..Part::default() })),
        "/no-response" => result(None),
        "/two-heads" => {
            send_part(&head);
            result(Some(&Part { status: Some(201), end: true, ..Part::default() }))
        }
        "/after-end" => {
            send_part(&Part { status: Some(200), body: b"all", end: true, ..Part::default() });
            result(Some(&Part { body: b"more", end: true, ..Part::default() }))
        }
        "/body-before-head" => {
            send_part(&Part { body: b"headless", ..Part::default() });
            result(Some(&Part { status: Some(200), end: true, ..Part::default() }))
        }
        "/bad-status" => result(Some(&Part { status: Some(1000), end: true, ..Part::default() })),
        "/bad-header" => result(Some(&Part {
            status: Some(200),
            header: Some(("x-split", b"a\r\nset-cookie: b")),
            end: true,
            ..Part::default()
        })),
        "/early-trailers" => result(Some(&Part { status: Some(200), trailers: true, ..Part::default() })),
        "/error-after-head" => {
            send_part(&head);
            result(Some(&Part { error: Some("ErrorCode::InternalError(None)"), ..Part::default() }))
        }
        "/read-unknown-stream" => {
            let mut fbb = FlatBufferBuilder::new();
            let read = fb::BodyRead::create(&mut fbb, &fb::BodyReadArgs { stream: 99, max_len: 1024, wait_ns: 0 });
            exchange(&messages::finish(fbb, fb::GuestBody::BodyRead, read.as_union_value()));
            result(Some(&Part { status: Some(200), end: true, ..Part::default() }))
        }
        "/unsent-outgoing-id" => {
            let mut fbb = FlatBufferBuilder::new();
            let method = fbb.create_string("GET");
            let authority = fbb.create_string("example.com");
            let path = fbb.create_string("/");
            let request = fb::HttpRequest::create(
                &mut fbb,
                &fb::HttpRequestArgs {
                    method: Some(method),
                    authority: Some(authority),
                    path_with_query: Some(path),
                    body_end: true,
                    ..Default::default()
                },
            );
            let outgoing = fb::HttpOutgoingRequest::create(
                &mut fbb,
                &fb::HttpOutgoingRequestArgs { id: 0, request: Some(request), ..Default::default() },
            );
            exchange(&messages::finish(fbb, fb::GuestBody::HttpOutgoingRequest, outgoing.as_union_value()));
            result(Some(&Part { status: Some(200), end: true, ..Part::default() }))
        }
        "/flood" => {
            send_part(&head);
            loop {
                send_part(&Part { body: b"x", ..Part::default() });
            }
        }
        "/read-flood" => loop {
            let mut fbb = FlatBufferBuilder::new();
            let read = fb::BodyRead::create(&mut fbb, &fb::BodyReadArgs { stream: 0, max_len: 1 << 20, wait_ns: 0 });
            exchange(&messages::finish(fbb, fb::GuestBody::BodyRead, read.as_union_value()));
        },
        _ => messages::error(fb::ErrorKind::Other, "no such hostile HTTP case"),
    }
}
