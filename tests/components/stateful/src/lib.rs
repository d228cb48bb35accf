//! The stateful test component (see `wit/stateful.wit`): state that a call
//! leaves in linear memory, so tests can check what a restore removes.

wit_bindgen::generate!({
    path: "wit",
    world: "stateful",
});

use std::sync::Mutex;

const PAGE: usize = 4096;
const BUFFER_SIZE: usize = 16 << 20;

/// The secret in a static.
static SECRET: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// The secret in its own heap allocation.
static BOXED: Mutex<Option<Box<[u8]>>> = Mutex::new(None);
static COUNTER: Mutex<u32> = Mutex::new(0);
/// Allocated on first use, so a fresh instance has not touched it.
static BUFFER: Mutex<Vec<u8>> = Mutex::new(Vec::new());

fn with_buffer<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    let mut buffer = BUFFER.lock().unwrap_or_else(|e| e.into_inner());
    if buffer.is_empty() {
        buffer.resize(BUFFER_SIZE, 0);
    }
    f(&mut buffer)
}

struct Stateful;

impl Guest for Stateful {
    fn store(secret: Vec<u8>) {
        with_buffer(|buffer| {
            let len = secret.len().min(buffer.len());
            buffer[..len].copy_from_slice(&secret[..len]);
        });
        *BOXED.lock().unwrap_or_else(|e| e.into_inner()) = Some(secret.clone().into_boxed_slice());
        *SECRET.lock().unwrap_or_else(|e| e.into_inner()) = secret;
    }

    fn load() -> Option<Vec<u8>> {
        let secret = SECRET.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let boxed = BOXED.lock().unwrap_or_else(|e| e.into_inner()).as_deref().map(<[u8]>::to_vec).unwrap_or_default();
        let in_buffer = with_buffer(|buffer| buffer[..secret.len().min(buffer.len())].to_vec());
        (secret == boxed && secret == in_buffer).then_some(secret)
    }

    fn count() -> u32 {
        let mut counter = COUNTER.lock().unwrap_or_else(|e| e.into_inner());
        *counter = counter.wrapping_add(1);
        *counter
    }

    fn dirty(pages: u32, value: u8) -> u32 {
        with_buffer(|buffer| {
            let pages = (pages as usize).min(buffer.len() / PAGE);
            for page in 0..pages {
                // Not the first byte, which `store` may use.
                buffer[page * PAGE + PAGE / 2] = value;
            }
            pages as u32
        })
    }

    fn checksum() -> u64 {
        with_buffer(|buffer| buffer.iter().map(|b| u64::from(*b)).sum())
    }
}

export!(Stateful);
