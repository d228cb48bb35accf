//! One incoming request: the host's `HttpRequest` becomes an
//! `incoming-request` and a `response-outparam`, the component's
//! `wasi:http/incoming-handler.handle` runs, and what is left of the
//! response goes back in the call's result.

use super::body::Reader;
use super::fields::Fields;
use super::wire::{self, Part};
use super::wit::{Method, Scheme};
use super::{IncomingRequest, ResponseOutparam, response};
use crate::failure::Failure;
use crate::store::Host;
use alloc::string::{String, ToString};
use featherlight_abi::fb;
use featherlight_abi::http::REQUEST_BODY;
use wasmtime::Store;
use wasmtime::component::{Component, Instance, Resource, TypedFunc};

/// The component's `handle` export.
pub type Handler = TypedFunc<(Resource<IncomingRequest>, Resource<ResponseOutparam>), ()>;

/// The `handle` function of the `wasi:http/incoming-handler@0.2.x` the
/// component exports, if it exports one.
pub fn find_handler(store: &mut Store<Host>, instance: &Instance, component: &Component) -> Option<Handler> {
    let engine = component.engine().clone();
    let name = component
        .component_type()
        .exports(&engine)
        .map(|(name, _)| name.to_string())
        .find(|name| name.starts_with("wasi:http/incoming-handler@0.2."))?;
    let interface = instance.get_export_index(&mut *store, None, &name)?;
    let handle = instance.get_export_index(&mut *store, Some(&interface), "handle")?;
    match instance.get_typed_func(&mut *store, handle) {
        Ok(handler) => Some(handler),
        Err(e) => {
            log::warn!("`{name}` exports a `handle` of another type: {e:?}");
            None
        }
    }
}

/// Serves `request` with `handler`: the call's outcome and what is left of
/// the response (`None`: the component never set one).
pub fn serve(
    store: &mut Store<Host>,
    handler: Option<&Handler>,
    request: &fb::HttpRequest<'_>,
) -> (Result<(), Failure>, Option<Part>) {
    // Everything is copied out of the input buffer first: the host's answers
    // to the component's reads and writes overwrite it.
    let host = store.data_mut();
    host.wasi.begin_call(request.context());
    let tsc_khz = host.wasi.clock.tsc_khz;
    host.wasi.http.begin_call(tsc_khz);
    let incoming = IncomingRequest {
        method: Method::from_wire(request.method().unwrap_or("GET")),
        scheme: request.scheme().map(Scheme::from_wire),
        authority: request.authority().map(String::from),
        path_with_query: request.path_with_query().map(String::from),
        headers: Fields::from_host(wire::field_list(request.headers())),
        body: None,
    };
    let body = request.body().map(|b| b.bytes().to_vec()).unwrap_or_default();
    let reader = host.wasi.http.add_reader(Reader::new(REQUEST_BODY, body, request.body_end()));
    let Some(handler) = handler else {
        let message = "the component exports no `wasi:http/incoming-handler@0.2.x` `handle` function";
        return (Err(Failure::new(fb::ErrorKind::Other, message)), None);
    };
    let generation = host.wasi.http.generation;
    let pushed = host
        .table
        .push(IncomingRequest { body: Some(reader), ..incoming })
        .and_then(|request| Ok((request, host.table.push(ResponseOutparam { generation })?)));
    let (request, outparam) = match pushed {
        Ok(resources) => resources,
        Err(e) => return (Err(Failure::new(fb::ErrorKind::Other, e)), None),
    };
    let called = handler.call(&mut *store, (request, outparam));
    let host = store.data_mut();
    // What the component printed reaches the host before the response ends.
    host.wasi.flush();
    let part = response::final_part(&mut host.wasi.http, called.is_ok());
    (called.map_err(|e| Failure::from_wasmtime(e, fb::ErrorKind::Other)), part)
}
