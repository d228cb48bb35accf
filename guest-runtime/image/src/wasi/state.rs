//! What the guest's WASI keeps between calls: the embedder's args and env,
//! the place in stdin, the buffered output and how the host's writing of it
//! went, the clocks and the random generator.

use super::random::ChaCha20;
use super::stdin::Stdin;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use featherlight_abi::fb;

/// Bytes of output buffered before they go to the host in one message; also
/// what `check-write` grants. Capped to a quarter of the output buffer.
const FLUSH_THRESHOLD: usize = 64 * 1024;
/// Rough flatbuffer cost of one output chunk, counted against the threshold.
const CHUNK_OVERHEAD: usize = 32;
/// An explicit flush reaches the host when this long passed since the last
/// one, so output streams while writes in a loop still cost few exits.
const FLUSH_INTERVAL_MS: u64 = 10;

/// `stdout` or `stderr`, as the host numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn index(self) -> usize {
        match self {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
        }
    }
}

/// Why the host could not write a stream's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteFailure {
    /// The reader went away: the stream is closed for good.
    Closed,
    /// Writing failed for this reason (`last-operation-failed`).
    Failed(String),
}

/// The guest side of WASI for one component instance.
pub struct Wasi {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub stdin: Stdin,
    discard: [bool; 2],
    /// Per stream: a failure the host reported that the component has not
    /// been told of yet (`Closed` stays).
    failures: [Option<WriteFailure>; 2],
    /// Set once a sink failed: from then on every explicit flush reaches the
    /// host, so each write learns whether it failed, as under wasmtime.
    eager: bool,
    chunks: Vec<(Stream, Vec<u8>)>,
    buffered: usize,
    threshold: usize,
    last_flush_tsc: u64,
    pub clock: Clock,
    pub random: ChaCha20,
    /// Descriptors, file streams and listings the component holds.
    pub files: super::files::Files,
    /// The request being served and its bodies.
    pub http: super::http::Http,
}

impl core::fmt::Debug for Wasi {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Wasi").field("args", &self.args).field("buffered", &self.buffered).finish_non_exhaustive()
    }
}

impl Wasi {
    /// The settings the host sent in `Init` (all empty when it sent none).
    pub fn new(init: Option<fb::WasiInit<'_>>, context: Option<fb::CallContext<'_>>) -> Self {
        let strings = |v: Option<flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<&str>>>| {
            v.iter().flatten().map(ToString::to_string).collect::<Vec<_>>()
        };
        let args = strings(init.and_then(|i| i.args()));
        let env = init
            .and_then(|i| i.env())
            .iter()
            .flatten()
            .map(|var| (var.key().unwrap_or("").to_string(), var.value().unwrap_or("").to_string()))
            .collect();
        let seed = init.and_then(|i| i.random_seed()).map(|b| b.bytes()).unwrap_or_default();
        let capacity = usize::try_from(featherlight_guest::boot_params().output.size).unwrap_or(0);
        let mut wasi = Self {
            args,
            env,
            stdin: Stdin::default(),
            discard: [init.is_some_and(|i| i.discard_stdout()), init.is_some_and(|i| i.discard_stderr())],
            failures: [None, None],
            eager: false,
            chunks: Vec::new(),
            buffered: 0,
            threshold: FLUSH_THRESHOLD.min(capacity / 4).max(1),
            last_flush_tsc: 0,
            clock: Clock::default(),
            random: ChaCha20::new(seed),
            files: super::files::Files::default(),
            http: super::http::Http::default(),
        };
        wasi.begin_call(context);
        wasi
    }

    /// Takes the host's clocks and fresh randomness for the next call.
    pub fn begin_call(&mut self, context: Option<fb::CallContext<'_>>) {
        let Some(context) = context else { return };
        self.clock.rebase(&context);
        if let Some(seed) = context.random_seed() {
            self.random.reseed(seed.bytes());
        }
    }

    /// How many bytes one `write` may carry.
    pub fn write_budget(&self) -> usize {
        self.threshold
    }

    /// A write failure of `stream` the component has not been told of,
    /// taken (a closed stream stays closed).
    pub fn take_failure(&mut self, stream: Stream) -> Option<WriteFailure> {
        let slot = &mut self.failures[stream.index()];
        match slot {
            Some(WriteFailure::Closed) => Some(WriteFailure::Closed),
            _ => slot.take(),
        }
    }

    /// Buffers `bytes` for `stream`, sending the buffer to the host when it
    /// is full. Nothing is kept for a closed stream.
    pub fn write(&mut self, stream: Stream, bytes: &[u8]) {
        if self.discard[stream.index()] || self.failures[stream.index()] == Some(WriteFailure::Closed) {
            return;
        }
        for piece in bytes.chunks(self.threshold) {
            match self.chunks.last_mut() {
                Some((last, buffer)) if *last == stream => buffer.extend_from_slice(piece),
                _ => {
                    self.chunks.push((stream, piece.to_vec()));
                    self.buffered += CHUNK_OVERHEAD;
                }
            }
            self.buffered += piece.len();
            if self.buffered >= self.threshold {
                self.flush();
            }
        }
    }

    /// An explicit flush by the component: reaches the host only if some
    /// time passed since output last did (see [`FLUSH_INTERVAL_MS`]), so
    /// the first write after a quiet spell (the first of all, say, to a
    /// full disk) learns at once whether the host could write it.
    pub fn flush_if_due(&mut self) {
        let khz = self.clock.tsc_khz;
        let due = khz != 0 && rdtsc().wrapping_sub(self.last_flush_tsc) >= khz.saturating_mul(FLUSH_INTERVAL_MS);
        if self.eager || due {
            self.flush();
        }
    }

    /// Sends everything buffered to the host in one `Output` message and
    /// notes the failures it answers with.
    pub fn flush(&mut self) {
        if self.chunks.is_empty() {
            return;
        }
        self.last_flush_tsc = rdtsc();
        let mut fbb = flatbuffers::FlatBufferBuilder::with_capacity(self.buffered + 64);
        let chunks: Vec<_> = self
            .chunks
            .iter()
            .map(|(stream, bytes)| {
                let bytes = fbb.create_vector(bytes);
                let stream = match stream {
                    Stream::Stdout => fb::OutputStream::Stdout,
                    Stream::Stderr => fb::OutputStream::Stderr,
                };
                fb::OutputChunk::create(&mut fbb, &fb::OutputChunkArgs { stream, bytes: Some(bytes) })
            })
            .collect();
        let chunks = fbb.create_vector(&chunks);
        let output = fb::Output::create(&mut fbb, &fb::OutputArgs { chunks: Some(chunks) });
        let root = fb::GuestMessage::create(
            &mut fbb,
            &fb::GuestMessageArgs { body_type: fb::GuestBody::Output, body: Some(output.as_union_value()) },
        );
        fbb.finish_size_prefixed(root, None);
        self.chunks.clear();
        self.buffered = 0;
        if let Err(e) = featherlight_guest::host::send(fbb.finished_data()) {
            // The threshold keeps messages far below the buffer's size.
            log::error!("component output lost: {e}");
            return;
        }
        let received = featherlight_guest::host::receive();
        let reply = received.as_ref().ok().and_then(|r| r.open().ok());
        let Some(written) = reply.and_then(|reply| reply.body_as_output_written()) else {
            log::error!("the host did not answer the component's output with how it went");
            return;
        };
        for (stream, failure) in [(Stream::Stdout, written.stdout()), (Stream::Stderr, written.stderr())] {
            let Some(failure) = failure else { continue };
            let failure = if failure.closed() {
                WriteFailure::Closed
            } else {
                WriteFailure::Failed(failure.error().unwrap_or("writing failed").to_string())
            };
            self.eager = true;
            let slot = &mut self.failures[stream.index()];
            if *slot != Some(WriteFailure::Closed) {
                *slot = Some(failure);
            }
        }
    }
}

/// Reads the time-stamp counter (native at CPL3, no exit).
pub fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` only reads the counter; CR4.TSD is clear so it is
    // allowed at CPL3.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Clocks from the host's readings at the start of each call, advanced by
/// the TSC in between.
#[derive(Debug, Default)]
pub struct Clock {
    wall_seconds: u64,
    wall_nanos: u32,
    monotonic_base: u64,
    tsc_start: u64,
    pub tsc_khz: u64,
    /// Time added by sleeping with a fixed clock, so sleeps end.
    skipped: u64,
    /// The last monotonic reading: readings never go backwards.
    last: u64,
}

impl Clock {
    fn rebase(&mut self, context: &fb::CallContext<'_>) {
        self.wall_seconds = context.wall_seconds();
        self.wall_nanos = context.wall_nanos();
        self.monotonic_base = context.monotonic_ns();
        self.tsc_khz = context.tsc_khz();
        self.tsc_start = rdtsc();
        self.skipped = 0;
    }

    /// Nanoseconds since the call started.
    fn elapsed(&self) -> u64 {
        if self.tsc_khz == 0 {
            return self.skipped;
        }
        let ticks = u128::from(rdtsc().wrapping_sub(self.tsc_start));
        let ns = ticks * 1_000_000 / u128::from(self.tsc_khz);
        u64::try_from(ns).unwrap_or(u64::MAX).saturating_add(self.skipped)
    }

    /// Whether time stands still (the embedder fixed the clocks).
    pub fn is_fixed(&self) -> bool {
        self.tsc_khz == 0
    }

    /// The monotonic clock, in nanoseconds.
    pub fn monotonic(&mut self) -> u64 {
        let now = self.monotonic_base.saturating_add(self.elapsed()).max(self.last);
        self.last = now;
        now
    }

    /// Moves a fixed clock forward to `deadline` (a sleep with fixed clocks).
    pub fn skip_to(&mut self, deadline: u64) {
        let now = self.monotonic();
        self.skipped = self.skipped.saturating_add(deadline.saturating_sub(now));
    }

    /// Wall-clock time: seconds and nanoseconds since the Unix epoch.
    pub fn wall(&self) -> (u64, u32) {
        let total = u128::from(self.wall_nanos) + u128::from(self.elapsed());
        let seconds = self.wall_seconds.saturating_add(u64::try_from(total / 1_000_000_000).unwrap_or(u64::MAX));
        // < 1e9 fits.
        let nanos = u32::try_from(total % 1_000_000_000).unwrap_or(0);
        (seconds, nanos)
    }
}
