//! `featherlight bench` rows for idle sandboxes: what a sandbox that made one
//! call and now waits costs in memory, with `--idle-sandboxes N` (default
//! 1 000) of them from one snapshot of a warm calculator sandbox, all alive at
//! once (`featherlight_bench::memory`).
//!
//! | name                       | per sandbox                                          |
//! |----------------------------|------------------------------------------------------|
//! | `idle-sandbox-rss`         | RSS growth (shared snapshot pages count once per sandbox that maps them) |
//! | `idle-sandbox-private`     | private memory growth: beyond the shared snapshot; target ≤ 1 MiB |
//! | `idle-sandbox-kernel`      | kernel memory the counters attribute: process page tables, slab, KVM's page tables, vmalloc (KVM's per-slot arrays) |
//! | `idle-sandbox-host-memory` | the host's `MemAvailable` drop: private memory plus KVM's kernel memory per VM |
//! | `idle-sandbox-fds`         | open file descriptors                                |

use anyhow::{Context, bail, ensure};
use featherlight::{Component, Linker, Sandbox, Value};
use featherlight_bench::ProcessUsage;
use featherlight_bench::memory::{self, IdleCall, IdleReport};

/// The most private memory an idle sandbox should cost beyond the shared snapshot.
const TARGET_PRIVATE_BYTES: u64 = 1 << 20;

/// Open files beyond the sandboxes' own, for what the process already has
/// and opens lazily.
const FD_MARGIN: u64 = 64;

/// One row: a per-sandbox figure.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct IdleRow {
    name: &'static str,
    /// Bytes per sandbox, or file descriptors for `idle-sandbox-fds`.
    per_sandbox: f64,
    unit: Unit,
    sandboxes: usize,
    target_bytes: Option<u64>,
    snapshot_bytes: u64,
}

/// What a row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Bytes,
    Fds,
}

/// Measures the rows with `sandboxes` idle sandboxes of the calculator
/// `component`, whose host functions `linker` provides.
pub(super) fn measure(
    sandboxes: usize,
    component: &Component,
    linker: &Linker,
    progress: &dyn Fn(&str),
) -> anyhow::Result<Vec<IdleRow>> {
    progress(&format!("{sandboxes} idle sandboxes from one snapshot"));
    let call = IdleCall { export: "add", args: &[Value::U32(2), Value::U32(3)], expect: &[Value::U32(5)] };
    let mut warm = Sandbox::new(component, linker)?;
    let check = warm.call(call.export, call.args)?;
    ensure!(check == call.expect, "add(2, 3) returned {check:?}, not 5");
    let snapshot = warm.snapshot()?;
    drop(warm);
    raise_fd_limit(sandboxes, fds_per_sandbox(&snapshot, linker)?)?;
    let report = memory::idle_sandboxes(&snapshot, linker, call, sandboxes)
        .context("cannot make the idle sandboxes (see `featherlight bench --help` for --idle-sandboxes)")?;
    ensure!(report.wrong_results == 0, "{} of the idle sandboxes' calls returned wrong results", report.wrong_results);
    ensure!(
        report.dropped.open_fds <= report.before.open_fds,
        "{} fds were open before the idle sandboxes, {} after dropping them",
        report.before.open_fds,
        report.dropped.open_fds
    );
    progress(&format!(
        "{sandboxes} idle sandboxes made in {:.2} s; snapshot {} stored",
        report.elapsed.as_secs_f64(),
        bytes(report.snapshot_bytes as f64)
    ));
    tracing::info!(?report, "idle sandboxes");
    Ok(rows(&report))
}

/// The report as rows.
fn rows(report: &IdleReport) -> Vec<IdleRow> {
    let row = |name, per_sandbox, unit, target_bytes| IdleRow {
        name,
        per_sandbox,
        unit,
        sandboxes: report.sandboxes,
        target_bytes,
        snapshot_bytes: report.snapshot_bytes,
    };
    vec![
        row("idle-sandbox-rss", report.rss_per_sandbox(), Unit::Bytes, None),
        row("idle-sandbox-private", report.private_per_sandbox(), Unit::Bytes, Some(TARGET_PRIVATE_BYTES)),
        row("idle-sandbox-kernel", report.kernel_per_sandbox(), Unit::Bytes, None),
        row("idle-sandbox-host-memory", report.host_memory_per_sandbox(), Unit::Bytes, None),
        row("idle-sandbox-fds", report.fds_per_sandbox(), Unit::Fds, None),
    ]
}

/// Open file descriptors one sandbox from `snapshot` holds.
fn fds_per_sandbox(snapshot: &std::sync::Arc<featherlight::Snapshot>, linker: &Linker) -> anyhow::Result<u64> {
    let before = ProcessUsage::now()?.open_fds;
    let sandbox = Sandbox::from_snapshot(snapshot, linker)?;
    let with = ProcessUsage::now()?.open_fds;
    drop(sandbox);
    Ok(with.saturating_sub(before) as u64)
}

/// Raises the soft limit of open files to the hard limit if `sandboxes`
/// sandboxes of `per_sandbox` fds each would not fit under it; fails, naming
/// the limit, if they would not fit under the hard limit either.
fn raise_fd_limit(sandboxes: usize, per_sandbox: u64) -> anyhow::Result<()> {
    let open = ProcessUsage::now()?.open_fds as u64;
    let needed = (sandboxes as u64).saturating_mul(per_sandbox).saturating_add(open + FD_MARGIN);
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes only the struct it is given, which outlives the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error()).context("cannot read the open-file limit (RLIMIT_NOFILE)");
    }
    if limit.rlim_cur >= needed {
        return Ok(());
    }
    if limit.rlim_max < needed {
        bail!(
            "{sandboxes} idle sandboxes need about {needed} open files ({per_sandbox} each), but the hard limit of \
             open files (RLIMIT_NOFILE) is {}: raise it (`ulimit -Hn {needed}` as root, or LimitNOFILE= for a \
             systemd service) or pass a smaller --idle-sandboxes",
            limit.rlim_max
        );
    }
    // An unlimited hard limit cannot be the soft one (the kernel caps open
    // files at fs.nr_open): ask for what is needed then.
    let soft = if limit.rlim_max == libc::RLIM_INFINITY { needed } else { limit.rlim_max };
    let raised = libc::rlimit { rlim_cur: soft, rlim_max: limit.rlim_max };
    // SAFETY: setrlimit only reads the struct it is given.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
        return Err(std::io::Error::last_os_error()).with_context(|| {
            format!("cannot raise the soft limit of open files (RLIMIT_NOFILE) to {soft}; raise it with `ulimit -n`")
        });
    }
    Ok(())
}

/// A row as one line of JSON, keys in a fixed order: `name`, then
/// `bytes_per_sandbox`, `sandboxes`, `snapshot_bytes`, `target_bytes` and
/// `target_met` (`null` without a target), or `fds_per_sandbox` and
/// `sandboxes`.
pub(super) fn json_line(row: &IdleRow) -> String {
    let per_sandbox = if row.per_sandbox.is_finite() { row.per_sandbox } else { 0.0 };
    match row.unit {
        Unit::Bytes => {
            let (target, met) = match row.target_bytes {
                Some(target) => (target.to_string(), met(row, target).to_string()),
                None => ("null".to_owned(), "null".to_owned()),
            };
            format!(
                "{{\"name\":\"{}\",\"bytes_per_sandbox\":{},\"sandboxes\":{},\"snapshot_bytes\":{},\
                 \"target_bytes\":{target},\"target_met\":{met}}}",
                row.name,
                per_sandbox.round(),
                row.sandboxes,
                row.snapshot_bytes,
            )
        }
        Unit::Fds => format!(
            "{{\"name\":\"{}\",\"fds_per_sandbox\":{},\"sandboxes\":{}}}",
            row.name,
            (per_sandbox * 100.0).round() / 100.0,
            row.sandboxes
        ),
    }
}

/// Whether `row` is within `target` bytes.
fn met(row: &IdleRow, target: u64) -> bool {
    row.per_sandbox <= target as f64
}

/// The rows as a table with a header, and the target alongside.
pub(super) fn table(rows: &[IdleRow]) -> String {
    let mut out = format!("{:<26} {:>12} {:>10}  {}\n", "name", "per sandbox", "sandboxes", "target");
    for row in rows {
        let value = match row.unit {
            Unit::Bytes => bytes(row.per_sandbox),
            Unit::Fds => format!("{:.2} fds", row.per_sandbox),
        };
        let target = match row.target_bytes {
            Some(target) if met(row, target) => format!("<= {} (met)", bytes(target as f64)),
            Some(target) => format!("<= {} (missed)", bytes(target as f64)),
            None => String::new(),
        };
        let line = format!("{:<26} {:>12} {:>10}  {target}", row.name, value, row.sandboxes);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Bytes in a readable binary unit.
fn bytes(n: f64) -> String {
    if n.abs() < 1024.0 {
        format!("{n:.0} B")
    } else if n.abs() < 1024.0 * 1024.0 {
        format!("{:.1} KiB", n / 1024.0)
    } else {
        format!("{:.2} MiB", n / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &'static str, per_sandbox: f64, unit: Unit, target_bytes: Option<u64>) -> IdleRow {
        IdleRow { name, per_sandbox, unit, sandboxes: 1000, target_bytes, snapshot_bytes: 4096 }
    }

    #[test]
    fn json_and_table() {
        let private = row("idle-sandbox-private", 204_800.4, Unit::Bytes, Some(TARGET_PRIVATE_BYTES));
        assert_eq!(
            json_line(&private),
            "{\"name\":\"idle-sandbox-private\",\"bytes_per_sandbox\":204800,\"sandboxes\":1000,\
             \"snapshot_bytes\":4096,\"target_bytes\":1048576,\"target_met\":true}"
        );
        let rss = row("idle-sandbox-rss", 2e6, Unit::Bytes, None);
        assert!(json_line(&rss).ends_with("\"target_bytes\":null,\"target_met\":null}"), "{}", json_line(&rss));
        let fds = row("idle-sandbox-fds", 2.0, Unit::Fds, None);
        assert_eq!(json_line(&fds), "{\"name\":\"idle-sandbox-fds\",\"fds_per_sandbox\":2,\"sandboxes\":1000}");
        let over = row("idle-sandbox-private", 2e6, Unit::Bytes, Some(TARGET_PRIVATE_BYTES));
        let table = table(&[private, over, rss, fds]);
        assert!(table.contains("200.0 KiB") && table.contains("<= 1.00 MiB (met)"), "{table}");
        assert!(table.contains("1.91 MiB") && table.contains("<= 1.00 MiB (missed)"), "{table}");
        assert!(table.contains("2.00 fds"), "{table}");
    }

    #[test]
    fn a_sufficient_fd_limit_is_left_alone() {
        let mut before = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes only the struct it is given.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut before) }, 0);
        raise_fd_limit(1, 2).unwrap();
        let mut after = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: as above.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut after) }, 0);
        assert_eq!((before.rlim_cur, before.rlim_max), (after.rlim_cur, after.rlim_max));
        if before.rlim_max != libc::RLIM_INFINITY {
            let error = raise_fd_limit(usize::MAX / 4, 2).unwrap_err().to_string();
            assert!(error.contains("hard limit") && error.contains("--idle-sandboxes"), "{error}");
        }
    }
}
