//! Choosing the hypervisor: the same calls on every backend this host has,
//! and clear errors for one it cannot use.

use featherlight::{Config, Engine, Error, Hypervisor, HypervisorChoice, HypervisorError, Linker, Sandbox, Value};
use featherlight_tests::{TempDir, VALUES_WASM};

/// A sandbox of the `values` component on `choice`, or the error creating it.
fn sandbox_on(choice: HypervisorChoice, cache: &TempDir) -> Result<Sandbox, Error> {
    let config = Config { cache_dir: Some(cache.path().to_path_buf()), hypervisor: choice, ..Config::default() };
    let engine = Engine::new(config)?;
    let component = featherlight::Component::from_file(&engine, VALUES_WASM)?;
    Sandbox::new(&component, &Linker::new())
}

#[test]
fn every_usable_backend_runs_the_same_calls() {
    let cache = TempDir::new();
    let mut ran = Vec::new();
    for hypervisor in Hypervisor::ALL {
        let device = hypervisor.device();
        if !hypervisor.compiled_in() || !std::path::Path::new(device).exists() {
            // Visible with `--nocapture` and in CI logs of failing runs.
            eprintln!("skipped {hypervisor}: {device} is absent or this build lacks its feature");
            continue;
        }
        let mut sandbox = sandbox_on(HypervisorChoice::Only(hypervisor), &cache).expect("sandbox");
        assert_eq!(sandbox.call("echo-u32", &[Value::U32(7)]).expect("call"), [Value::U32(7)], "{hypervisor}");
        ran.push(hypervisor);
    }
    // This project's machines and CI have KVM.
    assert!(ran.contains(&Hypervisor::Kvm), "KVM did not run: {ran:?}");
}

#[test]
fn auto_chooses_kvm_here() {
    assert_eq!(HypervisorChoice::Auto.resolve().expect("a hypervisor"), Hypervisor::Kvm);
    let cache = TempDir::new();
    let mut sandbox = sandbox_on(HypervisorChoice::Auto, &cache).expect("sandbox");
    assert_eq!(sandbox.call("echo-u32", &[Value::U32(1)]).expect("call"), [Value::U32(1)]);
}

#[test]
fn an_unusable_backend_is_a_typed_error_saying_why() {
    if Hypervisor::Mshv.compiled_in() && std::path::Path::new(Hypervisor::Mshv.device()).exists() {
        eprintln!("skipped: MSHV is usable here");
        return;
    }
    let cache = TempDir::new();
    let error = sandbox_on(HypervisorChoice::Only(Hypervisor::Mshv), &cache).expect_err("no MSHV here");
    let message = error.to_string();
    if Hypervisor::Mshv.compiled_in() {
        assert!(matches!(error, Error::Hypervisor(HypervisorError::Open { .. })), "{error:?}");
        assert!(message.contains("/dev/mshv") && message.contains("does not exist"), "{message}");
    } else {
        assert!(matches!(error, Error::Hypervisor(HypervisorError::NotCompiledIn(..))), "{error:?}");
        assert!(message.contains("--features mshv"), "{message}");
    }
}
