//! WASI output is buffered in the guest: `println!` in a loop costs a few
//! output messages (VM exits), not one per line.
//!
//! Its own test binary, with a process-wide `tracing` subscriber: a scoped
//! one misses events when tests on other threads settle a callsite's
//! interest first.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use featherlight::{CapturedOutput, Linker, OutputSink, Sandbox, WasiConfig};
use featherlight_tests::{Fixture, WASI_APP_WASM};

#[test]
fn println_in_a_loop_costs_few_exits() {
    // Each `Output` message (one VM exit) is a trace event.
    let messages = Arc::new(AtomicUsize::new(0));
    let counter = messages.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("featherlight::wasi=trace"))
        .with_writer(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            std::io::sink()
        })
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber in this binary");

    let fixture = Fixture::new();
    let stdout = CapturedOutput::new();
    let mut linker = Linker::new();
    let args = ["wasi-app.wasm", "lines", "5000"].map(str::to_owned);
    linker.wasi(WasiConfig::new().args(args).stdout(OutputSink::Capture(stdout.clone())));
    let mut sandbox = Sandbox::new(&fixture.load(WASI_APP_WASM), &linker).expect("instantiate");
    sandbox.call("wasi:cli/run.run", &[]).expect("run");
    assert_eq!(stdout.to_string_lossy().lines().count(), 5000);
    let messages = messages.load(Ordering::Relaxed);
    // One per 64 KiB, per 10 ms of flushing, and at the end: far fewer than lines.
    assert!((1..50).contains(&messages), "5000 lines took {messages} output messages");
}
