//! Sandboxes as host objects: several in one process, moved between
//! threads, and calls the host refuses before they reach the guest.

use featherlight::{Error, Linker, Sandbox, Value, WorldError};
use featherlight_tests::{CallLog, Fixture, case, echo_linker, enum_case, flags, none, point, record, string};

#[test]
fn two_sandboxes_interleave_independently() {
    let fixture = Fixture::new();
    let component = fixture.values();
    let (log_a, log_b) = (CallLog::new(), CallLog::new());
    let mut a = Sandbox::new(&component, &echo_linker(&log_a)).expect("sandbox a");
    let mut b = Sandbox::new(&component, &echo_linker(&log_b)).expect("sandbox b");
    for i in 0..20u32 {
        let (text_a, text_b) = (format!("a{i}"), format!("b{i}"));
        assert_eq!(a.call("via-host-string", &[string(&text_a)]).expect("a"), [string(&text_a)]);
        assert_eq!(b.call("via-host-string", &[string(&text_b)]).expect("b"), [string(&text_b)]);
        assert_eq!(b.call("echo-u32", &[Value::U32(i)]).expect("b"), [Value::U32(i)]);
        assert_eq!(a.call("echo-u64", &[Value::U64(u64::from(i) << 40)]).expect("a"), [Value::U64(u64::from(i) << 40)]);
    }
    // Each sandbox called its own linker's host functions, and only those.
    let texts = |log: &CallLog| -> Vec<Value> { log.take().into_iter().flat_map(|(_, args)| args).collect() };
    assert_eq!(texts(&log_a), (0..20).map(|i| string(&format!("a{i}"))).collect::<Vec<_>>());
    assert_eq!(texts(&log_b), (0..20).map(|i| string(&format!("b{i}"))).collect::<Vec<_>>());
}

#[test]
fn sandboxes_of_different_components_coexist() {
    let fixture = Fixture::new();
    let mut values = Sandbox::new(&fixture.values(), &Linker::new()).expect("values sandbox");
    let mut traps = Sandbox::new(&fixture.traps(), &Linker::new()).expect("traps sandbox");
    for i in 0..10u32 {
        assert_eq!(values.call("echo-u32", &[Value::U32(i)]).expect("echo-u32"), [Value::U32(i)]);
        assert_eq!(traps.call("ok", &[Value::U32(i)]).expect("ok"), [Value::U32(2 * i)]);
    }
}

#[test]
fn a_sandbox_moves_to_another_thread_and_back() {
    let fixture = Fixture::new();
    let log = CallLog::new();
    let mut sandbox = Sandbox::new(&fixture.values(), &echo_linker(&log)).expect("sandbox");
    assert_eq!(sandbox.call("echo-s8", &[Value::S8(-3)]).expect("echo-s8"), [Value::S8(-3)]);
    let main_thread = std::thread::current().id();
    let (mut sandbox, results, thread) = std::thread::spawn(move || {
        let results = sandbox.call("via-host-string", &[string("from a thread")]);
        (sandbox, results, std::thread::current().id())
    })
    .join()
    .expect("the thread did not panic");
    assert_ne!(thread, main_thread);
    assert_eq!(results.expect("via-host-string"), [string("from a thread")]);
    assert_eq!(log.take(), [("echo-string".to_owned(), vec![string("from a thread")])]);
    // And it still works where it came from.
    assert_eq!(sandbox.call("echo-bool", &[Value::Bool(true)]).expect("echo-bool"), [Value::Bool(true)]);
}

/// Sandboxes of one component, each made and used on its own thread at the
/// same time.
#[test]
fn sandboxes_run_on_several_threads_at_once() {
    let fixture = Fixture::new();
    let component = fixture.values();
    let threads: Vec<_> = (0..4u32)
        .map(|t| {
            let component = component.clone();
            std::thread::spawn(move || {
                let log = CallLog::new();
                let mut sandbox = Sandbox::new(&component, &echo_linker(&log)).expect("sandbox");
                for i in 0..25u32 {
                    let n = t * 1000 + i;
                    assert_eq!(sandbox.call("via-host-u32", &[Value::U32(n)]).expect("via-host-u32"), [Value::U32(n)]);
                }
                log.take().len()
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().expect("the thread did not panic"), 25);
    }
}

#[test]
fn exports_are_found_by_short_and_qualified_names() {
    let fixture = Fixture::new();
    let mut sandbox = Sandbox::new(&fixture.values(), &Linker::new()).expect("sandbox");
    for name in ["echo-u32", "test:values/echo.echo-u32"] {
        assert_eq!(sandbox.call(name, &[Value::U32(9)]).expect(name), [Value::U32(9)]);
    }
    assert_eq!(sandbox.call("test:values/math.sqrt", &[Value::Float64(9.0)]).expect("sqrt"), [Value::Float64(3.0)]);
    // The package has no version, so a versioned name matches nothing.
    match sandbox.call("test:values/echo.echo-u32@1.0.0", &[Value::U32(9)]) {
        Err(Error::World(WorldError::NoExport { .. })) => {}
        other => panic!("expected NoExport, got {other:?}"),
    }
    // An interface name alone, or the right function in the wrong interface.
    for name in ["test:values/echo", "test:values/math.echo-u32"] {
        assert!(
            matches!(sandbox.call(name, &[Value::U32(9)]), Err(Error::World(WorldError::NoExport { .. }))),
            "{name}"
        );
    }
    assert!(!sandbox.is_poisoned());
}

/// Calls the host refuses leave the sandbox working.
#[track_caller]
fn assert_still_works(sandbox: &mut Sandbox) {
    assert!(!sandbox.is_poisoned());
    assert_eq!(sandbox.call("echo-u32", &[Value::U32(77)]).expect("echo-u32"), [Value::U32(77)]);
}

#[test]
fn unknown_export_is_refused_without_poisoning() {
    let fixture = Fixture::new();
    let mut sandbox = Sandbox::new(&fixture.values(), &Linker::new()).expect("sandbox");
    for name in ["no-such-function", "", "echo-u33", "test:values/nothing.echo-u32"] {
        let error = sandbox.call(name, &[Value::U32(1)]).expect_err(name);
        match &error {
            Error::World(WorldError::NoExport { name: reported }) => assert_eq!(reported, name),
            other => panic!("{name:?}: expected NoExport, got {other:?}"),
        }
        assert!(!error.is_poison_error());
        assert_still_works(&mut sandbox);
    }
}

#[test]
fn wrong_argument_count_is_refused_without_poisoning() {
    let fixture = Fixture::new();
    let mut sandbox = Sandbox::new(&fixture.values(), &Linker::new()).expect("sandbox");
    let calls: [(&str, Vec<Value>, usize); 4] = [
        ("echo-u32", vec![], 1),
        ("echo-u32", vec![Value::U32(1), Value::U32(2)], 1),
        ("min", vec![Value::Float64(1.0)], 2),
        ("negative-zero", vec![Value::Float64(1.0)], 0),
    ];
    for (name, args, declared) in calls {
        match sandbox.call(name, &args) {
            Err(e @ Error::ArgumentCount { expected, given, .. }) => {
                assert_eq!((expected, given), (declared, args.len()), "{name}");
                assert!(!e.is_poison_error());
            }
            other => panic!("{name} with {} arguments: expected ArgumentCount, got {other:?}", args.len()),
        }
        assert_still_works(&mut sandbox);
    }
}

#[test]
fn wrongly_typed_arguments_are_refused_without_poisoning() {
    let fixture = Fixture::new();
    let mut sandbox = Sandbox::new(&fixture.values(), &Linker::new()).expect("sandbox");
    let calls: Vec<(&str, Value)> = vec![
        ("echo-u32", string("1")),
        ("echo-u32", Value::S32(1)),
        ("echo-u32", Value::U64(1)),
        ("echo-f64", Value::Float32(1.0)),
        ("echo-bytes", Value::List(vec![Value::U8(1), Value::U16(2)])),
        ("echo-strings", Value::List(vec![string("a"), Value::Char('b')])),
        // A missing field, an unknown field, a field of the wrong type.
        ("echo-record", record(&[("x", Value::S32(1)), ("y", Value::S32(2))])),
        ("echo-record", record(&[("x", Value::S32(1)), ("y", Value::S32(2)), ("z", Value::S32(3))])),
        ("echo-record", record(&[("x", Value::S32(1)), ("y", Value::S32(2)), ("label", string("no option"))])),
        // Fields out of declaration order.
        ("echo-record", record(&[("y", Value::S32(2)), ("x", Value::S32(1)), ("label", none())])),
        ("echo-tuple", Value::Tuple(vec![Value::U32(1), string("two")])),
        ("echo-variant", case("triangle", None)),
        ("echo-variant", case("circle", None)),
        ("echo-variant", case("empty", Some(Value::U32(1)))),
        ("echo-enum", enum_case("purple")),
        ("echo-flags", flags(&["read", "fly"])),
        ("echo-flags", flags(&["read", "read"])),
        ("echo-option", Value::U32(1)),
        ("echo-result", Value::Result(Ok(Some(Box::new(Value::U32(1)))))),
        ("echo-variant", point(1, 2, None)),
    ];
    for (name, arg) in calls {
        match sandbox.call(name, std::slice::from_ref(&arg)) {
            Err(e @ Error::Type(_)) => assert!(!e.is_poison_error()),
            other => panic!("{name}({arg:?}): expected a type error, got {other:?}"),
        }
        assert_still_works(&mut sandbox);
    }
}
