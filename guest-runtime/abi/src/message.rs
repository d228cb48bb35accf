//! Reading and writing size-prefixed messages.
//!
//! Both sides treat the other's buffer as hostile: a message is verified
//! (bounded depth, table count and size) before any field is read.
//!
//! # Messages larger than their buffer
//!
//! A message travels whole when it fits its buffer. A larger one travels in
//! chunks: the first fills the buffer and starts with the size prefix of the
//! whole message (so the receiver sees a length past the buffer and knows
//! more follows); each later chunk fills the buffer from offset 0 with the
//! next bytes, the last one only partly. Chunk sizes are never sent: both
//! sides compute them from the total and the buffer size. Every chunk costs
//! one exit, told apart by the value in `eax` at the [`ports::MESSAGE`] exit
//! ([`exit_value`]):
//! - guest -> host: the first chunk as any message ([`exit_value::MESSAGE`]),
//!   each later one [`exit_value::CONTINUED`];
//! - host -> guest: the host writes the first chunk before resuming the guest;
//!   the guest asks for each later one with [`exit_value::MORE_INPUT`], and
//!   the host writes it before resuming.
//!
//! Both sides hold a message to at most the sandbox's `max_message_size`
//! (boot parameters): a sender refuses to start a larger one and the receiver
//! refuses one that announces more.
//!
//! [`ports::MESSAGE`]: crate::ports::MESSAGE

use crate::fb;
use flatbuffers::{InvalidFlatbuffer, VerifierOptions};

/// Size of the little-endian length prefix in front of every message.
pub const SIZE_PREFIX: usize = 4;

/// Values in `eax` at a [`ports::MESSAGE`](crate::ports::MESSAGE) exit.
pub mod exit_value {
    /// A message, or the first chunk of one, is in the output buffer.
    pub const MESSAGE: u32 = 0;
    /// The next chunk of the guest's message is in the output buffer.
    pub const CONTINUED: u32 = 1;
    /// The guest has taken the input buffer's chunk and wants the next.
    pub const MORE_INPUT: u32 = 2;
}

/// The size of the next chunk of a `total`-byte message of which `done`
/// bytes have travelled, through a `capacity`-byte buffer.
pub fn next_chunk_len(total: usize, done: usize, capacity: usize) -> usize {
    total.saturating_sub(done).min(capacity)
}

/// Length of a message, prefix included, as its size prefix announces it.
pub fn announced_len(prefix: [u8; SIZE_PREFIX]) -> Option<usize> {
    usize::try_from(u32::from_le_bytes(prefix)).ok()?.checked_add(SIZE_PREFIX)
}

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
