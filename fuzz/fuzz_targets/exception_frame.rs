//! The exception frame a hostile guest may leave on its stack.
#![no_main]

use featherlight_wire::guest::{self, EXCEPTION_FRAME_SIZE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(raw) = data.first_chunk::<EXCEPTION_FRAME_SIZE>() else { return };
    let frame = guest::exception_frame(raw);
    assert_eq!(frame.rip.to_le_bytes()[..], raw[16..24]);
    assert_eq!(frame.ss.to_le_bytes()[..], raw[48..56]);
});
