//! A component exporting the versioned interface `featherlight:cli-test/math@1.0.0`, for
//! the `featherlight run --invoke` tests with qualified names (see `wit/math.wit`).

wit_bindgen::generate!({
    path: "wit",
    world: "cli-test",
});

use exports::featherlight::cli_test::math::Guest;

/// The component's implementation of `math`.
struct Math;

impl Guest for Math {
    fn add(a: u32, b: u32) -> u32 {
        a.wrapping_add(b)
    }

    fn sum(values: Vec<u32>) -> u64 {
        values.iter().map(|v| u64::from(*v)).sum()
    }

    fn text(len: u32) -> String {
        "x".repeat(len as usize)
    }
}

export!(Math);
