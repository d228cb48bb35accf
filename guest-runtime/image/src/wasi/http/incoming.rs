//! What the component reads: `incoming-request` (the request being
//! served), `incoming-response` (an answer to its outgoing request),
//! `incoming-body` and `future-trailers`.

use super::fields::Fields;
use super::wit::{ErrorCode, Method, Scheme};
use super::{Ctx, StreamOf, Wait, has_children, new_stream};
use crate::store::Host;
use crate::wasi::{InputStream, Pollable};
use alloc::string::String;
use wasmtime::Result;
use wasmtime::component::{LinkerInstance, Resource};

/// `incoming-request`.
#[derive(Debug)]
pub struct IncomingRequest {
    pub method: Method,
    pub scheme: Option<Scheme>,
    pub authority: Option<String>,
    pub path_with_query: Option<String>,
    pub headers: Fields,
    /// Its body's reader, until `consume`.
    pub body: Option<u32>,
}

/// `incoming-response`.
#[derive(Debug)]
pub struct IncomingResponse {
    pub status: u16,
    pub headers: Fields,
    pub body: Option<u32>,
}

/// `incoming-body`: its reader and its stream.
#[derive(Debug)]
pub struct IncomingBody {
    reader: u32,
    stream: Option<u32>,
    taken: bool,
}

/// `future-trailers` of a finished body.
#[derive(Debug)]
pub struct FutureTrailers {
    reader: u32,
    consumed: bool,
}

type Req = Resource<IncomingRequest>;
type Resp = Resource<IncomingResponse>;
type Body = Resource<IncomingBody>;
type Trailers = Resource<FutureTrailers>;
/// What `future-trailers.get` answers.
type TrailersResult = Option<core::result::Result<core::result::Result<Option<Resource<Fields>>, ErrorCode>, ()>>;

fn new_body(store: &mut Ctx, reader: Option<u32>) -> Result<core::result::Result<Body, ()>> {
    let Some(reader) = reader else { return Ok(Err(())) };
    Ok(Ok(store.data_mut().table.push(IncomingBody { reader, stream: None, taken: false })?))
}

pub fn define(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("[method]incoming-request.method", |store: Ctx, (request,): (Req,)| {
        Ok((store.data().table.get(&request)?.method.clone(),))
    })?;
    instance.func_wrap("[method]incoming-request.path-with-query", |store: Ctx, (request,): (Req,)| {
        Ok((store.data().table.get(&request)?.path_with_query.clone(),))
    })?;
    instance.func_wrap("[method]incoming-request.scheme", |store: Ctx, (request,): (Req,)| {
        Ok((store.data().table.get(&request)?.scheme.clone(),))
    })?;
    instance.func_wrap("[method]incoming-request.authority", |store: Ctx, (request,): (Req,)| {
        Ok((store.data().table.get(&request)?.authority.clone(),))
    })?;
    instance.func_wrap("[method]incoming-request.headers", |mut store: Ctx, (request,): (Req,)| {
        let headers = store.data().table.get(&request)?.headers.clone();
        Ok((store.data_mut().table.push(headers)?,))
    })?;
    instance.func_wrap("[method]incoming-request.consume", |mut store: Ctx, (request,): (Req,)| {
        let reader = store.data_mut().table.get_mut(&request)?.body.take();
        Ok((new_body(&mut store, reader)?,))
    })?;
    instance.func_wrap("[method]incoming-response.status", |store: Ctx, (response,): (Resp,)| {
        Ok((store.data().table.get(&response)?.status,))
    })?;
    instance.func_wrap("[method]incoming-response.headers", |mut store: Ctx, (response,): (Resp,)| {
        let headers = store.data().table.get(&response)?.headers.clone();
        Ok((store.data_mut().table.push(headers)?,))
    })?;
    instance.func_wrap("[method]incoming-response.consume", |mut store: Ctx, (response,): (Resp,)| {
        let reader = store.data_mut().table.get_mut(&response)?.body.take();
        Ok((new_body(&mut store, reader)?,))
    })?;
    instance.func_wrap("[method]incoming-body.stream", |mut store: Ctx, (body,): (Body,)| {
        let entry = store.data().table.get(&body)?;
        if entry.taken {
            return Ok((Err(()),));
        }
        let reader = entry.reader;
        let rep = new_stream(&mut store, StreamOf::Read(reader));
        let entry = store.data_mut().table.get_mut(&body)?;
        entry.taken = true;
        entry.stream = Some(rep);
        Ok((Ok(Resource::<InputStream>::new_own(rep)),))
    })?;
    instance.func_wrap("[static]incoming-body.finish", |mut store: Ctx, (body,): (Body,)| {
        check_no_stream(&store, &body)?;
        let body = store.data_mut().table.delete(body)?;
        Ok((store.data_mut().table.push(FutureTrailers { reader: body.reader, consumed: false })?,))
    })?;
    instance.func_wrap("[method]future-trailers.subscribe", |mut store: Ctx, (trailers,): (Trailers,)| {
        let reader = store.data().table.get(&trailers)?.reader;
        Ok((store.data_mut().table.push(Pollable::Http(Wait::Trailers(reader)))?,))
    })?;
    instance.func_wrap("[method]future-trailers.get", |mut store: Ctx, (trailers,): (Trailers,)| {
        Ok((trailers_get(&mut store, &trailers)?,))
    })
}

fn trailers_get(store: &mut Ctx, trailers: &Trailers) -> Result<TrailersResult> {
    let entry = store.data().table.get(trailers)?;
    if entry.consumed {
        return Ok(Some(Err(())));
    }
    let reader = entry.reader;
    let http = &mut store.data_mut().wasi.http;
    let outcome = match http.readers.get_mut(&reader) {
        Some(body) => {
            if !body.drain(0)? {
                return Ok(None);
            }
            body.outcome()
        }
        None => Ok(None),
    };
    http.readers.remove(&reader);
    store.data_mut().table.get_mut(trailers)?.consumed = true;
    Ok(Some(Ok(match outcome {
        Ok(Some(list)) => Ok(Some(store.data_mut().table.push(Fields::from_host(list))?)),
        Ok(None) => Ok(None),
        Err(code) => Err(code),
    })))
}

/// Finishing or dropping a body while its stream lives traps, as in wasmtime.
fn check_no_stream(store: &Ctx, body: &Body) -> Result<()> {
    let stream = store.data().table.get(body)?.stream;
    if store.data().wasi.http.stream_alive(stream) { Err(has_children()) } else { Ok(()) }
}

pub fn drop_request(mut store: Ctx, rep: u32) -> Result<()> {
    let request = store.data_mut().table.delete(Req::new_own(rep))?;
    if let Some(reader) = request.body {
        store.data_mut().wasi.http.readers.remove(&reader);
    }
    Ok(())
}

pub fn drop_response(mut store: Ctx, rep: u32) -> Result<()> {
    let response = store.data_mut().table.delete(Resp::new_own(rep))?;
    if let Some(reader) = response.body {
        store.data_mut().wasi.http.readers.remove(&reader);
    }
    Ok(())
}

pub fn drop_body(mut store: Ctx, rep: u32) -> Result<()> {
    let body = Body::new_own(rep);
    check_no_stream(&store, &body)?;
    let body = store.data_mut().table.delete(body)?;
    store.data_mut().wasi.http.readers.remove(&body.reader);
    Ok(())
}

pub fn drop_trailers(mut store: Ctx, rep: u32) -> Result<()> {
    let trailers = store.data_mut().table.delete(Trailers::new_own(rep))?;
    store.data_mut().wasi.http.readers.remove(&trailers.reader);
    Ok(())
}
