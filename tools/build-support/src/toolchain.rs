//! Making sure the active toolchain can build for a target.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BuildError;

/// The rustc a build script should ask: `$RUSTC` (cargo sets it for build scripts), else
/// `rustc` from `PATH`.
fn rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned())
}

/// The sysroot of the active toolchain, from `rustc --print sysroot` run in `dir` (where a
/// `rust-toolchain.toml` may select the toolchain).
///
/// # Errors
///
/// [`BuildError::Spawn`] if rustc cannot be run, [`BuildError::Sysroot`] if it fails.
pub fn sysroot(dir: &Path) -> Result<PathBuf, BuildError> {
    let rustc = rustc();
    let output = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .current_dir(dir)
        .output()
        .map_err(|source| BuildError::Spawn { program: rustc.clone(), source })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let path = stdout.trim();
    if !output.status.success() || path.is_empty() {
        return Err(BuildError::Sysroot {
            rustc,
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(PathBuf::from(path))
}

/// Whether `sysroot` has the standard library for `target`.
fn has_target(sysroot: &Path, target: &str) -> bool {
    sysroot.join("lib/rustlib").join(target).is_dir()
}

/// Makes sure the active toolchain has the standard library for `target`.
///
/// If the sysroot lacks `lib/rustlib/<target>`, runs `rustup toolchain install` (no
/// arguments) in `workspace_root`, whose `rust-toolchain.toml` lists the targets the
/// project needs: rustup does not add a target missing from an installed toolchain on its
/// own, that command does. Then checks again.
///
/// When the toolchain was chosen some other way than by the toolchain file (`cargo +name`,
/// `RUSTUP_TOOLCHAIN`, an override), installing the file's toolchain would not help, so it
/// is not tried and the error says which `rustup target add` to run.
///
/// # Errors
///
/// [`BuildError::MissingTarget`] (with the command to run by hand) if the target is still
/// missing; [`BuildError::Spawn`]/[`BuildError::Sysroot`] if rustc cannot tell its sysroot.
pub fn ensure_rust_target(target: &str, workspace_root: &Path) -> Result<(), BuildError> {
    let sysroot = sysroot(workspace_root)?;
    if has_target(&sysroot, target) {
        return Ok(());
    }
    let toolchain = std::env::var("RUSTUP_TOOLCHAIN").ok();
    let source = std::env::var("RUSTUP_TOOLCHAIN_SOURCE").ok();
    let fix = match &toolchain {
        Some(name) => format!("rustup target add {target} --toolchain {name}"),
        None => format!("rustup target add {target}"),
    };
    let missing = |detail: String| BuildError::MissingTarget {
        target: target.to_owned(),
        sysroot: sysroot.clone(),
        detail,
        fix: fix.clone(),
    };

    // rustup tells the tools it runs why it chose their toolchain.
    let from_file = matches!(source.as_deref(), None | Some("toolchain-file"));
    if !from_file {
        return Err(missing(format!(
            "the toolchain was selected by {}, not by {}/rust-toolchain.toml, so \
             `rustup toolchain install` was not tried",
            source.as_deref().unwrap_or("?"),
            workspace_root.display()
        )));
    }

    println!(
        "cargo:warning=`{target}` is missing from {}; running `rustup toolchain install` in {}",
        sysroot.display(),
        workspace_root.display()
    );
    // Without these, rustup would install the toolchain named by the variable rather
    // than read the toolchain file (they name the same toolchain here).
    let status = Command::new("rustup")
        .args(["toolchain", "install"])
        .current_dir(workspace_root)
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTUP_TOOLCHAIN_SOURCE")
        .status();
    let detail = match status {
        Ok(status) if status.success() => {
            if has_target(&sysroot, target) {
                return Ok(());
            }
            "`rustup toolchain install` succeeded but did not add it".to_owned()
        }
        Ok(status) => format!("`rustup toolchain install` failed ({status})"),
        Err(err) => format!("could not run `rustup`: {err}"),
    };
    Err(missing(detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_sysroot_has_the_host_target() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let sysroot = sysroot(root).expect("rustc --print sysroot");
        let rustlib = sysroot.join("lib/rustlib");
        assert!(rustlib.is_dir(), "{} is not a directory", rustlib.display());
        assert!(!has_target(&sysroot, "no-such-target-triple"));
    }

    #[test]
    fn present_target_needs_no_install() {
        // The host's own target is always there: this must return without rustup.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let sysroot = sysroot(root).unwrap();
        let host = std::fs::read_dir(sysroot.join("lib/rustlib"))
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.path().join("lib").is_dir())
            .expect("some target in the sysroot");
        let host = host.file_name().into_string().unwrap();
        ensure_rust_target(&host, root).unwrap();
    }
}
