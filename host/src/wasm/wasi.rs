//! WASI as the embedder grants it: what a component's `wasi:cli`,
//! `wasi:clocks` and `wasi:random` imports see.
//!
//! The guest runtime implements WASI 0.2 itself (`guest-runtime/image/src/
//! wasi`); the host sends these settings when the sandbox instantiates the
//! component, fresh clock readings and randomness with every call, and
//! forwards what the component writes to stdout and stderr to the sinks
//! chosen here. Nothing of the host leaks by default: no arguments, no
//! environment variables, empty stdin.

pub(crate) mod filesystem;
mod stdin;

pub use filesystem::{FsError, FsPerms};
pub(crate) use stdin::{MAX_CHUNK as MAX_STDIN_CHUNK, StdinReply};

use featherlight_abi::fb;
use flatbuffers::{FlatBufferBuilder, WIPOffset};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use stdin::Stdin;

/// What a sandbox's component gets through WASI. Set it with
/// [`Linker::wasi`](crate::Linker::wasi).
///
/// ```
/// use featherlight::{CapturedOutput, OutputSink, WasiClock, WasiConfig, WasiRandom};
///
/// let stdout = CapturedOutput::new();
/// let wasi = WasiConfig::new()
///     .args(["app.wasm", "--verbose"])
///     .env("GREETING", "hello")
///     .inherit_env("LANG")
///     .stdin("input text")
///     .stdout(OutputSink::Capture(stdout.clone()))
///     .stderr(OutputSink::Discard)
///     .clock(WasiClock::Fixed(std::time::UNIX_EPOCH))
///     .random(WasiRandom::Seeded(42));
/// # let _ = wasi;
/// ```
#[derive(Debug, Clone)]
pub struct WasiConfig {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Stdin,
    stdout: OutputSink,
    stderr: OutputSink,
    clock: WasiClock,
    random: WasiRandom,
    preopens: Vec<filesystem::Preopen>,
    max_open_files: usize,
}

/// Where a component's stdout or stderr goes.
#[derive(Debug, Clone, Default)]
pub enum OutputSink {
    /// This process's own stdout or stderr, written as the guest hands it
    /// over (the guest buffers small writes; see the README).
    #[default]
    Inherit,
    /// Appended to a buffer the embedder reads. It keeps everything the
    /// guest writes: bound untrusted guests with a call timeout, or take
    /// the contents between calls.
    Capture(CapturedOutput),
    /// Dropped inside the guest: it never costs a VM exit.
    Discard,
    /// Written to the embedder's writer as the guest hands it over (for
    /// example with a per-request prefix, as `featherlight serve` does).
    Writer(SharedWriter),
}

/// A writer shared by the sandboxes whose output it takes.
#[derive(Clone)]
pub struct SharedWriter(Arc<Mutex<dyn Write + Send>>);

impl SharedWriter {
    /// Shares `writer`.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        Self(Arc::new(Mutex::new(writer)))
    }

    fn write_all(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut writer = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        writer.write_all(bytes).and_then(|()| writer.flush())
    }
}

impl std::fmt::Debug for SharedWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedWriter").finish_non_exhaustive()
    }
}

/// A shared buffer capturing a component's output: clone it into an
/// [`OutputSink::Capture`] and read it after calls.
#[derive(Clone, Default)]
pub struct CapturedOutput(Arc<Mutex<Vec<u8>>>);

impl std::fmt::Debug for CapturedOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.0.lock().unwrap_or_else(PoisonError::into_inner).len();
        f.debug_struct("CapturedOutput").field("len", &len).finish()
    }
}

impl CapturedOutput {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of everything captured so far.
    pub fn contents(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Everything captured so far, as text (invalid UTF-8 replaced).
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.contents()).into_owned()
    }

    /// Takes everything captured so far, leaving the buffer empty.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn append(&self, bytes: &[u8]) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
    }
}

/// The clocks a component reads.
#[derive(Debug, Clone, Copy, Default)]
pub enum WasiClock {
    /// The host's wall clock and monotonic clock. Monotonic readings never
    /// go backwards, also across [`Sandbox::restore`](crate::Sandbox::restore).
    #[default]
    Real,
    /// For deterministic runs: the wall clock reads this time and the
    /// monotonic clock reads 0 at every call; neither advances, except that
    /// sleeping moves the monotonic clock to the sleep's end.
    Fixed(SystemTime),
}

/// Where a component's random numbers (`wasi:random`, all three interfaces)
/// come from.
#[derive(Debug, Clone, Copy, Default)]
pub enum WasiRandom {
    /// Fresh randomness from the host's OS with every call: two sandboxes, or
    /// one sandbox before and after a restore, never see the same values.
    #[default]
    Fresh,
    /// A ChaCha20 stream keyed by this seed and nothing else: every sandbox
    /// with the same seed, and every restore of a snapshot, repeats the same
    /// values. Not for secrets.
    Seeded(u64),
}

impl Default for WasiConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl WasiConfig {
    /// No arguments, no environment variables, empty stdin, stdout and stderr
    /// inherited, real clocks, fresh randomness.
    pub fn new() -> Self {
        Self {
            args: Vec::new(),
            env: Vec::new(),
            stdin: Stdin::bytes(Vec::new()),
            stdout: OutputSink::Inherit,
            stderr: OutputSink::Inherit,
            clock: WasiClock::Real,
            random: WasiRandom::Fresh,
            preopens: Vec::new(),
            max_open_files: DEFAULT_MAX_OPEN_FILES,
        }
    }

    /// Appends one argument. Like a command line, the first is the
    /// program's name (`wasmtime run` passes the component's file name).
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets environment variable `key` (a later value replaces an earlier).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.env.retain(|(k, _)| *k != key);
        self.env.push((key, value.into()));
        self
    }

    /// Passes this process's variable `key` on, if it is set (and valid
    /// UTF-8); nothing else of the host's environment reaches the guest.
    pub fn inherit_env(self, key: &str) -> Self {
        match std::env::var(key) {
            Ok(value) => self.env(key, value),
            Err(_) => self,
        }
    }

    /// What the component reads from stdin: these bytes, all of them for
    /// every sandbox made with this configuration (a restored snapshot reads
    /// them from where it stood when it was taken). Any size: the guest asks
    /// for them as it reads.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Stdin::bytes(bytes.into());
        self
    }

    /// The component reads this process's stdin, as `wasmtime run` passes
    /// it: only when and as much as it reads (a terminal or a pipe that
    /// never ends works), at most 64 KiB at a time. One reader serves the
    /// whole process: sandboxes reading it share its bytes.
    pub fn inherit_stdin(mut self) -> Self {
        self.stdin = Stdin::inherit();
        self
    }

    /// The component reads `reader`: a helper thread reads it when the guest
    /// asks for input, at most 64 KiB at a time; a read returns what one
    /// `Read::read` brought. Every sandbox made with this configuration
    /// (and its clones) shares the stream. A `read` that blocks forever
    /// keeps its helper thread for the life of the process; a call waiting
    /// for it still ends on an interrupt or deadline.
    pub fn stdin_reader(mut self, reader: impl std::io::Read + Send + 'static) -> Self {
        self.stdin = Stdin::reader(reader);
        self
    }

    /// Serves a guest's request for stdin (see [`Stdin::read`]).
    pub(crate) fn read_stdin<E>(
        &self,
        max_len: usize,
        wait: Option<Duration>,
        position: u64,
        stopped: impl FnMut() -> Result<(), E>,
    ) -> Result<StdinReply, E> {
        self.stdin.read(max_len, wait, position, stopped)
    }

    /// Where stdout goes.
    pub fn stdout(mut self, sink: OutputSink) -> Self {
        self.stdout = sink;
        self
    }

    /// Where stderr goes.
    pub fn stderr(mut self, sink: OutputSink) -> Self {
        self.stderr = sink;
        self
    }

    /// The clocks.
    pub fn clock(mut self, clock: WasiClock) -> Self {
        self.clock = clock;
        self
    }

    /// The random numbers.
    pub fn random(mut self, random: WasiRandom) -> Self {
        self.random = random;
        self
    }

    /// Grants the component the host directory `host` as `guest` (a
    /// preopened directory, as `wasmtime run --dir host::guest`), with
    /// `perms`. The directory is opened now, and every sandbox made with
    /// this configuration reaches it through that descriptor: renaming or
    /// replacing `host` later does not change what is granted. Paths the
    /// component uses are resolved by the kernel beneath it (`openat2` with
    /// `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`, Linux 5.6 or newer), so
    /// `..`, absolute paths and symlinks cannot lead out of it.
    ///
    /// Files are not part of a sandbox's memory: [`Sandbox::restore`]
    /// (crate::Sandbox::restore) does not undo changes to them, and closes
    /// every descriptor the component opened (preopens stay).
    ///
    /// ```no_run
    /// use featherlight::{FsPerms, WasiConfig};
    /// let wasi = WasiConfig::new()
    ///     .preopened_dir("/srv/data", "/data", FsPerms::ReadOnly)?
    ///     .preopened_dir(".", ".", FsPerms::ReadWrite)?;
    /// # Ok::<(), featherlight::FsError>(())
    /// ```
    pub fn preopened_dir(
        mut self,
        host: impl AsRef<std::path::Path>,
        guest: impl AsRef<str>,
        perms: FsPerms,
    ) -> Result<Self, FsError> {
        if self.preopens.len() >= filesystem::MAX_PREOPENS {
            return Err(FsError::TooManyDescriptors { limit: filesystem::MAX_PREOPENS });
        }
        self.preopens.push(filesystem::Preopen::open(host.as_ref(), guest.as_ref(), perms)?);
        Ok(self)
    }

    /// How many descriptors (files and directories, preopens not counted)
    /// a component may hold open at once; opening one more fails with
    /// `insufficient-memory` (default 1024).
    pub fn max_open_files(mut self, limit: usize) -> Self {
        self.max_open_files = limit;
        self
    }

    /// A fresh descriptor table for one sandbox.
    pub(crate) fn descriptors(&self) -> filesystem::Descriptors {
        filesystem::Descriptors::new(self.preopens.clone(), self.max_open_files)
    }

    /// The `WasiInit` table of the `Init` message.
    pub(crate) fn encode_init<'a>(&self, fbb: &mut FlatBufferBuilder<'a>) -> WIPOffset<fb::WasiInit<'a>> {
        let args: Vec<_> = self.args.iter().map(|a| fbb.create_string(a)).collect();
        let args = fbb.create_vector(&args);
        let env: Vec<_> = self
            .env
            .iter()
            .map(|(key, value)| {
                let (key, value) = (fbb.create_string(key), fbb.create_string(value));
                fb::EnvVar::create(fbb, &fb::EnvVarArgs { key: Some(key), value: Some(value) })
            })
            .collect();
        let env = fbb.create_vector(&env);
        let seed = match self.random {
            WasiRandom::Fresh => fresh_seed(),
            WasiRandom::Seeded(seed) => {
                let mut key = [0u8; 32];
                key[..8].copy_from_slice(&seed.to_le_bytes());
                key
            }
        };
        let random_seed = fbb.create_vector(&seed);
        fb::WasiInit::create(
            fbb,
            &fb::WasiInitArgs {
                args: Some(args),
                env: Some(env),
                random_seed: Some(random_seed),
                discard_stdout: matches!(self.stdout, OutputSink::Discard),
                discard_stderr: matches!(self.stderr, OutputSink::Discard),
            },
        )
    }

    /// The clocks and fresh randomness for the next call.
    pub(crate) fn encode_context<'a>(&self, fbb: &mut FlatBufferBuilder<'a>) -> WIPOffset<fb::CallContext<'a>> {
        let random_seed = match self.random {
            WasiRandom::Fresh => Some(fbb.create_vector(&fresh_seed())),
            WasiRandom::Seeded(_) => None,
        };
        let (wall, monotonic_ns, tsc_khz) = match self.clock {
            WasiClock::Real => {
                let monotonic = u64::try_from(monotonic_epoch().elapsed().as_nanos()).unwrap_or(u64::MAX);
                (SystemTime::now(), monotonic, tsc_khz())
            }
            WasiClock::Fixed(time) => (time, 0, 0),
        };
        let wall = wall.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        fb::CallContext::create(
            fbb,
            &fb::CallContextArgs {
                wall_seconds: wall.as_secs(),
                wall_nanos: wall.subsec_nanos(),
                monotonic_ns,
                tsc_khz,
                random_seed,
            },
        )
    }

    /// Hands what the guest wrote to the sinks, in order. A stream whose
    /// sink fails gets none of its later chunks in this message; the
    /// failures go back to the guest, whose next operation on that stream
    /// reports them.
    pub(crate) fn write_output(&self, output: fb::Output<'_>) -> WriteOutcome {
        let chunks = output.chunks().map_or(0, |c| c.len());
        tracing::trace!(target: "featherlight::wasi", chunks, "component output arrived");
        let mut outcome = WriteOutcome::default();
        for chunk in output.chunks().iter().flatten() {
            let bytes = chunk.bytes().map(|b| b.bytes()).unwrap_or_default();
            let (sink, name, failure) = match chunk.stream() {
                fb::OutputStream::Stderr => (&self.stderr, "stderr", &mut outcome.stderr),
                _ => (&self.stdout, "stdout", &mut outcome.stdout),
            };
            if failure.is_some() {
                continue;
            }
            let written = match sink {
                OutputSink::Inherit if name == "stderr" => {
                    let mut stderr = std::io::stderr().lock();
                    stderr.write_all(bytes).and_then(|()| stderr.flush())
                }
                OutputSink::Inherit => {
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(bytes).and_then(|()| stdout.flush())
                }
                OutputSink::Capture(buffer) => {
                    buffer.append(bytes);
                    Ok(())
                }
                OutputSink::Writer(writer) => writer.write_all(bytes),
                // The guest drops it; a misbehaving guest's bytes go nowhere.
                OutputSink::Discard => Ok(()),
            };
            if let Err(e) = written {
                tracing::debug!(target: "featherlight::wasi", "cannot write the component's {name}: {e}");
                *failure = Some(WriteFailure::from(e));
            }
        }
        outcome
    }
}

/// How the host's writing of one `Output` message went, per stream.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct WriteOutcome {
    pub(crate) stdout: Option<WriteFailure>,
    pub(crate) stderr: Option<WriteFailure>,
}

/// Why a stream's sink failed, as wasi:io tells the guest (the mapping
/// wasmtime-wasi's stdio streams use).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WriteFailure {
    /// The reader went away (`EPIPE`): the stream is `closed`.
    Closed,
    /// Anything else (`ENOSPC`, `EIO`...): `last-operation-failed`, with
    /// the error's text for `to-debug-string`.
    Failed(String),
}

impl From<std::io::Error> for WriteFailure {
    fn from(error: std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            WriteFailure::Closed
        } else {
            WriteFailure::Failed(error.to_string())
        }
    }
}

/// Descriptors a component may hold open unless the embedder says otherwise.
const DEFAULT_MAX_OPEN_FILES: usize = 1024;

/// 32 bytes from the OS's random generator.
fn fresh_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    let mut filled = 0;
    while filled < seed.len() {
        let rest = &mut seed[filled..];
        // SAFETY: `rest` is a live, writable buffer of `rest.len()` bytes.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        match usize::try_from(n) {
            Ok(n) => filled += n,
            // EINTR: try again. Other errors cannot happen for 32 bytes on
            // Linux >= 3.17; if they did, spinning here would hang, so stop
            // with what the kernel gave and mix in the time.
            Err(_) if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => {
                let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
                seed[..16].copy_from_slice(&now.to_le_bytes());
                break;
            }
        }
    }
    seed
}

/// The origin of the monotonic clock guests read: shared by every sandbox
/// in the process, so readings only grow.
fn monotonic_epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// TSC ticks per millisecond, measured once against the host's monotonic
/// clock and rounded up by 1%, so guest clocks (TSC-driven between calls'
/// readings) run slightly slow rather than ever ahead of the host's.
fn tsc_khz() -> u64 {
    static KHZ: OnceLock<u64> = OnceLock::new();
    *KHZ.get_or_init(|| {
        let read = || {
            // SAFETY: `rdtsc` only reads the time-stamp counter.
            (Instant::now(), unsafe { core::arch::x86_64::_rdtsc() })
        };
        let (start, ticks_start) = read();
        let (mut now, mut ticks) = read();
        while now.duration_since(start) < Duration::from_millis(5) {
            (now, ticks) = read();
        }
        let ns = now.duration_since(start).as_nanos().max(1);
        let khz = u128::from(ticks.wrapping_sub(ticks_start)) * 1_000_000 / ns;
        let khz = u64::try_from(khz).unwrap_or(u64::MAX).max(1);
        khz.saturating_add(khz / 100)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_keeps_the_last_value_and_inherits_only_what_is_named() {
        let config = WasiConfig::new().env("A", "1").env("B", "2").env("A", "3").inherit_env("PATH");
        let path = std::env::var("PATH").expect("the test process has PATH");
        assert_eq!(config.env, [("B".into(), "2".into()), ("A".into(), "3".into()), ("PATH".into(), path)]);
        let unset = WasiConfig::new().inherit_env("FEATHERLIGHT_SURELY_UNSET_VARIABLE");
        assert!(unset.env.is_empty());
        assert!(WasiConfig::new().env.is_empty(), "nothing of the host by default");
    }

    #[test]
    fn captured_output_appends_and_takes() {
        let captured = CapturedOutput::new();
        captured.append(b"ab");
        captured.clone().append(b"c");
        assert_eq!(captured.to_string_lossy(), "abc");
        assert_eq!(captured.take(), b"abc");
        assert!(captured.contents().is_empty());
    }

    #[test]
    fn tsc_frequency_is_plausible() {
        // Any x86-64 machine of the last decades: 100 MHz to 10 GHz.
        assert!((100_000..10_000_000).contains(&tsc_khz()), "{} kHz", tsc_khz());
    }

    #[test]
    fn fresh_seeds_differ() {
        assert_ne!(fresh_seed(), fresh_seed());
    }
}
