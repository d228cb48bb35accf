//! A snapshot file's header: the file's length (first 8 bytes), then its
//! first bytes. Whatever the parser accepts encodes back to the same bytes.
#![no_main]

use featherlight_wire::snapshot_file::{self, DIGEST_RANGE, FIXED_HEADER};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((len, bytes)) = data.split_first_chunk::<8>() else { return };
    let file_len = u64::from_le_bytes(*len);
    let Ok(header) = snapshot_file::decode_header(bytes, file_len) else { return };
    let mut encoded = snapshot_file::encode_header(&header.metadata, header.file_len);
    encoded[DIGEST_RANGE].copy_from_slice(&header.digest);
    assert_eq!(encoded[..], bytes[..FIXED_HEADER + header.metadata_len]);
});
