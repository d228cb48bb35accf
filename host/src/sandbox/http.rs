//! `wasi:http` requests: one incoming request runs the component's
//! `wasi:http/incoming-handler` export, its body read from a [`BodySource`]
//! and its response handed to a [`ResponseSink`] as the guest produces it
//! (the protocol is in `featherlight_abi::http`). The component's outgoing
//! requests go to an [`OutgoingHttp`], or are denied.
//!
//! Everything here runs on the sandbox's thread and blocks it: the
//! embedder's sources and sinks apply backpressure by blocking.

use super::Sandbox;
use crate::error::{Error, HttpError, Malformed};
use bytes::Bytes;
use featherlight_abi::fb;
use featherlight_abi::http::{ErrorCode, INLINE_BODY, REQUEST_BODY};
use featherlight_wire::http::{self as wire, BodyRead, OutgoingRequest, RequestHead, ResponseHead};
use flatbuffers::FlatBufferBuilder;
use http::HeaderMap;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one wait for body bytes lasts before the sandbox checks for a
/// stop request or deadline.
const WAIT_SLICE: Duration = Duration::from_millis(10);

pub use featherlight_abi::http::FORBIDDEN_HEADERS;

/// Removes the [`FORBIDDEN_HEADERS`] from `headers` the way
/// wasmtime-wasi-http does (`HeaderMap::remove`, in the map's order), so the
/// fields left keep the order they have there.
pub fn remove_forbidden_headers(headers: &mut HeaderMap) {
    let forbidden: Vec<http::HeaderName> =
        headers.keys().filter(|name| FORBIDDEN_HEADERS.contains(&name.as_str())).cloned().collect();
    for name in forbidden {
        headers.remove(&name);
    }
}

/// Bodies of outgoing responses a component may hold open at once.
const MAX_OPEN_BODIES: usize = 64;

/// What a [`BodySource`] has next.
#[derive(Debug)]
pub enum BodyChunk {
    /// Bytes of the body (at most what was asked).
    Data(Bytes),
    /// Nothing yet.
    Pending,
    /// The end of the body, with its trailers if it had any.
    End(Option<HeaderMap>),
    /// Reading failed; the body is over.
    Failed(String),
}

/// A body being received: the incoming request's, or the response to an
/// outgoing request.
pub trait BodySource: Send {
    /// At most `max_len` bytes of the body, waiting at most `wait` for them
    /// (zero: not at all). The sandbox calls again for longer waits, so
    /// `wait` is short. Once it returned `End` or `Failed`, every later read
    /// returns the same again.
    fn read(&mut self, max_len: usize, wait: Duration) -> BodyChunk;
}

/// The body of a request that has none.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyBody;

impl BodySource for EmptyBody {
    fn read(&mut self, _max_len: usize, _wait: Duration) -> BodyChunk {
        BodyChunk::End(None)
    }
}

/// A body held in memory.
#[derive(Debug, Clone, Default)]
pub struct FullBody(pub Bytes);

impl BodySource for FullBody {
    fn read(&mut self, max_len: usize, _wait: Duration) -> BodyChunk {
        if self.0.is_empty() {
            return BodyChunk::End(None);
        }
        BodyChunk::Data(self.0.split_to(max_len.min(self.0.len())))
    }
}

/// The client went away: the response's body is not wanted any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientGone;

/// Where the component's response goes, as the guest produces it. Called
/// in order: `head` once, then `data` any number of times, then `finish` or
/// `abort` (`abort` alone when the call failed before the head).
pub trait ResponseSink: Send {
    /// The status and headers.
    fn head(&mut self, head: ResponseHead);
    /// Body bytes; blocks while the client is not taking them.
    fn data(&mut self, bytes: Bytes) -> Result<(), ClientGone>;
    /// The body is complete.
    fn finish(&mut self, trailers: Option<HeaderMap>);
    /// The response cannot complete: the call failed (`why`).
    fn abort(&mut self, why: &Error);
}

/// A request the component sends, as the host should make it.
pub type OutgoingHttpRequest<'a> = OutgoingRequest<'a>;

/// Makes the component's outgoing requests (`wasi:http/outgoing-handler`).
pub trait OutgoingHttp: Send + Sync {
    /// Sends `request` and returns the response's head and body, or the
    /// `wasi:http` error code (and text, for `internal-error`) the
    /// component gets.
    fn send(&self, request: OutgoingHttpRequest<'_>) -> Result<(ResponseHead, Box<dyn BodySource>), OutgoingError>;
}

/// Why an outgoing request failed, as the component sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingError {
    /// The `error-code` case.
    pub code: ErrorCode,
    /// Text for `internal-error`.
    pub text: Option<String>,
}

impl OutgoingError {
    /// `code` without text.
    pub fn new(code: ErrorCode) -> Self {
        Self { code, text: None }
    }
}

/// An incoming request's head. The body comes from a [`BodySource`].
#[derive(Debug, Clone)]
pub struct IncomingRequest {
    /// The method.
    pub method: http::Method,
    /// `http` or `https`.
    pub scheme: Option<String>,
    /// `host[:port]`, from the URI or the `host` header.
    pub authority: Option<String>,
    /// Path and query (`/` at least).
    pub path_with_query: String,
    /// Header fields.
    pub headers: HeaderMap,
}

impl IncomingRequest {
    /// The head of `parts` as a server received it: the scheme given, the
    /// authority from the URI or else the `host` header, the header fields
    /// less the forbidden ones.
    pub fn from_parts(parts: &http::request::Parts, scheme: &str) -> Self {
        let authority = parts
            .uri
            .authority()
            .map(|a| a.as_str().to_string())
            .or_else(|| parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).map(str::to_string));
        let mut headers = parts.headers.clone();
        remove_forbidden_headers(&mut headers);
        Self {
            method: parts.method.clone(),
            scheme: Some(parts.uri.scheme_str().unwrap_or(scheme).to_string()),
            authority,
            path_with_query: parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string(),
            headers,
        }
    }
}

/// What an HTTP call needs besides the request's head.
pub struct HttpIo {
    /// The incoming request's body.
    pub body: Box<dyn BodySource>,
    /// Where the response goes.
    pub response: Box<dyn ResponseSink>,
    /// Who makes outgoing requests; `None` denies them all
    /// (`HTTP-request-denied`).
    pub outgoing: Option<Arc<dyn OutgoingHttp>>,
}

impl std::fmt::Debug for HttpIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpIo").field("outgoing", &self.outgoing.is_some()).finish_non_exhaustive()
    }
}

/// The state of one HTTP call, kept on the sandbox while it runs.
pub(super) struct HttpSession {
    io: HttpIo,
    head_sent: bool,
    ended: bool,
    /// The component set an error code instead of a response.
    error: Option<String>,
    /// The client went away: body bytes are dropped.
    gone: bool,
    /// Bodies of outgoing requests' responses, by the guest's id.
    bodies: HashMap<u32, Box<dyn BodySource>>,
    /// Body bytes the guest produced (for the request log).
    pub(super) bytes_out: u64,
}

/// What one HTTP call did (see [`Sandbox::handle_http`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpCallStats {
    /// Body bytes the component wrote.
    pub bytes_out: u64,
}

impl Sandbox {
    /// Runs the component's `wasi:http/incoming-handler.handle` on
    /// `request`, reading the body from `io.body` and streaming the response
    /// to `io.response` as the guest produces it.
    ///
    /// On `Ok` the sink got the head, the body and `finish`. On `Err` it got
    /// `abort` (after whatever part of the response it already had): a trap,
    /// the call's deadline, the guest misbehaving (the sandbox is poisoned
    /// until restored, as after any call), or an [`HttpError`].
    pub fn handle_http(&mut self, request: &IncomingRequest, mut io: HttpIo) -> Result<HttpCallStats, Error> {
        let outcome = self.refuse_if_poisoned().and_then(|()| {
            if !self.component.world().exports_http_handler() {
                return Err(HttpError::NotAProxy.into());
            }
            self.interrupts.begin_call(self.call_timeout);
            let outcome = self.run_http(request, &mut io);
            let _late_stop = self.interrupts.end_call();
            outcome
        });
        let outcome = self.poison_on(outcome);
        let session = self.http.take();
        let stats = HttpCallStats { bytes_out: session.as_ref().map_or(0, |s| s.bytes_out) };
        let mut io = session.map_or(io, |s| s.io);
        match outcome {
            Ok(()) => Ok(stats),
            Err(e) => {
                io.response.abort(&e);
                Err(e)
            }
        }
    }

    fn run_http(&mut self, request: &IncomingRequest, io: &mut HttpIo) -> Result<(), Error> {
        let (first, body_end) = self.inline_body(request, io.body.as_mut())?;
        let mut fbb = FlatBufferBuilder::with_capacity(first.len() + 1024);
        let head = RequestHead {
            method: &request.method,
            scheme: request.scheme.as_deref(),
            authority: request.authority.as_deref(),
            path_with_query: &request.path_with_query,
            headers: &request.headers,
        };
        let context = self.wasi.encode_context(&mut fbb);
        let message = wire::encode_request(&mut fbb, &head, &first, body_end, Some(context));
        self.send(fbb, fb::HostBody::HttpRequest, message.as_union_value())?;
        // The session holds the sink from here: parts arrive during the call.
        let placeholder = HttpIo { body: Box::new(EmptyBody), response: Box::new(Discard), outgoing: None };
        self.http = Some(HttpSession {
            io: std::mem::replace(io, placeholder),
            head_sent: false,
            ended: false,
            error: None,
            gone: false,
            bodies: HashMap::new(),
            bytes_out: 0,
        });
        self.run_to_result()?;
        let session = self.http.as_mut().ok_or(Malformed::HttpSequence("the HTTP call lost its state"))?;
        if let Some(error) = session.error.take() {
            return Err(HttpError::ErrorCode(error).into());
        }
        if !session.head_sent {
            return Err(HttpError::NoResponse.into());
        }
        if !session.ended {
            return Err(HttpError::Unfinished.into());
        }
        Ok(())
    }

    /// The start of the body, to travel in the request message: all of it
    /// when it fits and the client sent it already, or announced a length
    /// that fits (then it is awaited, so the call costs one exit).
    fn inline_body(&self, request: &IncomingRequest, body: &mut dyn BodySource) -> Result<(Vec<u8>, bool), Error> {
        let announced = request
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let wait_for_all = announced.is_some_and(|len| len <= INLINE_BODY);
        let mut first = Vec::new();
        loop {
            let room = INLINE_BODY - first.len();
            if room == 0 {
                return Ok((first, false));
            }
            let wait = if wait_for_all { WAIT_SLICE } else { Duration::ZERO };
            match body.read(room, wait) {
                BodyChunk::Data(bytes) => first.extend_from_slice(&bytes[..bytes.len().min(room)]),
                BodyChunk::Pending if wait_for_all => self.check_stop()?,
                BodyChunk::Pending => return Ok((first, false)),
                // Trailers and failures are for the guest to read.
                BodyChunk::End(None) => return Ok((first, true)),
                BodyChunk::End(Some(_)) | BodyChunk::Failed(_) => return Ok((first, false)),
            }
        }
    }

    fn check_stop(&self) -> Result<(), Error> {
        match self.interrupts.stop_reason() {
            Some(reason) => Err(reason.into()),
            None => Ok(()),
        }
    }

    /// Answers a `BodyRead`.
    pub(super) fn serve_body_read(&mut self, read: BodyRead) -> Result<(), Error> {
        let capacity = crate::host_usize(self.boot.layout.input.size);
        let max_len = usize::try_from(read.max_len).unwrap_or(usize::MAX).min(INLINE_BODY).min(capacity / 2);
        let until = (read.wait_ns != u64::MAX).then(|| Instant::now() + Duration::from_nanos(read.wait_ns));
        let chunk = loop {
            let session = self.http.as_mut().ok_or(Malformed::HttpSequence("a body read outside an HTTP request"))?;
            let source: &mut dyn BodySource = if read.stream == REQUEST_BODY {
                session.io.body.as_mut()
            } else {
                session
                    .bodies
                    .get_mut(&read.stream)
                    .ok_or(Malformed::HttpSequence("a body read of a body that does not exist"))?
                    .as_mut()
            };
            let wait =
                until.map_or(WAIT_SLICE, |until| until.saturating_duration_since(Instant::now()).min(WAIT_SLICE));
            match source.read(max_len, wait) {
                BodyChunk::Pending if until.is_none_or(|until| Instant::now() < until) => self.check_stop()?,
                BodyChunk::Data(first) => break BodyChunk::Data(gather(source, first, max_len)),
                chunk => break chunk,
            }
        };
        if matches!(chunk, BodyChunk::End(_) | BodyChunk::Failed(_))
            && read.stream != REQUEST_BODY
            && let Some(session) = self.http.as_mut()
        {
            session.bodies.remove(&read.stream);
        }
        let mut fbb = FlatBufferBuilder::with_capacity(max_len.min(64 * 1024) + 256);
        let (status, bytes, error, trailers) = match &chunk {
            BodyChunk::Pending => (fb::StdinStatus::Pending, None, None, None),
            BodyChunk::Data(bytes) => {
                (fb::StdinStatus::Ready, Some(fbb.create_vector(&bytes[..bytes.len().min(max_len)])), None, None)
            }
            BodyChunk::End(trailers) => {
                (fb::StdinStatus::Closed, None, None, trailers.as_ref().map(|t| wire::encode_fields(&mut fbb, t)))
            }
            BodyChunk::Failed(text) => (fb::StdinStatus::Failed, None, Some(fbb.create_string(text)), None),
        };
        let data = fb::BodyData::create(&mut fbb, &fb::BodyDataArgs { status, bytes, error, trailers });
        self.send(fbb, fb::HostBody::BodyData, data.as_union_value())
    }

    /// Takes a response part sent during the call and answers `BodyWritten`.
    pub(super) fn serve_response_part(&mut self, part: fb::HttpResponse<'_>) -> Result<(), Error> {
        let part = wire::decode_response_part(part)?;
        let session = self.http.as_mut().ok_or(Malformed::HttpSequence("a response part outside an HTTP request"))?;
        session.accept(part)?;
        let closed = session.gone;
        let mut fbb = FlatBufferBuilder::new();
        let written = fb::BodyWritten::create(&mut fbb, &fb::BodyWrittenArgs { closed });
        self.send(fbb, fb::HostBody::BodyWritten, written.as_union_value())
    }

    /// Takes the last response part, from the call's result message.
    pub(super) fn take_final_response_part(&mut self, result: &[u8]) -> Result<(), Error> {
        let Some(session) = self.http.as_mut() else { return Ok(()) };
        if let Some(part) = wire::final_response_part(result)? {
            session.accept(part)?;
        }
        Ok(())
    }

    /// Makes (or denies) an outgoing request and answers
    /// `HttpIncomingResponse`.
    pub(super) fn serve_outgoing(&mut self, request: fb::HttpOutgoingRequest<'_>) -> Result<(), Error> {
        let request = wire::decode_outgoing(request)?;
        let Some(session) = self.http.as_mut() else {
            // A command (or an export other than the handler) may use
            // outgoing-handler too: outside `handle_http` nothing is allowed.
            let mut fbb = FlatBufferBuilder::new();
            let args =
                fb::HttpIncomingResponseArgs { error: ErrorCode::HttpRequestDenied.wire(), ..Default::default() };
            let response = fb::HttpIncomingResponse::create(&mut fbb, &args);
            return self.send(fbb, fb::HostBody::HttpIncomingResponse, response.as_union_value());
        };
        if request.id == REQUEST_BODY || session.bodies.contains_key(&request.id) {
            return Err(Malformed::HttpSequence("an outgoing request with an id in use").into());
        }
        let outcome = match &session.io.outgoing {
            None => Err(OutgoingError::new(ErrorCode::HttpRequestDenied)),
            Some(_) if session.bodies.len() >= MAX_OPEN_BODIES => Err(OutgoingError {
                code: ErrorCode::InternalError,
                text: Some(format!("more than {MAX_OPEN_BODIES} outgoing responses open at once")),
            }),
            Some(outgoing) => {
                let id = request.id;
                let _span = tracing::debug_span!("outgoing_http", method = %request.method).entered();
                outgoing.send(request).map(|(head, body)| (id, head, body))
            }
        };
        let mut fbb = FlatBufferBuilder::new();
        let args = match outcome {
            Ok((id, head, mut body)) => {
                // The start of the body rides along when it is there already.
                let (first, end) = match body.read(INLINE_BODY / 4, Duration::ZERO) {
                    BodyChunk::Data(bytes) => (bytes, false),
                    BodyChunk::End(None) => (Bytes::new(), true),
                    _ => (Bytes::new(), false),
                };
                if !end {
                    session.bodies.insert(id, body);
                }
                let headers = wire::encode_fields(&mut fbb, &head.headers);
                let body = fbb.create_vector(&first);
                fb::HttpIncomingResponseArgs {
                    error: 0,
                    error_text: None,
                    status: head.status.as_u16(),
                    headers: Some(headers),
                    body: Some(body),
                    body_end: end,
                }
            }
            Err(error) => {
                let error_text = error.text.as_deref().map(|t| fbb.create_string(t));
                fb::HttpIncomingResponseArgs { error: error.code.wire(), error_text, ..Default::default() }
            }
        };
        let response = fb::HttpIncomingResponse::create(&mut fbb, &args);
        self.send(fbb, fb::HostBody::HttpIncomingResponse, response.as_union_value())
    }
}

/// `first` and whatever more `source` has at once, up to `max_len` bytes:
/// a body arriving in small frames still crosses in full replies.
fn gather(source: &mut dyn BodySource, first: Bytes, max_len: usize) -> Bytes {
    if first.len() >= max_len {
        return first;
    }
    let mut gathered: Option<Vec<u8>> = None;
    let mut len = first.len();
    while len < max_len {
        match source.read(max_len - len, Duration::ZERO) {
            BodyChunk::Data(more) if !more.is_empty() => {
                let buffer = gathered.get_or_insert_with(|| {
                    let mut buffer = Vec::with_capacity(max_len);
                    buffer.extend_from_slice(&first);
                    buffer
                });
                buffer.extend_from_slice(&more[..more.len().min(max_len - len)]);
                len = buffer.len();
            }
            // The end or a failure is for the next read to report (a
            // source repeats it).
            _ => break,
        }
    }
    gathered.map_or(first, Bytes::from)
}

impl HttpSession {
    /// Checks a response part against what came before and passes it on.
    fn accept(&mut self, part: wire::ResponsePart<'_>) -> Result<(), Error> {
        if self.ended {
            return Err(Malformed::HttpSequence("a response part after the end of the body").into());
        }
        if let Some(error) = part.error {
            if self.head_sent || self.error.is_some() || part.head.is_some() {
                return Err(Malformed::HttpSequence("an error code after the response was set").into());
            }
            self.error = Some(error.chars().take(1024).collect());
            return Ok(());
        }
        match part.head {
            Some(_) if self.head_sent || self.error.is_some() => {
                return Err(Malformed::HttpSequence("a second response head").into());
            }
            Some(head) => {
                self.io.response.head(head);
                self.head_sent = true;
            }
            None if !self.head_sent && (part.end || !part.body.is_empty()) => {
                return Err(Malformed::HttpSequence("a response body before its head").into());
            }
            None => {}
        }
        if !part.body.is_empty() {
            self.bytes_out += part.body.len() as u64;
            if !self.gone {
                self.gone = self.io.response.data(Bytes::copy_from_slice(part.body)).is_err();
            }
        }
        if part.end {
            self.ended = true;
            self.io.response.finish(part.trailers);
        }
        Ok(())
    }
}

/// The sink a session's place holds while the session owns the real one.
struct Discard;

impl ResponseSink for Discard {
    fn head(&mut self, _head: ResponseHead) {}
    fn data(&mut self, _bytes: Bytes) -> Result<(), ClientGone> {
        Err(ClientGone)
    }
    fn finish(&mut self, _trailers: Option<HeaderMap>) {}
    fn abort(&mut self, _why: &Error) {}
}
