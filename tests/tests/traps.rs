//! Failures inside the VM: Wasm traps, failing and missing host functions,
//! and the guest runtime itself panicking or faulting. Each is reported as
//! its own error, poisons its sandbox (and only it), and leaves the host
//! process and the component fine.

use featherlight::testing::{GuestFault, inject_fault};
use featherlight::{CapturedOutput, Component, Error, Linker, OutputSink, Sandbox, TrapCode, Value, WasiConfig};
use featherlight_tests::{CallLog, Fixture, TRAPS_HOST, string};

/// Registers `traps`' host functions except `missing`: `fail` fails with a
/// message naming its argument, `increment` adds one. Both log their calls.
fn linker(log: &CallLog) -> Linker {
    let mut linker = Linker::new();
    let fail_log = log.clone();
    linker.func(TRAPS_HOST, "fail", move |args| {
        fail_log.record("fail", args);
        Err(format!("refused {args:?}").into())
    });
    let increment_log = log.clone();
    linker.func(TRAPS_HOST, "increment", move |args| {
        increment_log.record("increment", args);
        match args {
            [Value::U32(x)] => Ok(vec![Value::U32(x.wrapping_add(1))]),
            _ => Err(format!("unexpected arguments {args:?}").into()),
        }
    });
    linker
}

/// A sandbox of `component` that has just answered a call.
fn working_sandbox(component: &Component, linker: &Linker) -> Sandbox {
    let mut sandbox = Sandbox::new(component, linker).expect("sandbox");
    assert_eq!(sandbox.call("ok", &[Value::U32(21)]).expect("ok"), [Value::U32(42)]);
    assert!(!sandbox.is_poisoned());
    sandbox
}

/// `sandbox` refuses calls (and fault injection) with `Error::Poisoned`.
#[track_caller]
fn assert_poisoned(sandbox: &mut Sandbox) {
    assert!(sandbox.is_poisoned());
    match sandbox.call("ok", &[Value::U32(1)]) {
        Err(Error::Poisoned { .. }) => {}
        other => panic!("a poisoned sandbox answered {other:?}"),
    }
    match inject_fault(sandbox, GuestFault::Panic) {
        Err(Error::Poisoned { .. }) => {}
        other => panic!("a poisoned sandbox took a fault: {other:?}"),
    }
    // Still poisoned, with the same answer.
    assert!(matches!(sandbox.call("ok", &[Value::U32(1)]), Err(Error::Poisoned { .. })));
}

/// Calls `export` in a working sandbox and returns its error, after checking
/// that it poisoned that sandbox and that a new sandbox of the same component
/// works.
#[track_caller]
fn failing_call(fixture: &Fixture, export: &str, args: &[Value]) -> Error {
    fail_and_poison(fixture, |sandbox| match sandbox.call(export, args) {
        Ok(results) => panic!("{export} returned {results:?}"),
        Err(e) => e,
    })
}

/// Makes a working sandbox fail with `failure` and returns the error, after
/// checking that it poisoned the sandbox and that a new one works.
#[track_caller]
fn fail_and_poison(fixture: &Fixture, failure: impl FnOnce(&mut Sandbox) -> Error) -> Error {
    let component = fixture.traps();
    let linker = linker(&CallLog::new());
    let mut sandbox = working_sandbox(&component, &linker);
    let error = failure(&mut sandbox);
    assert!(error.is_poison_error(), "{error:?} should poison");
    assert_poisoned(&mut sandbox);
    drop(sandbox);
    working_sandbox(&component, &linker);
    error
}

#[track_caller]
fn assert_trap(fixture: &Fixture, export: &str, args: &[Value], expected: TrapCode) {
    match failing_call(fixture, export, args) {
        Error::Trap { code, .. } if code == expected => {}
        other => panic!("{export}: expected a {expected:?} trap, got {other:?}"),
    }
}

#[test]
fn exports_and_host_functions_work_when_nothing_fails() {
    let fixture = Fixture::new();
    let log = CallLog::new();
    let mut sandbox = working_sandbox(&fixture.traps(), &linker(&log));
    assert_eq!(sandbox.call("ok", &[Value::U32(u32::MAX)]).expect("ok"), [Value::U32(u32::MAX - 1)]);
    assert_eq!(sandbox.call("call-increment", &[Value::U32(41)]).expect("call-increment"), [Value::U32(42)]);
    assert_eq!(log.take(), [("increment".to_owned(), vec![Value::U32(41)])]);
    assert_eq!(sandbox.call("raw-div", &[Value::S32(7), Value::S32(-2)]).expect("raw-div"), [Value::S32(-3)]);
    assert_eq!(
        sandbox.call("raw-div", &[Value::S32(i32::MIN), Value::S32(1)]).expect("raw-div"),
        [Value::S32(i32::MIN)]
    );
    assert_eq!(sandbox.call("checked-div", &[Value::S32(-7), Value::S32(2)]).expect("checked-div"), [Value::S32(-3)]);
    // A recursion that fits the stack.
    let expected = (1..=1000u32).fold(0u32, |inner, depth| inner.rotate_left(1) ^ depth);
    assert_eq!(sandbox.call("recurse", &[Value::U32(1000)]).expect("recurse"), [Value::U32(expected)]);
    assert!(!sandbox.is_poisoned());
}

#[test]
fn unreachable_traps() {
    assert_trap(&Fixture::new(), "unreachable", &[], TrapCode::UnreachableCodeReached);
}

/// A Rust panic in a component (with a panic hook that does not print) ends
/// in `unreachable`.
#[test]
fn component_panic_traps_as_unreachable() {
    assert_trap(&Fixture::new(), "panic", &[string("boom")], TrapCode::UnreachableCodeReached);
}

#[test]
fn rust_division_by_zero_panics_and_traps_as_unreachable() {
    assert_trap(&Fixture::new(), "checked-div", &[Value::S32(1), Value::S32(0)], TrapCode::UnreachableCodeReached);
}

#[test]
fn out_of_bounds_load_traps() {
    assert_trap(&Fixture::new(), "out-of-bounds", &[], TrapCode::MemoryOutOfBounds);
}

#[test]
fn unbounded_recursion_traps_as_stack_overflow() {
    assert_trap(&Fixture::new(), "recurse", &[Value::U32(u32::MAX)], TrapCode::StackOverflow);
}

#[test]
fn integer_division_by_zero_traps() {
    assert_trap(&Fixture::new(), "raw-div", &[Value::S32(1), Value::S32(0)], TrapCode::IntegerDivisionByZero);
}

#[test]
fn integer_division_overflow_traps() {
    assert_trap(&Fixture::new(), "raw-div", &[Value::S32(i32::MIN), Value::S32(-1)], TrapCode::IntegerOverflow);
}

/// An import no host function was registered for instantiates; calling it
/// fails naming it as `interface#function`.
#[test]
fn unregistered_import_fails_naming_itself() {
    let fixture = Fixture::new();
    let component = fixture.traps();
    assert!(
        component.world().imports().iter().any(|f| f.interface.as_deref() == Some(TRAPS_HOST) && f.name == "missing"),
        "the component imports {TRAPS_HOST}#missing"
    );
    match failing_call(&fixture, "call-missing", &[Value::U32(5)]) {
        Error::UnknownImport { message } => {
            assert!(message.contains("test:traps/host#missing"), "the error does not name the import: {message}");
        }
        other => panic!("expected UnknownImport, got {other:?}"),
    }
}

/// The same for an import whose types featherlight cannot carry (a WASI
/// function returning a resource): Rust's `eprintln!` calls
/// `wasi:cli/stderr`'s `get-stderr`, which no host function can provide.
#[test]
fn wasi_stderr_reaches_the_host_and_leaves_the_sandbox_working() {
    let fixture = Fixture::new();
    let stderr = CapturedOutput::new();
    let mut linker = linker(&CallLog::new());
    linker.wasi(WasiConfig::new().stderr(OutputSink::Capture(stderr.clone())));
    let mut sandbox = working_sandbox(&fixture.traps(), &linker);
    assert_eq!(sandbox.call("print", &[string("to stderr")]).expect("print"), []);
    assert_eq!(stderr.to_string_lossy(), "to stderr\n");
    assert_eq!(sandbox.call("ok", &[Value::U32(2)]).expect("ok"), [Value::U32(4)]);
}

#[test]
fn failing_host_function_reports_its_name_and_message() {
    let fixture = Fixture::new();
    let component = fixture.traps();
    let log = CallLog::new();
    let linker = linker(&log);
    let mut sandbox = working_sandbox(&component, &linker);
    match sandbox.call("call-failing", &[Value::U32(7)]) {
        Err(Error::HostFunction { function, message, .. }) => {
            assert_eq!(function, "test:traps/host#fail");
            // The host function's own error, unchanged.
            assert_eq!(message, "refused [U32(7)]");
        }
        other => panic!("expected HostFunction, got {other:?}"),
    }
    assert_eq!(log.take(), [("fail".to_owned(), vec![Value::U32(7)])]);
    assert_poisoned(&mut sandbox);
    working_sandbox(&component, &linker);
}

/// A host function's results must have the import's result types; when they
/// do not, the call fails as a host function failure, whatever the host
/// function returned.
#[test]
fn host_function_results_are_type_checked() {
    let fixture = Fixture::new();
    let component = fixture.traps();
    let bad_results: [(&str, Vec<Value>); 3] = [
        ("a string for a u32", vec![string("42")]),
        ("no result", vec![]),
        ("two results", vec![Value::U32(1), Value::U32(2)]),
    ];
    for (what, results) in bad_results {
        let mut linker = Linker::new();
        linker.func(TRAPS_HOST, "increment", move |_| Ok(results.clone()));
        let mut sandbox = working_sandbox(&component, &linker);
        match sandbox.call("call-increment", &[Value::U32(1)]) {
            Err(Error::HostFunction { function, .. }) => assert_eq!(function, "test:traps/host#increment", "{what}"),
            other => panic!("{what}: expected HostFunction, got {other:?}"),
        }
        assert_poisoned(&mut sandbox);
    }
}

/// Injects `fault` into a working sandbox and returns the error, after
/// checking that it poisoned the sandbox and that a new one works.
#[track_caller]
fn inject(fault: GuestFault) -> Error {
    fail_and_poison(&Fixture::new(), |sandbox| match inject_fault(sandbox, fault) {
        Ok(()) => panic!("{fault:?} was injected without an error"),
        Err(e) => e,
    })
}

#[test]
fn guest_runtime_panic_is_reported_with_its_message() {
    match inject(GuestFault::Panic) {
        // The guest runtime's panic message is what the error carries.
        Error::GuestPanic(message) => {
            assert!(message.contains("fault injected by the host"), "unexpected panic message: {message}");
        }
        other => panic!("expected GuestPanic, got {other:?}"),
    }
}

#[test]
fn invalid_opcode_in_the_guest_runtime_is_exception_6() {
    match inject(GuestFault::InvalidOpcode) {
        Error::GuestException { vector: 6, rip, .. } => assert_ne!(rip, 0),
        other => panic!("expected GuestException 6, got {other:?}"),
    }
}

#[test]
fn page_fault_in_the_guest_runtime_is_exception_14_with_the_address() {
    match inject(GuestFault::PageFault) {
        // The runtime reads the u64 after address 0; error code bit 0 clear:
        // the page is not present, bit 1 clear: a read.
        Error::GuestException { vector: 14, cr2, error_code, rip, .. } => {
            assert_eq!(cr2, 8);
            assert_eq!(error_code & 0b11, 0, "error code {error_code:#x}");
            assert_ne!(rip, 0);
        }
        other => panic!("expected GuestException 14, got {other:?}"),
    }
}

#[test]
fn breakpoint_in_the_guest_runtime_is_exception_3() {
    match inject(GuestFault::Breakpoint) {
        Error::GuestException { vector: 3, .. } => {}
        other => panic!("expected GuestException 3, got {other:?}"),
    }
}

/// The guest runtime's own stack overflowing hits the guard page below it.
#[test]
fn guest_runtime_stack_overflow_is_a_page_fault() {
    match inject(GuestFault::StackOverflow) {
        Error::GuestException { vector: 14, error_code, .. } => {
            // Not present, a write (the call pushing its return address).
            assert_eq!(error_code & 0b11, 0b10, "error code {error_code:#x}");
        }
        other => panic!("expected GuestException 14, got {other:?}"),
    }
}

/// A sandbox failing leaves others of the same component alone.
#[test]
fn a_failure_poisons_only_its_own_sandbox() {
    let fixture = Fixture::new();
    let component = fixture.traps();
    let linker = linker(&CallLog::new());
    let mut failing = working_sandbox(&component, &linker);
    let mut bystander = working_sandbox(&component, &linker);
    assert!(matches!(failing.call("unreachable", &[]), Err(Error::Trap { .. })));
    assert!(matches!(inject_fault(&mut failing, GuestFault::Panic), Err(Error::Poisoned { .. })));
    assert!(!bystander.is_poisoned());
    assert_eq!(bystander.call("ok", &[Value::U32(5)]).expect("ok"), [Value::U32(10)]);
    assert_eq!(bystander.call("call-increment", &[Value::U32(5)]).expect("call-increment"), [Value::U32(6)]);
}
