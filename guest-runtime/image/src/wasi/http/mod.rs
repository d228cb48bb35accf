//! `wasi:http@0.2.x` inside the guest: the `types` resources,
//! `outgoing-handler`, and serving one incoming request per `HttpRequest`
//! message (`serve.rs`). The protocol with the host is in
//! `featherlight_abi::http`.
//!
//! Resources live in the store's `ResourceTable`; bodies live in [`Http`]
//! by number, so a body outlives the resource it came from as in
//! wasmtime-wasi-http (an outgoing body is written after its response was
//! set). Body streams are `input-stream`/`output-stream` reps numbered with
//! file streams, and join `wasi:io` through [`read`], [`write`] and the
//! rest below; their pollables are [`Wait`]s.
//!
//! A component that misuses the resources gets what wasmtime-wasi-http
//! gives: `Err(())`/`header-error`/`error-code` where the WIT has one, a
//! trap where wasmtime traps (finishing or dropping a body while its stream
//! lives: "resource has children"; writing past the granted budget before
//! the response is set).

mod body;
mod fields;
mod incoming;
mod outgoing;
mod response;
mod serve;
mod wire;
mod wit;

pub use wit::ErrorCode;

pub use incoming::IncomingRequest;
pub use response::ResponseOutparam;
pub use serve::{Handler, find_handler, serve};
pub use wire::{Part, response as response_table};

use super::{Ctx, IoError, Pollable, StreamError};
use crate::store::Host;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use body::{ReadEnd, Reader, Writer};
use wasmtime::Result;
use wasmtime::component::{LinkerInstance, Resource, ResourceType};

/// The guest's `wasi:http` state for the request being served.
#[derive(Debug, Default)]
pub struct Http {
    readers: BTreeMap<u32, Reader>,
    writers: BTreeMap<u32, Writer>,
    /// Body streams by rep: which body each reads or writes.
    streams: BTreeMap<u32, StreamOf>,
    response: response::Response,
    outgoing: BTreeMap<u32, outgoing::Outgoing>,
    next_body: u32,
    next_request: u32,
    /// TSC ticks per millisecond (0: clocks are fixed).
    tsc_khz: u64,
    /// Counts requests served, so a resource kept from an earlier one is
    /// told apart.
    generation: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamOf {
    Read(u32),
    Write(u32),
}

impl Http {
    /// Forgets the previous request's bodies and response (they belong to
    /// it even when the sandbox was not restored in between).
    fn begin_call(&mut self, tsc_khz: u64) {
        *self = Self { tsc_khz, generation: self.generation.wrapping_add(1), ..Self::default() };
    }

    fn add_reader(&mut self, reader: Reader) -> u32 {
        self.next_body += 1;
        self.readers.insert(self.next_body, reader);
        self.next_body
    }

    fn add_writer(&mut self, writer: Writer) -> u32 {
        self.next_body += 1;
        self.writers.insert(self.next_body, writer);
        self.next_body
    }

    /// Whether stream `rep` (of a body resource) is still alive.
    fn stream_alive(&self, rep: Option<u32>) -> bool {
        rep.is_some_and(|rep| self.streams.contains_key(&rep))
    }

    /// Sends the response's pending head and bytes before the component
    /// waits (for the request body, a timer, an outgoing response).
    pub fn before_wait(&mut self) -> Result<()> {
        response::flush(self, response::Flush::All)
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

/// Whether `wait` is over without asking the host.
pub fn known_ready(http: &Http, wait: Wait) -> bool {
    match wait {
        Wait::Read(body) => http.readers.get(&body).is_none_or(Reader::known_ready),
        // What is left of the body is dropped unread: only its end counts.
        Wait::Trailers(body) => http.readers.get(&body).is_none_or(Reader::ended),
        Wait::Write(body) => http.writers.get(&body).is_none_or(|w| w.attached || w.closed),
        Wait::Response(id) => outgoing::resolved(http, id),
    }
}

/// Whether `wait` is over, letting the host wait up to `wait_ns` (0: not
/// at all). `blocking`: the component will wait for nothing else, so an
/// outgoing request whose body is unfinished resolves to an error instead
/// of never.
pub fn ready(http: &mut Http, wait: Wait, wait_ns: u64, blocking: bool) -> Result<bool> {
    match wait {
        Wait::Read(body) => match http.readers.get_mut(&body) {
            Some(reader) => reader.ready(wait_ns),
            None => Ok(true),
        },
        Wait::Write(body) => Ok(response::write_budget(http, body) != Some(0)),
        Wait::Trailers(body) => match http.readers.get_mut(&body) {
            Some(reader) => reader.drain(wait_ns),
            None => Ok(true),
        },
        Wait::Response(id) => outgoing::resolve(http, id, blocking),
    }
}

/// Whether waiting on `wait` involves the host (it may become ready while
/// the guest waits), rather than only on what the component does next.
pub fn waits_on_host(http: &Http, wait: Wait) -> bool {
    match wait {
        Wait::Read(_) | Wait::Trailers(_) => true,
        Wait::Response(id) => outgoing::sendable(http, id),
        Wait::Write(body) => http.writers.get(&body).is_some_and(|w| w.attached),
    }
}

/// The error of a pollable that can never become ready.
pub fn deadlock() -> wasmtime::Error {
    wasmtime::Error::msg(
        "the component waits to write a response body it has not set with `response-outparam.set`: \
         this would never end",
    )
}

/// A stream operation's failure, before it becomes a `stream-error`.
enum Fail {
    Closed,
    Failed(String, Option<wit::ErrorCode>),
}

fn stream_error(store: &mut Ctx, fail: Fail) -> Result<StreamError> {
    Ok(match fail {
        Fail::Closed => StreamError::Closed,
        Fail::Failed(text, http) => {
            StreamError::LastOperationFailed(store.data_mut().table.push(IoError { text, code: None, http })?)
        }
    })
}

fn outcome<T>(store: &mut Ctx, result: core::result::Result<T, Fail>) -> Result<core::result::Result<T, StreamError>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(fail) => Ok(Err(stream_error(store, fail)?)),
    }
}

/// Whether `rep` is an HTTP body stream.
pub fn is_stream(store: &Ctx, rep: u32) -> bool {
    store.data().wasi.http.streams.contains_key(&rep)
}

/// A new body stream of `of`.
fn new_stream(store: &mut Ctx, of: StreamOf) -> u32 {
    let rep = store.data_mut().wasi.files.next_rep();
    store.data_mut().wasi.http.streams.insert(rep, of);
    rep
}

pub fn drop_stream(store: &mut Ctx, rep: u32) {
    store.data_mut().wasi.http.streams.remove(&rep);
}

/// `read`/`blocking-read` (`wait_ns` `u64::MAX`) of body stream `rep`.
pub fn read(store: &mut Ctx, rep: u32, len: u64, wait_ns: u64) -> Result<core::result::Result<Vec<u8>, StreamError>> {
    let http = &mut store.data_mut().wasi.http;
    let Some(&StreamOf::Read(body)) = http.streams.get(&rep) else {
        return Err(wasmtime::Error::msg("not an input stream"));
    };
    // Only a read that may wait on the host sends the response's pending
    // bytes first: reading what is buffered costs nothing.
    let waits = wait_ns != 0 && len != 0 && http.readers.get(&body).is_some_and(|r| !r.known_ready());
    if waits {
        http.before_wait()?;
    }
    let result = match http.readers.get_mut(&body) {
        Some(reader) => reader.read(len, wait_ns)?.map_err(|end| match end {
            ReadEnd::Closed => Fail::Closed,
            ReadEnd::Failed(reason) => Fail::Failed(reason, None),
        }),
        None => Err(Fail::Closed),
    };
    if waits {
        // The host may have waited: stdout should not lag behind.
        store.data_mut().wasi.flush();
    }
    outcome(store, result)
}

fn writer_of(store: &Ctx, rep: u32) -> Result<u32> {
    match store.data().wasi.http.streams.get(&rep) {
        Some(&StreamOf::Write(body)) => Ok(body),
        _ => Err(wasmtime::Error::msg("not an output stream")),
    }
}

pub fn check_write(store: &mut Ctx, rep: u32) -> Result<core::result::Result<u64, StreamError>> {
    let body = writer_of(store, rep)?;
    let result = response::check_write(&mut store.data_mut().wasi.http, body);
    outcome(store, result)
}

pub fn write(store: &mut Ctx, rep: u32, bytes: &[u8]) -> Result<core::result::Result<(), StreamError>> {
    let body = writer_of(store, rep)?;
    let result = response::write(&mut store.data_mut().wasi.http, body, bytes)?;
    outcome(store, result)
}

/// `flush`/`blocking-flush`: the response's bytes leave if the last part
/// left long enough ago (a flush after every small write would cost an
/// exit each; see `FLUSH_INTERVAL_MS`).
pub fn flush(store: &mut Ctx, rep: u32) -> Result<core::result::Result<(), StreamError>> {
    let body = writer_of(store, rep)?;
    let http = &mut store.data_mut().wasi.http;
    response::flush(http, response::Flush::IfDue)?;
    let result = match http.writers.get(&body) {
        Some(writer) if !writer.closed => Ok(()),
        _ => Err(Fail::Closed),
    };
    outcome(store, result)
}

pub fn subscribe(store: &Ctx, rep: u32) -> Pollable {
    match store.data().wasi.http.streams.get(&rep) {
        Some(&StreamOf::Read(body)) => Pollable::Http(Wait::Read(body)),
        Some(&StreamOf::Write(body)) => Pollable::Http(Wait::Write(body)),
        None => Pollable::Ready,
    }
}

/// Defines `wasi:http/types` in `instance`.
pub fn types(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    fields::define(instance)?;
    incoming::define(instance)?;
    response::define(instance)?;
    outgoing::define_types(instance)?;
    instance.func_wrap("http-error-code", |store: Ctx, (error,): (Resource<IoError>,)| {
        Ok((store.data().table.get(&error)?.http.clone(),))
    })
}

/// Defines `wasi:http/outgoing-handler` in `instance`.
pub fn outgoing_handler(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    outgoing::define_handler(instance)
}

/// Defines resource `name` if it is one of `wasi:http/types`': `false`
/// when it is not.
pub fn define_resource(instance: &mut LinkerInstance<'_, Host>, name: &str) -> Result<bool> {
    match name {
        // `headers` and `trailers` are aliases of `fields`.
        "fields" | "headers" | "trailers" => {
            instance.resource(name, ResourceType::host::<fields::Fields>(), drop_from_table::<fields::Fields>)?
        }
        "incoming-request" => {
            instance.resource(name, ResourceType::host::<IncomingRequest>(), incoming::drop_request)?
        }
        "incoming-response" => {
            instance.resource(name, ResourceType::host::<incoming::IncomingResponse>(), incoming::drop_response)?
        }
        "incoming-body" => {
            instance.resource(name, ResourceType::host::<incoming::IncomingBody>(), incoming::drop_body)?
        }
        "future-trailers" => {
            instance.resource(name, ResourceType::host::<incoming::FutureTrailers>(), incoming::drop_trailers)?
        }
        "outgoing-response" => instance.resource(
            name,
            ResourceType::host::<response::OutgoingResponse>(),
            drop_from_table::<response::OutgoingResponse>,
        )?,
        "outgoing-body" => {
            instance.resource(name, ResourceType::host::<response::OutgoingBody>(), response::drop_body)?
        }
        "response-outparam" => {
            instance.resource(name, ResourceType::host::<ResponseOutparam>(), drop_from_table::<ResponseOutparam>)?
        }
        "outgoing-request" => {
            instance.resource(name, ResourceType::host::<outgoing::OutgoingRequest>(), outgoing::drop_request)?
        }
        "request-options" => instance.resource(
            name,
            ResourceType::host::<outgoing::RequestOptions>(),
            drop_from_table::<outgoing::RequestOptions>,
        )?,
        "future-incoming-response" => {
            instance.resource(name, ResourceType::host::<outgoing::FutureIncomingResponse>(), outgoing::drop_future)?
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn drop_from_table<T: 'static>(mut store: Ctx, rep: u32) -> Result<()> {
    store.data_mut().table.delete(Resource::<T>::new_own(rep))?;
    Ok(())
}

/// wasmtime's error for deleting a resource whose child (here: its
/// stream) still lives.
fn has_children() -> wasmtime::Error {
    wasmtime::Error::new(wasmtime::component::ResourceTableError::HasChildren)
}

/// The message of a trap wasmtime gives for a call it does not implement.
fn not_implemented(what: &str) -> wasmtime::Error {
    wasmtime::Error::msg(alloc::format!("{what}: not implemented"))
}
