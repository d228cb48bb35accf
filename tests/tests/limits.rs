//! Limits on what a guest may take: a cap on Wasm linear memory, and scratch
//! memory too small for a component.

use featherlight::{
    Component, Config, DirtyPageMode, Engine, Error, Linker, MemoryConfig, MemoryConfigError, Sandbox, Value,
};
use featherlight_tests::{TRAPS_WASM, TempDir};

fn traps_with(memory: MemoryConfig) -> (TempDir, Result<Component, Error>) {
    let cache = TempDir::new();
    let engine = Engine::new(Config { memory, cache_dir: Some(cache.path().to_path_buf()), ..Config::default() });
    let component = engine.and_then(|engine| Component::from_file(&engine, TRAPS_WASM));
    (cache, component)
}

fn grow(sandbox: &mut Sandbox, pages: u32) -> i64 {
    match sandbox.call("grow", &[Value::U32(pages)]).expect("grow").as_slice() {
        [Value::S64(old)] => *old,
        other => panic!("grow returned {other:?}"),
    }
}

#[test]
fn memory_grow_past_the_cap_fails_inside_wasm() {
    let cap = 8 << 20;
    let (_cache, component) = traps_with(MemoryConfig { max_wasm_memory: Some(cap), ..MemoryConfig::default() });
    let mut sandbox = Sandbox::new(&component.expect("component"), &Linker::new()).expect("sandbox");
    let start = grow(&mut sandbox, 0);
    assert!(start > 0, "the component has a memory");
    // Up to the cap works, one page more does not, and the sandbox lives on.
    let room = u32::try_from(cap / 65536).expect("pages") - u32::try_from(start).expect("pages");
    assert_eq!(grow(&mut sandbox, room), start);
    assert_eq!(grow(&mut sandbox, 1), -1);
    assert_eq!(grow(&mut sandbox, 0), i64::from(room) + start);
    assert_eq!(sandbox.call("ok", &[Value::U32(2)]).expect("ok"), [Value::U32(4)]);
}

#[test]
fn without_a_cap_a_memory_grows_to_4_gib_whatever_the_heap() {
    let (_cache, component) = traps_with(MemoryConfig { scratch_size: 64 << 20, ..MemoryConfig::default() });
    let mut sandbox = Sandbox::new(&component.expect("component"), &Linker::new()).expect("sandbox");
    // Linear memory lives in its own 4 GiB reservation, not on the 64 MiB
    // scratch heap: 1 GiB fits, 4 GiB and a page does not (as in wasmtime).
    let start = grow(&mut sandbox, 16384);
    assert!(start > 0);
    let left = 65536 - 16384 - u32::try_from(start).expect("pages");
    assert_eq!(grow(&mut sandbox, left + 1), -1);
    assert_eq!(grow(&mut sandbox, left), start + 16384);
    assert_eq!(grow(&mut sandbox, 1), -1);
    assert_eq!(sandbox.call("ok", &[Value::U32(3)]).expect("ok"), [Value::U32(6)]);
}

#[test]
fn a_cap_below_one_page_is_refused_naming_the_setting() {
    let (_cache, component) = traps_with(MemoryConfig { max_wasm_memory: Some(1000), ..MemoryConfig::default() });
    match component {
        Err(Error::MemoryConfig(MemoryConfigError::TooSmall { field, minimum, .. })) => {
            assert_eq!(field, "max_wasm_memory");
            assert_eq!(minimum, 65536);
        }
        other => panic!("expected a MemoryConfig error, got {other:?}"),
    }
}

#[test]
fn exhausting_the_guest_heap_is_a_typed_error_and_restore_recovers() {
    let memory = MemoryConfig { scratch_size: 32 << 20, ..MemoryConfig::default() };
    let (_cache, component) = traps_with(memory);
    let mut sandbox = Sandbox::new(&component.expect("component"), &Linker::new()).expect("sandbox");
    let clean = sandbox.snapshot().expect("snapshot");
    // Small lists are fine.
    assert_eq!(sandbox.call("big-list", &[Value::U32(3)]).expect("big-list"), [Value::List(vec![Value::U8(7); 3])]);
    // 1 MiB of bytes fits in Wasm memory, but not once lifted value by value.
    match sandbox.call("big-list", &[Value::U32(1 << 20)]) {
        Err(Error::GuestOutOfMemory { heap_size }) => {
            assert!(heap_size > 0 && heap_size < 32 << 20, "heap of {heap_size} bytes");
        }
        other => panic!("expected GuestOutOfMemory, got {other:?}"),
    }
    assert!(sandbox.is_poisoned());
    sandbox.restore(&clean).expect("restore");
    assert_eq!(sandbox.call("ok", &[Value::U32(5)]).expect("ok"), [Value::U32(10)]);
}

/// A component in WAT with one linear memory of `pages` Wasm pages, and the
/// exports `noop` and `touch(n)`, which writes to `n` distinct 4 KiB pages of
/// that memory and returns `n`.
fn tiny_component(pages: u32) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(component
          (core module $m
            (memory {pages})
            (func (export "noop"))
            (func (export "touch") (param $n i32) (result i32)
              (local $i i32)
              (block $done
                (loop $next
                  (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                  (i32.store (i32.shl (local.get $i) (i32.const 12)) (i32.const 7))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $next)))
              (local.get $n)))
          (core instance $i (instantiate $m))
          (func (export "noop") (canon lift (core func $i "noop")))
          (func (export "touch") (param "n" u32) (result u32) (canon lift (core func $i "touch"))))"#
    ))
    .expect("valid WAT")
}

/// 1 MiB of scratch with the smallest buffers and stacks.
fn one_mib(mode: DirtyPageMode) -> Engine {
    let memory = MemoryConfig {
        scratch_size: 1 << 20,
        input_size: 16 << 10,
        output_size: 16 << 10,
        stack_size: 320 << 10,
        max_wasm_stack: 64 << 10,
        max_wasm_memory: None,
        linear_memories: 1,
        dirty_pages: mode,
        ..MemoryConfig::default()
    };
    Engine::new(Config { memory, ..Config::default() }).expect("1 MiB of scratch is a valid configuration")
}

#[test]
fn a_tiny_component_runs_and_restores_in_one_mib_of_scratch() {
    for mode in [DirtyPageMode::HostCow, DirtyPageMode::GuestCow] {
        let engine = one_mib(mode);
        let component = Component::new(&engine, &tiny_component(2)).expect("component");
        let mut sandbox = Sandbox::new(&component, &Linker::new()).expect("sandbox");
        let clean = sandbox.snapshot().expect("snapshot");
        for _ in 0..3 {
            assert_eq!(sandbox.call("touch", &[Value::U32(30)]).expect("touch"), [Value::U32(30)], "{mode:?}");
            sandbox.restore(&clean).expect("restore");
        }
        sandbox.call("noop", &[]).expect("noop");
    }
}

#[test]
fn linear_memory_does_not_need_room_in_scratch() {
    for mode in [DirtyPageMode::HostCow, DirtyPageMode::GuestCow] {
        let engine = one_mib(mode);
        // A 1 MiB linear memory lives in its own reservation, not on the
        // heap of a 1 MiB scratch (where it used to fail to instantiate).
        let component = Component::new(&engine, &tiny_component(16)).expect("component");
        let mut sandbox = Sandbox::new(&component, &Linker::new()).expect("sandbox");
        assert_eq!(sandbox.call("touch", &[Value::U32(200)]).expect("touch"), [Value::U32(200)], "{mode:?}");
    }
}
