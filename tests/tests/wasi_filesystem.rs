//! WASI filesystem grants on real KVM: `wasi-app`'s filesystem scripts (Rust
//! std, `cargo build --target wasm32-wasip2`) run in featherlight and in
//! wasmtime with wasmtime-wasi in process, each over its own fresh copy of
//! the same tree with the same grant; outputs (values and error kinds) must
//! be identical. The escape suite also checks the host tree outside the
//! grant is unchanged and no secret was read.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use featherlight::{CapturedOutput, FsPerms, Linker, OutputSink, Sandbox, Value, WasiConfig};
use featherlight_tests::{Fixture, TempDir, WASI_APP_WASM};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

const SECRET: &str = "TOP-SECRET-never-read-by-the-guest";
const GUEST: &str = "/work";

/// `root/secret.txt` outside, `root/grant` granted, with links of every kind.
fn tree() -> (TempDir, PathBuf) {
    let root = TempDir::new();
    let r = root.path();
    let grant = r.join("grant");
    std::fs::write(r.join("secret.txt"), SECRET).expect("secret");
    std::fs::create_dir_all(grant.join("sub")).expect("grant");
    std::fs::write(grant.join("target.txt"), "target contents").expect("target");
    std::fs::write(grant.join("inside.txt"), "inside").expect("inside");
    std::fs::write(grant.join("sub/inner.txt"), "inner").expect("inner");
    for (link, target) in [
        ("link", PathBuf::from("target.txt")),
        ("dirlink", PathBuf::from("sub")),
        ("abs_link", r.join("secret.txt")),
        ("rel_link", PathBuf::from("../secret.txt")),
        ("up_link", PathBuf::from("..")),
        ("sub/deep_link", PathBuf::from("../../secret.txt")),
        ("loop_a", PathBuf::from("loop_b")),
        ("loop_b", PathBuf::from("loop_a")),
        ("proc_link", PathBuf::from("/proc/self/root/etc")),
        ("fd_link", PathBuf::from("/proc/self/cwd")),
        ("dangling_out", r.join("created-through-link.txt")),
    ] {
        symlink(target, grant.join(link)).expect("symlink");
    }
    (root, grant)
}

/// Every file under `root` with its bytes (symlinks by target).
fn snapshot_tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            let contents = if meta.is_symlink() {
                std::fs::read_link(&path).expect("link").into_os_string().into_encoded_bytes()
            } else if meta.is_dir() {
                stack.push(path.clone());
                b"<dir>".to_vec()
            } else {
                std::fs::read(&path).expect("file")
            };
            files.insert(path.strip_prefix(root).expect("beneath").to_owned(), contents);
        }
    }
    files
}

fn args(scenario: &str) -> Vec<String> {
    ["wasi-app.wasm", scenario, GUEST].map(str::to_owned).to_vec()
}

fn featherlight_run(fixture: &Fixture, scenario: &str, grant: &Path, perms: FsPerms) -> String {
    let stdout = CapturedOutput::new();
    let wasi = WasiConfig::new()
        .args(args(scenario))
        .stdout(OutputSink::Capture(stdout.clone()))
        .preopened_dir(grant, GUEST, perms)
        .expect("grant");
    let mut linker = Linker::new();
    linker.wasi(wasi);
    let mut sandbox = Sandbox::new(&fixture.load(WASI_APP_WASM), &linker).expect("instantiate");
    let outcome = sandbox.call("wasi:cli/run.run", &[]);
    assert!(matches!(outcome.as_deref(), Ok([Value::Result(Ok(None))])), "{outcome:?}");
    stdout.to_string_lossy()
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

fn wasmtime_run(scenario: &str, grant: &Path, perms: FsPerms) -> String {
    let stdout = MemoryOutputPipe::new(1 << 20);
    let mut builder = WasiCtxBuilder::new();
    builder.args(&args(scenario)).stdout(stdout.clone());
    let perms = match perms {
        FsPerms::ReadOnly => wasmtime_wasi::FsPerms::ReadOnly,
        FsPerms::ReadWrite => wasmtime_wasi::FsPerms::ReadWrite,
    };
    builder.preopened_dir(grant, GUEST, perms).expect("wasmtime grant");
    run_reference(builder);
    String::from_utf8_lossy(&stdout.contents()).into_owned()
}

/// Runs `wasi-app` in wasmtime with wasmtime-wasi and `builder`'s context.
fn run_reference(mut builder: WasiCtxBuilder) {
    static ENGINE: OnceLock<(wasmtime::Engine, wasmtime::component::Component)> = OnceLock::new();
    let (engine, component) = ENGINE.get_or_init(|| {
        let engine = wasmtime::Engine::default();
        let component = wasmtime::component::Component::from_file(&engine, WASI_APP_WASM).expect("compile");
        (engine, component)
    });
    let mut store = wasmtime::Store::new(engine, Reference { ctx: builder.build(), table: ResourceTable::new() });
    let mut linker = wasmtime::component::Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("link");
    let command = Command::instantiate(&mut store, component, &linker).expect("instantiate");
    assert!(matches!(command.wasi_cli_run().call_run(&mut store), Ok(Ok(()))));
}

/// Runs `scenario` under both hosts, each on a fresh tree; returns the
/// output and featherlight's tree before and after.
#[track_caller]
fn assert_same(fixture: &Fixture, scenario: &str, perms: FsPerms) -> (String, TempDir, BTreeMap<PathBuf, Vec<u8>>) {
    let (ours_root, ours_grant) = tree();
    let before = snapshot_tree(ours_root.path());
    let ours = featherlight_run(fixture, scenario, &ours_grant, perms);
    let (reference_root, reference_grant) = tree();
    let reference = wasmtime_run(scenario, &reference_grant, perms);
    drop(reference_root);
    assert_eq!(ours, reference, "featherlight and wasmtime differ on {scenario}");
    (ours, ours_root, before)
}

#[test]
fn a_script_of_std_fs_operations_matches_wasmtime() {
    let fixture = Fixture::new();
    let (output, _root, _) = assert_same(&fixture, "fs-script", FsPerms::ReadWrite);
    let steps = output.lines().count();
    assert!(steps >= 40, "{steps} operations:\n{output}");
    assert!(output.contains("read appended: ok \"hello world\""), "{output}");
    assert!(output.contains("read 200 KB: ok (200000, true)"), "{output}");
}

#[test]
fn read_only_grants_refuse_changes_as_wasmtime_does() {
    let fixture = Fixture::new();
    let (output, root, before) = assert_same(&fixture, "fs-read-only", FsPerms::ReadOnly);
    assert!(output.contains("write: error"), "{output}");
    assert_eq!(snapshot_tree(root.path()), before, "a read-only grant changed the tree");
}

#[test]
fn no_path_leads_out_of_the_grant() {
    let fixture = Fixture::new();
    let (output, root, before) = assert_same(&fixture, "fs-escape", FsPerms::ReadWrite);
    assert!(!output.contains(SECRET), "the guest read the secret:\n{output}");
    assert!(output.contains("inside still readable: ok \"inside\""), "{output}");
    let after = snapshot_tree(root.path());
    let outside = |tree: &BTreeMap<PathBuf, Vec<u8>>| {
        tree.iter()
            .filter(|(path, _)| !path.starts_with("grant"))
            .map(|(p, c)| (p.clone(), c.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(outside(&after), outside(&before), "the host tree outside the grant changed");
}

#[test]
fn a_directory_moved_out_during_resolution_does_not_lead_out() {
    let fixture = Fixture::new();
    let (root, grant) = tree();
    std::fs::create_dir_all(grant.join("x/y")).expect("x/y");
    let stdout = CapturedOutput::new();
    let wasi = WasiConfig::new()
        .args(["wasi-app.wasm", "fs-race", GUEST, "3000"].map(str::to_owned))
        .stdout(OutputSink::Capture(stdout.clone()))
        .preopened_dir(&grant, GUEST, FsPerms::ReadOnly)
        .expect("grant");
    let mut linker = Linker::new();
    linker.wasi(wasi);
    let mut sandbox = Sandbox::new(&fixture.load(WASI_APP_WASM), &linker).expect("instantiate");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mover = {
        let (stop, inside, outside) = (stop.clone(), grant.join("x/y"), root.path().join("y"));
        std::thread::spawn(move || {
            let mut moves = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::fs::rename(&inside, &outside).expect("move out");
                std::fs::rename(&outside, &inside).expect("move back");
                moves += 1;
            }
            moves
        })
    };
    sandbox.call("wasi:cli/run.run", &[]).expect("run");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let moves = mover.join().expect("mover");
    let printed = stdout.to_string_lossy();
    assert!(printed.starts_with("read 0 "), "the secret beside the grant was read: {printed}");
    assert!(moves > 0, "the directory never moved");
    println!("{printed} with {moves} moves");
}

#[test]
fn restore_closes_what_the_component_opened_and_keeps_the_grant() {
    let fixture = Fixture::new();
    let (_root, grant) = tree();
    let stdout = CapturedOutput::new();
    let wasi = WasiConfig::new()
        .args(args("fs-read-only"))
        .stdout(OutputSink::Capture(stdout.clone()))
        .preopened_dir(&grant, GUEST, FsPerms::ReadOnly)
        .expect("grant");
    let mut linker = Linker::new();
    linker.wasi(wasi);
    let mut sandbox = Sandbox::new(&fixture.load(WASI_APP_WASM), &linker).expect("instantiate");
    let snapshot = sandbox.snapshot().expect("snapshot");
    let mut runs = Vec::new();
    for _ in 0..2 {
        sandbox.call("wasi:cli/run.run", &[]).expect("run");
        runs.push(String::from_utf8_lossy(&stdout.take()).into_owned());
        sandbox.restore(&snapshot).expect("restore");
        assert_eq!(sandbox.open_files(), 0, "restore closes every descriptor the component opened");
    }
    assert_eq!(runs[0], runs[1], "the grant works the same after a restore");
}

#[test]
fn granting_a_missing_directory_is_a_typed_error() {
    let missing = WasiConfig::new().preopened_dir("/surely/not/a/directory", "/x", FsPerms::ReadOnly);
    assert!(matches!(missing, Err(featherlight::FsError::Open { .. })), "{missing:?}");
    let file = WasiConfig::new().preopened_dir("/proc/self/status", "/x", FsPerms::ReadOnly);
    assert!(matches!(file, Err(featherlight::FsError::Open { .. })), "{file:?}");
}

/// Descriptors this process has open on files beneath `dir`.
fn open_fds(dir: &Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.starts_with(dir))
        .count()
}

#[test]
fn descriptors_are_limited_closed_on_restore_and_on_drop() {
    let fixture = Fixture::new();
    let (_root, grant) = tree();
    let stdout = CapturedOutput::new();
    let wasi = WasiConfig::new()
        .args(["wasi-app.wasm", "fs-open-many", GUEST, "5"].map(str::to_owned))
        .stdout(OutputSink::Capture(stdout.clone()))
        .preopened_dir(&grant, GUEST, FsPerms::ReadWrite)
        .expect("grant")
        .max_open_files(3);
    let mut linker = Linker::new();
    linker.wasi(wasi);
    let component = fixture.load(WASI_APP_WASM);
    let mut sandbox = Sandbox::new(&component, &linker).expect("instantiate");
    let snapshot = sandbox.snapshot().expect("snapshot");
    sandbox.call("wasi:cli/run.run", &[]).expect("run");
    let printed = stdout.take();
    let printed = String::from_utf8_lossy(&printed);
    let outcomes: Vec<&str> = printed.lines().map(|l| l.split_once(": ").map_or(l, |(_, o)| o)).collect();
    assert_eq!(
        outcomes,
        ["ok ()", "ok ()", "ok ()", "error OutOfMemory (os Some(48))", "error OutOfMemory (os Some(48))"],
        "the fourth descriptor is refused with insufficient-memory"
    );
    assert_eq!(sandbox.open_files(), 3, "the leaked files stay open until restore");
    // The grant itself (held by the configuration and the sandbox) and three files.
    assert_eq!(open_fds(&grant.join("open-0.txt")) + open_fds(&grant.join("open-1.txt")), 2);
    sandbox.restore(&snapshot).expect("restore");
    assert_eq!(sandbox.open_files(), 0, "restore closes what was opened after the snapshot");
    sandbox.call("wasi:cli/run.run", &[]).expect("run after restore");
    assert_eq!(sandbox.open_files(), 3, "the limit holds again after restore");
    sandbox.restore(&snapshot).expect("restore");
    assert_eq!(open_fds(&grant.join("open-0.txt")), 0, "restore closed the host's descriptors");
    sandbox.call("wasi:cli/run.run", &[]).expect("run again");
    assert_eq!(open_fds(&grant.join("open-0.txt")), 1);
    drop(sandbox);
    drop(snapshot);
    drop(linker);
    assert_eq!(open_fds(&grant), 0, "dropping the sandbox and its configuration closes every descriptor");
}

/// The filesystem benchmark (`cargo test -p featherlight-tests --release --test
/// wasi_filesystem -- --ignored --nocapture`): sequential write and read of
/// 256 MiB in 64 KiB `std::io` calls and `read_dir` of 10 000 entries, in the VM
/// and in wasmtime-wasi in process, alternating; MiB/s and VM exits per MiB.
#[test]
#[ignore = "a benchmark: run it on purpose"]
fn bench_filesystem_throughput() {
    let fixture = Fixture::new();
    let root = TempDir::new();
    let grant = root.path().to_owned();
    std::fs::create_dir(grant.join("many")).expect("many");
    for i in 0..10_000 {
        std::fs::write(grant.join(format!("many/entry-{i:05}")), "").expect("entry");
    }
    let component = fixture.load(WASI_APP_WASM);
    println!("{:<24} {:>10} {:>10} {:>10}", "operation (per second)", "VM", "wasmtime", "exits/MiB");
    for what in ["write", "read", "readdir"] {
        let stdout = CapturedOutput::new();
        let wasi = WasiConfig::new()
            .args(["wasi-app.wasm", "fs-bench", GUEST, what].map(str::to_owned))
            .stdout(OutputSink::Capture(stdout.clone()))
            .preopened_dir(&grant, GUEST, FsPerms::ReadWrite)
            .expect("grant");
        let mut linker = Linker::new();
        linker.wasi(wasi);
        let mut sandbox = Sandbox::new(&component, &linker).expect("instantiate");
        let snapshot = sandbox.snapshot().expect("snapshot");
        let (mut vm, mut reference) = (Vec::new(), Vec::new());
        let mut exits = 0;
        for _ in 0..3 {
            let (start, before) = (std::time::Instant::now(), sandbox.vm_exits());
            sandbox.call("wasi:cli/run.run", &[]).expect("run");
            vm.push(start.elapsed().as_secs_f64());
            exits = sandbox.vm_exits() - before;
            sandbox.restore(&snapshot).expect("restore");
            let start = std::time::Instant::now();
            wasmtime_bench(what, &grant);
            reference.push(start.elapsed().as_secs_f64());
        }
        let best = |samples: &[f64]| samples.iter().copied().fold(f64::INFINITY, f64::min);
        let (mib, unit) = if what == "readdir" { (1.0, "10k-entry listings") } else { (256.0, "MiB") };
        println!(
            "{:<24} {:>10.1} {:>10.1} {:>10.1}   ({})",
            format!("{what} ({unit})"),
            mib / best(&vm),
            mib / best(&reference),
            exits as f64 / mib,
            stdout.to_string_lossy().lines().next().unwrap_or("")
        );
    }
}

fn wasmtime_bench(what: &str, grant: &Path) {
    let stdout = MemoryOutputPipe::new(1 << 20);
    let mut builder = WasiCtxBuilder::new();
    builder.args(&["wasi-app.wasm", "fs-bench", GUEST, what]).stdout(stdout.clone());
    builder.preopened_dir(grant, GUEST, wasmtime_wasi::FsPerms::ReadWrite).expect("grant");
    run_reference(builder)
}
