//! `featherlight bench` rows of starting from snapshot files, of whole
//! processes, and of featherlight's own time per call.
//!
//! | name                     | one iteration                                              | baseline |
//! |--------------------------|------------------------------------------------------------|----------|
//! | `snapshot-load`          | `Snapshot::load` of a saved file (checked, mapped)          | `vm-create-exit` |
//! | `sandbox-from-file`      | `Snapshot::load` of a saved file, `Sandbox::from_snapshot` on a new VM, until its first `noop` returns | `vm-create-exit` |
//! | `process-version`        | this binary started as a process printing its version      | itself |
//! | `run-noop-cached`        | a process `featherlight run --invoke 'noop()'`, component and warm snapshot in the cache | `process-version` |
//! | `wasmtime-run-noop`      | a process `wasmtime run --invoke 'noop()'`, its cache warm (only with `FEATHERLIGHT_BENCH_WASMTIME`) | itself |
//! | `run-noop-vs-wasmtime`   | `run-noop-cached` again, each process alternating with one of `wasmtime-run-noop` | `wasmtime-run-noop` |
//! | `wasmtime-run-comrak`    | a process `wasmtime run` of comrak (600 KB) on a short Markdown text from stdin | itself |
//! | `run-comrak-vs-wasmtime` | the same `featherlight run`, alternating with it            | `wasmtime-run-comrak` |
//! | `host-<call>`            | per call: the host's time outside `KVM_RUN`                | `raw-exit` |
//! | `kvm-<call>`             | per call: the time inside `KVM_RUN` (guest code, exits, KVM) | `raw-exit` |
//! | `guest-<call>`           | per call: `kvm-<call>` minus one `raw-exit` per run: the guest's own time, estimated | `raw-exit` |
//!
//! `<call>` is `noop`, `string-1KiB` (a 1 KiB string each way), `host-import`
//! (one host function) and `noop-restore` (a `noop` call plus a restore).
//! Timing `KVM_RUN` costs two clock reads per run, counted in `host-*`.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, ensure};
use featherlight::{Component, Linker, Sandbox, Snapshot, Value, testing};

use super::calls::calculator_linker;
use super::measure::{Measurement, nanos, one_by_one};

/// Batches of the per-call rows.
const BATCHES: u32 = 20;

/// Whole processes timed.
const PROCESSES: u32 = 21;

/// `snapshot-load` and `sandbox-from-file`: a snapshot of `component` saved after one
/// `noop` call and a restore (so it carries the pages a first call writes, as the
/// in-memory snapshot of `sandbox-from-snapshot` does), loaded alone and loaded and run,
/// `count` times each.
pub(super) fn from_file(component: &Component, dir: &Path, count: u32) -> anyhow::Result<[Measurement; 2]> {
    let linker = Linker::new();
    let noop = component.world().find_export("noop")?;
    let path = dir.join("calculator.snapshot");
    let mut sandbox = Sandbox::new(component, &linker)?;
    let snapshot = sandbox.snapshot()?;
    sandbox.call_index(noop, &[])?;
    sandbox.restore(&snapshot)?;
    snapshot.save(&path)?;
    let load = one_by_one(count, || Ok(Snapshot::load(component, &path)?))?;
    let samples = one_by_one(count, || {
        let snapshot = Snapshot::load(component, &path)?;
        let mut sandbox = Sandbox::from_snapshot(&snapshot, &linker)?;
        sandbox.call_index(noop, &[])?;
        Ok(sandbox)
    })?;
    Ok([
        Measurement { name: "snapshot-load", baseline: "vm-create-exit", iterations: count, samples: load },
        Measurement { name: "sandbox-from-file", baseline: "vm-create-exit", iterations: count, samples },
    ])
}

/// `process-version` and `run-noop-cached`: whole processes of this binary, with the
/// calculator (`wasm`) written into `dir` and a cache there.
pub(super) fn processes(wasm: &[u8], dir: &Path) -> anyhow::Result<[Measurement; 2]> {
    let exe = std::env::current_exe().context("cannot find this binary")?;
    let component = dir.join("calculator.wasm");
    std::fs::write(&component, wasm).context("cannot write the calculator component")?;
    let cache = dir.join("cache");
    let run = |args: &[&std::ffi::OsStr]| -> anyhow::Result<()> {
        let output = Command::new(&exe).args(args).output().context("cannot start featherlight")?;
        ensure!(output.status.success(), "featherlight {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        Ok(())
    };
    let version = one_by_one(PROCESSES, || run(&["--version".as_ref()]))?;
    let invoke = [
        "--cache-dir".as_ref(),
        cache.as_os_str(),
        "run".as_ref(),
        "--trap-unknown-imports".as_ref(),
        "--invoke".as_ref(),
        "noop()".as_ref(),
        component.as_os_str(),
    ];
    // The first run (`one_by_one`'s warm-up) fills the cache.
    let cached = one_by_one(PROCESSES, || run(&invoke))?;
    Ok([
        Measurement { name: "process-version", baseline: "process-version", iterations: PROCESSES, samples: version },
        Measurement { name: "run-noop-cached", baseline: "process-version", iterations: PROCESSES, samples: cached },
    ])
}

/// The `host-*`, `kvm-*` and `guest-*` rows of four calls, `raw_exit` being the
/// `raw-exit` row's median.
pub(super) fn per_call(component: &Component, iterations: u32, raw_exit: f64) -> anyhow::Result<Vec<Measurement>> {
    let world = component.world();
    let (noop, echo, call_host) =
        (world.find_export("noop")?, world.find_export("echo-string")?, world.find_export("call-host")?);
    let mut sandbox = Sandbox::new(component, &calculator_linker())?;
    let snapshot = sandbox.snapshot()?;
    let text = [Value::String("x".repeat(1024))];
    let echoed = sandbox.call_index(echo, &text)?;
    ensure!(echoed == text, "echo-string returned something else");
    let seven = [Value::U32(7)];

    let mut rows = Vec::new();
    let mut split = |names: [&'static str; 3], op: &mut dyn FnMut() -> anyhow::Result<()>| -> anyhow::Result<()> {
        let [host, kvm, guest] = split_time(iterations, op)?;
        let guest = guest.iter().map(|runs| runs * raw_exit).zip(&kvm).map(|(exits, kvm)| kvm - exits).collect();
        for (name, samples) in names.into_iter().zip([host, kvm, guest]) {
            rows.push(Measurement { name, baseline: "raw-exit", iterations, samples });
        }
        Ok(())
    };
    split(["host-noop", "kvm-noop", "guest-noop"], &mut || {
        sandbox.call_index(noop, &[])?;
        Ok(())
    })?;
    split(["host-string-1KiB", "kvm-string-1KiB", "guest-string-1KiB"], &mut || {
        sandbox.call_index(echo, &text)?;
        Ok(())
    })?;
    split(["host-host-import", "kvm-host-import", "guest-host-import"], &mut || {
        sandbox.call_index(call_host, &seven)?;
        Ok(())
    })?;
    split(["host-noop-restore", "kvm-noop-restore", "guest-noop-restore"], &mut || {
        sandbox.call_index(noop, &[])?;
        sandbox.restore(&snapshot)?;
        Ok(())
    })?;
    Ok(rows)
}

/// Times `op` in batches with `KVM_RUN` timed: per batch, the mean time per run outside
/// `KVM_RUN`, inside it, and the runs per call (`KVM_RUN` entries).
fn split_time(iterations: u32, op: &mut dyn FnMut() -> anyhow::Result<()>) -> anyhow::Result<[Vec<f64>; 3]> {
    testing::run_time_enable(true);
    let outcome = (|| {
        for _ in 0..(iterations / 10).clamp(1, 1000) {
            op()?;
        }
        let batches = iterations.min(BATCHES);
        let [mut host, mut kvm, mut runs] = [Vec::new(), Vec::new(), Vec::new()];
        for batch in 0..batches {
            let calls = iterations / batches + u32::from(batch < iterations % batches);
            testing::run_time_take();
            let start = Instant::now();
            for _ in 0..calls {
                op()?;
            }
            let wall = nanos(start);
            let (inside, entries) = testing::run_time_take();
            let calls = f64::from(calls);
            #[allow(clippy::cast_precision_loss, reason = "nanoseconds and counts well below 2^52")]
            let (inside, entries) = (inside as f64, entries as f64);
            host.push((wall - inside) / calls);
            kvm.push(inside / calls);
            runs.push(entries / calls);
        }
        Ok([host, kvm, runs])
    })();
    testing::run_time_enable(false);
    outcome
}

/// The wasmtime CLI the process rows compare with: `FEATHERLIGHT_BENCH_WASMTIME` names it
/// (`cargo install wasmtime-cli --version 48.0.8 --locked`); without it there are no such
/// rows.
pub(super) fn wasmtime_cli() -> Option<std::path::PathBuf> {
    std::env::var_os("FEATHERLIGHT_BENCH_WASMTIME").map(Into::into)
}

/// `wasmtime-run-noop`, `run-noop-vs-wasmtime`, `wasmtime-run-comrak` and
/// `run-comrak-vs-wasmtime`: whole processes of `wasmtime` and of this binary, alternating,
/// with the calculator (`calculator`) and comrak (`comrak`) written into `dir` and both
/// caches warm.
pub(super) fn against_wasmtime(
    wasmtime: &Path,
    calculator: &[u8],
    comrak: &[u8],
    dir: &Path,
) -> anyhow::Result<[Measurement; 4]> {
    let exe = std::env::current_exe().context("cannot find this binary")?;
    let (calculator_path, comrak_path) = (dir.join("calculator.wasm"), dir.join("comrak.wasm"));
    std::fs::write(&calculator_path, calculator).context("cannot write the calculator component")?;
    std::fs::write(&comrak_path, comrak).context("cannot write the comrak component")?;
    let cache = dir.join("cache");
    let markdown = b"# Title\n\nSome *emphasis* and a [link](https://example.com).\n";
    let run = |program: &Path, args: &[OsString], stdin: &[u8]| -> anyhow::Result<()> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        child.stdin.take().context("no stdin pipe")?.write_all(stdin)?;
        let output = child.wait_with_output()?;
        ensure!(
            output.status.success(),
            "{} {args:?} failed: {}",
            program.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(())
    };
    let words = |words: &[&str]| words.iter().map(OsString::from).collect::<Vec<_>>();
    let ours = |args: Vec<OsString>| [words(&["--cache-dir"]), vec![cache.clone().into()], args].concat();
    let theirs_noop =
        [words(&["run", "-W", "unknown-imports-trap", "--invoke", "noop()"]), vec![calculator_path.into()]].concat();
    let ours_noop = ours(theirs_noop.clone());
    let theirs_comrak = [words(&["run"]), vec![comrak_path.into()]].concat();
    let ours_comrak = ours(theirs_comrak.clone());

    let mut samples = [(); 4].map(|()| Vec::new());
    // A first round fills both caches.
    for round in 0..=PROCESSES {
        let timed: [(&Path, &[OsString], &[u8]); 4] = [
            (wasmtime, &theirs_noop, b""),
            (&exe, &ours_noop, b""),
            (wasmtime, &theirs_comrak, markdown),
            (&exe, &ours_comrak, markdown),
        ];
        for (i, (program, args, stdin)) in timed.into_iter().enumerate() {
            let start = Instant::now();
            run(program, args, stdin)?;
            if round > 0 {
                samples[i].push(nanos(start));
            }
        }
    }
    let [theirs_noop, ours_noop, theirs_comrak, ours_comrak] = samples;
    let row = |name, baseline, samples| Measurement { name, baseline, iterations: PROCESSES, samples };
    Ok([
        row("wasmtime-run-noop", "wasmtime-run-noop", theirs_noop),
        row("run-noop-vs-wasmtime", "wasmtime-run-noop", ours_noop),
        row("wasmtime-run-comrak", "wasmtime-run-comrak", theirs_comrak),
        row("run-comrak-vs-wasmtime", "wasmtime-run-comrak", ours_comrak),
    ])
}
