//! A restore after a large grow gives the host memory back, in both
//! dirty-page modes. Its own test binary: it reads this process's resident
//! memory, which tests running alongside would disturb.

use featherlight::{Config, DirtyPageMode, Linker, MemoryConfig, Sandbox, Value};
use featherlight_tests::{Fixture, rss_bytes};

const MIB: u64 = 1 << 20;

fn gives_memory_back(mode: DirtyPageMode) {
    let memory = MemoryConfig { dirty_pages: mode, ..MemoryConfig::default() };
    let fixture = Fixture::with_config(Config { memory, ..Config::default() });
    let mut sandbox = Sandbox::new(&fixture.memory(), &Linker::new()).expect("a sandbox");
    let snapshot = sandbox.snapshot().expect("a snapshot");
    let before = rss_bytes();
    let grown = 512 * MIB;
    sandbox.call("fill-and-keep", &[Value::U64(grown), Value::U8(1)]).expect("fill");
    let full = rss_bytes();
    assert!(full >= before + grown * 9 / 10, "{mode:?}: RSS {before} -> {full} after writing {grown} bytes");
    sandbox.restore(&snapshot).expect("restore");
    let after = rss_bytes();
    println!(
        "{mode:?}: RSS {} MiB, {} MiB after the grow, {} MiB after restore",
        before / MIB,
        full / MIB,
        after / MIB
    );
    assert!(after <= before + 16 * MIB, "{mode:?}: RSS {before} -> {full} -> {after}: the restore kept the memory");
}

#[test]
fn a_restore_after_a_large_grow_gives_host_memory_back() {
    gives_memory_back(DirtyPageMode::HostCow);
    gives_memory_back(DirtyPageMode::GuestCow);
}
