//! Gathering a guest message that arrives in chunks, one output buffer per
//! exit (the protocol is in [`featherlight_abi::message`]).
//!
//! The guest chooses the size prefix, so nothing here trusts it: a length
//! past the sandbox's limit is refused before anything is allocated, and the
//! gathered bytes grow only as chunks actually arrive, so a guest that
//! announces a large message and stops costs the host only what it sent.

use crate::malformed::Malformed;
use featherlight_abi::message::{self, SIZE_PREFIX};

/// How the message in the output buffer travels.
#[derive(Debug)]
pub enum Framing {
    /// Whole, in the buffer: its length, prefix included.
    Whole(usize),
    /// In chunks: the first is in the buffer now.
    Chunked(Inbound),
}

/// Reads a message's size prefix: whole when it fits the `capacity`-byte
/// buffer, chunked when it is larger but within `limit` bytes (the sandbox's
/// `max_message_size`, prefix included), refused otherwise.
pub fn frame(prefix: [u8; SIZE_PREFIX], capacity: usize, limit: usize) -> Result<Framing, Malformed> {
    let announced = u64::from(u32::from_le_bytes(prefix)) + SIZE_PREFIX as u64;
    let total = message::announced_len(prefix)
        .filter(|total| *total <= limit)
        .ok_or(Malformed::OverLimit { len: announced, limit: limit as u64 })?;
    if total <= capacity {
        return Ok(Framing::Whole(total));
    }
    Ok(Framing::Chunked(Inbound { bytes: Vec::new(), total, capacity }))
}

/// A chunked message being gathered.
#[derive(Debug)]
pub struct Inbound {
    bytes: Vec<u8>,
    total: usize,
    capacity: usize,
}

impl Inbound {
    /// The size of the chunk the buffer holds now (0 once complete).
    pub fn next_len(&self) -> usize {
        message::next_chunk_len(self.total, self.bytes.len(), self.capacity)
    }

    /// Whether every chunk has arrived.
    pub fn is_complete(&self) -> bool {
        self.bytes.len() >= self.total
    }

    /// Appends the next chunk, which `read` copies into the slice it is
    /// given ([`next_len`](Self::next_len) bytes).
    pub fn take<E>(&mut self, read: impl FnOnce(&mut [u8]) -> Result<(), E>) -> Result<(), E> {
        let start = self.bytes.len();
        let len = self.next_len();
        // Grow by doubling, never past the announced total.
        if self.bytes.capacity() < start + len {
            let wanted = (start + len).max(start.saturating_mul(2)).min(self.total);
            self.bytes.reserve_exact(wanted - start);
        }
        self.bytes.resize(start + len, 0);
        read(&mut self.bytes[start..]).inspect_err(|_| self.bytes.truncate(start))
    }

    /// The whole message, prefix included, once complete.
    pub fn into_bytes(self) -> Option<Vec<u8>> {
        self.is_complete().then_some(self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(len: usize) -> [u8; 4] {
        u32::try_from(len - SIZE_PREFIX).unwrap().to_le_bytes()
    }

    #[test]
    fn small_messages_travel_whole_and_large_ones_in_buffer_sized_chunks() {
        assert!(matches!(frame(prefix(16), 16, 100), Ok(Framing::Whole(16))));
        let Ok(Framing::Chunked(mut inbound)) = frame(prefix(40), 16, 100) else { panic!("chunked") };
        let mut lens = Vec::new();
        let mut next = 0u8;
        while !inbound.is_complete() {
            lens.push(inbound.next_len());
            inbound
                .take(|chunk| {
                    chunk.fill(next);
                    next += 1;
                    Ok::<_, ()>(())
                })
                .unwrap();
        }
        assert_eq!(lens, [16, 16, 8]);
        let bytes = inbound.into_bytes().unwrap();
        assert_eq!(bytes.len(), 40);
        assert_eq!((bytes[0], bytes[16], bytes[39]), (0, 1, 2));
    }

    #[test]
    fn refuses_what_exceeds_the_limit_before_allocating() {
        assert_eq!(frame(prefix(101), 16, 100).unwrap_err(), Malformed::OverLimit { len: 101, limit: 100 });
        assert_eq!(frame(u32::MAX.to_le_bytes(), 16, usize::MAX).map(|f| matches!(f, Framing::Chunked(_))), Ok(true));
        assert_eq!(
            frame(u32::MAX.to_le_bytes(), 16, 1 << 20).unwrap_err(),
            Malformed::OverLimit { len: u64::from(u32::MAX) + 4, limit: 1 << 20 }
        );
    }

    #[test]
    fn a_failed_read_leaves_the_gathered_bytes_as_they_were() {
        let Ok(Framing::Chunked(mut inbound)) = frame(prefix(40), 16, 100) else { panic!("chunked") };
        assert_eq!(inbound.take(|_| Err("unreadable")), Err("unreadable"));
        assert_eq!(inbound.next_len(), 16);
        assert!(inbound.into_bytes().is_none());
    }
}
