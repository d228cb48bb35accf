//! The component's wasmtime engine, store and instance.

use crate::failure::Failure;
use crate::imports;
use crate::linear_memory::AreaCreator;
use crate::platform::{PremappedCode, detect_host_feature};
use crate::store::Host;
use crate::wasi::{self, Wasi};
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use featherlight_abi::engine::{SHARED_SETTINGS, SharedSettings};
use featherlight_abi::fb;
use wasmtime::component::{Component, Func, Linker, ResourceTable, types::ComponentFunc};
use wasmtime::{AsContextMut, Config, Engine, Store, StoreLimitsBuilder};

/// The host's compile configuration (`host/src/wasm/engine.rs`) in every
/// setting wasmtime checks when loading an artifact: the shared ones come
/// from [`SHARED_SETTINGS`], the stack limit from the boot parameters.
fn config() -> Config {
    let SharedSettings {
        wasm_component_model,
        signals_based_traps,
        memory_reservation,
        memory_guard_size,
        memory_reservation_for_growth,
        x86_float_abi_ok,
    } = SHARED_SETTINGS;
    let mut config = Config::new();
    config.wasm_component_model(wasm_component_model);
    config.signals_based_traps(signals_based_traps);
    config.memory_reservation(memory_reservation);
    config.memory_guard_size(memory_guard_size);
    config.memory_reservation_for_growth(memory_reservation_for_growth);
    config.max_wasm_stack(usize::try_from(featherlight_guest::boot_params().max_wasm_stack).unwrap_or(0));
    config.with_custom_code_memory(Some(Arc::new(PremappedCode)));
    // Linear memories grow in place in reservations of their own.
    config.with_host_memory(Arc::new(AreaCreator::default()));
    // Cranelift code uses SSE registers for floats while this image is
    // soft-float; wasmtime passes values between them through memory.
    // SAFETY: the host enabled SSE (CR4.OSFXSR) and compiled for exactly the
    // features `detect_host_feature` reports.
    unsafe {
        config.x86_float_abi_ok(x86_float_abi_ok);
        config.detect_host_feature(detect_host_feature);
    }
    config
}

/// A loaded, instantiated component.
pub struct Runtime {
    store: Store<Host>,
    /// `None` for a guest resource's `[resource-drop]` entry.
    exports: Vec<Option<(Func, ComponentFunc)>>,
    host_types: crate::resources::HostTypes,
    guest_table: crate::resources::GuestTable,
    /// The component's `wasi:http/incoming-handler.handle`, if it has one.
    http_handler: Option<wasi::http::Handler>,
}

impl Runtime {
    /// Loads the artifact the host placed in read-only memory and
    /// instantiates it with the imports `init` names.
    pub fn instantiate(init: &fb::Init<'_>) -> Result<Self, Failure> {
        let fail = |e| Failure::from_wasmtime(e, fb::ErrorKind::Instantiate);
        let engine = Engine::new(&config()).map_err(fail)?;
        let address = usize::try_from(init.artifact_address())
            .map_err(|_| Failure::new(fb::ErrorKind::Instantiate, "artifact address out of range"))?;
        let length = usize::try_from(init.artifact_length())
            .map_err(|_| Failure::new(fb::ErrorKind::Instantiate, "artifact length out of range"))?;
        let artifact = core::ptr::slice_from_raw_parts_mut(address as *mut u8, length);
        let artifact = core::ptr::NonNull::new(artifact)
            .ok_or_else(|| Failure::new(fb::ErrorKind::Instantiate, "artifact at address 0"))?;
        // SAFETY: the host placed a wasmtime artifact it compiled for this
        // engine configuration at this address, in snapshot memory that is
        // mapped for the guest's whole life and never written.
        let component = unsafe { Component::deserialize_raw(&engine, artifact) }.map_err(fail)?;

        let mut linker = Linker::<Host>::new(&engine);
        let host_types = imports::define(&mut linker, init, &component).map_err(fail)?;
        // WASI is served here in the guest, replacing the forwarding stubs.
        linker.allow_shadowing(true);
        wasi::define(&mut linker, &component).map_err(fail)?;
        // What is left are resource types: define them as host resources
        // (their functions already fail as unknown imports).
        linker.define_unknown_imports_as_traps(&component).map_err(fail)?;

        // Each linear memory may grow up to the host's cap (and its
        // reservation);
        // past it `memory.grow` returns -1 inside Wasm.
        let max_memory = featherlight_guest::boot_params().max_wasm_memory;
        let mut limits = StoreLimitsBuilder::new();
        if max_memory != 0 {
            limits = limits.memory_size(usize::try_from(max_memory).unwrap_or(usize::MAX));
        }
        let host =
            Host { limits: limits.build(), table: ResourceTable::new(), wasi: Wasi::new(init.wasi(), init.context()) };
        // Copied before instantiating: start functions may write output or
        // call the host, whose answers overwrite `init` in the input buffer.
        let export_names: Vec<(Option<String>, Option<String>)> = init
            .exports()
            .iter()
            .flatten()
            .map(|name| (name.interface().map(String::from), name.name().map(String::from)))
            .collect();
        let mut store = Store::new(&engine, host);
        store.limiter(|host| &mut host.limits);
        // Lists and strings a call lifts out of Wasm memory, as the host asked
        // (by default wasmtime's own 128 MiB, so refusals match wasmtime's).
        store.set_hostcall_fuel(featherlight_guest::guest_usize(featherlight_guest::boot_params().hostcall_fuel));
        let instance = linker.instantiate(&mut store, &component);
        // Output of start functions goes out before the outcome.
        store.data_mut().wasi.flush();
        let instance = instance.map_err(fail)?;

        let mut exports = Vec::new();
        for (interface, name) in &export_names {
            if name.as_deref().is_some_and(|n| n.starts_with("[resource-drop]")) {
                exports.push(None);
                continue;
            }
            let func =
                lookup_export(&mut store, &instance, interface.as_deref(), name.as_deref()).ok_or_else(|| {
                    Failure::new(
                        fb::ErrorKind::Instantiate,
                        alloc::format!(
                            "the component has no exported function `{}` in `{}`",
                            name.as_deref().unwrap_or(""),
                            interface.as_deref().unwrap_or("<world>")
                        ),
                    )
                })?;
            let ty = func.ty(&store);
            exports.push(Some((func, ty)));
        }
        let http_handler = wasi::http::find_handler(&mut store, &instance, &component);
        Ok(Self { store, exports, host_types, guest_table: crate::resources::GuestTable::default(), http_handler })
    }

    /// Calls export `call.function()` with its arguments.
    pub fn call(
        &mut self,
        call: &fb::FunctionCall<'_>,
    ) -> Result<(Vec<wasmtime::component::Val>, Option<ComponentFunc>), Failure> {
        let (index, args) = (call.function(), call.args());
        self.store.data_mut().wasi.begin_call(call.context());
        let malformed = |e| Failure::new(fb::ErrorKind::Malformed, e);
        let export = usize::try_from(index)
            .ok()
            .and_then(|i| self.exports.get(i))
            .ok_or_else(|| Failure::new(fb::ErrorKind::Malformed, alloc::format!("no export with index {index}")))?;
        let Some((func, ty)) = export else {
            let handle = args
                .filter(|a| a.len() == 1)
                .and_then(|a| a.get(0).kind_as_resource_val())
                .ok_or_else(|| malformed("a resource drop takes one handle".to_string()))?;
            self.guest_table.drop_handle(self.store.as_context_mut(), handle.handle())?;
            return Ok((Vec::new(), None));
        };
        let (func, ty) = (*func, ty.clone());
        let mut params = crate::values::decode_all(args, ty.params().map(|(_, t)| t)).map_err(malformed)?;
        let mut store = self.store.as_context_mut();
        let mut handles = crate::resources::Handles {
            host: &self.host_types,
            table: Some(&mut self.guest_table),
            borrows: Vec::new(),
        };
        // A handle the host was not given is refused before any is taken:
        // the call fails with nothing changed.
        handles.check_from_host(&mut params, ty.params().map(|(_, t)| t))?;
        for (param, (_, param_ty)) in params.iter_mut().zip(ty.params()) {
            handles.handle_from_host(&mut store, param, &param_ty)?;
        }
        let mut results = alloc::vec![wasmtime::component::Val::Bool(false); ty.results().len()];
        let called = func.call(&mut store, &params, &mut results);
        // What the component wrote reaches the host before the outcome.
        store.data_mut().wasi.flush();
        let converted = called.map_err(|e| Failure::from_wasmtime(e, fb::ErrorKind::Other)).and_then(|()| {
            for (result, result_ty) in results.iter_mut().zip(ty.results()) {
                handles.number_for_host(&mut store, result, &result_ty)?;
            }
            Ok(())
        });
        handles.end_borrows(store);
        converted?;
        Ok((results, Some(ty)))
    }
}

impl Runtime {
    /// Serves one HTTP request: the call's outcome and what is left of the
    /// response for the result message.
    pub fn serve_http(&mut self, request: &fb::HttpRequest<'_>) -> (Result<(), Failure>, Option<wasi::http::Part>) {
        wasi::http::serve(&mut self.store, self.http_handler.as_ref(), request)
    }
}

fn lookup_export(
    store: &mut Store<Host>,
    instance: &wasmtime::component::Instance,
    interface: Option<&str>,
    name: Option<&str>,
) -> Option<Func> {
    let func_name = name?;
    let parent = match interface {
        Some(interface) => Some(instance.get_export_index(&mut *store, None, interface)?),
        None => None,
    };
    let index = instance.get_export_index(&mut *store, parent.as_ref(), func_name)?;
    instance.get_func(&mut *store, index)
}
