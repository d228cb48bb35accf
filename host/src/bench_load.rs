//! A load test: many sandboxes from one snapshot, many calls over a few
//! threads, while another thread interrupts random sandboxes at random
//! moments. Every call must end in a result or a typed error, and sandboxes
//! a failure poisoned are brought back with `restore`. Open file descriptors
//! and resident memory are measured once all sandboxes are warm and again at
//! the end, so leaks show as growth. `featherlight bench --load` runs it at
//! full scale, `tests/tests/load.rs` at a small one.

use crate::error::Error;
use crate::{Component, InterruptHandle, Linker, Sandbox, Snapshot, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One kind of call the load test makes.
#[derive(Debug, Clone)]
pub struct LoadCall {
    /// The export.
    pub export: &'static str,
    /// Its arguments.
    pub args: Vec<Value>,
    /// The results it must return when it succeeds (`None`: not checked).
    pub expect: Option<Vec<Value>>,
    /// How often it is picked, relative to the other calls.
    pub weight: u32,
}

/// How much load.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Sandboxes, spread over the threads.
    pub sandboxes: usize,
    /// Calls per sandbox after the warm-up.
    pub calls_per_sandbox: usize,
    /// Calls per sandbox before the "warm" measurement.
    pub warmup_calls: usize,
    /// Threads making calls.
    pub threads: usize,
    /// The interrupting thread sleeps a random time up to this between
    /// interrupts.
    pub max_interrupt_gap: Duration,
    /// Seeds the random choices, so a run can be repeated.
    pub seed: u64,
}

/// What the process holds: open file descriptors and resident memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessUsage {
    /// Entries of `/proc/self/fd`.
    pub open_fds: usize,
    /// `VmRSS` of `/proc/self/status`, in KiB.
    pub rss_kib: u64,
}

impl ProcessUsage {
    /// Reads the current usage from `/proc/self`.
    pub fn now() -> Result<Self, Error> {
        let io = |path: &'static str| move |source| Error::Io { path: PathBuf::from(path), source };
        let open_fds = std::fs::read_dir("/proc/self/fd").map_err(io("/proc/self/fd"))?.count();
        let status = std::fs::read_to_string("/proc/self/status").map_err(io("/proc/self/status"))?;
        let rss_kib = crate::bench_memory::kib_field(&status, "VmRSS").unwrap_or(0);
        Ok(Self { open_fds, rss_kib })
    }
}

/// What a load run did and measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Calls made after the warm-up.
    pub calls: u64,
    /// Their outcomes: `ok`, or the error variant (`Interrupted`,
    /// `Trap(UnreachableCodeReached)`, ...), with counts.
    pub outcomes: BTreeMap<String, u64>,
    /// Successful calls whose results were not the expected ones.
    pub wrong_results: u64,
    /// Interrupts that found a call in progress.
    pub interrupts_delivered: u64,
    /// Restores of poisoned sandboxes (warm-up included).
    pub restores: u64,
    /// With the snapshot taken, no sandbox alive.
    pub before: ProcessUsage,
    /// With every sandbox created and warmed up.
    pub warm: ProcessUsage,
    /// After the last call, every sandbox still alive.
    pub end: ProcessUsage,
    /// After the sandboxes and the snapshot were dropped.
    pub dropped: ProcessUsage,
    /// Time of the calls after the warm-up.
    pub elapsed: Duration,
}

/// Resident memory may grow this much between the warm and the end
/// measurement (allocator caches, thread stacks touched deeper); a leak of
/// memory per call or restore would be far more over thousands of them.
pub const RSS_TOLERANCE_KIB: u64 = 16 * 1024;

impl LoadReport {
    /// Checks what every run must show: `expected_calls` calls, none with a
    /// wrong result, every poisoned sandbox restored, no more open file
    /// descriptors at the end than when warm (and none left once the
    /// sandboxes are gone), and resident memory within
    /// [`RSS_TOLERANCE_KIB`] of the warm measurement.
    pub fn check(&self, expected_calls: u64) -> Result<(), String> {
        let failures = self.outcomes.iter().filter(|(o, _)| *o != "ok").map(|(_, n)| n).sum::<u64>();
        let problems: Vec<String> = [
            (self.calls != expected_calls).then(|| format!("{} calls, not {expected_calls}", self.calls)),
            (self.wrong_results > 0).then(|| format!("{} calls returned wrong results", self.wrong_results)),
            (self.restores < failures).then(|| format!("{failures} failed calls but {} restores", self.restores)),
            (self.end.open_fds > self.warm.open_fds)
                .then(|| format!("open fds grew from {} to {}", self.warm.open_fds, self.end.open_fds)),
            (self.dropped.open_fds > self.before.open_fds).then(|| {
                format!(
                    "{} fds were open before, {} after dropping everything",
                    self.before.open_fds, self.dropped.open_fds
                )
            }),
            (self.end.rss_kib > self.warm.rss_kib + RSS_TOLERANCE_KIB)
                .then(|| format!("RSS grew from {} KiB to {} KiB", self.warm.rss_kib, self.end.rss_kib)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
    }
}

/// A small, fast pseudo-random generator (xorshift64*): enough to pick
/// calls and interrupt times, and repeatable from a seed.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

/// Per-thread tallies, merged at the end.
#[derive(Debug, Default)]
struct Tally {
    calls: u64,
    outcomes: BTreeMap<String, u64>,
    wrong_results: u64,
    restores: u64,
}

/// Runs the load test with sandboxes of `component` and the host functions
/// of `linker`, each call picked from `calls` by weight.
pub fn run(
    component: &Component,
    linker: &Linker,
    calls: &[LoadCall],
    config: &LoadConfig,
) -> Result<LoadReport, Error> {
    let snapshot = Sandbox::new(component, linker)?.snapshot()?;
    // After the first sandbox, so process-wide state (the KVM and pagemap
    // files, the guest image) is already there and not counted as growth.
    let before = ProcessUsage::now()?;
    let threads = config.threads.max(1);
    let handles: Mutex<Vec<InterruptHandle>> = Mutex::default();
    let interrupts = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    // Workers and this thread meet when all are warm, when all are done,
    // and once the end has been measured.
    let barrier = Barrier::new(threads + 1);
    let total_weight: u64 = calls.iter().map(|c| u64::from(c.weight)).sum();

    let worker = |index: usize| -> Result<Tally, Error> {
        let mine = (index..config.sandboxes).step_by(threads).count();
        let sandboxes: Result<Vec<_>, _> = (0..mine).map(|_| Sandbox::from_snapshot(&snapshot, linker)).collect();
        let mut sandboxes = match sandboxes {
            Ok(sandboxes) => sandboxes,
            Err(e) => {
                // Meet the others at every barrier, or they would wait forever.
                for _ in 0..3 {
                    barrier.wait();
                }
                return Err(e);
            }
        };
        handles.lock().unwrap_or_else(PoisonError::into_inner).extend(sandboxes.iter().map(|s| s.interrupt_handle()));
        let mut round = Round { calls, total_weight, snapshot: &snapshot, rng: Rng::new(config.seed ^ index as u64) };
        let mut warmup = Tally::default();
        let warmed = (0..config.warmup_calls).try_for_each(|_| round.run(&mut sandboxes, &mut warmup));
        barrier.wait();
        let mut tally = Tally { restores: warmup.restores, ..Tally::default() };
        let ran =
            warmed.and_then(|()| (0..config.calls_per_sandbox).try_for_each(|_| round.run(&mut sandboxes, &mut tally)));
        barrier.wait();
        // Keep the sandboxes until the end has been measured.
        barrier.wait();
        drop(sandboxes);
        ran.map(|()| tally)
    };

    let (tallies, warm, end, elapsed) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|i| scope.spawn(move || worker(i))).collect();
        let interrupter = scope.spawn(|| {
            let mut rng = Rng::new(config.seed ^ 0x5eed);
            let gap = u64::try_from(config.max_interrupt_gap.as_micros()).unwrap_or(u64::MAX);
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_micros(rng.below(gap + 1)));
                let handles = handles.lock().unwrap_or_else(PoisonError::into_inner);
                let len = handles.len() as u64;
                if let Some(handle) = usize::try_from(rng.below(len)).ok().and_then(|i| handles.get(i))
                    && handle.interrupt()
                {
                    interrupts.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        barrier.wait();
        let warm = ProcessUsage::now();
        let started = Instant::now();
        barrier.wait();
        let elapsed = started.elapsed();
        done.store(true, Ordering::Relaxed);
        let _ = interrupter.join();
        let end = ProcessUsage::now();
        barrier.wait();
        let tallies: Vec<_> =
            workers.into_iter().map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect();
        (tallies, warm, end, elapsed)
    });
    // The interrupt handles share state with their (now dropped) sandboxes.
    handles.lock().unwrap_or_else(PoisonError::into_inner).clear();
    drop(snapshot);
    let dropped = ProcessUsage::now()?;
    let mut report = LoadReport {
        calls: 0,
        outcomes: BTreeMap::new(),
        wrong_results: 0,
        interrupts_delivered: interrupts.load(Ordering::Relaxed),
        restores: 0,
        before,
        warm: warm?,
        end: end?,
        dropped,
        elapsed,
    };
    for tally in tallies {
        let tally = tally?;
        report.calls += tally.calls;
        report.wrong_results += tally.wrong_results;
        report.restores += tally.restores;
        for (name, count) in tally.outcomes {
            *report.outcomes.entry(name).or_default() += count;
        }
    }
    Ok(report)
}

/// One thread's way of making calls.
struct Round<'a> {
    calls: &'a [LoadCall],
    total_weight: u64,
    snapshot: &'a Arc<Snapshot>,
    rng: Rng,
}

impl Round<'_> {
    /// One call on each of `sandboxes`, picked by weight; restores the
    /// sandboxes the call poisoned.
    fn run(&mut self, sandboxes: &mut [Sandbox], tally: &mut Tally) -> Result<(), Error> {
        for sandbox in sandboxes {
            let mut pick = self.rng.below(self.total_weight);
            let call = self.calls.iter().find(|c| pick.checked_sub(u64::from(c.weight)).map(|p| pick = p).is_none());
            let Some(call) = call else { continue };
            let result = sandbox.call(call.export, &call.args);
            if let (Ok(values), Some(expect)) = (&result, &call.expect) {
                tally.wrong_results += u64::from(values != expect);
            }
            *tally.outcomes.entry(outcome_name(&result)).or_default() += 1;
            tally.calls += 1;
            if sandbox.is_poisoned() {
                sandbox.restore(self.snapshot)?;
                tally.restores += 1;
            }
        }
        Ok(())
    }
}

/// `ok`, or the error's variant name (with the trap code for traps).
fn outcome_name(result: &Result<Vec<Value>, Error>) -> String {
    match result {
        Ok(_) => "ok".to_string(),
        Err(Error::Trap { code, .. }) => format!("Trap({code:?})"),
        Err(e) => format!("{e:?}").split([' ', '(', '{']).next().unwrap_or_default().to_string(),
    }
}
