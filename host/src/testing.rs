//! Hooks for featherlight's own tests and benchmarks; not part of the API
//! (hidden from the docs, may change at any time).
//!
//! - [`RawExitVm`]: a VM running hand-assembled code with no guest runtime,
//!   whose exit round trip `featherlight bench` takes as its baseline;
//! - [`inject_fault`]: makes a sandbox's guest runtime fail on purpose;
//! - [`guest_copied_pages`], [`scratch_contents`], [`linear_memory_contents`]:
//!   what the guest wrote, for the snapshot and hostile-guest tests;
//! - [`run_time_enable`], [`run_time_take`]: time spent inside `KVM_RUN`.

use crate::{Error, Sandbox};

pub use crate::hypervisor::raw_exit::{RawExitError, RawExitVm};
pub use crate::sandbox::GuestFault;

/// Makes the guest runtime of `sandbox` fail in the way `kind` says; the
/// failure poisons the sandbox like any other guest failure.
pub fn inject_fault(sandbox: &mut Sandbox, kind: GuestFault) -> Result<(), Error> {
    sandbox.inject_fault(kind)
}

/// How many snapshot pages the guest of `sandbox` has copied since the last
/// restore (guest-CoW mode), or `None` (host-CoW mode, or no snapshot mapped
/// yet).
pub fn guest_copied_pages(sandbox: &Sandbox) -> Result<Option<usize>, Error> {
    sandbox.guest_copied_pages()
}

/// Every byte the guest of `sandbox` can reach in writable memory: its view
/// of scratch (copied pages where it copied them) followed, in guest-CoW
/// mode, by all of the CoW memory.
pub fn scratch_contents(sandbox: &Sandbox) -> Result<Vec<u8>, Error> {
    sandbox.scratch_contents()
}

/// The guest's linear-memory area as far as it is committed: each
/// reservation's committed bytes, one after the other.
pub fn linear_memory_contents(sandbox: &Sandbox) -> Result<Vec<u8>, Error> {
    sandbox.linear_memory_contents()
}

/// Time spent inside `KVM_RUN` (KVM only): while enabled, every run on a
/// thread adds to that thread's count, which [`run_time_take`] reads and
/// resets. Off by default (it costs two clock reads per run).
pub fn run_time_enable(on: bool) {
    crate::hypervisor::kvm::run_time::enable(on);
}

/// This thread's nanoseconds inside `KVM_RUN` and number of runs since the
/// last call (see [`run_time_enable`]).
pub fn run_time_take() -> (u64, u64) {
    crate::hypervisor::kvm::run_time::take()
}
