//! The load test at a scale the debug test suite affords (`featherlight
//! bench --load` runs it at 100 sandboxes x 10 000 calls): sandboxes from a
//! snapshot, calls over two threads, random interrupts. Every call ends in a
//! result or a typed error, poisoned sandboxes recover with `restore`, and
//! neither open file descriptors nor resident memory grow.

use featherlight::{HostError, Linker, Value};
use featherlight_bench::load::{self, LoadCall, LoadConfig};
use featherlight_tests::{Fixture, TRAPS_HOST};
use std::time::Duration;

#[test]
fn sandboxes_under_calls_and_random_interrupts_leak_nothing() {
    let fixture = Fixture::new();
    let mut linker = Linker::new();
    linker.func(TRAPS_HOST, "increment", |args| match args {
        [Value::U32(x)] => Ok(vec![Value::U32(x.wrapping_add(1))]),
        _ => Err(HostError::from("bad arguments")),
    });
    linker.func(TRAPS_HOST, "fail", |_| Err(HostError::from("fails on purpose")));
    let calls = [
        LoadCall { export: "ok", args: vec![Value::U32(21)], expect: Some(vec![Value::U32(42)]), weight: 80 },
        LoadCall { export: "call-increment", args: vec![Value::U32(5)], expect: Some(vec![Value::U32(6)]), weight: 14 },
        LoadCall { export: "unreachable", args: vec![], expect: None, weight: 2 },
        LoadCall { export: "call-failing", args: vec![Value::U32(1)], expect: None, weight: 2 },
        LoadCall { export: "call-missing", args: vec![Value::U32(1)], expect: None, weight: 2 },
    ];
    let config = LoadConfig {
        sandboxes: 10,
        calls_per_sandbox: 400,
        warmup_calls: 40,
        threads: 2,
        max_interrupt_gap: Duration::from_millis(2),
        seed: 7,
    };
    let report = load::run(&fixture.traps(), &linker, &calls, &config).expect("load run");
    println!("{report:#?}");

    report.check(10 * 400).unwrap_or_else(|problems| panic!("{problems}: {report:?}"));
    let expected = ["ok", "Interrupted", "Trap(UnreachableCodeReached)", "HostFunction", "UnknownImport"];
    for (outcome, count) in &report.outcomes {
        assert!(expected.contains(&outcome.as_str()), "unexpected outcome {outcome} ({count} times)");
    }
    for outcome in expected {
        assert!(report.outcomes.get(outcome).copied().unwrap_or(0) > 0, "no `{outcome}` outcome: {report:?}");
    }
}
