//! Snapshots and restore on real KVM: what a call leaves behind is gone after
//! a restore, through the component and in host memory; sandboxes made from
//! one snapshot are independent; mismatched snapshots are refused. Every
//! test runs in both dirty-page modes (host and guest copy-on-write).

use featherlight::testing::{self, GuestFault};
use featherlight::{Config, DirtyPageMode, Error, HostError, Linker, MemoryConfig, Sandbox, Snapshot, Value};
use featherlight_tests::{Fixture, bytes, some};
use std::sync::Arc;

/// Runs each named test function once per dirty-page mode.
macro_rules! in_both_modes {
    ($($name:ident),* $(,)?) => {
        mod host_cow {
            $(#[test] fn $name() { super::$name(featherlight::DirtyPageMode::HostCow) })*
        }
        mod guest_cow {
            $(#[test] fn $name() { super::$name(featherlight::DirtyPageMode::GuestCow) })*
        }
    };
}

in_both_modes!(
    restore_removes_a_secret_from_every_place,
    a_restored_sandbox_is_byte_identical_to_a_fresh_one,
    a_thousand_call_restore_cycles_leave_nothing_behind,
    a_hundred_sandboxes_from_one_snapshot_on_two_threads,
    snapshots_of_restored_sandboxes_and_restores_onto_other_sandboxes,
    mismatched_snapshots_are_refused,
    restore_heals_a_poisoned_sandbox,
    guest_writes_land_in_fresh_pages_only_in_guest_cow_mode,
    cpu_exceptions_are_reported_from_a_snapshot,
    a_dropped_sandbox_becomes_a_clean_spare,
    poisoned_sandboxes_are_not_kept_and_spares_are_capped,
);

/// An engine in `mode` with a smaller scratch, so whole-memory comparisons
/// stay quick.
fn fixture(mode: DirtyPageMode) -> Fixture {
    let memory = MemoryConfig { scratch_size: 64 << 20, dirty_pages: mode, ..MemoryConfig::default() };
    let fixture = Fixture::with_config(Config { memory, ..Config::default() });
    assert_eq!(fixture.engine.dirty_page_mode(), mode);
    fixture
}

fn count(sandbox: &mut Sandbox) -> u32 {
    match sandbox.call("count", &[]).expect("count").as_slice() {
        [Value::U32(n)] => *n,
        other => panic!("count returned {other:?}"),
    }
}

fn load(sandbox: &mut Sandbox) -> Value {
    let mut results = sandbox.call("load", &[]).expect("load");
    assert_eq!(results.len(), 1, "load returns one value");
    results.remove(0)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

fn restore_removes_a_secret_from_every_place(mode: DirtyPageMode) {
    let fixture = fixture(mode);
    let component = fixture.stateful();
    let mut sandbox = Sandbox::new(&component, &Linker::new()).expect("sandbox");
    let clean = sandbox.snapshot().expect("snapshot");
    let secret = b"featherlight-secret-7f3a9c1e5d".to_vec();

    sandbox.call("store", &[bytes(&secret)]).expect("store");
    assert_eq!(load(&mut sandbox), some(bytes(&secret)));
    assert!(
        contains(&testing::scratch_contents(&sandbox).expect("memory"), &secret),
        "the secret reached guest memory"
    );

    // Again from the snapshot: in guest-CoW mode the secret now lands in
    // pages the guest copied (entries it changed), and the scan covers them.
    sandbox.restore(&clean).expect("restore");
    sandbox.call("store", &[bytes(&secret)]).expect("store");
    assert_eq!(load(&mut sandbox), some(bytes(&secret)));
    assert!(
        contains(&testing::scratch_contents(&sandbox).expect("memory"), &secret),
        "the secret reached guest memory"
    );
    if mode == DirtyPageMode::GuestCow {
        assert!(testing::guest_copied_pages(&sandbox).expect("tables").unwrap_or(0) > 0, "the guest copied no page");
    }

    sandbox.restore(&clean).expect("restore");
    assert_eq!(testing::guest_copied_pages(&sandbox).expect("tables").unwrap_or(0), 0, "copies survived a restore");
    assert_eq!(load(&mut sandbox), some(bytes(&[])), "the component still sees the secret");
    let memory = testing::scratch_contents(&sandbox).expect("memory");
    assert!(!contains(&memory, &secret), "the secret is still in guest memory after a restore");
}

fn a_restored_sandbox_is_byte_identical_to_a_fresh_one(mode: DirtyPageMode) {
    let fixture = fixture(mode);
    let component = fixture.stateful();
    let mut sandbox = Sandbox::new(&component, &Linker::new()).expect("sandbox");
    count(&mut sandbox);
    let snapshot = sandbox.snapshot().expect("snapshot");
    sandbox.call("store", &[bytes(b"dirty dirty dirty")]).expect("store");
    sandbox.call("dirty", &[Value::U32(300), Value::U8(0xa5)]).expect("dirty");
    count(&mut sandbox);
    sandbox.restore(&snapshot).expect("restore");

    let fresh = Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("fresh sandbox");
    let (restored, fresh) =
        (testing::scratch_contents(&sandbox).expect("memory"), testing::scratch_contents(&fresh).expect("memory"));
    assert_eq!(restored.len(), fresh.len());
    let differing = restored.chunks(4096).zip(fresh.chunks(4096)).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 0, "{differing} pages differ between a restored and a fresh sandbox");
}

fn a_thousand_call_restore_cycles_leave_nothing_behind(mode: DirtyPageMode) {
    let fixture = fixture(mode);
    let component = fixture.stateful();
    let mut sandbox = Sandbox::new(&component, &Linker::new()).expect("sandbox");
    // Allocate the component's 16 MiB buffer before the snapshot: otherwise
    // every cycle zero-fills it anew, which in guest-CoW mode on kvm_pvm is
    // 4096 guest faults (~60 µs each) per call.
    assert_eq!(sandbox.call("dirty", &[Value::U32(0), Value::U8(0)]).expect("allocate"), [Value::U32(0)]);
    let clean = sandbox.snapshot().expect("snapshot");
    for i in 0..1000u32 {
        let secret = format!("secret number {i}").into_bytes();
        sandbox.call_then_restore("store", &[bytes(&secret)], &clean).expect("store then restore");
        if i % 100 == 0 {
            sandbox.call("dirty", &[Value::U32(i % 512 + 1), Value::U8(1)]).expect("dirty");
            sandbox.restore(&clean).expect("restore");
        }
        assert_eq!(count(&mut sandbox), 1, "cycle {i}: the counter survived a restore");
        assert_eq!(load(&mut sandbox), some(bytes(&[])), "cycle {i}: the secret survived a restore");
        sandbox.restore(&clean).expect("restore");
    }
    assert_eq!(sandbox.call("checksum", &[]).expect("checksum"), [Value::U64(0)]);
}

fn a_hundred_sandboxes_from_one_snapshot_on_two_threads(mode: DirtyPageMode) {
    let fixture = fixture(mode);
    let component = fixture.stateful();
    let mut template = Sandbox::new(&component, &Linker::new()).expect("template");
    assert_eq!(count(&mut template), 1);
    let snapshot = template.snapshot().expect("snapshot");
    let workers: Vec<_> = (0..2)
        .map(|worker| {
            let snapshot = snapshot.clone();
            std::thread::spawn(move || {
                let mut sandboxes: Vec<Sandbox> = (0..50)
                    .map(|_| Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("sandbox from snapshot"))
                    .collect();
                for (i, sandbox) in sandboxes.iter_mut().enumerate() {
                    let secret = format!("worker {worker} sandbox {i}").into_bytes();
                    sandbox.call("store", &[bytes(&secret)]).expect("store");
                }
                for (i, sandbox) in sandboxes.iter_mut().enumerate() {
                    let secret = format!("worker {worker} sandbox {i}").into_bytes();
                    assert_eq!(load(sandbox), some(bytes(&secret)), "sandboxes share state");
                    // Each continues from the snapshot's counter, alone.
                    assert_eq!(count(sandbox), 2);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker");
    }
    // The template is untouched by all of them.
    assert_eq!(load(&mut template), some(bytes(&[])));
}

fn snapshots_of_restored_sandboxes_and_restores_onto_other_sandboxes(mode: DirtyPageMode) {
    let fixture = fixture(mode);
    let component = fixture.stateful();
    let mut first = Sandbox::new(&component, &Linker::new()).expect("first");
    let zero = first.snapshot().expect("snapshot at zero");
    count(&mut first);
    count(&mut first);
    let two = first.snapshot().expect("snapshot at two");
    first.restore(&zero).expect("restore to zero");
    assert_eq!(count(&mut first), 1);
    // A snapshot of a restored sandbox carries the restored state.
    first.restore(&two).expect("restore to two");
    first.call("store", &[bytes(b"kept")]).expect("store");
    let two_and_kept = first.snapshot().expect("snapshot of a restored sandbox");
    assert_eq!(count(&mut first), 3);

    // Onto a sandbox booted on its own, and onto one made from another snapshot.
    let mut second = Sandbox::new(&component, &Linker::new()).expect("second");
    second.restore(&two_and_kept).expect("restore onto another sandbox");
    assert_eq!(load(&mut second), some(bytes(b"kept")));
    assert_eq!(count(&mut second), 3);
    // A snapshot taken right after a restore, before any call.
    second.restore(&zero).expect("restore to zero");
    let zero_again = second.snapshot().expect("snapshot right after a restore");
    let mut fourth = Sandbox::from_snapshot(&zero_again, &Linker::new()).expect("fourth");
    assert_eq!(count(&mut fourth), 1);
    assert_eq!(count(&mut second), 1);
    let mut third = Sandbox::from_snapshot(&zero, &Linker::new()).expect("third");
    third.restore(&two).expect("restore across snapshots");
    assert_eq!(count(&mut third), 3);
    assert_eq!(load(&mut third), some(bytes(&[])));
}

fn mismatched_snapshots_are_refused(mode: DirtyPageMode) {
    let fixture = fixture(mode);
    let stateful = fixture.stateful();
    let mut values = Sandbox::new(&fixture.values(), &Linker::new()).expect("values sandbox");
    let mut state = Sandbox::new(&stateful, &Linker::new()).expect("stateful sandbox");
    let values_snapshot: Arc<Snapshot> = values.snapshot().expect("snapshot");
    assert!(matches!(state.restore(&values_snapshot), Err(Error::SnapshotMismatch(_))));
    // Refusing did not harm the sandbox.
    assert!(!state.is_poisoned());
    assert_eq!(count(&mut state), 1);

    // Host functions must match what the guest linked.
    let traps = fixture.traps();
    let mut linker = Linker::new();
    linker.func("test:traps/host", "increment", |args| match args {
        [Value::U32(x)] => Ok(vec![Value::U32(x + 1)]),
        _ => Err(HostError::from("bad arguments")),
    });
    let mut with_host = Sandbox::new(&traps, &linker).expect("traps sandbox");
    let snapshot = with_host.snapshot().expect("snapshot");
    assert!(matches!(Sandbox::from_snapshot(&snapshot, &Linker::new()), Err(Error::SnapshotMismatch(_))));
    let mut again = Sandbox::from_snapshot(&snapshot, &linker).expect("same host functions");
    assert_eq!(again.call("call-increment", &[Value::U32(41)]).expect("call-increment"), [Value::U32(42)]);
}

fn restore_heals_a_poisoned_sandbox(mode: DirtyPageMode) {
    let fixture = fixture(mode);
    let mut sandbox = Sandbox::new(&fixture.traps(), &Linker::new()).expect("sandbox");
    let clean = sandbox.snapshot().expect("snapshot");
    assert!(matches!(sandbox.call("unreachable", &[]), Err(Error::Trap { .. })));
    // The trap itself is the typed cause.
    let trapped = |e: &Error| {
        matches!(e, Error::Poisoned { cause, by: featherlight::PoisonedBy::Call }
            if matches!(**cause, Error::Trap { code: featherlight::TrapCode::UnreachableCodeReached, .. }))
    };
    let poisoned = sandbox.call("ok", &[Value::U32(1)]).unwrap_err();
    assert!(trapped(&poisoned), "{poisoned:?}");
    assert!(std::error::Error::source(&poisoned).is_some_and(|cause| cause.to_string().contains("unreachable")));
    assert!(matches!(sandbox.snapshot(), Err(e) if trapped(&e)));
    sandbox.restore(&clean).expect("restore");
    assert_eq!(sandbox.call("ok", &[Value::U32(21)]).expect("ok"), [Value::U32(42)]);

    // Also after a CPU exception in the guest runtime.
    assert!(matches!(
        testing::inject_fault(&mut sandbox, GuestFault::InvalidOpcode),
        Err(Error::GuestException { vector: 6, .. })
    ));
    sandbox.restore(&clean).expect("restore after an exception");
    assert_eq!(sandbox.call("ok", &[Value::U32(5)]).expect("ok"), [Value::U32(10)]);
}

fn guest_writes_land_in_fresh_pages_only_in_guest_cow_mode(mode: DirtyPageMode) {
    let fixture = fixture(mode);
    let component = fixture.stateful();
    let mut template = Sandbox::new(&component, &Linker::new()).expect("sandbox");
    assert_eq!(template.call("dirty", &[Value::U32(0), Value::U8(0)]).expect("allocate"), [Value::U32(0)]);
    let snapshot = template.snapshot().expect("snapshot");
    let mut sandbox = Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("sandbox from snapshot");
    let copied = |sandbox: &Sandbox| testing::guest_copied_pages(sandbox).expect("tables");
    match mode {
        DirtyPageMode::GuestCow => assert_eq!(copied(&sandbox), Some(0)),
        _ => assert_eq!(copied(&sandbox), None),
    }
    let before = copied(&sandbox).unwrap_or(0);
    assert_eq!(sandbox.call("dirty", &[Value::U32(300), Value::U8(0x5a)]).expect("dirty"), [Value::U32(300)]);
    assert_eq!(sandbox.call("checksum", &[]).expect("checksum"), [Value::U64(300 * 0x5a)]);
    if mode == DirtyPageMode::GuestCow {
        // The buffer is in linear memory, which lives in the writable
        // linear-memory area in both modes: writing it copies no page (the
        // runtime's own state on the heap and stack still does).
        let after = copied(&sandbox).expect("guest CoW");
        assert!(after > before && after < before + 300, "{after} pages copied after writing 300 of linear memory");
    }
    // The snapshot itself is untouched: a sibling sees none of the writes.
    let mut sibling = Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("sibling");
    assert_eq!(sibling.call("checksum", &[]).expect("checksum"), [Value::U64(0)]);
    sandbox.restore(&snapshot).expect("restore");
    assert_eq!(sandbox.call("checksum", &[]).expect("checksum"), [Value::U64(0)]);
}

fn cpu_exceptions_are_reported_from_a_snapshot(mode: DirtyPageMode) {
    let fixture = fixture(mode);
    let mut template = Sandbox::new(&fixture.traps(), &Linker::new()).expect("sandbox");
    let snapshot = template.snapshot().expect("snapshot");
    let mut sandbox = Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("sandbox from snapshot");
    for fault in [GuestFault::PageFault, GuestFault::Breakpoint, GuestFault::StackOverflow, GuestFault::InvalidOpcode] {
        match (fault, testing::inject_fault(&mut sandbox, fault)) {
            (GuestFault::PageFault, Err(Error::GuestException { vector: 14, cr2: 8, error_code, .. })) => {
                assert_eq!(error_code & 0b11, 0, "a read of a page not present: {error_code:#x}");
            }
            (GuestFault::StackOverflow, Err(Error::GuestException { vector: 14, error_code, .. })) => {
                assert_eq!(error_code & 0b11, 0b10, "a write to a page not present: {error_code:#x}");
            }
            (GuestFault::Breakpoint, Err(Error::GuestException { vector: 3, rip, .. })) => assert_ne!(rip, 0),
            (GuestFault::InvalidOpcode, Err(Error::GuestException { vector: 6, .. })) => {}
            (fault, other) => panic!("{fault:?} gave {other:?}"),
        }
        sandbox.restore(&snapshot).expect("restore");
        assert_eq!(sandbox.call("ok", &[Value::U32(4)]).expect("ok"), [Value::U32(8)]);
    }
}

fn a_dropped_sandbox_becomes_a_clean_spare(mode: DirtyPageMode) {
    let fixture = fixture(mode);
    let component = fixture.stateful();
    let mut template = Sandbox::new(&component, &Linker::new()).expect("sandbox");
    count(&mut template);
    let snapshot = template.snapshot().expect("snapshot");
    let fresh = Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("fresh sandbox");
    let fresh_memory = testing::scratch_contents(&fresh).expect("memory");
    drop(fresh);
    assert_eq!(snapshot.spare_vms(), 1, "a healthy dropped sandbox is kept");

    // A sandbox dirties its memory with a secret and is dropped; the next
    // sandbox from the snapshot runs on its VM and memory.
    let secret = b"featherlight-spare-secret-42c1".to_vec();
    let mut first = Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("sandbox");
    assert_eq!(snapshot.spare_vms(), 0, "the spare was taken");
    first.call("store", &[bytes(&secret)]).expect("store");
    first.call("dirty", &[Value::U32(50), Value::U8(0x3c)]).expect("dirty");
    assert_eq!(count(&mut first), 2);
    drop(first);
    assert_eq!(snapshot.spare_vms(), 1);

    let mut second = Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("sandbox from a spare");
    let memory = testing::scratch_contents(&second).expect("memory");
    assert!(!contains(&memory, &secret), "the secret of a dropped sandbox reached the next one");
    let differing = memory.chunks(4096).zip(fresh_memory.chunks(4096)).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 0, "{differing} pages of a spare differ from a fresh sandbox");
    assert_eq!(count(&mut second), 2, "the counter continues from the snapshot");
    assert_eq!(load(&mut second), some(bytes(&[])));
    assert_eq!(second.call("checksum", &[]).expect("checksum"), [Value::U64(0)]);

    snapshot.release_spare_vms();
    drop(second);
    snapshot.release_spare_vms();
    assert_eq!(snapshot.spare_vms(), 0);
}

fn poisoned_sandboxes_are_not_kept_and_spares_are_capped(mode: DirtyPageMode) {
    let memory = MemoryConfig { scratch_size: 64 << 20, dirty_pages: mode, ..MemoryConfig::default() };
    let fixture = Fixture::with_config(Config { memory, spare_vms: 2, ..Config::default() });
    let mut template = Sandbox::new(&fixture.traps(), &Linker::new()).expect("sandbox");
    let snapshot = template.snapshot().expect("snapshot");

    let mut poisoned = Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("sandbox");
    assert!(matches!(poisoned.call("unreachable", &[]), Err(Error::Trap { .. })));
    drop(poisoned);
    assert_eq!(snapshot.spare_vms(), 0, "a poisoned sandbox was kept");

    let sandboxes: Vec<_> =
        (0..4).map(|_| Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("sandbox")).collect();
    drop(sandboxes);
    assert_eq!(snapshot.spare_vms(), 2, "spares beyond Config::spare_vms were kept");
    // The spares serve calls.
    let mut reused = Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("sandbox");
    assert_eq!(reused.call("ok", &[Value::U32(3)]).expect("ok"), [Value::U32(6)]);

    let no_spares = Fixture::with_config(Config {
        memory: MemoryConfig { scratch_size: 64 << 20, dirty_pages: mode, ..MemoryConfig::default() },
        spare_vms: 0,
        ..Config::default()
    });
    let mut template = Sandbox::new(&no_spares.traps(), &Linker::new()).expect("sandbox");
    let snapshot = template.snapshot().expect("snapshot");
    drop(Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("sandbox"));
    assert_eq!(snapshot.spare_vms(), 0, "spare_vms: 0 keeps none");
}
