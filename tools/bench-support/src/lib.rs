//! Measurements of featherlight through its public API, shared by
//! `featherlight bench` (`tools/featherlight`) and the integration tests
//! (`tests/tests/load.rs`, `tests/tests/idle_memory.rs`):
//!
//! - [`load`]: many sandboxes from one snapshot under calls and random
//!   interrupts, checking that open files and resident memory do not grow;
//! - [`memory`]: what idle sandboxes cost in memory;
//! - [`process`]: what the process holds (open files, RSS), which both read.

pub mod http;
pub mod load;
pub mod memory;
pub mod process;

pub use process::ProcessUsage;
