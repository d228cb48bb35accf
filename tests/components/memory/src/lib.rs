//! The memory test and benchmark component (see `wit/memory.wit`): programs
//! that grow linear memory and use it the way real programs do.

wit_bindgen::generate!({
    path: "wit",
    world: "memory",
});

use core::arch::wasm32;
use sha2::{Digest, Sha256};
use std::sync::Mutex;

const PAGE: usize = 4096;
const WASM_PAGE: u64 = 64 * 1024;

static KEPT: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Memory;

impl Guest for Memory {
    fn alloc_touch(bytes: u64) -> u64 {
        let len = usize::try_from(bytes).unwrap_or(usize::MAX);
        let mut buffer: Vec<u8> = Vec::with_capacity(len);
        buffer.resize(len, 0);
        for (index, page) in buffer.chunks_mut(PAGE).enumerate() {
            page[0] = (index % 251) as u8 + 1;
        }
        buffer.chunks(PAGE).map(|page| u64::from(page[0])).sum()
    }

    fn push(count: u64) -> u64 {
        let mut values = Vec::new();
        for value in 0..count {
            values.push(value);
        }
        values.iter().sum()
    }

    fn grow_steps(total: u64, step: u64, touch: bool) -> i64 {
        let pages = (step / WASM_PAGE).max(1);
        let mut grown = 0;
        while grown < total {
            let previous = wasm32::memory_grow(0, pages as usize);
            if previous == usize::MAX {
                return -1;
            }
            if touch {
                let address = previous * WASM_PAGE as usize;
                // SAFETY: the address is in the memory memory.grow just added.
                unsafe { (address as *mut u8).write_volatile(1) };
            }
            grown += pages * WASM_PAGE;
        }
        wasm32::memory_size(0) as i64
    }

    fn grow_until_fail() -> u64 {
        while wasm32::memory_grow(0, 1) != usize::MAX {}
        wasm32::memory_size(0) as u64
    }

    fn touch_forever(bytes: u64) {
        let pages = bytes.div_ceil(WASM_PAGE) as usize;
        let start = wasm32::memory_grow(0, pages);
        if start == usize::MAX {
            return;
        }
        let start = start * WASM_PAGE as usize;
        let mut round = 0u8;
        loop {
            round = round.wrapping_add(1);
            let mut address = start;
            while address < start + pages * WASM_PAGE as usize {
                // SAFETY: inside the memory grown above, which nothing else uses.
                unsafe { (address as *mut u8).write_volatile(round) };
                address += PAGE;
            }
        }
    }

    fn sieve(n: u32) -> u32 {
        let n = n as usize;
        let mut composite = vec![false; n];
        let mut count = 0;
        for i in 2..n {
            if !composite[i] {
                count += 1;
                // i * i overflows 32 bits past n = 65536: start from 2i then.
                let mut j = i.checked_mul(i).unwrap_or(n);
                while j < n {
                    composite[j] = true;
                    j += i;
                }
            }
        }
        count
    }

    fn sha256(len: u32) -> Vec<u8> {
        let data: Vec<u8> = (0..len as usize).map(|i| (i * 31 % 251) as u8).collect();
        Sha256::digest(&data).to_vec()
    }

    fn fill_and_keep(len: u64, seed: u8) -> u64 {
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let data: Vec<u8> = (0..len).map(|i| ((i % 251) as u8).wrapping_add(seed)).collect();
        let sum = data.iter().map(|b| u64::from(*b)).sum();
        *KEPT.lock().unwrap_or_else(|e| e.into_inner()) = data;
        sum
    }

    fn release() {
        *KEPT.lock().unwrap_or_else(|e| e.into_inner()) = Vec::new();
    }
}

export!(Memory);
