//! Builds the test components in `components/` for `wasm32-wasip2` and points
//! `VALUES_WASM`, `TRAPS_WASM`, `STATEFUL_WASM`, `RESOURCES_WASM`, `LARGE_WASM`,
//! `MEMORY_WASM`, `HTTP_PROXY_WASM` and `WASI_APP_WASM` at them, and the hostile guest (`guest-runtime/hostile`) for
//! `x86_64-unknown-none` and points `HOSTILE_GUEST` at it, for `src/lib.rs`.
//! `wasi-app` is a plain Rust binary: `cargo build --target wasm32-wasip2`
//! makes it a WASI command component, no bindings crate. The same program is
//! also built for `wasm32-wasip1` and made a component with wasmtime's
//! preview-1 adapter, as `cargo component build` does (`WASI_APP_P1_WASM`).

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
    for (name, variable) in [
        ("values", "VALUES_WASM"),
        ("traps", "TRAPS_WASM"),
        ("stateful", "STATEFUL_WASM"),
        ("resources", "RESOURCES_WASM"),
        ("large", "LARGE_WASM"),
        ("memory", "MEMORY_WASM"),
        ("http-proxy", "HTTP_PROXY_WASM"),
    ] {
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
    featherlight_build::ensure_rust_target("wasm32-wasip1", &wasi_app)?;
    let module = featherlight_build::cargo_build(&featherlight_build::NestedBuild::new(
        wasi_app.join("Cargo.toml"),
        "wasm32-wasip1",
        &target_dir,
        featherlight_build::Artifact::Bin("wasi-app".into()),
    ))?;
    let adapted = adapt_preview1(&module).map_err(|e| featherlight_build::BuildError::Spawn {
        program: "the preview-1 adapter".into(),
        source: std::io::Error::other(e),
    })?;
    println!("cargo:rustc-env=WASI_APP_P1_WASM={}", adapted.display());
    build_hostile_guest(workspace)
}

/// Makes the wasip1 module at `module` a WASI 0.2 command component with
/// wasmtime's preview-1 adapter (what `cargo component build` does), written
/// to `OUT_DIR`.
fn adapt_preview1(module: &Path) -> Result<std::path::PathBuf, String> {
    let bytes = std::fs::read(module).map_err(|e| format!("cannot read {}: {e}", module.display()))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&bytes)
        .and_then(|encoder| {
            encoder.adapter(
                "wasi_snapshot_preview1",
                wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
            )
        })
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|e| format!("cannot adapt {}: {e:?}", module.display()))?;
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let path = out.join("wasi-app-p1.wasm");
    std::fs::write(&path, component).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// The hostile guest is a member of the guest image's workspace (same target
/// directory and flags as host/build.rs uses), so the kernel and its
/// dependencies compile once for both guests.
fn build_hostile_guest(workspace: &Path) -> Result<(), featherlight_build::BuildError> {
    featherlight_build::ensure_rust_target("x86_64-unknown-none", workspace)?;
    let image = workspace.join("guest-runtime/image");
    let mut spec = featherlight_build::NestedBuild::new(
        image.join("Cargo.toml"),
        "x86_64-unknown-none",
        image.join("target"),
        featherlight_build::Artifact::Bin("featherlight-hostile-guest".into()),
    );
    spec.package = Some("featherlight-hostile-guest".into());
    // The image's own sources are not the hostile guest's.
    spec.emit_rerun_if_changed = false;
    for dir in ["guest-runtime/hostile", "guest-runtime/kernel", "guest-runtime/abi"] {
        println!("cargo:rerun-if-changed={}", workspace.join(dir).display());
    }
    for file in ["Cargo.toml", "Cargo.lock", ".cargo/config.toml"] {
        println!("cargo:rerun-if-changed={}", image.join(file).display());
    }
    let path = featherlight_build::cargo_build(&spec)?;
    println!("cargo:rustc-env=HOSTILE_GUEST={}", path.display());
    Ok(())
}
