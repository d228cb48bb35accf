//! What the CLI test binaries share: the binary and components under test, scratch
//! directories, running the binary to its end and checking what it printed.

#![allow(dead_code, reason = "each test binary uses its own part of it")]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The binary under test.
pub const FEATHERLIGHT: &str = env!("CARGO_BIN_EXE_featherlight");
/// The calculator example component: `add`, `fib`, `noop`, `sqrt`, `call-host`.
pub const CALCULATOR: &str = env!("CALCULATOR_WASM");
/// A component exporting `featherlight:cli-test/math@1.0.0` with `add`.
pub const MATH: &str = env!("FEATHERLIGHT_CLI_MATH_WASM");
/// A WASI command from plain Rust std (`tests/components/wasi-app`); its first argument
/// picks what it does.
pub const WASI_APP: &str = env!("FEATHERLIGHT_CLI_WASI_APP_WASM");

/// A `wasi:http/proxy` component (`tests/components/http-proxy`) with routes such as
/// `/hello`, `/echo`, `/stdout`, `/sleep?ms=N`.
pub const HTTP_PROXY: &str = env!("FEATHERLIGHT_CLI_HTTP_PROXY_WASM");

/// An empty scratch directory for `test`.
pub fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("featherlight-cli-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Outcome {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// How long one run of the binary may take before the test gives up on it (a hung guest
/// would otherwise hang the test).
pub const TIMEOUT: Duration = Duration::from_secs(180);

/// Runs `featherlight --cache-dir <dir>/cache <args>`, logging nothing; kills it and fails
/// the test after [`TIMEOUT`].
pub fn featherlight(dir: &Path, args: &[&str]) -> Outcome {
    let mut command = Command::new(FEATHERLIGHT);
    command.arg("--cache-dir").arg(dir.join("cache")).args(args);
    run_to_end(command, args)
}

/// Runs `command` (the binary with `args`) with the environment the tests want, as
/// [`featherlight`] does.
pub fn run_to_end(mut command: Command, args: &[&str]) -> Outcome {
    let mut child = command
        .env_remove("RUST_LOG")
        // Keep anyhow's messages free of backtraces.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start featherlight");
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for featherlight") {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`featherlight {}` did not finish within {TIMEOUT:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Outcome {
        success: status.success(),
        code: status.code(),
        stdout: stdout.join().expect("read stdout"),
        stderr: stderr.join().expect("read stderr"),
    }
}

/// Reads all of `pipe` on its own thread, so the child never blocks on a full pipe.
pub fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        pipe.read_to_end(&mut bytes).expect("read a pipe of featherlight");
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Asserts `outcome` succeeded and printed exactly `stdout`.
pub fn assert_prints(outcome: &Outcome, stdout: &str) {
    assert!(outcome.success, "failed: {outcome:#?}");
    assert_eq!(outcome.stdout, stdout, "{outcome:#?}");
}

/// Asserts `outcome` failed with exit code 1, printed nothing on stdout and an anyhow
/// error on stderr that contains every one of `needles`.
pub fn assert_fails_with(outcome: &Outcome, needles: &[&str]) {
    assert_eq!(outcome.code, Some(1), "{outcome:#?}");
    assert_eq!(outcome.stdout, "", "{outcome:#?}");
    assert!(outcome.stderr.starts_with("Error: "), "{outcome:#?}");
    for needle in needles {
        assert!(outcome.stderr.contains(needle), "no `{needle}` in {outcome:#?}");
    }
}
