//! `wasi:io/poll` and `wasi:io/streams` over the guest's stdio: stdin asked
//! of the host as it is read, output buffered here; a write failure the
//! host reported comes back from the stream's next operation.
//!
//! stdin behaves like wasmtime-wasi's: `read` returns what has arrived
//! (possibly nothing, starting a read on the host), `blocking-read` waits
//! for at least one byte; both end in `closed` at the end of input, and a
//! failure is `last-operation-failed` once, then `closed`. Output streams
//! report `closed` when the reader went away (EPIPE) and
//! `last-operation-failed` for other failures of the host's sink.

use super::filesystem;
use super::state::{Stream, WriteFailure};
use super::stdin::{Answer, FOREVER};
use super::{Ctx, InputStream, IoError, OutputStream, Pollable, STDERR, STDIN, STDOUT, StreamError, Wasi};
use crate::store::Host;
use alloc::string::String;
use alloc::vec::Vec;
use wasmtime::Result;
use wasmtime::component::{LinkerInstance, Resource};

pub(super) fn poll(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("[method]pollable.ready", |mut store: Ctx, (pollable,): (Resource<Pollable>,)| {
        let kind = kind(&store, &pollable)?;
        let wasi = &mut store.data_mut().wasi;
        Ok((match kind {
            Kind::Ready => true,
            Kind::Until(deadline) => wasi.clock.monotonic() >= deadline,
            Kind::Stdin => wasi.stdin.known_ready() || wasi.stdin.ready(0),
        },))
    })?;
    instance.func_wrap("[method]pollable.block", |mut store: Ctx, (pollable,): (Resource<Pollable>,)| {
        match kind(&store, &pollable)? {
            Kind::Ready => {}
            Kind::Until(deadline) => wait_until(&mut store.data_mut().wasi, deadline),
            Kind::Stdin => {
                let wasi = &mut store.data_mut().wasi;
                wasi.flush();
                wasi.stdin.ready(FOREVER);
            }
        }
        Ok(())
    })?;
    instance.func_wrap("poll", |mut store: Ctx, (pollables,): (Vec<Resource<Pollable>>,)| {
        let kinds = pollables.iter().map(|p| kind(&store, p)).collect::<Result<Vec<_>>>()?;
        Ok((poll_list(&mut store.data_mut().wasi, &kinds),))
    })
}

/// What a pollable waits for.
#[derive(Clone, Copy)]
enum Kind {
    Ready,
    Until(u64),
    Stdin,
}

fn kind(store: &Ctx, pollable: &Resource<Pollable>) -> Result<Kind> {
    Ok(match store.data().table.get(pollable)? {
        Pollable::Ready => Kind::Ready,
        Pollable::Until(deadline) => Kind::Until(*deadline),
        Pollable::Stdin => Kind::Stdin,
    })
}

/// The indexes of the pollables in `kinds` that are ready, waiting until
/// at least one is.
fn poll_list(wasi: &mut Wasi, kinds: &[Kind]) -> Vec<u32> {
    // The earliest deadline decides; a ready pollable ends the wait now.
    let earliest = kinds
        .iter()
        .filter_map(|k| match k {
            Kind::Ready => Some(0),
            Kind::Until(deadline) => Some(*deadline),
            Kind::Stdin => None,
        })
        .min();
    let has_stdin = kinds.iter().any(|k| matches!(k, Kind::Stdin));
    loop {
        let stdin_ready = has_stdin && {
            let now = wasi.clock.monotonic();
            // The host waits for stdin, in real time, until the earliest
            // deadline (not at all when clocks stand still: they skip).
            let wait_ns = match earliest {
                None => FOREVER,
                Some(_) if wasi.clock.is_fixed() => 0,
                Some(deadline) => deadline.saturating_sub(now).min(FOREVER - 1),
            };
            if wait_ns != 0 {
                wasi.flush();
            }
            wasi.stdin.known_ready() || wasi.stdin.ready(wait_ns)
        };
        if !stdin_ready && let Some(deadline) = earliest {
            wait_until(wasi, deadline);
        }
        let now = wasi.clock.monotonic();
        let ready: Vec<u32> = (0u32..)
            .zip(kinds)
            .filter(|(_, k)| match k {
                Kind::Ready => true,
                Kind::Until(deadline) => now >= *deadline,
                Kind::Stdin => stdin_ready,
            })
            .map(|(i, _)| i)
            .collect();
        if !ready.is_empty() {
            return ready;
        }
    }
}

/// Waits for the monotonic clock to reach `deadline`: spinning on the TSC
/// (the host can still interrupt), or skipping ahead when clocks are fixed.
/// Output is flushed first so it is not held back by a sleep.
fn wait_until(wasi: &mut Wasi, deadline: u64) {
    if wasi.clock.monotonic() >= deadline {
        return;
    }
    wasi.flush();
    if wasi.clock.is_fixed() {
        wasi.clock.skip_to(deadline);
        return;
    }
    while wasi.clock.monotonic() < deadline {
        core::hint::spin_loop();
    }
}

fn output_stream(stream: &Resource<OutputStream>) -> Result<Stream> {
    match stream.rep() {
        STDOUT => Ok(Stream::Stdout),
        STDERR => Ok(Stream::Stderr),
        other => Err(wasmtime::Error::msg(alloc::format!("no output stream {other}"))),
    }
}

/// A `last-operation-failed` error carrying `reason`.
fn failed(store: &mut Ctx, reason: String) -> Result<StreamError> {
    Ok(StreamError::LastOperationFailed(store.data_mut().table.push(IoError { text: reason, code: None })?))
}

/// The failure the host reported for `stream`, if the component has not
/// been told yet.
fn write_failure(store: &mut Ctx, stream: Stream) -> Result<Option<StreamError>> {
    match store.data_mut().wasi.take_failure(stream) {
        None => Ok(None),
        Some(WriteFailure::Closed) => Ok(Some(StreamError::Closed)),
        Some(WriteFailure::Failed(reason)) => failed(store, reason).map(Some),
    }
}

/// Runs output operation `op` on `stream` unless a failure is pending, and
/// reports a failure the host answered any flush it caused with.
fn output_op<T>(
    store: &mut Ctx,
    stream: Stream,
    op: impl FnOnce(&mut Wasi) -> T,
) -> Result<core::result::Result<T, StreamError>> {
    if let Some(error) = write_failure(store, stream)? {
        return Ok(Err(error));
    }
    let value = op(&mut store.data_mut().wasi);
    Ok(match write_failure(store, stream)? {
        Some(error) => Err(error),
        None => Ok(value),
    })
}

/// Reads stdin for a `read` (`wait_ns` 0) or `blocking-read` (`FOREVER`).
fn read_stdin(store: &mut Ctx, len: u64, wait_ns: u64) -> Result<core::result::Result<Vec<u8>, StreamError>> {
    let wasi = &mut store.data_mut().wasi;
    if wait_ns != 0 {
        // A prompt reaches the terminal before the read waits for its answer.
        wasi.flush();
    }
    if len == 0 && wait_ns == 0 && !wasi.stdin.known_ready() {
        // Nothing asked, nothing to ask the host (the end or a failure
        // already known is reported below).
        return Ok(Ok(Vec::new()));
    }
    Ok(match wasi.stdin.read(len, wait_ns) {
        Answer::Bytes(bytes) => Ok(bytes),
        Answer::Pending => Ok(Vec::new()),
        Answer::Closed => Err(StreamError::Closed),
        Answer::Failed(reason) => Err(failed(store, reason)?),
    })
}

pub(super) fn streams(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    type In = (Resource<InputStream>, u64);
    instance.func_wrap("[method]input-stream.read", |mut store: Ctx, (stream, len): In| {
        Ok((read_input(&mut store, &stream, len, 0)?,))
    })?;
    instance.func_wrap("[method]input-stream.blocking-read", |mut store: Ctx, (stream, len): In| {
        Ok((read_input(&mut store, &stream, len, FOREVER)?,))
    })?;
    instance.func_wrap("[method]input-stream.skip", |mut store: Ctx, (stream, len): In| {
        Ok((read_input(&mut store, &stream, len, 0)?.map(|b| b.len() as u64),))
    })?;
    instance.func_wrap("[method]input-stream.blocking-skip", |mut store: Ctx, (stream, len): In| {
        Ok((read_input(&mut store, &stream, len, FOREVER)?.map(|b| b.len() as u64),))
    })?;
    instance.func_wrap("[method]input-stream.subscribe", |mut store: Ctx, (stream,): (Resource<InputStream>,)| {
        let pollable = if stream.rep() == STDIN { Pollable::Stdin } else { Pollable::Ready };
        Ok((store.data_mut().table.push(pollable)?,))
    })?;

    type Out = (Resource<OutputStream>,);
    instance.func_wrap("[method]output-stream.check-write", |mut store: Ctx, (stream,): Out| {
        if filesystem::is_file_stream(&store, stream.rep()) {
            return Ok((filesystem::check_write(&mut store, stream.rep()),));
        }
        let stream = output_stream(&stream)?;
        Ok((output_op(&mut store, stream, |wasi| wasi.write_budget() as u64)?,))
    })?;
    instance.func_wrap(
        "[method]output-stream.write",
        |mut store: Ctx, (stream, contents): (Resource<OutputStream>, Vec<u8>)| {
            if filesystem::is_file_stream(&store, stream.rep()) {
                return Ok((filesystem::write(&mut store, stream.rep(), &contents)?,));
            }
            let stream = output_stream(&stream)?;
            Ok((output_op(&mut store, stream, |wasi| wasi.write(stream, &contents))?,))
        },
    )?;
    instance.func_wrap(
        "[method]output-stream.blocking-write-and-flush",
        |mut store: Ctx, (stream, contents): (Resource<OutputStream>, Vec<u8>)| {
            if filesystem::is_file_stream(&store, stream.rep()) {
                return Ok((filesystem::write(&mut store, stream.rep(), &contents)?,));
            }
            let stream = output_stream(&stream)?;
            Ok((output_op(&mut store, stream, |wasi| {
                wasi.write(stream, &contents);
                wasi.flush_if_due();
            })?,))
        },
    )?;
    let flush = |mut store: Ctx, (stream,): Out| {
        if filesystem::is_file_stream(&store, stream.rep()) {
            return Ok((filesystem::flush(&mut store, stream.rep()),));
        }
        let stream = output_stream(&stream)?;
        Ok((output_op(&mut store, stream, Wasi::flush_if_due)?,))
    };
    instance.func_wrap("[method]output-stream.flush", flush)?;
    instance.func_wrap("[method]output-stream.blocking-flush", flush)?;
    instance.func_wrap("[method]output-stream.subscribe", |mut store: Ctx, (_,): Out| {
        Ok((store.data_mut().table.push(Pollable::Ready)?,))
    })?;
    let zeroes = |mut store: Ctx, (stream, len): (Resource<OutputStream>, u64)| {
        if filesystem::is_file_stream(&store, stream.rep()) {
            let zeroes = alloc::vec![0; usize::try_from(len.min(64 * 1024)).unwrap_or(0)];
            return Ok((filesystem::write(&mut store, stream.rep(), &zeroes)?,));
        }
        let stream = output_stream(&stream)?;
        Ok((output_op(&mut store, stream, |wasi| {
            let len = usize::try_from(len).unwrap_or(usize::MAX).min(wasi.write_budget());
            wasi.write(stream, &alloc::vec![0; len]);
        })?,))
    };
    instance.func_wrap("[method]output-stream.write-zeroes", zeroes)?;
    instance.func_wrap("[method]output-stream.blocking-write-zeroes-and-flush", zeroes)?;
    instance.func_wrap(
        "[method]output-stream.splice",
        |mut store: Ctx, (stream, source, len): (Resource<OutputStream>, Resource<InputStream>, u64)| {
            splice(&mut store, &stream, &source, len, 0)
        },
    )?;
    instance.func_wrap(
        "[method]output-stream.blocking-splice",
        |mut store: Ctx, (stream, source, len): (Resource<OutputStream>, Resource<InputStream>, u64)| {
            splice(&mut store, &stream, &source, len, FOREVER)
        },
    )
}

/// Reads an input stream: stdin or a file.
fn read_input(
    store: &mut Ctx,
    stream: &Resource<InputStream>,
    len: u64,
    wait_ns: u64,
) -> Result<core::result::Result<Vec<u8>, StreamError>> {
    if stream.rep() == STDIN { read_stdin(store, len, wait_ns) } else { filesystem::read(store, stream.rep(), len) }
}

/// Moves up to `len` bytes of an input stream to an output stream.
fn splice(
    store: &mut Ctx,
    stream: &Resource<OutputStream>,
    source: &Resource<InputStream>,
    len: u64,
    wait_ns: u64,
) -> Result<(core::result::Result<u64, StreamError>,)> {
    if filesystem::is_file_stream(store, stream.rep()) || source.rep() != STDIN {
        let len = len.min(64 * 1024);
        let bytes = match read_input(store, source, len, wait_ns)? {
            Ok(bytes) => bytes,
            Err(error) => return Ok((Err(error),)),
        };
        let written = bytes.len() as u64;
        if filesystem::is_file_stream(store, stream.rep()) {
            return Ok((filesystem::write(store, stream.rep(), &bytes)?.map(|()| written),));
        }
        let stream = output_stream(stream)?;
        return Ok((output_op(store, stream, |wasi| {
            wasi.write(stream, &bytes);
            written
        })?,));
    }
    let stream = output_stream(stream)?;
    if let Some(error) = write_failure(store, stream)? {
        return Ok((Err(error),));
    }
    let len = len.min(store.data().wasi.write_budget() as u64);
    let bytes = match read_stdin(store, len, wait_ns)? {
        Ok(bytes) => bytes,
        Err(error) => return Ok((Err(error),)),
    };
    Ok((output_op(store, stream, |wasi| {
        wasi.write(stream, &bytes);
        bytes.len() as u64
    })?,))
}
