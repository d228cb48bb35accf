//! What the integration tests in `tests/` share: the test components, an
//! engine whose compile cache lives in a temporary directory of its own, and
//! shorthands for building [`Value`]s.
//!
//! The components are built from `components/` by `build.rs`:
//!
//! - `values` (`components/values/wit/values.wit`) echoes every WIT value
//!   type, directly and through its `host` import, and does float math;
//! - `traps` (`components/traps/wit/traps.wit`) traps in every way Wasm can
//!   and calls host functions that fail or are missing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use featherlight::{Component, Config, Engine, HostError, Linker, Value};

/// Path of the `values` component.
pub const VALUES_WASM: &str = env!("VALUES_WASM");
/// Path of the `traps` component.
pub const TRAPS_WASM: &str = env!("TRAPS_WASM");
/// The `stateful` test component (`components/stateful`), built by `build.rs`.
pub const STATEFUL_WASM: &str = env!("STATEFUL_WASM");
/// The `resources` test component (`components/resources`), built by `build.rs`.
pub const RESOURCES_WASM: &str = env!("RESOURCES_WASM");
/// The `memory` test component (`components/memory`), built by `build.rs`.
pub const MEMORY_WASM: &str = env!("MEMORY_WASM");

/// The `large` test component (`components/large`): echoes values of any
/// size, directly and through its `host` import.
pub const LARGE_WASM: &str = env!("LARGE_WASM");

/// The `http-proxy` test component (`components/http-proxy`): a
/// `wasi:http/proxy` component built with the `wasip2` crate; its routes are
/// listed in its `src/lib.rs`.
pub const HTTP_PROXY_WASM: &str = env!("HTTP_PROXY_WASM");

/// The hostile guest image (`guest-runtime/hostile`), built by `build.rs`:
/// boot it with [`Config::guest_image`](featherlight::Config).
pub const HOSTILE_GUEST: &str = env!("HOSTILE_GUEST");

/// The `wasi-app` test component (`components/wasi-app`): a WASI command
/// built from plain Rust std; its first argument picks a scenario.
pub const WASI_APP_WASM: &str = env!("WASI_APP_WASM");

/// `wasi-app` built for `wasm32-wasip1` and made a component with wasmtime's
/// preview-1 adapter, as `cargo component build` does.
pub const WASI_APP_P1_WASM: &str = env!("WASI_APP_P1_WASM");

/// The interface `values` imports its host functions from.
pub const VALUES_HOST: &str = "test:values/host";
/// The interface `traps` imports its host functions from.
pub const TRAPS_HOST: &str = "test:traps/host";

/// The WIT types `values` echoes, by the suffix of their functions' names
/// (`echo-<suffix>`, `via-host-<suffix>`).
pub const VALUE_TYPES: [&str; 22] = [
    "bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64", "f32", "f64", "char", "string", "bytes", "strings",
    "record", "tuple", "variant", "enum", "option", "result", "flags",
];

/// A directory under the system's temporary directory, unique to this
/// process and this value, removed with everything in it on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a fresh, empty directory.
    ///
    /// # Panics
    ///
    /// If the directory cannot be created.
    pub fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("featherlight-tests-{}-{n}", std::process::id()));
        // Left over by an earlier process with the same id.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        Self { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Default for TempDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// An engine with the default configuration except for its compile cache,
/// which lives in a temporary directory removed when the fixture drops.
#[derive(Debug)]
pub struct Fixture {
    /// The engine.
    pub engine: Engine,
    /// Its cache directory.
    pub cache_dir: TempDir,
}

impl Fixture {
    /// A new engine with an empty cache directory of its own.
    ///
    /// # Panics
    ///
    /// If the engine cannot be created.
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// A new engine with `config` and an empty cache directory of its own.
    ///
    /// # Panics
    ///
    /// If the engine cannot be created.
    pub fn with_config(config: Config) -> Self {
        let cache_dir = TempDir::new();
        let config = Config { cache_dir: Some(cache_dir.path().to_path_buf()), ..config };
        let engine = Engine::new(config).expect("the configuration makes an engine");
        Self { engine, cache_dir }
    }

    /// The `values` component, compiled by this fixture's engine.
    ///
    /// # Panics
    ///
    /// If it cannot be loaded.
    pub fn values(&self) -> Component {
        self.load(VALUES_WASM)
    }

    /// The `traps` component, compiled by this fixture's engine.
    ///
    /// # Panics
    ///
    /// If it cannot be loaded.
    pub fn traps(&self) -> Component {
        self.load(TRAPS_WASM)
    }

    /// The `stateful` component, compiled by this fixture's engine.
    ///
    /// # Panics
    ///
    /// If it cannot be loaded.
    pub fn stateful(&self) -> Component {
        self.load(STATEFUL_WASM)
    }

    /// The `memory` component, compiled by this fixture's engine.
    ///
    /// # Panics
    ///
    /// If it does not compile.
    pub fn memory(&self) -> Component {
        self.load(MEMORY_WASM)
    }

    /// The `resources` component, compiled by this fixture's engine.
    ///
    /// # Panics
    ///
    /// If it cannot be loaded.
    pub fn resources(&self) -> Component {
        self.load(RESOURCES_WASM)
    }

    /// The component at `path`, compiled by this fixture's engine.
    ///
    /// # Panics
    ///
    /// If it cannot be loaded.
    pub fn load(&self, path: &str) -> Component {
        Component::from_file(&self.engine, path).unwrap_or_else(|e| panic!("cannot load {path}: {e}"))
    }

    /// The `.cwasm` files in the cache directory.
    ///
    /// # Panics
    ///
    /// If the directory cannot be read.
    pub fn cache_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.cache_dir.path())
            .expect("the cache directory is readable")
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "cwasm"))
            .collect();
        files.sort();
        files
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

/// A writer into a shared buffer, for capturing `tracing` output
/// (`.with_writer(move || captured.clone())`).
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

/// One host function call: the function's name and its arguments.
pub type Call = (String, Vec<Value>);

/// The calls host functions received, in order.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    calls: Arc<Mutex<Vec<Call>>>,
}

impl CallLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a call of `function` with `args`.
    pub fn record(&self, function: &str, args: &[Value]) {
        self.lock().push((function.to_owned(), args.to_vec()));
    }

    /// Takes every call recorded so far, leaving the log empty.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Call>> {
        // A test that panicked while holding the lock has failed already.
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A linker with every `echo-<type>` host function of `values`, each
/// recording its call in `log` and returning its arguments.
pub fn echo_linker(log: &CallLog) -> Linker {
    let mut linker = Linker::new();
    for ty in VALUE_TYPES {
        let name = format!("echo-{ty}");
        let log = log.clone();
        let recorded = name.clone();
        linker.func(VALUES_HOST, &name, move |args: &[Value]| -> Result<Vec<Value>, HostError> {
            log.record(&recorded, args);
            Ok(args.to_vec())
        });
    }
    linker
}

/// Whether `a` and `b` are the same value, floats compared bit for bit (so
/// NaN payloads and the sign of zero count, unlike with `==`).
pub fn identical(a: &Value, b: &Value) -> bool {
    let all = |a: &[Value], b: &[Value]| a.len() == b.len() && a.iter().zip(b).all(|(a, b)| identical(a, b));
    let boxed = |a: &Option<Box<Value>>, b: &Option<Box<Value>>| match (a, b) {
        (Some(a), Some(b)) => identical(a, b),
        (None, None) => true,
        _ => false,
    };
    match (a, b) {
        (Value::Float32(a), Value::Float32(b)) => a.to_bits() == b.to_bits(),
        (Value::Float64(a), Value::Float64(b)) => a.to_bits() == b.to_bits(),
        (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => all(a, b),
        (Value::Record(a), Value::Record(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|((na, va), (nb, vb))| na == nb && identical(va, vb))
        }
        (Value::Variant(ca, pa), Value::Variant(cb, pb)) => ca == cb && boxed(pa, pb),
        (Value::Option(a), Value::Option(b)) => boxed(a, b),
        (Value::Result(Ok(a)), Value::Result(Ok(b))) | (Value::Result(Err(a)), Value::Result(Err(b))) => boxed(a, b),
        _ => a == b,
    }
}

/// Asserts that `actual` is `[expected]`, floats compared bit for bit.
///
/// # Panics
///
/// If it is not.
#[track_caller]
pub fn assert_single(actual: &[Value], expected: &Value, context: &str) {
    assert!(actual.len() == 1 && identical(&actual[0], expected), "{context}: got {actual:?}, expected [{expected:?}]");
}

/// `string` value.
pub fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// `list<u8>` value.
pub fn bytes(bytes: &[u8]) -> Value {
    Value::List(bytes.iter().copied().map(Value::U8).collect())
}

/// `list<string>` value.
pub fn strings(strings: &[&str]) -> Value {
    Value::List(strings.iter().copied().map(string).collect())
}

/// `some(value)`.
pub fn some(value: Value) -> Value {
    Value::Option(Some(Box::new(value)))
}

/// `none`.
pub fn none() -> Value {
    Value::Option(None)
}

/// `ok(value)`.
pub fn ok(value: Value) -> Value {
    Value::Result(Ok(Some(Box::new(value))))
}

/// `err(value)`.
pub fn err(value: Value) -> Value {
    Value::Result(Err(Some(Box::new(value))))
}

/// A variant case, with its payload if it has one.
pub fn case(name: &str, payload: Option<Value>) -> Value {
    Value::Variant(name.to_owned(), payload.map(Box::new))
}

/// An enum case.
pub fn enum_case(name: &str) -> Value {
    Value::Enum(name.to_owned())
}

/// A flags value with these flags set (in declaration order, as values come
/// back from a component).
pub fn flags(names: &[&str]) -> Value {
    Value::Flags(names.iter().map(|&n| n.to_owned()).collect())
}

/// A record from `(field, value)` pairs (in type order, as values come back
/// from a component).
pub fn record(fields: &[(&str, Value)]) -> Value {
    Value::Record(fields.iter().map(|(name, value)| ((*name).to_owned(), value.clone())).collect())
}

/// A `values` `point` record.
pub fn point(x: i32, y: i32, label: Option<&str>) -> Value {
    record(&[("x", Value::S32(x)), ("y", Value::S32(y)), ("label", label.map_or_else(none, |l| some(string(l))))])
}

/// A `values` `tuple<u32, string, f64>`.
pub fn triple(a: u32, b: &str, c: f64) -> Value {
    Value::Tuple(vec![Value::U32(a), string(b), Value::Float64(c)])
}

/// This process's resident memory in bytes (`VmRSS`).
///
/// # Panics
///
/// If `/proc/self/status` cannot be read or has no `VmRSS` line.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse::<u64>().ok()).expect("a number") * 1024
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_compares_float_bits() {
        assert!(identical(&Value::Float64(1.0), &Value::Float64(1.0)));
        assert!(!identical(&Value::Float64(0.0), &Value::Float64(-0.0)));
        let nan = |bits| Value::Float64(f64::from_bits(bits));
        assert!(identical(&nan(0x7ff8_0000_dead_beef), &nan(0x7ff8_0000_dead_beef)));
        assert!(!identical(&nan(0x7ff8_0000_dead_beef), &nan(0x7ff8_0000_0000_0000)));
        assert!(!identical(&Value::Float32(0.0), &Value::Float32(-0.0)));
        assert!(!identical(&Value::Float32(0.0), &Value::Float64(0.0)));
    }

    #[test]
    fn identical_looks_inside_aggregates() {
        let with = |x: f64| triple(1, "a", x);
        assert!(identical(&with(f64::NAN), &with(f64::NAN)));
        assert!(!identical(&with(0.0), &with(-0.0)));
        assert!(!identical(&triple(1, "a", 0.0), &triple(2, "a", 0.0)));
        assert!(!identical(&point(1, 2, None), &point(1, 2, Some(""))));
        assert!(!identical(&record(&[("a", Value::U8(1))]), &record(&[("b", Value::U8(1))])));
        assert!(!identical(&case("circle", Some(Value::Float64(-0.0))), &case("circle", Some(Value::Float64(0.0)))));
        assert!(!identical(&case("a", None), &case("b", None)));
        assert!(!identical(&some(Value::Float64(-0.0)), &some(Value::Float64(0.0))));
        assert!(!identical(&some(Value::U8(1)), &none()));
        assert!(!identical(&ok(Value::U32(1)), &err(Value::U32(1))));
        assert!(!identical(&bytes(&[1, 2]), &bytes(&[1, 2, 3])));
        assert!(identical(&strings(&["x", "y"]), &strings(&["x", "y"])));
        assert!(!identical(&flags(&["read"]), &flags(&["write"])));
    }

    #[test]
    fn temp_dirs_are_distinct_and_removed_on_drop() {
        let a = TempDir::new();
        let b = TempDir::new();
        assert_ne!(a.path(), b.path());
        std::fs::write(a.path().join("file"), b"x").unwrap();
        let path = a.path().to_path_buf();
        drop(a);
        assert!(!path.exists());
        assert!(b.path().is_dir());
    }
}
