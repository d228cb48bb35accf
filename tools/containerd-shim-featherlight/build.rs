//! Builds the components the tests run in containers: `tests/components/wasi-app` (a WASI
//! command from plain Rust std, `FEATHERLIGHT_SHIM_WASI_APP_WASM`) and
//! `tests/components/http-proxy` (a `wasi:http/proxy` component,
//! `FEATHERLIGHT_SHIM_HTTP_PROXY_WASM`). The CLI's build script builds the same components
//! into the same directory, so each is built once.

use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.parent().and_then(Path::parent).expect("tools/<crate> is two levels below the root");
    let target_dir = featherlight_build::component_target_dir(workspace);
    let wasi_app = workspace.join("tests/components/wasi-app");
    let built =
        featherlight_build::ensure_rust_target(featherlight_build::COMPONENT_TARGET, &wasi_app).and_then(|()| {
            featherlight_build::cargo_build(&featherlight_build::NestedBuild::new(
                wasi_app.join("Cargo.toml"),
                featherlight_build::COMPONENT_TARGET,
                &target_dir,
                featherlight_build::Artifact::Bin("wasi-app".into()),
            ))
        });
    match built {
        Ok(path) => println!("cargo:rustc-env=FEATHERLIGHT_SHIM_WASI_APP_WASM={}", path.display()),
        Err(e) => {
            eprintln!("error: cannot build the component in {}: {e}", wasi_app.display());
            std::process::exit(1);
        }
    }
    let http_proxy = workspace.join("tests/components/http-proxy");
    match featherlight_build::build_component(&http_proxy, &target_dir) {
        Ok(path) => println!("cargo:rustc-env=FEATHERLIGHT_SHIM_HTTP_PROXY_WASM={}", path.display()),
        Err(e) => {
            eprintln!("error: cannot build the component in {}: {e}", http_proxy.display());
            std::process::exit(1);
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
