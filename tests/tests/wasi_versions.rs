//! Components import whichever WASI 0.2.x their toolchain chose: every
//! version links (calls of unprovided WASI functions fail naming them),
//! as with wasmtime.

use featherlight::{Component, Error, Linker, Sandbox};
use featherlight_tests::Fixture;
use wit_parser::Resolve;

/// A component (a dummy core module under real WIT) importing
/// `wasi:cli/environment@<cli>` and `wasi:random/random@<random>`.
fn component_importing(cli: &str, random: &str) -> Vec<u8> {
    let mut resolve = Resolve::default();
    resolve
        .push_str(
            "cli.wit",
            &format!(
                "package wasi:cli@{cli};\n\
                 interface environment {{ get-environment: func() -> list<tuple<string, string>>; }}"
            ),
        )
        .expect("wasi:cli WIT");
    resolve
        .push_str(
            "random.wit",
            &format!("package wasi:random@{random};\ninterface random {{ get-random-u64: func() -> u64; }}"),
        )
        .expect("wasi:random WIT");
    let package = resolve
        .push_str(
            "world.wit",
            &format!(
                "package test:wasi-versions;\n\
                 world versions {{\n\
                   import wasi:cli/environment@{cli};\n\
                   import wasi:random/random@{random};\n\
                   export run: func();\n\
                 }}"
            ),
        )
        .expect("world WIT");
    let world = resolve.select_world(&[package], Some("versions")).expect("world");
    let mut module = wit_component::dummy_module(&resolve, world, wit_parser::ManglingAndAbi::Standard32);
    wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8)
        .expect("embed");
    wit_component::ComponentEncoder::default().module(&module).expect("module").validate(true).encode().expect("encode")
}

#[test]
fn any_wasi_0_2_version_links() {
    let fixture = Fixture::new();
    for (cli, random) in [("0.2.0", "0.2.0"), ("0.2.6", "0.2.12"), ("0.2.12", "0.2.3")] {
        let component = Component::new(&fixture.engine, &component_importing(cli, random)).expect("compile");
        let interfaces: Vec<_> =
            component.world().imports().iter().filter_map(|import| import.interface.clone()).collect();
        assert_eq!(
            interfaces,
            [format!("wasi:cli/environment@{cli}"), format!("wasi:random/random@{random}")],
            "the world names the versions the component imports"
        );
        // Instantiation links both versions; nothing is provided, yet it works.
        let mut sandbox = Sandbox::new(&component, &Linker::new()).expect("instantiate");
        // The dummy export's body is `unreachable`: the call reaches Wasm code.
        assert!(matches!(sandbox.call("run", &[]), Err(Error::Trap { .. })));
    }
}
