//! The guest's `wasi:http` state for the request being served: bodies by
//! number, body streams, the response being made and the outgoing requests
//! (the store's `Host` holds it beside `Wasi`), and how the response's
//! parts leave. Resources live in the store's table and point in here.

use super::body::{End, Reader, Writer};
use super::wire::{self, FieldList, Part};
use super::wit::{ErrorCode, Method, Scheme};
use crate::wasi::state::rdtsc;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use featherlight_abi::http::FLUSH_INTERVAL_MS;
use wasmtime::Result;

/// The guest's `wasi:http` state for the request being served.
#[derive(Debug, Default)]
pub struct Http {
    pub(super) readers: BTreeMap<u32, Reader>,
    pub(super) writers: BTreeMap<u32, Writer>,
    /// Body streams by rep: which body each reads or writes.
    pub(super) streams: BTreeMap<u32, StreamOf>,
    pub(super) response: Response,
    pub(super) outgoing: BTreeMap<u32, Outgoing>,
    next_body: u32,
    pub(super) next_request: u32,
    /// TSC ticks per millisecond (0: clocks are fixed).
    pub(super) tsc_khz: u64,
    /// Counts requests served, so a resource kept from an earlier one is
    /// told apart.
    pub(super) generation: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StreamOf {
    Read(u32),
    Write(u32),
}

impl Http {
    /// Forgets the previous request's bodies and response (they belong to
    /// it even when the sandbox was not restored in between).
    /// Body and request numbers keep counting, so a resource kept from an
    /// earlier request finds nothing instead of this request's bodies.
    pub(super) fn begin_call(&mut self, tsc_khz: u64) {
        *self = Self {
            tsc_khz,
            generation: self.generation.wrapping_add(1),
            next_body: self.next_body,
            next_request: self.next_request,
            ..Self::default()
        };
    }

    pub(super) fn add_reader(&mut self, reader: Reader) -> u32 {
        self.next_body = self.next_body.wrapping_add(1);
        self.readers.insert(self.next_body, reader);
        self.next_body
    }

    pub(super) fn add_writer(&mut self, writer: Writer) -> u32 {
        self.next_body = self.next_body.wrapping_add(1);
        self.writers.insert(self.next_body, writer);
        self.next_body
    }

    /// Whether stream `rep` (of a body resource) is still alive.
    pub(super) fn stream_alive(&self, rep: Option<u32>) -> bool {
        rep.is_some_and(|rep| self.streams.contains_key(&rep))
    }

    /// Sends the response's pending head and bytes before the component
    /// waits (for the request body, a timer, an outgoing response).
    pub fn before_wait(&mut self) -> Result<()> {
        flush(self, Flush::All)
    }
}

/// What an HTTP pollable waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Bytes (or the end) of a read body.
    Read(u32),
    /// Room in a written body.
    Write(u32),
    /// The end of a read body, for its trailers.
    Trailers(u32),
    /// The response to outgoing request `id`.
    Response(u32),
}

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

/// A handled request, until its response is taken.
#[derive(Debug)]
pub struct Outgoing {
    pub(super) request: Option<PendingRequest>,
    pub(super) state: State,
}

#[derive(Debug)]
pub(super) enum State {
    Waiting,
    Ready(core::result::Result<(u16, FieldList, u32), ErrorCode>),
    Consumed,
}

/// A handled request waiting for its body to be finished.
#[derive(Debug)]
pub struct PendingRequest {
    pub(super) method: Method,
    pub(super) scheme: Option<Scheme>,
    pub(super) authority: Option<String>,
    pub(super) path_with_query: Option<String>,
    pub(super) headers: FieldList,
    pub(super) body: Option<u32>,
    /// Connect, first-byte and between-bytes timeouts in ns (0: the host's).
    pub(super) timeouts: [u64; 3],
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
        let due = *tsc_khz != 0 && rdtsc().wrapping_sub(*last_part) >= tsc_khz.saturating_mul(FLUSH_INTERVAL_MS);
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
        *last_part = rdtsc();
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
