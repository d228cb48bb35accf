//! WASI 0.2 on real KVM: the `wasi-app` component (Rust std, built with plain
//! `cargo build --target wasm32-wasip2`) runs in featherlight and, as the
//! reference, in wasmtime with wasmtime-wasi in-process, with the same
//! arguments, environment and stdin; stdout, stderr and the exit status must
//! match. Then what only featherlight does: randomness and clocks across
//! restores, deterministic mode, output sinks.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

use featherlight::{
    CapturedOutput, Error, Linker, OutputSink, Sandbox, Snapshot, Value, WasiClock, WasiConfig, WasiRandom,
};
use featherlight_tests::{Fixture, WASI_APP_P1_WASM, WASI_APP_WASM};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{I32Exit, ResourceTable, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    /// `run` returned (`ok` is 0, `err` is 1) or the guest called exit.
    Exited(i32),
    /// The guest trapped (a Rust panic ends in `unreachable`).
    Trapped,
}

/// What one run of `wasi-app` printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    stdout: String,
    stderr: String,
    status: Status,
}

/// The guest's arguments: the program name first, as `wasmtime run` passes it.
fn guest_args(args: &[&str]) -> Vec<String> {
    std::iter::once("wasi-app.wasm").chain(args.iter().copied()).map(str::to_owned).collect()
}

/// Runs `wasi-app` in a featherlight sandbox.
fn featherlight_run(fixture: &Fixture, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    featherlight_run_of(WASI_APP_WASM, fixture, args, env, stdin)
}

/// Runs the `wasi-app` build at `component` in a featherlight sandbox.
fn featherlight_run_of(component: &str, fixture: &Fixture, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    let (stdout, stderr) = (CapturedOutput::new(), CapturedOutput::new());
    let mut wasi = WasiConfig::new()
        .args(guest_args(args))
        .stdin(stdin)
        .stdout(OutputSink::Capture(stdout.clone()))
        .stderr(OutputSink::Capture(stderr.clone()));
    for (key, value) in env {
        wasi = wasi.env(*key, *value);
    }
    let mut linker = Linker::new();
    linker.wasi(wasi);
    let mut sandbox = Sandbox::new(&fixture.load(component), &linker).expect("instantiate wasi-app");
    let status = run_status(sandbox.call("wasi:cli/run.run", &[]));
    Run { stdout: stdout.to_string_lossy(), stderr: stderr.to_string_lossy(), status }
}

/// The status of a `wasi:cli/run#run` call's outcome.
fn run_status(outcome: Result<Vec<Value>, Error>) -> Status {
    match outcome {
        Ok(results) if results == [Value::Result(Ok(None))] => Status::Exited(0),
        Ok(results) => {
            assert_eq!(results, [Value::Result(Err(None))], "run returns a result");
            Status::Exited(1)
        }
        Err(Error::Exit { code }) => Status::Exited(code),
        Err(Error::Trap { .. }) => Status::Trapped,
        Err(other) => panic!("wasi-app failed unexpectedly: {other}"),
    }
}

struct Reference {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Reference {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.ctx, table: &mut self.table }
    }
}

/// wasmtime's engine, once per test process.
fn reference_engine() -> &'static wasmtime::Engine {
    static ENGINE: OnceLock<wasmtime::Engine> = OnceLock::new();
    ENGINE.get_or_init(wasmtime::Engine::default)
}

/// The `wasi-app` build at `path` compiled for wasmtime, once per test process.
fn reference_component(path: &'static str) -> wasmtime::component::Component {
    static COMPILED: OnceLock<std::sync::Mutex<Vec<(&'static str, wasmtime::component::Component)>>> = OnceLock::new();
    let mut compiled = COMPILED.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, component)) = compiled.iter().find(|(p, _)| *p == path) {
        return component.clone();
    }
    let component = wasmtime::component::Component::from_file(reference_engine(), path).expect("wasmtime compiles");
    compiled.push((path, component.clone()));
    component
}

/// Runs the `wasi-app` build at `path` in wasmtime with wasmtime-wasi: the
/// behaviour to match.
fn wasmtime_run_of(path: &'static str, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    let (engine, component) = (reference_engine(), &reference_component(path));
    let (stdout, stderr) = (MemoryOutputPipe::new(16 << 20), MemoryOutputPipe::new(16 << 20));
    let mut builder = WasiCtxBuilder::new();
    builder
        .args(&guest_args(args))
        .stdin(MemoryInputPipe::new(stdin.to_owned()))
        .stdout(stdout.clone())
        .stderr(stderr.clone());
    for (key, value) in env {
        builder.env(key, value);
    }
    let mut store = wasmtime::Store::new(engine, Reference { ctx: builder.build(), table: ResourceTable::new() });
    let mut linker = wasmtime::component::Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("wasmtime-wasi links");
    let command = Command::instantiate(&mut store, component, &linker).expect("wasmtime instantiates");
    let status = match command.wasi_cli_run().call_run(&mut store) {
        Ok(Ok(())) => Status::Exited(0),
        Ok(Err(())) => Status::Exited(1),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => Status::Exited(exit.0),
            None if e.downcast_ref::<wasmtime::Trap>().is_some() => Status::Trapped,
            None => panic!("wasmtime failed unexpectedly: {e:?}"),
        },
    };
    let text = |pipe: &MemoryOutputPipe| String::from_utf8_lossy(&pipe.contents()).into_owned();
    Run { stdout: text(&stdout), stderr: text(&stderr), status }
}

/// Runs the scenario in both and asserts the same output and status.
#[track_caller]
fn assert_same(fixture: &Fixture, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    assert_same_of(WASI_APP_WASM, fixture, args, env, stdin)
}

/// [`assert_same`] for the `wasi-app` build at `component`.
#[track_caller]
fn assert_same_of(component: &'static str, fixture: &Fixture, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    let ours = featherlight_run_of(component, fixture, args, env, stdin);
    let reference = wasmtime_run_of(component, args, env, stdin);
    assert_eq!(ours, reference, "featherlight and wasmtime differ on {args:?}");
    ours
}

#[test]
fn stdio_args_env_and_stdin_match_wasmtime() {
    let fixture = Fixture::new();
    let hello = assert_same(&fixture, &["hello"], &[], "");
    assert_eq!(hello.stdout, "hello from wasm32-wasip2\n");
    assert_eq!(hello.stderr, "and hello to stderr\n");
    let args = assert_same(&fixture, &["args", "two words", "--flag", "ünïcode"], &[], "");
    assert!(args.stdout.contains("arg 2: two words\n"), "{}", args.stdout);
    let env = assert_same(&fixture, &["env"], &[("B", "2"), ("A", "x=y")], "");
    assert_eq!(env.stdout, "A=x=y\nB=2\n", "exactly the variables given, nothing of the host");
    // Arguments and environment larger than the 1 MiB input buffer: `Init` travels in chunks.
    let long_arg = "a".repeat(1 << 20);
    let long_value = "v".repeat(1 << 20);
    let big = assert_same(&fixture, &["args", &long_arg], &[("LONG", &long_value)], "");
    assert!(big.stdout.ends_with(&format!("arg 2: {long_arg}\n")), "the long argument arrives whole");
    let stdin = assert_same(&fixture, &["stdin"], &[], "piped input\nsecond line\n");
    assert_eq!(stdin.stdout, "PIPED INPUT\nSECOND LINE\n");
    // stdin is asked of the host as it is read: line by line, with prompts between.
    let repl = assert_same(&fixture, &["repl"], &[], "one\ntwo\n");
    assert_eq!(repl.stdout, "> ONE\n> TWO\n> bye\n");
    let line = assert_same(&fixture, &["read-line"], &[], "first\nsecond\n");
    assert_eq!(line.stdout, "read 6 bytes: first\n");
    let large = "x".repeat(3 << 20);
    let counted = assert_same(&fixture, &["count-stdin"], &[], &large);
    assert_eq!(counted.stdout, "started\n3145728 bytes in some reads\n", "more stdin than the input buffer holds");
    assert_same(&fixture, &["count-stdin"], &[], "");
    assert_same(&fixture, &["interleave"], &[], "");
    let lines = assert_same(&fixture, &["lines", "5000"], &[], "");
    assert_eq!(lines.stdout.lines().count(), 5000);
}

#[test]
fn clocks_match_wasmtime() {
    let fixture = Fixture::new();
    let time = assert_same(&fixture, &["time"], &[], "");
    assert_eq!(time.stdout, "wall clock plausible: true\nmonotonic: true\nslept at least 20 ms: true\n");
}

#[test]
fn exit_and_panic_match_wasmtime() {
    let fixture = Fixture::new();
    let exit = assert_same(&fixture, &["exit"], &[], "");
    // wasm32-wasip2's libc reports any non-zero status as `exit(err)`: 1.
    assert_eq!(exit.status, Status::Exited(1));
    assert_eq!(exit.stdout, "exiting with 3\n", "output before exit is not lost");
    let unknown = assert_same(&fixture, &["no-such-scenario"], &[], "");
    assert_eq!(unknown.status, Status::Exited(1));
    let panic = assert_same(&fixture, &["panic"], &[], "");
    assert_eq!(panic.status, Status::Trapped);
    assert!(panic.stderr.contains("the test component panics on purpose"), "{}", panic.stderr);
}

#[test]
fn denied_filesystem_and_network_match_wasmtime() {
    let fixture = Fixture::new();
    // No preopened directory: nothing of the host's filesystem is reachable.
    let fs = assert_same(&fixture, &["fs"], &[], "");
    assert_eq!(fs.stdout, "error: No such file or directory (os error 44)\n");
    let net = featherlight_run(&fixture, &["net"], &[], "");
    assert_eq!(net.stdout, "error: Permission denied (os error 2)\n");
    assert_eq!(net.status, Status::Exited(0));
}

#[test]
fn preview1_adapter_components_match_wasmtime() {
    // A wasip1 program made a component with the preview-1 adapter, as
    // `cargo component build` does: it imports WASI 0.2.x, filesystem
    // preopens included, through the adapter.
    let fixture = Fixture::new();
    let world = fixture.load(WASI_APP_P1_WASM).world().clone();
    let imports: Vec<_> = world.imports().iter().filter_map(|f| f.interface.clone()).collect();
    assert!(imports.iter().any(|i| i.starts_with("wasi:filesystem/preopens@0.2.")), "{imports:?}");
    let hello = assert_same_of(WASI_APP_P1_WASM, &fixture, &["hello"], &[], "");
    assert_eq!(hello.stdout, "hello from wasm32-wasip2\n");
    assert_eq!(hello.stderr, "and hello to stderr\n");
    let args = assert_same_of(WASI_APP_P1_WASM, &fixture, &["args", "two words", "ünïcode"], &[], "");
    assert!(args.stdout.contains("arg 2: two words\n"), "{}", args.stdout);
    let env = assert_same_of(WASI_APP_P1_WASM, &fixture, &["env"], &[("B", "2"), ("A", "x=y")], "");
    assert_eq!(env.stdout, "A=x=y\nB=2\n");
    let stdin = assert_same_of(WASI_APP_P1_WASM, &fixture, &["stdin"], &[], "piped\n");
    assert_eq!(stdin.stdout, "PIPED\n");
    assert_same_of(WASI_APP_P1_WASM, &fixture, &["time"], &[], "");
    // The preview-1 libc passes the exit status through.
    let exit = assert_same_of(WASI_APP_P1_WASM, &fixture, &["exit"], &[], "");
    assert_eq!(exit.stdout, "exiting with 3\n");
    // No preopened directory: the filesystem is out of reach, as in wasmtime.
    assert_same_of(WASI_APP_P1_WASM, &fixture, &["fs"], &[], "");
}

/// A sandbox running `wasi-app <args>` with `wasi` (stdout captured into
/// `stdout`), and a snapshot of it taken before its first call.
fn snapshotted(
    fixture: &Fixture,
    args: &[&str],
    wasi: WasiConfig,
    stdout: &CapturedOutput,
) -> (Sandbox, Arc<Snapshot>) {
    let mut linker = Linker::new();
    linker.wasi(wasi.args(guest_args(args)).stdout(OutputSink::Capture(stdout.clone())));
    let mut sandbox = Sandbox::new(&fixture.load(WASI_APP_WASM), &linker).expect("instantiate wasi-app");
    let snapshot = sandbox.snapshot().expect("snapshot before the first run");
    (sandbox, snapshot)
}

/// Runs the command, restores `snapshot` and returns what it printed.
fn run_then_restore(sandbox: &mut Sandbox, snapshot: &Arc<Snapshot>, stdout: &CapturedOutput) -> String {
    let results = sandbox.call_then_restore("wasi:cli/run.run", &[], snapshot).expect("run succeeds");
    assert_eq!(results, [Value::Result(Ok(None))]);
    String::from_utf8(stdout.take()).expect("UTF-8 output")
}

#[test]
fn randomness_is_fresh_after_every_restore_unless_seeded() {
    let fixture = Fixture::new();
    let stdout = CapturedOutput::new();
    let (mut sandbox, snapshot) = snapshotted(&fixture, &["random"], WasiConfig::new(), &stdout);
    let runs: Vec<String> = (0..3).map(|_| run_then_restore(&mut sandbox, &snapshot, &stdout)).collect();
    assert!(runs.iter().all(|run| run.len() == 17), "one 64-bit hash per run: {runs:?}");
    assert!(runs[0] != runs[1] && runs[1] != runs[2] && runs[0] != runs[2], "restores repeated randomness: {runs:?}");

    let seeded = |seed| {
        let stdout = CapturedOutput::new();
        let wasi = WasiConfig::new().random(WasiRandom::Seeded(seed));
        let (mut sandbox, snapshot) = snapshotted(&fixture, &["random"], wasi, &stdout);
        [run_then_restore(&mut sandbox, &snapshot, &stdout), run_then_restore(&mut sandbox, &snapshot, &stdout)]
    };
    let [first, again] = seeded(7);
    assert_eq!(first, again, "a seeded sandbox repeats itself after a restore");
    assert_eq!(seeded(7)[0], first, "sandboxes with the same seed agree");
    assert_ne!(seeded(8)[0], first, "another seed, other values");
}

/// The monotonic reading `wasi-app print-instant` printed, in nanoseconds
/// (`Instant { tv_sec: S, tv_nsec: N }`).
fn instant_ns(printed: &str) -> u128 {
    let number = |field: &str| -> u128 {
        let start = printed.find(field).unwrap_or_else(|| panic!("no {field} in {printed:?}")) + field.len();
        printed[start..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("a number")
    };
    number("tv_sec: ") * 1_000_000_000 + number("tv_nsec: ")
}

#[test]
fn monotonic_time_never_goes_backwards_across_restores() {
    let fixture = Fixture::new();
    let stdout = CapturedOutput::new();
    let (mut sandbox, snapshot) = snapshotted(&fixture, &["print-instant"], WasiConfig::new(), &stdout);
    let mut previous = 0;
    for _ in 0..5 {
        let now = instant_ns(&run_then_restore(&mut sandbox, &snapshot, &stdout));
        assert!(now > previous, "monotonic clock went from {previous} to {now} ns across a restore");
        previous = now;
    }
}

#[test]
fn fixed_clocks_repeat_exactly() {
    let fixture = Fixture::new();
    let stdout = CapturedOutput::new();
    let fixed = WasiClock::Fixed(UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789));
    let (mut sandbox, snapshot) = snapshotted(&fixture, &["print-time"], WasiConfig::new().clock(fixed), &stdout);
    assert_eq!(run_then_restore(&mut sandbox, &snapshot, &stdout), "1700000000.123456789\n");
    assert_eq!(run_then_restore(&mut sandbox, &snapshot, &stdout), "1700000000.123456789\n");
    // Sleeping with fixed clocks ends (the clock skips to the deadline).
    let stdout = CapturedOutput::new();
    let (mut sandbox, _) = snapshotted(&fixture, &["time"], WasiConfig::new().clock(fixed), &stdout);
    sandbox.call("wasi:cli/run.run", &[]).expect("run succeeds");
    assert_eq!(stdout.to_string_lossy(), "wall clock plausible: true\nmonotonic: true\nslept at least 20 ms: true\n");
}

#[test]
fn exit_is_a_typed_error_and_restore_makes_the_sandbox_usable_again() {
    let fixture = Fixture::new();
    let stdout = CapturedOutput::new();
    let (mut sandbox, snapshot) = snapshotted(&fixture, &["exit"], WasiConfig::new(), &stdout);
    let exit = sandbox.call("wasi:cli/run.run", &[]);
    assert!(matches!(exit, Err(Error::Exit { code: 1 })), "{exit:?}");
    assert!(sandbox.is_poisoned(), "an exited instance cannot be entered again");
    sandbox.restore(&snapshot).expect("restore");
    assert!(matches!(sandbox.call("wasi:cli/run.run", &[]), Err(Error::Exit { code: 1 })));
    assert_eq!(stdout.to_string_lossy(), "exiting with 3\nexiting with 3\n");
}

#[test]
fn discarded_output_and_no_host_environment_by_default() {
    let fixture = Fixture::new();
    let stderr = CapturedOutput::new();
    let mut linker = Linker::new();
    linker.wasi(
        WasiConfig::new()
            .args(guest_args(&["env"]))
            .stdout(OutputSink::Discard)
            .stderr(OutputSink::Capture(stderr.clone())),
    );
    let mut sandbox = Sandbox::new(&fixture.load(WASI_APP_WASM), &linker).expect("instantiate");
    sandbox.call("wasi:cli/run.run", &[]).expect("run succeeds");
    assert!(stderr.contents().is_empty());

    // The host's PATH exists but does not reach the guest unless inherited.
    assert!(std::env::var("PATH").is_ok(), "the test process has a PATH");
    let stdout = CapturedOutput::new();
    let mut linker = Linker::new();
    linker.wasi(WasiConfig::new().args(guest_args(&["env"])).stdout(OutputSink::Capture(stdout.clone())));
    Sandbox::new(&fixture.load(WASI_APP_WASM), &linker).expect("instantiate").call("wasi:cli/run.run", &[]).unwrap();
    assert_eq!(stdout.to_string_lossy(), "");
    let stdout = CapturedOutput::new();
    linker.wasi(
        WasiConfig::new().args(guest_args(&["env"])).inherit_env("PATH").stdout(OutputSink::Capture(stdout.clone())),
    );
    Sandbox::new(&fixture.load(WASI_APP_WASM), &linker).expect("instantiate").call("wasi:cli/run.run", &[]).unwrap();
    assert_eq!(stdout.to_string_lossy(), format!("PATH={}\n", std::env::var("PATH").unwrap_or_default()));
}

#[test]
fn a_restored_snapshot_reads_in_memory_stdin_from_where_it_stood() {
    // The guest keeps its place in in-memory stdin: a restore rewinds it with
    // the rest of the instance, and every run reads all of it again.
    let fixture = Fixture::new();
    let stdout = CapturedOutput::new();
    let (mut sandbox, snapshot) = snapshotted(&fixture, &["stdin"], WasiConfig::new().stdin("again\n"), &stdout);
    assert_eq!(run_then_restore(&mut sandbox, &snapshot, &stdout), "AGAIN\n");
    assert_eq!(run_then_restore(&mut sandbox, &snapshot, &stdout), "AGAIN\n");
}
