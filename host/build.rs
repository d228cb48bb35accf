//! Builds the guest runtime image (`guest-runtime/image`) for
//! `x86_64-unknown-none` and points `FEATHERLIGHT_GUEST_IMAGE` at it, so
//! `src/image.rs` embeds it.

use sha2::Digest;
use std::path::Path;

fn main() {
    // The cfg alias that selects the MSHV backend module, so shared code
    // carries no per-line feature checks.
    println!("cargo:rustc-check-cfg=cfg(featherlight_mshv)");
    if std::env::var_os("CARGO_FEATURE_MSHV").is_some() {
        println!("cargo:rustc-cfg=featherlight_mshv");
    }
    if let Err(e) = build() {
        // Cargo shows this when the build script fails.
        eprintln!("error: cannot build the featherlight guest image: {e}");
        std::process::exit(1);
    }
}

fn build() -> Result<(), featherlight_build::BuildError> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let workspace = Path::new(&manifest_dir).parent().unwrap_or(Path::new(".."));
    let image = workspace.join("guest-runtime/image");
    featherlight_build::ensure_rust_target("x86_64-unknown-none", workspace)?;
    // The image's own workspace and target directory: built once, shared by
    // every profile of the host.
    let spec = featherlight_build::NestedBuild::new(
        image.join("Cargo.toml"),
        "x86_64-unknown-none",
        image.join("target"),
        featherlight_build::Artifact::Bin("featherlight-guest".into()),
    );
    // The image also compiles the kernel and ABI crates beside it.
    for dir in ["guest-runtime/kernel", "guest-runtime/abi"] {
        println!("cargo:rerun-if-changed={}", workspace.join(dir).display());
    }
    let path = featherlight_build::cargo_build(&spec)?;
    println!("cargo:rustc-env=FEATHERLIGHT_GUEST_IMAGE={}", path.display());
    // Its digest, so a process does not hash 7 MB at every start.
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("error: cannot read the guest image {}: {e}", path.display());
        std::process::exit(1)
    });
    let digest: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=FEATHERLIGHT_GUEST_IMAGE_SHA256={digest}");
    Ok(())
}
