//! Typed WIT bindings: the host gives a plugin component a key-value store
//! (`examples/components/kv-plugin/wit/plugin.wit`) and calls the plugin's
//! typed `handle` export, the way `wasmtime::component::bindgen!` users do.
//!
//! `cargo run -p featherlight-examples --bin kv-store`

use anyhow::Context;
use featherlight::{Component, Config, Engine, HostError, Linker};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

featherlight::bindgen!({ path: "components/kv-plugin/wit", world: "plugin" });

use example::kv::store::{Host, StoreError};
use exports::example::kv::api::{Request, Response};

/// The host's side of the capability: a bounded in-memory store.
#[derive(Default)]
struct Store {
    entries: BTreeMap<String, Vec<u8>>,
    /// Whether the backing store is down: calls then fail on the host side,
    /// which traps the guest and reaches the caller as `Unavailable`.
    down: bool,
}

/// The host's own failure, which the caller gets back typed.
#[derive(Debug, thiserror::Error)]
#[error("the backing store is down")]
struct Unavailable;

const MAX_ENTRIES: usize = 3;

fn check_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() || key.len() > 64 || key.contains('/') {
        return Err(StoreError::InvalidKey(format!("`{key}`: use 1 to 64 characters without `/`")));
    }
    Ok(())
}

impl Host for Store {
    fn get(&mut self, key: String) -> Result<Result<Option<Vec<u8>>, StoreError>, HostError> {
        if self.down {
            return Err(HostError::new(Unavailable));
        }
        Ok(check_key(&key).map(|()| self.entries.get(&key).cloned()))
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> Result<Result<(), StoreError>, HostError> {
        if let Err(e) = check_key(&key) {
            return Ok(Err(e));
        }
        if !self.entries.contains_key(&key) && self.entries.len() >= MAX_ENTRIES {
            return Ok(Err(StoreError::Full));
        }
        self.entries.insert(key, value);
        Ok(Ok(()))
    }

    fn delete(&mut self, key: String) -> Result<bool, HostError> {
        Ok(self.entries.remove(&key).is_some())
    }
}

impl PluginImports for Store {
    fn log(&mut self, message: String) -> Result<(), HostError> {
        println!("  plugin: {message}");
        Ok(())
    }
}

fn request(method: &str, path: &str, body: Option<&str>) -> Request {
    Request { method: method.into(), path: path.into(), body: body.map(|b| b.as_bytes().to_vec()) }
}

fn show(response: &Response) -> String {
    format!("{} {}", response.status, String::from_utf8_lossy(&response.body))
}

fn main() -> anyhow::Result<()> {
    let engine = Engine::new(Config::default())?;
    let component = Component::from_file(&engine, env!("KV_PLUGIN_WASM")).context("loading the plugin")?;
    let store = Arc::new(Mutex::new(Store::default()));
    // Checks the component against the world, links the store, boots the VM.
    let (plugin, mut sandbox) = Plugin::instantiate(&component, &Linker::new(), &store)?;
    let api = plugin.example_kv_api();
    for (method, path, body) in [
        ("PUT", "/greeting", Some("hello")),
        ("GET", "/greeting", None),
        ("GET", "/missing", None),
        ("PUT", "/a", Some("1")),
        ("PUT", "/b", Some("2")),
        ("PUT", "/c", Some("3")),
        ("PUT", "/", Some("no key")),
        ("DELETE", "/greeting", None),
        ("GET", "/greeting", None),
    ] {
        let response = api.call_handle(&mut sandbox, &request(method, path, body))?;
        println!("{method} {path} -> {}", show(&response));
    }
    let entries = store.lock().map_err(|_| anyhow::anyhow!("store lock poisoned"))?.entries.len();
    println!("the host's store holds {entries} entries");

    // A failing host call traps the guest; the caller gets the host's error back.
    store.lock().map_err(|_| anyhow::anyhow!("store lock poisoned"))?.down = true;
    let error = api.call_handle(&mut sandbox, &request("GET", "/a", None)).expect_err("the store is down");
    println!("with the store down: {error} (typed: {:?})", error.host_error::<Unavailable>());
    Ok(())
}
