//! Resources both ways on a real VM (`components/resources`): the host's
//! `blob` objects used by the component (own and borrow, the guest's drop
//! reaching the host), the component's `counter` objects used by the host
//! (constructor, methods, statics, drop), forged and stale handles, and a
//! handle table that stays small across many create/drop cycles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use featherlight::{Error, HandleProblem, HostError, Linker, Sandbox, Side, Value};
use featherlight_tests::Fixture;

const STORE: &str = "test:resources/store";
const COUNTERS: &str = "test:resources/counters";

/// The host's blobs by rep, the next rep, and the reps dropped so far.
#[derive(Default)]
struct Blobs {
    live: HashMap<u32, Vec<u8>>,
    next: u32,
    dropped: Vec<u32>,
}

impl Blobs {
    fn add(&mut self, bytes: Vec<u8>) -> Value {
        self.next += 1;
        self.live.insert(self.next, bytes);
        Value::Own(self.next)
    }
}

fn bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::List(items) => items.iter().map(|v| if let Value::U8(b) = v { *b } else { 0 }).collect(),
        other => panic!("not bytes: {other:?}"),
    }
}

fn borrowed(value: &Value) -> Result<u32, HostError> {
    match value {
        Value::Borrow(rep) => Ok(*rep),
        other => Err(HostError::msg(format!("expected a borrow, got {other:?}"))),
    }
}

fn linker(blobs: &Arc<Mutex<Blobs>>) -> Linker {
    let mut linker = Linker::new();
    let b = blobs.clone();
    linker.func(STORE, "[constructor]blob", move |args| Ok(vec![b.lock().unwrap().add(bytes(&args[0]))]));
    let b = blobs.clone();
    linker.func(STORE, "[method]blob.len", move |args| {
        let rep = borrowed(&args[0])?;
        let len = b.lock().unwrap().live.get(&rep).map(Vec::len).ok_or("no such blob")?;
        Ok(vec![Value::U32(u32::try_from(len).unwrap())])
    });
    let b = blobs.clone();
    linker.func(STORE, "[method]blob.append", move |args| {
        let rep = borrowed(&args[0])?;
        b.lock().unwrap().live.get_mut(&rep).ok_or("no such blob")?.extend(bytes(&args[1]));
        Ok(vec![])
    });
    let b = blobs.clone();
    linker.func(STORE, "[static]blob.merge", move |args| {
        let mut blobs = b.lock().unwrap();
        let mut merged = blobs.live.get(&borrowed(&args[0])?).cloned().ok_or("no such blob")?;
        merged.extend(blobs.live.get(&borrowed(&args[1])?).cloned().ok_or("no such blob")?);
        Ok(vec![blobs.add(merged)])
    });
    let b = blobs.clone();
    linker.func(STORE, "[resource-drop]blob", move |args| {
        let Value::Own(rep) = args[0] else { return Err("expected an owned handle".into()) };
        let mut blobs = b.lock().unwrap();
        blobs.live.remove(&rep).ok_or("dropped twice")?;
        blobs.dropped.push(rep);
        Ok(vec![])
    });
    linker
}

fn sandbox() -> (Sandbox, Arc<Mutex<Blobs>>) {
    let fixture = Fixture::new();
    let blobs = Arc::new(Mutex::new(Blobs::default()));
    let sandbox = Sandbox::new(&fixture.resources(), &linker(&blobs)).expect("the resources component instantiates");
    (sandbox, blobs)
}

#[test]
fn guest_drops_reach_the_host_and_the_table_stays_small() {
    let (mut sandbox, blobs) = sandbox();
    let n = 2000u32;
    let total = sandbox.call("churn", &[Value::U32(n)]).unwrap();
    // Lengths cycle 0, 1, 2, 3.
    assert_eq!(total, [Value::U32((0..n).map(|i| (i % 4).min(3)).sum())]);
    let blobs = blobs.lock().unwrap();
    assert_eq!(blobs.dropped.len(), n as usize, "every guest drop reached the host");
    assert!(blobs.live.is_empty());
    // One blob lives at a time: one slot, reused 2000 times.
    assert_eq!(sandbox.host_handles(), (0, 1));
}

#[test]
fn host_objects_move_both_ways_with_own_and_borrow() {
    let (mut sandbox, blobs) = sandbox();
    // A borrow the host lends for one call.
    let rep = blobs.lock().unwrap().add(b"hello".to_vec());
    let Value::Own(rep) = rep else { unreachable!() };
    assert_eq!(sandbox.call("measure", &[Value::Borrow(rep)]).unwrap(), [Value::U32(5)]);
    assert_eq!(sandbox.host_handles().0, 0, "the borrow ended with the call");
    assert!(blobs.lock().unwrap().dropped.is_empty(), "a borrow is not dropped");
    // Ownership given to the guest comes back as its drop.
    assert_eq!(sandbox.call("consume", &[Value::Own(rep)]).unwrap(), [Value::U32(6)]);
    assert_eq!(blobs.lock().unwrap().dropped, [rep]);
    // A blob the guest makes and gives away is the host's, not dropped.
    let made = sandbox.call("make", &[Value::List(vec![Value::U8(1), Value::U8(2)])]).unwrap();
    let [Value::Own(made)] = made[..] else { panic!("{made:?}") };
    assert_eq!(blobs.lock().unwrap().live[&made], [1, 2]);
    assert_eq!(sandbox.host_handles().0, 0);
    // Borrows in a call to the host (a static taking two), handles kept by
    // the guest across calls, dropped at the next call.
    assert_eq!(sandbox.call("merge-kept", &[]).unwrap(), [Value::U32(5)]);
    assert_eq!(sandbox.host_handles().0, 3);
    assert_eq!(sandbox.call("merge-kept", &[]).unwrap(), [Value::U32(5)]);
    // The old three were dropped before the new three: their slots are reused.
    assert_eq!(sandbox.host_handles(), (3, 3));
    assert_eq!(blobs.lock().unwrap().dropped.len(), 4);
}

fn counter_call(sandbox: &mut Sandbox, function: &str, args: &[Value]) -> Result<Vec<Value>, Error> {
    sandbox.call(&format!("{COUNTERS}.{function}"), args)
}

#[test]
fn guest_resources_have_constructors_methods_statics_and_drop() {
    let (mut sandbox, blobs) = sandbox();
    let made = counter_call(&mut sandbox, "[constructor]counter", &[Value::U32(5)]).unwrap();
    let [Value::Own(counter)] = made[..] else { panic!("{made:?}") };
    counter_call(&mut sandbox, "[method]counter.add", &[Value::Borrow(counter), Value::U32(3)]).unwrap();
    let got = counter_call(&mut sandbox, "[method]counter.get", &[Value::Borrow(counter)]).unwrap();
    assert_eq!(got, [Value::U32(8)]);
    let zero = counter_call(&mut sandbox, "[static]counter.zero", &[]).unwrap();
    let [Value::Own(zero)] = zero[..] else { panic!("{zero:?}") };
    assert_ne!(zero, counter);
    assert_eq!(counter_call(&mut sandbox, "[method]counter.get", &[Value::Borrow(zero)]).unwrap(), [Value::U32(0)]);
    // A static taking a borrow of a host object.
    let Value::Own(blob) = blobs.lock().unwrap().add(b"four".to_vec()) else { unreachable!() };
    let of = counter_call(&mut sandbox, "[static]counter.of-blob", &[Value::Borrow(blob)]).unwrap();
    let [Value::Own(of)] = of[..] else { panic!("{of:?}") };
    assert_eq!(counter_call(&mut sandbox, "[method]counter.get", &[Value::Borrow(of)]).unwrap(), [Value::U32(4)]);
    // Drop from the host; the handle is then stale.
    counter_call(&mut sandbox, "[resource-drop]counter", &[Value::Own(counter)]).unwrap();
    let stale = counter_call(&mut sandbox, "[method]counter.get", &[Value::Borrow(counter)]).unwrap_err();
    assert!(host_mistake(&stale, counter), "{stale:?}");
}

/// Whether `error` refuses the host's `handle` to a counter as one it was
/// not given or had dropped.
fn host_mistake(error: &Error, handle: u32) -> bool {
    matches!(error, Error::InvalidHandle { resource, handle: h, reason: HandleProblem::Dropped, from: Side::Host }
        if resource == "test:resources/counters#counter" && *h == handle)
}

#[test]
fn forged_guest_resource_handles_are_refused() {
    let (mut sandbox, _blobs) = sandbox();
    for forged in [0, 7, 12345, u32::MAX] {
        let error = counter_call(&mut sandbox, "[method]counter.get", &[Value::Borrow(forged)]).unwrap_err();
        assert!(host_mistake(&error, forged), "{error:?}");
        let error = counter_call(&mut sandbox, "[resource-drop]counter", &[Value::Own(forged)]).unwrap_err();
        assert!(host_mistake(&error, forged), "{error:?}");
    }
    // The application's mistakes do not poison the sandbox.
    assert!(!sandbox.is_poisoned());
    assert_eq!(counter_call(&mut sandbox, "[constructor]counter", &[Value::U32(1)]).unwrap().len(), 1);
}

/// The host calls a method of a counter it dropped, whose slot a new
/// counter took: the guest refuses before touching anything, the call fails
/// with `InvalidHandle` (the host's mistake: the sandbox stays usable), and
/// the new counter is as it was.
#[test]
fn a_dropped_guest_resource_whose_slot_was_reused_is_an_invalid_handle() {
    let (mut sandbox, _blobs) = sandbox();
    let new_counter = |sandbox: &mut Sandbox, start: u32| {
        let made = counter_call(sandbox, "[constructor]counter", &[Value::U32(start)]).unwrap();
        let [Value::Own(counter)] = made[..] else { panic!("{made:?}") };
        counter
    };
    let old = new_counter(&mut sandbox, 1);
    counter_call(&mut sandbox, "[resource-drop]counter", &[Value::Own(old)]).unwrap();
    let reused = new_counter(&mut sandbox, 20);
    assert_ne!(reused, old);
    assert_eq!(reused & 0xf_ffff, old & 0xf_ffff, "the new counter took the old one's slot");
    let error = counter_call(&mut sandbox, "[method]counter.add", &[Value::Borrow(old), Value::U32(1)]).unwrap_err();
    assert!(host_mistake(&error, old), "{error:?}");
    let error = counter_call(&mut sandbox, "[resource-drop]counter", &[Value::Own(old)]).unwrap_err();
    assert!(host_mistake(&error, old), "{error:?}");
    assert!(!sandbox.is_poisoned());
    assert_eq!(counter_call(&mut sandbox, "[method]counter.get", &[Value::Borrow(reused)]).unwrap(), [Value::U32(20)]);
    counter_call(&mut sandbox, "[method]counter.add", &[Value::Borrow(reused), Value::U32(2)]).unwrap();
    assert_eq!(counter_call(&mut sandbox, "[method]counter.get", &[Value::Borrow(reused)]).unwrap(), [Value::U32(22)]);
    assert_eq!(sandbox.host_handles().0, 0);
}

#[test]
fn handle_values_are_typed() {
    let (mut sandbox, _blobs) = sandbox();
    // An own where a borrow is expected is a type error before anything runs.
    let error = sandbox.call("measure", &[Value::Own(1)]).unwrap_err();
    assert!(matches!(error, Error::Type(_)), "{error}");
    assert_eq!(Value::Own(3).to_wave(), "Own(3)");
}

#[test]
fn snapshots_keep_the_handles_the_guest_held() {
    let (mut sandbox, blobs) = sandbox();
    sandbox.call("merge-kept", &[]).unwrap();
    let snapshot = sandbox.snapshot().unwrap();
    sandbox.call("merge-kept", &[]).unwrap();
    sandbox.call("churn", &[Value::U32(10)]).unwrap();
    assert_eq!(sandbox.host_handles(), (3, 4));
    sandbox.restore(&snapshot).unwrap();
    // The restored guest holds the snapshot's three handles, in the
    // snapshot's table; new handles work beside them.
    assert_eq!(sandbox.host_handles(), (3, 3));
    let drops = blobs.lock().unwrap().dropped.len();
    sandbox.call("churn", &[Value::U32(5)]).unwrap();
    assert_eq!(blobs.lock().unwrap().dropped.len(), drops + 5);
    assert_eq!(sandbox.host_handles(), (3, 4));
}
