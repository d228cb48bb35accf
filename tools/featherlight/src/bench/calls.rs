//! `featherlight bench`'s rows of calls into the calculator component and
//! their baselines: `raw-exit`, `call-noop`, `call-host-import`,
//! `sandbox-new`, and `fib-vm` against `fib-wasmtime`.

use std::time::Instant;

use anyhow::{Context, ensure};
use featherlight::testing::RawExitVm;
use featherlight::{Component, HostError, Linker, Sandbox, Value};

use super::measure::{Measurement, batched, nanos, one_by_one};

/// The interface the calculator imports `record-call` from.
const HOST_INTERFACE: &str = "featherlight:calculator/host";

/// The indices of the calculator exports the benchmark calls.
#[derive(Debug)]
pub(super) struct Exports {
    noop: usize,
    call_host: usize,
    fib: usize,
}

impl Exports {
    pub(super) fn find(component: &Component) -> anyhow::Result<Self> {
        let world = component.world();
        Ok(Self {
            noop: world.find_export("noop")?,
            call_host: world.find_export("call-host")?,
            fib: world.find_export("fib")?,
        })
    }
}

/// (a) The raw KVM exit round trip.
pub(super) fn raw_exit(iterations: u32) -> anyhow::Result<Measurement> {
    let mut vm = RawExitVm::new().context("cannot create the raw-exit VM")?;
    let samples = batched(iterations, || {
        vm.round_trip()?;
        Ok(())
    })?;
    Ok(Measurement { name: "raw-exit", baseline: "raw-exit", iterations, samples })
}

/// (b) A warm call of `noop`.
pub(super) fn call_noop(component: &Component, exports: &Exports, iterations: u32) -> anyhow::Result<Measurement> {
    let mut sandbox = Sandbox::new(component, &Linker::new())?;
    let samples = batched(iterations, || {
        sandbox.call_index(exports.noop, &[])?;
        Ok(())
    })?;
    Ok(Measurement { name: "call-noop", baseline: "raw-exit", iterations, samples })
}

/// The calculator's host function: `record-call` returns its argument.
pub(super) fn calculator_linker() -> Linker {
    let mut linker = Linker::new();
    linker.func(HOST_INTERFACE, "record-call", |args| match args {
        [n] => Ok(vec![n.clone()]),
        _ => Err(HostError::from("record-call takes one argument")),
    });
    linker
}

/// (c) A call of `call-host`, which calls the host's `record-call` once.
pub(super) fn call_host_import(
    component: &Component,
    exports: &Exports,
    iterations: u32,
) -> anyhow::Result<Measurement> {
    let mut sandbox = Sandbox::new(component, &calculator_linker())?;
    let check = sandbox.call_index(exports.call_host, &[Value::U32(41)])?;
    ensure!(check == [Value::U32(42)], "call-host(41) returned {check:?}, not 42");
    let args = [Value::U32(7)];
    let samples = batched(iterations, || {
        sandbox.call_index(exports.call_host, &args)?;
        Ok(())
    })?;
    Ok(Measurement { name: "call-host-import", baseline: "raw-exit", iterations, samples })
}

/// (d) A new sandbox until its first call returns.
pub(super) fn sandbox_new(component: &Component, exports: &Exports, iterations: u32) -> anyhow::Result<Measurement> {
    let linker = Linker::new();
    let samples = one_by_one(iterations, || {
        let mut sandbox = Sandbox::new(component, &linker)?;
        sandbox.call_index(exports.noop, &[])?;
        // Returned so that it is dropped after the clock stops.
        Ok(sandbox)
    })?;
    Ok(Measurement { name: "sandbox-new", baseline: "raw-exit", iterations, samples })
}

/// (e) `fib(n)` in a sandbox and with wasmtime in this process (both from `wasm`), alternating so that both
/// see the same machine conditions.
pub(super) fn fib(
    component: &Component,
    wasm: &[u8],
    exports: &Exports,
    n: u32,
    iterations: u32,
) -> anyhow::Result<[Measurement; 2]> {
    let mut sandbox = Sandbox::new(component, &Linker::new())?;
    let args = [Value::U32(n)];
    let mut wasmtime = InProcess::new(wasm)?;

    // Warm up both, and check they agree.
    let in_vm = sandbox.call_index(exports.fib, &args)?;
    let on_host = wasmtime.fib(n)?;
    ensure!(in_vm == [Value::U64(on_host)], "fib({n}) is {in_vm:?} in the VM but {on_host} in wasmtime");

    let mut vm_samples = Vec::new();
    let mut wasmtime_samples = Vec::new();
    for i in 0..iterations {
        let mut time_vm = || -> anyhow::Result<()> {
            let start = Instant::now();
            sandbox.call_index(exports.fib, &args)?;
            vm_samples.push(nanos(start));
            Ok(())
        };
        let mut time_wasmtime = || -> anyhow::Result<()> {
            let start = Instant::now();
            wasmtime.fib(n)?;
            wasmtime_samples.push(nanos(start));
            Ok(())
        };
        if i % 2 == 0 {
            time_vm()?;
            time_wasmtime()?;
        } else {
            time_wasmtime()?;
            time_vm()?;
        }
    }
    Ok([
        Measurement { name: "fib-vm", baseline: "fib-wasmtime", iterations, samples: vm_samples },
        Measurement { name: "fib-wasmtime", baseline: "fib-wasmtime", iterations, samples: wasmtime_samples },
    ])
}

/// The calculator instantiated by wasmtime in this process, with its default
/// configuration and every import trapping.
struct InProcess {
    store: wasmtime::Store<()>,
    fib: wasmtime::component::TypedFunc<(u32,), (u64,)>,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcess").finish_non_exhaustive()
    }
}

/// `wasm` (the `what` component) compiled by wasmtime in this process with its
/// default configuration, and a linker in which every import traps.
pub(super) fn in_process(
    wasm: &[u8],
    what: &str,
) -> anyhow::Result<(wasmtime::Engine, wasmtime::component::Component, wasmtime::component::Linker<()>)> {
    let engine = wasmtime::Engine::default();
    let component = wasmtime::component::Component::new(&engine, wasm)
        .map_err(from_wasmtime)
        .with_context(|| format!("wasmtime cannot compile the {what} component"))?;
    let mut linker = wasmtime::component::Linker::<()>::new(&engine);
    linker.define_unknown_imports_as_traps(&component).map_err(from_wasmtime)?;
    Ok((engine, component, linker))
}

impl InProcess {
    fn new(wasm: &[u8]) -> anyhow::Result<Self> {
        let (engine, component, linker) = in_process(wasm, "calculator")?;
        let mut store = wasmtime::Store::new(&engine, ());
        let instance = linker
            .instantiate(&mut store, &component)
            .map_err(from_wasmtime)
            .context("wasmtime cannot instantiate the calculator")?;
        let fib = instance.get_typed_func::<(u32,), (u64,)>(&mut store, "fib").map_err(from_wasmtime)?;
        Ok(Self { store, fib })
    }

    fn fib(&mut self, n: u32) -> anyhow::Result<u64> {
        let (result,) = self.fib.call(&mut self.store, (n,)).map_err(from_wasmtime)?;
        Ok(result)
    }
}

/// wasmtime's error (built without its `anyhow` feature) as an [`anyhow::Error`].
pub(super) fn from_wasmtime(error: wasmtime::Error) -> anyhow::Error {
    anyhow::Error::from_boxed(error.into())
}
