//! `featherlight bench` rows for snapshots and restore.
//!
//! | name                          | one iteration                                          |
//! |-------------------------------|--------------------------------------------------------|
//! | `memset-page`                 | zeroing one 4 KiB page on the host                     |
//! | `restore-<S>MiB-dirty-<D>`    | host CoW: `restore` after a call that dirtied `D` pages, scratch `S` MiB (the call is not timed) |
//! | `guest-cow-restore-<S>MiB-dirty-<D>` | the same in guest-CoW mode                      |
//! | `<mode>-touch-<D>-restore`    | a call dirtying `D` pages plus a restore, in each mode: (`D`=100 − `D`=0) / 100 is what one dirtied page costs, its fault during the call included |
//! | `call-restore-noop`           | a `noop` call plus a restore (host CoW)                |
//! | `vm-create-exit`              | a bare VM created up to its first exit (`RawExitVm::new`): the baseline of the next two |
//! | `sandbox-from-snapshot`       | `Sandbox::from_snapshot` on a new VM until its first call returns (host CoW) |
//! | `sandbox-from-spare`          | the same on the VM of a dropped sandbox (`Config::spare_vms`) |
//!
//! All relative to `raw-exit`.

use crate::bench::{Measurement, batched, nanos, one_by_one};
use anyhow::Context;
use featherlight::{Component, Config, DirtyPageMode, Engine, Linker, MemoryConfig, Sandbox, Value};
use std::time::Instant;

/// Scratch sizes (MiB) times dirtied pages, with their row names.
const RESTORES: &[(&str, u64, u32)] = &[
    ("restore-16MiB-dirty-0", 16, 0),
    ("restore-16MiB-dirty-10", 16, 10),
    ("restore-16MiB-dirty-100", 16, 100),
    ("restore-16MiB-dirty-1000", 16, 1000),
    ("restore-64MiB-dirty-0", 64, 0),
    ("restore-64MiB-dirty-10", 64, 10),
    ("restore-64MiB-dirty-100", 64, 100),
    ("restore-64MiB-dirty-1000", 64, 1000),
    ("restore-256MiB-dirty-0", 256, 0),
    ("restore-256MiB-dirty-10", 256, 10),
    ("restore-256MiB-dirty-100", 256, 100),
    ("restore-256MiB-dirty-1000", 256, 1000),
];

/// The same in guest-CoW mode (fewer: each dirtied page is a guest fault).
const GUEST_COW_RESTORES: &[(&str, u64, u32)] = &[
    ("guest-cow-restore-64MiB-dirty-0", 64, 0),
    ("guest-cow-restore-64MiB-dirty-10", 64, 10),
    ("guest-cow-restore-64MiB-dirty-100", 64, 100),
    ("guest-cow-restore-64MiB-dirty-1000", 64, 1000),
    ("guest-cow-restore-256MiB-dirty-100", 256, 100),
];

/// Call-plus-restore rows whose difference is the cost of a dirtied page.
const TOUCH_RESTORES: &[(&str, DirtyPageMode, u32)] = &[
    ("host-cow-touch-0-restore", DirtyPageMode::HostCow, 0),
    ("host-cow-touch-100-restore", DirtyPageMode::HostCow, 100),
    ("guest-cow-touch-0-restore", DirtyPageMode::GuestCow, 0),
    ("guest-cow-touch-100-restore", DirtyPageMode::GuestCow, 100),
];

/// Small buffers and stack so that even 16 MiB leaves a useful heap.
fn small_memory(mib: u64, dirty_pages: DirtyPageMode) -> MemoryConfig {
    MemoryConfig {
        scratch_size: mib << 20,
        input_size: 64 << 10,
        output_size: 64 << 10,
        stack_size: 1 << 20,
        max_wasm_stack: 512 << 10,
        max_wasm_memory: None,
        dirty_pages,
    }
}

/// Restores timed per row, and calls of the other rows.
const RESTORE_ITERATIONS: u32 = 200;

/// All the rows, measured with `cache_dir` for compiled components.
pub(crate) fn measure(
    wasm: &[u8],
    cache_dir: Option<std::path::PathBuf>,
    iterations: u32,
    progress: &dyn Fn(&str),
) -> anyhow::Result<Vec<Measurement>> {
    let mut measurements = Vec::new();
    progress("memset-page");
    let mut page = vec![1u8; 4096];
    let samples = batched(iterations, || {
        std::hint::black_box(&mut page).fill(0);
        Ok(())
    })?;
    measurements.push(Measurement { name: "memset-page", baseline: "raw-exit", iterations, samples });

    let modes = RESTORES.iter().map(|&(name, mib, dirty)| (name, mib, dirty, DirtyPageMode::HostCow));
    let guest = GUEST_COW_RESTORES.iter().map(|&(name, mib, dirty)| (name, mib, dirty, DirtyPageMode::GuestCow));
    for (name, mib, dirty, mode) in modes.chain(guest) {
        progress(name);
        let memory = small_memory(mib, mode);
        let engine = Engine::new(Config { memory, cache_dir: cache_dir.clone(), ..Config::default() })?;
        let component = Component::new(&engine, wasm).context("cannot load the calculator component")?;
        measurements.push(restore(name, &component, dirty, iterations.min(RESTORE_ITERATIONS))?);
    }
    for &(name, mode, dirty) in TOUCH_RESTORES {
        progress(name);
        let memory = small_memory(64, mode);
        let engine = Engine::new(Config { memory, cache_dir: cache_dir.clone(), ..Config::default() })?;
        let component = Component::new(&engine, wasm).context("cannot load the calculator component")?;
        measurements.push(touch_restore(name, &component, dirty, iterations.min(RESTORE_ITERATIONS))?);
    }

    let memory = MemoryConfig { dirty_pages: DirtyPageMode::HostCow, ..MemoryConfig::default() };
    let engine = Engine::new(Config { memory, cache_dir, ..Config::default() })?;
    let component = Component::new(&engine, wasm).context("cannot load the calculator component")?;
    let mut sandbox = Sandbox::new(&component, &Linker::new())?;
    let snapshot = sandbox.snapshot()?;
    let noop = component.world().find_export("noop")?;

    progress("call-restore-noop");
    let samples = batched(iterations, || {
        sandbox.call_index(noop, &[])?;
        sandbox.restore(&snapshot)?;
        Ok(())
    })?;
    measurements.push(Measurement { name: "call-restore-noop", baseline: "raw-exit", iterations, samples });

    let count = iterations.min(RESTORE_ITERATIONS);
    measurements.extend(cold_starts(&snapshot, noop, count, progress)?);
    Ok(measurements)
}

/// The `vm-create-exit` baseline and the sandbox-from-snapshot rows, new VM
/// and spare.
fn cold_starts(
    snapshot: &std::sync::Arc<featherlight::Snapshot>,
    noop: usize,
    count: u32,
    progress: &dyn Fn(&str),
) -> anyhow::Result<Vec<Measurement>> {
    let mut measurements = Vec::new();
    progress("vm-create-exit");
    let samples = one_by_one(count, || Ok(featherlight::bench::RawExitVm::new()?))?;
    measurements.push(Measurement { name: "vm-create-exit", baseline: "raw-exit", iterations: count, samples });

    // Spares released (and their VMs destroyed) before the clock starts:
    // every sandbox gets a new VM.
    let linker = Linker::new();
    progress("sandbox-from-snapshot");
    let mut samples = Vec::new();
    for _ in 0..count {
        snapshot.release_spare_vms();
        let start = Instant::now();
        let mut sandbox = Sandbox::from_snapshot(snapshot, &linker)?;
        sandbox.call_index(noop, &[])?;
        samples.push(nanos(start));
        drop(sandbox);
    }
    measurements.push(Measurement {
        name: "sandbox-from-snapshot",
        baseline: "vm-create-exit",
        iterations: count,
        samples,
    });
    progress("sandbox-from-spare");
    let samples = one_by_one(count, || {
        let mut sandbox = Sandbox::from_snapshot(snapshot, &linker)?;
        sandbox.call_index(noop, &[])?;
        Ok(sandbox)
    })?;
    anyhow::ensure!(snapshot.spare_vms() > 0, "dropped sandboxes left no spare VM");
    measurements.push(Measurement {
        name: "sandbox-from-spare",
        baseline: "vm-create-exit",
        iterations: count,
        samples,
    });
    Ok(measurements)
}

/// A sandbox restored to a snapshot taken after `touch(0)` (so the buffer
/// exists and every round dirties the same pages and nothing else), after
/// one `touch(dirty)` round; and the export `touch`.
fn warm_sandbox(
    component: &Component,
    dirty: u32,
) -> anyhow::Result<(Sandbox, std::sync::Arc<featherlight::Snapshot>, usize)> {
    let mut sandbox = Sandbox::new(component, &Linker::new())?;
    let touch = component.world().find_export("touch")?;
    sandbox.call_index(touch, &[Value::U32(0)])?;
    let snapshot = sandbox.snapshot()?;
    // A first restore enters the snapshot's mode (guest CoW maps it anew).
    sandbox.restore(&snapshot)?;
    let args = [Value::U32(dirty)];
    let touched = sandbox.call_index(touch, &args)?;
    anyhow::ensure!(touched == [Value::U32(dirty)], "touch({dirty}) returned {touched:?}");
    sandbox.restore(&snapshot)?;
    Ok((sandbox, snapshot, touch))
}

/// Times a call of `touch(dirty)` plus a restore.
fn touch_restore(
    name: &'static str,
    component: &Component,
    dirty: u32,
    iterations: u32,
) -> anyhow::Result<Measurement> {
    let (mut sandbox, snapshot, touch) = warm_sandbox(component, dirty)?;
    let args = [Value::U32(dirty)];
    let samples = one_by_one(iterations, || {
        sandbox.call_index(touch, &args)?;
        sandbox.restore(&snapshot)?;
        Ok(())
    })?;
    Ok(Measurement { name, baseline: "raw-exit", iterations, samples })
}

/// Times `restore` after untimed calls of `touch(dirty)`, in steady state
/// (in host-CoW mode the pages are already private from a first round).
fn restore(name: &'static str, component: &Component, dirty: u32, iterations: u32) -> anyhow::Result<Measurement> {
    let (mut sandbox, snapshot, touch) = warm_sandbox(component, dirty)?;
    let args = [Value::U32(dirty)];
    let mut samples = Vec::new();
    for _ in 0..iterations {
        sandbox.call_index(touch, &args)?;
        let start = Instant::now();
        sandbox.restore(&snapshot)?;
        samples.push(nanos(start));
    }
    Ok(Measurement { name, baseline: "raw-exit", iterations, samples })
}
