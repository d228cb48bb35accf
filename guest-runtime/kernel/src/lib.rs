//! The featherlight guest kernel: the small, `no_std` layer under the guest's
//! Wasm runtime.
//!
//! Everything here runs at CPL3 inside a micro-VM with one vCPU and no
//! devices. The host built the descriptor tables and page tables before the
//! first instruction ran; the kernel changes only copy-on-write entries
//! ([`cow`]). It provides the
//! entry point ([`entry`]), CPU exception stubs ([`exceptions`]), the heap
//! ([`heap`]), message exchange with the host ([`host`]), logging ([`logger`])
//! and the panic handler.
#![no_std]

extern crate alloc;

pub mod cow;
pub mod entry;
pub mod exceptions;
pub mod heap;
pub mod host;
pub mod logger;
mod panic;

use featherlight_abi::layout::{ABI_VERSION, BOOT_MAGIC, BootParams, PAGE_SIZE};

// Guest addresses and sizes are u64; the guest is x86-64, where usize is as
// wide, so converting one to a length or offset never truncates.
const _: () = assert!(usize::BITS == u64::BITS, "the featherlight guest is 64-bit");

/// A guest address, offset or size as a `usize` (lossless, see above).
#[allow(clippy::cast_possible_truncation, reason = "usize is 64 bits wide (asserted above)")]
pub const fn guest_usize(value: u64) -> usize {
    value as usize
}

/// [`PAGE_SIZE`] as a length.
pub const PAGE: usize = guest_usize(PAGE_SIZE);

/// The boot parameters, once [`init`] has checked them.
static mut BOOT: Option<BootParams> = None;

/// Checks the boot parameters and brings up the heap, the host channel and
/// logging. Called once, first thing, by the image's entry function.
///
/// # Safety
/// `params` must point at the host-written boot parameters, and no other
/// kernel function may run before this one.
pub unsafe fn init(params: *const BootParams) {
    // SAFETY: the host wrote BootParams at this address before entry; the
    // struct is plain data, so any bit pattern is a valid value.
    let boot = unsafe { params.read_volatile() };
    if boot.magic != BOOT_MAGIC || boot.abi_version != ABI_VERSION {
        // Without valid parameters there is no output buffer to report into:
        // the exception path is the only way to tell the host.
        exceptions::fatal();
    }
    // SAFETY: single vCPU, and `init` runs once before anything reads BOOT.
    unsafe { BOOT = Some(boot) };
    // The stubs are only referenced by the host-built IDT: keep the linker
    // from discarding them.
    core::hint::black_box(exceptions::stubs_address());
    // SAFETY: the host reserved this region for the heap, nothing else uses it.
    unsafe { heap::init(boot.heap) };
    host::init(boot.input, boot.output, boot.cpu_features & featherlight_abi::layout::cpu_features::AVX != 0);
    logger::init(boot.max_log_level);
}

/// The boot parameters [`init`] accepted.
pub fn boot_params() -> &'static BootParams {
    // SAFETY: BOOT is written once in `init` before any caller exists and
    // never again, so shared references to it are never invalidated.
    match unsafe { &*core::ptr::addr_of!(BOOT) } {
        Some(boot) => boot,
        None => exceptions::fatal(),
    }
}
