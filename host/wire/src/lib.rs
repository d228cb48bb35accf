//! What the featherlight host reads from and writes to its guest, without
//! wasmtime or KVM: the value model ([`value`], [`types`], [`wave`]), the
//! value codec ([`codec`]) and the decoding of every message the guest
//! writes ([`guest`]).
//!
//! Everything here that reads guest-written bytes is a pure function over a
//! byte slice, so the fuzz targets in `fuzz/` exercise exactly the code the
//! host runs, and build in seconds rather than recompiling wasmtime.

pub mod codec;
pub mod guest;
#[doc(hidden)]
pub mod seeds;
pub mod types;
pub mod value;
pub mod wave;

pub use guest::TrapCode;

/// Why guest-written data or a value could not be carried.
// Exhaustive on purpose: the host maps each variant to its own error.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The guest wrote something the host cannot accept.
    #[error("malformed message from the guest: {0}")]
    Malformed(String),
    /// A value to encode does not have its type.
    #[error(transparent)]
    Type(#[from] types::TypeError),
}
