//! The output buffer as a hostile guest may leave it: the host reads the
//! length prefix, copies the framed message out, verifies and decodes it
//! (call results and failures, host calls, log records, aborts), then
//! decodes any values against each sample type list.
#![no_main]

use featherlight_wire::codec::decode_values;
use featherlight_wire::guest::{self, GuestMessage};
use featherlight_wire::seeds;
use featherlight_wire::types::ValueType;
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;
use std::sync::LazyLock;

static TYPES: LazyLock<Vec<Vec<ValueType>>> = LazyLock::new(|| seeds::samples().into_iter().map(|(t, _)| t).collect());

fuzz_target!(|buffer: &[u8]| {
    let Some(prefix) = buffer.first_chunk() else { return };
    // As `Sandbox::receive`: the prefix is checked against the buffer size.
    let Ok(total) = guest::framed_len(*prefix, buffer.len() as u64) else { return };
    let bytes = buffer[..total].to_vec();
    let values = match guest::decode_message(&bytes) {
        Ok(GuestMessage::Finished(values)) => values,
        Ok(GuestMessage::HostCall(call)) => call.args,
        Ok(other) => {
            black_box(format!("{other:?}"));
            return;
        }
        Err(_) => return,
    };
    for types in TYPES.iter() {
        let _ = black_box(decode_values(values, types));
    }
});
