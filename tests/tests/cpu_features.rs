//! Guest code is compiled for the host CPU's features by default (AVX2,
//! BMI2, … where present, as wasmtime does), or for the pinned baseline;
//! both run the same program to the same result, and they are cached apart.
//! (A CPU without the compiled-for features is refused with an error naming
//! them: `host/src/hypervisor/cpu.rs`'s unit test, as no CPU here lacks them.)

use featherlight::{Component, Config, CpuFeatures, Engine, Linker, Sandbox, Value};
use featherlight_tests::{MEMORY_WASM, TempDir};

fn sha256_with(cpu_features: CpuFeatures, cache: &TempDir) -> Vec<Value> {
    let config = Config { cpu_features, cache_dir: Some(cache.path().to_path_buf()), ..Config::default() };
    let engine = Engine::new(config).expect("engine");
    let component = Component::from_file(&engine, MEMORY_WASM).expect("component");
    let mut sandbox = Sandbox::new(&component, &Linker::new()).expect("sandbox");
    let sieve = sandbox.call("sieve", &[Value::U32(1_000_000)]).expect("sieve");
    assert_eq!(sieve, [Value::U32(78_498)], "{cpu_features:?}");
    sandbox.call("sha256", &[Value::U32(1 << 20)]).expect("sha256")
}

fn cached_artifacts(cache: &TempDir) -> usize {
    std::fs::read_dir(cache.path()).expect("cache dir").count()
}

#[test]
fn host_features_by_default_and_a_pinned_baseline_give_the_same_results() {
    let cache = TempDir::new();
    let host = sha256_with(CpuFeatures::Host, &cache);
    let after_host = cached_artifacts(&cache);
    let baseline = sha256_with(CpuFeatures::Baseline, &cache);
    assert_eq!(host, baseline);
    assert_eq!(Config::default().cpu_features, CpuFeatures::Host);
    // Different code, different cache entries.
    assert!(cached_artifacts(&cache) > after_host, "the baseline artifact was not cached apart");
}
