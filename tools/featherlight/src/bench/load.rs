//! `featherlight bench --load`: the load test at full scale (by default 100
//! sandboxes x 10 000 calls over 2 threads, random interrupts), with the
//! calculator component. Fails unless every call returned a result or a
//! typed error and open fds and RSS did not grow.

use anyhow::{Context, anyhow};
use featherlight::{Component, Linker, Value};
use featherlight_bench::load::{self, LoadCall, LoadConfig};
use std::time::Duration;

use crate::report::{errln, outln};

/// How much load, from the command line (`--load-sandboxes`, `--load-calls`,
/// `--load-threads`).
#[derive(Debug, Clone, Copy)]
pub(super) struct LoadScale {
    /// Sandboxes.
    pub sandboxes: usize,
    /// Calls per sandbox.
    pub calls: usize,
    /// Threads making the calls.
    pub threads: usize,
}

/// Runs the load test at `scale` and prints its report (as one JSON object
/// with `json`).
pub(super) fn run(scale: &LoadScale, json: bool, component: &Component, linker: &Linker) -> anyhow::Result<()> {
    let calls = [
        LoadCall {
            export: "add",
            args: vec![Value::U32(2), Value::U32(3)],
            expect: Some(vec![Value::U32(5)]),
            weight: 60,
        },
        LoadCall { export: "noop", args: vec![], expect: Some(vec![]), weight: 20 },
        LoadCall { export: "call-host", args: vec![Value::U32(7)], expect: Some(vec![Value::U32(8)]), weight: 15 },
        // Long enough (~0.1 ms) for interrupts to land inside Wasm code.
        LoadCall { export: "fib", args: vec![Value::U32(20)], expect: Some(vec![Value::U64(6765)]), weight: 5 },
    ];
    let config = LoadConfig {
        sandboxes: scale.sandboxes,
        calls_per_sandbox: scale.calls,
        warmup_calls: (scale.calls / 100).max(1),
        threads: scale.threads,
        max_interrupt_gap: Duration::from_millis(2),
        seed: 1,
    };
    if !json {
        errln!(
            "bench: load test, {} sandboxes x {} calls over {} threads, random interrupts",
            config.sandboxes,
            config.calls_per_sandbox,
            config.threads
        );
    }
    let report = load::run(component, linker, &calls, &config).context("the load test failed to run")?;
    let usage =
        |u: &featherlight_bench::ProcessUsage| format!("{{\"open_fds\": {}, \"rss_kib\": {}}}", u.open_fds, u.rss_kib);
    if json {
        let outcomes: Vec<String> = report.outcomes.iter().map(|(o, n)| format!("{o:?}: {n}")).collect();
        outln!(
            "{{\"name\": \"load\", \"calls\": {}, \"seconds\": {:.3}, \"outcomes\": {{{}}}, \"interrupts_delivered\": {}, \
             \"restores\": {}, \"before\": {}, \"warm\": {}, \"end\": {}, \"dropped\": {}}}",
            report.calls,
            report.elapsed.as_secs_f64(),
            outcomes.join(", "),
            report.interrupts_delivered,
            report.restores,
            usage(&report.before),
            usage(&report.warm),
            usage(&report.end),
            usage(&report.dropped),
        );
    } else {
        outln!("calls: {} in {:.1} s", report.calls, report.elapsed.as_secs_f64());
        for (outcome, count) in &report.outcomes {
            outln!("  {outcome}: {count}");
        }
        outln!("interrupts delivered: {}, restores: {}", report.interrupts_delivered, report.restores);
        for (name, u) in
            [("before", report.before), ("warm", report.warm), ("end", report.end), ("dropped", report.dropped)]
        {
            outln!("{name:>8}: {} open fds, {} KiB RSS", u.open_fds, u.rss_kib);
        }
    }
    let expected = u64::try_from(config.sandboxes * config.calls_per_sandbox).unwrap_or(u64::MAX);
    report.check(expected).map_err(|problems| anyhow!("the load test failed: {problems}"))
}
