//! wasmtime in-process as the reference for values: the same component
//! called through wasmtime's dynamic API (`Func::call` with `Val`s), its host
//! imports echoing their arguments, and featherlight's `Value`s converted to
//! and from wasmtime's `Val`s (shared by test binaries as a `#[path]` module).

use featherlight::Value;
use wasmtime::component::{Component, Linker, Val};
use wasmtime::{Engine, Store};

/// Converts a featherlight value (no handles) to wasmtime's.
pub fn to_val(value: &Value) -> Val {
    let boxed = |v: &Option<Box<Value>>| v.as_deref().map(|v| Box::new(to_val(v)));
    match value {
        Value::Bool(v) => Val::Bool(*v),
        Value::S8(v) => Val::S8(*v),
        Value::U8(v) => Val::U8(*v),
        Value::S16(v) => Val::S16(*v),
        Value::U16(v) => Val::U16(*v),
        Value::S32(v) => Val::S32(*v),
        Value::U32(v) => Val::U32(*v),
        Value::S64(v) => Val::S64(*v),
        Value::U64(v) => Val::U64(*v),
        Value::Float32(v) => Val::Float32(*v),
        Value::Float64(v) => Val::Float64(*v),
        Value::Char(v) => Val::Char(*v),
        Value::String(v) => Val::String(v.clone()),
        Value::List(items) => Val::List(items.iter().map(to_val).collect()),
        Value::Record(fields) => Val::Record(fields.iter().map(|(n, v)| (n.clone(), to_val(v))).collect()),
        Value::Tuple(items) => Val::Tuple(items.iter().map(to_val).collect()),
        Value::Variant(name, payload) => Val::Variant(name.clone(), boxed(payload)),
        Value::Enum(name) => Val::Enum(name.clone()),
        Value::Option(v) => Val::Option(boxed(v)),
        Value::Result(Ok(v)) => Val::Result(Ok(boxed(v))),
        Value::Result(Err(v)) => Val::Result(Err(boxed(v))),
        Value::Flags(names) => Val::Flags(names.clone()),
        other => panic!("the reference carries no {other:?}"),
    }
}

/// Converts wasmtime's value (no handles) to featherlight's.
pub fn from_val(val: &Val) -> Value {
    let boxed = |v: &Option<Box<Val>>| v.as_deref().map(|v| Box::new(from_val(v)));
    match val {
        Val::Bool(v) => Value::Bool(*v),
        Val::S8(v) => Value::S8(*v),
        Val::U8(v) => Value::U8(*v),
        Val::S16(v) => Value::S16(*v),
        Val::U16(v) => Value::U16(*v),
        Val::S32(v) => Value::S32(*v),
        Val::U32(v) => Value::U32(*v),
        Val::S64(v) => Value::S64(*v),
        Val::U64(v) => Value::U64(*v),
        Val::Float32(v) => Value::Float32(*v),
        Val::Float64(v) => Value::Float64(*v),
        Val::Char(v) => Value::Char(*v),
        Val::String(v) => Value::String(v.clone()),
        Val::List(items) => Value::List(items.iter().map(from_val).collect()),
        Val::Record(fields) => Value::Record(fields.iter().map(|(n, v)| (n.clone(), from_val(v))).collect()),
        Val::Tuple(items) => Value::Tuple(items.iter().map(from_val).collect()),
        Val::Variant(name, payload) => Value::Variant(name.clone(), boxed(payload)),
        Val::Enum(name) => Value::Enum(name.clone()),
        Val::Option(v) => Value::Option(boxed(v)),
        Val::Result(Ok(v)) => Value::Result(Ok(boxed(v))),
        Val::Result(Err(v)) => Value::Result(Err(boxed(v))),
        Val::Flags(names) => Value::Flags(names.clone()),
        other => panic!("the reference carries no {other:?}"),
    }
}

/// A component instantiated in wasmtime, every function of `host_interface`
/// named in `echoes` echoing its first argument.
pub struct Reference {
    store: Store<()>,
    instance: wasmtime::component::Instance,
    interface: String,
}

impl Reference {
    /// Instantiates `wasm` with wasmtime's default settings but hostcall fuel
    /// `fuel` (wasmtime's default when `None`).
    pub fn new(wasm: &str, host_interface: &str, echoes: &[&str], export_interface: &str, fuel: Option<usize>) -> Self {
        let engine = Engine::default();
        let component = Component::from_file(&engine, wasm).expect("wasmtime compiles the component");
        let mut linker = Linker::<()>::new(&engine);
        let mut host = linker.instance(host_interface).expect("host interface");
        for name in echoes {
            host.func_new(name, |_, _, params, results| {
                results[0] = params[0].clone();
                Ok(())
            })
            .expect("echo function");
        }
        // std's WASI imports are never called by the functions under test.
        linker.define_unknown_imports_as_traps(&component).expect("WASI imports as traps");
        let mut store = Store::new(&engine, ());
        if let Some(fuel) = fuel {
            store.set_hostcall_fuel(fuel);
        }
        let instance = linker.instantiate(&mut store, &component).expect("wasmtime instantiates");
        Self { store, instance, interface: export_interface.to_string() }
    }

    /// Calls export `name` of the export interface with `args`: its results,
    /// or wasmtime's error (the whole chain, as text).
    pub fn call(&mut self, name: &str, args: &[Val], results: usize) -> Result<Vec<Val>, String> {
        let interface = self.instance.get_export_index(&mut self.store, None, &self.interface).expect("interface");
        let index = self.instance.get_export_index(&mut self.store, Some(&interface), name).expect("export");
        let func = self.instance.get_func(&mut self.store, index).expect("function");
        let mut out = vec![Val::Bool(false); results];
        func.call(&mut self.store, args, &mut out).map_err(|e| format!("{e:?}"))?;
        Ok(out)
    }
}
