//! Guest log records reach the host as `tracing` events, filtered by the
//! engine's guest log level (each record costs a VM exit), and a guest that
//! floods the log is capped.
//!
//! Its own test binary with one process-wide subscriber: a scoped one
//! (`with_default`) can miss events when other tests run on other threads
//! (callsite interest is cached process-wide). The tests take turns (`TURN`)
//! so each reads only its own events.

use std::sync::{Mutex, OnceLock, PoisonError};

use featherlight::{Component, Config, Engine, Linker, Sandbox};
use featherlight_tests::{Captured, TRAPS_WASM, TempDir};

#[path = "support/hostile.rs"]
#[allow(dead_code)]
mod support;

/// Serialises the tests: the captured output is shared.
static TURN: Mutex<()> = Mutex::new(());

/// Everything every test in this binary logs.
fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber in this binary");
        captured
    })
}

/// What `during` logged (the caller holds `TURN`).
fn events_of(during: impl FnOnce()) -> String {
    let before = captured().text().len();
    during();
    captured().text()[before..].to_owned()
}

/// Boots a sandbox with `guest_log_level`, capturing every event.
fn boot_with_log_level(guest_log_level: u32) -> String {
    let cache = TempDir::new();
    let config = Config { guest_log_level, cache_dir: Some(cache.path().to_path_buf()), ..Config::default() };
    let engine = Engine::new(config).expect("engine");
    let component = Component::from_file(&engine, TRAPS_WASM).expect("component");
    events_of(|| drop(Sandbox::new(&component, &Linker::new()).expect("sandbox")))
}

#[test]
fn guest_log_records_become_tracing_events() {
    let _turn = TURN.lock().unwrap_or_else(PoisonError::into_inner);
    let debug = boot_with_log_level(3);
    let line = debug
        .lines()
        .find(|line| line.contains("instantiated the component"))
        .unwrap_or_else(|| panic!("no guest record among the events:\n{debug}"));
    assert!(line.contains("DEBUG") && line.contains("featherlight::guest"), "{line}");
    // At the info level the guest does not even send its debug records.
    let info = boot_with_log_level(2);
    assert!(!info.contains("instantiated the component"), "{info}");
}

#[test]
fn log_burst_is_capped_and_filtered() {
    let _turn = TURN.lock().unwrap_or_else(PoisonError::into_inner);
    let mut hostile = support::Hostile::new();
    let text = events_of(|| drop(hostile.sandbox.call("log-burst", &[]).expect("log-burst returns")));
    // 10 050 error records: 10 000 forwarded, one warning for the rest; the
    // trace records are above the engine's level (info) and dropped.
    assert_eq!(text.lines().filter(|line| line.contains("featherlight::guest: burst")).count(), 10_000);
    assert_eq!(text.lines().filter(|line| line.contains("dropping the rest")).count(), 1);
    assert!(!text.contains("too verbose"));
    hostile.assert_works();
}
