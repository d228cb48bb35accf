//! Values of any size cross the VM boundary in both directions — export
//! arguments and results, host-import arguments and results — exactly as
//! they do in wasmtime in-process with the same component, including
//! wasmtime's own refusals at its default hostcall fuel; messages over the
//! sandbox's `max_message_size` are refused with a typed error from either
//! side and leave the sandbox usable.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "test data made of indexes, wrapped on purpose"
)]

#[path = "support/reference.rs"]
mod reference;

use featherlight::{Config, Error, Linker, MemoryConfig, Sandbox, Snapshot, Value};
use featherlight_tests::{Fixture, LARGE_WASM, identical};
use reference::{Reference, from_val, to_val};
use std::sync::Arc;
use std::sync::Mutex;

const BIG: &str = "test:large/big";
const HOST: &str = "test:large/host";
const ECHOES: [&str; 4] = ["echo-string", "echo-bytes", "echo-u32s", "echo-entries"];
const MIB: usize = 1 << 20;
/// wasmtime's words when a call lifts more than its hostcall fuel allows.
const FUEL_EXHAUSTED: &str = "fuel allocated for hostcalls has been exhausted";

/// A sandbox of `large` whose host functions echo their argument, with
/// `memory` (and a scratch large enough for a 64 MiB `list<u8>` as
/// wasmtime's `Val`s, which the guest holds while it calls).
fn sandbox(memory: MemoryConfig) -> (Fixture, Sandbox) {
    let fixture = Fixture::with_config(Config { memory, ..Config::default() });
    let component = fixture.load(LARGE_WASM);
    let mut linker = Linker::new();
    for name in ECHOES {
        linker.func(HOST, name, |args: &[Value]| Ok(args.to_vec()));
    }
    let sandbox = Sandbox::new(&component, &linker).expect("sandbox");
    (fixture, sandbox)
}

fn large_scratch() -> MemoryConfig {
    MemoryConfig { scratch_size: 4 << 30, ..MemoryConfig::default() }
}

fn string_of(len: usize) -> Value {
    Value::String(('a'..='z').chain('0'..='9').cycle().take(len).collect())
}

fn bytes_of(len: usize) -> Value {
    Value::List((0..len).map(|i| Value::U8((i * 7 % 251) as u8)).collect())
}

fn u32s_of(count: u32) -> Value {
    Value::List((0..count).map(|i| Value::U32(i.wrapping_mul(2_654_435_761))).collect())
}

fn entries_of(count: usize) -> Value {
    Value::List(
        (0..count)
            .map(|i| {
                Value::Record(vec![
                    ("name".into(), Value::String(format!("entry number {i} ✓"))),
                    ("tags".into(), Value::List((0..i % 4).map(|t| Value::String(format!("tag-{t}-{i}"))).collect())),
                    ("weight".into(), Value::U32(i as u32)),
                ])
            })
            .collect(),
    )
}

fn scalars_of(count: usize) -> Value {
    let list = |f: &dyn Fn(usize) -> Value| Value::List((0..count).map(f).collect());
    Value::Record(vec![
        ("bools".into(), list(&|i| Value::Bool(i % 3 == 0))),
        ("s8s".into(), list(&|i| Value::S8(i as i8))),
        ("s16s".into(), list(&|i| Value::S16((i as i16).wrapping_neg()))),
        ("u16s".into(), list(&|i| Value::U16(i as u16 ^ 0x8000))),
        ("s32s".into(), list(&|i| Value::S32(i32::MIN + i as i32))),
        ("s64s".into(), list(&|i| Value::S64(i64::MIN / (i as i64 + 1)))),
        ("u64s".into(), list(&|i| Value::U64(u64::MAX - i as u64))),
        ("f32s".into(), list(&|i| Value::Float32(i as f32 * -0.5))),
        ("f64s".into(), list(&|i| Value::Float64(f64::from_bits(0x7ff8_0000_0000_0000 | i as u64)))),
        ("chars".into(), list(&|i| Value::Char(char::from_u32(0x1f600 + (i % 64) as u32).unwrap_or('x')))),
    ])
}

/// Calls `function` with `arg` in the sandbox and in wasmtime: both return
/// the same results, or both refuse for lack of hostcall fuel.
/// Where a refusal (a trap in both) leaves the two sides: restored.
struct Pair {
    sandbox: Sandbox,
    snapshot: Arc<Snapshot>,
    reference: Reference,
    fuel: Option<usize>,
}

impl Pair {
    fn new(memory: MemoryConfig) -> (Fixture, Self) {
        let fuel = Some(memory.hostcall_fuel as usize).filter(|f| *f != MemoryConfig::default().hostcall_fuel as usize);
        let (fixture, mut sandbox) = sandbox(memory);
        let snapshot = sandbox.snapshot().expect("snapshot");
        let reference = Reference::new(LARGE_WASM, HOST, &ECHOES, BIG, fuel);
        (fixture, Self { sandbox, snapshot, reference, fuel })
    }

    #[track_caller]
    fn same_as_wasmtime(&mut self, function: &str, arg: Value) {
        if !same_as_wasmtime(&mut self.sandbox, &mut self.reference, function, arg) {
            // A trap leaves wasmtime's instance, and the sandbox, unusable.
            self.sandbox.restore(&self.snapshot).expect("restore");
            self.reference = Reference::new(LARGE_WASM, HOST, &ECHOES, BIG, self.fuel);
        }
    }
}

/// Returns whether both succeeded.
#[track_caller]
fn same_as_wasmtime(sandbox: &mut Sandbox, reference: &mut Reference, function: &str, arg: Value) -> bool {
    let ours = sandbox.call(&format!("{BIG}.{function}"), std::slice::from_ref(&arg));
    let theirs = reference.call(function, &[to_val(&arg)], 1);
    drop(arg);
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            let theirs: Vec<Value> = theirs.iter().map(from_val).collect();
            // Bit for bit (NaN payloads count), and no 64 MiB assertion message.
            let same = ours.len() == theirs.len() && ours.iter().zip(&theirs).all(|(a, b)| identical(a, b));
            assert!(same, "{function}: results differ from wasmtime's");
            assert!(!sandbox.is_poisoned(), "{function}: the sandbox is poisoned");
            true
        }
        (Err(ours), Err(theirs)) => {
            assert!(theirs.contains(FUEL_EXHAUSTED), "{function}: wasmtime refused unexpectedly: {theirs}");
            assert!(
                ours.to_string().contains(FUEL_EXHAUSTED),
                "{function}: featherlight refused differently from wasmtime ({theirs}): {ours}"
            );
            false
        }
        (ours, theirs) => panic!(
            "{function}: featherlight {} where wasmtime {}",
            ours.map_or_else(|e| format!("failed ({e})"), |_| "succeeded".into()),
            theirs.map_or_else(|e| format!("failed ({e})"), |_| "succeeded".into())
        ),
    }
}

/// The tests hold gigabytes at their peak (values as featherlight's and as
/// wasmtime's, and the guest's copy): one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn values_of_any_size_travel_both_ways_as_in_wasmtime() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (_fixture, mut pair) = Pair::new(large_scratch());
    for size in [16 * MIB, 64 * MIB] {
        for function in ["echo-string", "via-host-string"] {
            pair.same_as_wasmtime(function, string_of(size));
        }
        pair.same_as_wasmtime("make-string", Value::U32(size as u32));
        // A `list<u8>` result costs a `Val` per byte in hostcall fuel:
        // wasmtime refuses to lift 16 MiB of them at its default fuel, and
        // so does the guest's wasmtime; as an argument it travels. (The
        // 64 MiB list skips the host-import path the 16 MiB one covers.)
        let functions: &[&str] =
            if size == 16 * MIB { &["echo-bytes", "via-host-bytes", "byte-sum"] } else { &["echo-bytes", "byte-sum"] };
        for function in functions {
            pair.same_as_wasmtime(function, bytes_of(size));
        }
    }
    for function in ["echo-u32s", "via-host-u32s"] {
        pair.same_as_wasmtime(function, u32s_of(1_000_000));
    }
    for function in ["echo-entries", "via-host-entries"] {
        pair.same_as_wasmtime(function, entries_of(20_000));
    }
    pair.same_as_wasmtime("echo-scalars", scalars_of(100_000));
}

#[test]
fn raised_hostcall_fuel_lets_large_byte_lists_come_back() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let fuel = 1 << 30;
    let (_fixture, mut pair) = Pair::new(MemoryConfig { hostcall_fuel: fuel, ..large_scratch() });
    for function in ["echo-bytes", "via-host-bytes"] {
        pair.same_as_wasmtime(function, bytes_of(16 * MIB));
    }
}

#[test]
fn messages_over_the_limit_are_refused_by_either_side_and_the_sandbox_carries_on() {
    let limit = MIB;
    // Small buffers: messages below the limit travel in chunks too.
    let memory = MemoryConfig {
        scratch_size: 64 << 20,
        input_size: 64 << 10,
        output_size: 64 << 10,
        max_message_size: limit as u64,
        ..MemoryConfig::default()
    };
    let fixture = Fixture::with_config(Config { memory, ..Config::default() });
    let mut linker = Linker::new();
    // The host's echo doubles the string: its results outgrow its arguments.
    linker.func(HOST, "echo-string", |args: &[Value]| match args {
        [Value::String(s)] => Ok(vec![Value::String(s.repeat(2))]),
        other => Err(format!("unexpected arguments {other:?}").into()),
    });
    let mut sandbox = Sandbox::new(&fixture.load(LARGE_WASM), &linker).expect("sandbox");
    let snapshot = sandbox.snapshot().expect("snapshot");
    let clean = featherlight::testing::scratch_contents(&sandbox).expect("scratch");

    let text = string_of(limit / 2);
    let echo = format!("{BIG}.echo-string");
    assert_eq!(sandbox.call(&echo, std::slice::from_ref(&text)).expect("half the limit"), [text]);
    let too_large = |error: Error| match error {
        Error::MessageTooLarge { len, limit: l } => assert!(l == limit as u64 && len > l, "{len} / {l}"),
        other => panic!("expected MessageTooLarge, got {other:?}"),
    };
    // Arguments: the host refuses to send them.
    too_large(sandbox.call(&echo, &[string_of(2 * limit)]).expect_err("arguments over the limit"));
    // A host function's results: the host refuses to send them, the guest
    // fails the call.
    assert!(!sandbox.is_poisoned(), "refused arguments leave the sandbox usable");
    let small = string_of(1000);
    let echoed = sandbox.call(&echo, std::slice::from_ref(&small)).expect("still works");
    assert_eq!(echoed, std::slice::from_ref(&small));
    // Results: the guest refuses to send them. The call is abandoned in
    // the guest: the sandbox wants a restore, as after a trap.
    too_large(sandbox.call(&format!("{BIG}.make-string"), &[Value::U32(2 * limit as u32)]).expect_err("results"));
    assert!(matches!(sandbox.call(&echo, std::slice::from_ref(&small)), Err(Error::Poisoned { .. })));
    sandbox.restore(&snapshot).expect("restore");
    // A host function's results: the host refuses to send them and the
    // guest traps the call on it.
    let three_quarters = string_of(limit * 3 / 4);
    too_large(sandbox.call(&format!("{BIG}.via-host-string"), &[three_quarters]).expect_err("host results"));
    sandbox.restore(&snapshot).expect("restore");
    assert_eq!(sandbox.call(&echo, std::slice::from_ref(&small)).expect("works after restore"), [small]);

    sandbox.restore(&snapshot).expect("restore");
    let restored = featherlight::testing::scratch_contents(&sandbox).expect("scratch");
    assert!(restored == clean, "restore leaves scratch as the snapshot had it");
}

/// featherlight's typed bindings of the `large` world.
mod typed {
    featherlight::bindgen!({ path: "components/large/wit", world: "large" });
}

use typed::test::large::types::Entry;

/// The typed host: echoes.
struct TypedEcho;

impl typed::test::large::host::Host for TypedEcho {
    fn echo_string(&mut self, x: String) -> Result<String, featherlight::HostError> {
        Ok(x)
    }

    fn echo_bytes(&mut self, x: Vec<u8>) -> Result<Vec<u8>, featherlight::HostError> {
        Ok(x)
    }

    fn echo_u32s(&mut self, x: Vec<u32>) -> Result<Vec<u32>, featherlight::HostError> {
        Ok(x)
    }

    fn echo_entries(&mut self, x: Vec<Entry>) -> Result<Vec<Entry>, featherlight::HostError> {
        Ok(x)
    }
}

#[test]
fn typed_bindings_carry_large_values_both_ways() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let fixture = Fixture::with_config(Config { memory: large_scratch(), ..Config::default() });
    let state = Arc::new(Mutex::new(TypedEcho));
    let (bindings, mut sandbox) =
        typed::Large::instantiate(&fixture.load(LARGE_WASM), &Linker::new(), &state).expect("large fits its world");
    let big = bindings.test_large_big();
    let entries: Vec<Entry> = (0..20_000u32)
        .map(|i| Entry { name: format!("entry {i}"), tags: (0..i % 3).map(|t| format!("t{t}")).collect(), weight: i })
        .collect();
    assert_eq!(big.call_echo_entries(&mut sandbox, &entries).expect("echo-entries"), entries);
    assert_eq!(big.call_via_host_entries(&mut sandbox, &entries).expect("via-host-entries"), entries);
    let numbers: Vec<u32> = (0..1_000_000).collect();
    assert_eq!(big.call_via_host_u32s(&mut sandbox, &numbers).expect("via-host-u32s"), numbers);
    let text = "typed ✓ ".repeat(2 << 20);
    assert_eq!(big.call_via_host_string(&mut sandbox, &text).expect("via-host-string"), text);
    assert!(!sandbox.is_poisoned());
}
