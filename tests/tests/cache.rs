//! The compile cache: a damaged or foreign cache file is never loaded; the
//! component is recompiled and the file rewritten. Temporary files left by
//! killed writers are removed, the cache stays within its bound by evicting
//! the least recently used entries, and concurrent writers never leave a
//! broken file.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use featherlight::{CacheUsage, CompileCache, Component, Config, Error, Linker, Sandbox, Value};
use featherlight_tests::{Fixture, STATEFUL_WASM, TRAPS_WASM, TempDir, VALUES_WASM};

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// The only cache file of `fixture`.
#[track_caller]
fn only_cache_file(fixture: &Fixture) -> PathBuf {
    match fixture.cache_files().as_slice() {
        [file] => file.clone(),
        files => panic!("expected one cache file, found {files:?}"),
    }
}

/// `component` is `values` and runs.
#[track_caller]
fn assert_values_runs(component: &Component) {
    let mut sandbox = Sandbox::new(component, &Linker::new()).expect("sandbox");
    assert_eq!(sandbox.call("echo-u32", &[Value::U32(123)]).expect("echo-u32"), [Value::U32(123)]);
}

/// Whether `path` holds a cache file the engine accepts: `from_file` loads
/// precompiled files only after checking their key and digest.
fn loads(fixture: &Fixture, path: &Path) -> Result<Component, Error> {
    Component::from_file(&fixture.engine, path)
}

#[test]
fn compiling_writes_one_loadable_cache_file() {
    let fixture = Fixture::new();
    assert!(fixture.cache_files().is_empty());
    let component = fixture.values();
    let file = only_cache_file(&fixture);
    let cached = loads(&fixture, &file).expect("the cache file loads");
    assert_values_runs(&cached);
    assert_values_runs(&component);
    // A second compile of the same bytes uses the same file.
    let again = fixture.values();
    assert_eq!(only_cache_file(&fixture), file);
    assert_values_runs(&again);
}

#[test]
fn corrupted_cache_files_are_rejected_and_rebuilt() {
    let fixture = Fixture::new();
    let wasm = read(Path::new(VALUES_WASM));
    Component::new(&fixture.engine, &wasm).expect("first compile");
    let file = only_cache_file(&fixture);
    let valid = read(&file);
    assert!(valid.len() > 200, "a cache file of {} bytes", valid.len());

    let flip = |at: usize| {
        let mut bytes = valid.clone();
        bytes[at] ^= 0x40;
        bytes
    };
    let corruptions: [(&str, Vec<u8>); 6] = [
        ("a flipped byte in the magic", flip(0)),
        ("a flipped byte in the engine key", flip(20)),
        ("a flipped byte in the middle", flip(valid.len() / 2)),
        ("a flipped last byte", flip(valid.len() - 1)),
        ("a truncated file", valid[..valid.len() / 2].to_vec()),
        ("an empty file", Vec::new()),
    ];
    for (what, corrupted) in corruptions {
        write(&file, &corrupted);
        assert!(loads(&fixture, &file).is_err(), "{what}: the corrupted file loads");

        let component = Component::new(&fixture.engine, &wasm).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_values_runs(&component);
        assert_eq!(only_cache_file(&fixture), file, "{what}");
        let rebuilt = read(&file);
        assert_ne!(rebuilt, corrupted, "{what}: the file was not rewritten");
        let reloaded = loads(&fixture, &file).unwrap_or_else(|e| panic!("{what}: the rewritten file: {e}"));
        assert_values_runs(&reloaded);
    }
}

/// A valid cache file of another component, under this component's name, is
/// not taken for it.
#[test]
fn a_cache_file_of_another_component_is_not_used() {
    let fixture = Fixture::new();
    let values_wasm = read(Path::new(VALUES_WASM));
    Component::new(&fixture.engine, &values_wasm).expect("compile values");
    let values_file = only_cache_file(&fixture);
    let traps = fixture.traps();
    let traps_file =
        fixture.cache_files().into_iter().find(|f| *f != values_file).expect("traps has a cache file of its own");
    let mut sandbox = Sandbox::new(&traps, &Linker::new()).expect("traps sandbox");
    assert_eq!(sandbox.call("ok", &[Value::U32(4)]).expect("ok"), [Value::U32(8)]);

    std::fs::copy(&traps_file, &values_file).expect("copy");
    let component = Component::new(&fixture.engine, &values_wasm).expect("compile values again");
    assert!(component.world().exports().iter().any(|f| f.name == "echo-u32"), "values was loaded as another component");
    assert_values_runs(&component);
    // Rewritten with values.
    let reloaded = loads(&fixture, &values_file).expect("the rewritten file loads");
    assert_values_runs(&reloaded);
    assert_ne!(read(&values_file), read(&traps_file));
}

/// `serialize` writes what `from_file` loads, on an engine with the same
/// configuration, even one without a cache.
#[test]
fn serialized_components_load_elsewhere() {
    let fixture = Fixture::new();
    let bytes = fixture.values().serialize().expect("serialize");
    let elsewhere = Fixture::new();
    let path = elsewhere.cache_dir.path().join("values.precompiled");
    write(&path, &bytes);
    assert_values_runs(&loads(&elsewhere, &path).expect("load"));

    let uncached =
        featherlight::Engine::new(featherlight::Config { cache_dir: None, ..featherlight::Config::default() })
            .expect("engine");
    let component = Component::from_file(&uncached, &path).expect("load without a cache");
    assert_values_runs(&component);
    // Components compiled without a cache run too.
    assert_values_runs(&Component::from_file(&uncached, VALUES_WASM).expect("compile without a cache"));
    let traps = Component::from_file(&uncached, TRAPS_WASM).expect("compile traps without a cache");
    assert!(traps.world().exports().iter().any(|f| f.name == "raw-div"));
}

/// A file name the cache owns: 64 hex digits made of `digit` (so names sort
/// by it), then `suffix`.
fn cache_name(digit: char, suffix: &str) -> String {
    format!("{}{suffix}", digit.to_string().repeat(64))
}

/// Sets `path`'s modification time (the cache's "last used") to `ago` before now.
fn set_age(path: &Path, ago: Duration) {
    let file = std::fs::File::options().write(true).open(path).expect("open for set_modified");
    file.set_modified(SystemTime::now() - ago).expect("set_modified");
}

/// The names of the files in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read the cache directory")
        .map(|e| e.expect("a directory entry").file_name().into_string().expect("a UTF-8 name"))
        .collect();
    names.sort();
    names
}

/// A process id that no process has any more.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().expect("run true");
    let pid = child.id();
    child.wait().expect("wait for true");
    pid
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn stale_temporary_files_are_removed_live_and_foreign_ones_kept() {
    let dir = TempDir::new();
    let cache = CompileCache::new(dir.path(), featherlight::DEFAULT_CACHE_MAX_SIZE);
    let dead = dead_pid();
    let own = std::process::id();
    let file = |name: String, ago: Duration| {
        let path = dir.path().join(&name);
        write(&path, b"partial");
        set_age(&path, ago);
        name
    };
    let stale = [
        // Killed writers, before and after per-write sequence numbers.
        file(cache_name('1', &format!(".tmp{dead}")), Duration::ZERO),
        file(cache_name('2', &format!(".tmp{dead}-3")), Duration::ZERO),
        // A live process id, but long ago: reused, or a hung writer.
        file(cache_name('3', ".tmp1-2"), HOUR),
    ];
    let kept = [
        // Being written right now, by this process and by a live one.
        file(cache_name('4', &format!(".tmp{own}-999999")), Duration::ZERO),
        file(cache_name('5', ".tmp1"), Duration::ZERO),
        // An entry, and files the cache does not own, however old.
        file(cache_name('6', ".cwasm"), HOUR * 100),
        file(cache_name('7', ".cwasm.bak"), HOUR * 100),
        file(format!("values.tmp{dead}"), HOUR * 100),
        file("notes.txt".to_owned(), HOUR * 100),
    ];
    assert_eq!(cache.remove_stale_temporaries().expect("clean"), stale.len());
    let mut expected = kept.to_vec();
    expected.sort();
    assert_eq!(names(dir.path()), expected);
    assert_eq!(cache.remove_stale_temporaries().expect("clean again"), 0);
}

/// Compiling into the cache cleans up after a writer that was killed.
#[test]
fn compiling_removes_what_killed_writers_left() {
    let fixture = Fixture::new();
    let left = fixture.cache_dir.path().join(cache_name('a', &format!(".tmp{}", dead_pid())));
    write(&left, &[0; 4096]);
    let _ = fixture.values();
    assert!(!left.exists(), "the temporary file of a dead writer is still there");
    assert_eq!(names(fixture.cache_dir.path()).len(), 1, "{:?}", names(fixture.cache_dir.path()));
}

#[test]
fn eviction_removes_the_least_recently_used_first_and_keeps_the_bound() {
    let dir = TempDir::new();
    let cache = CompileCache::new(dir.path(), 2500);
    let kib = vec![7; 1000];
    // Written oldest first ('1' … '3'); the third goes over the bound.
    for (digit, ago) in [('1', 3), ('2', 2)] {
        let path = dir.path().join(cache_name(digit, ".cwasm"));
        cache.store(&path, &kib).expect("store");
        set_age(&path, HOUR * ago);
    }
    assert_eq!(cache.usage().expect("usage"), CacheUsage { entries: 2, bytes: 2000 });
    cache.store(&dir.path().join(cache_name('3', ".cwasm")), &kib).expect("store");
    assert_eq!(names(dir.path()), [cache_name('2', ".cwasm"), cache_name('3', ".cwasm")]);
    assert_eq!(cache.usage().expect("usage"), CacheUsage { entries: 2, bytes: 2000 });

    // The entry just written stays even when everything else must go for it.
    let big = dir.path().join(cache_name('0', ".cwasm"));
    cache.store(&big, &[1; 2400]).expect("store");
    assert_eq!(names(dir.path()), [cache_name('0', ".cwasm")]);

    // One larger than the whole bound is not written at all.
    cache.store(&dir.path().join(cache_name('9', ".cwasm")), &[1; 2501]).expect("store");
    assert_eq!(names(dir.path()), [cache_name('0', ".cwasm")]);

    // A smaller bound takes effect at the next trim; foreign files stay.
    write(&dir.path().join("notes.txt"), &[0; 5000]);
    let removed = CompileCache::new(dir.path(), 0).trim().expect("trim");
    assert_eq!(removed, CacheUsage { entries: 1, bytes: 2400 });
    assert_eq!(names(dir.path()), ["notes.txt"]);
}

/// The engine marks an entry used when it loads it, so a component in use
/// outlives one compiled after it but not used since.
#[test]
fn a_cache_hit_counts_as_use() {
    let sizes = Fixture::new();
    let size = |wasm: &str| {
        sizes.load(wasm);
        let file = sizes.cache_files().into_iter().max_by_key(|f| std::fs::metadata(f).unwrap().modified().unwrap());
        std::fs::metadata(file.unwrap()).unwrap().len()
    };
    let (values, traps, stateful) = (size(VALUES_WASM), size(TRAPS_WASM), size(STATEFUL_WASM));
    // Room for any two, not for all three.
    let fixture = Fixture::with_config(Config { cache_max_size: values + traps + stateful - 1, ..Config::default() });
    fixture.values();
    let values_file = only_cache_file(&fixture);
    set_age(&values_file, 2 * HOUR);
    fixture.traps();
    let traps_file = fixture.cache_files().into_iter().find(|f| *f != values_file).expect("traps cached");
    set_age(&traps_file, HOUR);
    // A hit: values becomes the most recently used.
    assert_values_runs(&fixture.values());
    let used = std::fs::metadata(&values_file).unwrap().modified().unwrap();
    assert!(used.elapsed().unwrap_or_default() < HOUR, "the hit did not mark values used");
    fixture.stateful();
    let files = fixture.cache_files();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.contains(&values_file), "values (used last) was evicted");
    assert!(!files.contains(&traps_file), "traps (least recently used) was kept");
    assert_values_runs(&fixture.values());
}

#[test]
fn clear_removes_every_entry_and_nothing_else() {
    let fixture = Fixture::new();
    fixture.values();
    fixture.traps();
    let dir = fixture.cache_dir.path();
    write(&dir.join("notes.txt"), b"mine");
    let live = cache_name('4', &format!(".tmp{}-999999", std::process::id()));
    write(&dir.join(&live), b"being written");
    let dead = cache_name('5', &format!(".tmp{}", dead_pid()));
    write(&dir.join(&dead), b"left behind");

    let cache = CompileCache::for_config(fixture.engine.config()).expect("the fixture has a cache");
    assert_eq!(cache.dir(), dir);
    let before = cache.usage().expect("usage");
    assert_eq!(before.entries, 2);
    assert!(before.bytes > 1000, "{before:?}");
    assert_eq!(cache.clear().expect("clear"), before);
    assert_eq!(cache.usage().expect("usage"), CacheUsage::default());
    let mut expected = vec![live, "notes.txt".to_owned()];
    expected.sort();
    assert_eq!(names(dir), expected);
    // A cleared cache fills again.
    assert_values_runs(&fixture.values());
    assert_eq!(cache.usage().expect("usage").entries, 1);
    // A cache directory that does not exist yet is empty, not an error.
    let missing = CompileCache::new(dir.join("not-yet"), 1);
    assert_eq!(missing.usage().expect("usage"), CacheUsage::default());
    assert_eq!(missing.clear().expect("clear"), CacheUsage::default());
}

/// Threads writing the same entry at once, with a reader watching: every read
/// sees one writer's complete file, and no temporary file is left.
#[test]
fn concurrent_writers_never_leave_a_broken_file() {
    let dir = TempDir::new();
    let cache = CompileCache::new(dir.path(), featherlight::DEFAULT_CACHE_MAX_SIZE);
    let path = dir.path().join(cache_name('c', ".cwasm"));
    const LEN: usize = 1 << 20;
    let contents: Vec<Vec<u8>> = (0..4u8).map(|writer| vec![writer; LEN]).collect();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(bytes) = std::fs::read(&path) {
                    assert_eq!(bytes.len(), LEN, "a partial file");
                    assert!(bytes.iter().all(|b| *b == bytes[0]), "a mix of two writers");
                    reads += 1;
                }
            }
            reads
        });
        let writers: Vec<_> = contents
            .iter()
            .map(|bytes| {
                let (cache, path) = (&cache, &path);
                scope.spawn(move || {
                    for _ in 0..25 {
                        cache.store(path, bytes).expect("store");
                    }
                })
            })
            .collect();
        // Stop the reader before judging the writers, so a failing writer
        // fails the test rather than leaving the reader spinning.
        let finished: Vec<_> = writers.into_iter().map(|writer| writer.join()).collect();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for writer in finished {
            writer.expect("writer");
        }
        assert!(reader.join().expect("reader") > 0, "the reader never saw the file");
    });
    assert_eq!(names(dir.path()), [cache_name('c', ".cwasm")]);

    // The same through the engine: components compiled at once, one entry.
    let fixture = Fixture::new();
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| assert_values_runs(&fixture.values()));
        }
    });
    let file = only_cache_file(&fixture);
    assert_eq!(names(fixture.cache_dir.path()).len(), 1, "{:?}", names(fixture.cache_dir.path()));
    assert_values_runs(&loads(&fixture, &file).expect("the entry loads"));
}
