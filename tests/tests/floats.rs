//! Float arithmetic in Wasm code (Cranelift code running in the guest) gives
//! exactly what Rust computes on the host, and float bits cross the VM
//! boundary untouched: signed zeros, subnormals, NaN payloads.

use std::hint::black_box;

use featherlight::{Linker, Sandbox, Value};
use featherlight_tests::Fixture;

/// Inputs for the one-argument `f64` functions: halves around every rounding
/// boundary, signed zeros, subnormals, huge values, infinities and NaNs.
const INPUTS: [f64; 24] = [
    0.0,
    -0.0,
    0.5,
    -0.5,
    1.5,
    -1.5,
    2.5,
    -2.5,
    0.499_999_999_999_999_94, // largest double below 0.5
    4_503_599_627_370_495.5,  // 2^52 - 0.5: the last representable half
    4_503_599_627_370_496.0,  // 2^52
    2.0,
    1e-310, // subnormal
    -1e-310,
    f64::MIN_POSITIVE,
    1e300,
    -1e300,
    f64::MAX,
    f64::MIN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -1.0,
    f64::NAN,
    std::f64::consts::E,
];

fn sandbox(fixture: &Fixture) -> Sandbox {
    Sandbox::new(&fixture.values(), &Linker::new()).expect("sandbox")
}

fn call_f64(sandbox: &mut Sandbox, export: &str, args: &[Value]) -> f64 {
    match sandbox.call(export, args).expect("call").as_slice() {
        [Value::Float64(x)] => *x,
        other => panic!("{export} returned {other:?}"),
    }
}

fn call_f32(sandbox: &mut Sandbox, export: &str, args: &[Value]) -> f32 {
    match sandbox.call(export, args).expect("call").as_slice() {
        [Value::Float32(x)] => *x,
        other => panic!("{export} returned {other:?}"),
    }
}

/// `actual` is `expected` bit for bit, or both are NaN: Wasm leaves the bits
/// of a NaN that arithmetic produces nondeterministic.
#[track_caller]
fn assert_same_f64(actual: f64, expected: f64, context: &str) {
    assert!(
        actual.to_bits() == expected.to_bits() || (actual.is_nan() && expected.is_nan()),
        "{context}: got {actual:e} ({:#018x}), expected {expected:e} ({:#018x})",
        actual.to_bits(),
        expected.to_bits()
    );
}

#[track_caller]
fn assert_same_f32(actual: f32, expected: f32, context: &str) {
    assert!(
        actual.to_bits() == expected.to_bits() || (actual.is_nan() && expected.is_nan()),
        "{context}: got {actual:e} ({:#010x}), expected {expected:e} ({:#010x})",
        actual.to_bits(),
        expected.to_bits()
    );
}

/// A one-argument `f64` function of the host's `std`.
type Unary = fn(f64) -> f64;

#[test]
fn unary_math_matches_the_host() {
    let fixture = Fixture::new();
    let mut sandbox = sandbox(&fixture);
    let functions: [(&str, Unary); 5] = [
        ("sqrt", f64::sqrt),
        ("floor", f64::floor),
        ("ceil", f64::ceil),
        ("nearest", f64::round_ties_even),
        ("trunc", f64::trunc),
    ];
    for (export, host) in functions {
        for x in INPUTS {
            let actual = call_f64(&mut sandbox, export, &[Value::Float64(x)]);
            assert_same_f64(actual, host(black_box(x)), &format!("{export}({x:e})"));
        }
    }
}

/// The same, checked against known answers rather than the host's `std`.
#[test]
fn rounding_follows_ieee_754() {
    let fixture = Fixture::new();
    let mut sandbox = sandbox(&fixture);
    let mut check = |export: &str, x: f64, expected: f64| {
        let actual = call_f64(&mut sandbox, export, &[Value::Float64(x)]);
        assert_same_f64(actual, expected, &format!("{export}({x:e})"));
    };
    // Ties to even, keeping the sign of zero.
    check("nearest", 0.5, 0.0);
    check("nearest", 1.5, 2.0);
    check("nearest", 2.5, 2.0);
    check("nearest", -0.5, -0.0);
    check("nearest", -2.5, -2.0);
    check("nearest", 0.499_999_999_999_999_94, 0.0);
    check("nearest", 4_503_599_627_370_495.5, 4_503_599_627_370_496.0);
    check("floor", -0.5, -1.0);
    check("floor", -0.0, -0.0);
    check("ceil", -0.5, -0.0);
    check("ceil", 1e-310, 1.0);
    check("trunc", -2.5, -2.0);
    check("sqrt", 2.0, std::f64::consts::SQRT_2);
    check("sqrt", -0.0, -0.0);
    check("sqrt", f64::INFINITY, f64::INFINITY);
    let nan = call_f64(&mut sandbox, "sqrt", &[Value::Float64(-1.0)]);
    assert!(nan.is_nan(), "sqrt(-1) = {nan}");
}

#[test]
fn binary_math_matches_the_host() {
    let fixture = Fixture::new();
    let mut sandbox = sandbox(&fixture);
    // No (0.0, -0.0) pairs: `min` and `max` may return either zero.
    let pairs = [
        (1.0, 2.0),
        (-1.0, -2.0),
        (f64::INFINITY, 3.0),
        (f64::NEG_INFINITY, -3.0),
        (f64::NAN, 1.0),
        (1.0, f64::NAN),
        (1e-310, 2e-310),
        (f64::MAX, f64::MIN),
        (0.1, 0.2),
    ];
    for (a, b) in pairs {
        let args = [Value::Float64(a), Value::Float64(b)];
        let context = |f: &str| format!("{f}({a:e}, {b:e})");
        assert_same_f64(call_f64(&mut sandbox, "min", &args), black_box(a).min(b), &context("min"));
        assert_same_f64(call_f64(&mut sandbox, "max", &args), black_box(a).max(b), &context("max"));
        assert_same_f64(call_f64(&mut sandbox, "div", &args), black_box(a) / b, &context("div"));
    }
    // Rust's min/max ignore a NaN operand.
    assert_same_f64(call_f64(&mut sandbox, "min", &[Value::Float64(f64::NAN), Value::Float64(1.0)]), 1.0, "min");
    assert_same_f64(call_f64(&mut sandbox, "max", &[Value::Float64(2.0), Value::Float64(f64::NAN)]), 2.0, "max");
    let divisions = [(1.0, 0.0, f64::INFINITY), (-1.0, 0.0, f64::NEG_INFINITY), (1.0, -0.0, f64::NEG_INFINITY)];
    for (a, b, expected) in divisions {
        assert_same_f64(
            call_f64(&mut sandbox, "div", &[Value::Float64(a), Value::Float64(b)]),
            expected,
            &format!("{a} / {b}"),
        );
    }
    // Round to nearest even: the smallest subnormal halved is zero.
    assert_same_f64(call_f64(&mut sandbox, "div", &[Value::Float64(5e-324), Value::Float64(2.0)]), 0.0, "5e-324 / 2");
}

/// `mul_add` rounds once: 0.1 * 10 - 1 is not zero when fused.
#[test]
fn fused_multiply_add_rounds_once() {
    let fixture = Fixture::new();
    let mut sandbox = sandbox(&fixture);
    let triples = [(0.1, 10.0, -1.0), (1e308, 10.0, -1e308), (2.0, 3.0, 4.0), (-0.0, 1.0, 0.0), (1e-310, 1e-10, 0.0)];
    for (a, b, c) in triples {
        let actual = call_f64(&mut sandbox, "mul-add", &[Value::Float64(a), Value::Float64(b), Value::Float64(c)]);
        assert_same_f64(actual, black_box(a).mul_add(b, c), &format!("mul-add({a:e}, {b:e}, {c:e})"));
    }
    let fused = call_f64(&mut sandbox, "mul-add", &[Value::Float64(0.1), Value::Float64(10.0), Value::Float64(-1.0)]);
    assert_same_f64(fused, 5.551_115_123_125_783e-17, "mul-add(0.1, 10, -1)");
}

#[test]
fn conversions_match_the_host() {
    let fixture = Fixture::new();
    let mut sandbox = sandbox(&fixture);
    let wide = [
        1.0 / 3.0,
        1e300,
        -1e300,
        1e-50,
        -1e-50,
        f64::from(f32::MAX),
        3.402_823_567_797_336_6e38, // halfway between f32::MAX and 2^128: ties to even, so infinity
        f64::from(f32::from_bits(1)),
        -0.0,
        f64::INFINITY,
        f64::NAN,
        1e19,
        -1e19,
        9_223_372_036_854_774_784.0, // the largest double below 2^63
        9_007_199_254_740_993.0,
        4_294_967_295.9,
        4_294_967_296.0,
        2.9,
        -2.9,
    ];
    for x in wide {
        let arg = [Value::Float64(x)];
        #[expect(clippy::cast_possible_truncation, reason = "the conversions under test")]
        let demoted = black_box(x) as f32;
        assert_same_f32(call_f32(&mut sandbox, "demote", &arg), demoted, &format!("demote({x:e})"));
        #[expect(clippy::cast_possible_truncation, reason = "the conversions under test")]
        let signed = black_box(x) as i64;
        assert_eq!(sandbox.call("to-s64", &arg).expect("to-s64"), [Value::S64(signed)], "to-s64({x:e})");
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "the conversions under test")]
        let unsigned = black_box(x) as u32;
        assert_eq!(sandbox.call("to-u32", &arg).expect("to-u32"), [Value::U32(unsigned)], "to-u32({x:e})");
    }
    let narrow = [1.0f32 / 3.0, f32::MIN_POSITIVE, f32::from_bits(1), -0.0, f32::MAX, f32::NEG_INFINITY, 16_777_217.0];
    for x in narrow {
        let actual = call_f64(&mut sandbox, "promote", &[Value::Float32(x)]);
        assert_same_f64(actual, f64::from(x), &format!("promote({x:e})"));
    }
    // Saturation, against known answers.
    let saturating = [(f64::NAN, 0), (f64::INFINITY, i64::MAX), (-1e19, i64::MIN), (-2.9, -2), (-0.0, 0)];
    for (x, expected) in saturating {
        assert_eq!(sandbox.call("to-s64", &[Value::Float64(x)]).expect("to-s64"), [Value::S64(expected)], "{x}");
    }
    assert_eq!(sandbox.call("to-u32", &[Value::Float64(-1.0)]).expect("to-u32"), [Value::U32(0)]);
    assert_eq!(sandbox.call("to-u32", &[Value::Float64(1e10)]).expect("to-u32"), [Value::U32(u32::MAX)]);
}

#[test]
fn f32_square_root_matches_the_host() {
    let fixture = Fixture::new();
    let mut sandbox = sandbox(&fixture);
    for x in [2.0f32, 0.25, f32::MAX, f32::from_bits(1), -0.0, f32::INFINITY, 1e-20] {
        let actual = call_f32(&mut sandbox, "sqrt-f32", &[Value::Float32(x)]);
        assert_same_f32(actual, black_box(x).sqrt(), &format!("sqrt-f32({x:e})"));
    }
}

/// Bits the Wasm code produces reach the host unchanged.
#[test]
fn negative_zero_and_nan_payloads_leave_the_guest_intact() {
    let fixture = Fixture::new();
    let mut sandbox = sandbox(&fixture);
    let zero = call_f64(&mut sandbox, "negative-zero", &[]);
    assert_eq!(zero.to_bits(), 0x8000_0000_0000_0000, "-0.0 came back as {zero:e}");
    let nan = call_f64(&mut sandbox, "nan-with-payload", &[]);
    assert_eq!(nan.to_bits(), 0x7ff8_0000_dead_beef, "the NaN came back as {:#018x}", nan.to_bits());
    let nan = call_f32(&mut sandbox, "nan-with-payload-f32", &[]);
    assert_eq!(nan.to_bits(), 0x7fc0_1234, "the NaN came back as {:#010x}", nan.to_bits());
}

/// Bits cross the boundary unchanged in both directions: the guest sees the
/// bits the host sent (`bits-of`) and the host sees the bits the guest made
/// (`from-bits`).
#[test]
fn float_bits_cross_the_boundary_both_ways() {
    let fixture = Fixture::new();
    let mut sandbox = sandbox(&fixture);
    let patterns: [u64; 10] = [
        0,
        0x8000_0000_0000_0000, // -0.0
        1,                     // smallest subnormal
        0x800f_ffff_ffff_ffff, // largest negative subnormal
        0x7ff0_0000_0000_0000, // infinity
        0x7ff8_0000_0000_0000, // the canonical NaN
        0xfff8_0000_0000_0000, // negative canonical NaN
        0x7ff8_0000_dead_beef, // quiet NaN with payload
        0x7ff0_0000_0000_0001, // signalling NaN
        0xffff_ffff_ffff_ffff, // negative quiet NaN, all payload bits
    ];
    for bits in patterns {
        let seen = sandbox.call("bits-of", &[Value::Float64(f64::from_bits(bits))]).expect("bits-of");
        assert_eq!(seen, [Value::U64(bits)], "the guest saw other bits than {bits:#018x}");
        let made = call_f64(&mut sandbox, "from-bits", &[Value::U64(bits)]);
        assert_eq!(made.to_bits(), bits, "the host got {:#018x} for {bits:#018x}", made.to_bits());
    }
}
