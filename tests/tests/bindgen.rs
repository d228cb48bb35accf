//! Typed bindings (`featherlight::bindgen!`) on real KVM: every WIT type of
//! the `values` component through typed calls in both directions, host
//! errors reaching the caller with their payload, components that do not fit
//! the world, and a differential run against wasmtime's own `bindgen!` on
//! the same WIT, in process.

use featherlight::{ComponentType, Error, HostError, Linker, Sandbox, Value, WorldMismatch};
use featherlight_tests::{Fixture, identical};
use std::sync::{Arc, Mutex};

/// featherlight's bindings of the `values` world.
mod fl {
    featherlight::bindgen!({ path: "components/values/wit", world: "values" });
}

/// wasmtime's bindings of the same world.
mod wt {
    wasmtime::component::bindgen!({ path: "components/values/wit", world: "values" });
}

/// A world with only world-level exports and no imports.
mod stateful {
    featherlight::bindgen!({ path: "components/stateful/wit" });
}

/// The golden-test worlds compile as bindings too.
#[allow(dead_code)]
mod goldens {
    pub mod kv {
        featherlight::bindgen!({ path: "../host/bindgen/tests/wit/kv.wit", world: "plugin" });
    }
    pub mod sink {
        featherlight::bindgen!({ path: "../host/bindgen/tests/wit/kitchen-sink.wit" });
    }
}

use fl::test::values::types::{Color, Permissions, Point, Shape};

/// The error the host's `echo-u32` fails with for 13.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{value} is unlucky")]
struct Unlucky {
    value: u32,
}

/// Host state: counts calls.
#[derive(Default)]
struct Echo {
    calls: usize,
}

macro_rules! echo_methods {
    ($($name:ident: $ty:ty),* $(,)?) => {$(
        fn $name(&mut self, x: $ty) -> Result<$ty, HostError> {
            self.calls += 1;
            Ok(x)
        }
    )*};
}

impl fl::test::values::host::Host for Echo {
    echo_methods! {
        echo_bool: bool, echo_s8: i8, echo_u8: u8, echo_s16: i16, echo_u16: u16, echo_s32: i32, echo_s64: i64,
        echo_u64: u64, echo_f32: f32, echo_f64: f64, echo_char: char, echo_string: String, echo_bytes: Vec<u8>,
        echo_strings: Vec<String>, echo_record: Point, echo_tuple: (u32, String, f64), echo_variant: Shape,
        echo_enum: Color, echo_option: Option<u32>, echo_result: Result<String, u32>, echo_flags: Permissions,
    }

    fn echo_u32(&mut self, x: u32) -> Result<u32, HostError> {
        self.calls += 1;
        if x == 13 { Err(HostError::new(Unlucky { value: x })) } else { Ok(x) }
    }
}

fn start(fixture: &Fixture) -> (fl::Values, Sandbox, Arc<Mutex<Echo>>) {
    let state = Arc::new(Mutex::new(Echo::default()));
    let (bindings, sandbox) =
        fl::Values::instantiate(&fixture.values(), &Linker::new(), &state).expect("values fits its own world");
    (bindings, sandbox, state)
}

fn point() -> Point {
    Point { x: -3, y: i32::MAX, label: Some("p ✓".into()) }
}

fn all_flags() -> Permissions {
    Permissions { read: true, write: false, exec: true, admin: true }
}

/// Calls `echo-<f>` and `via-host-<f>` with `value` and asserts both return
/// it.
macro_rules! both_ways {
    ($bindings:expr, $sandbox:expr, $echo:ident, $via:ident, $value:expr) => {{
        let echo = $bindings.test_values_echo();
        let value = $value;
        assert_eq!(echo.$echo(&mut $sandbox, value.clone()).unwrap(), value, stringify!($echo));
        assert_eq!(echo.$via(&mut $sandbox, value.clone()).unwrap(), value, stringify!($via));
    }};
}

#[test]
fn every_type_crosses_typed_bindings_both_ways() {
    let fixture = Fixture::new();
    let (b, mut s, state) = start(&fixture);
    both_ways!(b, s, call_echo_bool, call_via_host_bool, true);
    both_ways!(b, s, call_echo_s8, call_via_host_s8, i8::MIN);
    both_ways!(b, s, call_echo_u8, call_via_host_u8, u8::MAX);
    both_ways!(b, s, call_echo_s16, call_via_host_s16, -2i16);
    both_ways!(b, s, call_echo_u16, call_via_host_u16, 0x8000u16);
    both_ways!(b, s, call_echo_s32, call_via_host_s32, i32::MIN);
    both_ways!(b, s, call_echo_u32, call_via_host_u32, 0xdead_beefu32);
    both_ways!(b, s, call_echo_s64, call_via_host_s64, i64::MIN);
    both_ways!(b, s, call_echo_u64, call_via_host_u64, u64::MAX);
    both_ways!(b, s, call_echo_f32, call_via_host_f32, -0.5f32);
    both_ways!(b, s, call_echo_f64, call_via_host_f64, std::f64::consts::PI);
    both_ways!(b, s, call_echo_char, call_via_host_char, '😀');
    let echo = b.test_values_echo();
    // Strings and lists go in as `&str` and `&[T]`.
    assert_eq!(echo.call_echo_string(&mut s, "héllo").unwrap(), "héllo");
    assert_eq!(echo.call_via_host_string(&mut s, "").unwrap(), "");
    let bytes: Vec<u8> = (0..=255).collect();
    assert_eq!(echo.call_echo_bytes(&mut s, &bytes).unwrap(), bytes);
    assert_eq!(echo.call_via_host_bytes(&mut s, &bytes).unwrap(), bytes);
    let strings = vec!["a".to_string(), String::new(), "ü".to_string()];
    assert_eq!(echo.call_echo_strings(&mut s, &strings).unwrap(), strings);
    assert_eq!(echo.call_via_host_strings(&mut s, &strings).unwrap(), strings);
    for p in [point(), Point { x: 0, y: 0, label: None }] {
        assert_eq!(echo.call_echo_record(&mut s, &p).unwrap(), p);
        assert_eq!(echo.call_via_host_record(&mut s, &p).unwrap(), p);
    }
    let tuple = (7u32, "seven".to_string(), -7.5f64);
    assert_eq!(echo.call_echo_tuple(&mut s, &tuple).unwrap(), tuple);
    assert_eq!(echo.call_via_host_tuple(&mut s, &tuple).unwrap(), tuple);
    for shape in [Shape::Empty, Shape::Circle(2.5), Shape::Rect(point()), Shape::Named("n".into())] {
        assert_eq!(echo.call_echo_variant(&mut s, &shape).unwrap(), shape);
        assert_eq!(echo.call_via_host_variant(&mut s, &shape).unwrap(), shape);
    }
    for color in [Color::Red, Color::Green, Color::Blue, Color::Type] {
        assert_eq!(echo.call_echo_enum(&mut s, &color).unwrap(), color);
        assert_eq!(echo.call_via_host_enum(&mut s, &color).unwrap(), color);
    }
    for option in [None, Some(0), Some(u32::MAX)] {
        assert_eq!(echo.call_echo_option(&mut s, &option).unwrap(), option);
        assert_eq!(echo.call_via_host_option(&mut s, &option).unwrap(), option);
    }
    for result in [Ok("fine".to_string()), Err(42)] {
        assert_eq!(echo.call_echo_result(&mut s, &result).unwrap(), result);
        assert_eq!(echo.call_via_host_result(&mut s, &result).unwrap(), result);
    }
    for flags in [Permissions::default(), all_flags()] {
        assert_eq!(echo.call_echo_flags(&mut s, &flags).unwrap(), flags);
        assert_eq!(echo.call_via_host_flags(&mut s, &flags).unwrap(), flags);
    }
    // Each via-host call reached the typed host implementation once: 12 scalars,
    // string, bytes, strings, 2 records, tuple, 4 shapes, 4 colors, 3 options, 2 results, 2 flags.
    assert_eq!(state.lock().unwrap().calls, 12 + 1 + 1 + 1 + 2 + 1 + 4 + 4 + 3 + 2 + 2);
    // NaN payloads survive typed calls too.
    let nan = f64::from_bits(0x7ff8_0000_dead_beef);
    assert_eq!(echo.call_via_host_f64(&mut s, nan).unwrap().to_bits(), nan.to_bits());
}

#[test]
fn host_errors_reach_the_caller_with_their_payload() {
    let fixture = Fixture::new();
    let (b, mut s, _state) = start(&fixture);
    let error = b.test_values_echo().call_via_host_u32(&mut s, 13).unwrap_err();
    assert_eq!(error.host_error::<Unlucky>(), Some(&Unlucky { value: 13 }), "{error:?}");
    match &error {
        Error::HostFunction { function, message, .. } => {
            assert_eq!(function, "test:values/host#echo-u32");
            assert_eq!(message, "13 is unlucky");
        }
        other => panic!("expected a host function error, got {other:?}"),
    }
    // The guest trapped on it: the sandbox is poisoned like on the dynamic path.
    assert!(s.is_poisoned());
    assert!(matches!(
        b.test_values_echo().call_echo_u32(&mut s, 1),
        Err(Error::Poisoned { cause, .. }) if cause.host_error::<Unlucky>() == Some(&Unlucky { value: 13 })
    ));
}

/// A component made from `wit` (a dummy core module: it links but traps if
/// called), for world checks.
fn dummy_component(fixture: &Fixture, wit: &str) -> featherlight::Component {
    let mut resolve = wit_parser::Resolve::default();
    let package = resolve.push_str("dummy.wit", wit).expect("test WIT parses");
    let world = resolve.select_world(&[package], None).expect("one world");
    let mut module = wit_component::dummy_module(&resolve, world, wit_parser::ManglingAndAbi::Standard32);
    wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8)
        .expect("embed");
    let bytes = wit_component::ComponentEncoder::default()
        .module(&module)
        .expect("module")
        .validate(true)
        .encode()
        .expect("encode");
    featherlight::Component::new(&fixture.engine, &bytes).expect("the dummy component compiles")
}

#[test]
fn components_that_do_not_fit_the_world_are_refused_by_name() {
    let fixture = Fixture::new();
    // Another component altogether: the first export the world needs is missing.
    match fl::Values::new(&fixture.traps()) {
        Err(Error::WorldMismatch(WorldMismatch::MissingExport { name, .. })) => {
            assert_eq!(name, "test:values/echo#echo-bool");
        }
        other => panic!("expected a missing export, got {other:?}"),
    }
    // An export with another type.
    let mistyped_export = dummy_component(
        &fixture,
        "package test:values;\ninterface echo { echo-bool: func(x: u32) -> u32; }\nworld w { export echo; }\n",
    );
    match fl::Values::new(&mistyped_export) {
        Err(Error::WorldMismatch(WorldMismatch::MistypedExport { name, expected, found })) => {
            assert_eq!(name, "test:values/echo#echo-bool");
            assert!(expected.contains("bool") && found.contains("u32"), "{expected} / {found}");
        }
        other => panic!("expected a mistyped export, got {other:?}"),
    }
    // An import of a bound interface the world does not provide, and one
    // with another type.
    let goldens = "package example:kv@0.1.0;\ninterface store {\n";
    let unknown = dummy_component(&fixture, &format!("{goldens}  compact: func();\n}}\nworld w {{ import store; }}\n"));
    let state = Arc::new(Mutex::new(KvStub));
    let error = goldens::kv::Plugin::instantiate(&unknown, &Linker::new(), &state).unwrap_err();
    assert!(
        matches!(&error, Error::WorldMismatch(WorldMismatch::UnknownImport { name, .. }) if name == "example:kv/store@0.1.0#compact"),
        "{error:?}"
    );
    let mistyped =
        dummy_component(&fixture, &format!("{goldens}  delete: func(key: u64);\n}}\nworld w {{ import store; }}\n"));
    let error = goldens::kv::Plugin::new(&mistyped).unwrap_err();
    assert!(
        matches!(&error, Error::WorldMismatch(WorldMismatch::MistypedImport { name, .. }) if name == "example:kv/store@0.1.0#delete"),
        "{error:?}"
    );
    assert!(error.to_string().contains("build it against the same WIT world"), "{error}");
    // Another version of the interface would not get the bindings' host functions.
    let other_version = dummy_component(
        &fixture,
        "package example:kv@0.2.0;\ninterface store {\n  delete: func(key: string);\n}\nworld w { import store; }\n",
    );
    let error = goldens::kv::Plugin::new(&other_version).unwrap_err();
    assert!(
        matches!(&error, Error::WorldMismatch(WorldMismatch::UnknownImport { name, .. }) if name == "example:kv/store@0.2.0#delete"),
        "{error:?}"
    );
    assert!(error.to_string().contains("build it against the same WIT world"), "{error}");
}

/// A kv store that is never called (for world checks only).
struct KvStub;

impl goldens::kv::example::kv::store::Host for KvStub {
    fn get(
        &mut self,
        _key: String,
    ) -> Result<Result<Option<Vec<u8>>, goldens::kv::example::kv::store::StoreError>, HostError> {
        Ok(Ok(None))
    }

    fn set(
        &mut self,
        _key: String,
        _value: Vec<u8>,
    ) -> Result<Result<(), goldens::kv::example::kv::store::StoreError>, HostError> {
        Ok(Ok(()))
    }

    fn delete(&mut self, _key: String) -> Result<(), HostError> {
        Ok(())
    }
}

impl goldens::kv::PluginImports for KvStub {
    fn log(&mut self, _message: String) -> Result<(), HostError> {
        Ok(())
    }
}

/// wasmtime's host: echoes like `Echo`.
struct WtEcho;

macro_rules! wt_echo_methods {
    ($($name:ident: $ty:ty),* $(,)?) => {$(
        fn $name(&mut self, x: $ty) -> $ty {
            x
        }
    )*};
}

impl wt::test::values::types::Host for WtEcho {}

impl wt::test::values::host::Host for WtEcho {
    wt_echo_methods! {
        echo_bool: bool, echo_s8: i8, echo_u8: u8, echo_s16: i16, echo_u16: u16, echo_s32: i32, echo_u32: u32,
        echo_s64: i64, echo_u64: u64, echo_f32: f32, echo_f64: f64, echo_char: char, echo_string: String,
        echo_bytes: Vec<u8>, echo_strings: Vec<String>, echo_record: WtPoint, echo_tuple: (u32, String, f64),
        echo_variant: WtShape, echo_enum: WtColor, echo_option: Option<u32>, echo_result: Result<String, u32>,
        echo_flags: WtPermissions,
    }
}

use wt::test::values::types::{Color as WtColor, Permissions as WtPermissions, Point as WtPoint, Shape as WtShape};

fn to_wt_point(p: &Point) -> WtPoint {
    WtPoint { x: p.x, y: p.y, label: p.label.clone() }
}

fn from_wt_point(p: WtPoint) -> Point {
    Point { x: p.x, y: p.y, label: p.label }
}

fn to_wt_shape(s: &Shape) -> WtShape {
    match s {
        Shape::Empty => WtShape::Empty,
        Shape::Circle(r) => WtShape::Circle(*r),
        Shape::Rect(p) => WtShape::Rect(to_wt_point(p)),
        Shape::Named(n) => WtShape::Named(n.clone()),
    }
}

fn from_wt_shape(s: WtShape) -> Shape {
    match s {
        WtShape::Empty => Shape::Empty,
        WtShape::Circle(r) => Shape::Circle(r),
        WtShape::Rect(p) => Shape::Rect(from_wt_point(p)),
        WtShape::Named(n) => Shape::Named(n),
    }
}

fn to_wt_color(c: Color) -> WtColor {
    match c {
        Color::Red => WtColor::Red,
        Color::Green => WtColor::Green,
        Color::Blue => WtColor::Blue,
        Color::Type => WtColor::Type,
    }
}

fn from_wt_color(c: WtColor) -> Color {
    match c {
        WtColor::Red => Color::Red,
        WtColor::Green => Color::Green,
        WtColor::Blue => Color::Blue,
        WtColor::Type => Color::Type,
    }
}

fn to_wt_flags(p: Permissions) -> WtPermissions {
    let mut flags = WtPermissions::empty();
    for (set, flag) in [
        (p.read, WtPermissions::READ),
        (p.write, WtPermissions::WRITE),
        (p.exec, WtPermissions::EXEC),
        (p.admin, WtPermissions::ADMIN),
    ] {
        if set {
            flags |= flag;
        }
    }
    flags
}

fn from_wt_flags(p: WtPermissions) -> Permissions {
    Permissions {
        read: p.contains(WtPermissions::READ),
        write: p.contains(WtPermissions::WRITE),
        exec: p.contains(WtPermissions::EXEC),
        admin: p.contains(WtPermissions::ADMIN),
    }
}

#[test]
fn typed_calls_match_wasmtime_in_process() {
    let fixture = Fixture::new();
    let (fb, mut fs, _state) = start(&fixture);
    let engine = wasmtime::Engine::default();
    let component = wasmtime::component::Component::from_file(&engine, featherlight_tests::VALUES_WASM)
        .expect("wasmtime compiles the values component");
    let mut linker = wasmtime::component::Linker::<WtEcho>::new(&engine);
    wt::Values::add_to_linker::<WtEcho, wasmtime::component::HasSelf<WtEcho>>(&mut linker, |s| s)
        .expect("link the host");
    // The component's WASI imports trap if called, as unregistered imports do in featherlight.
    linker.define_unknown_imports_as_traps(&component).expect("stub other imports");
    let mut store = wasmtime::Store::new(&engine, WtEcho);
    let wb = wt::Values::instantiate(&mut store, &component, &linker).expect("wasmtime instantiates it");
    let (fe, we) = (fb.test_values_echo(), wb.test_values_echo());
    let mut compared = 0;
    let mut same = |what: &str, f: Value, w: Value| {
        assert!(identical(&f, &w), "{what}: featherlight gave {f:?}, wasmtime gave {w:?}");
        compared += 1;
    };
    macro_rules! by_value {
        ($($call:ident: $($v:expr),+;)*) => {$($(
            same(
                stringify!($call),
                ComponentType::to_value(&fe.$call(&mut fs, $v).unwrap()),
                ComponentType::to_value(&we.$call(&mut store, $v).unwrap()),
            );
        )+)*};
    }
    by_value! {
        call_echo_bool: true, false; call_via_host_bool: true, false;
        call_echo_s8: i8::MIN, -1; call_via_host_s8: i8::MAX;
        call_echo_u8: 0, u8::MAX; call_via_host_u8: 128;
        call_echo_s16: i16::MIN; call_via_host_s16: i16::MAX;
        call_echo_u16: u16::MAX; call_via_host_u16: 0x8000;
        call_echo_s32: i32::MIN; call_via_host_s32: -123_456;
        call_echo_u32: u32::MAX; call_via_host_u32: 0xdead_beef;
        call_echo_s64: i64::MIN; call_via_host_s64: i64::MAX;
        call_echo_u64: u64::MAX; call_via_host_u64: 1 << 63;
        call_echo_f32: -0.0, f32::MIN_POSITIVE, f32::from_bits(0x7fc0_1234);
        call_via_host_f32: f32::INFINITY, f32::from_bits(1), f32::from_bits(0xffc0_0001);
        call_echo_f64: -0.0, f64::from_bits(0x7ff8_0000_dead_beef);
        call_via_host_f64: f64::NEG_INFINITY, f64::from_bits(0xfff8_0000_0000_0001);
        call_echo_char: 'a', '\0', char::MAX; call_via_host_char: '😀', '\u{e000}';
    }
    for option in [None, Some(0), Some(u32::MAX)] {
        same(
            "option",
            fe.call_echo_option(&mut fs, &option).unwrap().to_value(),
            we.call_echo_option(&mut store, option).unwrap().to_value(),
        );
        same(
            "via-host option",
            fe.call_via_host_option(&mut fs, &option).unwrap().to_value(),
            we.call_via_host_option(&mut store, option).unwrap().to_value(),
        );
    }
    for text in ["", "héllo", "nul \0 inside"] {
        same(
            "string",
            fe.call_echo_string(&mut fs, text).unwrap().to_value(),
            we.call_echo_string(&mut store, text).unwrap().to_value(),
        );
        same(
            "via-host string",
            fe.call_via_host_string(&mut fs, text).unwrap().to_value(),
            we.call_via_host_string(&mut store, text).unwrap().to_value(),
        );
    }
    let bytes: Vec<u8> = (0..=255).cycle().take(1000).collect();
    same(
        "bytes",
        fe.call_echo_bytes(&mut fs, &bytes).unwrap().to_value(),
        we.call_echo_bytes(&mut store, &bytes).unwrap().to_value(),
    );
    same(
        "via-host bytes",
        fe.call_via_host_bytes(&mut fs, &bytes).unwrap().to_value(),
        we.call_via_host_bytes(&mut store, &bytes).unwrap().to_value(),
    );
    let strings = vec!["a".to_string(), String::new(), "😀".to_string()];
    same(
        "strings",
        fe.call_echo_strings(&mut fs, &strings).unwrap().to_value(),
        we.call_echo_strings(&mut store, &strings).unwrap().to_value(),
    );
    same(
        "via-host strings",
        fe.call_via_host_strings(&mut fs, &strings).unwrap().to_value(),
        we.call_via_host_strings(&mut store, &strings).unwrap().to_value(),
    );
    for p in [point(), Point { x: 0, y: -1, label: None }] {
        let w = to_wt_point(&p);
        same(
            "record",
            fe.call_echo_record(&mut fs, &p).unwrap().to_value(),
            from_wt_point(we.call_echo_record(&mut store, &w).unwrap()).to_value(),
        );
        same(
            "via-host record",
            fe.call_via_host_record(&mut fs, &p).unwrap().to_value(),
            from_wt_point(we.call_via_host_record(&mut store, &w).unwrap()).to_value(),
        );
    }
    let tuple = (u32::MAX, "t".to_string(), f64::from_bits(0x7ff0_0000_0000_0001));
    same(
        "tuple",
        fe.call_echo_tuple(&mut fs, &tuple).unwrap().to_value(),
        we.call_echo_tuple(&mut store, (tuple.0, &tuple.1, tuple.2)).unwrap().to_value(),
    );
    same(
        "via-host tuple",
        fe.call_via_host_tuple(&mut fs, &tuple).unwrap().to_value(),
        we.call_via_host_tuple(&mut store, (tuple.0, &tuple.1, tuple.2)).unwrap().to_value(),
    );
    for shape in [Shape::Empty, Shape::Circle(-0.0), Shape::Rect(point()), Shape::Named("n".into())] {
        let w = to_wt_shape(&shape);
        same(
            "variant",
            fe.call_echo_variant(&mut fs, &shape).unwrap().to_value(),
            from_wt_shape(we.call_echo_variant(&mut store, &w).unwrap()).to_value(),
        );
        same(
            "via-host variant",
            fe.call_via_host_variant(&mut fs, &shape).unwrap().to_value(),
            from_wt_shape(we.call_via_host_variant(&mut store, &w).unwrap()).to_value(),
        );
    }
    for color in [Color::Red, Color::Green, Color::Blue, Color::Type] {
        let w = to_wt_color(color);
        same(
            "enum",
            fe.call_echo_enum(&mut fs, &color).unwrap().to_value(),
            from_wt_color(we.call_echo_enum(&mut store, w).unwrap()).to_value(),
        );
        same(
            "via-host enum",
            fe.call_via_host_enum(&mut fs, &color).unwrap().to_value(),
            from_wt_color(we.call_via_host_enum(&mut store, w).unwrap()).to_value(),
        );
    }
    for result in [Ok("ok".to_string()), Err(9)] {
        let w = result.as_ref().map(String::as_str).map_err(|e| *e);
        same(
            "result",
            fe.call_echo_result(&mut fs, &result).unwrap().to_value(),
            we.call_echo_result(&mut store, w).unwrap().to_value(),
        );
        same(
            "via-host result",
            fe.call_via_host_result(&mut fs, &result).unwrap().to_value(),
            we.call_via_host_result(&mut store, w).unwrap().to_value(),
        );
    }
    for flags in [Permissions::default(), all_flags()] {
        let w = to_wt_flags(flags);
        same(
            "flags",
            fe.call_echo_flags(&mut fs, &flags).unwrap().to_value(),
            from_wt_flags(we.call_echo_flags(&mut store, w).unwrap()).to_value(),
        );
        same(
            "via-host flags",
            fe.call_via_host_flags(&mut fs, &flags).unwrap().to_value(),
            from_wt_flags(we.call_via_host_flags(&mut store, w).unwrap()).to_value(),
        );
    }
    assert!(compared > 80, "{compared} comparisons");
}

/// The type `name` of interface `types` in the kitchen-sink WIT, as
/// featherlight reads WIT types from components.
fn sink_type(name: &str) -> featherlight::ValueType {
    let mut resolve = wit_parser::Resolve::default();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../host/bindgen/tests/wit/kitchen-sink.wit");
    resolve.push_path(path).expect("the golden WIT parses");
    let (_, interface) =
        resolve.interfaces.iter().find(|(_, i)| i.name.as_deref() == Some("types")).expect("interface `types`");
    let id = interface.types[name];
    <featherlight::ValueType as featherlight::wasm::types::FromWit<wit_parser::Type>>::from_wit(
        &resolve,
        &wit_parser::Type::Id(id),
    )
    .expect("a supported type")
}

/// Checks that `value`'s Rust type describes itself as featherlight reads the
/// WIT type, and that `value` survives the trip through a dynamic `Value`.
fn round_trips<T: ComponentType + PartialEq + std::fmt::Debug>(wit_name: &str, value: T) {
    assert_eq!(T::value_type(), sink_type(wit_name), "{wit_name}");
    let dynamic = ComponentType::to_value(&value);
    T::value_type().check(&dynamic).unwrap_or_else(|e| panic!("{wit_name}: {e}"));
    assert_eq!(T::from_value(&dynamic).unwrap(), value, "{wit_name}");
}

#[test]
fn generated_types_match_the_wit_and_round_trip() {
    use goldens::sink::test::sink::types::{Access, AllScalars, Color, Shape};
    let scalars = AllScalars {
        a: true,
        b: -1,
        c: 2,
        d: -3,
        e: 4,
        f: -5,
        g: 6,
        h: -7,
        i: 8,
        j: 9.5,
        k: -10.25,
        l: 'ß',
        m: "m".into(),
    };
    round_trips("all-scalars", scalars);
    round_trips("color", Color::Type);
    round_trips("access", Access { read: true, write: false, http_admin: true });
    for shape in [
        Shape::None,
        Shape::Circle(1.0),
        Shape::Poly(vec![(0.0, 1.0), (2.0, -3.0)]),
        Shape::Nested(None),
        Shape::Nested(Some(Ok(Color::Green))),
        Shape::Nested(Some(Err("e".into()))),
    ] {
        round_trips("shape", shape);
    }
    round_trips("bytes", vec![1u8, 2, 3]);
    round_trips("pair", (vec![9u8], Access::default()));
    // Values of another shape are refused with the place they differ.
    let wrong = Value::Variant("nested".into(), Some(Box::new(Value::Option(Some(Box::new(Value::U8(1)))))));
    let error = Shape::from_value(&wrong).unwrap_err().to_string();
    assert!(error.contains(".nested.some") && error.contains("result"), "{error}");
    let unknown = Value::Flags(vec!["read".into(), "root".into()]);
    assert!(Access::from_value(&unknown).unwrap_err().to_string().contains("`root` is not a flag"));
}

#[test]
fn world_level_exports_are_typed_calls() {
    let fixture = Fixture::new();
    // No imports: any state will do.
    let state = Arc::new(Mutex::new(()));
    let (bindings, mut sandbox) =
        stateful::Stateful::instantiate(&fixture.stateful(), &Linker::new(), &state).expect("stateful fits its world");
    assert_eq!(bindings.call_load(&mut sandbox).unwrap(), Some(Vec::new()));
    bindings.call_store(&mut sandbox, b"secret").unwrap();
    assert_eq!(bindings.call_load(&mut sandbox).unwrap(), Some(b"secret".to_vec()));
    let before = bindings.call_count(&mut sandbox).unwrap();
    bindings.call_count(&mut sandbox).unwrap();
    assert_eq!(bindings.call_count(&mut sandbox).unwrap(), before + 2);
    // Bindings checked against one component refuse a sandbox of another.
    let (values, _values_sandbox, _) = start(&fixture);
    let error = values.test_values_echo().call_echo_u8(&mut sandbox, 1).unwrap_err();
    assert!(matches!(&error, Error::NoSuchExport(name) if name.contains("test:values/echo#echo-u8")), "{error:?}");
    assert!(!sandbox.is_poisoned());
}
