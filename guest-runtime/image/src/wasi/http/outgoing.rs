//! Requests the component makes: `outgoing-request`, `request-options`,
//! `outgoing-handler.handle` and `future-incoming-response`.
//!
//! The request's body is held in the guest until it is finished (at most
//! `response::request_body_limit` bytes: the sandbox's message size limit
//! less room for the head), then the whole request leaves in one
//! `HttpOutgoingRequest`, when the body is finished after `handle` or when
//! the component first asks for the response (polls or `get`s it). The host
//! decides whether it may go out (denied: `HTTP-request-denied`) and
//! answers with the response's head and the start of its body; the rest of
//! the body is read with `BodyRead` on the request's id.

use super::body::{End, Reader, Side, Writer};
use super::fields::Fields;
use super::incoming::IncomingResponse;
use super::response;
use super::wire::{self, IncomingResponse as Answer, OutgoingRequest as Wire};
use super::wit::{ErrorCode, Method, Scheme};
use super::{Ctx, Http, Wait};
use crate::store::Host;
use crate::wasi::Pollable;
use alloc::string::String;
use wasmtime::Result;
use wasmtime::component::{LinkerInstance, Resource};

/// `outgoing-request`.
#[derive(Debug)]
pub struct OutgoingRequest {
    method: Method,
    scheme: Option<Scheme>,
    authority: Option<String>,
    path_with_query: Option<String>,
    headers: Fields,
    body: Option<u32>,
}

/// `request-options`: timeouts in nanoseconds.
#[derive(Debug, Default, Clone, Copy)]
pub struct RequestOptions {
    connect: Option<u64>,
    first_byte: Option<u64>,
    between_bytes: Option<u64>,
}

/// `future-incoming-response` of outgoing request `id`.
#[derive(Debug)]
pub struct FutureIncomingResponse {
    id: u32,
}

/// A handled request, until its response is taken.
#[derive(Debug)]
pub struct Outgoing {
    request: Option<(OutgoingRequest, RequestOptions)>,
    state: State,
}

#[derive(Debug)]
enum State {
    Waiting,
    Ready(core::result::Result<(u16, Fields, u32), ErrorCode>),
    Consumed,
}

/// A method the http crate accepts: a non-empty token.
fn valid_method(method: &Method) -> bool {
    match method {
        Method::Other(name) => super::fields::parse_name(name).is_some(),
        _ => true,
    }
}

/// A path and query the http crate accepts (`PathAndQuery::from_str`).
fn valid_path(path: &str) -> bool {
    let mut in_query = false;
    for b in path.bytes() {
        match b {
            b'#' => return true,
            b'?' if !in_query => in_query = true,
            0x21 | 0x24..=0x3B | 0x3D | 0x40..=0x5F | 0x61..=0x7A | 0x7C | 0x7E | b'"' | b'{' | b'}' if !in_query => {}
            0x21 | 0x24..=0x3B | 0x3D | 0x3F..=0x7E if in_query => {}
            _ => return false,
        }
    }
    true
}

/// An authority the http crate accepts (`Authority::from_str`): URI
/// characters, at most one port colon outside brackets, balanced brackets,
/// something after `@`, `%` only in user info.
fn valid_authority(authority: &str) -> bool {
    let (mut colons, mut open, mut close, mut percent) = (0u32, false, false, false);
    let mut at = None;
    for (i, b) in authority.bytes().enumerate() {
        match b {
            b'/' | b'?' | b'#' => return false,
            b':' => colons += 1,
            b'[' if percent || open => return false,
            b'[' => open = true,
            b']' if !open || close => return false,
            b']' => {
                close = true;
                colons = 0;
                percent = false;
            }
            b'@' => {
                at = Some(i);
                colons = 0;
                percent = false;
            }
            b'%' => percent = true,
            b if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b) => {}
            _ => return false,
        }
    }
    !authority.is_empty() && open == close && colons <= 1 && at != Some(authority.len() - 1) && !percent
}

type Req = Resource<OutgoingRequest>;
type Opts = Resource<RequestOptions>;
type Future = Resource<FutureIncomingResponse>;
/// What `future-incoming-response.get` answers.
type GetResult = Option<core::result::Result<core::result::Result<Resource<IncomingResponse>, ErrorCode>, ()>>;

pub fn define_types(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("[constructor]outgoing-request", |mut store: Ctx, (headers,): (Resource<Fields>,)| {
        let mut headers = store.data_mut().table.delete(headers)?;
        headers.set_immutable();
        let request = OutgoingRequest {
            method: Method::Get,
            scheme: None,
            authority: None,
            path_with_query: None,
            headers,
            body: None,
        };
        Ok((store.data_mut().table.push(request)?,))
    })?;
    instance.func_wrap("[method]outgoing-request.body", |mut store: Ctx, (request,): (Req,)| {
        let entry = store.data().table.get(&request)?;
        if entry.body.is_some() {
            return Ok((Err(()),));
        }
        let Ok(length) = entry.headers.content_length() else { return Ok((Err(()),)) };
        let writer = store.data_mut().wasi.http.add_writer(Writer::new(Side::Request, length));
        store.data_mut().table.get_mut(&request)?.body = Some(writer);
        Ok((Ok(response::new_body(&mut store, writer)?),))
    })?;
    instance.func_wrap("[method]outgoing-request.method", |store: Ctx, (request,): (Req,)| {
        Ok((store.data().table.get(&request)?.method.clone(),))
    })?;
    instance.func_wrap("[method]outgoing-request.set-method", |mut store: Ctx, (request, method): (Req, Method)| {
        if !valid_method(&method) {
            return Ok((Err(()),));
        }
        store.data_mut().table.get_mut(&request)?.method = method;
        Ok((Ok(()),))
    })?;
    instance.func_wrap("[method]outgoing-request.path-with-query", |store: Ctx, (request,): (Req,)| {
        Ok((store.data().table.get(&request)?.path_with_query.clone(),))
    })?;
    instance.func_wrap(
        "[method]outgoing-request.set-path-with-query",
        |mut store: Ctx, (request, path): (Req, Option<String>)| {
            if path.as_deref().is_some_and(|p| !valid_path(p)) {
                return Ok((Err(()),));
            }
            store.data_mut().table.get_mut(&request)?.path_with_query = path;
            Ok((Ok(()),))
        },
    )?;
    instance.func_wrap("[method]outgoing-request.scheme", |store: Ctx, (request,): (Req,)| {
        Ok((store.data().table.get(&request)?.scheme.clone(),))
    })?;
    instance.func_wrap(
        "[method]outgoing-request.set-scheme",
        |mut store: Ctx, (request, scheme): (Req, Option<Scheme>)| {
            // A scheme is a letter, then letters, digits, `+`, `-` or `.`.
            let valid = |s: &str| {
                s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                    && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
            };
            if let Some(Scheme::Other(s)) = &scheme
                && !valid(s)
            {
                return Ok((Err(()),));
            }
            store.data_mut().table.get_mut(&request)?.scheme = scheme;
            Ok((Ok(()),))
        },
    )?;
    instance.func_wrap("[method]outgoing-request.authority", |store: Ctx, (request,): (Req,)| {
        Ok((store.data().table.get(&request)?.authority.clone(),))
    })?;
    instance.func_wrap(
        "[method]outgoing-request.set-authority",
        |mut store: Ctx, (request, authority): (Req, Option<String>)| {
            if authority.as_deref().is_some_and(|a| !valid_authority(a)) {
                return Ok((Err(()),));
            }
            store.data_mut().table.get_mut(&request)?.authority = authority;
            Ok((Ok(()),))
        },
    )?;
    instance.func_wrap("[method]outgoing-request.headers", |mut store: Ctx, (request,): (Req,)| {
        let headers = store.data().table.get(&request)?.headers.clone();
        Ok((store.data_mut().table.push(headers)?,))
    })?;
    instance.func_wrap("[constructor]request-options", |mut store: Ctx, (): ()| {
        Ok((store.data_mut().table.push(RequestOptions::default())?,))
    })?;
    type Getter = fn(&RequestOptions) -> Option<u64>;
    type Setter = fn(&mut RequestOptions, Option<u64>);
    let timeouts: [(&str, Getter, Setter); 3] = [
        ("connect-timeout", |o| o.connect, |o, d| o.connect = d),
        ("first-byte-timeout", |o| o.first_byte, |o, d| o.first_byte = d),
        ("between-bytes-timeout", |o| o.between_bytes, |o, d| o.between_bytes = d),
    ];
    for (name, get, set) in timeouts {
        instance
            .func_wrap(&alloc::format!("[method]request-options.{name}"), move |store: Ctx, (options,): (Opts,)| {
                Ok((get(store.data().table.get(&options)?),))
            })?;
        instance.func_wrap(
            &alloc::format!("[method]request-options.set-{name}"),
            move |mut store: Ctx, (options, duration): (Opts, Option<u64>)| {
                set(store.data_mut().table.get_mut(&options)?, duration);
                Ok((Ok::<(), ()>(()),))
            },
        )?;
    }
    instance.func_wrap("[method]future-incoming-response.subscribe", |mut store: Ctx, (future,): (Future,)| {
        let id = store.data().table.get(&future)?.id;
        Ok((store.data_mut().table.push(Pollable::Http(Wait::Response(id)))?,))
    })?;
    instance.func_wrap("[method]future-incoming-response.get", |mut store: Ctx, (future,): (Future,)| {
        Ok((get(&mut store, &future)?,))
    })
}

pub fn define_handler(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("handle", |mut store: Ctx, (request, options): (Req, Option<Opts>)| {
        let options = match options {
            Some(options) => store.data_mut().table.delete(options)?,
            None => RequestOptions::default(),
        };
        let request = store.data_mut().table.delete(request)?;
        // What wasmtime refuses before sending.
        let refused = if !valid_method(&request.method) {
            Some(ErrorCode::HttpRequestMethodInvalid)
        } else if matches!(request.scheme, Some(Scheme::Other(_))) {
            Some(ErrorCode::HttpProtocolError)
        } else if request.authority.as_deref().is_none_or(str::is_empty) {
            Some(ErrorCode::HttpRequestUriInvalid)
        } else {
            None
        };
        if let Some(code) = refused {
            if let Some(writer) = request.body {
                store.data_mut().wasi.http.writers.remove(&writer);
            }
            return Ok((Err(code),));
        }
        let http = &mut store.data_mut().wasi.http;
        http.next_request += 1;
        let id = http.next_request;
        if let Some(writer) = request.body.and_then(|w| http.writers.get_mut(&w)) {
            writer.attached = true;
        }
        let finished = request.body.is_none_or(|w| http.writers.get(&w).is_none_or(|w| !matches!(w.end, End::Open)));
        http.outgoing.insert(id, Outgoing { request: Some((request, options)), state: State::Waiting });
        if finished {
            // Nothing more will come: the request leaves now.
            send(http, id)?;
        }
        Ok((Ok(store.data_mut().table.push(FutureIncomingResponse { id })?),))
    })
}

/// The body `writer` of a handled request was finished: the request leaves.
pub fn body_finished(http: &mut Http, writer: u32) -> Result<()> {
    let id = http.outgoing.iter().find(|(_, o)| o.request.as_ref().is_some_and(|(r, _)| r.body == Some(writer)));
    match id.map(|(id, _)| *id) {
        Some(id) => send(http, id),
        None => Ok(()),
    }
}

/// Whether request `id`'s response is known, sending the request if its
/// body is complete. `blocking`: the component waits for nothing else, so
/// a body it has not finished ends the wait with an error.
pub fn resolve(http: &mut Http, id: u32, blocking: bool) -> Result<bool> {
    let Some(outgoing) = http.outgoing.get_mut(&id) else { return Ok(true) };
    let Some((request, _)) = &outgoing.request else { return Ok(true) };
    match request.body.and_then(|w| http.writers.get(&w)).map(|w| &w.end) {
        Some(End::Open) if blocking => {
            outgoing.request = None;
            outgoing.state = State::Ready(Err(ErrorCode::InternalError(Some(String::from(
                "featherlight sends an outgoing request once its body is finished: \
                 finish the outgoing-body before waiting for the response",
            )))));
            Ok(true)
        }
        Some(End::Open) => Ok(false),
        _ => {
            send(http, id)?;
            Ok(true)
        }
    }
}

/// Whether request `id`'s response is known.
pub fn resolved(http: &Http, id: u32) -> bool {
    http.outgoing.get(&id).is_none_or(|o| !matches!(o.state, State::Waiting))
}

/// Whether request `id`'s response can come without the component doing
/// more (its body is not still open).
pub fn sendable(http: &Http, id: u32) -> bool {
    match http.outgoing.get(&id) {
        Some(Outgoing { request: Some((request, _)), .. }) => {
            !matches!(request.body.and_then(|w| http.writers.get(&w)).map(|w| &w.end), Some(End::Open))
        }
        _ => true,
    }
}

/// Sends request `id` (if not yet sent) and keeps the host's answer.
fn send(http: &mut Http, id: u32) -> Result<()> {
    let Some((request, options)) = http.outgoing.get_mut(&id).and_then(|o| o.request.take()) else { return Ok(()) };
    let writer = request.body.and_then(|w| http.writers.remove(&w));
    let state = if writer.as_ref().is_some_and(|w| matches!(w.end, End::Aborted)) {
        // wasmtime's body fails when dropped unfinished.
        State::Ready(Err(ErrorCode::HttpProtocolError))
    } else {
        http.before_wait()?;
        let headers = request.headers.list();
        // wasmtime's default is https (`handle` refused other schemes).
        let scheme = if request.scheme == Some(Scheme::Http) { "http" } else { "https" };
        let answer = wire::send_request(&Wire {
            id,
            method: request.method.as_wire(),
            scheme: Some(scheme),
            authority: request.authority.as_deref(),
            path_with_query: request.path_with_query.as_deref(),
            headers: &headers,
            body: writer.as_ref().map_or(&[][..], |w| &w.buffer),
            timeouts: [options.connect, options.first_byte, options.between_bytes].map(|t| t.unwrap_or(0)),
        })?;
        State::Ready(match answer {
            Answer::Response { status, headers, body, body_end } => {
                let reader = http.add_reader(Reader::new(id, body, body_end));
                Ok((status, Fields::from_host(headers), reader))
            }
            Answer::Error(code, text) => Err(ErrorCode::from_wire(code, text.as_deref())
                .unwrap_or(ErrorCode::InternalError(Some(String::from("the host sent an unknown error code"))))),
        })
    };
    if let Some(outgoing) = http.outgoing.get_mut(&id) {
        outgoing.state = state;
    }
    Ok(())
}

fn get(store: &mut Ctx, future: &Future) -> Result<GetResult> {
    let id = store.data().table.get(future)?.id;
    let http = &mut store.data_mut().wasi.http;
    if !resolve(http, id, false)? {
        return Ok(None);
    }
    let Some(outgoing) = http.outgoing.get_mut(&id) else { return Ok(Some(Err(()))) };
    match core::mem::replace(&mut outgoing.state, State::Consumed) {
        State::Waiting => {
            outgoing.state = State::Waiting;
            Ok(None)
        }
        State::Consumed => Ok(Some(Err(()))),
        State::Ready(Err(code)) => Ok(Some(Ok(Err(code)))),
        State::Ready(Ok((status, headers, reader))) => {
            let response = IncomingResponse { status, headers, body: Some(reader) };
            Ok(Some(Ok(Ok(store.data_mut().table.push(response)?))))
        }
    }
}

pub fn drop_request(mut store: Ctx, rep: u32) -> Result<()> {
    let request = store.data_mut().table.delete(Req::new_own(rep))?;
    // Its body can no longer be sent; the resource may still be written.
    if let Some(writer) = request.body.and_then(|w| store.data_mut().wasi.http.writers.get_mut(&w)) {
        writer.attached = false;
    }
    Ok(())
}

pub fn drop_future(mut store: Ctx, rep: u32) -> Result<()> {
    let future = store.data_mut().table.delete(Future::new_own(rep))?;
    let http = &mut store.data_mut().wasi.http;
    if let Some(Outgoing { state: State::Ready(Ok((_, _, reader))), .. }) = http.outgoing.remove(&future.id) {
        http.readers.remove(&reader);
    }
    Ok(())
}
