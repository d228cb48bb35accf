//! Builds the Wasm components the CLI embeds or its tests run, with featherlight-build:
//!
//! - the calculator example (`examples/components/calculator`), which `featherlight bench`
//!   embeds (`CALCULATOR_WASM`) and the tests run. Building it here also leaves
//!   `target/wasm-components/wasm32-wasip2/release/calculator.wasm` for the README's
//!   `featherlight run` example;
//! - `tests/components/http-proxy`, a `wasi:http/proxy` component for `featherlight serve`'s
//!   tests and `featherlight bench --serve` (`FEATHERLIGHT_CLI_HTTP_PROXY_WASM`);
//! - `tests/components/math`, whose export lives in a versioned interface, for the tests of
//!   qualified `--invoke` names (`FEATHERLIGHT_CLI_MATH_WASM`);
//! - `tests/components/wasi-app`, a WASI command built from plain Rust std, for the tests of
//!   running commands (`FEATHERLIGHT_CLI_WASI_APP_WASM`);
//! - `tests/components/memory`, memory-hungry programs for `featherlight bench`
//!   (`FEATHERLIGHT_CLI_MEMORY_WASM`);
//! - `tests/components/markdown`, comrak as a WASI command, the real program of
//!   `featherlight bench` (`FEATHERLIGHT_CLI_MARKDOWN_WASM`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    match build() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn build() -> Result<(), String> {
    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").ok_or("cargo did not set CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir
        .parent()
        .and_then(Path::parent)
        .ok_or("tools/featherlight is not two levels below the workspace root")?;
    let target_dir = featherlight_build::component_target_dir(workspace);
    let component = |dir: PathBuf| {
        featherlight_build::build_component(&dir, &target_dir)
            .map_err(|e| format!("cannot build the component in {}: {e}", dir.display()))
    };

    let calculator = component(workspace.join("examples/components/calculator"))?;
    println!("cargo:rustc-env=CALCULATOR_WASM={}", calculator.display());
    let memory = component(workspace.join("tests/components/memory"))?;
    println!("cargo:rustc-env=FEATHERLIGHT_CLI_MEMORY_WASM={}", memory.display());
    let http_proxy = component(workspace.join("tests/components/http-proxy"))?;
    println!("cargo:rustc-env=FEATHERLIGHT_CLI_HTTP_PROXY_WASM={}", http_proxy.display());
    let math = component(manifest_dir.join("tests/components/math"))?;
    println!("cargo:rustc-env=FEATHERLIGHT_CLI_MATH_WASM={}", math.display());
    let wasi_app = workspace.join("tests/components/wasi-app");
    featherlight_build::ensure_rust_target(featherlight_build::COMPONENT_TARGET, &wasi_app)
        .map_err(|e| format!("cannot build the component in {}: {e}", wasi_app.display()))?;
    let wasi_app = featherlight_build::cargo_build(&featherlight_build::NestedBuild::new(
        wasi_app.join("Cargo.toml"),
        featherlight_build::COMPONENT_TARGET,
        &target_dir,
        featherlight_build::Artifact::Bin("wasi-app".into()),
    ))
    .map_err(|e| format!("cannot build the component in {}: {e}", wasi_app.display()))?;
    println!("cargo:rustc-env=FEATHERLIGHT_CLI_WASI_APP_WASM={}", wasi_app.display());
    let markdown = workspace.join("tests/components/markdown");
    let markdown = featherlight_build::cargo_build(&featherlight_build::NestedBuild::new(
        markdown.join("Cargo.toml"),
        featherlight_build::COMPONENT_TARGET,
        &target_dir,
        featherlight_build::Artifact::Bin("markdown".into()),
    ))
    .map_err(|e| format!("cannot build the component in {}: {e}", markdown.display()))?;
    println!("cargo:rustc-env=FEATHERLIGHT_CLI_MARKDOWN_WASM={}", markdown.display());
    println!("cargo:rerun-if-changed=build.rs");
    Ok(())
}
