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

    fn echo_bytes(data: Vec<u8>) -> Vec<u8> {
        data
    }

    fn echo_string(text: String) -> String {
        text
    }

    fn sqrt(x: f64) -> f64 {
        x.sqrt()
    }

    fn call_host(n: u32) -> u32 {
        host::record_call(n).wrapping_add(1)
    }

    fn touch(pages: u32) -> u32 {
        let mut buffer = BUFFER.lock().unwrap_or_else(|e| e.into_inner());
        if buffer.is_empty() {
            buffer.resize(BUFFER_SIZE, 0);
        }
        let pages = (pages as usize).min(BUFFER_SIZE / PAGE);
        for page in 0..pages {
            buffer[page * PAGE] = buffer[page * PAGE].wrapping_add(1);
        }
        pages as u32
    }
}

const PAGE: usize = 4096;
const BUFFER_SIZE: usize = 4 << 20;

/// What `touch` writes into.
static BUFFER: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

/// Naive doubly recursive Fibonacci: exponential time, which is the point.
fn fib(n: u32) -> u64 {
    if n < 2 {
        u64::from(n)
    } else {
        fib(n - 1).wrapping_add(fib(n - 2))
    }
}

export!(Calculator);
