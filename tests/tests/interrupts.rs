//! Stopping guests on real KVM: interrupts from other threads and per-call
//! deadlines, each a distinct typed error, and restore recovering from them.

use featherlight::{Error, HostError, Linker, Sandbox, Value};
use featherlight_tests::Fixture;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// `increment` sleeps for `delay` before answering, and says when it started.
fn slow_linker(delay: Duration, started: Arc<AtomicBool>) -> Linker {
    let mut linker = Linker::new();
    linker.func("test:traps/host", "increment", move |args| {
        started.store(true, Ordering::SeqCst);
        std::thread::sleep(delay);
        match args {
            [Value::U32(x)] => Ok(vec![Value::U32(x + 1)]),
            _ => Err(HostError::from("bad arguments")),
        }
    });
    linker
}

#[test]
fn an_interrupt_stops_a_spinning_guest_and_restore_recovers() {
    let fixture = Fixture::new();
    let linker = slow_linker(Duration::ZERO, Arc::default());
    let mut sandbox = Sandbox::new(&fixture.traps(), &linker).expect("sandbox");
    let clean = sandbox.snapshot().expect("snapshot");
    let handle = sandbox.interrupt_handle();
    let interrupter = std::thread::spawn(move || {
        // Keep asking until a call is in progress to stop.
        while !handle.interrupt() {
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let started = Instant::now();
    assert!(matches!(sandbox.call("spin", &[]), Err(Error::Interrupted)));
    interrupter.join().expect("interrupter");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(matches!(
        sandbox.call("ok", &[Value::U32(1)]),
        Err(Error::Poisoned { cause, .. }) if matches!(*cause, Error::Interrupted)
    ));
    sandbox.restore(&clean).expect("restore");
    assert_eq!(sandbox.call("ok", &[Value::U32(4)]).expect("ok"), [Value::U32(8)]);
}

#[test]
fn an_interrupt_during_a_host_call_stops_the_call_when_it_returns() {
    let fixture = Fixture::new();
    let in_host = Arc::new(AtomicBool::new(false));
    let linker = slow_linker(Duration::from_millis(300), in_host.clone());
    let mut sandbox = Sandbox::new(&fixture.traps(), &linker).expect("sandbox");
    let handle = sandbox.interrupt_handle();
    let interrupter = std::thread::spawn(move || {
        while !in_host.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(handle.interrupt(), "a call was in progress");
    });
    assert!(matches!(sandbox.call("call-increment", &[Value::U32(1)]), Err(Error::Interrupted)));
    interrupter.join().expect("interrupter");
}

#[test]
fn interrupts_between_calls_do_nothing() {
    let fixture = Fixture::new();
    let mut sandbox = Sandbox::new(&fixture.traps(), &Linker::new()).expect("sandbox");
    let handle = sandbox.interrupt_handle();
    // Before any call, and after one completed.
    assert!(!handle.interrupt());
    assert_eq!(sandbox.call("ok", &[Value::U32(1)]).expect("ok"), [Value::U32(2)]);
    assert!(!handle.interrupt());
    for i in 0..20 {
        assert_eq!(sandbox.call("ok", &[Value::U32(i)]).expect("ok"), [Value::U32(2 * i)]);
    }
    // A handle outliving its sandbox is harmless.
    drop(sandbox);
    assert!(!handle.interrupt());
}

#[test]
fn many_threads_interrupting_at_once() {
    let fixture = Fixture::new();
    let mut sandbox = Sandbox::new(&fixture.traps(), &Linker::new()).expect("sandbox");
    let clean = sandbox.snapshot().expect("snapshot");
    for _ in 0..3 {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let handle = sandbox.interrupt_handle();
                std::thread::spawn(move || {
                    let until = Instant::now() + Duration::from_secs(10);
                    while !handle.interrupt() && Instant::now() < until {
                        std::thread::yield_now();
                    }
                })
            })
            .collect();
        assert!(matches!(sandbox.call("spin", &[]), Err(Error::Interrupted)));
        for handle in handles {
            handle.join().expect("interrupter");
        }
        sandbox.restore(&clean).expect("restore");
        assert_eq!(sandbox.call("ok", &[Value::U32(3)]).expect("ok"), [Value::U32(6)]);
    }
}

#[test]
fn a_deadline_stops_a_spinning_guest() {
    let fixture = Fixture::new();
    let mut sandbox = Sandbox::new(&fixture.traps(), &Linker::new()).expect("sandbox");
    let clean = sandbox.snapshot().expect("snapshot");
    let timeout = Duration::from_millis(200);
    sandbox.set_call_timeout(Some(timeout));
    let started = Instant::now();
    match sandbox.call("spin", &[]) {
        Err(Error::DeadlineExceeded { after }) => assert_eq!(after, timeout),
        other => panic!("expected DeadlineExceeded, got {other:?}"),
    }
    let took = started.elapsed();
    assert!(took >= timeout && took < Duration::from_secs(5), "stopped after {took:?}");
    sandbox.restore(&clean).expect("restore");
    // Calls that finish in time are unaffected by the deadline.
    for i in 0..50 {
        assert_eq!(sandbox.call("ok", &[Value::U32(i)]).expect("ok"), [Value::U32(2 * i)]);
    }
    // Long after those calls' deadlines passed, a new call still works.
    std::thread::sleep(timeout + Duration::from_millis(50));
    assert_eq!(sandbox.call("ok", &[Value::U32(7)]).expect("ok"), [Value::U32(14)]);
}

#[test]
fn a_deadline_counts_time_in_host_functions() {
    let fixture = Fixture::new();
    let linker = slow_linker(Duration::from_millis(400), Arc::default());
    let mut sandbox = Sandbox::new(&fixture.traps(), &linker).expect("sandbox");
    sandbox.set_call_timeout(Some(Duration::from_millis(100)));
    assert!(matches!(sandbox.call("call-increment", &[Value::U32(1)]), Err(Error::DeadlineExceeded { .. })));
}

#[test]
fn the_engine_call_timeout_is_every_sandbox_default() {
    let cache = featherlight_tests::TempDir::new();
    let config = featherlight::Config {
        call_timeout: Some(Duration::from_millis(150)),
        cache_dir: Some(cache.path().to_path_buf()),
        ..featherlight::Config::default()
    };
    let engine = featherlight::Engine::new(config).expect("engine");
    let component = featherlight::Component::from_file(&engine, featherlight_tests::TRAPS_WASM).expect("component");
    let mut sandbox = Sandbox::new(&component, &Linker::new()).expect("sandbox boots within the timeout");
    assert_eq!(sandbox.call("ok", &[Value::U32(1)]).expect("ok"), [Value::U32(2)]);
    assert!(matches!(sandbox.call("spin", &[]), Err(Error::DeadlineExceeded { .. })));
    // A sandbox may lift it.
    let mut unlimited = Sandbox::new(&component, &Linker::new()).expect("sandbox");
    unlimited.set_call_timeout(None);
    let handle = unlimited.interrupt_handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        while !handle.interrupt() {
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let started = Instant::now();
    assert!(matches!(unlimited.call("spin", &[]), Err(Error::Interrupted)));
    assert!(started.elapsed() >= Duration::from_millis(400), "the engine's timeout still applied");
    stopper.join().expect("stopper");
}
