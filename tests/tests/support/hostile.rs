//! The hostile guest (`guest-runtime/hostile`) as a test fixture, shared by
//! the test binaries that use it (`#[path]` module).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use featherlight::{Component, Config, Engine, Error, HostError, Linker, MemoryConfig, Sandbox, Snapshot, Value};
use featherlight_tests::HOSTILE_GUEST;
use wit_parser::Resolve;

/// What the hostile guest pretends to export (its functions dispatch on
/// these names).
pub const WORLD: &str = "package test:hostile;
interface host {
  fail: func();
  ok: func() -> u32;
  unregistered: func();
  big: func() -> string;
  resource thing {
    poke: func() -> u32;
  }
  make: func() -> thing;
}
world hostile {
  import host;
  export swallow-host-failure: func();
  export call-after-host-failure: func();
  export import-wrong-args: func();
  export call-unregistered: func();
  export call-big: func();
  export echo: func(x: u32) -> u32;
  export forge-handle: func();
  export drop-twice: func();
  export wrong-result-type: func() -> u32;
  export wrong-result-count: func() -> u32;
  export corrupt-size-prefix: func();
  export short-size-prefix: func();
  export lie-offset: func();
  export lie-vector-length: func() -> string;
  export deep-nesting: func() -> u32;
  export garbage-flatbuffer: func();
  export empty-message: func();
  export unknown-body: func();
  export unknown-import: func();
  export fake-host-failure: func();
  export linear-memory-outside: func();
  export flood-log: func();
  export huge-abort: func();
  export log-burst: func();
  export rogue-exit: func();
  export dirty-fpu: func();
  export dirty-fpu-rogue: func();
  export read-fpu: func() -> u32;
  export unknown-port: func();
  export closed-port: func();
  export exception-port-lie: func();
  export hlt: func();
  export wrmsr: func();
  export mov-cr3: func();
  export syscall: func();
  export sysenter: func();
  export int-0x80: func();
  export vmcall: func();
  export vmmcall: func();
  export in-port: func();
  export rdmsr: func();
  export lgdt: func();
  export cli: func();
  export invlpg: func();
  export xsetbv: func();
  export jump-unmapped: func();
  export jump-non-canonical: func();
  export jump-writable: func();
  export triple-fault: func();
  export spin: func();
  export exhaust-scratch: func();
  export corrupt-page-tables: func();
  export corrupt-idt: func();
  export rewire-page-table: func();
  export announce-over-limit: func();
  export chunk-then-spin: func();
  export fs-forged: func() -> string;
  export fs-unknown-op: func();
  export chunk-then-new-message: func();
  export chunked-garbage: func();
  export unannounced-continuation: func();
  export unprompted-input-request: func();
}";

/// A component with the exports of `world` (a dummy core module: the
/// hostile guest never runs it, the host needs its WIT types).
pub fn component_bytes(world: &str) -> Vec<u8> {
    let mut resolve = Resolve::default();
    let package = resolve.push_str("hostile.wit", world).expect("hostile WIT");
    let world = resolve.select_world(&[package], Some("hostile")).expect("world");
    let mut module = wit_component::dummy_module(&resolve, world, wit_parser::ManglingAndAbi::Standard32);
    wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8)
        .expect("embed");
    wit_component::ComponentEncoder::default().module(&module).expect("module").validate(true).encode().expect("encode")
}

/// Host functions for the hostile guest: `fail` fails, `ok` returns 7,
/// `big` returns more than fits the input buffer (it travels in chunks),
/// `unregistered` is not there.
pub fn linker() -> Linker {
    let mut linker = Linker::new();
    linker.func("test:hostile/host", "fail", |_| Err(HostError::from("fail always fails")));
    linker.func("test:hostile/host", "ok", |_| Ok(vec![Value::U32(7)]));
    // Larger than the 1 MiB input buffer.
    linker.func("test:hostile/host", "big", |_| Ok(vec![Value::String("x".repeat(2 << 20))]));
    linker.func("test:hostile/host", "make", |_| Ok(vec![Value::Own(77)]));
    linker.func("test:hostile/host", "[method]thing.poke", |_| Ok(vec![Value::U32(1)]));
    linker
}

/// An engine booting the hostile guest, with a small scratch (so
/// comparing it and exhausting it are quick), no compile cache and a call
/// timeout that keeps any test from hanging.
pub fn engine_with_timeout(call_timeout: Duration) -> Engine {
    let memory = MemoryConfig { scratch_size: 32 << 20, ..MemoryConfig::default() };
    let config = Config {
        memory,
        cache_dir: None,
        guest_image: Some(HOSTILE_GUEST.into()),
        call_timeout: Some(call_timeout),
        ..Config::default()
    };
    Engine::new(config).expect("engine with the hostile guest")
}

/// The hostile component, compiled once for all tests.
pub fn component() -> &'static Component {
    static COMPONENT: OnceLock<Component> = OnceLock::new();
    COMPONENT.get_or_init(|| {
        Component::new(&engine_with_timeout(Duration::from_secs(20)), &component_bytes(WORLD)).expect("compile")
    })
}

/// A sandbox running the hostile guest, a snapshot of it after boot, and
/// the scratch memory of that snapshot.
pub struct Hostile {
    pub sandbox: Sandbox,
    pub snapshot: Arc<Snapshot>,
    pub baseline: Vec<u8>,
}

impl Hostile {
    pub fn new() -> Self {
        let mut sandbox = Sandbox::new(component(), &linker()).expect("the hostile guest boots");
        let snapshot = sandbox.snapshot().expect("snapshot");
        let baseline = featherlight::testing::scratch_contents(&sandbox).expect("scratch");
        let mut hostile = Self { sandbox, snapshot, baseline };
        hostile.assert_works();
        hostile
    }

    pub fn assert_works(&mut self) {
        let results = self.sandbox.call("echo", &[Value::U32(42)]).expect("echo works");
        assert_eq!(results, [Value::U32(42)]);
    }

    /// Calls `name`, which must fail with an error `expected` accepts and
    /// poison the sandbox; then restores the snapshot and calls `echo`.
    #[track_caller]
    pub fn misbehave(&mut self, name: &str, expected: impl Fn(&Error) -> bool) -> Error {
        let error = self.sandbox.call(name, &[]).expect_err(name);
        assert!(expected(&error), "{name}: unexpected error {error:?}");
        assert!(self.sandbox.is_poisoned(), "{name} poisons the sandbox");
        // Later calls are refused with the failure itself as the cause.
        match self.sandbox.call("echo", &[Value::U32(1)]) {
            Err(Error::Poisoned { cause, .. }) => assert!(expected(&cause), "{name}: poisoned by {cause:?}"),
            other => panic!("{name}: a poisoned sandbox answered {other:?}"),
        }
        self.sandbox.restore(&self.snapshot).expect("restore");
        // Nothing the guest did survives the restore.
        assert!(
            featherlight::testing::scratch_contents(&self.sandbox).expect("scratch") == self.baseline,
            "{name}: scratch differs"
        );
        self.assert_works();
        error
    }
}
