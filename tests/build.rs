//! Builds the test components in `components/` for `wasm32-wasip2` and points
//! `VALUES_WASM`, `TRAPS_WASM` and `STATEFUL_WASM` at them, for `src/lib.rs`.

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
    Ok(())
}
