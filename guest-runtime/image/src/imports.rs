//! Imports: every function the host named in `Init` is linked to a function
//! that forwards the call to the host by index; an import without a host
//! function fails naming itself, like wasmtime's unknown-imports-as-traps.

use crate::import_failure::{channel_failure, failure};
use crate::store::Host;
use crate::values;
use alloc::collections::BTreeSet;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use featherlight_abi::fb;
use featherlight_guest::host::ChannelError;
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::{Linker, Val};

/// Defines each import named in `init` in `linker`, then makes every other
/// imported function (the host leaves out those whose types it cannot carry
/// yet, such as async ones) fail as an unknown import too. Resources the host
/// defines are linked first (`resources.rs`); returns their types.
pub fn define(
    linker: &mut Linker<Host>,
    init: &fb::Init<'_>,
    component: &wasmtime::component::Component,
) -> wasmtime::Result<crate::resources::HostTypes> {
    let mut named = BTreeSet::new();
    let registered = init.imports_registered();
    // Host resources first: functions' types refer to them.
    let host_types = crate::resources::link_host_resources(linker, init, component)?;
    let shared_types = alloc::sync::Arc::new(host_types.clone());
    for (index, name) in init.imports().iter().flatten().enumerate() {
        if name.name().is_some_and(|n| n.starts_with("[resource-drop]")) {
            continue;
        }
        let func_name = name.name().unwrap_or_default().to_string();
        let interface = name.interface().map(ToString::to_string);
        let qualified = match &interface {
            Some(i) => alloc::format!("{i}#{func_name}"),
            None => func_name.clone(),
        };
        named.insert((interface.clone(), func_name.clone()));
        let is_registered = registered.is_some_and(|r| r.len() > index && r.get(index));
        let index = u32::try_from(index)?;
        let host_types = shared_types.clone();
        let forward = move |mut store: wasmtime::StoreContextMut<'_, Host>,
                            ty: ComponentFunc,
                            params: &[Val],
                            results: &mut [Val]|
              -> wasmtime::Result<()> {
            if !is_registered {
                return unknown_import(&qualified);
            }
            let malformed = |m: String| failure(fb::ErrorKind::Malformed, alloc::format!("import `{qualified}`: {m}"));
            let mut handles = crate::resources::Handles { host: &host_types, table: None, borrows: Vec::new() };
            let mut params = params.to_vec();
            for (param, (_, param_ty)) in params.iter_mut().zip(ty.params()) {
                handles.number_for_host(&mut store, param, &param_ty).map_err(|e| malformed(e.to_string()))?;
            }
            // Keep the component's output in order with what the host does.
            store.data_mut().wasi.flush();
            call_host(index, &qualified, &ty, &params, results)?;
            for (result, result_ty) in results.iter_mut().zip(ty.results()) {
                handles.handle_from_host(&mut store, result, &result_ty).map_err(|e| malformed(e.to_string()))?;
            }
            Ok(())
        };
        match &interface {
            Some(i) => linker.instance(i)?.func_new(&func_name, forward)?,
            None => linker.root().func_new(&func_name, forward)?,
        }
    }
    let engine = component.engine().clone();
    for (name, item) in component.component_type().imports(&engine) {
        match item.ty {
            ComponentItem::ComponentFunc(_) if !named.contains(&(None, name.to_string())) => {
                linker.root().func_new(name, unknown(name.to_string()))?;
            }
            ComponentItem::ComponentInstance(instance) => {
                let mut linker_instance = linker.instance(name)?;
                for (func_name, item) in instance.exports(&engine) {
                    if matches!(item.ty, ComponentItem::ComponentFunc(_))
                        && !named.contains(&(Some(name.to_string()), func_name.to_string()))
                    {
                        linker_instance.func_new(func_name, unknown(alloc::format!("{name}#{func_name}")))?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(host_types)
}

/// An import function that fails naming itself, like wasmtime's
/// unknown-imports-as-traps but with a kind the host can tell apart.
fn unknown(
    qualified: String,
) -> impl Fn(wasmtime::StoreContextMut<'_, Host>, ComponentFunc, &[Val], &mut [Val]) -> wasmtime::Result<()>
+ Send
+ Sync
+ 'static {
    move |_, _, _, _| unknown_import(&qualified)
}

fn unknown_import(qualified: &str) -> wasmtime::Result<()> {
    Err(failure(fb::ErrorKind::UnknownImport, alloc::format!("unknown import: `{qualified}` has not been defined")))
}

/// Sends import call `index` to the host and decodes its answer.
fn call_host(index: u32, name: &str, ty: &ComponentFunc, params: &[Val], results: &mut [Val]) -> wasmtime::Result<()> {
    let malformed = |m: String| failure(fb::ErrorKind::Malformed, alloc::format!("import `{name}`: {m}"));
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let args = values::encode_each(&mut fbb, params.iter().zip(ty.params().map(|(_, t)| t))).map_err(malformed)?;
    let call =
        fb::FunctionCall::create(&mut fbb, &fb::FunctionCallArgs { function: index, args: Some(args), context: None });
    let root = fb::GuestMessage::create(
        &mut fbb,
        &fb::GuestMessageArgs { body_type: fb::GuestBody::FunctionCall, body: Some(call.as_union_value()) },
    );
    fbb.finish_size_prefixed(root, None);
    let context = alloc::format!("import `{name}`");
    featherlight_guest::host::send(fbb.finished_data()).map_err(|e| channel_failure(&e, &context))?;
    drop(fbb);

    let received = featherlight_guest::host::receive().map_err(|e| channel_failure(&e, &context))?;
    let reply = received.open().map_err(|e| channel_failure(&e, &context))?;
    let result = reply
        .body_as_function_call_result()
        .ok_or_else(|| malformed("the host answered with something other than a result".to_string()))?;
    if let Some(error) = result.error() {
        if error.kind() == fb::ErrorKind::MessageTooLarge {
            // The host's results would exceed the limit: the call fails as
            // one whose arguments would (both sizes known), not as the host
            // function's failure.
            let too_large = ChannelError::TooLarge {
                len: featherlight_guest::guest_usize(error.length()),
                limit: featherlight_guest::guest_usize(error.limit()),
            };
            return Err(channel_failure(&too_large, &alloc::format!("the results of import `{name}`")));
        }
        return Err(failure(
            fb::ErrorKind::HostFunction,
            alloc::format!("host function `{name}` failed: {}", error.message().unwrap_or("")),
        ));
    }
    let decoded: Vec<Val> = values::decode_all(result.results(), ty.results()).map_err(malformed)?;
    if decoded.len() != results.len() {
        return Err(malformed("wrong number of results".to_string()));
    }
    for (slot, value) in results.iter_mut().zip(decoded) {
        *slot = value;
    }
    Ok(())
}
