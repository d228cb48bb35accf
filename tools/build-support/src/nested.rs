//! Running a nested `cargo build` from a build script.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{BuildError, rerun};

/// What a nested build produces, and so where to find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Artifact {
    /// A `[[bin]]` target of this name: `<name>` (`<name>.wasm` on `wasm*` targets).
    Bin(String),
    /// The `cdylib` of the library with this name (hyphens allowed: cargo turns them into
    /// underscores): `<name>.wasm` on `wasm*` targets, `lib<name>.so` elsewhere.
    Cdylib(String),
}

impl Artifact {
    /// The artifact's file name when built for `target`.
    pub fn file_name(&self, target: &str) -> String {
        let wasm = target.starts_with("wasm");
        match self {
            Artifact::Bin(name) if wasm => format!("{name}.wasm"),
            Artifact::Bin(name) => name.clone(),
            Artifact::Cdylib(name) => {
                let name = name.replace('-', "_");
                if wasm { format!("{name}.wasm") } else { format!("lib{name}.so") }
            }
        }
    }
}

/// One nested `cargo build --release --target <target> --manifest-path <manifest>`.
#[derive(Debug, Clone)]
pub struct NestedBuild {
    /// The `Cargo.toml` of the crate to build.
    pub manifest_path: PathBuf,
    /// The target triple.
    pub target: String,
    /// The nested build's own `CARGO_TARGET_DIR`: never the outer build's, whose lock the
    /// outer cargo holds while build scripts run. Several nested builds may share one.
    pub target_dir: PathBuf,
    /// What to return the path of.
    pub artifact: Artifact,
    /// Build only this package of the nested workspace (`-p`); `None` builds its default
    /// members.
    pub package: Option<String>,
    /// Extra flags for rustc, passed as `CARGO_ENCODED_RUSTFLAGS` (the outer build's flags
    /// are never passed on).
    pub rustflags: Vec<String>,
    /// Pass `--locked`: the nested workspace's committed `Cargo.lock` must be up to date.
    pub locked: bool,
    /// Print `cargo:rerun-if-changed` lines for the nested crate's sources.
    pub emit_rerun_if_changed: bool,
}

impl NestedBuild {
    /// A locked build of `manifest_path` for `target` into `target_dir`, with no extra
    /// rustflags, that prints `cargo:rerun-if-changed` lines.
    pub fn new(
        manifest_path: impl Into<PathBuf>,
        target: impl Into<String>,
        target_dir: impl Into<PathBuf>,
        artifact: Artifact,
    ) -> Self {
        NestedBuild {
            manifest_path: manifest_path.into(),
            target: target.into(),
            target_dir: target_dir.into(),
            artifact,
            package: None,
            rustflags: Vec::new(),
            locked: true,
            emit_rerun_if_changed: true,
        }
    }

    /// Where the artifact lands.
    pub fn artifact_path(&self) -> PathBuf {
        self.target_dir.join(&self.target).join("release").join(self.artifact.file_name(&self.target))
    }
}

/// Whether an environment variable set for (or passed through to) a build script must be
/// kept from a nested cargo: it would change what the nested build compiles, where it puts
/// it, or how it joins the outer build's job server. This covers everything cargo sets for
/// build scripts, plus cargo's own configuration variables that are about one build
/// (`CARGO_BUILD_*`, `CARGO_PROFILE_*`, `CARGO_TARGET_DIR`). User configuration that is
/// not about one build (`CARGO_HOME`, `CARGO_NET_*`, registries, `RUSTUP_*`) and `RUSTC`
/// (so the nested build uses the same compiler) are kept.
fn is_leaked(name: &str) -> bool {
    const EXACT: &[&str] = &[
        // Compiler flags and wrappers of the outer build.
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CARGO_ENCODED_RUSTDOCFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_LINKER",
        "CLIPPY_ARGS",
        "CLIPPY_CONF_DIR",
        // Job server: the nested cargo runs its own.
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        // Where and how the outer build runs.
        "CARGO_TARGET_DIR",
        "CARGO_INCREMENTAL",
        "TARGET",
        "HOST",
        "OUT_DIR",
        "OPT_LEVEL",
        "PROFILE",
        "DEBUG",
        "NUM_JOBS",
        // The outer package.
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
    ];
    const PREFIXES: &[&str] =
        &["CARGO_BUILD_", "CARGO_PROFILE_", "CARGO_CFG_", "CARGO_FEATURE_", "CARGO_PKG_", "DEP_", "__CARGO_"];
    EXACT.contains(&name) || PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The `--jobs` value a nested build should use: the outer build's (`NUM_JOBS`) if set.
fn jobs() -> Option<String> {
    std::env::var("NUM_JOBS").ok().filter(|j| j.parse::<u32>().is_ok_and(|j| j > 0))
}

/// The command for `spec`, with a clean environment.
fn command(spec: &NestedBuild) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--target", &spec.target]).arg("--manifest-path").arg(&spec.manifest_path);
    if spec.locked {
        cmd.arg("--locked");
    }
    if let Some(package) = &spec.package {
        cmd.args(["--package", package]);
    }
    if let Some(jobs) = jobs() {
        cmd.args(["--jobs", &jobs]);
    }
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(is_leaked) {
            cmd.env_remove(&name);
        }
    }
    cmd.env("CARGO_TARGET_DIR", &spec.target_dir);
    if !spec.rustflags.is_empty() {
        cmd.env("CARGO_ENCODED_RUSTFLAGS", spec.rustflags.join("\x1f"));
    }
    if let Some(dir) = spec.manifest_path.parent() {
        // So that rustup picks the toolchain for the nested crate's directory if the
        // outer one gave no RUSTUP_TOOLCHAIN, and `.cargo/config.toml` there applies.
        cmd.current_dir(nonempty(dir));
    }
    cmd
}

/// `dir`, or `.` if it is empty (the parent of a bare `Cargo.toml`).
fn nonempty(dir: &Path) -> &Path {
    if dir.as_os_str().is_empty() { Path::new(".") } else { dir }
}

/// Runs the nested build described by `spec` and returns the path of its artifact.
///
/// The nested cargo's output is kept and copied to this process's stderr only if it fails
/// (cargo shows a build script's stderr when the build script fails). Unless
/// `spec.emit_rerun_if_changed` is off, prints `cargo:rerun-if-changed` for every file
/// under the nested crate's directory (skipping `target/` directories) and for the nested
/// workspace's root `Cargo.toml`/`Cargo.lock`.
///
/// # Errors
///
/// [`BuildError::Spawn`] if cargo cannot be run, [`BuildError::NestedCargo`] if the build
/// fails, [`BuildError::ArtifactMissing`] if it succeeds without producing the artifact,
/// [`BuildError::Io`] if the crate's sources cannot be listed.
pub fn cargo_build(spec: &NestedBuild) -> Result<PathBuf, BuildError> {
    if spec.emit_rerun_if_changed {
        let crate_dir = nonempty(spec.manifest_path.parent().unwrap_or(Path::new(".")));
        for path in rerun::watched_files(crate_dir)? {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }

    let mut cmd = command(spec);
    let output = cmd
        .output()
        .map_err(|source| BuildError::Spawn { program: cmd.get_program().to_string_lossy().into_owned(), source })?;
    if !output.status.success() {
        let mut stderr = std::io::stderr().lock();
        // Best effort: if stderr is gone there is nowhere to report that either.
        let _ = stderr.write_all(&output.stdout);
        let _ = stderr.write_all(&output.stderr);
        return Err(BuildError::NestedCargo {
            manifest: spec.manifest_path.clone(),
            target: spec.target.clone(),
            status: output.status,
        });
    }
    let path = spec.artifact_path();
    if !path.is_file() {
        return Err(BuildError::ArtifactMissing { path });
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    /// The value of `name` in `cmd`'s environment, if it sets or inherits it.
    fn env_of(cmd: &Command, name: &str) -> Option<String> {
        let set = cmd.get_envs().find(|(k, _)| *k == OsStr::new(name));
        match set {
            Some((_, value)) => value.map(|v| v.to_string_lossy().into_owned()),
            None => std::env::var(name).ok(),
        }
    }

    /// Whether `cmd` has `arg` among its arguments.
    fn has_arg(cmd: &Command, arg: &str) -> bool {
        cmd.get_args().any(|a| a == OsStr::new(arg))
    }

    #[test]
    fn artifact_file_names() {
        let bin = Artifact::Bin("guest-image".into());
        assert_eq!(bin.file_name("x86_64-unknown-none"), "guest-image");
        assert_eq!(bin.file_name("wasm32-wasip2"), "guest-image.wasm");
        let lib = Artifact::Cdylib("my-component".into());
        assert_eq!(lib.file_name("wasm32-wasip2"), "my_component.wasm");
        assert_eq!(lib.file_name("x86_64-unknown-linux-gnu"), "libmy_component.so");
    }

    #[test]
    fn artifact_path_is_under_target_release() {
        let spec = NestedBuild::new("/src/c/Cargo.toml", "wasm32-wasip2", "/t", Artifact::Cdylib("c".into()));
        assert_eq!(spec.artifact_path(), Path::new("/t/wasm32-wasip2/release/c.wasm"));
    }

    #[test]
    fn leaked_variables() {
        for name in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_TARGET",
            "CARGO_BUILD_RUSTFLAGS",
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
            "CARGO_MAKEFLAGS",
            "CARGO_TARGET_DIR",
            "CARGO_PROFILE_RELEASE_LTO",
            "CARGO_CFG_TARGET_OS",
            "CARGO_FEATURE_STD",
            "CARGO_PKG_NAME",
            "DEP_Z_INCLUDE",
            "TARGET",
            "HOST",
            "OUT_DIR",
            "OPT_LEVEL",
            "PROFILE",
            "DEBUG",
            "NUM_JOBS",
        ] {
            assert!(is_leaked(name), "{name} should be removed");
        }
        for name in [
            "PATH",
            "HOME",
            "RUSTC",
            "CARGO",
            "CARGO_HOME",
            "CARGO_NET_OFFLINE",
            "RUSTUP_TOOLCHAIN",
            "RUSTUP_HOME",
            "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER",
        ] {
            assert!(!is_leaked(name), "{name} should be kept");
        }
    }

    #[test]
    fn command_is_clean_and_complete() {
        let mut spec = NestedBuild::new("/src/c/Cargo.toml", "wasm32-wasip2", "/t", Artifact::Cdylib("c".into()));
        spec.rustflags = vec!["-C".into(), "opt-level=s".into()];
        spec.package = Some("p".into());
        let cmd = command(&spec);
        for arg in ["build", "--release", "--locked", "wasm32-wasip2", "--package", "p"] {
            assert!(has_arg(&cmd, arg), "missing {arg}");
        }
        assert_eq!(env_of(&cmd, "CARGO_TARGET_DIR").as_deref(), Some("/t"));
        assert_eq!(env_of(&cmd, "CARGO_ENCODED_RUSTFLAGS").as_deref(), Some("-C\x1fopt-level=s"));
        // Cargo sets these for tests too: they must not reach the nested build.
        for name in ["CARGO_MANIFEST_DIR", "CARGO_PKG_NAME", "RUSTFLAGS"] {
            assert_eq!(env_of(&cmd, name), None, "{name} leaked");
        }
        assert_eq!(cmd.get_current_dir(), Some(Path::new("/src/c")));
    }
}
