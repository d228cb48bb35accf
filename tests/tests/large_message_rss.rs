//! The memory a large message takes is given back: the host's copies when
//! the call returns, the guest's (its heap pages) at the next restore, in
//! both dirty-page modes. Its own test binary: it reads this process's
//! resident memory, which tests running alongside would disturb.

use featherlight::{Config, DirtyPageMode, Linker, MemoryConfig, Sandbox, Value};
use featherlight_tests::{Fixture, LARGE_WASM, rss_bytes};

const MIB: u64 = 1 << 20;

fn gives_memory_back(mode: DirtyPageMode) {
    let memory = MemoryConfig { dirty_pages: mode, scratch_size: 1 << 30, ..MemoryConfig::default() };
    let fixture = Fixture::with_config(Config { memory, ..Config::default() });
    let mut sandbox = Sandbox::new(&fixture.load(LARGE_WASM), &Linker::new()).expect("a sandbox");
    let snapshot = sandbox.snapshot().expect("a snapshot");
    let before = rss_bytes();
    let size = 64 * MIB;
    let text = Value::String("x".repeat(usize::try_from(size).expect("fits")));
    let echoed = sandbox.call("test:large/big.echo-string", std::slice::from_ref(&text)).expect("echo");
    assert!(echoed == [text], "{mode:?}: the string came back changed");
    drop(echoed);
    let after_call = rss_bytes();
    sandbox.restore(&snapshot).expect("restore");
    let after_restore = rss_bytes();
    println!(
        "{mode:?}: RSS {} MiB, {} MiB after echoing {} MiB, {} MiB after restore",
        before / MIB,
        after_call / MIB,
        size / MIB,
        after_restore / MIB
    );
    // The guest held the message, its decoded copy and the component's copy.
    assert!(after_call >= before + size, "{mode:?}: RSS {before} -> {after_call}: the guest's copies are not counted");
    assert!(
        after_restore <= before + 16 * MIB,
        "{mode:?}: RSS {before} -> {after_call} -> {after_restore}: the restore kept the message's memory"
    );
}

#[test]
fn a_large_message_costs_no_memory_after_the_restore() {
    gives_memory_back(DirtyPageMode::HostCow);
    gives_memory_back(DirtyPageMode::GuestCow);
}
