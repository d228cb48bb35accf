//! `featherlight bench`: what a call into a sandbox costs, measured in one run against two
//! baselines.
//!
//! | name               | what one iteration is                                   | baseline       |
//! |--------------------|---------------------------------------------------------|----------------|
//! | `raw-exit`         | one KVM exit round trip of a CPL3 guest doing only `out` | `raw-exit`     |
//! | `call-noop`        | a call of the calculator's `noop` on a warm sandbox      | `raw-exit`     |
//! | `call-host-import` | `call-host(n)`, which calls the host's `record-call` once | `raw-exit`     |
//! | `sandbox-new`      | `Sandbox::new` and a first `noop` call, until it returns  | `raw-exit`     |
//!
//! Starting from snapshot files, whole processes and featherlight's own time per call
//! (`host-*`, `kvm-*`, `guest-*`) are measured in `startup.rs`.
//! | `fib-vm`           | a CPU-bound `fib(n)` in a sandbox                         | `fib-wasmtime` |
//! | `fib-wasmtime`     | the same `fib(n)` with wasmtime in this process           | `fib-wasmtime` |
//!
//! Memory-hungry programs (`memory-grow-64MiB-*`, `sieve-64MB-*`, `sha256-64MiB-*`, each
//! in the VM against wasmtime in this process) are measured in `memory.rs`, a real
//! crates.io program (`comrak-1MB-*`) in `program.rs`.
//!
//! The rows of each kind are measured in a module of their own: these in `calls.rs`,
//! snapshots and restore in `restore.rs`, the idle-sandbox memory rows (`idle-sandbox-*`)
//! in `idle.rs`; `load.rs` runs `--load`. `measure.rs` times, `table.rs` prints.
//!
//! Every measurement takes several samples and reports their median and minimum per
//! iteration, and `ratio` = median / the baseline's median. Quick operations are timed in
//! batches (one sample = the mean of a batch), slow ones one by one.

mod calls;
mod idle;
mod load;
mod measure;
mod memory;
mod program;
mod restore;
mod serve;
mod startup;
mod table;
mod values;

use anyhow::Context;
use clap::Args;
use featherlight::Component;

use crate::options::Session;
use crate::report::{errln, out, outln};
use calls::{Exports, calculator_linker, call_host_import, call_noop, fib, raw_exit, sandbox_new};
use measure::Measurement;
use table::{Row, Target, json_line, table};

/// The calculator example component (`examples/components/calculator`), built by
/// `build.rs`.
const CALCULATOR_WASM: &[u8] = include_bytes!(env!("CALCULATOR_WASM"));

/// The default `n` of the `fib` measurements: one call takes some tens of milliseconds,
/// long enough for call overheads to vanish, short enough for a quick run.
const DEFAULT_FIB_N: u32 = 33;

/// At most this many timed `sandbox-new` iterations.
const MAX_SANDBOX_NEW: u32 = 200;

/// At most this many timed calls of `fib` on each side.
const MAX_FIB: u32 = 15;

/// The most a measurement's ratio should be, printed alongside (not enforced).
/// Targets computed from other rows come from [`restore::targets`].
const TARGETS: &[(&str, f64)] = &[
    ("call-noop", 1.2),
    ("fib-vm", 1.0 / 0.95),
    ("sandbox-from-snapshot", 1.5),
    ("sandbox-from-file", 1.5),
    ("echo-bytes-16MiB-vm", 1.0 / 0.8),
    ("echo-string-16MiB-vm", 1.0 / 0.8),
    ("memory-grow-64MiB-vm", 1.0 / 0.9),
    ("sieve-64MB-vm", 1.0 / 0.95),
    ("sha256-64MiB-vm", 1.0 / 0.95),
    ("comrak-1MB-vm", 1.0 / 0.9),
    ("run-noop-vs-wasmtime", 1.0),
    ("run-comrak-vs-wasmtime", 1.5),
];

/// At most this many timed echoes of 16 MiB on each side.
const MAX_ECHO: u32 = 10;

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
  echo-bytes-16MiB-vm, echo-string-16MiB-vm
                    a 16 MiB list<u8> / string in and out of a sandbox (vs -wasmtime)
  echo-bytes-16MiB-wasmtime, echo-string-16MiB-wasmtime
                    the same with wasmtime in this process, dynamic Func::call with
                    Vals (baseline); both raise hostcall fuel to 1 GiB. MiB/s and VM
                    exits per call follow in their own table (JSON: *-throughput)
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
  snapshot-load     Snapshot::load of a saved snapshot file (checked, mapped)
  sandbox-from-file the same, then as sandbox-from-snapshot
  host-<call>, kvm-<call>, guest-<call>
                    per call: the host's time outside KVM_RUN, the time inside it, and
                    that minus one raw-exit per run (the guest's own time, estimated);
                    <call> = noop, string-1KiB (each way), host-import, noop-restore
  process-version   this binary as a process printing its version (baseline)
  run-noop-cached   a process `featherlight run --invoke 'noop()'` with the component and
                    its warm snapshot cached                          (vs process-version)
  wasmtime-run-noop, run-noop-vs-wasmtime, wasmtime-run-comrak, run-comrak-vs-wasmtime
                    with FEATHERLIGHT_BENCH_WASMTIME=path/to/wasmtime only: whole
                    processes of `wasmtime run` and `featherlight run`, alternating, of
                    the calculator's noop and of comrak (vs wasmtime's)
  memory-grow-64MiB-vm  memory.grow of 64 MiB in 64 KiB steps, then a restore
  sieve-64MB-vm     a sieve over a 64 MB Vec, then a restore
  sha256-64MiB-vm   SHA-256 of 64 MiB, then a restore
  <row>-wasmtime    the same on a fresh wasmtime instance in this process (baseline)
  comrak-1MB-vm     comrak (crates.io) rendering ~1 MB of Markdown from stdin, in a new
                    sandbox (vs comrak-1MB-wasmtime: wasmtime + wasmtime-wasi in process)

Idle sandboxes (--idle-sandboxes N of them from one snapshot, each after one call,
all alive; per sandbox):
  idle-sandbox-rss          RSS growth (shared pages count once per sandbox)
  idle-sandbox-private      private memory growth, beyond the shared snapshot
  idle-sandbox-kernel       kernel memory growth in page tables, slab, vmalloc
  idle-sandbox-host-memory  the host's MemAvailable drop: all of it, blurred by other processes
  idle-sandbox-fds          open file descriptors

Targets, printed alongside, not enforced: call-noop <= 1.2 x raw-exit, fib-vm <= 1/0.95 x
fib-wasmtime; echo-*-vm <= 1/0.8 x echo-*-wasmtime; sandbox-from-snapshot <= 1.5 x
vm-create-exit; restores flat in scratch size (<= 1.2 x the smallest scratch's row with
the same D); a host-CoW restore <= vcpu-ioctl + 2 x D x memset-page;
host-cow-touch-N-restore <= 1.2 x raw-exit + N x 1 µs; idle-sandbox-private <= 1 MiB.
Needs /dev/kvm.")]
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

    /// Leave out the rows echoing 16 MiB values.
    #[arg(long)]
    pub no_echo: bool,

    /// Leave out the idle-sandbox rows.
    #[arg(long)]
    pub no_idle: bool,

    /// Leave out the memory-hungry program rows (and comrak's).
    #[arg(long)]
    pub no_memory: bool,

    /// Timed iterations of each memory-hungry program on each side.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub memory_iterations: u32,

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

    /// Measure `featherlight serve` instead: requests/s and p50/p99 latency of a hello and a
    /// 1 MiB echo at concurrency 1 and 2 x CPUs, against wasmtime-wasi-http in process, with
    /// the raw-exit and restore baselines (requests scaled by --iterations / 100000).
    #[arg(long, conflicts_with = "load")]
    pub serve: bool,

    /// Threads making the load test's calls.
    #[arg(long, value_name = "N", default_value_t = 2, requires = "load")]
    pub load_threads: usize,

    /// The size in bytes of the echoed values (small values keep tests fast; the row
    /// names say it).
    #[arg(long, value_name = "BYTES", default_value_t = values::ECHO_BYTES, hide = true)]
    pub echo_size: usize,

    /// The `n` of the `fib(n)` measurements (small values keep tests fast).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_FIB_N, hide = true)]
    pub fib_n: u32,
}

/// Runs `featherlight bench`.
pub fn bench(args: &BenchArgs, session: &Session) -> anyhow::Result<()> {
    let progress = |what: &str| {
        if !args.json {
            errln!("bench: {what}");
        }
    };
    progress("compiling the calculator component");
    let engine = session.engine()?;
    let component = Component::new(&engine, CALCULATOR_WASM).context("cannot load the calculator component")?;
    if args.serve {
        return serve::run(&engine, args.iterations, args.json, &progress);
    }
    if args.load {
        let scale =
            load::LoadScale { sandboxes: args.load_sandboxes, calls: args.load_calls, threads: args.load_threads };
        return load::run(&scale, args.json, &component, &calculator_linker());
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
    measurements.extend(fib(&component, CALCULATOR_WASM, &exports, args.fib_n, quick.min(MAX_FIB))?);
    let mut throughputs = Vec::new();
    if !args.no_echo {
        progress("echoing 16 MiB values in the VM and in wasmtime");
        let echo_engine = session.engine_with(|config| {
            config.memory.hostcall_fuel = values::ECHO_FUEL;
            // Room for the guest's 16 Mi `Val`s, arguments and results
            // at once, beside the message and the component's own copy.
            config.memory.scratch_size = 4 << 30;
        })?;
        let (echoes, rates) = values::echo(&echo_engine, CALCULATOR_WASM, args.echo_size, quick.min(MAX_ECHO))?;
        measurements.extend(echoes);
        throughputs = rates;
    }
    let scratch = std::env::temp_dir().join(format!("featherlight-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    let started = (|| {
        if !args.no_restore {
            let cache_dir = engine.config().cache_dir.clone();
            measurements.extend(restore::measure(CALCULATOR_WASM, cache_dir, quick.min(20_000), &progress)?);
            progress("sandbox-from-file");
            measurements.extend(startup::from_file(&component, &scratch, quick.min(MAX_SANDBOX_NEW))?);
        }
        progress("host and guest time per call");
        let raw_exit = measurements[0].median();
        measurements.extend(startup::per_call(&component, quick.min(20_000), raw_exit)?);
        progress("whole processes");
        measurements.extend(startup::processes(CALCULATOR_WASM, &scratch)?);
        if let Some(wasmtime) = startup::wasmtime_cli() {
            progress("whole processes against wasmtime");
            measurements.extend(startup::against_wasmtime(
                &wasmtime,
                CALCULATOR_WASM,
                program::MARKDOWN_WASM,
                &scratch,
            )?);
        }
        anyhow::Ok(())
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    started?;
    if !args.no_memory {
        measurements.extend(memory::measure(&engine, args.memory_iterations, &progress)?);
        // comrak's ~1 MB of stdin travels in the Init message: a larger input buffer.
        let program_engine = session.engine_with(|config| config.memory.input_size = 4 << 20)?;
        measurements.extend(program::measure(&program_engine, args.memory_iterations, &progress)?);
    }

    let idle = if args.no_idle {
        Vec::new()
    } else {
        idle::measure(args.idle_sandboxes, &component, &calculator_linker(), &progress)?
    };

    let rows = rows(&measurements)?;
    if args.json {
        for row in &rows {
            outln!("{}", json_line(row));
        }
        for row in &idle {
            outln!("{}", idle::json_line(row));
        }
        for row in &throughputs {
            outln!("{}", values::json_line(row));
        }
    } else {
        out!("{}", table(&rows));
        if !throughputs.is_empty() {
            out!("\n{}", values::table(&throughputs));
        }
        if !idle.is_empty() {
            out!("\n{}", idle::table(&idle));
        }
    }
    Ok(())
}

/// The report: every measurement with its ratio to its baseline.
fn rows(measurements: &[Measurement]) -> anyhow::Result<Vec<Row>> {
    let median = |name: &str| measurements.iter().find(|m| m.name == name).map(Measurement::median);
    let computed = restore::targets(&median);
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

#[cfg(test)]
mod tests {
    use super::*;
    use measure::measurement;

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
}
