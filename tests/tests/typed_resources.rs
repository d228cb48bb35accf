//! Typed bindings of resources (`featherlight::bindgen!` over
//! `components/resources`) on real KVM: a host `HostBlob` implementation the
//! component creates, borrows and drops blobs through, and typed calls of the
//! component's own `counter` (constructor, methods, statics, drop).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use featherlight::{Borrow, HostError, Linker, Own};
use featherlight_tests::Fixture;

mod bindings {
    featherlight::bindgen!({ path: "components/resources/wit", world: "resources" });
}

use bindings::test::resources::store::{Blob, Host, HostBlob};

/// The host's blobs, by rep.
#[derive(Default)]
struct Blobs {
    live: HashMap<u32, Vec<u8>>,
    next: u32,
    drops: usize,
}

impl Blobs {
    fn add(&mut self, bytes: Vec<u8>) -> Own<Blob> {
        self.next += 1;
        self.live.insert(self.next, bytes);
        Own::new(self.next)
    }

    fn get(&self, rep: u32) -> Result<&Vec<u8>, HostError> {
        self.live.get(&rep).ok_or_else(|| HostError::msg(format!("no blob {rep}")))
    }
}

impl HostBlob for Blobs {
    fn new(&mut self, init: Vec<u8>) -> Result<Own<Blob>, HostError> {
        Ok(self.add(init))
    }

    fn len(&mut self, blob: Borrow<Blob>) -> Result<u32, HostError> {
        Ok(u32::try_from(self.get(blob.rep())?.len()).unwrap_or(u32::MAX))
    }

    fn append(&mut self, blob: Borrow<Blob>, more: Vec<u8>) -> Result<(), HostError> {
        self.live.get_mut(&blob.rep()).ok_or("no such blob")?.extend(more);
        Ok(())
    }

    fn merge(&mut self, a: Borrow<Blob>, b: Borrow<Blob>) -> Result<Own<Blob>, HostError> {
        let mut merged = self.get(a.rep())?.clone();
        merged.extend(self.get(b.rep())?);
        Ok(self.add(merged))
    }

    fn drop(&mut self, blob: Own<Blob>) -> Result<(), HostError> {
        self.live.remove(&blob.rep()).ok_or("dropped twice")?;
        self.drops += 1;
        Ok(())
    }
}

impl Host for Blobs {}

#[test]
fn typed_resources_both_ways() {
    let fixture = Fixture::new();
    let state = Arc::new(Mutex::new(Blobs::default()));
    let (world, mut sandbox) =
        bindings::Resources::instantiate(&fixture.resources(), &Linker::new(), &state).expect("instantiate");

    assert_eq!(world.call_churn(&mut sandbox, 100).unwrap(), (0..100u32).map(|i| (i % 4).min(3)).sum::<u32>());
    assert_eq!(state.lock().unwrap().drops, 100);
    assert_eq!(sandbox.host_handles(), (0, 1));

    let blob = state.lock().unwrap().add(b"typed".to_vec());
    assert_eq!(world.call_measure(&mut sandbox, Borrow::new(blob.rep())).unwrap(), 5);
    assert_eq!(world.call_consume(&mut sandbox, blob).unwrap(), 6);
    assert_eq!(state.lock().unwrap().drops, 101);
    let made = world.call_make(&mut sandbox, &[9, 9]).unwrap();
    assert_eq!(state.lock().unwrap().live[&made.rep()], [9, 9]);

    let counters = world.test_resources_counters();
    let counter = counters.call_counter_new(&mut sandbox, 40).unwrap();
    counters.call_counter_add(&mut sandbox, Borrow::new(counter.rep()), 2).unwrap();
    assert_eq!(counters.call_counter_get(&mut sandbox, Borrow::new(counter.rep())).unwrap(), 42);
    let zero = counters.call_counter_zero(&mut sandbox).unwrap();
    assert_eq!(counters.call_counter_get(&mut sandbox, Borrow::new(zero.rep())).unwrap(), 0);
    let of = counters.call_counter_of_blob(&mut sandbox, Borrow::new(made.rep())).unwrap();
    assert_eq!(counters.call_counter_get(&mut sandbox, Borrow::new(of.rep())).unwrap(), 2);
    let stale = counter.rep();
    counters.call_counter_drop(&mut sandbox, counter).unwrap();
    let error = counters.call_counter_get(&mut sandbox, Borrow::new(stale)).unwrap_err();
    assert!(error.to_string().contains("was dropped"), "{error}");
}
