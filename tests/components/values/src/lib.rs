//! The `values` test component (see `wit/values.wit`): echoes every WIT value
//! type, directly and through the host, and does float math in Wasm.

wit_bindgen::generate!({
    path: "wit",
    world: "values",
});

use exports::test::values::{echo, math};
use test::values::host;
use test::values::types::{Color, Permissions, Point, Shape};

/// The component's implementation of its world's exports.
struct Values;

impl echo::Guest for Values {
    fn echo_bool(x: bool) -> bool {
        x
    }

    fn echo_s8(x: i8) -> i8 {
        x
    }

    fn echo_u8(x: u8) -> u8 {
        x
    }

    fn echo_s16(x: i16) -> i16 {
        x
    }

    fn echo_u16(x: u16) -> u16 {
        x
    }

    fn echo_s32(x: i32) -> i32 {
        x
    }

    fn echo_u32(x: u32) -> u32 {
        x
    }

    fn echo_s64(x: i64) -> i64 {
        x
    }

    fn echo_u64(x: u64) -> u64 {
        x
    }

    fn echo_f32(x: f32) -> f32 {
        x
    }

    fn echo_f64(x: f64) -> f64 {
        x
    }

    fn echo_char(x: char) -> char {
        x
    }

    fn echo_string(x: String) -> String {
        x
    }

    fn echo_bytes(x: Vec<u8>) -> Vec<u8> {
        x
    }

    fn echo_strings(x: Vec<String>) -> Vec<String> {
        x
    }

    fn echo_record(x: Point) -> Point {
        x
    }

    fn echo_tuple(x: (u32, String, f64)) -> (u32, String, f64) {
        x
    }

    fn echo_variant(x: Shape) -> Shape {
        x
    }

    fn echo_enum(x: Color) -> Color {
        x
    }

    fn echo_option(x: Option<u32>) -> Option<u32> {
        x
    }

    fn echo_result(x: Result<String, u32>) -> Result<String, u32> {
        x
    }

    fn echo_flags(x: Permissions) -> Permissions {
        x
    }

    fn via_host_bool(x: bool) -> bool {
        host::echo_bool(x)
    }

    fn via_host_s8(x: i8) -> i8 {
        host::echo_s8(x)
    }

    fn via_host_u8(x: u8) -> u8 {
        host::echo_u8(x)
    }

    fn via_host_s16(x: i16) -> i16 {
        host::echo_s16(x)
    }

    fn via_host_u16(x: u16) -> u16 {
        host::echo_u16(x)
    }

    fn via_host_s32(x: i32) -> i32 {
        host::echo_s32(x)
    }

    fn via_host_u32(x: u32) -> u32 {
        host::echo_u32(x)
    }

    fn via_host_s64(x: i64) -> i64 {
        host::echo_s64(x)
    }

    fn via_host_u64(x: u64) -> u64 {
        host::echo_u64(x)
    }

    fn via_host_f32(x: f32) -> f32 {
        host::echo_f32(x)
    }

    fn via_host_f64(x: f64) -> f64 {
        host::echo_f64(x)
    }

    fn via_host_char(x: char) -> char {
        host::echo_char(x)
    }

    fn via_host_string(x: String) -> String {
        host::echo_string(&x)
    }

    fn via_host_bytes(x: Vec<u8>) -> Vec<u8> {
        host::echo_bytes(&x)
    }

    fn via_host_strings(x: Vec<String>) -> Vec<String> {
        host::echo_strings(&x)
    }

    fn via_host_record(x: Point) -> Point {
        host::echo_record(&x)
    }

    fn via_host_tuple(x: (u32, String, f64)) -> (u32, String, f64) {
        host::echo_tuple((x.0, &x.1, x.2))
    }

    fn via_host_variant(x: Shape) -> Shape {
        host::echo_variant(&x)
    }

    fn via_host_enum(x: Color) -> Color {
        host::echo_enum(x)
    }

    fn via_host_option(x: Option<u32>) -> Option<u32> {
        host::echo_option(x)
    }

    fn via_host_result(x: Result<String, u32>) -> Result<String, u32> {
        host::echo_result(x.as_deref().map_err(|e| *e))
    }

    fn via_host_flags(x: Permissions) -> Permissions {
        host::echo_flags(x)
    }
}

impl math::Guest for Values {
    fn sqrt(x: f64) -> f64 {
        x.sqrt()
    }

    fn sqrt_f32(x: f32) -> f32 {
        x.sqrt()
    }

    fn floor(x: f64) -> f64 {
        x.floor()
    }

    fn ceil(x: f64) -> f64 {
        x.ceil()
    }

    fn nearest(x: f64) -> f64 {
        x.round_ties_even()
    }

    fn trunc(x: f64) -> f64 {
        x.trunc()
    }

    fn min(a: f64, b: f64) -> f64 {
        a.min(b)
    }

    fn max(a: f64, b: f64) -> f64 {
        a.max(b)
    }

    fn mul_add(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }

    fn div(a: f64, b: f64) -> f64 {
        a / b
    }

    fn demote(x: f64) -> f32 {
        x as f32
    }

    fn promote(x: f32) -> f64 {
        f64::from(x)
    }

    fn to_s64(x: f64) -> i64 {
        x as i64
    }

    fn to_u32(x: f64) -> u32 {
        x as u32
    }

    fn negative_zero() -> f64 {
        -0.0
    }

    fn nan_with_payload() -> f64 {
        f64::from_bits(0x7ff8_0000_dead_beef)
    }

    fn nan_with_payload_f32() -> f32 {
        f32::from_bits(0x7fc0_1234)
    }

    fn bits_of(x: f64) -> u64 {
        x.to_bits()
    }

    fn from_bits(bits: u64) -> f64 {
        f64::from_bits(bits)
    }
}

export!(Values);
