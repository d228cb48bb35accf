//! The `large` test component (see `wit/large.wit`): echoes values of any
//! size, directly and through the host.

wit_bindgen::generate!({
    path: "wit",
    world: "large",
});

use exports::test::large::big;
use test::large::host;
use test::large::types::{Entry, Scalars};

/// The component's implementation of its world's exports.
struct Large;

impl big::Guest for Large {
    fn echo_string(x: String) -> String {
        x
    }

    fn echo_bytes(x: Vec<u8>) -> Vec<u8> {
        x
    }

    fn echo_u32s(x: Vec<u32>) -> Vec<u32> {
        x
    }

    fn echo_entries(x: Vec<Entry>) -> Vec<Entry> {
        x
    }

    fn echo_scalars(x: Scalars) -> Scalars {
        x
    }

    fn via_host_string(x: String) -> String {
        host::echo_string(&x)
    }

    fn via_host_bytes(x: Vec<u8>) -> Vec<u8> {
        host::echo_bytes(&x)
    }

    fn via_host_u32s(x: Vec<u32>) -> Vec<u32> {
        host::echo_u32s(&x)
    }

    fn via_host_entries(x: Vec<Entry>) -> Vec<Entry> {
        host::echo_entries(&x)
    }

    fn make_string(len: u32) -> String {
        (b'a'..=b'z').cycle().take(len as usize).map(char::from).collect()
    }

    fn byte_sum(x: Vec<u8>) -> u64 {
        x.iter().map(|b| u64::from(*b)).sum()
    }
}

export!(Large);
