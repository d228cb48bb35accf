//! The compile cache: a damaged or foreign cache file is never loaded; the
//! component is recompiled and the file rewritten.

use std::path::{Path, PathBuf};

use featherlight::{Component, Error, Linker, Sandbox, Value};
use featherlight_tests::{Fixture, TRAPS_WASM, VALUES_WASM};

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// The only cache file of `fixture`.
#[track_caller]
fn only_cache_file(fixture: &Fixture) -> PathBuf {
    match fixture.cache_files().as_slice() {
        [file] => file.clone(),
        files => panic!("expected one cache file, found {files:?}"),
    }
}

/// `component` is `values` and runs.
#[track_caller]
fn assert_values_runs(component: &Component) {
    let mut sandbox = Sandbox::new(component, &Linker::new()).expect("sandbox");
    assert_eq!(sandbox.call("echo-u32", &[Value::U32(123)]).expect("echo-u32"), [Value::U32(123)]);
}

/// Whether `path` holds a cache file the engine accepts: `from_file` loads
/// precompiled files only after checking their key and digest.
fn loads(fixture: &Fixture, path: &Path) -> Result<Component, Error> {
    Component::from_file(&fixture.engine, path)
}

#[test]
fn compiling_writes_one_loadable_cache_file() {
    let fixture = Fixture::new();
    assert!(fixture.cache_files().is_empty());
    let component = fixture.values();
    let file = only_cache_file(&fixture);
    let cached = loads(&fixture, &file).expect("the cache file loads");
    assert_values_runs(&cached);
    assert_values_runs(&component);
    // A second compile of the same bytes uses the same file.
    let again = fixture.values();
    assert_eq!(only_cache_file(&fixture), file);
    assert_values_runs(&again);
}

#[test]
fn corrupted_cache_files_are_rejected_and_rebuilt() {
    let fixture = Fixture::new();
    let wasm = read(Path::new(VALUES_WASM));
    Component::new(&fixture.engine, &wasm).expect("first compile");
    let file = only_cache_file(&fixture);
    let valid = read(&file);
    assert!(valid.len() > 200, "a cache file of {} bytes", valid.len());

    let flip = |at: usize| {
        let mut bytes = valid.clone();
        bytes[at] ^= 0x40;
        bytes
    };
    let corruptions: [(&str, Vec<u8>); 6] = [
        ("a flipped byte in the magic", flip(0)),
        ("a flipped byte in the engine key", flip(20)),
        ("a flipped byte in the middle", flip(valid.len() / 2)),
        ("a flipped last byte", flip(valid.len() - 1)),
        ("a truncated file", valid[..valid.len() / 2].to_vec()),
        ("an empty file", Vec::new()),
    ];
    for (what, corrupted) in corruptions {
        write(&file, &corrupted);
        assert!(loads(&fixture, &file).is_err(), "{what}: the corrupted file loads");

        let component = Component::new(&fixture.engine, &wasm).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_values_runs(&component);
        assert_eq!(only_cache_file(&fixture), file, "{what}");
        let rebuilt = read(&file);
        assert_ne!(rebuilt, corrupted, "{what}: the file was not rewritten");
        let reloaded = loads(&fixture, &file).unwrap_or_else(|e| panic!("{what}: the rewritten file: {e}"));
        assert_values_runs(&reloaded);
    }
}

/// A valid cache file of another component, under this component's name, is
/// not taken for it.
#[test]
fn a_cache_file_of_another_component_is_not_used() {
    let fixture = Fixture::new();
    let values_wasm = read(Path::new(VALUES_WASM));
    Component::new(&fixture.engine, &values_wasm).expect("compile values");
    let values_file = only_cache_file(&fixture);
    let traps = fixture.traps();
    let traps_file =
        fixture.cache_files().into_iter().find(|f| *f != values_file).expect("traps has a cache file of its own");
    let mut sandbox = Sandbox::new(&traps, &Linker::new()).expect("traps sandbox");
    assert_eq!(sandbox.call("ok", &[Value::U32(4)]).expect("ok"), [Value::U32(8)]);

    std::fs::copy(&traps_file, &values_file).expect("copy");
    let component = Component::new(&fixture.engine, &values_wasm).expect("compile values again");
    assert!(component.world().exports().iter().any(|f| f.name == "echo-u32"), "values was loaded as another component");
    assert_values_runs(&component);
    // Rewritten with values.
    let reloaded = loads(&fixture, &values_file).expect("the rewritten file loads");
    assert_values_runs(&reloaded);
    assert_ne!(read(&values_file), read(&traps_file));
}

/// `serialize` writes what `from_file` loads, on an engine with the same
/// configuration, even one without a cache.
#[test]
fn serialized_components_load_elsewhere() {
    let fixture = Fixture::new();
    let bytes = fixture.values().serialize().expect("serialize");
    let elsewhere = Fixture::new();
    let path = elsewhere.cache_dir.path().join("values.precompiled");
    write(&path, &bytes);
    assert_values_runs(&loads(&elsewhere, &path).expect("load"));

    let uncached =
        featherlight::Engine::new(featherlight::Config { cache_dir: None, ..featherlight::Config::default() })
            .expect("engine");
    let component = Component::from_file(&uncached, &path).expect("load without a cache");
    assert_values_runs(&component);
    // Components compiled without a cache run too.
    assert_values_runs(&Component::from_file(&uncached, VALUES_WASM).expect("compile without a cache"));
    let traps = Component::from_file(&uncached, TRAPS_WASM).expect("compile traps without a cache");
    assert!(traps.world().exports().iter().any(|f| f.name == "raw-div"));
}
