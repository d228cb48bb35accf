//! Guest log records reach the host as `tracing` events, filtered by the
//! engine's guest log level (each record costs a VM exit).

use featherlight::{Component, Config, Engine, Linker, Sandbox};
use featherlight_tests::{Captured, TRAPS_WASM, TempDir};

/// Boots a sandbox with `guest_log_level`, capturing every event.
fn boot_with_log_level(guest_log_level: u32) -> String {
    let cache = TempDir::new();
    let config = Config { guest_log_level, cache_dir: Some(cache.path().to_path_buf()), ..Config::default() };
    let engine = Engine::new(config).expect("engine");
    let component = Component::from_file(&engine, TRAPS_WASM).expect("component");
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        Sandbox::new(&component, &Linker::new()).expect("sandbox");
    });
    captured.text()
}

#[test]
fn guest_log_records_become_tracing_events() {
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
