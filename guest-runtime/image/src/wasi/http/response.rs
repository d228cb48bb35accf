//! The component's response: `outgoing-response`, `outgoing-body` (also
//! the body of outgoing requests) and `response-outparam`, and when the
//! response leaves the guest.
//!
//! The response travels in the call's result when it is small: its head
//! and body bytes are buffered here. A part (`HttpResponse`, answered with
//! `BodyWritten`) leaves early when [`wire::inline_limit`] bytes are
//! buffered, when the component is about to wait (`Http::before_wait`),
//! or on a write or flush `FLUSH_INTERVAL_MS` after the last part (or
//! after `set`), so a streaming response reaches the client while it is
//! made and a small one costs no exit of its own.

use super::body::{End, Side, Writer};
use super::fields::{FieldList, Fields};
use super::wire::{self, Part};
use super::wit::ErrorCode;
use super::{Ctx, Fail, Http, StreamOf, has_children, new_stream, not_implemented};
use crate::store::Host;
use alloc::vec::Vec;
use featherlight_abi::http::FLUSH_INTERVAL_MS;
use wasmtime::Result;
use wasmtime::component::{LinkerInstance, Resource};

/// The response being made for the request being served.
#[derive(Debug, Default)]
pub enum Response {
    #[default]
    NotSet,
    /// Set: the head until it left, the body's writer, and when the last
    /// part left (TSC).
    Set { head: Option<(u16, FieldList)>, body: Option<u32>, last_part: u64 },
    /// Set to an error code (its debug text).
    Error(alloc::string::String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// Everything, if the last part left `FLUSH_INTERVAL_MS` ago.
    IfDue,
    /// Everything pending.
    All,
}

/// `outgoing-response`.
#[derive(Debug)]
pub struct OutgoingResponse {
    status: u16,
    headers: Fields,
    body: Option<u32>,
}

/// `outgoing-body`: its writer and its stream.
#[derive(Debug)]
pub struct OutgoingBody {
    writer: u32,
    stream: Option<u32>,
    taken: bool,
}

/// `response-outparam` of the request of call `generation`.
#[derive(Debug)]
pub struct ResponseOutparam {
    pub generation: u64,
}

/// Sends the response's pending parts as `mode` asks.
pub fn flush(http: &mut Http, mode: Flush) -> Result<()> {
    let Http { response, writers, tsc_khz, .. } = http;
    let Response::Set { head, body, last_part } = response else { return Ok(()) };
    let limit = wire::inline_limit();
    let mut writer = body.and_then(|b| writers.get_mut(&b));
    loop {
        let buffered = writer.as_ref().map_or(0, |w| w.buffer.len());
        let pending = head.is_some() || buffered != 0;
        let due = *tsc_khz != 0
            && super::super::state::rdtsc().wrapping_sub(*last_part) >= tsc_khz.saturating_mul(FLUSH_INTERVAL_MS);
        let send = match mode {
            Flush::IfDue => buffered >= limit || (pending && due),
            Flush::All => pending,
        };
        if !send {
            return Ok(());
        }
        let bytes = match writer.as_mut() {
            Some(w) if buffered > limit => {
                let rest = w.buffer.split_off(limit);
                core::mem::replace(&mut w.buffer, rest)
            }
            Some(w) => core::mem::take(&mut w.buffer),
            None => Vec::new(),
        };
        let closed = wire::send_part(&Part { head: head.take(), body: bytes, ..Part::default() })?;
        *last_part = super::super::state::rdtsc();
        if let Some(w) = writer.as_mut() {
            if closed {
                w.closed = true;
                w.buffer = Vec::new();
            }
            if w.buffer.is_empty() {
                return Ok(());
            }
        } else {
            return Ok(());
        }
    }
}

/// What is left of the response when the handler returned (`returned`)
/// or trapped: `None` if it never set one. A body still open when the
/// handler returns ends there (wasmtime ends it when the store goes).
pub fn final_part(http: &mut Http, returned: bool) -> Option<Part> {
    match core::mem::take(&mut http.response) {
        Response::NotSet => None,
        Response::Error(text) => Some(Part { error: Some(text), ..Part::default() }),
        Response::Set { head, body, .. } => {
            let (body, end, trailers) = match body.and_then(|b| http.writers.remove(&b)) {
                None => (Vec::new(), true, None),
                Some(w) if w.closed => (Vec::new(), false, None),
                Some(w) => match w.end {
                    End::Finished(trailers) => (w.buffer, true, trailers),
                    End::Aborted => (w.buffer, false, None),
                    End::Open => (w.buffer, returned, None),
                },
            };
            Some(Part { head, body, end, trailers, error: None })
        }
    }
}

/// Outgoing request bodies travel whole in one message: at most this many
/// bytes, the message size limit less room for the request's head.
pub fn request_body_limit() -> usize {
    featherlight_guest::host::max_message_size().saturating_sub(256 * 1024)
}

/// What `check-write` grants body `body`.
pub fn check_write(http: &mut Http, body: u32) -> core::result::Result<u64, Fail> {
    let Some(writer) = http.writers.get(&body) else { return Err(Fail::Closed) };
    if writer.closed || !matches!(writer.end, End::Open) {
        return Err(Fail::Closed);
    }
    let limit = wire::inline_limit();
    match writer.side {
        Side::Response if writer.attached => Ok(limit as u64),
        Side::Response => Ok(limit.saturating_sub(writer.buffer.len()) as u64),
        Side::Request => match request_body_limit().saturating_sub(writer.buffer.len()) {
            0 => Err(request_too_large(writer)),
            room => Ok(room.min(limit) as u64),
        },
    }
}

fn request_too_large(writer: &Writer) -> Fail {
    let code = writer.size_error(writer.buffer.len() as u64);
    let text = alloc::format!(
        "an outgoing request body is held in the guest until it is sent, and this one exceeds the {}-byte limit \
         (the sandbox's max_message_size less 256 KiB): {code:?}",
        request_body_limit()
    );
    Fail::Failed(text, Some(code))
}

/// `check-write` of `body` without its error: `Some(0)` only while the
/// component must wait (for room that only `response-outparam.set` makes).
pub fn write_budget(http: &mut Http, body: u32) -> Option<u64> {
    check_write(http, body).ok()
}

/// Writes `bytes` to body `body`.
pub fn write(http: &mut Http, body: u32, bytes: &[u8]) -> Result<core::result::Result<(), Fail>> {
    let limit = wire::inline_limit();
    let Some(writer) = http.writers.get_mut(&body) else { return Ok(Err(Fail::Closed)) };
    if writer.closed || !matches!(writer.end, End::Open) {
        return Ok(Err(Fail::Closed));
    }
    if let Err(code) = writer.count(bytes.len()) {
        return Ok(Err(Fail::Failed(alloc::format!("{code:?}"), Some(code))));
    }
    let total = writer.buffer.len().saturating_add(bytes.len());
    match writer.side {
        Side::Request if total > request_body_limit() => return Ok(Err(request_too_large(writer))),
        // Before `set` the bytes have nowhere to go: wasmtime's channel
        // is full then too.
        Side::Response if !writer.attached && total > limit => {
            return Err(wasmtime::Error::msg("write exceeded budget"));
        }
        _ => {}
    }
    writer.buffer.extend_from_slice(bytes);
    if writer.side == Side::Response && writer.attached {
        flush(http, Flush::IfDue)?;
    }
    Ok(Ok(()))
}

type Res = Resource<OutgoingResponse>;
type Body = Resource<OutgoingBody>;

pub fn define(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("[constructor]outgoing-response", |mut store: Ctx, (headers,): (Resource<Fields>,)| {
        let mut headers = store.data_mut().table.delete(headers)?;
        headers.set_immutable();
        Ok((store.data_mut().table.push(OutgoingResponse { status: 200, headers, body: None })?,))
    })?;
    instance.func_wrap("[method]outgoing-response.status-code", |store: Ctx, (response,): (Res,)| {
        Ok((store.data().table.get(&response)?.status,))
    })?;
    instance.func_wrap(
        "[method]outgoing-response.set-status-code",
        |mut store: Ctx, (response, status): (Res, u16)| {
            // The http crate's `StatusCode::from_u16` range.
            if !(100..=999).contains(&status) {
                return Ok((Err(()),));
            }
            store.data_mut().table.get_mut(&response)?.status = status;
            Ok((Ok(()),))
        },
    )?;
    instance.func_wrap("[method]outgoing-response.headers", |mut store: Ctx, (response,): (Res,)| {
        let headers = store.data().table.get(&response)?.headers.clone();
        Ok((store.data_mut().table.push(headers)?,))
    })?;
    instance.func_wrap("[method]outgoing-response.body", |mut store: Ctx, (response,): (Res,)| {
        let entry = store.data().table.get(&response)?;
        if entry.body.is_some() {
            return Ok((Err(()),));
        }
        let Ok(length) = entry.headers.content_length() else { return Ok((Err(()),)) };
        let writer = store.data_mut().wasi.http.add_writer(Writer::new(Side::Response, length));
        store.data_mut().table.get_mut(&response)?.body = Some(writer);
        Ok((Ok(new_body(&mut store, writer)?),))
    })?;
    instance.func_wrap("[method]outgoing-body.write", |mut store: Ctx, (body,): (Body,)| {
        let entry = store.data().table.get(&body)?;
        if entry.taken {
            return Ok((Err(()),));
        }
        let writer = entry.writer;
        let rep = new_stream(&mut store, StreamOf::Write(writer));
        let entry = store.data_mut().table.get_mut(&body)?;
        entry.taken = true;
        entry.stream = Some(rep);
        Ok((Ok(Resource::<super::super::OutputStream>::new_own(rep)),))
    })?;
    instance.func_wrap(
        "[static]outgoing-body.finish",
        |mut store: Ctx, (body, trailers): (Body, Option<Resource<Fields>>)| {
            let entry = store.data().table.get(&body)?;
            if store.data().wasi.http.stream_alive(entry.stream) {
                return Err(has_children());
            }
            let entry = store.data_mut().table.delete(body)?;
            let trailers = match trailers {
                Some(t) => Some(store.data_mut().table.delete(t)?.list()),
                None => None,
            };
            let http = &mut store.data_mut().wasi.http;
            let Some(writer) = http.writers.get_mut(&entry.writer) else { return Ok((Ok(()),)) };
            let finished: core::result::Result<(), ErrorCode> = writer.finish(trailers);
            if finished.is_ok() && writer.side == Side::Request {
                super::outgoing::body_finished(http, entry.writer)?;
            }
            Ok((finished,))
        },
    )?;
    instance.func_wrap(
        "[static]response-outparam.set",
        |mut store: Ctx, (param, response): (Resource<ResponseOutparam>, core::result::Result<Res, ErrorCode>)| {
            let param = store.data_mut().table.delete(param)?;
            let response = match response {
                Ok(response) => Ok(store.data_mut().table.delete(response)?),
                Err(code) => Err(code),
            };
            let http = &mut store.data_mut().wasi.http;
            // An outparam kept from an earlier request answers nothing now.
            if param.generation != http.generation || !matches!(http.response, Response::NotSet) {
                return Ok(());
            }
            http.response = match response {
                Ok(response) => {
                    if let Some(writer) = response.body.and_then(|b| http.writers.get_mut(&b)) {
                        writer.attached = true;
                    }
                    let head = Some((response.status, response.headers.list()));
                    Response::Set { head, body: response.body, last_part: super::super::state::rdtsc() }
                }
                Err(code) => Response::Error(code.debug_text()),
            };
            Ok(())
        },
    )?;
    instance.func_wrap(
        "[method]response-outparam.send-informational",
        |_: Ctx,
         (_, _, _): (Resource<ResponseOutparam>, u16, Resource<Fields>)|
         -> Result<(core::result::Result<(), ErrorCode>,)> { Err(not_implemented("send-informational")) },
    )
}

/// A new `outgoing-body` resource over writer `writer`.
pub fn new_body(store: &mut Ctx, writer: u32) -> Result<Body> {
    Ok(store.data_mut().table.push(OutgoingBody { writer, stream: None, taken: false })?)
}

/// Dropping an unfinished body aborts it.
pub fn drop_body(mut store: Ctx, rep: u32) -> Result<()> {
    let body = Resource::<OutgoingBody>::new_own(rep);
    if store.data().wasi.http.stream_alive(store.data().table.get(&body)?.stream) {
        return Err(has_children());
    }
    let body = store.data_mut().table.delete(body)?;
    let http = &mut store.data_mut().wasi.http;
    if let Some(writer) = http.writers.get_mut(&body.writer)
        && matches!(writer.end, End::Open)
    {
        writer.end = End::Aborted;
        writer.buffer = Vec::new();
    }
    Ok(())
}
