//! Memory-hungry programs in a sandbox and with wasmtime in this process, in one run:
//! the `memory` test component's exports, each iteration from fresh memory on both
//! sides, alternating.
//!
//! | name                     | one iteration                                         |
//! |--------------------------|-------------------------------------------------------|
//! | `memory-grow-64MiB-vm`   | `memory.grow` by 64 MiB in 64 KiB steps (nothing written: first touches are the other rows' part), then a restore |
//! | `sieve-64MB-vm`          | `sieve(64 000 000)` over a 64 MB `Vec<bool>`, then a restore |
//! | `sha256-64MiB-vm`        | `sha256` of 64 MiB generated in a `Vec`, then a restore |
//! | `<row>-wasmtime`         | the same export on a fresh instance (new `Store`) of the same component with wasmtime's default configuration: instantiate, call, drop |
//!
//! Both sides start each iteration from memory as the program finds it when it starts:
//! the sandbox is restored to a snapshot taken right after instantiation (the restore is
//! part of the time, as dropping the store is on the wasmtime side), so first touches of
//! fresh pages count on both sides.

use super::measure::{Measurement, nanos};
use anyhow::{Context, ensure};
use featherlight::{Component, Engine, Linker, Sandbox, Value};
use std::time::Instant;

/// The `memory` test component (`tests/components/memory`), built by `build.rs`.
pub(super) const MEMORY_WASM: &[u8] = include_bytes!(env!("FEATHERLIGHT_CLI_MEMORY_WASM"));

const MIB: u64 = 1 << 20;

/// One program: its rows' names, the export and its arguments.
struct Program {
    vm: &'static str,
    wasmtime: &'static str,
    export: &'static str,
    args: Vec<Value>,
}

fn programs() -> Vec<Program> {
    vec![
        Program {
            vm: "memory-grow-64MiB-vm",
            wasmtime: "memory-grow-64MiB-wasmtime",
            export: "grow-steps",
            args: vec![Value::U64(64 * MIB), Value::U64(64 * 1024), Value::Bool(false)],
        },
        Program {
            vm: "sieve-64MB-vm",
            wasmtime: "sieve-64MB-wasmtime",
            export: "sieve",
            args: vec![Value::U32(64_000_000)],
        },
        Program {
            vm: "sha256-64MiB-vm",
            wasmtime: "sha256-64MiB-wasmtime",
            export: "sha256",
            args: vec![Value::U32(64 << 20)],
        },
    ]
}

/// Measures every program `iterations` times on each side.
pub(super) fn measure(engine: &Engine, iterations: u32, progress: &dyn Fn(&str)) -> anyhow::Result<Vec<Measurement>> {
    let component = Component::new(engine, MEMORY_WASM).context("cannot load the memory component")?;
    let linker = Linker::new();
    let mut sandbox = Sandbox::new(&component, &linker).context("cannot start the memory component")?;
    let snapshot = sandbox.snapshot()?;
    let mut wasmtime = InProcess::new(MEMORY_WASM)?;
    let mut measurements = Vec::new();
    for program in programs() {
        progress(program.vm);
        let in_vm = sandbox.call_then_restore(program.export, &program.args, &snapshot)?;
        let on_host = wasmtime.call(program.export, &program.args)?;
        ensure!(in_vm == on_host, "{} gives {in_vm:?} in the VM but {on_host:?} in wasmtime", program.export);
        let (mut vm_samples, mut host_samples) = (Vec::new(), Vec::new());
        for _ in 0..iterations {
            let start = Instant::now();
            sandbox.call_then_restore(program.export, &program.args, &snapshot)?;
            vm_samples.push(nanos(start));
            let start = Instant::now();
            wasmtime.call(program.export, &program.args)?;
            host_samples.push(nanos(start));
        }
        measurements.push(Measurement {
            name: program.vm,
            baseline: program.wasmtime,
            iterations,
            samples: vm_samples,
        });
        measurements.push(Measurement {
            name: program.wasmtime,
            baseline: program.wasmtime,
            iterations,
            samples: host_samples,
        });
    }
    Ok(measurements)
}

/// The component compiled by wasmtime in this process, default configuration (memory
/// reservations, guard pages, the host CPU's features), every import trapping; each call
/// on a fresh instance.
struct InProcess {
    engine: wasmtime::Engine,
    component: wasmtime::component::Component,
    linker: wasmtime::component::Linker<()>,
}

impl InProcess {
    fn new(wasm: &[u8]) -> anyhow::Result<Self> {
        let (engine, component, linker) = super::calls::in_process(wasm, "memory")?;
        Ok(Self { engine, component, linker })
    }

    /// Instantiates afresh and calls `export`; results in featherlight's terms.
    fn call(&mut self, export: &str, args: &[Value]) -> anyhow::Result<Vec<Value>> {
        use wasmtime::component::Val;
        let mut store = wasmtime::Store::new(&self.engine, ());
        let instance = self.linker.instantiate(&mut store, &self.component).map_err(from_wasmtime)?;
        let func = instance.get_func(&mut store, export).with_context(|| format!("no export `{export}`"))?;
        let params: Vec<Val> = args
            .iter()
            .map(|arg| match arg {
                Value::U32(v) => Ok(Val::U32(*v)),
                Value::U64(v) => Ok(Val::U64(*v)),
                Value::Bool(v) => Ok(Val::Bool(*v)),
                other => anyhow::bail!("no wasmtime value for {other:?}"),
            })
            .collect::<anyhow::Result<_>>()?;
        let mut results = vec![Val::Bool(false); func.ty(&store).results().len()];
        func.call(&mut store, &params, &mut results).map_err(from_wasmtime)?;
        results
            .into_iter()
            .map(|result| match result {
                Val::S64(v) => Ok(Value::S64(v)),
                Val::U32(v) => Ok(Value::U32(v)),
                Val::U64(v) => Ok(Value::U64(v)),
                Val::List(items) => items
                    .into_iter()
                    .map(|item| match item {
                        Val::U8(b) => Ok(Value::U8(b)),
                        other => anyhow::bail!("unexpected list item {other:?}"),
                    })
                    .collect::<anyhow::Result<Vec<_>>>()
                    .map(Value::List),
                other => anyhow::bail!("unexpected result {other:?}"),
            })
            .collect()
    }
}

/// wasmtime's error (built without its `anyhow` feature) as an [`anyhow::Error`].
fn from_wasmtime(error: wasmtime::Error) -> anyhow::Error {
    anyhow::Error::from_boxed(error.into())
}
