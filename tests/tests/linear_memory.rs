//! Linear memory that grows like wasmtime's: in place, up to 4 GiB, capped
//! by `MemoryConfig::max_wasm_memory`, reset byte for byte by a restore, in
//! both dirty-page modes.

use featherlight::testing::linear_memory_contents;
use featherlight::{Config, DirtyPageMode, Error, Linker, MemoryConfig, Sandbox, Value};
use featherlight_tests::Fixture;
use std::time::Duration;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

fn fixture(dirty_pages: DirtyPageMode, max_wasm_memory: Option<u64>) -> Fixture {
    let memory = MemoryConfig { dirty_pages, max_wasm_memory, ..MemoryConfig::default() };
    Fixture::with_config(Config { memory, ..Config::default() })
}

fn sandbox(fixture: &Fixture) -> Sandbox {
    Sandbox::new(&fixture.memory(), &Linker::new()).expect("a sandbox")
}

fn call_u64(sandbox: &mut Sandbox, name: &str, args: &[Value]) -> u64 {
    match sandbox.call(name, args).unwrap_or_else(|e| panic!("{name}: {e}")).as_slice() {
        [Value::U64(value)] => *value,
        other => panic!("{name} returned {other:?}"),
    }
}

fn grow_steps(sandbox: &mut Sandbox, total: u64, step: u64) -> i64 {
    let args = [Value::U64(total), Value::U64(step), Value::Bool(true)];
    match sandbox.call("grow-steps", &args).expect("grow-steps").as_slice() {
        [Value::S64(pages)] => *pages,
        other => panic!("grow-steps returned {other:?}"),
    }
}

/// What `alloc-touch(bytes)` returns: one mark per page, (index mod 251) + 1.
fn touch_sum(bytes: u64) -> u64 {
    (0..bytes / 4096).map(|page| page % 251 + 1).sum()
}

fn one_gib_vec(mode: DirtyPageMode) {
    let fixture = fixture(mode, None);
    let mut sandbox = sandbox(&fixture);
    assert_eq!(call_u64(&mut sandbox, "alloc-touch", &[Value::U64(GIB)]), touch_sum(GIB));
    // The sandbox goes on: the memory is still there.
    assert_eq!(call_u64(&mut sandbox, "alloc-touch", &[Value::U64(MIB)]), touch_sum(MIB));
}

#[test]
fn a_1_gib_vec_is_allocated_and_used_host_cow() {
    one_gib_vec(DirtyPageMode::HostCow);
}

#[test]
fn a_1_gib_vec_is_allocated_and_used_guest_cow() {
    one_gib_vec(DirtyPageMode::GuestCow);
}

#[test]
fn memory_grows_in_many_small_steps_and_in_one_big_step() {
    let fixture = fixture(DirtyPageMode::Auto, None);
    let mut sandbox = sandbox(&fixture);
    let count = 100_000u64;
    assert_eq!(call_u64(&mut sandbox, "push", &[Value::U64(count)]), count * (count - 1) / 2);
    let before = grow_steps(&mut sandbox, 0, 65536);
    let after_small = grow_steps(&mut sandbox, 256 * MIB, 64 * 1024);
    assert_eq!(after_small, before + 4096, "256 MiB in 64 KiB steps");
    let after_big = grow_steps(&mut sandbox, 512 * MIB, 512 * MIB);
    assert_eq!(after_big, after_small + 8192, "512 MiB in one step");
}

#[test]
fn growth_past_the_cap_returns_minus_one_and_the_sandbox_goes_on() {
    let cap = 256 * MIB;
    let fixture = fixture(DirtyPageMode::Auto, Some(cap));
    let mut sandbox = sandbox(&fixture);
    // A guest growing in a loop stops at the cap: memory.grow returns -1.
    assert_eq!(call_u64(&mut sandbox, "grow-until-fail", &[]), cap / 65536);
    assert_eq!(grow_steps(&mut sandbox, 64 * 1024, 64 * 1024), -1);
    assert_eq!(call_u64(&mut sandbox, "push", &[Value::U64(10)]), 45);
}

#[test]
fn without_a_cap_growth_stops_at_4_gib_as_in_wasmtime() {
    let fixture = fixture(DirtyPageMode::Auto, None);
    let mut sandbox = sandbox(&fixture);
    assert_eq!(call_u64(&mut sandbox, "grow-until-fail", &[]), 65536);
    assert_eq!(call_u64(&mut sandbox, "push", &[Value::U64(10)]), 45);
}

#[test]
fn a_guest_touching_every_page_of_a_huge_memory_hits_the_deadline() {
    let fixture = fixture(DirtyPageMode::Auto, None);
    let mut sandbox = sandbox(&fixture);
    let snapshot = sandbox.snapshot().expect("a snapshot");
    sandbox.set_call_timeout(Some(Duration::from_secs(2)));
    match sandbox.call("touch-forever", &[Value::U64(2 * GIB)]) {
        Err(Error::DeadlineExceeded { .. }) => {}
        other => panic!("expected the deadline, got {other:?}"),
    }
    sandbox.restore(&snapshot).expect("restore");
    assert_eq!(call_u64(&mut sandbox, "push", &[Value::U64(10)]), 45);
}

/// The snapshot's view of linear memory and a later one agree byte for
/// byte: the later one may have more committed, which must be zero.
fn assert_same_memory(expected: &[u8], actual: &[u8]) {
    let common = expected.len().min(actual.len());
    assert!(expected[..common] == actual[..common], "linear memory differs from the snapshot");
    let rest = if actual.len() > common { &actual[common..] } else { &expected[common..] };
    assert!(rest.iter().all(|b| *b == 0), "memory beyond the snapshot's commitment is not zero");
}

fn restore_after_a_large_grow(mode: DirtyPageMode) {
    let fixture = fixture(mode, None);
    let mut sandbox = sandbox(&fixture);
    let small = call_u64(&mut sandbox, "fill-and-keep", &[Value::U64(MIB), Value::U8(3)]);
    let snapshot = sandbox.snapshot().expect("a snapshot");
    let at_snapshot = linear_memory_contents(&sandbox).expect("contents");
    call_u64(&mut sandbox, "fill-and-keep", &[Value::U64(384 * MIB), Value::U8(7)]);
    sandbox.restore(&snapshot).expect("restore");
    assert_same_memory(&at_snapshot, &linear_memory_contents(&sandbox).expect("contents"));
    // A sandbox made from the snapshot sees the same memory.
    let mut copy = Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("from snapshot");
    assert_same_memory(&at_snapshot, &linear_memory_contents(&copy).expect("contents"));
    // Both go on from the snapshot's state.
    for sandbox in [&mut sandbox, &mut copy] {
        assert_eq!(sandbox.call("release", &[]).expect("release"), []);
    }
    let again = call_u64(&mut copy, "fill-and-keep", &[Value::U64(MIB), Value::U8(3)]);
    assert_eq!(again, small);
}

#[test]
fn restore_after_a_large_grow_is_byte_identical_host_cow() {
    restore_after_a_large_grow(DirtyPageMode::HostCow);
}

#[test]
fn restore_after_a_large_grow_is_byte_identical_guest_cow() {
    restore_after_a_large_grow(DirtyPageMode::GuestCow);
}
