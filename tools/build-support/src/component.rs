//! Building Rust crates into Wasm components.

use std::path::{Path, PathBuf};

use crate::{Artifact, BuildError, NestedBuild, cargo_build, ensure_rust_target};

/// The target components are built for. From Rust 1.82 on, rustc links `wasm32-wasip2`
/// binaries and cdylibs into components itself (with `wasm-component-ld`).
pub const COMPONENT_TARGET: &str = "wasm32-wasip2";

/// The target directory every component build in the workspace shares:
/// `<workspace_root>/target/wasm-components`. Sharing it means dependencies such as
/// `wit-bindgen` are built once for all component workspaces (cargo's lock on it
/// serialises concurrent builds).
pub fn component_target_dir(workspace_root: &Path) -> PathBuf {
    workspace_root.join("target").join("wasm-components")
}

/// Builds the component crate in `crate_dir` (a `cdylib`, in a workspace with a committed
/// `Cargo.lock`) for [`COMPONENT_TARGET`] in release mode into `target_dir`, and returns
/// the path of its `.wasm`.
///
/// First makes sure the toolchain has the target ([`ensure_rust_target`], with the
/// `rust-toolchain.toml` rustup finds from `crate_dir` upwards); prints
/// `cargo:rerun-if-changed` lines for the crate's sources.
///
/// # Errors
///
/// [`BuildError::Manifest`] if the crate's `Cargo.toml` names no package, and every error
/// of [`ensure_rust_target`] and [`cargo_build`].
pub fn build_component(crate_dir: &Path, target_dir: &Path) -> Result<PathBuf, BuildError> {
    let manifest_path = crate_dir.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path)
        .map_err(|source| BuildError::Io { path: manifest_path.clone(), source })?;
    let name = library_name(&manifest).ok_or_else(|| BuildError::Manifest {
        path: manifest_path.clone(),
        reason: "no `name = \"...\"` in its [lib] or [package] table".to_owned(),
    })?;
    ensure_rust_target(COMPONENT_TARGET, crate_dir)?;
    cargo_build(&NestedBuild::new(manifest_path, COMPONENT_TARGET, target_dir, Artifact::Cdylib(name)))
}

/// The library name a manifest declares: `[lib] name`, else `[package] name`.
///
/// A line-based reading that is enough for this project's component manifests, which
/// write `name = "..."` on one line; it keeps this crate free of a TOML parser.
fn library_name(manifest: &str) -> Option<String> {
    let mut table = "";
    let mut package = None;
    let mut lib = None;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            table = line;
            continue;
        }
        let Some(value) = line.strip_prefix("name").map(str::trim_start).and_then(|rest| rest.strip_prefix('=')) else {
            continue;
        };
        let Some(value) = value.trim().strip_prefix('"').and_then(|v| v.split_once('"')) else {
            continue;
        };
        let value = value.0.to_owned();
        match table {
            "[package]" => package = Some(value),
            "[lib]" => lib = Some(value),
            _ => {}
        }
    }
    lib.or(package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_name() {
        let toml = "[package]\nname = \"values\"\nversion = \"0.1.0\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n";
        assert_eq!(library_name(toml).as_deref(), Some("values"));
    }

    #[test]
    fn lib_name_wins_and_other_tables_are_ignored() {
        let toml = "[workspace]\n\n[package]\nname=\"my-crate\" # comment\n\
                    [dependencies]\nname = \"not-this\"\n[lib]\nname = \"my_lib\"\n";
        assert_eq!(library_name(toml).as_deref(), Some("my_lib"));
    }

    #[test]
    fn no_name() {
        assert_eq!(library_name("[workspace]\nmembers = []\n"), None);
        // `namespace = ...` is not `name = ...`.
        assert_eq!(library_name("[package]\nnamespace = \"x\"\n"), None);
    }

    #[test]
    fn target_dir_is_under_target() {
        assert_eq!(component_target_dir(Path::new("/w")), Path::new("/w/target/wasm-components"));
    }
}
