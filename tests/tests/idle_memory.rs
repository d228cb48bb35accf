//! What idle sandboxes cost in memory, at a scale the debug test suite
//! affords (`featherlight bench` measures 1 000): sandboxes from one
//! snapshot, one call each, all alive. Each must cost at most 1 MiB of
//! private memory, the snapshot's pages must exist once however many
//! sandboxes map them, and dropping the sandboxes must close their files.
//!
//! Its own test binary: it reads process-wide counters (`/proc/self`), which
//! tests running alongside in the same process would disturb.

use featherlight::{Config, DirtyPageMode, Linker, MemoryConfig, Sandbox, Value};
use featherlight_bench::memory::{IdleCall, IdleReport, idle_sandboxes};
use featherlight_tests::Fixture;

/// Sandboxes held at once.
const SANDBOXES: usize = 100;

/// The most private memory an idle sandbox may cost beyond the snapshot.
const MAX_PRIVATE_PER_SANDBOX: f64 = (1 << 20) as f64;

/// What an idle sandbox costs here with everything shared that can be:
/// ~80 KiB in host-CoW mode, ~100 KiB in guest-CoW mode (the pages one call
/// writes). Page tables of its own in guest-CoW mode (540 KiB at the default
/// 256 MiB scratch) would exceed it.
const EXPECTED_PRIVATE_PER_SANDBOX: f64 = (384 << 10) as f64;

/// Pages of the `stateful` component's 16 MiB buffer written before the
/// snapshot: all of them, so the snapshot stores 16 MiB that a sandbox
/// copying it would duplicate.
const SNAPSHOT_PAGES: u32 = 4096;

/// Runs the measurement with a snapshot of a `stateful` sandbox whose
/// buffer is written, each idle sandbox calling `count` once.
fn measure(mode: DirtyPageMode) -> IdleReport {
    let memory = MemoryConfig { dirty_pages: mode, ..MemoryConfig::default() };
    let fixture = Fixture::with_config(Config { memory, ..Config::default() });
    let linker = Linker::new();
    let mut warm = Sandbox::new(&fixture.stateful(), &linker).expect("a sandbox");
    let written = warm.call("dirty", &[Value::U32(SNAPSHOT_PAGES), Value::U8(1)]).expect("dirty");
    assert_eq!(written, [Value::U32(SNAPSHOT_PAGES)]);
    let snapshot = warm.snapshot().expect("a snapshot");
    drop(warm);
    assert!(snapshot.stored_bytes() >= u64::from(SNAPSHOT_PAGES) * 4096, "{snapshot:?}");

    // The first sandbox's call returns 1 (the counter was 0 at the snapshot).
    let call = IdleCall { export: "count", args: &[], expect: &[Value::U32(1)] };
    let report = idle_sandboxes(&snapshot, &linker, call, SANDBOXES).expect("idle sandboxes");
    println!("{mode:?}: {report:#?}");
    println!(
        "{mode:?} per sandbox: RSS {:.1} KiB, private {:.1} KiB, host {:.1} KiB, {:.2} fds",
        report.rss_per_sandbox() / 1024.0,
        report.private_per_sandbox() / 1024.0,
        report.host_memory_per_sandbox() / 1024.0,
        report.fds_per_sandbox()
    );
    report
}

fn check(report: &IdleReport) {
    assert_eq!(report.wrong_results, 0, "every sandbox resumed from the snapshot: {report:?}");
    let private = report.private_per_sandbox();
    assert!(private <= MAX_PRIVATE_PER_SANDBOX, "{private} private bytes per idle sandbox: {report:?}");
    assert!(private <= EXPECTED_PRIVATE_PER_SANDBOX, "{private} private bytes per idle sandbox: {report:?}");
    // A sandbox holding its own copy of the snapshot would cost at least
    // the 16 MiB it stores, privately (a copy in its memory) or in the
    // host (a copy of the file).
    let stored = report.snapshot_bytes as f64;
    assert!(private < stored / 16.0, "{private} private bytes per sandbox, snapshot {stored}: {report:?}");
    // Other processes move the host's available memory too: take the
    // smaller of what making the sandboxes took and dropping them gave back
    // (a copy per sandbox would show in both), and be generous.
    let released = (report.dropped.available_bytes as f64 - report.idle.available_bytes as f64) / SANDBOXES as f64;
    let host = report.host_memory_per_sandbox().min(released);
    assert!(host < stored / 4.0, "the host lost {host} bytes per sandbox, snapshot {stored}: {report:?}");
    // Each sandbox holds its VM's and its vCPU's file; dropping closes them.
    let fds = report.fds_per_sandbox();
    assert!((1.0..=4.0).contains(&fds), "{fds} open files per sandbox: {report:?}");
    assert!(report.dropped.open_fds <= report.before.open_fds, "files left open: {report:?}");
}

#[test]
fn idle_sandboxes_share_the_snapshot_and_cost_little_private_memory() {
    for mode in [DirtyPageMode::HostCow, DirtyPageMode::GuestCow] {
        check(&measure(mode));
    }
}
