//! Filesystem and sockets: components importing them (here at WASI 0.2.3,
//! as `cargo component`'s wasip1 adapter does, from the vendored WIT in
//! `wit/deps`) link and run, but are granted nothing: no preopened
//! directories, `access-denied` where an error code can say so, and
//! [`Error::NotGranted`] otherwise.

use featherlight::{Component, Error, Linker, Sandbox, Value};
use featherlight_tests::Fixture;
use wit_parser::Resolve;

const VERSION: &str = "0.2.3";

/// A component calling `instance-network`, `create-tcp-socket` and
/// `get-directories` of WASI 0.2.3 directly (a hand-written core module).
fn component() -> Vec<u8> {
    let wit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit/deps");
    let mut resolve = Resolve::default();
    for package in ["io", "clocks", "filesystem", "sockets"] {
        let path = wit.join(package).join(format!("{package}.wit"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        // The vendored WIT is the newest 0.2.x; components in the wild import older ones.
        let text = text.replace("@0.2.12;", &format!("@{VERSION};")).replace("@0.2.12.", &format!("@{VERSION}."));
        resolve.push_str(&path, &text).unwrap_or_else(|e| panic!("parse {}: {e:?}", path.display()));
    }
    let world = resolve
        .push_str(
            "world.wit",
            &format!(
                "package test:denied;\n\
                 world denied {{\n\
                   import wasi:sockets/instance-network@{VERSION};\n\
                   import wasi:sockets/tcp-create-socket@{VERSION};\n\
                   import wasi:filesystem/preopens@{VERSION};\n\
                   export network: func() -> u32;\n\
                   export tcp: func() -> u32;\n\
                   export preopens: func() -> u32;\n\
                 }}"
            ),
        )
        .expect("world WIT");
    let world = resolve.select_world(&[world], Some("denied")).expect("world");
    let mut module = wat::parse_str(format!(
        r#"(module
          (import "wasi:sockets/instance-network@{VERSION}" "instance-network" (func $network (result i32)))
          (import "wasi:sockets/tcp-create-socket@{VERSION}" "create-tcp-socket" (func $tcp (param i32 i32)))
          (import "wasi:filesystem/preopens@{VERSION}" "get-directories" (func $directories (param i32)))
          (memory (export "memory") 1)
          (global $heap (mut i32) (i32.const 1024))
          (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
            (local $p i32)
            (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
            (global.set $heap (i32.add (local.get $p) (local.get 3)))
            (local.get $p))
          (func (export "network") (result i32) (call $network))
          ;; result<tcp-socket, error-code> at 32: discriminant, then payload at 36.
          (func (export "tcp") (result i32)
            (call $tcp (i32.const 0) (i32.const 32))
            (i32.add (i32.mul (i32.load8_u (i32.const 32)) (i32.const 256)) (i32.load8_u (i32.const 36))))
          ;; list<tuple<descriptor, string>> at 16: pointer, then length at 20.
          (func (export "preopens") (result i32)
            (call $directories (i32.const 16))
            (i32.load (i32.const 20))))"#
    ))
    .expect("valid WAT");
    wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8)
        .expect("embed");
    wit_component::ComponentEncoder::default().module(&module).expect("module").validate(true).encode().expect("encode")
}

#[test]
fn filesystem_and_sockets_link_but_grant_nothing() {
    let fixture = Fixture::new();
    let component = Component::new(&fixture.engine, &component()).expect("compile");
    let mut sandbox = Sandbox::new(&component, &Linker::new()).expect("WASI 0.2.3 filesystem and sockets link");
    assert_eq!(sandbox.call("preopens", &[]).expect("get-directories"), [Value::U32(0)], "no preopened directory");
    // err(access-denied): discriminant 1, `access-denied` is case 1.
    assert_eq!(sandbox.call("tcp", &[]).expect("create-tcp-socket"), [Value::U32(257)]);
    match sandbox.call("network", &[]) {
        Err(Error::NotGranted { message }) => {
            assert!(message.contains("instance-network"), "names the import: {message}");
            assert!(message.contains("network access is not granted"), "names the capability: {message}");
        }
        other => panic!("expected Error::NotGranted, got {other:?}"),
    }
    assert!(sandbox.is_poisoned(), "the guest trapped");
}
