//! End-to-end tests of the `featherlight` binary on real KVM, with the calculator example
//! and a component exporting a versioned interface (both built by `build.rs`).
//!
//! Every test uses its own compile cache (`--cache-dir`) in its own scratch directory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The binary under test.
const FEATHERLIGHT: &str = env!("CARGO_BIN_EXE_featherlight");
/// The calculator example component: `add`, `fib`, `noop`, `sqrt`, `call-host`.
const CALCULATOR: &str = env!("CALCULATOR_WASM");
/// A component exporting `featherlight:cli-test/math@1.0.0` with `add`.
const MATH: &str = env!("FEATHERLIGHT_CLI_MATH_WASM");
/// A WASI command from plain Rust std (`tests/components/wasi-app`); its first argument
/// picks what it does.
const WASI_APP: &str = env!("FEATHERLIGHT_CLI_WASI_APP_WASM");

/// An empty scratch directory for `test`.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("featherlight-cli-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

/// What one run of the binary did.
#[derive(Debug)]
struct Outcome {
    success: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// How long one run of the binary may take before the test gives up on it (a hung guest
/// would otherwise hang the test).
const TIMEOUT: Duration = Duration::from_secs(180);

/// Runs `featherlight --cache-dir <dir>/cache <args>`, logging nothing; kills it and fails
/// the test after [`TIMEOUT`].
fn featherlight(dir: &Path, args: &[&str]) -> Outcome {
    let mut child = Command::new(FEATHERLIGHT)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(args)
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
fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        pipe.read_to_end(&mut bytes).expect("read a pipe of featherlight");
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Asserts `outcome` succeeded and printed exactly `stdout`.
fn assert_prints(outcome: &Outcome, stdout: &str) {
    assert!(outcome.success, "failed: {outcome:#?}");
    assert_eq!(outcome.stdout, stdout, "{outcome:#?}");
}

/// Asserts `outcome` failed with exit code 1, printed nothing on stdout and an anyhow
/// error on stderr that contains every one of `needles`.
fn assert_fails_with(outcome: &Outcome, needles: &[&str]) {
    assert_eq!(outcome.code, Some(1), "{outcome:#?}");
    assert_eq!(outcome.stdout, "", "{outcome:#?}");
    assert!(outcome.stderr.starts_with("Error: "), "{outcome:#?}");
    for needle in needles {
        assert!(outcome.stderr.contains(needle), "no `{needle}` in {outcome:#?}");
    }
}

#[test]
fn invoke_prints_the_result() {
    let dir = scratch("invoke");
    assert_prints(&featherlight(&dir, &["run", "--invoke", "add(1, 2)", CALCULATOR]), "3\n");
    // Arguments after the component are the guest's, even when they look like options.
    assert_prints(&featherlight(&dir, &["run", "--invoke", "add(40, 2)", CALCULATOR, "--invoke", "x"]), "42\n");
    // No results print as an empty list, as with wasmtime.
    assert_prints(&featherlight(&dir, &["run", "--invoke", "noop()", CALCULATOR]), "()\n");
}

#[test]
fn invoke_accepts_qualified_names() {
    let dir = scratch("qualified");
    for call in ["featherlight:cli-test/math.add(1, 2)", "featherlight:cli-test/math.add@1.0.0(1, 2)", "add(1, 2)"] {
        assert_prints(&featherlight(&dir, &["run", "--invoke", call, MATH]), "3\n");
    }
    assert_fails_with(
        &featherlight(&dir, &["run", "--invoke", "featherlight:cli-test/math.add@9.9.9(1, 2)", MATH]),
        &["exports no function"],
    );
}

#[test]
fn floats_print_as_wasmtime_prints_them() {
    let dir = scratch("sqrt");
    assert_prints(&featherlight(&dir, &["run", "--invoke", "sqrt(2)", CALCULATOR]), "1.4142135623730951\n");
}

#[test]
fn bad_calls_fail_with_a_message() {
    let dir = scratch("bad-call");
    assert_fails_with(&featherlight(&dir, &["run", "--invoke", "add(1,", CALCULATOR]), &["add(1,", "function call"]);
    assert_fails_with(
        &featherlight(&dir, &["run", "--invoke", "nope()", CALCULATOR]),
        &["nope", "featherlight inspect"],
    );
    assert_fails_with(&featherlight(&dir, &["run", "--invoke", "add(1, \"x\")", CALCULATOR]), &["add"]);
}

#[test]
fn unprovided_imports_trap_naming_themselves() {
    let dir = scratch("trap");
    assert_fails_with(
        &featherlight(&dir, &["run", "--invoke", "call-host(1)", CALCULATOR]),
        &["failed to invoke `call-host`", "record-call"],
    );
}

#[test]
fn run_without_invoke_says_to_pass_it() {
    let dir = scratch("no-invoke");
    assert_fails_with(&featherlight(&dir, &["run", CALCULATOR]), &["--invoke", "wasi:cli/run", "add"]);
}

#[test]
fn wasi_commands_run_like_wasmtime_run() {
    let dir = scratch("wasi-command");
    let hello = featherlight(&dir, &["run", WASI_APP, "hello"]);
    assert_eq!((hello.code, hello.stdout.as_str()), (Some(0), "hello from wasm32-wasip2\n"), "{hello:#?}");
    assert_eq!(hello.stderr, "and hello to stderr\n");
    // The guest's arguments start with the component's path, as with wasmtime.
    let args = featherlight(&dir, &["run", WASI_APP, "args", "--not-an-option"]);
    assert_eq!(args.stdout, format!("arg 0: {WASI_APP}\narg 1: args\narg 2: --not-an-option\n"));
    // Only the variables given reach the guest; `--env NAME` passes this process's value on.
    let home = std::env::var("HOME").expect("the test process has HOME");
    let env = featherlight(&dir, &["run", "--env", "A=1", "--env", "HOME", WASI_APP, "env"]);
    assert_eq!(env.stdout, format!("A=1\nHOME={home}\n"), "{env:#?}");
}

#[test]
fn wasi_exit_statuses_become_the_clis() {
    let dir = scratch("wasi-exit");
    // wasm32-wasip2's libc reports exit(3) as `exit(err)`: status 1, as under wasmtime.
    let exit = featherlight(&dir, &["run", WASI_APP, "exit"]);
    assert_eq!((exit.code, exit.stdout.as_str()), (Some(1), "exiting with 3\n"), "{exit:#?}");
    // A panic is a trap: its message on stderr, status 134 like wasmtime.
    let panic = featherlight(&dir, &["run", WASI_APP, "panic"]);
    assert_eq!(panic.code, Some(134), "{panic:#?}");
    assert!(panic.stderr.contains("the test component panics on purpose"), "{panic:#?}");
    assert!(panic.stderr.contains("unreachable"), "{panic:#?}");
}

#[test]
fn missing_component_is_reported() {
    let dir = scratch("missing");
    let missing = dir.join("missing.wasm");
    let missing = missing.to_str().expect("UTF-8 path");
    assert_fails_with(&featherlight(&dir, &["run", "--invoke", "add(1, 2)", missing]), &[missing]);
}

#[test]
fn inspect_prints_the_wit_world() {
    let dir = scratch("inspect");
    let outcome = featherlight(&dir, &["inspect", CALCULATOR]);
    assert!(outcome.success, "{outcome:#?}");
    for line in [
        "export add: func(a: u32, b: u32) -> u32;",
        "export fib: func(n: u32) -> u64;",
        "import featherlight:calculator/host;",
        "record-call: func(n: u32) -> u32;",
    ] {
        assert!(outcome.stdout.contains(line), "no `{line}` in {outcome:#?}");
    }
}

#[test]
fn inspect_host_reports_the_hypervisor_and_what_it_offers() {
    let dir = scratch("inspect-host");
    let outcome = featherlight(&dir, &["inspect", "--host"]);
    assert!(outcome.success, "{outcome:#?}");
    for line in [
        "hypervisor: KVM (/dev/kvm)",
        "KVM /dev/kvm: usable",
        "yes read-only memory slots (the shared snapshot) (required)",
        "MSR filter",
        "dirty",
        "MSHV /dev/mshv:",
        "SSE4.1: host CPU has it",
    ] {
        assert!(outcome.stdout.contains(line), "no `{line}` in {outcome:#?}");
    }
    // Asking for a backend this build lacks says how to get it.
    let outcome = featherlight(&dir, &["--hypervisor", "mshv", "run", "--invoke", "add(1, 2)", CALCULATOR]);
    assert_fails_with(&outcome, &["mshv"]);
}

#[test]
fn compiled_components_run_and_corrupted_ones_are_rejected() {
    let dir = scratch("compile");
    let cwasm = dir.join("calculator.cwasm");
    let cwasm_arg = cwasm.to_str().expect("UTF-8 path");
    let outcome = featherlight(&dir, &["compile", CALCULATOR, "-o", cwasm_arg]);
    assert!(outcome.success, "{outcome:#?}");
    assert_prints(&featherlight(&dir, &["run", "--invoke", "add(1, 2)", cwasm_arg]), "3\n");
    let outcome = featherlight(&dir, &["inspect", cwasm_arg]);
    assert!(outcome.stdout.contains("export add: func(a: u32, b: u32) -> u32;"), "{outcome:#?}");

    // Without -o, the output goes next to the input with the extension .cwasm.
    let copy = dir.join("copy.wasm");
    std::fs::copy(CALCULATOR, &copy).expect("copy the component");
    let outcome = featherlight(&dir, &["compile", copy.to_str().expect("UTF-8 path")]);
    assert!(outcome.success, "{outcome:#?}");
    assert!(dir.join("copy.cwasm").is_file());

    // One flipped bit in the middle: the digest no longer matches.
    let mut bytes = std::fs::read(&cwasm).expect("read the .cwasm");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    let corrupted = dir.join("corrupted.cwasm");
    std::fs::write(&corrupted, bytes).expect("write the corrupted .cwasm");
    let corrupted = corrupted.to_str().expect("UTF-8 path");
    assert_fails_with(&featherlight(&dir, &["run", "--invoke", "add(1, 2)", corrupted]), &[corrupted, "corrupted"]);
}

#[test]
fn bench_prints_json_lines() {
    let dir = scratch("bench");
    let args = ["bench", "--json", "--iterations", "20", "--fib-n", "15", "--idle-sandboxes", "10"];
    let outcome = featherlight(&dir, &args);
    assert!(outcome.success, "{outcome:#?}");
    let mut names = Vec::new();
    let mut idle = Vec::new();
    for line in outcome.stdout.lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("`{line}` is not JSON: {e}"));
        let object = value.as_object().expect("a JSON object");
        if object["name"].as_str().is_some_and(|name| name.starts_with("idle-sandbox-")) {
            assert_eq!(object["sandboxes"], 10, "{line}");
            idle.push(value);
            continue;
        }
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let expected_keys = [
            "baseline",
            "iterations",
            "median_ns",
            "min_ns",
            "name",
            "ratio",
            "target_met",
            "target_ns",
            "target_rule",
        ];
        assert_eq!(keys, expected_keys, "{line}");
        for key in ["median_ns", "min_ns", "iterations", "ratio"] {
            assert!(object[key].is_number(), "{key} in {line}");
        }
        let name = object["name"].as_str().expect("name is a string");
        if name == object["baseline"] {
            assert_eq!(object["ratio"].as_f64(), Some(1.0), "{line}");
        }
        // Targets computed from other rows: flat in scratch size and within
        // the host-CoW budget at once.
        if name == "restore-16MiB-dirty-10" {
            let rule = object["target_rule"].as_str().expect("a target");
            assert!(rule.contains("1.2 x restore-1MiB-dirty-10") && rule.contains("vcpu-ioctl"), "{line}");
            assert!(object["target_ns"].is_number() && object["target_met"].is_boolean(), "{line}");
        }
        names.push(name.to_owned());
    }
    let expected = [
        "raw-exit",
        "call-noop",
        "call-host-import",
        "sandbox-new",
        "fib-vm",
        "fib-wasmtime",
        "memset-page",
        "vcpu-ioctl",
    ];
    assert_eq!(names[..expected.len()], expected, "{outcome:#?}");
    let restores: Vec<_> = names.iter().filter(|name| name.starts_with("restore-")).collect();
    assert_eq!(restores.len(), 14, "{names:?}");
    let guest_cow: Vec<_> = names.iter().filter(|name| name.starts_with("guest-cow-restore-")).collect();
    assert_eq!(guest_cow.len(), 14, "{names:?}");
    for mode in ["host-cow", "guest-cow"] {
        for dirty in [0, 100] {
            let row = format!("{mode}-touch-{dirty}-restore");
            assert!(names.contains(&row), "no {row} in {names:?}");
        }
    }
    let last = ["call-restore-noop", "vm-create-exit", "sandbox-from-snapshot", "sandbox-from-spare"];
    assert_eq!(names[names.len() - last.len()..], last, "{names:?}");

    let idle_names: Vec<_> = idle.iter().map(|row| row["name"].as_str().unwrap_or_default()).collect();
    assert_eq!(
        idle_names,
        [
            "idle-sandbox-rss",
            "idle-sandbox-private",
            "idle-sandbox-kernel",
            "idle-sandbox-host-memory",
            "idle-sandbox-fds"
        ],
        "{outcome:#?}"
    );
    for row in &idle[..4] {
        assert!(row["bytes_per_sandbox"].is_number() && row["snapshot_bytes"].as_u64() > Some(0), "{row}");
    }
    assert_eq!(idle[1]["target_bytes"], 1 << 20, "{}", idle[1]);
    // One idle calculator sandbox costs far less than the 1 MiB target.
    assert_eq!(idle[1]["target_met"], true, "{}", idle[1]);
    assert!(idle[0]["target_met"].is_null(), "{}", idle[0]);
    assert!(idle[4]["fds_per_sandbox"].as_f64().is_some_and(|fds| fds >= 1.0), "{}", idle[3]);
}

#[test]
fn bench_leaves_out_idle_sandboxes_on_request() {
    let dir = scratch("bench-no-idle");
    let args = ["bench", "--json", "--iterations", "2", "--fib-n", "5", "--no-restore", "--no-idle"];
    let outcome = featherlight(&dir, &args);
    assert!(outcome.success, "{outcome:#?}");
    assert!(!outcome.stdout.contains("idle-sandbox-"), "{outcome:#?}");
    assert!(outcome.stdout.contains("\"fib-vm\""), "{outcome:#?}");
}

#[test]
fn bench_load_reports_outcomes_and_usage() {
    let dir = scratch("bench-load");
    let args = ["bench", "--load", "--json", "--load-sandboxes", "4", "--load-calls", "200"];
    let outcome = featherlight(&dir, &args);
    assert!(outcome.success, "{outcome:#?}");
    let value: serde_json::Value =
        serde_json::from_str(outcome.stdout.trim()).unwrap_or_else(|e| panic!("`{}` is not JSON: {e}", outcome.stdout));
    assert_eq!(value["name"], "load");
    assert_eq!(value["calls"], 800);
    let outcomes = value["outcomes"].as_object().expect("outcomes");
    let counted: u64 = outcomes.values().map(|n| n.as_u64().expect("a count")).sum();
    assert_eq!(counted, 800, "{value}");
    assert!(outcomes.keys().all(|o| o == "ok" || o == "Interrupted"), "{value}");
    for usage in ["before", "warm", "end", "dropped"] {
        assert!(value[usage]["open_fds"].as_u64().is_some_and(|n| n > 0), "{usage} in {value}");
        assert!(value[usage]["rss_kib"].as_u64().is_some_and(|n| n > 0), "{usage} in {value}");
    }
}

/// `cache dir|info|clear` on the run's own cache, and `--cache-max-size`.
#[test]
fn cache_subcommands_show_bound_and_clear_the_cache() {
    let dir = scratch("cache");
    let cache = dir.join("cache");
    let outcome = featherlight(&dir, &["cache", "dir"]);
    assert!(outcome.success, "{outcome:#?}");
    assert_eq!(outcome.stdout.trim(), cache.display().to_string());
    let info = |extra: &[&str]| {
        let outcome = featherlight(&dir, &[extra, &["cache", "info"]].concat());
        assert!(outcome.success, "{outcome:#?}");
        outcome.stdout
    };
    assert!(info(&[]).contains("entries:   0\nsize:      0 bytes of at most 1.0 GiB"), "{}", info(&[]));

    let add = ["run", "--invoke", "add(1, 2)", CALCULATOR];
    let outcome = featherlight(&dir, &add);
    assert_eq!((outcome.success, outcome.stdout.as_str()), (true, "3\n"), "{outcome:#?}");
    assert!(info(&["--cache-max-size", "2G"]).contains("entries:   1\nsize:      "), "{}", info(&[]));
    assert!(info(&["--cache-max-size", "2G"]).contains("of at most 2.0 GiB"), "{}", info(&[]));

    let outcome = featherlight(&dir, &["cache", "clear"]);
    assert!(outcome.success, "{outcome:#?}");
    assert!(outcome.stdout.starts_with("removed 1 compiled components ("), "{outcome:#?}");
    assert!(info(&[]).contains("entries:   0"), "{}", info(&[]));

    // A component larger than the bound runs but is not cached.
    let outcome = featherlight(&dir, &[&["--cache-max-size", "1K"][..], &add].concat());
    assert_eq!((outcome.success, outcome.stdout.as_str()), (true, "3\n"), "{outcome:#?}");
    assert!(info(&[]).contains("entries:   0"), "{}", info(&[]));

    let outcome = featherlight(&dir, &["--cache-max-size", "1X", "cache", "info"]);
    assert!(!outcome.success && outcome.stderr.contains("--cache-max-size"), "{outcome:#?}");
}
