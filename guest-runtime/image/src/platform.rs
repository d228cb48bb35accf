//! What wasmtime's no_std runtime needs from its platform.
//!
//! Wasmtime runs here without virtual memory or signals: traps are explicit
//! checks in compiled code, linear memories live on the heap, and compiled
//! code runs straight from the read-only snapshot, which is executable, so
//! publishing code is a no-op (writable pages are not executable: code
//! copied anywhere else would not run).

use core::cell::Cell;
use wasmtime::CustomCodeMemory;

struct TlsSlots([Cell<*mut u8>; 2]);

// SAFETY: one vCPU, no threads, no interrupts: the slots are never shared
// between concurrent executions.
unsafe impl Sync for TlsSlots {}

static TLS: TlsSlots = TlsSlots([Cell::new(core::ptr::null_mut()), Cell::new(core::ptr::null_mut())]);

/// Wasmtime's thread-local storage hook: with one thread, a static slot.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_tls_get(slot: usize) -> *mut u8 {
    TLS.0.get(slot).map_or(core::ptr::null_mut(), Cell::get)
}

/// Wasmtime's thread-local storage hook: with one thread, a static slot.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_tls_set(slot: usize, ptr: *mut u8) {
    if let Some(cell) = TLS.0.get(slot) {
        cell.set(ptr);
    }
}

/// Code memory whose pages are already executable: the host maps the
/// read-only snapshot, where the artifact lies, without the NX bit.
#[derive(Debug)]
pub struct PremappedCode;

impl CustomCodeMemory for PremappedCode {
    fn required_alignment(&self) -> usize {
        featherlight_guest::PAGE
    }
    fn publish_executable(&self, _ptr: *const u8, _len: usize) -> wasmtime::Result<()> {
        Ok(())
    }
    fn unpublish_executable(&self, _ptr: *const u8, _len: usize) -> wasmtime::Result<()> {
        Ok(())
    }
}

/// Answers wasmtime's CPU feature questions from the boot parameters: the
/// host set CPUID and compiled the component for exactly these features.
pub fn detect_host_feature(name: &str) -> Option<bool> {
    let bit = featherlight_abi::layout::cpu_features::from_name(name)?;
    Some(featherlight_guest::boot_params().cpu_features & bit != 0)
}
