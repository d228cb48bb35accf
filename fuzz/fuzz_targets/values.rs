//! Values against types the fuzzer chooses: the input is a few value types
//! in `seeds::type_bytes` form, then a framed guest message carrying call
//! results or host call arguments. Whatever the host accepts must have its
//! type and survive being encoded back (the host returns values it got).
#![no_main]

use featherlight_wire::codec::decode_values;
use featherlight_wire::guest::{self, GuestMessage};
use featherlight_wire::seeds;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    let types = seeds::types_from_bytes(&mut rest);
    let values = match guest::decode_message(rest) {
        Ok(GuestMessage::Finished(values)) => values,
        Ok(GuestMessage::HostCall(call)) => call.args,
        _ => return,
    };
    let Ok(decoded) = decode_values(values, &types) else { return };
    for (value, ty) in decoded.iter().zip(&types) {
        if let Err(e) = ty.check(value) {
            panic!("decoded a value that does not have its type `{ty}`: {e}");
        }
    }
    let again = seeds::values_message(&decoded, &types, None);
    let Ok(GuestMessage::Finished(values)) = guest::decode_message(&again) else { panic!("re-encoded message") };
    let back = decode_values(values, &types).expect("re-encoded values decode");
    // Debug, not ==, so NaN compares equal to itself.
    assert_eq!(format!("{back:?}"), format!("{decoded:?}"));
});
