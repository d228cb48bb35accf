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
        // SAFETY: deliberately invalid: the address lies beyond the end of this
        // component's linear memory (far below 4 GiB), so the Wasm load traps
        // before anything is read; `read_volatile` keeps the optimizer from
        // removing or reasoning about the load.
        unsafe { address.read_volatile() }
    }

    fn recurse(depth: u32) -> u32 {
        recurse(depth)
    }

    fn raw_div(a: i32, b: i32) -> i32 {
        // SAFETY: deliberately unsound for `b == 0` and for `a == i32::MIN, b == -1`,
        // where `checked_div` is `None`: claiming it never is lets the optimizer drop
        // Rust's checks (and their panics), so the division compiles to a bare
        // `i32.div_s`, whose traps the tests want to see. The arguments come from
        // the caller, so the optimizer cannot tell which case it is in.
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
/// the tests provide no WASI, so the panic would fail on an unknown import
/// before it reached `unreachable`.
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
