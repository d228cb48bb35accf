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

#[doc(hidden)]
pub mod bench;
mod error;
pub(crate) mod hypervisor;
mod image;
pub mod mem;
mod sandbox;
pub mod wasm;

pub use error::{Error, TrapCode};
pub use hypervisor::HypervisorError;
pub use image::ImageError;
pub use mem::{MemoryConfig, MemoryConfigError};
pub use sandbox::host_functions::{HostError, HostFunction, Linker};
pub use sandbox::{GuestFault, InterruptHandle, Sandbox, Snapshot};
pub use wasm::cache::CacheError;
pub use wasm::component::Component;
pub use wasm::engine::{Config, Engine};
pub use wasm::types::{FuncType, ValueType};
pub use wasm::value::Value;
pub use wasm::wasi::{CapturedOutput, OutputSink, WasiClock, WasiConfig, WasiRandom};
pub use wasm::world::{ComponentWorld, WorldError, WorldFunction};
