//! Guest memory: host mappings, the layout of scratch, page tables, the
//! boot image every sandbox of a component shares, and guest copy-on-write.

pub(crate) mod boot_image;
pub(crate) mod dirty_pages;
pub(crate) mod guest_cow;
pub mod layout;
pub(crate) mod page_tables;
pub(crate) mod pagemap;
pub(crate) mod region;
pub(crate) mod scratch_image;

pub use dirty_pages::DirtyPageMode;
pub use layout::{MemoryConfig, MemoryConfigError};
pub use region::OutOfBounds;

/// Why the boot image (or the guest-CoW page tables) could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BootImageError {
    /// Guest memory layout problem.
    #[error("the guest memory layout does not fit: {0}")]
    Layout(String),
    /// The host could not allocate the boot image's memory.
    #[error("cannot allocate the boot image's memory: {0}")]
    Memory(#[from] std::io::Error),
}

pub(crate) use crate::{PAGE, host_usize};
