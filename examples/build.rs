//! Builds the calculator component the example host program runs.

use std::path::Path;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let workspace = Path::new(&manifest_dir).parent().unwrap_or(Path::new(".."));
    let built = featherlight_build::build_component(
        &workspace.join("examples/components/calculator"),
        &featherlight_build::component_target_dir(workspace),
    );
    match built {
        Ok(wasm) => println!("cargo:rustc-env=CALCULATOR_WASM={}", wasm.display()),
        Err(e) => {
            eprintln!("error: cannot build the calculator component: {e}");
            std::process::exit(1);
        }
    }
}
