//! The resources test component (see `wit/resources.wit`): uses the host's
//! `blob` resource and exports its own `counter` resource.

wit_bindgen::generate!({
    path: "wit",
    world: "resources",
});

use exports::test::resources::counters::{Guest as CountersGuest, GuestCounter};
use std::cell::Cell;
use std::sync::Mutex;

/// Blobs kept from one call to the next (dropped at the next `merge-kept`).
static KEPT: Mutex<Vec<Blob>> = Mutex::new(Vec::new());

struct Component;

/// The exported resource.
struct Counter(Cell<u32>);

impl GuestCounter for Counter {
    fn new(start: u32) -> Self {
        Self(Cell::new(start))
    }

    fn get(&self) -> u32 {
        self.0.get()
    }

    fn add(&self, n: u32) {
        self.0.set(self.0.get().wrapping_add(n));
    }

    fn zero() -> exports::test::resources::counters::Counter {
        exports::test::resources::counters::Counter::new(Counter::new(0))
    }

    fn of_blob(b: &Blob) -> exports::test::resources::counters::Counter {
        exports::test::resources::counters::Counter::new(Counter::new(b.len()))
    }
}

impl CountersGuest for Component {
    type Counter = Counter;
}

impl Guest for Component {
    fn churn(n: u32) -> u32 {
        let mut total = 0u32;
        for i in 0..n {
            let blob = Blob::new(&[0u8; 3][..(i % 4).min(3) as usize]);
            total = total.wrapping_add(blob.len());
        }
        total
    }

    fn measure(b: &Blob) -> u32 {
        b.len()
    }

    fn consume(b: Blob) -> u32 {
        b.append(b"!");
        b.len()
    }

    fn make(init: Vec<u8>) -> Blob {
        Blob::new(&init)
    }

    fn merge_kept() -> u32 {
        let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
        kept.clear();
        let a = Blob::new(b"ab");
        let b = Blob::new(b"cde");
        let merged = Blob::merge(&a, &b);
        let len = merged.len();
        kept.extend([a, b, merged]);
        len
    }
}

export!(Component);
