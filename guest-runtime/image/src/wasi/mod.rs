//! WASI 0.2 inside the guest: what `wasm32-wasip2` components import by
//! default (cli, clocks, random, io), answered without leaving the VM except
//! to hand buffered output to the host and read stdin; filesystem calls are
//! forwarded to the host, which resolves them beneath the directories the
//! embedder granted (none by default). Sockets link but are not granted.
//! `wasi:http` serves the request the host sends and forwards outgoing
//! requests to it (`http/`).
//!
//! Every 0.2.x version a component imports is linked: the functions are
//! defined under the exact instance names the component uses.

mod denied;
mod files;
mod filesystem;
mod fs_types;
pub(crate) mod http;
mod io;
mod random;
pub(crate) mod state;
mod stdin;

pub use state::Wasi;

use crate::import_failure::ImportFailure;
use crate::store::Host;
use alloc::string::String;
use alloc::vec::Vec;
use featherlight_abi::fb;
use wasmtime::component::{ComponentType, Lift, Linker, LinkerInstance, Lower, Resource, ResourceType};
use wasmtime::{Result, StoreContextMut};

/// `wasi:cli/exit` was called: the call ends with this status.
#[derive(Debug)]
pub struct Exit(pub i32);

impl core::fmt::Display for Exit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "the component exited with status {}", self.0)
    }
}

impl core::error::Error for Exit {}

/// Resource types, as the component sees them. Streams are numbered by
/// their rep (stdin 0, stdout 1, stderr 2); pollables and errors live in
/// the store's table.
pub struct InputStream;
pub struct OutputStream;
pub struct IoError {
    text: String,
    /// What `filesystem-error-code` tells (errors of file streams).
    code: Option<fs_types::ErrorCode>,
    /// What `http-error-code` tells (errors of HTTP body streams).
    http: Option<http::ErrorCode>,
}
pub struct TerminalInput;
pub struct TerminalOutput;

/// A pollable: ready now, once the monotonic clock reaches a deadline,
/// once stdin has data (or ended), or when an HTTP body or response is.
pub enum Pollable {
    Ready,
    Until(u64),
    Stdin,
    Http(http::Wait),
}

const STDIN: u32 = 0;
const STDOUT: u32 = 1;
const STDERR: u32 = 2;

#[derive(ComponentType, Lower)]
#[component(variant)]
pub enum StreamError {
    #[component(name = "last-operation-failed")]
    LastOperationFailed(Resource<IoError>),
    #[component(name = "closed")]
    Closed,
}

#[derive(ComponentType, Lower, Lift, Clone, Copy, Debug)]
#[component(record)]
pub struct Datetime {
    seconds: u64,
    nanoseconds: u32,
}

type Ctx<'a> = StoreContextMut<'a, Host>;

/// Defines WASI for every WASI instance `component` imports. Run after
/// [`crate::imports::define`] with shadowing allowed: these definitions
/// replace its forwarding stubs.
pub fn define(linker: &mut Linker<Host>, component: &wasmtime::component::Component) -> Result<()> {
    let engine = component.engine().clone();
    for (name, item) in component.component_type().imports(&engine) {
        if !matches!(item.ty, wasmtime::component::types::ComponentItem::ComponentInstance(_)) {
            continue;
        }
        let Some(base) = name.strip_prefix("wasi:") else { continue };
        let (interface, version) = base.split_once('@').unwrap_or((base, ""));
        if !version.starts_with("0.2.") {
            continue;
        }
        let mut instance = linker.instance(name)?;
        define_resources(&mut instance, &item.ty, &engine)?;
        match interface {
            "io/error" => io_error(&mut instance)?,
            "io/poll" => io::poll(&mut instance)?,
            "io/streams" => io::streams(&mut instance)?,
            "cli/environment" => cli_environment(&mut instance)?,
            "cli/exit" => cli_exit(&mut instance)?,
            "cli/stdin" => {
                instance.func_wrap("get-stdin", |_: Ctx, (): ()| Ok((Resource::<InputStream>::new_own(STDIN),)))?
            }
            "cli/stdout" => {
                instance.func_wrap("get-stdout", |_: Ctx, (): ()| Ok((Resource::<OutputStream>::new_own(STDOUT),)))?
            }
            "cli/stderr" => {
                instance.func_wrap("get-stderr", |_: Ctx, (): ()| Ok((Resource::<OutputStream>::new_own(STDERR),)))?
            }
            // Never a terminal: output goes through the embedder's sinks.
            "cli/terminal-stdin" => {
                instance.func_wrap("get-terminal-stdin", |_: Ctx, (): ()| Ok((None::<Resource<TerminalInput>>,)))?
            }
            "cli/terminal-stdout" => {
                instance.func_wrap("get-terminal-stdout", |_: Ctx, (): ()| Ok((None::<Resource<TerminalOutput>>,)))?
            }
            "cli/terminal-stderr" => {
                instance.func_wrap("get-terminal-stderr", |_: Ctx, (): ()| Ok((None::<Resource<TerminalOutput>>,)))?
            }
            "clocks/wall-clock" => clocks_wall(&mut instance)?,
            "clocks/monotonic-clock" => clocks_monotonic(&mut instance)?,
            "random/random" => random_random(&mut instance)?,
            "random/insecure" => random_insecure(&mut instance)?,
            "random/insecure-seed" => instance.func_wrap("insecure-seed", |mut store: Ctx, (): ()| {
                let random = &mut store.data_mut().wasi.random;
                Ok(((random.next_u64(), random.next_u64()),))
            })?,
            "filesystem/types" => filesystem::types(&mut instance)?,
            "filesystem/preopens" => filesystem::preopens(&mut instance)?,
            "http/types" => http::types(&mut instance)?,
            "http/outgoing-handler" => http::outgoing_handler(&mut instance)?,
            _ if interface.starts_with("sockets/") => {
                denied::define(&mut instance, name, &item.ty, &engine)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Defines the WASI resource types instance `ty` declares or `use`s (an
/// interface that uses `pollable` must name the same type as `wasi:io/poll`).
fn define_resources(
    instance: &mut LinkerInstance<'_, Host>,
    ty: &wasmtime::component::types::ComponentItem,
    engine: &wasmtime::Engine,
) -> Result<()> {
    use wasmtime::component::types::ComponentItem;
    let ComponentItem::ComponentInstance(ty) = ty else { return Ok(()) };
    let names: Vec<String> = ty
        .exports(engine)
        .filter(|(_, item)| matches!(item.ty, ComponentItem::Resource(_)))
        .map(|(name, _)| String::from(name))
        .collect();
    for name in names {
        match name.as_str() {
            "pollable" => instance.resource(&name, ResourceType::host::<Pollable>(), drop_from_table::<Pollable>)?,
            // `wasi:http/types` uses `error` as `io-error`.
            "error" | "io-error" => {
                instance.resource(&name, ResourceType::host::<IoError>(), drop_from_table::<IoError>)?
            }
            "input-stream" => instance.resource(&name, ResourceType::host::<InputStream>(), drop_stream)?,
            "output-stream" => instance.resource(&name, ResourceType::host::<OutputStream>(), drop_stream)?,
            "descriptor" => {
                instance.resource(&name, ResourceType::host::<filesystem::Descriptor>(), filesystem::drop_descriptor)?
            }
            "directory-entry-stream" => instance.resource(
                &name,
                ResourceType::host::<filesystem::DirectoryEntryStream>(),
                filesystem::drop_listing,
            )?,
            "terminal-input" => instance.resource(&name, ResourceType::host::<TerminalInput>(), nothing)?,
            "terminal-output" => instance.resource(&name, ResourceType::host::<TerminalOutput>(), nothing)?,
            // Socket resources are never created.
            other => {
                http::define_resource(instance, other)?;
            }
        }
    }
    Ok(())
}

/// Drops a file or HTTP body stream (stdio's are never dropped for real).
fn drop_stream(mut store: Ctx, rep: u32) -> Result<()> {
    http::drop_stream(&mut store, rep);
    filesystem::drop_stream(store, rep)
}

fn nothing(_: Ctx, _rep: u32) -> Result<()> {
    Ok(())
}

fn drop_from_table<T: 'static>(mut store: Ctx, rep: u32) -> Result<()> {
    store.data_mut().table.delete(Resource::<T>::new_own(rep))?;
    Ok(())
}

fn io_error(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("[method]error.to-debug-string", |store: Ctx, (error,): (Resource<IoError>,)| {
        Ok((store.data().table.get(&error)?.text.clone(),))
    })
}

fn cli_environment(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("get-environment", |store: Ctx, (): ()| Ok((store.data().wasi.env.clone(),)))?;
    instance.func_wrap("get-arguments", |store: Ctx, (): ()| Ok((store.data().wasi.args.clone(),)))?;
    instance.func_wrap("initial-cwd", |_: Ctx, (): ()| Ok((None::<String>,)))
}

fn cli_exit(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("exit", |mut store: Ctx, (status,): (core::result::Result<(), ()>,)| -> Result<()> {
        store.data_mut().wasi.flush();
        Err(wasmtime::Error::new(Exit(if status.is_ok() { 0 } else { 1 })))
    })?;
    instance.func_wrap("exit-with-code", |mut store: Ctx, (code,): (u8,)| -> Result<()> {
        store.data_mut().wasi.flush();
        Err(wasmtime::Error::new(Exit(i32::from(code))))
    })
}

fn clocks_wall(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("now", |store: Ctx, (): ()| {
        let (seconds, nanoseconds) = store.data().wasi.clock.wall();
        Ok((Datetime { seconds, nanoseconds },))
    })?;
    instance.func_wrap("resolution", |_: Ctx, (): ()| Ok((Datetime { seconds: 0, nanoseconds: 1 },)))
}

fn clocks_monotonic(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("now", |mut store: Ctx, (): ()| Ok((store.data_mut().wasi.clock.monotonic(),)))?;
    instance.func_wrap("resolution", |_: Ctx, (): ()| Ok((1u64,)))?;
    instance.func_wrap("subscribe-instant", |mut store: Ctx, (when,): (u64,)| {
        Ok((store.data_mut().table.push(Pollable::Until(when))?,))
    })?;
    instance.func_wrap("subscribe-duration", |mut store: Ctx, (duration,): (u64,)| {
        let when = store.data_mut().wasi.clock.monotonic().saturating_add(duration);
        Ok((store.data_mut().table.push(Pollable::Until(when))?,))
    })
}

/// Bytes one `get-random-bytes` may ask for; more is a guest bug, not a
/// reason to exhaust the heap.
const MAX_RANDOM_BYTES: u64 = 64 * 1024 * 1024;

fn random_bytes(store: &mut Ctx, len: u64) -> Result<Vec<u8>> {
    if len > MAX_RANDOM_BYTES {
        return Err(wasmtime::Error::new(ImportFailure {
            sizes: None,
            kind: fb::ErrorKind::Other,
            message: alloc::format!("asked for {len} random bytes; at most {MAX_RANDOM_BYTES} are served at once"),
        }));
    }
    Ok(store.data_mut().wasi.random.bytes(usize::try_from(len)?))
}

fn random_random(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("get-random-bytes", |mut store: Ctx, (len,): (u64,)| Ok((random_bytes(&mut store, len)?,)))?;
    instance.func_wrap("get-random-u64", |mut store: Ctx, (): ()| Ok((store.data_mut().wasi.random.next_u64(),)))
}

fn random_insecure(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("get-insecure-random-bytes", |mut store: Ctx, (len,): (u64,)| {
        Ok((random_bytes(&mut store, len)?,))
    })?;
    instance
        .func_wrap("get-insecure-random-u64", |mut store: Ctx, (): ()| Ok((store.data_mut().wasi.random.next_u64(),)))
}
