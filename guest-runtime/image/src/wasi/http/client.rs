//! Sending the component's outgoing requests: when a handled request
//! leaves (its body finished, or its response asked for) and what the
//! host answered.

use super::body::{End, Reader};
use super::state::{Http, Outgoing, State};
use super::wire::{self, IncomingResponse as Answer, OutgoingRequest as Wire};
use super::wit::{ErrorCode, Scheme};
use alloc::string::String;
use wasmtime::Result;

/// The body `writer` of a handled request was finished: the request leaves.
pub fn body_finished(http: &mut Http, writer: u32) -> Result<()> {
    let id = http.outgoing.iter().find(|(_, o)| o.request.as_ref().is_some_and(|r| r.body == Some(writer)));
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
    let Some(request) = &outgoing.request else { return Ok(true) };
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
        Some(Outgoing { request: Some(request), .. }) => {
            !matches!(request.body.and_then(|w| http.writers.get(&w)).map(|w| &w.end), Some(End::Open))
        }
        _ => true,
    }
}

/// Sends request `id` (if not yet sent) and keeps the host's answer.
pub fn send(http: &mut Http, id: u32) -> Result<()> {
    let Some(request) = http.outgoing.get_mut(&id).and_then(|o| o.request.take()) else { return Ok(()) };
    let writer = request.body.and_then(|w| http.writers.remove(&w));
    let state = if writer.as_ref().is_some_and(|w| matches!(w.end, End::Aborted)) {
        // wasmtime's body fails when dropped unfinished.
        State::Ready(Err(ErrorCode::HttpProtocolError))
    } else {
        http.before_wait()?;
        // wasmtime's default is https (`handle` refused other schemes).
        let scheme = if request.scheme == Some(Scheme::Http) { "http" } else { "https" };
        let answer = wire::send_request(&Wire {
            id,
            method: request.method.as_wire(),
            scheme: Some(scheme),
            authority: request.authority.as_deref(),
            path_with_query: request.path_with_query.as_deref(),
            headers: &request.headers,
            body: writer.as_ref().map_or(&[][..], |w| &w.buffer),
            timeouts: request.timeouts,
        })?;
        State::Ready(match answer {
            Answer::Response { status, headers, body, body_end } => {
                let reader = http.add_reader(Reader::new(id, body, body_end));
                Ok((status, headers, reader))
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
