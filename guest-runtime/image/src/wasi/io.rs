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

use super::state::{Stream, WriteFailure};
use super::stdin::{Answer, FOREVER};
use super::{Ctx, InputStream, IoError, OutputStream, Pollable, STDERR, STDIN, STDOUT, StreamError, Wasi};
use super::{filesystem, http};
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
            Kind::Http(wait) => http::ready(&mut wasi.http, wait, 0, false)?,
        },))
    })?;
    instance.func_wrap("[method]pollable.block", |mut store: Ctx, (pollable,): (Resource<Pollable>,)| {
        match kind(&store, &pollable)? {
            Kind::Ready => {}
            Kind::Until(deadline) => wait_until(&mut store.data_mut().wasi, deadline)?,
            Kind::Stdin => {
                let wasi = &mut store.data_mut().wasi;
                before_wait(wasi)?;
                wasi.stdin.ready(FOREVER);
            }
            Kind::Http(wait) => {
                let wasi = &mut store.data_mut().wasi;
                if http::known_ready(&wasi.http, wait) {
                    return Ok(());
                }
                if !http::waits_on_host(&wasi.http, wait) {
                    // Only the component could make it ready, and it waits.
                    if !http::ready(&mut wasi.http, wait, 0, true)? {
                        return Err(http::deadlock());
                    }
                    return Ok(());
                }
                before_wait(wasi)?;
                while !http::ready(&mut wasi.http, wait, FOREVER, true)? {}
            }
        }
        Ok(())
    })?;
    instance.func_wrap("poll", |mut store: Ctx, (pollables,): (Vec<Resource<Pollable>>,)| {
        let kinds = pollables.iter().map(|p| kind(&store, p)).collect::<Result<Vec<_>>>()?;
        Ok((poll_list(&mut store.data_mut().wasi, &kinds)?,))
    })
}

/// What a pollable waits for.
#[derive(Clone, Copy)]
enum Kind {
    Ready,
    Until(u64),
    Stdin,
    Http(http::Wait),
}

fn kind(store: &Ctx, pollable: &Resource<Pollable>) -> Result<Kind> {
    Ok(match store.data().table.get(pollable)? {
        Pollable::Ready => Kind::Ready,
        Pollable::Until(deadline) => Kind::Until(*deadline),
        Pollable::Stdin => Kind::Stdin,
        Pollable::Http(wait) => Kind::Http(*wait),
    })
}

/// Output and the response's pending bytes leave before the guest waits.
fn before_wait(wasi: &mut Wasi) -> Result<()> {
    wasi.flush();
    wasi.http.before_wait()
}

/// With several sources the host can wait on (stdin, HTTP bodies and
/// responses), each is asked in turn, the first waiting at most this long.
const SLICE_NS: u64 = 1_000_000;

/// The indexes of the pollables in `kinds` that are ready, waiting until
/// at least one is.
fn poll_list(wasi: &mut Wasi, kinds: &[Kind]) -> Result<Vec<u32>> {
    if kinds.is_empty() {
        // As wasmtime: waiting for nothing would never end.
        return Err(wasmtime::Error::msg("empty poll list"));
    }
    // The earliest deadline decides; a ready pollable ends the wait now.
    let earliest = kinds
        .iter()
        .filter_map(|k| match k {
            Kind::Ready => Some(0),
            Kind::Until(deadline) => Some(*deadline),
            Kind::Stdin | Kind::Http(_) => None,
        })
        .min();
    let sources: Vec<usize> = (0..kinds.len())
        .filter(|&i| match kinds[i] {
            Kind::Stdin => true,
            Kind::Http(wait) => http::waits_on_host(&wasi.http, wait),
            _ => false,
        })
        .collect();
    // What is known ready without asking the host answers at once.
    let known: Vec<u32> = (0u32..)
        .zip(kinds)
        .filter(|(_, k)| matches!(k, Kind::Http(wait) if http::known_ready(&wasi.http, *wait)))
        .map(|(i, _)| i)
        .collect();
    if !known.is_empty() {
        return Ok(known);
    }
    loop {
        let now = wasi.clock.monotonic();
        // The host waits for a source, in real time, until the earliest
        // deadline (not at all when clocks stand still: they skip).
        let wait_ns = match earliest {
            None => FOREVER,
            Some(_) if wasi.clock.is_fixed() => 0,
            Some(deadline) => deadline.saturating_sub(now).min(FOREVER - 1),
        };
        if wait_ns != 0 && !sources.is_empty() {
            before_wait(wasi)?;
        }
        let mut ready = alloc::vec![false; kinds.len()];
        for (n, &i) in sources.iter().enumerate() {
            let wait = match sources.len() {
                1 => wait_ns,
                _ if n == 0 => wait_ns.min(SLICE_NS),
                _ => 0,
            };
            ready[i] = source_ready(wasi, kinds[i], wait)?;
        }
        for (i, kind) in kinds.iter().enumerate() {
            if let Kind::Http(wait) = kind
                && !sources.contains(&i)
            {
                ready[i] = http::ready(&mut wasi.http, *wait, 0, false)?;
            }
        }
        if !ready.contains(&true) {
            match earliest {
                Some(deadline) if sources.len() <= 1 => wait_until(wasi, deadline)?,
                None if sources.is_empty() => {
                    // Only the component could make these ready, and it waits.
                    for (i, kind) in kinds.iter().enumerate() {
                        if let Kind::Http(wait) = kind {
                            ready[i] = http::ready(&mut wasi.http, *wait, 0, true)?;
                        }
                    }
                    if !ready.contains(&true) {
                        return Err(http::deadlock());
                    }
                }
                _ => {}
            }
        }
        let now = wasi.clock.monotonic();
        let ready: Vec<u32> = (0u32..)
            .zip(kinds)
            .zip(ready)
            .filter(|((_, k), source)| match k {
                Kind::Ready => true,
                Kind::Until(deadline) => now >= *deadline,
                Kind::Stdin | Kind::Http(_) => *source,
            })
            .map(|((i, _), _)| i)
            .collect();
        if !ready.is_empty() {
            return Ok(ready);
        }
    }
}

/// Whether source `kind` (stdin, or an HTTP wait on the host) is ready,
/// letting the host wait `wait_ns`.
fn source_ready(wasi: &mut Wasi, kind: Kind, wait_ns: u64) -> Result<bool> {
    Ok(match kind {
        Kind::Stdin => wasi.stdin.known_ready() || wasi.stdin.ready(wait_ns),
        Kind::Http(wait) => http::ready(&mut wasi.http, wait, wait_ns, false)?,
        Kind::Ready | Kind::Until(_) => false,
    })
}

/// Waits for the monotonic clock to reach `deadline`: spinning on the TSC
/// (the host can still interrupt), or skipping ahead when clocks are fixed.
/// Output is flushed first so it is not held back by a sleep.
fn wait_until(wasi: &mut Wasi, deadline: u64) -> Result<()> {
    if wasi.clock.monotonic() >= deadline {
        return Ok(());
    }
    before_wait(wasi)?;
    if wasi.clock.is_fixed() {
        wasi.clock.skip_to(deadline);
        return Ok(());
    }
    while wasi.clock.monotonic() < deadline {
        core::hint::spin_loop();
    }
    Ok(())
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
    Ok(StreamError::LastOperationFailed(store.data_mut().table.push(IoError {
        text: reason,
        code: None,
        http: None,
    })?))
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
        let pollable = match stream.rep() {
            STDIN => Pollable::Stdin,
            rep if http::is_stream(&store, rep) => http::subscribe(&store, rep),
            _ => Pollable::Ready,
        };
        Ok((store.data_mut().table.push(pollable)?,))
    })?;

    type Out = (Resource<OutputStream>,);
    instance.func_wrap("[method]output-stream.check-write", |mut store: Ctx, (stream,): Out| {
        if http::is_stream(&store, stream.rep()) {
            return Ok((http::check_write(&mut store, stream.rep())?,));
        }
        if filesystem::is_file_stream(&store, stream.rep()) {
            return Ok((filesystem::check_write(&mut store, stream.rep()),));
        }
        let stream = output_stream(&stream)?;
        Ok((output_op(&mut store, stream, |wasi| wasi.write_budget() as u64)?,))
    })?;
    instance.func_wrap(
        "[method]output-stream.write",
        |mut store: Ctx, (stream, contents): (Resource<OutputStream>, Vec<u8>)| {
            if http::is_stream(&store, stream.rep()) {
                return Ok((http::write(&mut store, stream.rep(), &contents)?,));
            }
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
            if http::is_stream(&store, stream.rep()) {
                check_blocking_len(contents.len() as u64, "blocking-write-and-flush")?;
                if let Err(e) = http::write(&mut store, stream.rep(), &contents)? {
                    return Ok((Err(e),));
                }
                return Ok((http::flush(&mut store, stream.rep())?,));
            }
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
        if http::is_stream(&store, stream.rep()) {
            return Ok((http::flush(&mut store, stream.rep())?,));
        }
        if filesystem::is_file_stream(&store, stream.rep()) {
            return Ok((filesystem::flush(&mut store, stream.rep()),));
        }
        let stream = output_stream(&stream)?;
        Ok((output_op(&mut store, stream, Wasi::flush_if_due)?,))
    };
    instance.func_wrap("[method]output-stream.flush", flush)?;
    instance.func_wrap("[method]output-stream.blocking-flush", flush)?;
    instance.func_wrap("[method]output-stream.subscribe", |mut store: Ctx, (stream,): Out| {
        let pollable = http::subscribe(&store, stream.rep());
        Ok((store.data_mut().table.push(pollable)?,))
    })?;
    let zeroes = |mut store: Ctx, (stream, len): (Resource<OutputStream>, u64)| {
        if http::is_stream(&store, stream.rep()) {
            let zeroes = alloc::vec![0; usize::try_from(len.min(64 * 1024)).unwrap_or(0)];
            return Ok((http::write(&mut store, stream.rep(), &zeroes)?,));
        }
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
    if stream.rep() == STDIN {
        read_stdin(store, len, wait_ns)
    } else if http::is_stream(store, stream.rep()) {
        http::read(store, stream.rep(), len, wait_ns)
    } else {
        filesystem::read(store, stream.rep(), len)
    }
}

/// Moves up to `len` bytes of an input stream to an output stream.
fn splice(
    store: &mut Ctx,
    stream: &Resource<OutputStream>,
    source: &Resource<InputStream>,
    len: u64,
    wait_ns: u64,
) -> Result<(core::result::Result<u64, StreamError>,)> {
    let to_http = http::is_stream(store, stream.rep());
    if filesystem::is_file_stream(store, stream.rep()) || to_http || source.rep() != STDIN {
        let mut len = len.min(64 * 1024);
        if to_http {
            // As wasmtime: no more than the destination takes now.
            match http::check_write(store, stream.rep())? {
                Ok(room) => len = len.min(room),
                Err(error) => return Ok((Err(error),)),
            }
            if len == 0 {
                return Ok((Ok(0),));
            }
        }
        let bytes = match read_input(store, source, len, wait_ns)? {
            Ok(bytes) => bytes,
            Err(error) => return Ok((Err(error),)),
        };
        let written = bytes.len() as u64;
        if to_http {
            return Ok((http::write(store, stream.rep(), &bytes)?.map(|()| written),));
        }
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

/// wasmtime's limit on what one blocking write may carry.
fn check_blocking_len(len: u64, what: &str) -> Result<()> {
    if len > 4096 {
        return Err(wasmtime::Error::msg(alloc::format!("Buffer too large for {what} (expected at most 4096)")));
    }
    Ok(())
}
