//! Golden expansions: the code `bindgen!` generates for the WIT files in
//! `wit/` must equal `expanded/<name>.rs`. Run with `FEATHERLIGHT_BLESS=1`
//! to rewrite the expected files after an intended change, and review the
//! diff.

use std::path::Path;

fn check(name: &str, wit: &Path, world: Option<&str>) {
    let generated = featherlight_bindgen::generate(wit, world).unwrap_or_else(|e| panic!("{name}: {e}"));
    let expected_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expanded").join(format!("{name}.rs"));
    if std::env::var_os("FEATHERLIGHT_BLESS").is_some() {
        std::fs::write(&expected_path, &generated.code).expect("write the expected expansion");
        return;
    }
    let expected = std::fs::read_to_string(&expected_path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with FEATHERLIGHT_BLESS=1 to create it", expected_path.display()));
    if generated.code != expected {
        let first = generated.code.lines().zip(expected.lines()).position(|(a, b)| a != b);
        panic!(
            "{name}: the expansion differs from {} (first differing line: {:?}); rerun with FEATHERLIGHT_BLESS=1 \
             if the change is intended",
            expected_path.display(),
            first.map(|i| i + 1)
        );
    }
}

fn wit(file: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wit").join(file)
}

#[test]
fn kv_plugin() {
    check("kv", &wit("kv.wit"), Some("plugin"));
}

#[test]
fn kitchen_sink() {
    check("kitchen-sink", &wit("kitchen-sink.wit"), None);
}

#[test]
fn values_test_component() {
    let values = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/components/values/wit");
    check("values", &values, Some("values"));
}

#[test]
fn resources_test_component() {
    let resources = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/components/resources/wit");
    check("resources", &resources, Some("resources"));
}

#[test]
fn async_functions_are_refused_by_name() {
    let dir = std::env::temp_dir().join(format!("featherlight-bindgen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("res.wit");
    std::fs::write(
        &file,
        "package t:res;\ninterface files { read: async func() -> string; }\nworld w { import files; }\n",
    )
    .unwrap();
    let error = featherlight_bindgen::generate(&file, None).unwrap_err().to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(error.contains("async function `read`"), "{error}");
}

#[test]
fn missing_world_is_an_error() {
    let error = featherlight_bindgen::generate(&wit("kv.wit"), Some("nope")).unwrap_err().to_string();
    assert!(error.contains("nope"), "{error}");
}

#[test]
fn dump_writes_the_generated_code() {
    let dir = std::env::temp_dir().join(format!("featherlight-bindgen-dump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let generated = featherlight_bindgen::generate(&wit("kv.wit"), Some("plugin")).unwrap();
    let file = featherlight_bindgen::dump(&generated, &dir).unwrap();
    assert_eq!(file, dir.join("plugin.rs"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), generated.code);
    let _ = std::fs::remove_dir_all(&dir);
}
