//! `featherlight bench` rows for snapshots and restore.
//!
//! | name                          | one iteration                                          |
//! |-------------------------------|--------------------------------------------------------|
//! | `memset-page`                 | zeroing one 4 KiB page on the host, a different one of 1000 each time (as restore resets distinct pages) |
//! | `vcpu-ioctl`                  | one vCPU ioctl that does not run the guest (`KVM_GET_REGS`) |
//! | `restore-<S>MiB-dirty-<D>`    | host CoW: `restore` after a call that dirtied `D` pages, scratch `S` MiB (the call is not timed) |
//! | `guest-cow-restore-<S>MiB-dirty-<D>` | the same in guest-CoW mode                      |
//! | `<mode>-touch-<D>-restore`    | a call dirtying `D` pages plus a restore, in each mode: (`D`=100 − `D`=0) / 100 is what one dirtied page costs, its fault during the call included |
//! | `call-restore-noop`           | a `noop` call plus a restore (host CoW)                |
//! | `vm-create-exit`              | a bare VM created up to its first exit (`RawExitVm::new`): the baseline of the next two |
//! | `sandbox-from-snapshot`       | `Sandbox::from_snapshot` on a new VM until its first call returns (host CoW) |
//! | `sandbox-from-spare`          | the same on the VM of a dropped sandbox (`Config::spare_vms`) |
//!
//! All relative to `raw-exit`. The restore and touch rows run [`TINY_WAT`]
//! with the smallest buffers and stacks, so every scratch size from 1 MiB
//! runs the same component; a cell whose dirtied pages do not fit its
//! scratch is left out (1000 pages, 3.9 MiB, in 1 and 4 MiB).

use super::measure::{Measurement, batched, nanos, one_by_one};
use super::table::{Target, duration};
use anyhow::Context;
use featherlight::testing::RawExitVm;
use featherlight::{Component, Config, DirtyPageMode, Engine, Linker, MemoryConfig, Sandbox, Value};
use std::time::Instant;

/// A component exporting `noop: func()` and `touch: func(pages: u32) -> u32`,
/// which writes to `pages` distinct 4 KiB pages of its linear memory (growing
/// it first if needed) and returns `pages`. Its 7 initial Wasm pages hold 100
/// touched pages without growing and still fit a 1 MiB scratch.
const TINY_WAT: &str = r#"(component
  (core module $m
    (memory 7)
    (func (export "noop"))
    (func (export "touch") (param $pages i32) (result i32)
      (local $i i32) (local $needed i32)
      (local.set $needed (i32.shr_u (i32.add (local.get $pages) (i32.const 15)) (i32.const 4)))
      (if (i32.gt_u (local.get $needed) (memory.size))
        (then
          (if (i32.eq (memory.grow (i32.sub (local.get $needed) (memory.size))) (i32.const -1))
            (then unreachable))))
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $pages)))
          (i32.store (i32.shl (local.get $i) (i32.const 12)) (i32.add (local.get $i) (i32.const 1)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
      (local.get $pages)))
  (core instance $i (instantiate $m))
  (func (export "noop") (canon lift (core func $i "noop")))
  (func (export "touch") (param "pages" u32) (result u32) (canon lift (core func $i "touch"))))"#;

/// Host-CoW restore rows: scratch size (MiB) times dirtied pages, by
/// scratch size. 1000 dirtied pages (3.9 MiB) do not fit 1 or 4 MiB.
const RESTORES: &[(&str, u64, u32)] = &[
    ("restore-1MiB-dirty-0", 1, 0),
    ("restore-1MiB-dirty-10", 1, 10),
    ("restore-1MiB-dirty-100", 1, 100),
    ("restore-4MiB-dirty-0", 4, 0),
    ("restore-4MiB-dirty-10", 4, 10),
    ("restore-4MiB-dirty-100", 4, 100),
    ("restore-16MiB-dirty-0", 16, 0),
    ("restore-16MiB-dirty-10", 16, 10),
    ("restore-16MiB-dirty-100", 16, 100),
    ("restore-16MiB-dirty-1000", 16, 1000),
    ("restore-64MiB-dirty-0", 64, 0),
    ("restore-64MiB-dirty-10", 64, 10),
    ("restore-64MiB-dirty-100", 64, 100),
    ("restore-64MiB-dirty-1000", 64, 1000),
];

/// The same cells in guest-CoW mode.
const GUEST_COW_RESTORES: &[(&str, u64, u32)] = &[
    ("guest-cow-restore-1MiB-dirty-0", 1, 0),
    ("guest-cow-restore-1MiB-dirty-10", 1, 10),
    ("guest-cow-restore-1MiB-dirty-100", 1, 100),
    ("guest-cow-restore-4MiB-dirty-0", 4, 0),
    ("guest-cow-restore-4MiB-dirty-10", 4, 10),
    ("guest-cow-restore-4MiB-dirty-100", 4, 100),
    ("guest-cow-restore-16MiB-dirty-0", 16, 0),
    ("guest-cow-restore-16MiB-dirty-10", 16, 10),
    ("guest-cow-restore-16MiB-dirty-100", 16, 100),
    ("guest-cow-restore-16MiB-dirty-1000", 16, 1000),
    ("guest-cow-restore-64MiB-dirty-0", 64, 0),
    ("guest-cow-restore-64MiB-dirty-10", 64, 10),
    ("guest-cow-restore-64MiB-dirty-100", 64, 100),
    ("guest-cow-restore-64MiB-dirty-1000", 64, 1000),
];

/// Call-plus-restore rows whose difference is the cost of a dirtied page.
const TOUCH_RESTORES: &[(&str, DirtyPageMode, u32)] = &[
    ("host-cow-touch-0-restore", DirtyPageMode::HostCow, 0),
    ("host-cow-touch-100-restore", DirtyPageMode::HostCow, 100),
    ("guest-cow-touch-0-restore", DirtyPageMode::GuestCow, 0),
    ("guest-cow-touch-100-restore", DirtyPageMode::GuestCow, 100),
];

/// Scratch of the touch rows (MiB).
const TOUCH_SCRATCH_MIB: u64 = 16;

/// Pages `memset-page` cycles through: as many as the largest restore row
/// resets, so the baseline pays for cache misses as restore does.
const MEMSET_PAGES: usize = 1000;

/// The smallest buffers and stacks, so that 1 MiB of scratch leaves the
/// tiny component a heap, the same in every row.
fn small_memory(mib: u64, dirty_pages: DirtyPageMode) -> MemoryConfig {
    MemoryConfig {
        scratch_size: mib << 20,
        input_size: 16 << 10,
        output_size: 16 << 10,
        stack_size: 320 << 10,
        max_wasm_stack: 64 << 10,
        max_wasm_memory: None,
        linear_memories: 1,
        dirty_pages,
        ..MemoryConfig::default()
    }
}

/// The targets of the restore rows, from the medians of other rows (not
/// enforced): flat in scratch size (each row at most 1.2 × the same dirty
/// count at the smallest scratch); a host-CoW restore at most one vCPU ioctl
/// plus two page memsets per dirtied page; a host-CoW call plus restore at
/// most 1.2 × raw-exit plus 1 µs per dirtied page.
pub(super) fn targets(median: &dyn Fn(&str) -> Option<f64>) -> Vec<(&'static str, Target)> {
    let mut targets = Vec::new();
    for table in [RESTORES, GUEST_COW_RESTORES] {
        for &(name, _, dirty) in table {
            // The table is ordered by scratch size: the first with `dirty` is the smallest.
            let Some(&(smallest, ..)) = table.iter().find(|(_, _, d)| *d == dirty) else { continue };
            if let (false, Some(base)) = (smallest == name, median(smallest)) {
                let ns = 1.2 * base;
                targets.push((name, Target { ns, rule: format!("{} = 1.2 x {smallest}", duration(ns)) }));
            }
        }
    }
    if let (Some(ioctl), Some(memset)) = (median("vcpu-ioctl"), median("memset-page")) {
        for &(name, _, dirty) in RESTORES {
            let ns = ioctl + 2.0 * f64::from(dirty) * memset;
            let rule = format!("{} = vcpu-ioctl + 2 x {dirty} x memset-page", duration(ns));
            targets.push((name, Target { ns, rule }));
        }
    }
    if let Some(exit) = median("raw-exit") {
        for &(name, mode, dirty) in TOUCH_RESTORES {
            if mode == DirtyPageMode::HostCow {
                let ns = 1.2 * exit + f64::from(dirty) * 1000.0;
                let rule = format!("{} = 1.2 x raw-exit + {dirty} x 1 µs", duration(ns));
                targets.push((name, Target { ns, rule }));
            }
        }
    }
    targets
}

/// Restores timed per row, and calls of the other rows.
const RESTORE_ITERATIONS: u32 = 200;

/// All the rows, measured with `cache_dir` for compiled components.
pub(super) fn measure(
    wasm: &[u8],
    cache_dir: Option<std::path::PathBuf>,
    iterations: u32,
    progress: &dyn Fn(&str),
) -> anyhow::Result<Vec<Measurement>> {
    let mut measurements = Vec::new();
    progress("memset-page");
    let mut pages = vec![1u8; MEMSET_PAGES * 4096];
    let mut next = 0;
    let samples = batched(iterations, || {
        std::hint::black_box(&mut pages[next * 4096..][..4096]).fill(0);
        next = (next + 1) % MEMSET_PAGES;
        Ok(())
    })?;
    measurements.push(Measurement { name: "memset-page", baseline: "raw-exit", iterations, samples });
    progress("vcpu-ioctl");
    let mut vm = RawExitVm::new().context("cannot create the raw-exit VM")?;
    let samples = batched(iterations, || Ok(vm.read_registers()?))?;
    measurements.push(Measurement { name: "vcpu-ioctl", baseline: "raw-exit", iterations, samples });

    let tiny_component = |mib: u64, mode: DirtyPageMode| tiny_component(cache_dir.clone(), mib, mode);
    let modes = RESTORES.iter().map(|&(name, mib, dirty)| (name, mib, dirty, DirtyPageMode::HostCow));
    let guest = GUEST_COW_RESTORES.iter().map(|&(name, mib, dirty)| (name, mib, dirty, DirtyPageMode::GuestCow));
    for (name, mib, dirty, mode) in modes.chain(guest) {
        progress(name);
        let component = tiny_component(mib, mode)?;
        measurements.push(restore(name, &component, dirty, iterations.min(RESTORE_ITERATIONS))?);
    }
    for &(name, mode, dirty) in TOUCH_RESTORES {
        progress(name);
        let component = tiny_component(TOUCH_SCRATCH_MIB, mode)?;
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

/// The tiny component in a sandbox with `mib` MiB of scratch.
fn tiny_component(cache_dir: Option<std::path::PathBuf>, mib: u64, mode: DirtyPageMode) -> anyhow::Result<Component> {
    let tiny = wat::parse_str(TINY_WAT).context("the tiny component's WAT does not parse")?;
    let config = Config { memory: small_memory(mib, mode), cache_dir, ..Config::default() };
    Component::new(&Engine::new(config)?, &tiny).context("cannot load the tiny component")
}

/// The `restore-16MiB-dirty-10` row alone (a baseline of `featherlight bench --serve`).
pub(super) fn restore_16mib_dirty_10(
    cache_dir: Option<std::path::PathBuf>,
    iterations: u32,
) -> anyhow::Result<Measurement> {
    let component = tiny_component(cache_dir, 16, DirtyPageMode::HostCow)?;
    restore("restore-16MiB-dirty-10", &component, 10, iterations.min(RESTORE_ITERATIONS))
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
    let samples = one_by_one(count, || Ok(RawExitVm::new()?))?;
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

/// A sandbox restored to a snapshot taken after `touch(dirty)` (so its
/// memory is large enough and every round dirties the same pages and nothing
/// else), after one more `touch(dirty)` round; and the export `touch`.
fn warm_sandbox(
    component: &Component,
    dirty: u32,
) -> anyhow::Result<(Sandbox, std::sync::Arc<featherlight::Snapshot>, usize)> {
    let mut sandbox = Sandbox::new(component, &Linker::new())?;
    let touch = component.world().find_export("touch")?;
    let args = [Value::U32(dirty)];
    sandbox.call_index(touch, &args)?;
    let snapshot = sandbox.snapshot()?;
    // A first restore enters the snapshot's mode (guest CoW maps it anew).
    sandbox.restore(&snapshot)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(targets: &'a [(&str, Target)], row: &str) -> Vec<&'a Target> {
        targets.iter().filter(|(name, _)| *name == row).map(|(_, target)| target).collect()
    }

    #[test]
    fn targets_come_from_other_rows() {
        let medians = [
            ("raw-exit", 50_000.0),
            ("vcpu-ioctl", 5_000.0),
            ("memset-page", 100.0),
            ("restore-1MiB-dirty-10", 8_000.0),
            ("restore-16MiB-dirty-1000", 200_000.0),
            ("guest-cow-restore-1MiB-dirty-0", 100_000.0),
        ];
        let median = |name: &str| medians.iter().find(|(n, _)| *n == name).map(|(_, m)| *m);
        let targets = targets(&median);
        // Flat in scratch size and within the host-CoW budget, at once.
        let row = find(&targets, "restore-16MiB-dirty-10");
        assert_eq!(row.len(), 2, "{row:?}");
        assert_eq!(row[0].ns, 9_600.0);
        assert!(row[0].rule.ends_with("= 1.2 x restore-1MiB-dirty-10"), "{}", row[0].rule);
        assert_eq!(row[1].ns, 7_000.0);
        assert!(row[1].rule.ends_with("= vcpu-ioctl + 2 x 10 x memset-page"), "{}", row[1].rule);
        // The smallest scratch of a dirty count is the reference, not a target.
        assert_eq!(find(&targets, "restore-1MiB-dirty-10").len(), 1);
        assert_eq!(find(&targets, "restore-64MiB-dirty-1000")[0].ns, 240_000.0);
        // Guest CoW: only flatness.
        assert_eq!(find(&targets, "guest-cow-restore-64MiB-dirty-0").len(), 1);
        assert!(find(&targets, "guest-cow-restore-64MiB-dirty-10").is_empty(), "its reference is missing");
        assert_eq!(find(&targets, "host-cow-touch-100-restore")[0].ns, 160_000.0);
        assert!(find(&targets, "guest-cow-touch-100-restore").is_empty());
    }
}
