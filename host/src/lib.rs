//! featherlight: run untrusted WebAssembly components in KVM micro-VMs.
//!
//! An [`Engine`] compiles components ahead of time for the guest (Cranelift,
//! cached on disk); a [`Component`] is one compiled component; a [`Sandbox`]
//! is one micro-VM running one instance of it, with the host functions a
//! [`Linker`] provides.
//!
//! ```no_run
//! use featherlight::{Component, Config, Engine, Linker, Sandbox, Value};
//!
//! let engine = Engine::new(Config::default())?;
//! let component = Component::from_file(&engine, "calculator.wasm")?;
//! let mut linker = Linker::new();
//! linker.func("featherlight:calculator/host", "record-call", |args| Ok(vec![args[0].clone()]));
//! let mut sandbox = Sandbox::new(&component, &linker)?;
//! let sum = sandbox.call("add", &[Value::U32(1), Value::U32(2)])?;
//! assert_eq!(sum, [Value::U32(3)]);
//! # Ok::<(), featherlight::Error>(())
//! ```

mod error;
mod host_report;
pub mod http;
pub(crate) mod hypervisor;
mod image;
pub mod mem;
mod sandbox;
#[doc(hidden)]
pub mod testing;
pub mod typed;
pub mod wasm;

pub use error::{
    Composite, Error, GuestViolation, HandleProblem, InvalidFlatbuffer, Malformed, PageTableViolation, PoisonedBy,
    Side, TrapCode,
};
/// Generates typed bindings for a WIT world, like
/// `wasmtime::component::bindgen!`.
///
/// ```ignore
/// featherlight::bindgen!({ path: "wit", world: "plugin" });
///
/// impl my::pkg::kv::Host for State {
///     fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, featherlight::HostError> { /* ... */ }
/// }
/// let state = Arc::new(Mutex::new(State::default()));
/// let (plugin, mut sandbox) = Plugin::instantiate(&component, &Linker::new(), &state)?;
/// let answer = plugin.my_pkg_api().call_handle(&mut sandbox, &request)?;
/// ```
///
/// `path` (default `"wit"`) is relative to the crate's `Cargo.toml`; `world`
/// may be left out when the package has one. `FEATHERLIGHT_BINDGEN_DUMP=dir`
/// writes the generated code to `dir/<world>.rs`. What is generated: see the
/// [`typed`] module and `docs/architecture.md`.
pub use featherlight_macros::bindgen;
pub use host_report::{HostReport, probe_host};
pub use hypervisor::{
    Capability, CpuFeatureReport, CpuFeatures, DeviceReport, DeviceStatus, ExitFailure, Hypervisor, HypervisorChoice,
    HypervisorError,
};
pub use image::ImageError;
pub use mem::{DirtyPageMode, MemoryConfig, MemoryConfigError};
pub use sandbox::host_functions::{HostError, HostFunction, Linker};
pub use sandbox::{InterruptHandle, Sandbox, Snapshot};
pub use typed::{Borrow, ComponentType, Lower, Own, Payload, Resource, WorldMismatch};
pub use wasm::cache::{CacheError, CacheUsage, CompileCache, DEFAULT_CACHE_MAX_SIZE};
pub use wasm::component::Component;
pub use wasm::engine::{Config, Engine};
pub use wasm::types::{FuncType, ValueType};
pub use wasm::value::Value;
pub use wasm::wasi::{CapturedOutput, FsError, FsPerms, OutputSink, SharedWriter, WasiClock, WasiConfig, WasiRandom};
pub use wasm::world::{ComponentWorld, WorldError, WorldFunction};

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
