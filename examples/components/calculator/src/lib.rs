//! The calculator example component (see `wit/calculator.wit`).

wit_bindgen::generate!({
    path: "wit",
    world: "calculator",
});

use featherlight::calculator::host;

/// The component's implementation of its world's exports.
struct Calculator;

impl Guest for Calculator {
    fn add(a: u32, b: u32) -> u32 {
        a.wrapping_add(b)
    }

    fn fib(n: u32) -> u64 {
        fib(n)
    }

    fn noop() {}

    fn sqrt(x: f64) -> f64 {
        x.sqrt()
    }

    fn call_host(n: u32) -> u32 {
        host::record_call(n).wrapping_add(1)
    }
}

/// Naive doubly recursive Fibonacci: exponential time, which is the point.
fn fib(n: u32) -> u64 {
    if n < 2 {
        u64::from(n)
    } else {
        fib(n - 1).wrapping_add(fib(n - 2))
    }
}

export!(Calculator);
