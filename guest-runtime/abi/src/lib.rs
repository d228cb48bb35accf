//! Everything the featherlight host and its guest runtime agree on.
//!
//! This crate is `no_std` so the guest can use it; the host uses the very
//! same definitions. It holds the guest memory layout and boot parameters
//! ([`layout`]), the I/O ports the guest exits through ([`ports`]), the
//! flatbuffer messages ([`message`] and the generated [`fb`] module) and the
//! x86-64 page-table code ([`paging`]) both sides use, the wasmtime
//! settings both must share ([`engine`]) and where linear memories live
//! ([`linear_memory`]).
#![no_std]

extern crate alloc;

pub mod engine;
pub mod fs;
pub mod http;
pub mod layout;
pub mod linear_memory;
pub mod message;
pub mod packed;
pub mod paging;
pub mod ports;

#[allow(
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    missing_debug_implementations,
    unsafe_op_in_unsafe_fn,
    mismatched_lifetime_syntaxes,
    non_camel_case_types,
    deprecated,
    missing_docs
)]
#[rustfmt::skip]
#[path = "generated/featherlight_generated.rs"]
mod generated;

/// The generated flatbuffer types (schema: `schema/featherlight.fbs`).
pub mod fb {
    pub use crate::generated::featherlight::abi::*;
}
