//! Lists of fixed-size scalars as one packed byte vector
//! ([`fb::PackedVal`](crate::fb::PackedVal)): little-endian, no padding, so a
//! `list<u32>` costs 4 bytes an element on the wire instead of a table each.
//! Host and guest map their own value types onto [`Scalar`] and move raw bits
//! (`u64`, zero-extended); each side checks what the bits mean (a bool is 0
//! or 1, a char a Unicode scalar value) when it makes a value of them.

use alloc::vec::Vec;

/// The element types a packed list may hold (`list<u8>` has its own
/// [`fb::BytesVal`](crate::fb::BytesVal)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    /// 1 byte, 0 or 1.
    Bool,
    /// 1 byte.
    S8,
    /// 2 bytes.
    S16,
    /// 2 bytes.
    U16,
    /// 4 bytes.
    S32,
    /// 4 bytes.
    U32,
    /// 4 bytes, a Unicode scalar value.
    Char,
    /// 4 bytes of IEEE 754 bits.
    F32,
    /// 8 bytes.
    S64,
    /// 8 bytes.
    U64,
    /// 8 bytes of IEEE 754 bits.
    F64,
}

impl Scalar {
    /// Bytes per element.
    pub const fn width(self) -> usize {
        match self {
            Self::Bool | Self::S8 => 1,
            Self::S16 | Self::U16 => 2,
            Self::S32 | Self::U32 | Self::Char | Self::F32 => 4,
            Self::S64 | Self::U64 | Self::F64 => 8,
        }
    }
}

/// A packed vector whose length is not a whole number of elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ragged {
    /// The vector's length.
    pub len: usize,
    /// The element width it should be a multiple of.
    pub width: usize,
}

impl core::fmt::Display for Ragged {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "a packed list of {} bytes is not a whole number of {}-byte elements", self.len, self.width)
    }
}

/// Packs `elements` (raw bits, see the module docs) of `scalar`.
pub fn pack(scalar: Scalar, count: usize, elements: impl Iterator<Item = u64>) -> Vec<u8> {
    let width = scalar.width();
    let mut bytes = Vec::with_capacity(count.saturating_mul(width));
    for bits in elements {
        bytes.extend_from_slice(&bits.to_le_bytes()[..width]);
    }
    bytes
}

/// The raw bits of each element of a packed vector of `scalar`.
pub fn unpack(scalar: Scalar, bytes: &[u8]) -> Result<impl ExactSizeIterator<Item = u64> + '_, Ragged> {
    let width = scalar.width();
    if !bytes.len().is_multiple_of(width) {
        return Err(Ragged { len: bytes.len(), width });
    }
    Ok(bytes.chunks_exact(width).map(bits_of))
}

/// The raw bits of one element given as its little-endian bytes (at most 8).
pub fn bits_of(le_bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let len = le_bytes.len().min(8);
    word[..len].copy_from_slice(&le_bytes[..len]);
    u64::from_le_bytes(word)
}

/// The low `N` bytes of `bits`, little-endian (to rebuild a value with its
/// type's `from_le_bytes`).
pub fn le_bytes<const N: usize>(bits: u64) -> [u8; N] {
    let mut out = [0u8; N];
    let len = N.min(8);
    out[..len].copy_from_slice(&bits.to_le_bytes()[..len]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_little_endian_and_refuses_ragged_vectors() {
        let bytes = pack(Scalar::U16, 2, [0x0102, 0xfffe].into_iter());
        assert_eq!(bytes, [0x02, 0x01, 0xfe, 0xff]);
        assert_eq!(unpack(Scalar::U16, &bytes).unwrap().collect::<Vec<_>>(), [0x0102, 0xfffe]);
        assert_eq!(unpack(Scalar::U32, &bytes[..3]).err(), Some(Ragged { len: 3, width: 4 }));
        assert_eq!(unpack(Scalar::F64, &[]).unwrap().len(), 0);
        assert_eq!(i16::from_le_bytes(le_bytes(bits_of(&(-2i16).to_le_bytes()))), -2);
    }
}
