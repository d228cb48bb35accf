//! Builds the test components in `components/` for `wasm32-wasip2` and points
//! `VALUES_WASM`, `TRAPS_WASM`, `STATEFUL_WASM` and `WASI_APP_WASM` at them,
//! for `src/lib.rs`. `wasi-app` is a plain Rust binary: `cargo build --target
//! wasm32-wasip2` makes it a WASI command component, no bindings crate.

use std::path::Path;

fn main() {
    if let Err(e) = build() {
        // Cargo shows this when the build script fails.
        eprintln!("error: cannot build the test components: {e}");
        std::process::exit(1);
    }
}

fn build() -> Result<(), featherlight_build::BuildError> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let manifest_dir = Path::new(&manifest_dir);
    let workspace = manifest_dir.parent().unwrap_or(Path::new(".."));
    let target_dir = featherlight_build::component_target_dir(workspace);
    for (name, variable) in [("values", "VALUES_WASM"), ("traps", "TRAPS_WASM"), ("stateful", "STATEFUL_WASM")] {
        let wasm = featherlight_build::build_component(&manifest_dir.join("components").join(name), &target_dir)?;
        println!("cargo:rustc-env={variable}={}", wasm.display());
    }
    let wasi_app = manifest_dir.join("components").join("wasi-app");
    featherlight_build::ensure_rust_target(featherlight_build::COMPONENT_TARGET, &wasi_app)?;
    let wasm = featherlight_build::cargo_build(&featherlight_build::NestedBuild::new(
        wasi_app.join("Cargo.toml"),
        featherlight_build::COMPONENT_TARGET,
        &target_dir,
        featherlight_build::Artifact::Bin("wasi-app".into()),
    ))?;
    println!("cargo:rustc-env=WASI_APP_WASM={}", wasm.display());
    Ok(())
}
