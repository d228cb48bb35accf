//! Reading and writing size-prefixed messages.
//!
//! Both sides treat the other's buffer as hostile: a message is verified
//! (bounded depth, table count and size) before any field is read.

use crate::fb;
use flatbuffers::{InvalidFlatbuffer, VerifierOptions};

/// Size of the little-endian length prefix in front of every message.
pub const SIZE_PREFIX: usize = 4;

/// Verifier limits. Depth bounds nesting of WIT values; the table limit keeps
/// verification time linear in the buffer size.
pub fn verifier_options(buffer_len: usize) -> VerifierOptions {
    VerifierOptions {
        max_depth: 128,
        max_tables: buffer_len / 4 + 16,
        max_apparent_size: buffer_len.saturating_mul(2),
        ignore_missing_null_terminator: false,
    }
}

/// Length of the message in `buffer` including its prefix, if the prefix
/// fits the buffer.
pub fn framed_len(buffer: &[u8]) -> Option<usize> {
    let prefix: [u8; SIZE_PREFIX] = buffer.get(..SIZE_PREFIX)?.try_into().ok()?;
    let len = usize::try_from(u32::from_le_bytes(prefix)).ok()?;
    let total = len.checked_add(SIZE_PREFIX)?;
    (total <= buffer.len()).then_some(total)
}

/// Verifies and opens a host -> guest message.
pub fn host_message(buffer: &[u8]) -> Result<fb::HostMessage<'_>, InvalidFlatbuffer> {
    flatbuffers::size_prefixed_root_with_opts::<fb::HostMessage>(&verifier_options(buffer.len()), buffer)
}

/// Verifies and opens a guest -> host message.
pub fn guest_message(buffer: &[u8]) -> Result<fb::GuestMessage<'_>, InvalidFlatbuffer> {
    flatbuffers::size_prefixed_root_with_opts::<fb::GuestMessage>(&verifier_options(buffer.len()), buffer)
}
