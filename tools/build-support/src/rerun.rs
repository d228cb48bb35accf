//! Which files a nested build depends on, for `cargo:rerun-if-changed`.

use std::path::{Path, PathBuf};

use crate::BuildError;

/// Every file under `crate_dir` (not descending into directories named `target`), plus the
/// `Cargo.toml` and `Cargo.lock` of the nearest enclosing workspace root above it, if any.
/// Sorted, so the build script's output is stable.
///
/// Files only: cargo scans a directory given to `rerun-if-changed` recursively, `target/`
/// included. A new file is noticed once a file already listed (a `mod` line, another WIT
/// file's `use`) changes to refer to it.
pub(crate) fn watched_files(crate_dir: &Path) -> Result<Vec<PathBuf>, BuildError> {
    let mut files = Vec::new();
    walk(crate_dir, &mut files)?;
    if let Some(root) = enclosing_workspace_root(crate_dir) {
        for name in ["Cargo.toml", "Cargo.lock"] {
            let path = root.join(name);
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// Adds the files under `dir` to `files`.
fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), BuildError> {
    let io = |source| BuildError::Io { path: dir.to_owned(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io)?;
        if kind.is_dir() {
            if entry.file_name() != "target" {
                walk(&path, files)?;
            }
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// The nearest directory strictly above `crate_dir` whose `Cargo.toml` has a `[workspace]`
/// table, unless `crate_dir` is a workspace root itself.
fn enclosing_workspace_root(crate_dir: &Path) -> Option<&Path> {
    let is_root = |dir: &Path| {
        std::fs::read_to_string(dir.join("Cargo.toml"))
            .is_ok_and(|text| text.lines().any(|l| l.trim_start().starts_with("[workspace")))
    };
    if is_root(crate_dir) {
        return None;
    }
    crate_dir.ancestors().skip(1).take_while(|dir| !dir.as_os_str().is_empty()).find(|dir| is_root(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system's temporary directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("featherlight-build-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn walks_sources_skips_target_and_finds_workspace_root() {
        let root = scratch("walk");
        let member = root.join("member");
        for dir in ["member/src", "member/wit", "member/target/debug"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        for (path, text) in [
            ("Cargo.toml", "[workspace]\nmembers = [\"member\"]\n"),
            ("Cargo.lock", ""),
            ("member/Cargo.toml", "[package]\nname = \"member\"\n"),
            ("member/src/lib.rs", ""),
            ("member/wit/world.wit", ""),
            ("member/target/debug/junk", ""),
        ] {
            std::fs::write(root.join(path), text).unwrap();
        }

        let files = watched_files(&member).unwrap();
        let expected: Vec<PathBuf> =
            ["Cargo.lock", "Cargo.toml", "member/Cargo.toml", "member/src/lib.rs", "member/wit/world.wit"]
                .iter()
                .map(|p| root.join(p))
                .collect();
        assert_eq!(files, expected);

        // A workspace root watches only its own tree.
        let files = watched_files(&root).unwrap();
        assert_eq!(files.len(), 5);
        assert!(files.iter().all(|f| !f.starts_with(member.join("target"))));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
