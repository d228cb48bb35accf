//! The `wasi:http` messages this guest sends (`BodyRead`, `HttpResponse`
//! parts, `HttpOutgoingRequest`) and the host's answers, copied out of the
//! input buffer before anything else can overwrite it.

use super::fields::FieldList;
use crate::import_failure::channel_failure;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use featherlight_abi::fb;
use flatbuffers::{FlatBufferBuilder, ForwardsUOffset, Vector, WIPOffset};
use wasmtime::Result;

/// The most body bytes one message carries: [`featherlight_abi::http::INLINE_BODY`],
/// less when the message buffers are small, so a part or an answer takes
/// one exit.
pub fn inline_limit() -> usize {
    let params = featherlight_guest::boot_params();
    let buffer = featherlight_guest::guest_usize(params.input.size.min(params.output.size));
    featherlight_abi::http::INLINE_BODY.min(buffer / 2).max(4096)
}

pub fn fields<'a>(
    fbb: &mut FlatBufferBuilder<'a>,
    list: &FieldList,
) -> WIPOffset<Vector<'a, ForwardsUOffset<fb::HttpField<'a>>>> {
    let fields: Vec<_> = list
        .iter()
        .map(|(name, value)| {
            let name = fbb.create_string(name);
            let value = fbb.create_vector(value);
            fb::HttpField::create(fbb, &fb::HttpFieldArgs { name: Some(name), value: Some(value) })
        })
        .collect();
    fbb.create_vector(&fields)
}

/// Fields the host sent (names as it spelled them: it checked them).
pub fn field_list(fields: Option<Vector<'_, ForwardsUOffset<fb::HttpField<'_>>>>) -> FieldList {
    fields
        .iter()
        .flatten()
        .map(|f| (f.name().unwrap_or("").to_string(), f.value().map(|v| v.bytes().to_vec()).unwrap_or_default()))
        .collect()
}

/// Sends a finished guest message and receives the host's answer.
fn exchange(fbb: &FlatBufferBuilder<'_>, what: &str) -> Result<featherlight_guest::host::Received> {
    featherlight_guest::host::send(fbb.finished_data()).map_err(|e| channel_failure(&e, what))?;
    featherlight_guest::host::receive().map_err(|e| channel_failure(&e, what))
}

fn finish_guest(
    fbb: &mut FlatBufferBuilder<'_>,
    body_type: fb::GuestBody,
    body: WIPOffset<flatbuffers::UnionWIPOffset>,
) {
    let root = fb::GuestMessage::create(fbb, &fb::GuestMessageArgs { body_type, body: Some(body) });
    fbb.finish_size_prefixed(root, None);
}

fn unexpected(what: &str) -> wasmtime::Error {
    crate::import_failure::failure(fb::ErrorKind::Malformed, alloc::format!("the host did not answer {what}"))
}

/// What one `BodyRead` brought.
pub enum BodyData {
    Pending,
    Bytes(Vec<u8>),
    /// The end of the body, with its trailers (if it had any).
    End(Option<FieldList>),
    Failed(String),
}

/// One `BodyRead` exchange.
pub fn read_body(stream: u32, max_len: u64, wait_ns: u64) -> Result<BodyData> {
    let mut fbb = FlatBufferBuilder::with_capacity(64);
    let read = fb::BodyRead::create(&mut fbb, &fb::BodyReadArgs { stream, max_len, wait_ns });
    finish_guest(&mut fbb, fb::GuestBody::BodyRead, read.as_union_value());
    let received = exchange(&fbb, "reading a body")?;
    let message = received.open().map_err(|e| channel_failure(&e, "reading a body"))?;
    let data = message.body_as_body_data().ok_or_else(|| unexpected("a body read with body data"))?;
    Ok(match data.status() {
        fb::StdinStatus::Pending => BodyData::Pending,
        fb::StdinStatus::Ready => BodyData::Bytes(data.bytes().map(|b| b.bytes().to_vec()).unwrap_or_default()),
        fb::StdinStatus::Closed => BodyData::End(data.trailers().map(|t| field_list(Some(t)))),
        _ => BodyData::Failed(data.error().unwrap_or("reading the body failed").to_string()),
    })
}

/// One part of the component's response (see `HttpResponse` in the schema).
#[derive(Debug, Default)]
pub struct Part {
    pub head: Option<(u16, FieldList)>,
    pub body: Vec<u8>,
    pub end: bool,
    pub trailers: Option<FieldList>,
    pub error: Option<String>,
}

/// Builds `part` as an `HttpResponse` table in `fbb`.
pub fn response<'a>(fbb: &mut FlatBufferBuilder<'a>, part: &Part) -> WIPOffset<fb::HttpResponse<'a>> {
    let head = part.head.as_ref().map(|(status, headers)| {
        let headers = fields(fbb, headers);
        fb::HttpResponseHead::create(fbb, &fb::HttpResponseHeadArgs { status: *status, headers: Some(headers) })
    });
    let body = (!part.body.is_empty()).then(|| fbb.create_vector(&part.body));
    let trailers = part.trailers.as_ref().map(|t| fields(fbb, t));
    let error = part.error.as_deref().map(|e| fbb.create_string(e));
    fb::HttpResponse::create(fbb, &fb::HttpResponseArgs { head, body, end: part.end, trailers, error })
}

/// Sends a response part during the call: `true` when the host answers
/// that the client went away.
pub fn send_part(part: &Part) -> Result<bool> {
    let mut fbb = FlatBufferBuilder::with_capacity(part.body.len() + 1024);
    let response = response(&mut fbb, part);
    finish_guest(&mut fbb, fb::GuestBody::HttpResponse, response.as_union_value());
    let received = exchange(&fbb, "sending the response")?;
    let message = received.open().map_err(|e| channel_failure(&e, "sending the response"))?;
    let written = message.body_as_body_written().ok_or_else(|| unexpected("a response part with body-written"))?;
    Ok(written.closed())
}

/// An outgoing request as it travels.
pub struct OutgoingRequest<'r> {
    pub id: u32,
    pub method: &'r str,
    pub scheme: Option<&'r str>,
    pub authority: Option<&'r str>,
    pub path_with_query: Option<&'r str>,
    pub headers: &'r FieldList,
    pub body: &'r [u8],
    /// Connect, first-byte and between-bytes timeouts in ns (0: the host's).
    pub timeouts: [u64; 3],
}

/// The host's answer to an outgoing request.
pub enum IncomingResponse {
    Response {
        status: u16,
        headers: FieldList,
        body: Vec<u8>,
        body_end: bool,
    },
    /// `error` and `error_text` as the host sent them.
    Error(u8, Option<String>),
}

/// One `HttpOutgoingRequest` exchange: waits for the response's head.
pub fn send_request(request: &OutgoingRequest<'_>) -> Result<IncomingResponse> {
    let mut fbb = FlatBufferBuilder::with_capacity(request.body.len() + 1024);
    let method = fbb.create_string(request.method);
    let scheme = request.scheme.map(|s| fbb.create_string(s));
    let authority = request.authority.map(|s| fbb.create_string(s));
    let path_with_query = request.path_with_query.map(|s| fbb.create_string(s));
    let headers = fields(&mut fbb, request.headers);
    let body = fbb.create_vector(request.body);
    let http = fb::HttpRequest::create(
        &mut fbb,
        &fb::HttpRequestArgs {
            method: Some(method),
            scheme,
            authority,
            path_with_query,
            headers: Some(headers),
            body: Some(body),
            body_end: true,
            context: None,
        },
    );
    let [connect, first_byte, between_bytes] = request.timeouts;
    let outgoing = fb::HttpOutgoingRequest::create(
        &mut fbb,
        &fb::HttpOutgoingRequestArgs {
            id: request.id,
            request: Some(http),
            connect_timeout_ns: connect,
            first_byte_timeout_ns: first_byte,
            between_bytes_timeout_ns: between_bytes,
        },
    );
    finish_guest(&mut fbb, fb::GuestBody::HttpOutgoingRequest, outgoing.as_union_value());
    let received = exchange(&fbb, "sending an HTTP request")?;
    let message = received.open().map_err(|e| channel_failure(&e, "sending an HTTP request"))?;
    let response =
        message.body_as_http_incoming_response().ok_or_else(|| unexpected("an HTTP request with its response"))?;
    if response.error() != 0 {
        return Ok(IncomingResponse::Error(response.error(), response.error_text().map(ToString::to_string)));
    }
    Ok(IncomingResponse::Response {
        status: response.status(),
        headers: field_list(response.headers()),
        body: response.body().map(|b| b.bytes().to_vec()).unwrap_or_default(),
        body_end: response.body_end(),
    })
}
