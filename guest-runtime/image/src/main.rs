//! The featherlight guest image: the guest kernel plus wasmtime's no_std
//! runtime, built for `x86_64-unknown-none` and embedded in the host library.
//!
//! One image serves every component: the host names the component's exports
//! and imports in its `Init` message, the image links each import to a
//! forwarding function and calls exports with dynamic values.
#![no_std]
#![no_main]

extern crate alloc;

mod dispatch;
mod failure;
mod fault;
mod import_failure;
mod imports;
mod linear_memory;
mod platform;
mod resources;
mod runtime;
mod store;
mod values;
mod wasi;

use featherlight_abi::layout::BootParams;

/// Called by the kernel's `_start` with the host's boot parameters.
///
/// # Safety
/// Only the kernel's entry code calls this, once, with the host-provided
/// boot parameter address.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn featherlight_entry(params: *const BootParams) -> ! {
    // SAFETY: first thing on the only vCPU, with the host's pointer.
    unsafe { featherlight_guest::init(params) };
    dispatch::serve()
}
