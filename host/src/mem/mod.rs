//! Guest memory: host mappings, the layout of scratch, descriptor tables and
//! the snapshot.

pub(crate) mod descriptors;
pub(crate) mod dirty_pages;
pub(crate) mod guest_cow;
pub mod layout;
pub(crate) mod pagemap;
pub(crate) mod region;
pub(crate) mod scratch_image;
pub(crate) mod snapshot;

pub use dirty_pages::DirtyPageMode;
pub use layout::{MemoryConfig, MemoryConfigError};
pub use region::OutOfBounds;
pub use snapshot::SnapshotError;

// Guest addresses and sizes are u64; the host is x86-64 (KVM), where usize
// is as wide, so converting one to a host length or offset never truncates.
const _: () = assert!(usize::BITS == u64::BITS, "featherlight's host needs a 64-bit target");

/// A guest address, offset or size as a host `usize` (lossless, see above).
#[allow(clippy::cast_possible_truncation, reason = "usize is 64 bits wide (asserted above)")]
pub(crate) const fn host_usize(value: u64) -> usize {
    value as usize
}

/// [`PAGE_SIZE`](featherlight_abi::layout::PAGE_SIZE) as a host length.
pub(crate) const PAGE: usize = host_usize(featherlight_abi::layout::PAGE_SIZE);
