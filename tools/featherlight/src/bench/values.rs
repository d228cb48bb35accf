//! `featherlight bench`'s rows of large values: echoing a 16 MiB `list<u8>`
//! and a 16 MiB string through the calculator, in a sandbox and with wasmtime
//! in this process (dynamic `Func::call` with `Val`s, as the guest calls),
//! alternating so that both see the same machine conditions. Both sides
//! raise wasmtime's hostcall fuel, which at its default refuses to lift a
//! `list<u8>` this long as `Val`s.

use std::time::Instant;

use anyhow::{Context, ensure};
use featherlight::{Component, Engine, Linker, Sandbox, Value};
use wasmtime::component::Val;

use super::measure::{Measurement, nanos};

/// The default size of the echoed values.
pub(super) const ECHO_BYTES: usize = 16 << 20;

/// Hostcall fuel on both sides: room for 16 Mi `Val`s.
pub(super) const ECHO_FUEL: u64 = 1 << 30;

/// What the echo rows moved per call, besides their time.
#[derive(Debug)]
pub(super) struct Throughput {
    /// The row's name.
    pub name: &'static str,
    /// Mebibytes echoed per second (in and out counted once).
    pub mib_per_s: f64,
    /// VM exits per call (0 in wasmtime).
    pub exits_per_call: f64,
}

/// Rows `echo-bytes-<size>-{vm,wasmtime}` and `echo-string-<size>-{vm,wasmtime}`
/// (size 16MiB by default), `engine` configured with [`ECHO_FUEL`] and room for
/// the guest's `Val`s.
pub(super) fn echo(
    engine: &Engine,
    wasm: &[u8],
    size: usize,
    iterations: u32,
) -> anyhow::Result<(Vec<Measurement>, Vec<Throughput>)> {
    let component = Component::new(engine, wasm).context("cannot load the calculator component")?;
    let mut sandbox = Sandbox::new(&component, &Linker::new())?;
    let mut wasmtime = InProcess::new(wasm)?;
    let bytes = Value::List((0..size).map(|i| Value::U8(u8::try_from(i % 251).unwrap_or(0))).collect());
    let text = Value::String("featherlight ".chars().cycle().take(size).collect());
    let label = size_label(size);
    // Row names live as long as the report: made once per run.
    let name = |what: &str, side: &str| -> &'static str { Box::leak(format!("{what}-{label}-{side}").into()) };
    let mut measurements = Vec::new();
    let mut throughputs = Vec::new();
    for (function, value, names) in [
        ("echo-bytes", bytes, [name("echo-bytes", "vm"), name("echo-bytes", "wasmtime")]),
        ("echo-string", text, [name("echo-string", "vm"), name("echo-string", "wasmtime")]),
    ] {
        let index = component.world().find_export(function)?;
        let args = [value];
        let vals = [to_val(&args[0])];
        // Warm up both, and check they agree.
        let in_vm = sandbox.call_index(index, &args)?;
        ensure!(in_vm == args, "{function} in the VM did not return its argument");
        let on_host = wasmtime.call(function, &vals)?;
        ensure!(on_host.len() == 1, "{function} in wasmtime returned {} values", on_host.len());

        let exits_before = sandbox.vm_exits();
        let (mut vm_samples, mut wasmtime_samples) = (Vec::new(), Vec::new());
        for i in 0..iterations {
            let mut time_vm = || -> anyhow::Result<()> {
                let start = Instant::now();
                let results = sandbox.call_index(index, &args)?;
                vm_samples.push(nanos(start));
                drop(results);
                Ok(())
            };
            let mut time_wasmtime = || -> anyhow::Result<()> {
                let start = Instant::now();
                let results = wasmtime.call(function, &vals)?;
                wasmtime_samples.push(nanos(start));
                drop(results);
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
        let exits_per_call = (sandbox.vm_exits() - exits_before) as f64 / f64::from(iterations);
        let [vm_name, wasmtime_name] = names;
        let vm = Measurement { name: vm_name, baseline: wasmtime_name, iterations, samples: vm_samples };
        let host = Measurement { name: wasmtime_name, baseline: wasmtime_name, iterations, samples: wasmtime_samples };
        let mib_per_s = |m: &Measurement| (size as f64 / f64::from(1 << 20)) / (m.median() / 1e9);
        throughputs.push(Throughput { name: vm_name, mib_per_s: mib_per_s(&vm), exits_per_call });
        throughputs.push(Throughput { name: wasmtime_name, mib_per_s: mib_per_s(&host), exits_per_call: 0.0 });
        measurements.extend([vm, host]);
    }
    Ok((measurements, throughputs))
}

/// `16MiB`, `64KiB` or `1000B`.
fn size_label(size: usize) -> String {
    match size {
        s if s >= 1 << 20 && s % (1 << 20) == 0 => format!("{}MiB", s >> 20),
        s if s >= 1 << 10 && s % (1 << 10) == 0 => format!("{}KiB", s >> 10),
        s => format!("{s}B"),
    }
}

/// A throughput as one line of JSON.
pub(super) fn json_line(row: &Throughput) -> String {
    format!(
        "{{\"name\":\"{}-throughput\",\"mib_per_s\":{:.1},\"exits_per_call\":{:.1}}}",
        row.name, row.mib_per_s, row.exits_per_call
    )
}

/// The throughputs as a table.
pub(super) fn table(rows: &[Throughput]) -> String {
    let mut out = format!("{:<34} {:>12} {:>14}\n", "echoed values", "MiB/s", "exits/call");
    for row in rows {
        out.push_str(&format!("{:<34} {:>12.1} {:>14.1}\n", row.name, row.mib_per_s, row.exits_per_call));
    }
    out
}

/// A `list<u8>` or string as wasmtime's `Val`.
fn to_val(value: &Value) -> Val {
    match value {
        Value::String(text) => Val::String(text.clone()),
        Value::List(items) => {
            Val::List(items.iter().map(|v| if let Value::U8(b) = v { Val::U8(*b) } else { Val::Bool(false) }).collect())
        }
        _ => Val::Bool(false),
    }
}

/// The calculator instantiated by wasmtime in this process, every import
/// trapping, with [`ECHO_FUEL`].
struct InProcess {
    store: wasmtime::Store<()>,
    instance: wasmtime::component::Instance,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcess").finish_non_exhaustive()
    }
}

impl InProcess {
    fn new(wasm: &[u8]) -> anyhow::Result<Self> {
        let (engine, component, linker) = super::calls::in_process(wasm, "calculator")?;
        let mut store = wasmtime::Store::new(&engine, ());
        store.set_hostcall_fuel(usize::try_from(ECHO_FUEL)?);
        let instance = linker
            .instantiate(&mut store, &component)
            .map_err(super::calls::from_wasmtime)
            .context("wasmtime cannot instantiate the calculator")?;
        Ok(Self { store, instance })
    }

    fn call(&mut self, function: &str, args: &[Val]) -> anyhow::Result<Vec<Val>> {
        let func = self
            .instance
            .get_func(&mut self.store, function)
            .with_context(|| format!("the calculator has no export `{function}`"))?;
        let mut results = vec![Val::Bool(false)];
        func.call(&mut self.store, args, &mut results).map_err(super::calls::from_wasmtime)?;
        Ok(results)
    }
}
