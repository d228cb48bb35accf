//! Helpers for featherlight's build scripts.
//!
//! Several crates need artifacts built for another target while their own build runs: the
//! host embeds the guest runtime (`x86_64-unknown-none`), the tests and examples need Wasm
//! components (`wasm32-wasip2`). This crate does that in one place:
//!
//! - [`ensure_rust_target`] makes sure the active toolchain has the standard library for a
//!   target, adding it with `rustup target add` (one build script at a time) if it is
//!   missing from the toolchain `rust-toolchain.toml` selected;
//! - [`cargo_build`] runs a nested `cargo build --release` for a [`NestedBuild`] with its
//!   own target directory and an environment cleaned of what the outer cargo leaks into
//!   build scripts, and prints the `cargo:rerun-if-changed` lines for its sources;
//! - [`build_component`] builds a Rust component crate for `wasm32-wasip2`.
//!
//! ```no_run
//! // build.rs
//! use std::path::Path;
//!
//! let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
//! let workspace = Path::new(&manifest_dir).parent().unwrap();
//! featherlight_build::ensure_rust_target(featherlight_build::COMPONENT_TARGET, workspace)?;
//! let wasm = featherlight_build::build_component(
//!     &workspace.join("examples/components/calculator"),
//!     &featherlight_build::component_target_dir(workspace),
//! )?;
//! println!("cargo:rustc-env=CALCULATOR_WASM={}", wasm.display());
//! # Ok::<(), featherlight_build::BuildError>(())
//! ```

mod component;
mod error;
mod nested;
mod rerun;
mod toolchain;

pub use component::{COMPONENT_TARGET, build_component, component_target_dir};
pub use error::BuildError;
pub use nested::{Artifact, NestedBuild, cargo_build};
pub use toolchain::{ensure_rust_target, sysroot};
