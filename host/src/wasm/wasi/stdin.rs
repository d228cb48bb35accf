//! Where a component's stdin comes from, read as the component reads it.
//!
//! The guest asks for stdin with a `StdinRead` message each time its
//! `wasi:io` input stream is read or polled; the host answers from here.
//! In-memory bytes are served from the position the guest names (the guest
//! keeps its place in its own memory, so a restored snapshot reads them
//! again). A stream ([`Read`] or this process's stdin) is read by a helper
//! thread, one chunk at a time and only once the guest asks, like
//! wasmtime-wasi's stdin: a read returns what one `read(2)` brought (at
//! least one byte for a blocking read), memory stays bounded by one chunk,
//! and the vCPU thread waits in slices so an interrupt or deadline still
//! stops a call waiting for input.

use std::fmt;
use std::io::Read;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// The most bytes one answer carries (wasmtime-wasi reads stdin in chunks
/// of the same size).
pub(crate) const MAX_CHUNK: usize = 64 * 1024;

/// How long the vCPU thread waits for input before it checks whether the
/// call was interrupted.
const WAIT_SLICE: Duration = Duration::from_millis(10);

/// A component's stdin, shared by the clones of a [`WasiConfig`](super::WasiConfig).
#[derive(Clone)]
pub(crate) enum Stdin {
    /// These bytes, whole for every sandbox.
    Bytes(Arc<[u8]>),
    /// A stream read once, shared by every sandbox reading it.
    Stream(Arc<StreamingStdin>),
}

impl fmt::Debug for Stdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stdin::Bytes(bytes) => f.debug_struct("Bytes").field("len", &bytes.len()).finish(),
            Stdin::Stream(stream) if Arc::ptr_eq(stream, process_stdin()) => f.write_str("Inherit"),
            Stdin::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// The answer to one request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StdinReply {
    /// Nothing arrived in the time the guest allowed.
    Pending,
    /// These bytes (none when none were asked for: data is ready).
    Ready(Vec<u8>),
    /// The end of stdin.
    Closed,
    /// Reading failed; the stream is closed from now on.
    Failed(String),
}

impl Stdin {
    /// Whatever the embedder passed as stdin, in memory.
    pub(crate) fn bytes(bytes: Vec<u8>) -> Self {
        Stdin::Bytes(bytes.into())
    }

    /// `reader`, read from a helper thread as the guest asks.
    pub(crate) fn reader(reader: impl Read + Send + 'static) -> Self {
        Stdin::Stream(Arc::new(StreamingStdin::new(Box::new(reader))))
    }

    /// This process's stdin (one reader for the whole process).
    pub(crate) fn inherit() -> Self {
        Stdin::Stream(process_stdin().clone())
    }

    /// Serves a request for at most `max_len` bytes (0: only whether some
    /// are ready; `max_len` is capped to [`MAX_CHUNK`]), waiting up to
    /// `wait` for them (`None`: until data, the end or a failure). `position`
    /// is where in-memory bytes are read. Between waiting slices `stopped`
    /// says whether to give up; its error is returned as is.
    pub(crate) fn read<E>(
        &self,
        max_len: usize,
        wait: Option<Duration>,
        position: u64,
        stopped: impl FnMut() -> Result<(), E>,
    ) -> Result<StdinReply, E> {
        let max_len = max_len.min(MAX_CHUNK);
        match self {
            Stdin::Bytes(bytes) => {
                let start = usize::try_from(position).unwrap_or(usize::MAX).min(bytes.len());
                let rest = &bytes[start..];
                Ok(if rest.is_empty() {
                    StdinReply::Closed
                } else {
                    StdinReply::Ready(rest[..max_len.min(rest.len())].to_vec())
                })
            }
            Stdin::Stream(stream) => stream.read(max_len, wait, stopped),
        }
    }
}

/// The reader this process's stdin is read through.
fn process_stdin() -> &'static Arc<StreamingStdin> {
    static STDIN: OnceLock<Arc<StreamingStdin>> = OnceLock::new();
    STDIN.get_or_init(|| Arc::new(StreamingStdin::new(Box::new(std::io::stdin()))))
}

/// Where a streamed stdin stands, between the helper thread and readers.
#[derive(Debug)]
enum State {
    /// Nobody asked for data; the helper thread waits.
    Idle,
    /// The helper thread is to read (or is reading) up to this many bytes.
    Requested(usize),
    /// What the last read brought, not yet taken.
    Data(Vec<u8>),
    Closed,
    Failed(String),
}

/// A stream read by a helper thread, started at the first request; the
/// thread ends at the end of the stream or its first failure (one blocked in
/// a read that never returns lives as long as the process).
pub(crate) struct StreamingStdin {
    state: Mutex<State>,
    changed: Condvar,
    /// The stream until the helper thread takes it.
    source: Mutex<Option<Box<dyn Read + Send>>>,
}

impl StreamingStdin {
    fn new(source: Box<dyn Read + Send>) -> Self {
        Self { state: Mutex::new(State::Idle), changed: Condvar::new(), source: Mutex::new(Some(source)) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn read<E>(
        self: &Arc<Self>,
        max_len: usize,
        wait: Option<Duration>,
        mut stopped: impl FnMut() -> Result<(), E>,
    ) -> Result<StdinReply, E> {
        let deadline = wait.map(|wait| Instant::now().checked_add(wait).unwrap_or_else(far_future));
        let mut state = self.lock();
        loop {
            // A readiness check asks the helper thread for a full chunk, as
            // the read that follows it will want one.
            let want = if max_len == 0 { MAX_CHUNK } else { max_len };
            match std::mem::replace(&mut *state, State::Idle) {
                State::Data(mut data) => {
                    if max_len == 0 {
                        *state = State::Data(data);
                        return Ok(StdinReply::Ready(Vec::new()));
                    }
                    let rest = data.split_off(max_len.min(data.len()));
                    if !rest.is_empty() {
                        *state = State::Data(rest);
                    }
                    return Ok(StdinReply::Ready(data));
                }
                State::Closed => {
                    *state = State::Closed;
                    return Ok(StdinReply::Closed);
                }
                // Reported once, as wasmtime-wasi does; closed after it.
                State::Failed(error) => {
                    *state = State::Closed;
                    return Ok(StdinReply::Failed(error));
                }
                State::Idle => {
                    *state = State::Requested(want);
                    self.start_reader();
                    self.changed.notify_all();
                }
                State::Requested(asked) => *state = State::Requested(asked.max(want)),
            }
            let slice = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left.min(WAIT_SLICE),
                    _ => return Ok(StdinReply::Pending),
                },
                None => WAIT_SLICE,
            };
            state = self.changed.wait_timeout(state, slice).unwrap_or_else(PoisonError::into_inner).0;
            stopped()?;
        }
    }

    /// Starts the helper thread unless it runs already.
    fn start_reader(self: &Arc<Self>) {
        let Some(mut source) = self.source.lock().unwrap_or_else(PoisonError::into_inner).take() else { return };
        let stdin = Arc::clone(self);
        let spawned = std::thread::Builder::new().name("featherlight-stdin".into()).spawn(move || {
            loop {
                let want = {
                    let state = stdin.lock();
                    let state = stdin
                        .changed
                        .wait_while(state, |s| !matches!(s, State::Requested(_)))
                        .unwrap_or_else(PoisonError::into_inner);
                    match *state {
                        State::Requested(want) => want.clamp(1, MAX_CHUNK),
                        _ => continue,
                    }
                };
                let mut buffer = vec![0; want];
                let read = loop {
                    match source.read(&mut buffer) {
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        other => break other,
                    }
                };
                let (next, done) = match read {
                    Ok(0) => (State::Closed, true),
                    Ok(n) => {
                        buffer.truncate(n);
                        (State::Data(buffer), false)
                    }
                    Err(e) => (State::Failed(e.to_string()), true),
                };
                *stdin.lock() = next;
                stdin.changed.notify_all();
                if done {
                    return;
                }
            }
        });
        if let Err(e) = spawned {
            *self.lock() = State::Failed(format!("cannot start a thread to read stdin: {e}"));
        }
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(60 * 60 * 24 * 365)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    fn read(stdin: &Stdin, max_len: usize, wait: Option<Duration>, position: u64) -> StdinReply {
        stdin.read(max_len, wait, position, || Ok::<(), Infallible>(())).unwrap_or_else(|e| match e {})
    }

    #[test]
    fn bytes_are_served_from_the_guests_position() {
        let stdin = Stdin::bytes(b"hello".to_vec());
        assert_eq!(read(&stdin, 2, Some(Duration::ZERO), 0), StdinReply::Ready(b"he".to_vec()));
        assert_eq!(read(&stdin, 100, None, 2), StdinReply::Ready(b"llo".to_vec()));
        assert_eq!(read(&stdin, 0, None, 2), StdinReply::Ready(Vec::new()));
        assert_eq!(read(&stdin, 1, None, 5), StdinReply::Closed);
        // A position past the end (a hostile guest's) is the end.
        assert_eq!(read(&stdin, 1, None, u64::MAX), StdinReply::Closed);
        assert_eq!(read(&Stdin::bytes(Vec::new()), 1, None, 0), StdinReply::Closed);
    }

    #[test]
    fn a_stream_is_read_as_asked_and_in_chunks_of_at_most_max_chunk() {
        let stdin = Stdin::reader(std::io::Cursor::new(vec![7u8; MAX_CHUNK + 10]));
        // Nothing is read before the first request; a non-blocking read
        // starts one and may find nothing yet.
        let first = read(&stdin, 3, Some(Duration::ZERO), 0);
        assert!(matches!(&first, StdinReply::Pending) || first == StdinReply::Ready(vec![7; 3]), "{first:?}");
        let mut total = if first == StdinReply::Pending { 0 } else { 3 };
        loop {
            match read(&stdin, usize::MAX, None, 0) {
                StdinReply::Ready(bytes) => {
                    assert!(!bytes.is_empty() && bytes.len() <= MAX_CHUNK);
                    total += bytes.len();
                }
                StdinReply::Closed => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(total, MAX_CHUNK + 10);
        assert_eq!(read(&stdin, 1, Some(Duration::ZERO), 0), StdinReply::Closed);
    }

    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("the device is gone"))
        }
    }

    #[test]
    fn a_failure_is_reported_once_then_the_stream_is_closed() {
        let stdin = Stdin::reader(Failing);
        assert_eq!(read(&stdin, 0, None, 0), StdinReply::Failed("the device is gone".into()));
        assert_eq!(read(&stdin, 1, None, 0), StdinReply::Closed);
    }

    /// A reader that never returns: a blocking read must still end when
    /// the caller says stop, and a bounded one when its time is up.
    struct Never;
    impl Read for Never {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            std::thread::park();
            Ok(0)
        }
    }

    #[test]
    fn waiting_ends_at_the_deadline_or_when_stopped() {
        let stdin = Stdin::reader(Never);
        let start = Instant::now();
        assert_eq!(read(&stdin, 1, Some(Duration::from_millis(30)), 0), StdinReply::Pending);
        assert!(start.elapsed() >= Duration::from_millis(30));
        let mut checks = 0;
        let stopped = stdin.read(1, None, 0, || {
            checks += 1;
            if checks == 3 { Err("stopped") } else { Ok(()) }
        });
        assert_eq!(stopped, Err("stopped"));
    }
}
