//! `wasi:http` on the wire: the host encodes requests and header fields, and
//! decodes the guest's response parts and outgoing requests, checking every
//! status code, method, name and value with the `http` crate's rules (the
//! guest chose them all).

use crate::malformed::Malformed;
use featherlight_abi::fb;
use flatbuffers::{FlatBufferBuilder, ForwardsUOffset, Vector, WIPOffset};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use std::time::Duration;

/// The guest reads a body (`BodyRead`; every field unchecked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyRead {
    /// [`featherlight_abi::http::REQUEST_BODY`] or an outgoing request's id.
    pub stream: u32,
    /// At most this many bytes.
    pub max_len: u64,
    /// How long to wait for the first byte, in nanoseconds (`u64::MAX`:
    /// until one arrives or the body ends).
    pub wait_ns: u64,
}

/// A response's status and header fields, checked.
#[derive(Debug, Clone)]
pub struct ResponseHead {
    /// The status code (100–999, as `http` accepts).
    pub status: StatusCode,
    /// The header fields, in the order sent.
    pub headers: HeaderMap,
}

/// One part of the component's response, checked.
#[derive(Debug)]
pub struct ResponsePart<'a> {
    /// The status and headers: in the first part only.
    pub head: Option<ResponseHead>,
    /// Body bytes written since the last part.
    pub body: &'a [u8],
    /// The component finished the body.
    pub end: bool,
    /// Trailers sent with the end.
    pub trailers: Option<HeaderMap>,
    /// The component answered with this error code (debug text) instead of
    /// a response.
    pub error: Option<&'a str>,
}

/// A request the component makes through `wasi:http/outgoing-handler`,
/// checked.
#[derive(Debug)]
pub struct OutgoingRequest<'a> {
    /// The guest's number for the response's body.
    pub id: u32,
    /// The method.
    pub method: Method,
    /// `http`, `https` or another scheme; `None` as the component left it.
    pub scheme: Option<&'a str>,
    /// `host[:port]`.
    pub authority: Option<&'a str>,
    /// Path and query (`/` when the component set none).
    pub path_with_query: &'a str,
    /// The header fields.
    pub headers: HeaderMap,
    /// The whole body (the guest buffers it).
    pub body: &'a [u8],
    /// Time limits the component chose (`None`: the host's default).
    pub connect_timeout: Option<Duration>,
    /// See [`Self::connect_timeout`].
    pub first_byte_timeout: Option<Duration>,
    /// See [`Self::connect_timeout`].
    pub between_bytes_timeout: Option<Duration>,
}

/// Checks a list of fields the guest sent.
pub fn decode_fields(fields: Option<Vector<'_, ForwardsUOffset<fb::HttpField<'_>>>>) -> Result<HeaderMap, Malformed> {
    let mut map = HeaderMap::new();
    for field in fields.iter().flatten() {
        let name = HeaderName::from_bytes(field.name().unwrap_or("").as_bytes())
            .map_err(|e| Malformed::HttpField { what: "header name", detail: e.to_string() })?;
        let value = HeaderValue::from_bytes(field.value().map(|v| v.bytes()).unwrap_or_default())
            .map_err(|e| Malformed::HttpField { what: "header value", detail: e.to_string() })?;
        map.append(name, value);
    }
    Ok(map)
}

/// Encodes header fields for the guest.
pub fn encode_fields<'a>(
    fbb: &mut FlatBufferBuilder<'a>,
    headers: &HeaderMap,
) -> WIPOffset<Vector<'a, ForwardsUOffset<fb::HttpField<'a>>>> {
    let fields: Vec<_> = headers
        .iter()
        .map(|(name, value)| {
            let name = fbb.create_string(name.as_str());
            let value = fbb.create_vector(value.as_bytes());
            fb::HttpField::create(fbb, &fb::HttpFieldArgs { name: Some(name), value: Some(value) })
        })
        .collect();
    fbb.create_vector(&fields)
}

/// A request for the guest (the incoming one, or the response to an
/// outgoing one is built by [`encode_incoming_response`]).
#[derive(Debug)]
pub struct RequestHead<'r> {
    /// The method.
    pub method: &'r Method,
    /// `http` or `https`, if known.
    pub scheme: Option<&'r str>,
    /// `host[:port]`, if known.
    pub authority: Option<&'r str>,
    /// Path and query.
    pub path_with_query: &'r str,
    /// Header fields.
    pub headers: &'r HeaderMap,
}

/// Encodes `head` and the body's first bytes as an `HttpRequest`.
pub fn encode_request<'a>(
    fbb: &mut FlatBufferBuilder<'a>,
    head: &RequestHead<'_>,
    body: &[u8],
    body_end: bool,
    context: Option<WIPOffset<fb::CallContext<'a>>>,
) -> WIPOffset<fb::HttpRequest<'a>> {
    let method = fbb.create_string(head.method.as_str());
    let scheme = head.scheme.map(|s| fbb.create_string(s));
    let authority = head.authority.map(|a| fbb.create_string(a));
    let path_with_query = fbb.create_string(head.path_with_query);
    let headers = encode_fields(fbb, head.headers);
    let body = fbb.create_vector(body);
    fb::HttpRequest::create(
        fbb,
        &fb::HttpRequestArgs {
            method: Some(method),
            scheme,
            authority,
            path_with_query: Some(path_with_query),
            headers: Some(headers),
            body: Some(body),
            body_end,
            context,
        },
    )
}

/// Checks one response part.
pub fn decode_response_part<'a>(part: fb::HttpResponse<'a>) -> Result<ResponsePart<'a>, Malformed> {
    let head = match part.head() {
        Some(head) => {
            let status = StatusCode::from_u16(head.status())
                .map_err(|e| Malformed::HttpField { what: "status code", detail: e.to_string() })?;
            Some(ResponseHead { status, headers: decode_fields(head.headers())? })
        }
        None => None,
    };
    let trailers = match part.trailers() {
        Some(fields) if part.end() => Some(decode_fields(Some(fields))?),
        Some(_) => return Err(Malformed::HttpSequence("trailers before the end of the body")),
        None => None,
    };
    Ok(ResponsePart {
        head,
        body: part.body().map(|b| b.bytes()).unwrap_or_default(),
        end: part.end(),
        trailers,
        error: part.error(),
    })
}

/// Checks an outgoing request.
pub fn decode_outgoing(request: fb::HttpOutgoingRequest<'_>) -> Result<OutgoingRequest<'_>, Malformed> {
    let head = request.request().ok_or(Malformed::HttpSequence("an outgoing request without a request"))?;
    let method = Method::from_bytes(head.method().unwrap_or("GET").as_bytes())
        .map_err(|e| Malformed::HttpField { what: "method", detail: e.to_string() })?;
    let timeout = |ns: u64| (ns != 0).then(|| Duration::from_nanos(ns));
    Ok(OutgoingRequest {
        id: request.id(),
        method,
        scheme: head.scheme(),
        authority: head.authority(),
        path_with_query: head.path_with_query().unwrap_or("/"),
        headers: decode_fields(head.headers())?,
        body: head.body().map(|b| b.bytes()).unwrap_or_default(),
        connect_timeout: timeout(request.connect_timeout_ns()),
        first_byte_timeout: timeout(request.first_byte_timeout_ns()),
        between_bytes_timeout: timeout(request.between_bytes_timeout_ns()),
    })
}

/// The last part of the response, carried in a verified `GuestMessage`
/// holding a `FunctionCallResult`.
pub fn final_response_part(bytes: &[u8]) -> Result<Option<ResponsePart<'_>>, Malformed> {
    let message = featherlight_abi::message::guest_message(bytes).map_err(Malformed::Flatbuffer)?;
    match message.body_as_function_call_result().and_then(|result| result.http_response()) {
        Some(part) => decode_response_part(part).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part_bytes(status: u16, name: &str, value: &[u8], trailers: bool, end: bool) -> Vec<u8> {
        let mut fbb = FlatBufferBuilder::new();
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("text/plain"));
        let fields = {
            let name = fbb.create_string(name);
            let value = fbb.create_vector(value);
            let field = fb::HttpField::create(&mut fbb, &fb::HttpFieldArgs { name: Some(name), value: Some(value) });
            fbb.create_vector(&[field])
        };
        let trailers = trailers.then(|| encode_fields(&mut fbb, &headers));
        let head = fb::HttpResponseHead::create(&mut fbb, &fb::HttpResponseHeadArgs { status, headers: Some(fields) });
        let body = fbb.create_vector(b"hi");
        let part = fb::HttpResponse::create(
            &mut fbb,
            &fb::HttpResponseArgs { head: Some(head), body: Some(body), end, trailers, error: None },
        );
        let result = fb::FunctionCallResult::create(
            &mut fbb,
            &fb::FunctionCallResultArgs { results: None, error: None, http_response: Some(part) },
        );
        let root = fb::GuestMessage::create(
            &mut fbb,
            &fb::GuestMessageArgs { body_type: fb::GuestBody::FunctionCallResult, body: Some(result.as_union_value()) },
        );
        fbb.finish_size_prefixed(root, None);
        fbb.finished_data().to_vec()
    }

    #[test]
    fn a_valid_final_part_is_decoded() {
        let bytes = part_bytes(201, "x-a", b"b", true, true);
        let part = final_response_part(&bytes).unwrap().unwrap();
        let head = part.head.unwrap();
        assert_eq!(head.status, StatusCode::CREATED);
        assert_eq!(head.headers["x-a"], "b");
        assert_eq!(part.body, b"hi");
        assert_eq!(part.trailers.unwrap()["content-type"], "text/plain");
    }

    #[test]
    fn hostile_fields_and_statuses_are_refused() {
        for (status, name, value) in [
            (99, "x-a", &b"b"[..]),
            (1000, "x-a", b"b"),
            (200, "bad name", b"b"),
            (200, "", b"b"),
            (200, "x-a", b"line\nbreak"),
            (200, "x-a", b"nul\0"),
        ] {
            let bytes = part_bytes(status, name, value, false, true);
            assert!(
                matches!(final_response_part(&bytes), Err(Malformed::HttpField { .. })),
                "{status} {name:?} {value:?} was accepted"
            );
        }
        let early_trailers = part_bytes(200, "x-a", b"b", true, false);
        assert!(matches!(final_response_part(&early_trailers), Err(Malformed::HttpSequence(_))));
    }
}
