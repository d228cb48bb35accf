//! End-to-end tests of `featherlight bench` on real KVM: its rows, their JSON, the load
//! test and the memory-hungry programs against wasmtime in the same run.

mod common;

use common::*;

#[test]
fn bench_prints_json_lines() {
    let dir = scratch("bench");
    let args = [
        "bench",
        "--json",
        "--iterations",
        "20",
        "--fib-n",
        "15",
        "--echo-size",
        "65536",
        "--idle-sandboxes",
        "10",
        "--no-memory",
    ];
    let outcome = featherlight(&dir, &args);
    assert!(outcome.success, "{outcome:#?}");
    let mut names = Vec::new();
    let mut idle = Vec::new();
    let mut throughputs = Vec::new();
    for line in outcome.stdout.lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("`{line}` is not JSON: {e}"));
        let object = value.as_object().expect("a JSON object");
        if let Some(name) = object["name"].as_str().and_then(|name| name.strip_suffix("-throughput")) {
            assert!(object["mib_per_s"].as_f64().is_some_and(|rate| rate > 0.0), "{line}");
            // 64 KiB fits the buffers: one exit per call.
            let exits = object["exits_per_call"].as_f64();
            assert_eq!(exits, Some(if name.ends_with("-vm") { 1.0 } else { 0.0 }), "{line}");
            throughputs.push(name.to_owned());
            continue;
        }
        if object["name"].as_str().is_some_and(|name| name.starts_with("idle-sandbox-")) {
            assert_eq!(object["sandboxes"], 10, "{line}");
            idle.push(value);
            continue;
        }
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let expected_keys = [
            "baseline",
            "iterations",
            "median_ns",
            "min_ns",
            "name",
            "ratio",
            "target_met",
            "target_ns",
            "target_rule",
        ];
        assert_eq!(keys, expected_keys, "{line}");
        for key in ["median_ns", "min_ns", "iterations", "ratio"] {
            assert!(object[key].is_number(), "{key} in {line}");
        }
        let name = object["name"].as_str().expect("name is a string");
        if name == object["baseline"] {
            assert_eq!(object["ratio"].as_f64(), Some(1.0), "{line}");
        }
        // Targets computed from other rows: flat in scratch size and within
        // the host-CoW budget at once.
        if name == "restore-16MiB-dirty-10" {
            let rule = object["target_rule"].as_str().expect("a target");
            assert!(rule.contains("1.2 x restore-1MiB-dirty-10") && rule.contains("vcpu-ioctl"), "{line}");
            assert!(object["target_ns"].is_number() && object["target_met"].is_boolean(), "{line}");
        }
        names.push(name.to_owned());
    }
    let expected = [
        "raw-exit",
        "call-noop",
        "call-host-import",
        "sandbox-new",
        "fib-vm",
        "fib-wasmtime",
        "echo-bytes-64KiB-vm",
        "echo-bytes-64KiB-wasmtime",
        "echo-string-64KiB-vm",
        "echo-string-64KiB-wasmtime",
        "memset-page",
        "vcpu-ioctl",
    ];
    assert_eq!(names[..expected.len()], expected, "{outcome:#?}");
    let restores: Vec<_> = names.iter().filter(|name| name.starts_with("restore-")).collect();
    assert_eq!(restores.len(), 14, "{names:?}");
    let guest_cow: Vec<_> = names.iter().filter(|name| name.starts_with("guest-cow-restore-")).collect();
    assert_eq!(guest_cow.len(), 14, "{names:?}");
    for mode in ["host-cow", "guest-cow"] {
        for dirty in [0, 100] {
            let row = format!("{mode}-touch-{dirty}-restore");
            assert!(names.contains(&row), "no {row} in {names:?}");
        }
    }
    let calls = ["noop", "string-1KiB", "host-import", "noop-restore"];
    let per_call = calls.iter().flat_map(|call| ["host", "kvm", "guest"].map(|kind| format!("{kind}-{call}")));
    let last: Vec<String> = ["call-restore-noop", "vm-create-exit", "sandbox-from-snapshot", "sandbox-from-spare"]
        .into_iter()
        .chain(["snapshot-load", "sandbox-from-file"])
        .map(str::to_owned)
        .chain(per_call)
        .chain(["process-version".to_owned(), "run-noop-cached".to_owned()])
        .collect();
    assert_eq!(names[names.len() - last.len()..], last, "{names:?}");

    assert_eq!(
        throughputs,
        ["echo-bytes-64KiB-vm", "echo-bytes-64KiB-wasmtime", "echo-string-64KiB-vm", "echo-string-64KiB-wasmtime"]
    );
    let idle_names: Vec<_> = idle.iter().map(|row| row["name"].as_str().unwrap_or_default()).collect();
    assert_eq!(
        idle_names,
        [
            "idle-sandbox-rss",
            "idle-sandbox-private",
            "idle-sandbox-kernel",
            "idle-sandbox-host-memory",
            "idle-sandbox-fds"
        ],
        "{outcome:#?}"
    );
    for row in &idle[..4] {
        assert!(row["bytes_per_sandbox"].is_number() && row["snapshot_bytes"].as_u64() > Some(0), "{row}");
    }
    assert_eq!(idle[1]["target_bytes"], 1 << 20, "{}", idle[1]);
    // One idle calculator sandbox costs far less than the 1 MiB target.
    assert_eq!(idle[1]["target_met"], true, "{}", idle[1]);
    assert!(idle[0]["target_met"].is_null(), "{}", idle[0]);
    assert!(idle[4]["fds_per_sandbox"].as_f64().is_some_and(|fds| fds >= 1.0), "{}", idle[3]);
}

#[test]
fn bench_measures_memory_hungry_programs_against_wasmtime() {
    let dir = scratch("bench-memory");
    let args = [
        "bench",
        "--json",
        "--iterations",
        "2",
        "--fib-n",
        "5",
        "--no-restore",
        "--no-idle",
        "--memory-iterations",
        "1",
    ];
    let outcome = featherlight(&dir, &args);
    assert!(outcome.success, "{outcome:#?}");
    for (row, baseline) in [
        ("memory-grow-64MiB-vm", "memory-grow-64MiB-wasmtime"),
        ("sieve-64MB-vm", "sieve-64MB-wasmtime"),
        ("sha256-64MiB-vm", "sha256-64MiB-wasmtime"),
        ("comrak-1MB-vm", "comrak-1MB-wasmtime"),
    ] {
        let line = outcome.stdout.lines().find(|l| l.contains(&format!("\"name\":\"{row}\""))).expect(row);
        let value: serde_json::Value = serde_json::from_str(line).expect("JSON");
        assert_eq!(value["baseline"], baseline, "{line}");
        assert!(value["ratio"].is_number() && value["target_ns"].is_number(), "{line}");
    }
}

#[test]
fn bench_leaves_out_idle_sandboxes_on_request() {
    let dir = scratch("bench-no-idle");
    let args = ["bench", "--json", "--iterations", "2", "--fib-n", "5", "--no-restore", "--no-idle", "--no-memory"];
    let outcome = featherlight(&dir, &args);
    assert!(outcome.success, "{outcome:#?}");
    assert!(!outcome.stdout.contains("idle-sandbox-"), "{outcome:#?}");
    assert!(outcome.stdout.contains("\"fib-vm\""), "{outcome:#?}");
}

#[test]
fn bench_load_reports_outcomes_and_usage() {
    let dir = scratch("bench-load");
    let args = ["bench", "--load", "--json", "--load-sandboxes", "4", "--load-calls", "200"];
    let outcome = featherlight(&dir, &args);
    assert!(outcome.success, "{outcome:#?}");
    let value: serde_json::Value =
        serde_json::from_str(outcome.stdout.trim()).unwrap_or_else(|e| panic!("`{}` is not JSON: {e}", outcome.stdout));
    assert_eq!(value["name"], "load");
    assert_eq!(value["calls"], 800);
    let outcomes = value["outcomes"].as_object().expect("outcomes");
    let counted: u64 = outcomes.values().map(|n| n.as_u64().expect("a count")).sum();
    assert_eq!(counted, 800, "{value}");
    assert!(outcomes.keys().all(|o| o == "ok" || o == "Interrupted"), "{value}");
    for usage in ["before", "warm", "end", "dropped"] {
        assert!(value[usage]["open_fds"].as_u64().is_some_and(|n| n > 0), "{usage} in {value}");
        assert!(value[usage]["rss_kib"].as_u64().is_some_and(|n| n > 0), "{usage} in {value}");
    }
}
