//! End-to-end tests of the `featherlight` binary on real KVM, with the calculator example
//! and a component exporting a versioned interface (both built by `build.rs`).
//!
//! Every test uses its own compile cache (`--cache-dir`) in its own scratch directory.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn invoke_prints_the_result() {
    let dir = scratch("invoke");
    // The calculator imports `featherlight:calculator/host`, which the CLI does not
    // provide: as with wasmtime, it runs only with --trap-unknown-imports.
    assert_prints(&featherlight(&dir, &["run", "--trap-unknown-imports", "--invoke", "add(1, 2)", CALCULATOR]), "3\n");
    // Arguments after the component are the guest's, even when they look like options.
    assert_prints(
        &featherlight(&dir, &["run", "--invoke", "add(40, 2)", "--trap-unknown-imports", CALCULATOR, "--invoke", "x"]),
        "42\n",
    );
    // No results print as an empty list, as with wasmtime.
    assert_prints(
        &featherlight(&dir, &["run", "-W", "unknown-imports-trap", "--invoke", "noop()", CALCULATOR]),
        "()\n",
    );
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
fn invoke_takes_and_prints_values_of_any_size() {
    let dir = scratch("large-values");
    // 60 000 elements: a 120 KB argument (Linux allows 128 KiB for one), 1.4 MB as
    // wire values before lists of numbers travelled packed.
    let list = vec!["2"; 60_000].join(",");
    assert_prints(
        &featherlight(&dir, &["run", "--invoke", &format!("sum([{list}])"), MATH]),
        "120000
",
    );
    // A 3 MiB result travels in chunks.
    let outcome = featherlight(&dir, &["run", "--invoke", "text(3145728)", MATH]);
    assert_prints(&outcome, &format!("\"{}\"\n", "x".repeat(3 << 20)));
    // Past --max-message-size: refused, naming the setting.
    assert_fails_with(
        &featherlight(&dir, &["run", "--max-message-size", "1M", "--invoke", "text(3145728)", MATH]),
        &["exceeds the sandbox's 1048576-byte limit", "max-message-size"],
    );
}

#[test]
fn floats_print_as_wasmtime_prints_them() {
    let dir = scratch("sqrt");
    assert_prints(
        &featherlight(&dir, &["run", "--trap-unknown-imports", "--invoke", "sqrt(2)", CALCULATOR]),
        "1.4142135623730951\n",
    );
}

#[test]
fn bad_calls_fail_with_a_message() {
    let dir = scratch("bad-call");
    let run = |call: &str| featherlight(&dir, &["run", "--trap-unknown-imports", "--invoke", call, CALCULATOR]);
    assert_fails_with(&run("add(1,"), &["add(1,", "function call"]);
    assert_fails_with(&run("nope()"), &["nope", "featherlight inspect"]);
    assert_fails_with(&run("add(1, \"x\")"), &["add"]);
    // A long call is quoted only in part: a 60 KB call makes a short error.
    let long = format!("add([{}]", vec!["1"; 20_000].join(", "));
    let outcome = run(&long);
    assert_fails_with(&outcome, &["cannot read `add([1, 1, 1", &format!("… ({} bytes in all)", long.len())]);
    assert!(outcome.stderr.len() < 1000, "{outcome:#?}");
}

#[test]
fn unprovided_imports_trap_naming_themselves() {
    let dir = scratch("trap");
    assert_fails_with(
        &featherlight(&dir, &["run", "--trap-unknown-imports", "--invoke", "call-host(1)", CALCULATOR]),
        &["failed to invoke `call-host`", "record-call"],
    );
}

#[test]
fn run_without_invoke_says_to_pass_it() {
    let dir = scratch("no-invoke");
    assert_fails_with(
        &featherlight(&dir, &["run", "--trap-unknown-imports", CALCULATOR]),
        &["--invoke", "wasi:cli/run", "add"],
    );
}

#[test]
fn wasi_commands_run_like_wasmtime_run() {
    let dir = scratch("wasi-command");
    let hello = featherlight(&dir, &["run", WASI_APP, "hello"]);
    assert_eq!((hello.code, hello.stdout.as_str()), (Some(0), "hello from wasm32-wasip2\n"), "{hello:#?}");
    assert_eq!(hello.stderr, "and hello to stderr\n");
    // The guest's arguments start with the component's file name (not its path, which
    // would leak the host's directories), as with wasmtime; then everything after the
    // component, even what looks like an option.
    let args = featherlight(&dir, &["run", WASI_APP, "args", "--not-an-option", "--invoke", "-W", "fuel=1"]);
    assert_eq!(
        args.stdout,
        "arg 0: wasi-app.wasm\narg 1: args\narg 2: --not-an-option\narg 3: --invoke\narg 4: -W\narg 5: fuel=1\n",
        "{args:#?}"
    );
    let args = featherlight(&dir, &["run", "--argv0", "app", WASI_APP, "args"]);
    assert_eq!(args.stdout, "arg 0: app\narg 1: args\n", "{args:#?}");
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
    let args = ["--hypervisor", "mshv", "run", "--trap-unknown-imports", "--invoke", "add(1, 2)", CALCULATOR];
    let outcome = featherlight(&dir, &args);
    assert_fails_with(&outcome, &["mshv"]);
}

#[test]
fn compiled_components_run_and_corrupted_ones_are_rejected() {
    let dir = scratch("compile");
    let cwasm = dir.join("calculator.cwasm");
    let cwasm_arg = cwasm.to_str().expect("UTF-8 path");
    let outcome = featherlight(&dir, &["compile", CALCULATOR, "-o", cwasm_arg]);
    assert!(outcome.success, "{outcome:#?}");
    assert_prints(&featherlight(&dir, &["run", "--trap-unknown-imports", "--invoke", "add(1, 2)", cwasm_arg]), "3\n");
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
    assert_fails_with(
        &featherlight(&dir, &["run", "--trap-unknown-imports", "--invoke", "add(1, 2)", corrupted]),
        &[corrupted, "corrupted"],
    );
}

/// Writes the component `wat` (WAT text) to `dir/name` and returns its path as text.
fn wat_component(dir: &Path, name: &str, wat: &str) -> String {
    let bytes = wat::parse_str(wat).unwrap_or_else(|e| panic!("{name} is not valid WAT: {e}"));
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write the component");
    path.to_str().expect("UTF-8 path").to_owned()
}

/// A WASI command whose `run` returns `err` (a `main` returning non-zero) without
/// calling `wasi:cli/exit`.
const RUN_RETURNS_ERR: &str = r#"
(component
  (core module $m (func (export "run") (result i32) i32.const 1))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $cli-run (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $cli-run)))
"#;

/// A WASI command importing a world-level function `greet` nothing provides; its `run`
/// succeeds without calling it.
const IMPORTS_A_FUNCTION: &str = r#"
(component
  (import "greet" (func $greet))
  (core func $greet-lowered (canon lower (func $greet)))
  (core module $m
    (import "host" "greet" (func))
    (func (export "run") (result i32) i32.const 0))
  (core instance $host (export "greet" (func $greet-lowered)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $cli-run (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $cli-run)))
"#;

/// Asserts `outcome` is a command-line error (exit status 2, as with clap and wasmtime)
/// on one line of stderr containing every one of `needles`.
fn assert_refused_on_one_line(outcome: &Outcome, needles: &[&str]) {
    assert_eq!(outcome.code, Some(2), "{outcome:#?}");
    assert_eq!(outcome.stdout, "", "{outcome:#?}");
    assert_eq!(outcome.stderr.trim_end().lines().count(), 1, "{outcome:#?}");
    assert!(outcome.stderr.starts_with("error: "), "{outcome:#?}");
    for needle in needles {
        assert!(outcome.stderr.contains(needle), "no `{needle}` in {outcome:#?}");
    }
}

#[test]
fn wasmtime_options_featherlight_lacks_are_refused_by_name() {
    let dir = scratch("refused-options");
    for (args, named) in [
        (&["--preload", "m=m.wasm"][..], "`--preload`"),
        (&["--profile", "perfmap"], "`--profile`"),
        (&["-S", "http"], "-S http"),
        (&["--wasi", "inherit-network"], "-S inherit-network"),
        (&["-W", "fuel=1000"], "-W fuel"),
        (&["--wasm", "timeout=5s,fuel=1000"], "-W fuel"),
        (&["-Wmax-table-elements=10"], "-W max-table-elements"),
        (&["-C", "cache-config=x.toml"], "-C cache-config"),
        (&["-O", "opt-level=2"], "-O opt-level"),
        (&["-D", "coredump=core"], "-D coredump"),
    ] {
        let mut command = vec!["run"];
        command.extend_from_slice(args);
        command.extend_from_slice(&[WASI_APP, "hello"]);
        assert_refused_on_one_line(&featherlight(&dir, &command), &[named, "not supported by featherlight"]);
    }
    // Keys wasmtime does not know either fail as wasmtime fails them.
    assert_refused_on_one_line(
        &featherlight(&dir, &["run", "-W", "fule=1", WASI_APP]),
        &["unknown -W / --wasm option: fule"],
    );
    assert_refused_on_one_line(
        &featherlight(&dir, &["run", "-W", "timeout=soon", WASI_APP]),
        &["failed to parse -W option `timeout=soon`"],
    );
    // A typo is an unknown option, not the component's path.
    let typo = featherlight(&dir, &["run", "--envv", "A=1", WASI_APP, "env"]);
    assert_eq!(typo.code, Some(2), "{typo:#?}");
    assert!(typo.stderr.starts_with("error: unexpected argument '--envv' found"), "{typo:#?}");
    assert!(!typo.stderr.contains("main module"), "{typo:#?}");
    // The same without `run`.
    assert_refused_on_one_line(&featherlight(&dir, &["--preload", "m=m.wasm", WASI_APP]), &["`--preload`"]);
    // An empty variable name is an error, not dropped.
    let empty = featherlight(&dir, &["run", "--env", "=x", WASI_APP, "env"]);
    assert_eq!(empty.code, Some(2), "{empty:#?}");
    assert!(empty.stderr.contains("'=x'") && empty.stderr.contains("name is empty"), "{empty:#?}");
}

#[test]
fn wasmtime_spellings_featherlight_has_are_accepted() {
    let dir = scratch("wasmtime-spellings");
    // `featherlight app.wasm` is `featherlight run app.wasm`, as `wasmtime app.wasm` is.
    let hello = featherlight(&dir, &[WASI_APP, "hello"]);
    assert_eq!((hello.code, hello.stdout.as_str()), (Some(0), "hello from wasm32-wasip2\n"), "{hello:#?}");
    assert_prints(&featherlight(&dir, &["--invoke", "add(1, 2)", "--trap-unknown-imports", CALCULATOR]), "3\n");
    // Limits and the deadline, comma-separated or repeated.
    let args = ["run", "-W", "timeout=60s,max-memory-size=16777216", "-W", "max-wasm-stack=1048576", WASI_APP, "hello"];
    let limited = featherlight(&dir, &args);
    assert_eq!((limited.code, limited.stdout.as_str()), (Some(0), "hello from wasm32-wasip2\n"), "{limited:#?}");
    // A memory cap below what the component starts with refuses it, as in wasmtime.
    let small = featherlight(&dir, &["run", "-W", "max-memory-size=65536", WASI_APP, "hello"]);
    assert_fails_with(&small, &["exceeds memory limits"]);
    // Linear memory grows like wasmtime's: a 1 GiB Vec works by default, and
    // `-W max-memory-size` caps it (the allocation fails inside Wasm).
    let big = featherlight(&dir, &["run", WASI_APP, "alloc", "1024"]);
    assert_eq!((big.code, big.stdout.as_str()), (Some(0), "allocated 1024 MiB, 262144 pages written\n"), "{big:#?}");
    let capped = featherlight(&dir, &["run", "-W", "max-memory-size=268435456", WASI_APP, "alloc", "512"]);
    assert_ne!(capped.code, Some(0), "{capped:#?}");
    assert!(capped.stderr.contains("memory allocation"), "{capped:#?}");
    // Running past the deadline is wasmtime's `interrupt` trap, status 134.
    let slow = featherlight(&dir, &["run", "-W", "timeout=500ms", WASI_APP, "lines", "1000000000"]);
    assert_eq!(slow.code, Some(134), "{}", slow.stderr);
    assert!(slow.stderr.contains("-W timeout") && slow.stderr.contains("interrupt"), "{}", slow.stderr);
    // `-C cache=n` is `--no-cache`: nothing is written to the cache directory.
    let uncached = scratch("wasmtime-spellings-uncached");
    let outcome = featherlight(&uncached, &["run", "-C", "cache=n", WASI_APP, "hello"]);
    assert!(outcome.success, "{outcome:#?}");
    assert!(!uncached.join("cache").exists(), "-C cache=n wrote a cache");
    // `-S inherit-env` passes the whole environment; `--env` still overrides.
    let mut command = Command::new(FEATHERLIGHT);
    command.arg("--cache-dir").arg(dir.join("cache"));
    command.args(["run", "-S", "inherit-env", "--env", "FEATHERLIGHT_B=2", WASI_APP, "env"]);
    command.env("FEATHERLIGHT_A", "1").env("FEATHERLIGHT_B", "1");
    let env = run_to_end(command, &["run", "-S", "inherit-env", WASI_APP, "env"]);
    assert!(env.stdout.contains("FEATHERLIGHT_A=1\n") && env.stdout.contains("FEATHERLIGHT_B=2\n"), "{env:#?}");
    // `--help` says where argv[0] comes from.
    let help = featherlight(&dir, &["run", "--help"]);
    assert!(help.stdout.contains("as with wasmtime run"), "{help:#?}");
}

#[test]
fn invoke_after_a_non_command_says_options_go_first() {
    let dir = scratch("invoke-after");
    let outcome = featherlight(&dir, &["run", "--trap-unknown-imports", CALCULATOR, "--invoke", "add(1, 2)"]);
    assert_fails_with(&outcome, &["options go before the component", "featherlight run --invoke 'add(1, 2)'"]);
}

#[test]
fn unknown_imports_are_refused_unless_asked_to_trap() {
    let dir = scratch("unknown-imports");
    // wasmtime's words, naming the interface and its first function.
    assert_fails_with(
        &featherlight(&dir, &["run", "--invoke", "add(1, 2)", CALCULATOR]),
        &[
            "component imports instance `featherlight:calculator/host`, but a matching implementation was not found in the linker",
            "instance export `record-call` has the wrong type",
            "function implementation is missing",
            "--trap-unknown-imports",
        ],
    );
    let greet = wat_component(&dir, "greet.wasm", IMPORTS_A_FUNCTION);
    assert_fails_with(
        &featherlight(&dir, &["run", &greet]),
        &["component imports func `greet`, but a matching implementation was not found in the linker"],
    );
    // Asked to, it runs; the import is not called.
    let outcome = featherlight(&dir, &["run", "--trap-unknown-imports", &greet]);
    assert!(outcome.success, "{outcome:#?}");
    // WASI is linked: the WASI app imports only WASI and runs without the flag (above).
}

#[test]
fn run_returning_an_error_exits_1_silently() {
    let dir = scratch("run-err");
    let component = wat_component(&dir, "run-err.wasm", RUN_RETURNS_ERR);
    let outcome = featherlight(&dir, &["run", &component]);
    assert_eq!((outcome.code, outcome.stdout.as_str(), outcome.stderr.as_str()), (Some(1), "", ""), "{outcome:#?}");
    // `std::process::exit(3)`: status 1 as well (wasm32-wasip2's libc), and silent.
    let exit = featherlight(&dir, &["run", WASI_APP, "exit"]);
    assert_eq!((exit.code, exit.stderr.as_str()), (Some(1), ""), "{exit:#?}");
}

#[test]
fn closed_stderr_never_panics() {
    let dir = scratch("closed-stderr");
    let missing = dir.join("missing.wasm");
    let missing = missing.to_str().expect("UTF-8 path");
    // An error (1), a command-line error (2), a trap (134: its report goes to stderr too).
    for (args, code) in [
        (&["run", missing][..], 1),
        (&["run", "-W", "fuel=1", WASI_APP], 2),
        (&["run", WASI_APP, "panic"], 134),
        (&["run", "-W", "timeout=200ms", WASI_APP, "lines", "1000000000"], 134),
    ] {
        let mut child = Command::new(FEATHERLIGHT)
            .arg("--cache-dir")
            .arg(dir.join("cache"))
            .args(args)
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start featherlight");
        // Close the read end: writing an error to stderr fails with EPIPE.
        drop(child.stderr.take());
        let status = child.wait().expect("wait for featherlight");
        assert_eq!(status.code(), Some(code), "featherlight {args:?} (101: it panicked)");
    }
}

#[test]
fn core_modules_are_refused_by_inspect_as_by_run() {
    let dir = scratch("core-module");
    let module = dir.join("module.wasm");
    std::fs::write(&module, wat::parse_str("(module (func (export \"f\")))").expect("WAT")).expect("write");
    let module = module.to_str().expect("UTF-8 path");
    for subcommand in ["run", "inspect"] {
        assert_fails_with(
            &featherlight(&dir, &[subcommand, module]),
            &["is a core WebAssembly module, not a component"],
        );
    }
}

#[test]
fn verbose_logs_have_no_colour_codes_off_a_terminal() {
    let dir = scratch("no-colour");
    let outcome = featherlight(&dir, &["-vvv", "run", WASI_APP, "hello"]);
    assert!(outcome.success, "{outcome:#?}");
    assert!(outcome.stderr.contains("DEBUG"), "{outcome:#?}");
    assert!(!outcome.stderr.contains('\x1b'), "{outcome:#?}");
}

#[test]
fn inspect_host_names_no_hypervisor_it_cannot_use() {
    let dir = scratch("inspect-host-unusable");
    // A hypervisor this build lacks: nothing is selected, and no KVM paging is claimed.
    let outcome = featherlight(&dir, &["--hypervisor", "mshv", "inspect", "--host"]);
    assert!(outcome.success, "{outcome:#?}");
    assert!(outcome.stdout.starts_with("hypervisor: none usable"), "{outcome:#?}");
    assert!(outcome.stdout.contains("dirty pages (MemoryConfig::dirty_pages = Auto): no usable hypervisor"));
    assert!(!outcome.stdout.contains("KVM here"), "{outcome:#?}");
    // /dev/kvm present but unusable (/dev/null mounted over it in a private mount
    // namespace), where `unshare` can do that.
    let mut command = Command::new("unshare");
    let script = format!("mount --bind /dev/null /dev/kvm && exec {FEATHERLIGHT} inspect --host");
    command.args(["--mount", "--map-root-user", "--user", "sh", "-c", &script]);
    let outcome = run_to_end(command, &["inspect", "--host", "(in unshare)"]);
    if !outcome.success && !outcome.stdout.starts_with("hypervisor") {
        eprintln!("skipping the unusable-/dev/kvm case: unshare failed: {}", outcome.stderr);
        return;
    }
    assert!(outcome.stdout.starts_with("hypervisor: none usable: /dev/kvm is present but unusable"), "{outcome:#?}");
    assert!(outcome.stdout.contains("KVM /dev/kvm: unusable"), "{outcome:#?}");
    assert!(!outcome.stdout.contains("KVM here"), "{outcome:#?}");
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

    let add = ["run", "--trap-unknown-imports", "--invoke", "add(1, 2)", CALCULATOR];
    let outcome = featherlight(&dir, &add);
    assert_eq!((outcome.success, outcome.stdout.as_str()), (true, "3\n"), "{outcome:#?}");
    // The compiled component and its warm snapshot.
    assert!(info(&["--cache-max-size", "2G"]).contains("entries:   2\nsize:      "), "{}", info(&[]));
    assert!(info(&["--cache-max-size", "2G"]).contains("of at most 2.0 GiB"), "{}", info(&[]));

    let outcome = featherlight(&dir, &["cache", "clear"]);
    assert!(outcome.success, "{outcome:#?}");
    assert!(outcome.stdout.starts_with("removed 2 entries ("), "{outcome:#?}");
    assert!(info(&[]).contains("entries:   0"), "{}", info(&[]));

    // A component larger than the bound runs but is not cached.
    let outcome = featherlight(&dir, &[&["--cache-max-size", "1K"][..], &add].concat());
    assert_eq!((outcome.success, outcome.stdout.as_str()), (true, "3\n"), "{outcome:#?}");
    assert!(info(&[]).contains("entries:   0"), "{}", info(&[]));

    let outcome = featherlight(&dir, &["--cache-max-size", "1X", "cache", "info"]);
    assert!(!outcome.success && outcome.stderr.contains("--cache-max-size"), "{outcome:#?}");
}

#[test]
fn dir_grants_a_directory_and_dir_ro_grants_it_read_only() {
    let dir = scratch("dir-grants");
    let grant = dir.join("grant");
    std::fs::create_dir_all(grant.join("sub")).expect("grant");
    std::fs::write(grant.join("target.txt"), "target contents").expect("file");
    let host = grant.to_str().expect("UTF-8 path");
    let writable = featherlight(&dir, &["run", "--dir", &format!("{host}::/work"), WASI_APP, "fs-read-only", "/work"]);
    assert!(writable.success, "{writable:#?}");
    assert!(writable.stdout.contains("01 read: ok \"target contents\""), "{writable:#?}");
    assert!(writable.stdout.contains("04 create: ok ()"), "{writable:#?}");
    std::fs::remove_file(grant.join("new.txt")).ok();
    std::fs::write(grant.join("target.txt"), "target contents").expect("file");
    let read_only =
        featherlight(&dir, &["run", "--dir-ro", &format!("{host}::/work"), WASI_APP, "fs-read-only", "/work"]);
    assert!(read_only.success, "{read_only:#?}");
    assert!(read_only.stdout.contains("03 write: error PermissionDenied"), "{read_only:#?}");
    assert_eq!(std::fs::read_to_string(grant.join("target.txt")).expect("file"), "target contents");
    // Without GUEST the host path is the guest's.
    let same = featherlight(&dir, &["run", "--dir", host, WASI_APP, "fs-read-only", host]);
    assert!(same.stdout.contains("01 read: ok \"target contents\""), "{same:#?}");
    // Nothing granted: nothing reachable.
    let none = featherlight(&dir, &["run", WASI_APP, "fs-read-only", "/work"]);
    assert!(none.stdout.contains("01 read: error"), "{none:#?}");
    let missing = featherlight(&dir, &["run", "--dir", "/surely/missing::/x", WASI_APP, "hello"]);
    assert!(!missing.success && missing.stderr.contains("cannot grant `/surely/missing::/x`"), "{missing:#?}");
}

/// A repeated run starts from the warm snapshot the first left in the cache (no guest
/// boot, no instantiation), one per set of guest arguments; a broken one is made again.
#[test]
fn repeated_runs_start_from_a_warm_snapshot_in_the_cache() {
    let dir = scratch("warm-snapshot");
    let run = |arg: &str| {
        let outcome = featherlight(&dir, &["-vvv", "run", WASI_APP, "args", arg]);
        assert_eq!(outcome.stdout, format!("arg 0: wasi-app.wasm\narg 1: args\narg 2: {arg}\n"), "{outcome:#?}");
        outcome.stderr
    };
    let snapshots = || {
        let entries = std::fs::read_dir(dir.join("cache")).expect("the cache directory");
        let mut files: Vec<_> = entries
            .map(|entry| entry.expect("an entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "flsnap"))
            .collect();
        files.sort();
        files
    };
    const HIT: &str = "warm snapshot from the cache";
    assert!(!run("x").contains(HIT));
    assert_eq!(snapshots().len(), 1);
    assert!(run("x").contains(HIT), "the second run did not start from the snapshot");
    // Other arguments: another warm state.
    assert!(!run("y").contains(HIT));
    assert_eq!(snapshots().len(), 2);
    for file in snapshots() {
        std::fs::OpenOptions::new().write(true).open(&file).and_then(|f| f.set_len(100)).expect("truncate");
    }
    let stderr = run("y");
    assert!(stderr.contains("cannot use the cached snapshot") && stderr.contains("truncated"), "{stderr}");
    assert!(run("y").contains(HIT), "the broken snapshot was not made again");
}

#[test]
fn compile_snapshot_writes_a_warm_image_that_run_starts_from() {
    let dir = scratch("compile-snapshot");
    let file = dir.join("calculator.snapshot");
    let file_arg = file.to_str().expect("UTF-8 path");
    let outcome = featherlight(&dir, &["compile", "--snapshot", CALCULATOR, "-o", file_arg]);
    assert!(outcome.success, "{outcome:#?}");
    let add = ["run", "--trap-unknown-imports", "--snapshot", file_arg, "--invoke", "add(1, 2)"];
    assert_prints(&featherlight(&dir, &[&add[..], &[CALCULATOR]].concat()), "3\n");

    // The snapshot holds the guest's arguments and environment: giving others is refused.
    let with_env = ["run", "--snapshot", file_arg, "--env", "A=1", "--invoke", "add(1, 2)", CALCULATOR];
    assert_fails_with(&featherlight(&dir, &with_env), &["--env", "--snapshot"]);
    // Another component's snapshot, and a truncated file, are refused before anything runs.
    let other = ["run", "--snapshot", file_arg, WASI_APP];
    assert_fails_with(&featherlight(&dir, &other), &["cannot start from the snapshot", file_arg]);
    let bytes = std::fs::read(&file).expect("read the snapshot");
    let truncated = dir.join("truncated.snapshot");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write the truncated snapshot");
    let truncated = truncated.to_str().expect("UTF-8 path");
    let add = ["run", "--trap-unknown-imports", "--snapshot", truncated, "--invoke", "add(1, 2)", CALCULATOR];
    assert_fails_with(&featherlight(&dir, &add), &["cannot start from the snapshot", truncated]);
}
