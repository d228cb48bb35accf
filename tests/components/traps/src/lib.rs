//! The `traps` test component (see `wit/traps.wit`): exports that trap in
//! every way the tests check, and imports that fail.

wit_bindgen::generate!({
    path: "wit",
    world: "traps",
});

use core::hint::black_box;
use test::traps::host;

/// The component's implementation of its world's exports.
struct Traps;

impl Guest for Traps {
    fn ok(x: u32) -> u32 {
        x.wrapping_mul(2)
    }

    fn unreachable() {
        core::arch::wasm32::unreachable()
    }

    fn panic(message: String) {
        silence_panics();
        panic!("{message}")
    }

    fn print(message: String) {
        eprintln!("{message}");
    }

    fn out_of_bounds() -> u32 {
        let address = black_box(0xffff_fff0_usize) as *const u32;
        // `read_volatile` keeps the optimizer from removing the load.
        // SAFETY: deliberately out of bounds: the address lies beyond this
        // component's linear memory, so the Wasm load traps before any read.
        unsafe { address.read_volatile() }
    }

    fn recurse(depth: u32) -> u32 {
        recurse(depth)
    }

    fn raw_div(a: i32, b: i32) -> i32 {
        // Claiming `checked_div` is never `None` drops Rust's checks, leaving a bare
        // `i32.div_s` for `b == 0` and `i32::MIN / -1` (deliberately unsound in Rust).
        // SAFETY: in Wasm that instruction traps on those inputs; the trap is the point.
        unsafe { a.checked_div(b).unwrap_unchecked() }
    }

    fn checked_div(a: i32, b: i32) -> i32 {
        silence_panics();
        a / b
    }

    fn call_missing(x: u32) -> u32 {
        host::missing(x)
    }

    fn call_failing(x: u32) -> u32 {
        host::fail(x)
    }

    fn call_increment(x: u32) -> u32 {
        host::increment(x)
    }

    fn grow(pages: u32) -> i64 {
        let old = core::arch::wasm32::memory_grow(0, pages as usize);
        if old == usize::MAX { -1 } else { old as i64 }
    }

    fn big_list(len: u32) -> Vec<u8> {
        vec![7; len as usize]
    }

    fn spin() {
        let mut n = 0u64;
        loop {
            // Opaque to the optimizer, so the loop stays.
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

/// Replaces std's default panic hook, which reads `RUST_BACKTRACE` through
/// `wasi:cli/environment` and prints the message through `wasi:cli/stderr`:
/// these panics are meant to reach `unreachable` silently.
fn silence_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}

/// `depth` nested calls that the optimizer can neither inline into a loop nor
/// drop: each frame combines the inner result with its own state in a way
/// that is not an accumulator (rotate, then xor). `recurse(0) = 0`.
fn recurse(depth: u32) -> u32 {
    if depth == 0 { 0 } else { recurse(depth - 1).rotate_left(1) ^ depth }
}

export!(Traps);
