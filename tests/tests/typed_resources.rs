//! Typed bindings of resources (`featherlight::bindgen!` over
//! `components/resources`) on real KVM: a host `HostBlob` implementation the
//! component creates, borrows and drops blobs through, and typed calls of the
//! component's own `counter` (constructor, methods, statics, drop).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use featherlight::{Borrow, Error, HandleProblem, HostError, Linker, Own, Side};
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
    assert!(
        matches!(&error, Error::InvalidHandle { handle, reason: HandleProblem::Dropped, from: Side::Host, .. }
            if *handle == stale),
        "{error:?}"
    );
    // The application's mistake: the sandbox stays usable.
    assert_eq!(counters.call_counter_get(&mut sandbox, Borrow::new(zero.rep())).unwrap(), 0);
}

/// wasmtime's bindings of the same world, for the differential test.
mod wt {
    wasmtime::component::bindgen!({ path: "components/resources/wit", world: "resources" });
}

use wasmtime::component::Resource;

/// The same blobs behind wasmtime's bindings.
#[derive(Default)]
struct WtBlobs(Blobs);

impl wt::test::resources::store::HostBlob for WtBlobs {
    fn new(&mut self, init: Vec<u8>) -> Resource<wt::test::resources::store::Blob> {
        Resource::new_own(self.0.add(init).rep())
    }

    fn len(&mut self, blob: Resource<wt::test::resources::store::Blob>) -> u32 {
        u32::try_from(self.0.live[&blob.rep()].len()).unwrap_or(u32::MAX)
    }

    fn append(&mut self, blob: Resource<wt::test::resources::store::Blob>, more: Vec<u8>) {
        self.0.live.get_mut(&blob.rep()).expect("a live blob").extend(more);
    }

    fn merge(
        &mut self,
        a: Resource<wt::test::resources::store::Blob>,
        b: Resource<wt::test::resources::store::Blob>,
    ) -> Resource<wt::test::resources::store::Blob> {
        let mut merged = self.0.live[&a.rep()].clone();
        merged.extend(&self.0.live[&b.rep()]);
        Resource::new_own(self.0.add(merged).rep())
    }

    fn drop(&mut self, blob: Resource<wt::test::resources::store::Blob>) -> wasmtime::Result<()> {
        self.0.live.remove(&blob.rep()).expect("dropped once");
        self.0.drops += 1;
        Ok(())
    }
}

impl wt::test::resources::store::Host for WtBlobs {}

#[test]
fn typed_resources_match_wasmtime_in_process() {
    // featherlight.
    let fixture = Fixture::new();
    let state = Arc::new(Mutex::new(Blobs::default()));
    let (fl, mut sandbox) =
        bindings::Resources::instantiate(&fixture.resources(), &Linker::new(), &state).expect("instantiate");
    // wasmtime, in process.
    let engine = wasmtime::Engine::default();
    let component = wasmtime::component::Component::from_file(&engine, featherlight_tests::RESOURCES_WASM)
        .expect("wasmtime compiles the resources component");
    let mut linker = wasmtime::component::Linker::<WtBlobs>::new(&engine);
    wt::Resources::add_to_linker::<WtBlobs, wasmtime::component::HasSelf<WtBlobs>>(&mut linker, |s| s)
        .expect("link the host");
    // The world's `use store.{blob}` imports `blob` at the root too, which
    // wasmtime's bindings leave to the embedder: the same type.
    let blob = wasmtime::component::ResourceType::host::<wt::test::resources::store::Blob>();
    linker.root().resource("blob", blob, |_, _| Ok(())).expect("link the world's blob");
    linker.define_unknown_imports_as_traps(&component).expect("stub other imports");
    let mut store = wasmtime::Store::new(&engine, WtBlobs::default());
    let wb = wt::Resources::instantiate(&mut store, &component, &linker).expect("wasmtime instantiates it");

    // The same calls, the same answers, the same host-side effects.
    assert_eq!(fl.call_churn(&mut sandbox, 50).unwrap(), wb.call_churn(&mut store, 50).unwrap());
    let fl_blob = state.lock().unwrap().add(b"same".to_vec());
    let wt_blob = store.data_mut().0.add(b"same".to_vec()).rep();
    assert_eq!(
        fl.call_measure(&mut sandbox, Borrow::new(fl_blob.rep())).unwrap(),
        wb.call_measure(&mut store, Resource::new_borrow(wt_blob)).unwrap()
    );
    assert_eq!(
        fl.call_consume(&mut sandbox, fl_blob).unwrap(),
        wb.call_consume(&mut store, Resource::new_own(wt_blob)).unwrap()
    );
    let fl_made = fl.call_make(&mut sandbox, &[1, 2, 3]).unwrap();
    let wt_made = wb.call_make(&mut store, &[1, 2, 3]).unwrap();
    assert_eq!(state.lock().unwrap().live[&fl_made.rep()], store.data().0.live[&wt_made.rep()]);
    assert_eq!(fl.call_merge_kept(&mut sandbox).unwrap(), wb.call_merge_kept(&mut store).unwrap());
    assert_eq!(fl.call_merge_kept(&mut sandbox).unwrap(), wb.call_merge_kept(&mut store).unwrap());

    let (fc, wc) = (fl.test_resources_counters(), wb.test_resources_counters().counter());
    let f = fc.call_counter_new(&mut sandbox, 7).unwrap();
    let w = wc.call_constructor(&mut store, 7).unwrap();
    fc.call_counter_add(&mut sandbox, Borrow::new(f.rep()), 5).unwrap();
    wc.call_add(&mut store, w, 5).unwrap();
    assert_eq!(fc.call_counter_get(&mut sandbox, Borrow::new(f.rep())).unwrap(), wc.call_get(&mut store, w).unwrap());
    let f_of = fc.call_counter_of_blob(&mut sandbox, Borrow::new(fl_made.rep())).unwrap();
    let w_of = wc.call_of_blob(&mut store, Resource::new_borrow(wt_made.rep())).unwrap();
    assert_eq!(
        fc.call_counter_get(&mut sandbox, Borrow::new(f_of.rep())).unwrap(),
        wc.call_get(&mut store, w_of).unwrap()
    );
    fc.call_counter_drop(&mut sandbox, f).unwrap();
    w.resource_drop(&mut store).unwrap();

    let (fl_state, wt_state) = (state.lock().unwrap(), &store.data().0);
    assert_eq!(fl_state.drops, wt_state.drops, "the guest dropped as many blobs on both");
    let mut fl_live: Vec<_> = fl_state.live.values().cloned().collect();
    let mut wt_live: Vec<_> = wt_state.live.values().cloned().collect();
    fl_live.sort();
    wt_live.sort();
    assert_eq!(fl_live, wt_live, "the same blobs are left on both");
}
