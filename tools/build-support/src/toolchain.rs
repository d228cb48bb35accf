//! Making sure the active toolchain can build for a target.

use std::fs::{File, OpenOptions};
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

/// What rustup told the build about the toolchain it chose (it sets these variables for
/// every tool it starts through its proxies).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Rustup {
    /// `RUSTUP_TOOLCHAIN`: the active toolchain's name; unset if rustup did not start
    /// cargo (a distribution's Rust, a toolchain on `PATH`).
    toolchain: Option<String>,
    /// `RUSTUP_TOOLCHAIN_SOURCE`: why that toolchain (`toolchain-file`, `cli` for
    /// `cargo +name`, `env`, `override`, `default`, ...); unset before rustup 1.28.
    source: Option<String>,
}

impl Rustup {
    fn from_env() -> Self {
        Self {
            toolchain: std::env::var("RUSTUP_TOOLCHAIN").ok(),
            source: std::env::var("RUSTUP_TOOLCHAIN_SOURCE").ok(),
        }
    }

    /// The command a person should run to add `target`.
    fn fix(&self, target: &str) -> String {
        match &self.toolchain {
            Some(name) => format!("rustup target add {target} --toolchain {name}"),
            None => format!("rustup target add {target}"),
        }
    }

    /// The toolchain to add a missing target to, or why none is: only a toolchain rustup
    /// chose from `rust-toolchain.toml` is changed automatically. One the user chose
    /// some other way (`cargo +name`, `RUSTUP_TOOLCHAIN`, an override) is theirs to
    /// change.
    fn toolchain_to_change(&self, workspace_root: &Path) -> Result<&str, String> {
        let Some(name) = self.toolchain.as_deref() else {
            return Err("rustc was not started by rustup (RUSTUP_TOOLCHAIN is not set), so no target was \
                        added automatically"
                .to_owned());
        };
        match self.source.as_deref() {
            None | Some("toolchain-file") => Ok(name),
            // rustup's proxies set RUSTUP_TOOLCHAIN for every tool they start, so a cargo
            // started by another (the one `cargo clippy` runs, a nested build) reports
            // `env` for the toolchain the file chose: that one is the file's too.
            Some("env") if names_file_channel(name, workspace_root) => Ok(name),
            Some(source) => Err(format!(
                "the toolchain was selected by {source}, not by {}/rust-toolchain.toml, so no target was added \
                 to it automatically",
                workspace_root.display()
            )),
        }
    }
}

/// Whether toolchain `name` is the channel named by the `rust-toolchain.toml` rustup
/// finds from `dir` (the nearest one in it or above it; `1.95.0` names
/// `1.95.0-x86_64-unknown-linux-gnu`).
fn names_file_channel(name: &str, dir: &Path) -> bool {
    let Some(file) = dir.ancestors().find_map(|d| std::fs::read_to_string(d.join("rust-toolchain.toml")).ok()) else {
        return false;
    };
    let channel = file.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "channel").then(|| value.trim().trim_matches('"').to_owned())
    });
    channel.is_some_and(|channel| name == channel || name.starts_with(&format!("{channel}-")))
}

/// The command that adds `target` to the installed toolchain `toolchain` without
/// touching anything else in it.
///
/// Not `rustup toolchain install`: on an installed toolchain that reinstalls every
/// component, removing `bin/rustc` for a while, and the rustc processes of the same
/// build running then fail with "No such file or directory".
fn target_add_command(target: &str, toolchain: &str, workspace_root: &Path) -> Command {
    let mut cmd = Command::new("rustup");
    cmd.args(["target", "add", target, "--toolchain", toolchain]).current_dir(workspace_root);
    cmd
}

/// Runs `cmd`; `Err` says what went wrong, with rustup's output.
fn run_rustup(mut cmd: Command) -> Result<(), String> {
    let shown =
        format!("`rustup {}`", cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>().join(" "));
    // Captured: a build script's stdout is read by cargo as instructions.
    match cmd.output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => {
            let said = String::from_utf8_lossy(&output.stderr);
            Err(format!("{shown} failed ({}): {}", output.status, said.trim()))
        }
        Err(err) => Err(format!("could not run {shown}: {err}")),
    }
}

/// The file that serialises changes to the toolchain at `sysroot` between the build
/// scripts of one build (and of concurrent builds).
fn lock_path(sysroot: &Path) -> PathBuf {
    sysroot.join("lib/rustlib/featherlight-target-add.lock")
}

/// Opens and exclusively locks [`lock_path`], waiting for another holder; the lock goes
/// with the returned file (`flock`, released when the file is closed, also when the
/// process dies).
fn lock_toolchain(sysroot: &Path) -> Result<File, String> {
    let path = lock_path(sysroot);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot create the lock file {}: {e}", path.display()))?;
    file.lock().map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    Ok(file)
}

/// Makes sure the active toolchain has the standard library for `target`.
///
/// If the sysroot lacks `lib/rustlib/<target>`, runs `rustup target add <target>
/// --toolchain <active toolchain>` (which adds that target's standard library and leaves
/// rustc, cargo and the other components alone, so concurrent compiles of the same build
/// are not disturbed), then checks again. Build scripts that run at the same time take
/// turns through a file lock in the toolchain (`lib/rustlib/featherlight-target-add.lock`)
/// and check again once they hold it, so a target is added once.
///
/// Only a toolchain rustup chose from the `rust-toolchain.toml` of `workspace_root` (or
/// above) is changed: when the toolchain was chosen some other way (`cargo +name`,
/// `RUSTUP_TOOLCHAIN`, an override) or rustup is not in use, nothing is tried and the
/// error says which command to run.
///
/// # Errors
///
/// [`BuildError::MissingTarget`] (with the command to run by hand) if the target is still
/// missing; [`BuildError::Spawn`]/[`BuildError::Sysroot`] if rustc cannot tell its sysroot.
pub fn ensure_rust_target(target: &str, workspace_root: &Path) -> Result<(), BuildError> {
    let sysroot = sysroot(workspace_root)?;
    ensure_in(&sysroot, target, workspace_root, &Rustup::from_env(), run_rustup)
}

/// [`ensure_rust_target`] for the toolchain at `sysroot`, adding targets with `add`.
fn ensure_in(
    sysroot: &Path,
    target: &str,
    workspace_root: &Path,
    rustup: &Rustup,
    add: impl FnOnce(Command) -> Result<(), String>,
) -> Result<(), BuildError> {
    if has_target(sysroot, target) {
        return Ok(());
    }
    let missing = |detail: String| BuildError::MissingTarget {
        target: target.to_owned(),
        sysroot: sysroot.to_path_buf(),
        detail,
        fix: rustup.fix(target),
    };
    let toolchain = rustup.toolchain_to_change(workspace_root).map_err(missing)?;

    let _lock = lock_toolchain(sysroot).map_err(missing)?;
    // Another build script may have added it while this one waited.
    if has_target(sysroot, target) {
        return Ok(());
    }
    println!(
        "cargo:warning=`{target}` is missing from {}; running `rustup target add {target} --toolchain {toolchain}`",
        sysroot.display()
    );
    add(target_add_command(target, toolchain, workspace_root)).map_err(missing)?;
    if has_target(sysroot, target) {
        Ok(())
    } else {
        Err(missing("`rustup target add` succeeded but did not add it".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A fake sysroot (`lib/rustlib/<host>`) in a fresh directory, removed on drop.
    struct FakeSysroot(PathBuf);

    impl FakeSysroot {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("featherlight-build-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("lib/rustlib/x86_64-unknown-linux-gnu")).unwrap();
            Self(dir)
        }

        /// What `rustup target add` does to it, as far as these tests look.
        fn add(&self, cmd: &Command) {
            let args: Vec<_> = cmd.get_args().map(|a| a.to_str().unwrap().to_owned()).collect();
            assert_eq!(args[..2], ["target", "add"]);
            std::fs::create_dir_all(self.0.join("lib/rustlib").join(&args[2]).join("lib")).unwrap();
        }
    }

    impl Drop for FakeSysroot {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn from_file() -> Rustup {
        Rustup { toolchain: Some("1.95.0-x86_64-unknown-linux-gnu".into()), source: Some("toolchain-file".into()) }
    }

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn active_sysroot_has_the_host_target() {
        let sysroot = sysroot(root()).expect("rustc --print sysroot");
        let rustlib = sysroot.join("lib/rustlib");
        assert!(rustlib.is_dir(), "{} is not a directory", rustlib.display());
        assert!(!has_target(&sysroot, "no-such-target-triple"));
    }

    #[test]
    fn present_target_needs_no_install() {
        // The host's own target is always there: this must return without rustup.
        let sysroot = sysroot(root()).unwrap();
        let host = std::fs::read_dir(sysroot.join("lib/rustlib"))
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.path().join("lib").is_dir())
            .expect("some target in the sysroot");
        let host = host.file_name().into_string().unwrap();
        ensure_rust_target(&host, root()).unwrap();
        // Nor does the fake one, whatever rustup says.
        let fake = FakeSysroot::new("present");
        ensure_in(&fake.0, "x86_64-unknown-linux-gnu", root(), &Rustup::default(), |_| panic!("rustup was run"))
            .unwrap();
        assert!(!lock_path(&fake.0).exists(), "a present target takes no lock");
    }

    #[test]
    fn adds_only_the_target_to_the_named_toolchain() {
        let cmd = target_add_command("wasm32-wasip2", "1.95.0-x86_64-unknown-linux-gnu", root());
        assert_eq!(cmd.get_program(), OsStr::new("rustup"));
        let args: Vec<_> = cmd.get_args().collect();
        assert_eq!(args, ["target", "add", "wasm32-wasip2", "--toolchain", "1.95.0-x86_64-unknown-linux-gnu"]);

        let fake = FakeSysroot::new("adds");
        let mut ran = 0;
        ensure_in(&fake.0, "wasm32-wasip2", root(), &from_file(), |cmd| {
            ran += 1;
            fake.add(&cmd);
            Ok(())
        })
        .unwrap();
        assert_eq!(ran, 1);
        assert!(has_target(&fake.0, "wasm32-wasip2"));
    }

    #[test]
    fn older_rustup_without_a_source_counts_as_the_toolchain_file() {
        let fake = FakeSysroot::new("older");
        let rustup = Rustup { source: None, ..from_file() };
        ensure_in(&fake.0, "wasm32-wasip1", root(), &rustup, |cmd| {
            fake.add(&cmd);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_toolchain_the_file_chose_counts_when_rustup_reports_it_as_env() {
        let fake = FakeSysroot::new("env-file");
        let dir = std::env::temp_dir().join(format!("featherlight-toolchain-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("rust-toolchain.toml"), "[toolchain]\nchannel = \"1.95.0\"\n").unwrap();
        let rustup = Rustup { source: Some("env".into()), ..from_file() };
        ensure_in(&fake.0, "wasm32-wasip1", &dir, &rustup, |cmd| {
            fake.add(&cmd);
            Ok(())
        })
        .unwrap();
        assert!(names_file_channel("1.95.0-x86_64-unknown-linux-gnu", &dir));
        assert!(!names_file_channel("stable", &dir));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_toolchain_chosen_otherwise_is_left_alone() {
        let fake = FakeSysroot::new("chosen");
        for source in ["cli", "env", "override", "default"] {
            let rustup = Rustup { toolchain: Some("stable".into()), source: Some(source.into()) };
            let err = ensure_in(&fake.0, "wasm32-wasip2", root(), &rustup, |_| panic!("rustup was run for {source}"))
                .unwrap_err();
            let text = err.to_string();
            assert!(text.contains(&format!("selected by {source}")), "{text}");
            assert!(text.contains("rustup target add wasm32-wasip2 --toolchain stable"), "{text}");
        }
        let err = ensure_in(&fake.0, "wasm32-wasip2", root(), &Rustup::default(), |_| panic!("rustup was run"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not started by rustup") && err.ends_with("by hand: rustup target add wasm32-wasip2"),
            "{err}"
        );
    }

    #[test]
    fn failures_say_what_rustup_said() {
        let fake = FakeSysroot::new("fails");
        let err = ensure_in(&fake.0, "wasm32-wasip2", root(), &from_file(), |_| Err("rustup said no".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("rustup said no"), "{err}");
        assert!(err.contains("rustup target add wasm32-wasip2 --toolchain 1.95.0-x86_64-unknown-linux-gnu"), "{err}");
        let err = ensure_in(&fake.0, "wasm32-wasip2", root(), &from_file(), |_| Ok(())).unwrap_err().to_string();
        assert!(err.contains("succeeded but did not add it"), "{err}");
        // A real rustup that cannot be found or fails is reported, not a panic.
        let mut cmd = Command::new("/nonexistent/rustup");
        cmd.arg("target");
        assert!(run_rustup(cmd).unwrap_err().contains("could not run"));
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo broken >&2; exit 3"]);
        let err = run_rustup(cmd).unwrap_err();
        assert!(err.contains("broken") && err.contains("exit status: 3"), "{err}");
    }

    /// Build scripts running at once add a missing target once, one at a time, and all
    /// of them see it afterwards.
    #[test]
    fn concurrent_build_scripts_take_turns() {
        let fake = FakeSysroot::new("concurrent");
        let running = AtomicUsize::new(0);
        let runs = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        ensure_in(&fake.0, "x86_64-unknown-none", root(), &from_file(), |cmd| {
                            assert_eq!(running.fetch_add(1, Ordering::SeqCst), 0, "two adds at once");
                            runs.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(50));
                            fake.add(&cmd);
                            running.fetch_sub(1, Ordering::SeqCst);
                            Ok(())
                        })
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap().unwrap();
            }
        });
        assert_eq!(runs.load(Ordering::SeqCst), 1, "the target was added more than once");
    }
}
