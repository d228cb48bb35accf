//! stdin streamed on real KVM: a component reads an embedder's `Read` as it
//! reads, in bounded memory, without waiting for the writer to finish, and a
//! call waiting for input still stops when interrupted or past its deadline.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use featherlight::{CapturedOutput, Error, Linker, OutputSink, Sandbox, Value, WasiConfig};
use featherlight_tests::{Fixture, WASI_APP_WASM};

/// A sandbox running `wasi-app <scenario>` on `wasi`, stdout captured.
fn wasi_app(fixture: &Fixture, scenario: &str, wasi: WasiConfig) -> (Sandbox, CapturedOutput) {
    let stdout = CapturedOutput::new();
    let mut linker = Linker::new();
    linker.wasi(wasi.args(["wasi-app.wasm", scenario]).stdout(OutputSink::Capture(stdout.clone())));
    (Sandbox::new(&fixture.load(WASI_APP_WASM), &linker).expect("instantiate wasi-app"), stdout)
}

/// `yes`: "y\n" forever, counting what it handed out.
struct Yes(Arc<AtomicUsize>);

impl Read for Yes {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        for (i, byte) in buffer.iter_mut().enumerate() {
            *byte = if i % 2 == 0 { b'y' } else { b'\n' };
        }
        let n = buffer.len() & !1;
        self.0.fetch_add(n, Ordering::SeqCst);
        Ok(n)
    }
}

#[test]
fn an_endless_stdin_is_read_only_as_far_as_the_component_reads() {
    let fixture = Fixture::new();
    let served = Arc::new(AtomicUsize::new(0));
    let (mut sandbox, stdout) = wasi_app(&fixture, "read-line", WasiConfig::new().stdin_reader(Yes(served.clone())));
    let results = sandbox.call("wasi:cli/run.run", &[]).expect("run ends after one line");
    assert_eq!(results, [Value::Result(Ok(None))]);
    assert_eq!(stdout.to_string_lossy(), "read 2 bytes: y\n");
    // Rust's stdin asks for 8 KiB at a time; one or two chunks at most were read.
    let served = served.load(Ordering::SeqCst);
    assert!((2..=2 * 64 * 1024).contains(&served), "{served} bytes of stdin read for one line");
}

/// A writer the test feeds by hand: each message is one `read`'s bytes; the
/// channel's end is the end of stdin.
struct Fed(Receiver<Vec<u8>>);

impl Read for Fed {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let Ok(bytes) = self.0.recv() else { return Ok(0) };
        assert!(bytes.len() <= buffer.len(), "the test feeds short lines");
        buffer[..bytes.len()].copy_from_slice(&bytes);
        Ok(bytes.len())
    }
}

/// Waits until `stdout` holds `text`, for at most a minute.
fn wait_for(stdout: &CapturedOutput, text: &str) {
    let start = Instant::now();
    while stdout.to_string_lossy() != text {
        assert!(start.elapsed() < Duration::from_secs(60), "stdout is {:?}, not {text:?}", stdout.to_string_lossy());
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn output_answers_each_line_before_the_writer_sends_the_next() {
    let fixture = Fixture::new();
    let (feed, fed): (Sender<Vec<u8>>, _) = channel();
    let (mut sandbox, stdout) = wasi_app(&fixture, "repl", WasiConfig::new().stdin_reader(Fed(fed)));
    let running = std::thread::spawn(move || sandbox.call("wasi:cli/run.run", &[]));
    // The prompt arrives while stdin has nothing yet, then each answer
    // before the next line exists.
    wait_for(&stdout, "> ");
    feed.send(b"hello\n".to_vec()).expect("the reader is alive");
    wait_for(&stdout, "> HELLO\n> ");
    feed.send(b"world\n".to_vec()).expect("the reader is alive");
    wait_for(&stdout, "> HELLO\n> WORLD\n> ");
    drop(feed);
    let results = running.join().expect("the call's thread").expect("run succeeds");
    assert_eq!(results, [Value::Result(Ok(None))]);
    assert_eq!(stdout.to_string_lossy(), "> HELLO\n> WORLD\n> bye\n");
}

/// A reader that never returns.
struct Silent;

impl Read for Silent {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        loop {
            std::thread::park();
        }
    }
}

#[test]
fn a_call_waiting_for_stdin_stops_when_interrupted_or_past_its_deadline() {
    let fixture = Fixture::new();
    let (mut sandbox, _) = wasi_app(&fixture, "read-line", WasiConfig::new().stdin_reader(Silent));
    let handle = sandbox.interrupt_handle();
    let interrupter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        handle.interrupt();
    });
    let outcome = sandbox.call("wasi:cli/run.run", &[]);
    interrupter.join().expect("interrupter");
    assert!(matches!(outcome, Err(Error::Interrupted)), "{outcome:?}");

    let (mut sandbox, _) = wasi_app(&fixture, "read-line", WasiConfig::new().stdin_reader(Silent));
    sandbox.set_call_timeout(Some(Duration::from_millis(200)));
    let start = Instant::now();
    let outcome = sandbox.call("wasi:cli/run.run", &[]);
    assert!(matches!(outcome, Err(Error::DeadlineExceeded { .. })), "{outcome:?}");
    assert!(start.elapsed() < Duration::from_secs(30), "stopped after {:?}", start.elapsed());
}
