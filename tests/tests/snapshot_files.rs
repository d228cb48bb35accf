//! Snapshots saved to files and loaded back, on real KVM: a sandbox from a
//! loaded file is byte-identical to one from the in-memory snapshot (both
//! dirty-page modes); every kind of bad file is refused with its reason;
//! concurrent writers of one path leave a whole file; two processes share
//! the file's pages.

use featherlight::testing;
use featherlight::{
    Component, Config, DirtyPageMode, Engine, Error, Linker, MemoryConfig, Sandbox, Snapshot, SnapshotFileError, Value,
};
use featherlight_tests::{Fixture, HOSTILE_GUEST, STATEFUL_WASM, TempDir, bytes, some};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::Arc;

macro_rules! in_both_modes {
    ($($name:ident),* $(,)?) => {
        mod host_cow {
            $(#[test] fn $name() { super::$name(featherlight::DirtyPageMode::HostCow) })*
        }
        mod guest_cow {
            $(#[test] fn $name() { super::$name(featherlight::DirtyPageMode::GuestCow) })*
        }
    };
}

in_both_modes!(a_loaded_snapshot_is_byte_identical_to_the_saved_one, a_snapshot_of_a_loaded_sandbox_saves_again);

fn memory_config(mode: DirtyPageMode) -> MemoryConfig {
    MemoryConfig { scratch_size: 64 << 20, dirty_pages: mode, ..MemoryConfig::default() }
}

fn fixture(mode: DirtyPageMode) -> Fixture {
    Fixture::with_config(Config { memory: memory_config(mode), ..Config::default() })
}

fn count(sandbox: &mut Sandbox) -> u32 {
    match sandbox.call("count", &[]).expect("count").as_slice() {
        [Value::U32(n)] => *n,
        other => panic!("count returned {other:?}"),
    }
}

/// A snapshot of `component` with state in a static, the heap and linear
/// memory: the counter at 2 and `b"warm state"` stored.
fn warm_snapshot(component: &Component) -> Arc<Snapshot> {
    let mut sandbox = Sandbox::new(component, &Linker::new()).expect("sandbox");
    count(&mut sandbox);
    count(&mut sandbox);
    sandbox.call("store", &[bytes(b"warm state")]).expect("store");
    sandbox.snapshot().expect("snapshot")
}

/// Asserts that both sandboxes' guest memory is the same, byte for byte.
fn assert_identical(a: &Sandbox, b: &Sandbox, context: &str) {
    let (a_scratch, b_scratch) =
        (testing::scratch_contents(a).expect("memory"), testing::scratch_contents(b).expect("memory"));
    assert_eq!(a_scratch.len(), b_scratch.len(), "{context}");
    let differing = a_scratch.chunks(4096).zip(b_scratch.chunks(4096)).filter(|(x, y)| x != y).count();
    assert_eq!(differing, 0, "{context}: {differing} scratch pages differ");
    let (a_linear, b_linear) =
        (testing::linear_memory_contents(a).expect("memory"), testing::linear_memory_contents(b).expect("memory"));
    assert!(a_linear == b_linear, "{context}: linear memory differs");
}

fn a_loaded_snapshot_is_byte_identical_to_the_saved_one(mode: DirtyPageMode) {
    let fixture = fixture(mode);
    let component = fixture.stateful();
    let snapshot = warm_snapshot(&component);
    let dir = TempDir::new();
    let path = dir.path().join("stateful.snapshot");
    snapshot.save(&path).expect("save");
    let loaded = Snapshot::load(&component, &path).expect("load");
    assert_eq!(loaded.stored_bytes(), snapshot.stored_bytes());

    let mut from_memory = Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("sandbox");
    let mut from_file = Sandbox::from_snapshot(&loaded, &Linker::new()).expect("sandbox");
    assert_identical(&from_memory, &from_file, "fresh sandboxes");
    assert_eq!(count(&mut from_file), 3, "the counter continues from the file");
    assert_eq!(count(&mut from_memory), 3);
    assert_eq!(from_file.call("load", &[]).expect("load"), vec![some(bytes(b"warm state"))]);

    // Dirty both, restore each to the other's snapshot (a remap) and back.
    for sandbox in [&mut from_memory, &mut from_file] {
        sandbox.call("dirty", &[Value::U32(300), Value::U8(0x5a)]).expect("dirty");
    }
    from_memory.restore(&loaded).expect("restore onto the loaded snapshot");
    from_file.restore(&loaded).expect("restore");
    assert_identical(&from_memory, &from_file, "restored to the loaded snapshot");
    from_file.restore(&snapshot).expect("restore onto the in-memory snapshot");
    assert_identical(&from_memory, &from_file, "restored across snapshots");
    assert_eq!(count(&mut from_file), 3);
}

fn a_snapshot_of_a_loaded_sandbox_saves_again(mode: DirtyPageMode) {
    let fixture = fixture(mode);
    let component = fixture.stateful();
    let dir = TempDir::new();
    let first = dir.path().join("first");
    warm_snapshot(&component).save(&first).expect("save");
    let loaded = Snapshot::load(&component, &first).expect("load");
    let mut sandbox = Sandbox::from_snapshot(&loaded, &Linker::new()).expect("sandbox");
    sandbox.call("dirty", &[Value::U32(40), Value::U8(7)]).expect("dirty");
    assert_eq!(count(&mut sandbox), 3);
    let second = dir.path().join("second");
    let snapshot = sandbox.snapshot().expect("snapshot");
    snapshot.save(&second).expect("save again");
    let from_memory = Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("sandbox");
    let mut again =
        Sandbox::from_snapshot(&Snapshot::load(&component, &second).expect("load"), &Linker::new()).expect("sandbox");
    assert_identical(&from_memory, &again, "sandboxes from a snapshot of a loaded sandbox and from its file");
    assert_eq!(count(&mut again), 4);
    // The dirtied bytes, and the stored secret at the buffer's start.
    let stored: u64 = b"warm state".iter().map(|b| u64::from(*b)).sum();
    assert_eq!(again.call("checksum", &[]).expect("checksum"), vec![Value::U64(40 * 7 + stored)]);
}

/// The file's reason for refusing `path` under `component`.
fn refusal(component: &Component, path: &Path) -> SnapshotFileError {
    match Snapshot::load(component, path) {
        Err(Error::SnapshotFile { error, .. }) => error,
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("{} was loaded", path.display()),
    }
}

#[test]
fn bad_files_are_refused_with_their_reason() {
    let fixture = Fixture::new();
    let component = fixture.stateful();
    let dir = TempDir::new();
    let good = dir.path().join("good");
    warm_snapshot(&component).save(&good).expect("save");
    let original = std::fs::read(&good).expect("read");
    let bad = dir.path().join("bad");
    let with = |bytes: &[u8]| {
        std::fs::write(&bad, bytes).expect("write");
        refusal(&component, &bad)
    };

    // Cut anywhere: in the magic, the header, the metadata, the data.
    let data_offset = u64::from_le_bytes(original[16..24].try_into().expect("8 bytes"));
    let data_offset = usize::try_from(data_offset).expect("small");
    for cut in [0, 4, 40, 64, 100, data_offset, original.len() - 1] {
        let error = with(&original[..cut]);
        assert!(matches!(error, SnapshotFileError::Truncated { .. }), "cut at {cut}: {error}");
    }
    let error = with(&[&original[..], &[0u8; 4096][..]].concat());
    assert!(matches!(error, SnapshotFileError::Malformed(_)), "grown: {error}");
    let error = with(b"#!/bin/sh\necho not a snapshot\n");
    assert_eq!(error, SnapshotFileError::NotASnapshot);

    let mut newer = original.clone();
    newer[8..12].copy_from_slice(&2u32.to_le_bytes());
    assert_eq!(with(&newer), SnapshotFileError::Version { found: 2, supported: 1 });

    // One bit flipped in the metadata (the registers) and in the data.
    for at in [64 + 4 * 32 + 8, data_offset + 8, original.len() - 4096 + 17] {
        let mut corrupted = original.clone();
        corrupted[at] ^= 0x10;
        assert_eq!(with(&corrupted), SnapshotFileError::Corrupted, "a bit flipped at {at}");
    }
    let error = refusal(&fixture.values(), &good);
    assert_eq!(error, SnapshotFileError::OtherComponent);
    assert!(Error::SnapshotFile { path: good.clone(), error }.to_string().contains("load it with the component"));

    // Another memory layout, and another guest image, with the same compile cache.
    let engine = |config: Config| {
        let config = Config { cache_dir: Some(fixture.cache_dir.path().to_path_buf()), ..config };
        Engine::new(config).expect("engine")
    };
    let small = MemoryConfig { scratch_size: 32 << 20, ..MemoryConfig::default() };
    let other_layout = Component::from_file(&engine(Config { memory: small, ..Config::default() }), STATEFUL_WASM);
    assert_eq!(refusal(&other_layout.expect("component"), &good), SnapshotFileError::OtherLayout);
    let hostile = engine(Config { guest_image: Some(HOSTILE_GUEST.into()), ..Config::default() });
    let foreign = Component::from_file(&hostile, STATEFUL_WASM).expect("component for the hostile guest");
    assert_eq!(refusal(&foreign, &good), SnapshotFileError::OtherGuestImage);

    // The good file is still good.
    let mut sandbox =
        Sandbox::from_snapshot(&Snapshot::load(&component, &good).expect("load"), &Linker::new()).expect("sandbox");
    assert_eq!(count(&mut sandbox), 3);
}

#[test]
fn concurrent_writers_of_one_path_leave_a_whole_file() {
    let fixture = Fixture::new();
    let component = fixture.stateful();
    let snapshots = [warm_snapshot(&component), {
        let mut sandbox = Sandbox::new(&component, &Linker::new()).expect("sandbox");
        sandbox.call("dirty", &[Value::U32(64), Value::U8(1)]).expect("dirty");
        sandbox.snapshot().expect("snapshot")
    }];
    let dir = TempDir::new();
    let path = dir.path().join("contended");
    snapshots[0].save(&path).expect("first save");
    std::thread::scope(|scope| {
        for snapshot in &snapshots {
            for _ in 0..2 {
                scope.spawn(|| (0..8).for_each(|_| snapshot.save(&path).expect("save")));
            }
        }
        scope.spawn(|| {
            for _ in 0..40 {
                let loaded = Snapshot::load(&component, &path).expect("every load finds a whole file");
                let mut sandbox = Sandbox::from_snapshot(&loaded, &Linker::new()).expect("sandbox");
                let n = count(&mut sandbox);
                assert!(n == 3 || n == 1, "a mixed file: count {n}");
            }
        });
    });
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("contended")], "temporary files left behind");
}

/// Sums `fields` (kB) over this process's mappings of `file`.
fn smaps_kib(pid: u32, file: &Path, fields: &[&str]) -> u64 {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).expect("smaps");
    let name = file.to_str().expect("utf-8 path");
    let mut total = 0;
    let mut inside = false;
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if first.contains('-') && !first.ends_with(':') {
            inside = line.ends_with(name);
        } else if inside && fields.iter().any(|f| first.strip_suffix(':') == Some(*f)) {
            total += words.next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    total
}

const CHILD_ENV: &str = "FEATHERLIGHT_TEST_SNAPSHOT_CHILD";

/// What the child prints once its sandbox has made its call.
const READY: &str = "snapshot-file-child-ready";

/// A sandbox from the file, one call, then [`READY`], held until stdin closes.
fn child_sandbox_from_file(path: &Path, cache_dir: &Path) {
    let engine = Engine::new(Config { cache_dir: Some(cache_dir.to_path_buf()), ..Config::default() }).expect("engine");
    let component = Component::from_file(&engine, STATEFUL_WASM).expect("component");
    let snapshot = Snapshot::load(&component, path).expect("load");
    let mut sandbox = Sandbox::from_snapshot(&snapshot, &Linker::new()).expect("sandbox");
    assert_eq!(count(&mut sandbox), 3);
    // On the line of libtest's own `test snapshot_file_child ... `.
    println!("{READY}");
    std::io::stdout().flush().expect("flush");
    let mut rest = String::new();
    let _ = std::io::stdin().read_line(&mut rest);
}

#[test]
#[ignore = "the other process of two_processes_share_the_files_pages, which runs it"]
fn snapshot_file_child() {
    let path = std::env::var_os(CHILD_ENV).expect("run by two_processes_share_the_files_pages");
    let cache = std::env::var_os("FEATHERLIGHT_TEST_CACHE").expect("its cache directory");
    child_sandbox_from_file(Path::new(&path), Path::new(&cache));
}

#[test]
fn two_processes_share_the_files_pages() {
    let fixture = Fixture::new();
    let component = fixture.stateful();
    let dir = TempDir::new();
    let path = dir.path().join("shared.snapshot");
    warm_snapshot(&component).save(&path).expect("save");
    let loaded = Snapshot::load(&component, &path).expect("load");
    let mut sandbox = Sandbox::from_snapshot(&loaded, &Linker::new()).expect("sandbox");
    assert_eq!(count(&mut sandbox), 3);
    let me = std::process::id();
    let alone = smaps_kib(me, &path, &["Shared_Clean", "Shared_Dirty"]);

    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "snapshot_file_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
        .env("FEATHERLIGHT_TEST_CACHE", fixture.cache_dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the child");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let ready = stdout.by_ref().lines().map_while(Result::ok).any(|line| line.contains(READY));
    assert!(ready, "the child made no sandbox");
    let shared = smaps_kib(me, &path, &["Shared_Clean", "Shared_Dirty"]);
    let child_private = smaps_kib(child.id(), &path, &["Private_Dirty"]);
    let child_rss = smaps_kib(child.id(), &path, &["Rss"]);
    drop(child.stdin.take());
    // Read to the end, so the child's test harness can print its summary.
    std::io::copy(&mut stdout, &mut std::io::sink()).expect("the child's output");
    assert!(child.wait().expect("wait").success(), "the child failed");
    eprintln!(
        "file pages shared: {alone} KiB alone, {shared} KiB with the child; \
         child: {child_rss} KiB resident, {child_private} KiB private"
    );
    assert!(shared > alone, "no page of the file is shared with the other process ({alone} -> {shared} KiB)");
    assert!(child_private < child_rss, "the child copied every page it mapped ({child_private} of {child_rss} KiB)");
}
