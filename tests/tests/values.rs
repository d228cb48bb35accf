//! Every WIT value type crosses the VM boundary intact: into and out of an
//! export, and into and out of a host function the component calls.

use featherlight::{Linker, Sandbox, Value, ValueType};
use featherlight_tests::{
    CallLog, Fixture, VALUE_TYPES, VALUES_HOST, assert_single, bytes, case, echo_linker, enum_case, err, flags,
    identical, none, ok, point, some, string, strings, triple,
};

/// Values of every type `values` echoes, by the suffix of the functions that
/// echo them, covering each type's edge cases.
fn cases() -> Vec<(&'static str, Vec<Value>)> {
    let long_string: String = "featherlight ✓ 😀 ".chars().cycle().take(50_000).collect();
    let all_bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let many_strings: Vec<String> = (0..1_000).map(|i| format!("string #{i}")).collect();
    let many_strings: Vec<&str> = many_strings.iter().map(String::as_str).collect();
    vec![
        ("bool", vec![Value::Bool(true), Value::Bool(false)]),
        ("s8", vec![Value::S8(0), Value::S8(-1), Value::S8(i8::MIN), Value::S8(i8::MAX)]),
        ("u8", vec![Value::U8(0), Value::U8(1), Value::U8(u8::MAX)]),
        ("s16", vec![Value::S16(-2), Value::S16(i16::MIN), Value::S16(i16::MAX)]),
        ("u16", vec![Value::U16(0), Value::U16(0x8000), Value::U16(u16::MAX)]),
        ("s32", vec![Value::S32(-123_456), Value::S32(i32::MIN), Value::S32(i32::MAX)]),
        ("u32", vec![Value::U32(0), Value::U32(0xdead_beef), Value::U32(u32::MAX)]),
        ("s64", vec![Value::S64(-1), Value::S64(i64::MIN), Value::S64(i64::MAX)]),
        ("u64", vec![Value::U64(0), Value::U64(1 << 63), Value::U64(u64::MAX)]),
        (
            "f32",
            vec![
                Value::Float32(1.5),
                Value::Float32(0.0),
                Value::Float32(-0.0),
                Value::Float32(f32::MIN_POSITIVE),
                Value::Float32(f32::from_bits(1)), // smallest subnormal
                Value::Float32(f32::MAX),
                Value::Float32(f32::INFINITY),
                Value::Float32(f32::NEG_INFINITY),
                Value::Float32(f32::from_bits(0x7fc0_1234)), // quiet NaN with payload
                Value::Float32(f32::from_bits(0xffc0_0001)), // negative quiet NaN
                Value::Float32(f32::from_bits(0x7f80_0001)), // signalling NaN
            ],
        ),
        (
            "f64",
            vec![
                Value::Float64(std::f64::consts::PI),
                Value::Float64(0.0),
                Value::Float64(-0.0),
                Value::Float64(f64::MIN_POSITIVE),
                Value::Float64(f64::from_bits(1)), // smallest subnormal
                Value::Float64(f64::MIN),
                Value::Float64(f64::INFINITY),
                Value::Float64(f64::NEG_INFINITY),
                Value::Float64(f64::from_bits(0x7ff8_0000_dead_beef)), // quiet NaN with payload
                Value::Float64(f64::from_bits(0xfff8_0000_0000_0001)), // negative quiet NaN
                Value::Float64(f64::from_bits(0x7ff0_0000_0000_0001)), // signalling NaN
            ],
        ),
        ("char", ['a', '\0', 'é', '😀', '\u{d7ff}', '\u{e000}', char::MAX].into_iter().map(Value::Char).collect()),
        ("string", vec![string(""), string("hello"), string("nul \0 inside, ünïcödé 😀"), string(&long_string)]),
        ("bytes", vec![bytes(&[]), bytes(&[0, 1, 0x7f, 0x80, 0xff]), bytes(&all_bytes)]),
        ("strings", vec![strings(&[]), strings(&[""]), strings(&["a", "bc", "😀"]), strings(&many_strings)]),
        ("record", vec![point(1, 2, None), point(i32::MIN, i32::MAX, Some("")), point(-5, 7, Some("label ✓"))]),
        (
            "tuple",
            vec![
                triple(0, "", 0.0),
                triple(u32::MAX, "x", -0.0),
                triple(7, "seven", f64::from_bits(0x7ff8_0000_dead_beef)),
            ],
        ),
        (
            "variant",
            vec![
                case("empty", None),
                case("circle", Some(Value::Float64(2.5))),
                case("rect", Some(point(3, -4, Some("corner")))),
                case("rect", Some(point(0, 0, None))),
                case("named", Some(string("a shape"))),
            ],
        ),
        ("enum", vec![enum_case("red"), enum_case("green"), enum_case("blue"), enum_case("type")]),
        ("option", vec![none(), some(Value::U32(0)), some(Value::U32(u32::MAX))]),
        ("result", vec![ok(string("")), ok(string("fine")), err(Value::U32(0)), err(Value::U32(u32::MAX))]),
        (
            "flags",
            vec![flags(&[]), flags(&["read"]), flags(&["write", "admin"]), flags(&["read", "write", "exec", "admin"])],
        ),
    ]
}

#[test]
fn cases_cover_every_type() {
    let covered: Vec<&str> = cases().iter().map(|(ty, _)| *ty).collect();
    assert_eq!(covered, VALUE_TYPES);
}

#[test]
fn exports_return_every_value_type_intact() {
    let fixture = Fixture::new();
    let component = fixture.values();
    // No host function is needed: echo exports never call the host.
    let mut sandbox = Sandbox::new(&component, &Linker::new()).expect("sandbox");
    for (ty, values) in cases() {
        for value in values {
            let results = sandbox.call(&format!("echo-{ty}"), std::slice::from_ref(&value)).expect("echo call");
            assert_single(&results, &value, &format!("echo-{ty}"));
        }
    }
    assert!(!sandbox.is_poisoned());
}

#[test]
fn host_functions_receive_and_return_every_value_type_intact() {
    let fixture = Fixture::new();
    let component = fixture.values();
    let log = CallLog::new();
    let mut sandbox = Sandbox::new(&component, &echo_linker(&log)).expect("sandbox");
    for (ty, values) in cases() {
        for value in values {
            let export = format!("via-host-{ty}");
            let results = sandbox.call(&export, std::slice::from_ref(&value)).expect("via-host call");
            assert_single(&results, &value, &export);
            let calls = log.take();
            assert_eq!(calls.len(), 1, "{export} made these host calls: {calls:?}");
            let (function, args) = &calls[0];
            assert_eq!(function, &format!("echo-{ty}"));
            assert!(
                args.len() == 1 && identical(&args[0], &value),
                "the host's echo-{ty} received {args:?}, not [{value:?}]"
            );
        }
    }
}

/// The component returns what the host returned, not its own argument: host
/// functions that change their argument show it.
#[test]
fn host_function_results_reach_the_guest() {
    let fixture = Fixture::new();
    let component = fixture.values();
    let mut linker = Linker::new();
    linker.func(VALUES_HOST, "echo-u32", |args| match args {
        [Value::U32(x)] => Ok(vec![Value::U32(x.wrapping_add(1))]),
        _ => Err(format!("unexpected arguments {args:?}").into()),
    });
    linker.func(VALUES_HOST, "echo-string", |args| match args {
        [Value::String(s)] => Ok(vec![Value::String(s.to_uppercase())]),
        _ => Err(format!("unexpected arguments {args:?}").into()),
    });
    linker.func(VALUES_HOST, "echo-record", |args| match args {
        [Value::Record(fields)] => {
            // Swap x and y, drop the label.
            let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
            let (Some(x), Some(y)) = (field("x"), field("y")) else {
                return Err(format!("unexpected record {fields:?}").into());
            };
            Ok(vec![Value::Record(vec![("x".into(), y), ("y".into(), x), ("label".into(), none())])])
        }
        _ => Err(format!("unexpected arguments {args:?}").into()),
    });
    linker.func(VALUES_HOST, "echo-variant", |_| Ok(vec![case("named", Some(string("from the host")))]));
    linker.func(VALUES_HOST, "echo-result", |_| Ok(vec![err(Value::U32(404))]));
    linker.func(VALUES_HOST, "echo-flags", |_| Ok(vec![flags(&["exec", "admin"])]));
    linker.func(VALUES_HOST, "echo-f64", |_| Ok(vec![Value::Float64(f64::from_bits(0x7ff8_0000_0bad_cafe))]));
    let mut sandbox = Sandbox::new(&component, &linker).expect("sandbox");

    let check = |sandbox: &mut Sandbox, export: &str, arg: Value, expected: Value| {
        let results = sandbox.call(export, &[arg]).expect("call");
        assert_single(&results, &expected, export);
    };
    check(&mut sandbox, "via-host-u32", Value::U32(41), Value::U32(42));
    check(&mut sandbox, "via-host-u32", Value::U32(u32::MAX), Value::U32(0));
    check(&mut sandbox, "via-host-string", string("quiet"), string("QUIET"));
    check(&mut sandbox, "via-host-record", point(1, 2, Some("gone")), point(2, 1, None));
    check(&mut sandbox, "via-host-variant", case("empty", None), case("named", Some(string("from the host"))));
    check(&mut sandbox, "via-host-result", ok(string("fine")), err(Value::U32(404)));
    check(&mut sandbox, "via-host-flags", flags(&["read"]), flags(&["exec", "admin"]));
    check(&mut sandbox, "via-host-f64", Value::Float64(1.0), Value::Float64(f64::from_bits(0x7ff8_0000_0bad_cafe)));
}

/// Flags may be given in any order; they come back, and reach host
/// functions, in declaration order.
#[test]
fn flags_come_back_in_declaration_order() {
    let fixture = Fixture::new();
    let component = fixture.values();
    let log = CallLog::new();
    let mut sandbox = Sandbox::new(&component, &echo_linker(&log)).expect("sandbox");
    let results = sandbox.call("echo-flags", &[flags(&["admin", "read"])]).expect("echo-flags");
    assert_eq!(results, [flags(&["read", "admin"])]);
    let results = sandbox.call("via-host-flags", &[flags(&["exec", "write"])]).expect("via-host-flags");
    assert_eq!(results, [flags(&["write", "exec"])]);
    assert_eq!(log.take(), [("echo-flags".to_owned(), vec![flags(&["write", "exec"])])]);
}

#[test]
fn world_lists_the_host_imports_and_echo_exports_with_their_types() {
    let fixture = Fixture::new();
    let component = fixture.values();
    let world = component.world();

    let host: Vec<_> = world.imports().iter().filter(|f| f.interface.as_deref() == Some(VALUES_HOST)).collect();
    let names: Vec<&str> = host.iter().map(|f| f.name.as_str()).collect();
    let expected: Vec<String> = VALUE_TYPES.iter().map(|ty| format!("echo-{ty}")).collect();
    assert_eq!(names, expected);

    let echo: Vec<_> = world.exports().iter().filter(|f| f.interface.as_deref() == Some("test:values/echo")).collect();
    let names: Vec<&str> = echo.iter().map(|f| f.name.as_str()).collect();
    let expected: Vec<String> = VALUE_TYPES
        .iter()
        .map(|ty| format!("echo-{ty}"))
        .chain(VALUE_TYPES.iter().map(|ty| format!("via-host-{ty}")))
        .collect();
    assert_eq!(names, expected);

    let param_type = |name: &str| {
        let function = host.iter().find(|f| f.name == name).expect("import");
        assert_eq!(function.ty.params.len(), 1, "{name}");
        assert_eq!(function.ty.results, [function.ty.params[0].1.clone()], "{name} returns its parameter's type");
        function.ty.params[0].1.clone()
    };
    assert_eq!(
        param_type("echo-record"),
        ValueType::record([
            ("x", ValueType::S32),
            ("y", ValueType::S32),
            ("label", ValueType::option(ValueType::String))
        ])
    );
    assert_eq!(param_type("echo-enum"), ValueType::enumeration(["red", "green", "blue", "type"]));
    assert_eq!(param_type("echo-flags"), ValueType::flags(["read", "write", "exec", "admin"]));
    assert_eq!(param_type("echo-bytes"), ValueType::list(ValueType::U8));
    assert_eq!(param_type("echo-tuple"), ValueType::tuple([ValueType::U32, ValueType::String, ValueType::Float64]));
    assert_eq!(param_type("echo-result"), ValueType::result(Some(ValueType::String), Some(ValueType::U32)));
    let ValueType::Variant(cases) = param_type("echo-variant") else { panic!("echo-variant takes a variant") };
    let cases: Vec<(&str, Option<&str>)> =
        cases.iter().map(|(name, payload)| (name.as_str(), payload.as_ref().map(ValueType::kind_name))).collect();
    assert_eq!(cases, [("empty", None), ("circle", Some("f64")), ("rect", Some("record")), ("named", Some("string"))]);
}
