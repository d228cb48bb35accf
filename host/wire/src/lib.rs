//! What the featherlight host reads from and writes to its guest, without
//! wasmtime or KVM: the value model ([`value`], [`types`], [`wave`]), the
//! value codec ([`codec`]), chunked messages ([`chunks`]), the decoding of every message the guest
//! writes ([`guest`]) and of the guest-CoW page tables a guest may rewrite
//! ([`page_tables`]).
//!
//! Everything here that reads guest-written bytes is a pure function over a
//! byte slice (or over page-table entries read by address), so the fuzz
//! targets in `fuzz/` exercise exactly the code the host runs, and build in
//! seconds rather than recompiling wasmtime.

pub mod chunks;
pub mod codec;
pub mod filesystem;
pub mod guest;
pub mod http;
mod malformed;
pub mod page_tables;
#[doc(hidden)]
pub mod seeds;
pub mod types;
pub mod value;
pub mod wave;

pub use flatbuffers::InvalidFlatbuffer;
pub use guest::TrapCode;
pub use malformed::{Composite, Malformed};

/// Why guest-written data or a value could not be carried.
// Exhaustive on purpose: the host maps each variant to its own error.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The guest wrote something the host cannot accept.
    #[error("malformed message from the guest: {0}")]
    Malformed(#[from] Malformed),
    /// A value to encode does not have its type.
    #[error(transparent)]
    Type(#[from] types::TypeError),
}
