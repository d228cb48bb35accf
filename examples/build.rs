//! Builds the components the example host programs run: the calculator
//! (`src/main.rs`) and the key-value plugin (`src/bin/kv-store.rs`).

use std::path::Path;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let workspace = Path::new(&manifest_dir).parent().unwrap_or(Path::new(".."));
    for (name, variable) in [("calculator", "CALCULATOR_WASM"), ("kv-plugin", "KV_PLUGIN_WASM")] {
        let built = featherlight_build::build_component(
            &workspace.join("examples/components").join(name),
            &featherlight_build::component_target_dir(workspace),
        );
        match built {
            Ok(wasm) => println!("cargo:rustc-env={variable}={}", wasm.display()),
            Err(e) => {
                eprintln!("error: cannot build the {name} component: {e}");
                std::process::exit(1);
            }
        }
    }
}
