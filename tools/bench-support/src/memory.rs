//! What idle sandboxes cost in memory: many sandboxes from one snapshot,
//! each warm (one call made) and waiting, measured from `/proc`.
//!
//! Three views, because each misses something:
//!
//! - RSS (`VmRSS`) counts a page once per mapping that maps it, so snapshot
//!   pages every sandbox reads count once per sandbox although they exist
//!   once in the host;
//! - private memory (`Private_Clean + Private_Dirty` of
//!   `/proc/self/smaps_rollup`) counts only pages one mapping holds: what a
//!   sandbox costs beyond the shared snapshot;
//! - the host's available memory (`MemAvailable` of `/proc/meminfo`) also
//!   drops by what the kernel allocates per VM (KVM's vCPU and memory slot
//!   state, shadow page tables, the process's page tables), which no
//!   per-process counter shows; it is system-wide, so other processes blur it.
//!
//! `featherlight bench` reports these for 1 000 sandboxes,
//! `tests/tests/idle_memory.rs` checks them at a smaller scale.

use crate::process::{ProcessUsage, kib_field, read};
use featherlight::{Error, Linker, Sandbox, Snapshot, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Memory of this process and of the host, at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryUsage {
    /// Entries of `/proc/self/fd`.
    pub open_fds: usize,
    /// `VmRSS` of `/proc/self/status`, in bytes.
    pub rss_bytes: u64,
    /// `Private_Clean + Private_Dirty` of `/proc/self/smaps_rollup`: pages
    /// mapped by only one mapping of this process, in bytes.
    pub private_bytes: u64,
    /// `VmPTE` of `/proc/self/status`: this process's page tables, in bytes.
    pub page_table_bytes: u64,
    /// `MemAvailable` of `/proc/meminfo` (the whole host), in bytes.
    pub available_bytes: u64,
    /// `SUnreclaim` of `/proc/meminfo` (the whole host): unreclaimable
    /// kernel slab memory, where KVM keeps its VM and vCPU structures.
    pub kernel_slab_bytes: u64,
    /// `SecPageTables` of `/proc/meminfo` (the whole host): page tables
    /// KVM builds for guests (shadow or two-dimensional), in bytes.
    pub kvm_page_table_bytes: u64,
    /// `VmallocUsed` of `/proc/meminfo` (the whole host), where KVM keeps
    /// per-slot arrays (one entry per guest page under shadow paging).
    pub vmalloc_bytes: u64,
}

impl MemoryUsage {
    /// Reads the current usage from `/proc`.
    pub fn now() -> Result<Self, Error> {
        let process = ProcessUsage::now()?;
        let status = read("/proc/self/status")?;
        let rollup = read("/proc/self/smaps_rollup")?;
        let meminfo = read("/proc/meminfo")?;
        let field = |text: &str, name: &str| kib_field(text, name).unwrap_or(0) * 1024;
        Ok(Self {
            open_fds: process.open_fds,
            rss_bytes: process.rss_kib * 1024,
            private_bytes: field(&rollup, "Private_Clean") + field(&rollup, "Private_Dirty"),
            page_table_bytes: field(&status, "VmPTE"),
            available_bytes: field(&meminfo, "MemAvailable"),
            kernel_slab_bytes: field(&meminfo, "SUnreclaim"),
            kvm_page_table_bytes: field(&meminfo, "SecPageTables"),
            vmalloc_bytes: field(&meminfo, "VmallocUsed"),
        })
    }
}

impl MemoryUsage {
    /// Kernel memory the counters attribute: this process's page tables,
    /// unreclaimable slab, KVM's page tables and vmalloc, in bytes. All but
    /// the first are system-wide, but other processes hardly move them
    /// (unlike `MemAvailable`); KVM also takes pages none of them counts.
    pub fn kernel_bytes(&self) -> u64 {
        self.page_table_bytes + self.kernel_slab_bytes + self.kvm_page_table_bytes + self.vmalloc_bytes
    }
}

/// The call each idle sandbox makes once before it waits.
#[derive(Debug, Clone, Copy)]
pub struct IdleCall<'a> {
    /// The export.
    pub export: &'a str,
    /// Its arguments.
    pub args: &'a [Value],
    /// The results it must return.
    pub expect: &'a [Value],
}

/// What [`idle_sandboxes`] measured.
#[derive(Debug, Clone)]
pub struct IdleReport {
    /// Sandboxes held at once.
    pub sandboxes: usize,
    /// The snapshot's stored scratch bytes (shared by every sandbox).
    pub snapshot_bytes: u64,
    /// Calls that returned other results than expected.
    pub wrong_results: usize,
    /// With the snapshot taken (and one sandbox made and dropped), no
    /// sandbox alive.
    pub before: MemoryUsage,
    /// With every sandbox made and its call returned.
    pub idle: MemoryUsage,
    /// After the sandboxes were dropped (the snapshot is the caller's).
    pub dropped: MemoryUsage,
    /// Time to make the sandboxes and their calls.
    pub elapsed: Duration,
}

impl IdleReport {
    /// `(idle - before) / sandboxes` of `value`, in its unit (negative if it
    /// shrank, which system-wide values may).
    pub fn per_sandbox(&self, value: impl Fn(&MemoryUsage) -> u64) -> f64 {
        growth(value(&self.before), value(&self.idle)) / self.sandboxes.max(1) as f64
    }

    /// RSS growth per sandbox, in bytes.
    pub fn rss_per_sandbox(&self) -> f64 {
        self.per_sandbox(|u| u.rss_bytes)
    }

    /// Private memory growth per sandbox, in bytes: what a sandbox costs
    /// beyond the shared snapshot in this process.
    pub fn private_per_sandbox(&self) -> f64 {
        self.per_sandbox(|u| u.private_bytes)
    }

    /// Growth per sandbox of the kernel memory the counters attribute
    /// ([`MemoryUsage::kernel_bytes`]), in bytes.
    pub fn kernel_per_sandbox(&self) -> f64 {
        self.per_sandbox(MemoryUsage::kernel_bytes)
    }

    /// The drop of the host's available memory per sandbox, in bytes: the
    /// private memory plus what the kernel holds for each VM.
    pub fn host_memory_per_sandbox(&self) -> f64 {
        -self.per_sandbox(|u| u.available_bytes)
    }

    /// Open file descriptors per sandbox.
    pub fn fds_per_sandbox(&self) -> f64 {
        self.per_sandbox(|u| u.open_fds as u64)
    }
}

/// `to - from` as a float (either sign).
fn growth(from: u64, to: u64) -> f64 {
    to as f64 - from as f64
}

/// Making the idle sandboxes failed.
#[derive(Debug, thiserror::Error)]
#[error("{made} of {wanted} idle sandboxes were made, then: {source}")]
pub struct IdleError {
    /// Sandboxes made (and called) before the failure.
    pub made: usize,
    /// Sandboxes asked for.
    pub wanted: usize,
    /// What failed.
    #[source]
    pub source: Error,
}

/// Makes `sandboxes` sandboxes from `snapshot` with `linker`, makes `call`
/// once on each, holds them all, and measures memory before, while they are
/// idle, and once they are dropped.
pub fn idle_sandboxes(
    snapshot: &Arc<Snapshot>,
    linker: &Linker,
    call: IdleCall<'_>,
    sandboxes: usize,
) -> Result<IdleReport, IdleError> {
    let failed = |made| move |source| IdleError { made, wanted: sandboxes, source };
    let export = snapshot.component().world().find_export(call.export).map_err(|e| failed(0)(e.into()))?;
    let make = || -> Result<(Sandbox, bool), Error> {
        let mut sandbox = Sandbox::from_snapshot(snapshot, linker)?;
        let results = sandbox.call_index(export, call.args)?;
        Ok((sandbox, results == call.expect))
    };
    // One sandbox first, so process-wide state made lazily (allocator arenas,
    // KVM's shared pieces) is not counted per sandbox.
    drop(make().map_err(failed(0))?);
    // Every measured sandbox on a new VM, and none parked afterwards as a
    // spare (`Config::spare_vms`): spares are counted by neither figure.
    snapshot.release_spare_vms();
    let before = MemoryUsage::now().map_err(failed(0))?;
    let started = Instant::now();
    let mut idle = Vec::with_capacity(sandboxes);
    let mut wrong_results = 0;
    while idle.len() < sandboxes {
        let (sandbox, right) = make().map_err(failed(idle.len()))?;
        wrong_results += usize::from(!right);
        idle.push(sandbox);
    }
    let elapsed = started.elapsed();
    let idle_usage = MemoryUsage::now().map_err(failed(sandboxes))?;
    drop(idle);
    snapshot.release_spare_vms();
    let dropped = MemoryUsage::now().map_err(failed(sandboxes))?;
    Ok(IdleReport {
        sandboxes,
        snapshot_bytes: snapshot.stored_bytes(),
        wrong_results,
        before,
        idle: idle_usage,
        dropped,
        elapsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_read() {
        let usage = MemoryUsage::now().unwrap();
        assert!(usage.open_fds > 0 && usage.rss_bytes > 0 && usage.available_bytes > 0, "{usage:?}");
        assert!(usage.private_bytes > 0 && usage.private_bytes <= usage.rss_bytes, "{usage:?}");
    }
}
