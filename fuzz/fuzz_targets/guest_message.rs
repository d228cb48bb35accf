//! The output buffer as a hostile guest may leave it: the host reads the
//! length prefix, copies the framed message out (gathering it chunk by chunk
//! from a small buffer when the prefix announces more), verifies and decodes it
//! (call results and failures, host calls, log records, aborts), then
//! decodes any values against each sample type list.
#![no_main]

use featherlight_wire::chunks::{self, Framing};
use featherlight_wire::codec::decode_values;
use featherlight_wire::guest::{self, GuestMessage};
use featherlight_wire::seeds;
use featherlight_wire::types::ValueType;
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;
use std::sync::LazyLock;

/// The output buffer's size in this model: small, so chunks are common.
const BUFFER: usize = 256;

static TYPES: LazyLock<Vec<Vec<ValueType>>> = LazyLock::new(|| seeds::samples().into_iter().map(|(t, _)| t).collect());

fuzz_target!(|buffer: &[u8]| {
    let Some(prefix) = buffer.first_chunk() else { return };
    // As `Sandbox::receive`: the prefix is checked against the limit (here
    // the input's length), and a message larger than the buffer is gathered
    // from the following exits' chunks (here the input's next bytes).
    let bytes = match chunks::frame(*prefix, BUFFER.min(buffer.len()), buffer.len()) {
        Ok(Framing::Whole(total)) => buffer[..total].to_vec(),
        Ok(Framing::Chunked(mut inbound)) => {
            let mut at = 0;
            while !inbound.is_complete() {
                let len = inbound.next_len();
                let Some(chunk) = buffer.get(at..at + len) else { return };
                let _ = inbound.take(|into| {
                    into.copy_from_slice(chunk);
                    Ok::<_, ()>(())
                });
                at += len;
            }
            inbound.into_bytes().unwrap_or_default()
        }
        Err(_) => return,
    };
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
