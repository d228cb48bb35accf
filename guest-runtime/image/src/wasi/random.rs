//! The guest's random generator: ChaCha20 keyed by the host (RFC 8439's
//! block function as a keystream), so random bytes cost no VM exit.

use alloc::vec::Vec;

/// A ChaCha20 keystream generator.
pub struct ChaCha20 {
    key: [u32; 8],
    counter: u64,
    block: [u8; 64],
    used: usize,
}

impl ChaCha20 {
    /// A generator keyed by the first 32 bytes of `seed` (zero-padded).
    pub fn new(seed: &[u8]) -> Self {
        let mut generator = Self { key: [0; 8], counter: 0, block: [0; 64], used: 64 };
        generator.reseed(seed);
        generator
    }

    /// Starts a new keystream keyed by `seed`.
    pub fn reseed(&mut self, seed: &[u8]) {
        let mut key = [0u8; 32];
        for (slot, byte) in key.iter_mut().zip(seed) {
            *slot = *byte;
        }
        for (word, bytes) in self.key.iter_mut().zip(key.chunks_exact(4)) {
            *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        self.counter = 0;
        self.used = 64;
    }

    /// Fills `out` with keystream bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for byte in out {
            if self.used == 64 {
                self.refill();
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = alloc::vec![0; len];
        self.fill(&mut out);
        out
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut bytes = [0; 8];
        self.fill(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    fn refill(&mut self) {
        #[allow(clippy::cast_possible_truncation)]
        let (low, high) = (self.counter as u32, (self.counter >> 32) as u32);
        let mut state = [
            0x6170_7865,
            0x3320_646e,
            0x7962_2d32,
            0x6b20_6574,
            self.key[0],
            self.key[1],
            self.key[2],
            self.key[3],
            self.key[4],
            self.key[5],
            self.key[6],
            self.key[7],
            low,
            high,
            0,
            0,
        ];
        let initial = state;
        for _ in 0..10 {
            quarter_round(&mut state, 0, 4, 8, 12);
            quarter_round(&mut state, 1, 5, 9, 13);
            quarter_round(&mut state, 2, 6, 10, 14);
            quarter_round(&mut state, 3, 7, 11, 15);
            quarter_round(&mut state, 0, 5, 10, 15);
            quarter_round(&mut state, 1, 6, 11, 12);
            quarter_round(&mut state, 2, 7, 8, 13);
            quarter_round(&mut state, 3, 4, 9, 14);
        }
        for (i, (word, start)) in state.iter().zip(initial).enumerate() {
            self.block[i * 4..i * 4 + 4].copy_from_slice(&word.wrapping_add(start).to_le_bytes());
        }
        self.counter = self.counter.wrapping_add(1);
        self.used = 0;
    }
}

fn quarter_round(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}
