//! The one error type of this crate.

use std::path::PathBuf;
use std::process::ExitStatus;

/// Why a build step failed. Every message says what was being done and, where a person
/// can fix it, how.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A program could not be started at all (not installed, not on `PATH`).
    #[error("could not run `{program}`: {source}")]
    Spawn {
        /// The program, as it was invoked.
        program: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// `rustc --print sysroot` failed or printed something unusable.
    #[error("`{rustc} --print sysroot` failed ({status}): {stderr}")]
    Sysroot {
        /// The rustc that was asked.
        rustc: String,
        /// Its exit status.
        status: ExitStatus,
        /// What it printed on stderr.
        stderr: String,
    },

    /// The active toolchain has no standard library for a target, and installing it
    /// automatically did not help.
    #[error(
        "the Rust toolchain at {sysroot} has no standard library for `{target}` \
         ({detail}); install it by hand: {fix}"
    )]
    MissingTarget {
        /// The target triple.
        target: String,
        /// The sysroot that was checked.
        sysroot: PathBuf,
        /// What was tried and what happened.
        detail: String,
        /// The command a person should run.
        fix: String,
    },

    /// The nested `cargo build` failed; its output has been copied to stderr.
    #[error(
        "nested `cargo build --release --target {target} --manifest-path {}` failed \
         ({status}); its output is above",
        manifest.display()
    )]
    NestedCargo {
        /// The manifest that was built.
        manifest: PathBuf,
        /// The target it was built for.
        target: String,
        /// The exit status of the nested cargo.
        status: ExitStatus,
    },

    /// The nested build succeeded but the expected artifact is not where it should be.
    #[error("nested build succeeded but produced no {}", path.display())]
    ArtifactMissing {
        /// Where the artifact was expected.
        path: PathBuf,
    },

    /// A `Cargo.toml` could not be read or did not say what was needed.
    #[error("{}: {reason}", path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },

    /// Reading a directory or file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path that was being read.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}
