//! Guest memory: host mappings, the layout of scratch, descriptor tables and
//! the snapshot.

pub(crate) mod descriptors;
pub mod layout;
pub(crate) mod region;
pub(crate) mod snapshot;

pub use layout::{MemoryConfig, MemoryConfigError};
pub use region::OutOfBounds;
pub use snapshot::SnapshotError;
