//! `featherlight bench`: what a call into a sandbox costs, measured in one run against two
//! baselines.
//!
//! | name               | what one iteration is                                   | baseline       |
//! |--------------------|---------------------------------------------------------|----------------|
//! | `raw-exit`         | one KVM exit round trip of a CPL3 guest doing only `out` | `raw-exit`     |
//! | `call-noop`        | a call of the calculator's `noop` on a warm sandbox      | `raw-exit`     |
//! | `call-host-import` | `call-host(n)`, which calls the host's `record-call` once | `raw-exit`     |
//! | `sandbox-new`      | `Sandbox::new` and a first `noop` call, until it returns  | `raw-exit`     |
//! | `fib-vm`           | a CPU-bound `fib(n)` in a sandbox                         | `fib-wasmtime` |
//! | `fib-wasmtime`     | the same `fib(n)` with wasmtime in this process           | `fib-wasmtime` |
//!
//! The idle-sandbox memory rows (`idle-sandbox-*`) are `bench_idle.rs`'s.
//!
//! Every measurement takes several samples and reports their median and minimum per
//! iteration, and `ratio` = median / the baseline's median. Quick operations are timed in
//! batches (one sample = the mean of a batch), slow ones one by one.

use std::time::Instant;

use anyhow::{Context, ensure};
use clap::Args;
use featherlight::bench::RawExitVm;
use featherlight::{Component, HostError, Linker, Sandbox, Value};

use crate::options::Session;

/// The calculator example component (`examples/components/calculator`), built by
/// `build.rs`.
const CALCULATOR_WASM: &[u8] = include_bytes!(env!("CALCULATOR_WASM"));

/// The interface the calculator imports `record-call` from.
const HOST_INTERFACE: &str = "featherlight:calculator/host";

/// The default `n` of the `fib` measurements: one call takes some tens of milliseconds,
/// long enough for call overheads to vanish, short enough for a quick run.
const DEFAULT_FIB_N: u32 = 33;

/// How many batches quick operations are timed in.
const BATCHES: u32 = 20;

/// At most this many timed `sandbox-new` iterations.
const MAX_SANDBOX_NEW: u32 = 200;

/// At most this many timed calls of `fib` on each side.
const MAX_FIB: u32 = 15;

/// The most a measurement's ratio should be, printed alongside (not enforced).
/// Targets computed from other rows come from [`crate::bench_restore::targets`].
const TARGETS: &[(&str, f64)] = &[("call-noop", 1.2), ("fib-vm", 1.0 / 0.95), ("sandbox-from-snapshot", 1.5)];

/// The most a measurement's median should be (not enforced).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Target {
    /// The budget in nanoseconds.
    pub ns: f64,
    /// What it is, as printed after `<=`: a ratio to the baseline, or its
    /// value and how it is computed from other rows.
    pub rule: String,
}

impl Target {
    /// Whether a median of `ns` nanoseconds meets it.
    fn met(&self, ns: f64) -> bool {
        ns <= self.ns
    }
}

/// `featherlight bench [--json] [--iterations N]`
#[derive(Debug, Args)]
#[command(after_help = "\
Measurements (ratio = median / the baseline's median):
  raw-exit          a raw KVM exit round trip at CPL3 (baseline)
  call-noop         a warm call of the calculator's `noop`            (vs raw-exit)
  call-host-import  a call that calls one host function               (vs raw-exit)
  sandbox-new       a new sandbox until its first call returns        (vs raw-exit)
  fib-vm            a CPU-bound `fib(n)` in a sandbox                 (vs fib-wasmtime)
  fib-wasmtime      the same `fib(n)` with wasmtime on the host (baseline)
  memset-page       zeroing a 4 KiB page on the host, a different one of 1000 each time
  vcpu-ioctl        one vCPU ioctl not running the guest (KVM_GET_REGS) (vs raw-exit)
  restore-<S>MiB-dirty-<D>, guest-cow-restore-<S>MiB-dirty-<D>
                    a restore (host / guest copy-on-write) after a call that dirtied D
                    pages, S MiB of scratch: S = 1, 4, 16, 64 and D = 0, 10, 100, 1000,
                    but for D = 1000 in 1 and 4 MiB (3.9 MiB of pages do not fit)
  <mode>-touch-<D>-restore
                    a call dirtying D pages plus a restore; (D=100 - D=0) / 100 is the
                    cost of one dirtied page in that mode, its fault included
  call-restore-noop a `noop` call plus a restore                      (vs raw-exit)
  vm-create-exit    a bare VM created up to its first exit (baseline of the next two)
  sandbox-from-snapshot
                    a sandbox from a snapshot on a new VM until its first call returns
  sandbox-from-spare
                    the same on the VM of a dropped sandbox (Config::spare_vms)

Idle sandboxes (--idle-sandboxes N of them from one snapshot, each after one call,
all alive; per sandbox):
  idle-sandbox-rss          RSS growth (shared pages count once per sandbox)
  idle-sandbox-private      private memory growth, beyond the shared snapshot
  idle-sandbox-kernel       kernel memory growth in page tables, slab, vmalloc
  idle-sandbox-host-memory  the host's MemAvailable drop: all of it, blurred by other processes
  idle-sandbox-fds          open file descriptors

Targets, printed alongside, not enforced: call-noop <= 1.2 x raw-exit, fib-vm <= 1/0.95 x
fib-wasmtime; sandbox-from-snapshot <= 1.5 x vm-create-exit; restores flat in scratch
size (<= 1.2 x the smallest scratch's row with the same D); a host-CoW restore <=
vcpu-ioctl + 2 x D x memset-page; host-cow-touch-N-restore <= 1.2 x raw-exit + N x 1 µs;
idle-sandbox-private <= 1 MiB. Needs /dev/kvm.")]
pub struct BenchArgs {
    /// Print one JSON object per line and measurement, with the keys `name`,
    /// `median_ns`, `min_ns`, `iterations`, `baseline`, `ratio`, and `target_ns`
    /// (the tightest target), `target_met` (all met) and `target_rule` (null
    /// without a target).
    #[arg(long)]
    pub json: bool,

    /// Timed iterations of raw-exit, call-noop and call-host-import (in 20 batches);
    /// sandbox-new takes at most 200 of them, fib-vm and fib-wasmtime at most 15.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 100_000,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub iterations: u32,

    /// Leave out the snapshot and restore rows.
    #[arg(long)]
    pub no_restore: bool,

    /// Leave out the idle-sandbox rows.
    #[arg(long)]
    pub no_idle: bool,

    /// Idle sandboxes held at once for the idle-sandbox rows (each holds two
    /// open files: the soft limit is raised to the hard one if needed).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..),
        conflicts_with = "no_idle"
    )]
    pub idle_sandboxes: usize,

    /// Run the load test instead: many sandboxes from a snapshot, many calls
    /// over threads, random interrupts; fails if open fds or RSS grow.
    #[arg(long)]
    pub load: bool,

    /// Sandboxes of the load test.
    #[arg(long, value_name = "N", default_value_t = 100, requires = "load")]
    pub load_sandboxes: usize,

    /// Calls per sandbox of the load test.
    #[arg(long, value_name = "N", default_value_t = 10_000, requires = "load")]
    pub load_calls: usize,

    /// Threads making the load test's calls.
    #[arg(long, value_name = "N", default_value_t = 2, requires = "load")]
    pub load_threads: usize,

    /// The `n` of the `fib(n)` measurements (small values keep tests fast).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_FIB_N, hide = true)]
    pub fib_n: u32,
}

/// One measurement's samples.
#[derive(Debug)]
pub(crate) struct Measurement {
    /// Its name.
    pub name: &'static str,
    /// The measurement its ratio is relative to.
    pub baseline: &'static str,
    /// Timed iterations, over all samples.
    pub iterations: u32,
    /// Nanoseconds per iteration of each sample.
    pub samples: Vec<f64>,
}

impl Measurement {
    /// The median of the samples (the mean of the middle two for an even count).
    fn median(&self) -> f64 {
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        match sorted.len() {
            0 => f64::NAN,
            len if len % 2 == 0 => (sorted[middle - 1] + sorted[middle]) / 2.0,
            _ => sorted[middle],
        }
    }

    /// The smallest sample.
    fn min(&self) -> f64 {
        self.samples.iter().copied().fold(f64::NAN, f64::min)
    }
}

/// One line of the report.
#[derive(Debug)]
struct Row {
    name: &'static str,
    median_ns: f64,
    min_ns: f64,
    iterations: u32,
    baseline: &'static str,
    ratio: f64,
    targets: Vec<Target>,
}

/// Runs `featherlight bench`.
pub fn bench(args: &BenchArgs, session: &Session) -> anyhow::Result<()> {
    let progress = |what: &str| {
        if !args.json {
            eprintln!("bench: {what}");
        }
    };
    progress("compiling the calculator component");
    let engine = session.engine()?;
    let component = Component::new(&engine, CALCULATOR_WASM).context("cannot load the calculator component")?;
    if args.load {
        return crate::bench_load::run(args, &component, &calculator_linker());
    }
    let exports = Exports::find(&component)?;
    let quick = args.iterations;
    let mut measurements = Vec::new();

    progress("raw-exit");
    measurements.push(raw_exit(quick)?);
    progress("call-noop");
    measurements.push(call_noop(&component, &exports, quick)?);
    progress("call-host-import");
    measurements.push(call_host_import(&component, &exports, quick)?);
    progress("sandbox-new");
    measurements.push(sandbox_new(&component, &exports, quick.min(MAX_SANDBOX_NEW))?);
    progress(&format!("fib({}) in the VM and in wasmtime", args.fib_n));
    measurements.extend(fib(&component, &exports, args.fib_n, quick.min(MAX_FIB))?);
    if !args.no_restore {
        let cache_dir = engine.config().cache_dir.clone();
        measurements.extend(crate::bench_restore::measure(CALCULATOR_WASM, cache_dir, quick.min(20_000), &progress)?);
    }

    let idle = if args.no_idle {
        Vec::new()
    } else {
        crate::bench_idle::measure(args, &component, &calculator_linker(), &progress)?
    };

    let rows = rows(&measurements)?;
    if args.json {
        for row in &rows {
            println!("{}", json_line(row));
        }
        for row in &idle {
            println!("{}", crate::bench_idle::json_line(row));
        }
    } else {
        print!("{}", table(&rows));
        if !idle.is_empty() {
            print!("\n{}", crate::bench_idle::table(&idle));
        }
    }
    Ok(())
}

/// The indices of the calculator exports the benchmark calls.
#[derive(Debug)]
struct Exports {
    noop: usize,
    call_host: usize,
    fib: usize,
}

impl Exports {
    fn find(component: &Component) -> anyhow::Result<Self> {
        let world = component.world();
        Ok(Self {
            noop: world.find_export("noop")?,
            call_host: world.find_export("call-host")?,
            fib: world.find_export("fib")?,
        })
    }
}

/// (a) The raw KVM exit round trip.
fn raw_exit(iterations: u32) -> anyhow::Result<Measurement> {
    let mut vm = RawExitVm::new().context("cannot create the raw-exit VM")?;
    let samples = batched(iterations, || {
        vm.round_trip()?;
        Ok(())
    })?;
    Ok(Measurement { name: "raw-exit", baseline: "raw-exit", iterations, samples })
}

/// (b) A warm call of `noop`.
fn call_noop(component: &Component, exports: &Exports, iterations: u32) -> anyhow::Result<Measurement> {
    let mut sandbox = Sandbox::new(component, &Linker::new())?;
    let samples = batched(iterations, || {
        sandbox.call_index(exports.noop, &[])?;
        Ok(())
    })?;
    Ok(Measurement { name: "call-noop", baseline: "raw-exit", iterations, samples })
}

/// The calculator's host function: `record-call` returns its argument.
fn calculator_linker() -> Linker {
    let mut linker = Linker::new();
    linker.func(HOST_INTERFACE, "record-call", |args| match args {
        [n] => Ok(vec![n.clone()]),
        _ => Err(HostError::from("record-call takes one argument")),
    });
    linker
}

/// (c) A call of `call-host`, which calls the host's `record-call` once.
fn call_host_import(component: &Component, exports: &Exports, iterations: u32) -> anyhow::Result<Measurement> {
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
fn sandbox_new(component: &Component, exports: &Exports, iterations: u32) -> anyhow::Result<Measurement> {
    let linker = Linker::new();
    let samples = one_by_one(iterations, || {
        let mut sandbox = Sandbox::new(component, &linker)?;
        sandbox.call_index(exports.noop, &[])?;
        // Returned so that it is dropped after the clock stops.
        Ok(sandbox)
    })?;
    Ok(Measurement { name: "sandbox-new", baseline: "raw-exit", iterations, samples })
}

/// (e) `fib(n)` in a sandbox and with wasmtime in this process, alternating so that both
/// see the same machine conditions.
fn fib(component: &Component, exports: &Exports, n: u32, iterations: u32) -> anyhow::Result<[Measurement; 2]> {
    let mut sandbox = Sandbox::new(component, &Linker::new())?;
    let args = [Value::U32(n)];
    let mut wasmtime = InProcess::new(CALCULATOR_WASM)?;

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

impl InProcess {
    fn new(wasm: &[u8]) -> anyhow::Result<Self> {
        let engine = wasmtime::Engine::default();
        let component = wasmtime::component::Component::new(&engine, wasm)
            .map_err(from_wasmtime)
            .context("wasmtime cannot compile the calculator")?;
        let mut linker = wasmtime::component::Linker::<()>::new(&engine);
        linker.define_unknown_imports_as_traps(&component).map_err(from_wasmtime)?;
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
fn from_wasmtime(error: wasmtime::Error) -> anyhow::Error {
    anyhow::Error::from_boxed(error.into())
}

/// Times `iterations` runs of `op` in [`BATCHES`] batches (fewer if there are fewer
/// iterations), after a warm-up of a tenth of them (at most 1000): one sample per batch,
/// its mean time per run.
pub(crate) fn batched(iterations: u32, mut op: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Vec<f64>> {
    for _ in 0..(iterations / 10).clamp(1, 1000) {
        op()?;
    }
    let batches = iterations.min(BATCHES);
    let mut samples = Vec::new();
    for batch in 0..batches {
        // Spread the remainder over the first batches.
        let runs = iterations / batches + u32::from(batch < iterations % batches);
        let start = Instant::now();
        for _ in 0..runs {
            op()?;
        }
        samples.push(nanos(start) / f64::from(runs));
    }
    Ok(samples)
}

/// Times `iterations` runs of `op` one by one, after one warm-up run: one sample per run.
/// What `op` returns is dropped after its clock stops.
pub(crate) fn one_by_one<T>(iterations: u32, mut op: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<Vec<f64>> {
    drop(op()?);
    let mut samples = Vec::new();
    for _ in 0..iterations {
        let start = Instant::now();
        let result = op()?;
        samples.push(nanos(start));
        drop(result);
    }
    Ok(samples)
}

/// Nanoseconds since `start`.
pub(crate) fn nanos(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e9
}

/// The report: every measurement with its ratio to its baseline.
fn rows(measurements: &[Measurement]) -> anyhow::Result<Vec<Row>> {
    let median = |name: &str| measurements.iter().find(|m| m.name == name).map(Measurement::median);
    let computed = crate::bench_restore::targets(&median);
    measurements
        .iter()
        .map(|m| {
            let baseline = measurements
                .iter()
                .find(|b| b.name == m.baseline)
                .with_context(|| format!("no baseline `{}` for `{}`", m.baseline, m.name))?;
            Ok(Row {
                name: m.name,
                median_ns: m.median(),
                min_ns: m.min(),
                iterations: m.iterations,
                baseline: m.baseline,
                ratio: m.median() / baseline.median(),
                targets: TARGETS
                    .iter()
                    .filter(|(name, _)| *name == m.name)
                    .map(|(_, ratio)| Target { ns: ratio * baseline.median(), rule: format!("{ratio:.3}") })
                    .chain(computed.iter().filter(|(name, _)| *name == m.name).map(|(_, target)| target.clone()))
                    .collect(),
            })
        })
        .collect()
}

/// A row as one line of JSON, keys in a fixed order; nanoseconds are rounded to whole
/// numbers.
fn json_line(row: &Row) -> String {
    let (target_ns, target_met, target_rule) = match row.targets.iter().map(|t| t.ns).reduce(f64::min) {
        Some(ns) => (
            json_number(ns.round()),
            format!("{}", row.targets.iter().all(|t| t.met(row.median_ns))),
            format!("\"{}\"", row.targets.iter().map(|t| t.rule.as_str()).collect::<Vec<_>>().join("; ")),
        ),
        None => ("null".to_owned(), "null".to_owned(), "null".to_owned()),
    };
    format!(
        "{{\"name\":\"{}\",\"median_ns\":{},\"min_ns\":{},\"iterations\":{},\
         \"baseline\":\"{}\",\"ratio\":{},\"target_ns\":{target_ns},\"target_met\":{target_met},\
         \"target_rule\":{target_rule}}}",
        row.name,
        json_number(row.median_ns.round()),
        json_number(row.min_ns.round()),
        row.iterations,
        row.baseline,
        json_number((row.ratio * 1e4).round() / 1e4),
    )
}

/// A float as a JSON number (`null` if it is not finite, which JSON cannot carry).
fn json_number(value: f64) -> String {
    if value.is_finite() { format!("{value}") } else { "null".to_owned() }
}

/// The rows as a table with a header, and the targets alongside.
fn table(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<34} {:>12} {:>12} {:>10}  {:<14} {:>7}  {}\n",
        "name", "median", "min", "iterations", "baseline", "ratio", "target"
    );
    for row in rows {
        let target = row
            .targets
            .iter()
            .map(|t| {
                let outcome = if t.met(row.median_ns) { "met" } else { "missed" };
                format!("<= {} ({outcome})", t.rule)
            })
            .collect::<Vec<_>>()
            .join("; ");
        let line = format!(
            "{:<34} {:>12} {:>12} {:>10}  {:<14} {:>7.3}  {}",
            row.name,
            duration(row.median_ns),
            duration(row.min_ns),
            row.iterations,
            row.baseline,
            row.ratio,
            target
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Nanoseconds in a readable unit.
pub(crate) fn duration(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measurement(name: &'static str, baseline: &'static str, samples: &[f64]) -> Measurement {
        Measurement { name, baseline, iterations: 10, samples: samples.to_vec() }
    }

    #[test]
    fn median_and_min() {
        let odd = measurement("a", "a", &[5.0, 1.0, 3.0]);
        assert_eq!((odd.median(), odd.min()), (3.0, 1.0));
        let even = measurement("a", "a", &[4.0, 1.0, 3.0, 2.0]);
        assert_eq!((even.median(), even.min()), (2.5, 1.0));
    }

    #[test]
    fn ratios_json_and_table() {
        let measurements = [
            measurement("raw-exit", "raw-exit", &[1000.0, 1100.0, 900.0]),
            measurement("call-noop", "raw-exit", &[1150.0, 1200.0, 1100.0]),
        ];
        let rows = rows(&measurements).unwrap();
        assert_eq!(rows[0].ratio, 1.0);
        assert!((rows[1].ratio - 1.15).abs() < 1e-9);
        assert_eq!(
            json_line(&rows[1]),
            "{\"name\":\"call-noop\",\"median_ns\":1150,\"min_ns\":1100,\"iterations\":10,\
             \"baseline\":\"raw-exit\",\"ratio\":1.15,\"target_ns\":1200,\"target_met\":true,\
             \"target_rule\":\"1.200\"}"
        );
        assert!(json_line(&rows[0]).ends_with("\"target_ns\":null,\"target_met\":null,\"target_rule\":null}"));
        let table = table(&rows);
        assert!(table.contains("<= 1.200 (met)"), "{table}");
        assert!(super::rows(&[measurement("x", "missing", &[1.0])]).is_err());
    }

    #[test]
    fn batches_cover_every_iteration() {
        let mut runs = 0;
        let samples = batched(45, || {
            runs += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(samples.len(), 20);
        // 4 warm-up runs, then all 45.
        assert_eq!(runs, 4 + 45);
    }
}
