//! The guest's main loop: answer the host's messages one at a time.

use crate::failure::Failure;
use crate::runtime::Runtime;
use crate::wasi::http::Part;
use alloc::string::ToString;
use alloc::vec::Vec;
use featherlight_abi::fb;
use flatbuffers::FlatBufferBuilder;
use wasmtime::component::Val;
use wasmtime::component::types::ComponentFunc;

/// Serves the host forever. The first message out ("no results") tells the
/// host the guest booted.
pub fn serve() -> ! {
    let mut runtime: Option<Runtime> = None;
    let mut reply = finish(Ok(None));
    loop {
        if let Err(e) = featherlight_guest::host::send(reply.bytes()) {
            // The result could not travel: report that instead (always small).
            reply = finish(Err(Failure::from(e)));
            continue;
        }
        reply = handle(&mut runtime);
    }
}

fn handle(runtime: &mut Option<Runtime>) -> Reply {
    let received = featherlight_guest::host::receive();
    let message = match received.as_ref().map_err(|e| e.to_string()).and_then(|r| r.open().map_err(|e| e.to_string())) {
        Ok(message) => message,
        Err(e) => return finish(Err(Failure::new(fb::ErrorKind::Malformed, e))),
    };
    if let Some(init) = message.body_as_init() {
        let failures = featherlight_guest::heap::failed_allocations();
        // Counted first: instantiating may overwrite `init` (host answers).
        let (exports, imports) = (init.exports().map_or(0, |e| e.len()), init.imports().map_or(0, |i| i.len()));
        return match Runtime::instantiate(&init) {
            Ok(loaded) => {
                log::debug!("instantiated the component: {exports} exports, {imports} imports");
                *runtime = Some(loaded);
                finish(Ok(None))
            }
            // wasmtime fails gracefully when it cannot allocate a linear
            // memory or table: that is the heap running out too, which the
            // host reports as such (raise scratch_size), not as a bad component.
            Err(_) if featherlight_guest::heap::failed_allocations() != failures => {
                featherlight_guest::exceptions::stop(featherlight_abi::ports::stop::OUT_OF_MEMORY)
            }
            Err(failure) => finish(Err(failure)),
        };
    }
    if let Some(call) = message.body_as_function_call() {
        let Some(runtime) = runtime.as_mut() else {
            return finish(Err(Failure::new(fb::ErrorKind::Malformed, "call before Init")));
        };
        // A resource drop has no results and no function type.
        return finish(runtime.call(&call).map(|(results, ty)| ty.map(|ty| (results, ty))));
    }
    if let Some(request) = message.body_as_http_request() {
        let Some(runtime) = runtime.as_mut() else {
            return finish(Err(Failure::new(fb::ErrorKind::Malformed, "HTTP request before Init")));
        };
        let (outcome, response) = runtime.serve_http(&request);
        return finish_with(outcome.map(|()| None), response.as_ref());
    }
    if let Some(fault) = message.body_as_fault() {
        crate::fault::inject(fault.kind());
    }
    finish(Err(Failure::new(fb::ErrorKind::Malformed, "unexpected message from the host")))
}

/// Encodes a call's outcome as a size-prefixed `GuestMessage`.
/// A finished message: the builder's buffer, the message its tail (taken
/// without copying it).
struct Reply {
    buffer: Vec<u8>,
    head: usize,
}

impl Reply {
    fn bytes(&self) -> &[u8] {
        &self.buffer[self.head..]
    }
}

fn finish(outcome: Result<Option<(Vec<Val>, ComponentFunc)>, Failure>) -> Reply {
    finish_with(outcome, None)
}

/// [`finish`], with what is left of an HTTP response.
fn finish_with(outcome: Result<Option<(Vec<Val>, ComponentFunc)>, Failure>, response: Option<&Part>) -> Reply {
    let hint = match &outcome {
        Ok(Some((results, _))) => crate::values::size_hint(results),
        _ => 0,
    } + response.map_or(0, |r| r.body.len() + 1024);
    let mut fbb = FlatBufferBuilder::with_capacity(hint.max(1024));
    let mut args = match &outcome {
        Ok(Some((results, ty))) => match crate::values::encode_each(&mut fbb, results.iter().zip(ty.results())) {
            Ok(values) => fb::FunctionCallResultArgs { results: Some(values), error: None, http_response: None },
            Err(e) => {
                fbb.reset();
                error_args(&mut fbb, &Failure::new(fb::ErrorKind::Malformed, e))
            }
        },
        Ok(None) => fb::FunctionCallResultArgs { results: None, error: None, http_response: None },
        Err(failure) => error_args(&mut fbb, failure),
    };
    // After the results: encoding them may have reset the builder.
    args.http_response = response.map(|r| crate::wasi::http::response_table(&mut fbb, r));
    let result = fb::FunctionCallResult::create(&mut fbb, &args);
    let root = fb::GuestMessage::create(
        &mut fbb,
        &fb::GuestMessageArgs { body_type: fb::GuestBody::FunctionCallResult, body: Some(result.as_union_value()) },
    );
    fbb.finish_size_prefixed(root, None);
    let (buffer, head) = fbb.collapse();
    Reply { buffer, head }
}

fn error_args<'a>(fbb: &mut FlatBufferBuilder<'a>, failure: &Failure) -> fb::FunctionCallResultArgs<'a> {
    let message = fbb.create_string(&failure.message);
    let error = fb::CallError::create(
        fbb,
        &fb::CallErrorArgs {
            kind: failure.kind,
            message: Some(message),
            exit_code: failure.exit_code,
            handle: failure.handle,
            length: failure.sizes.0,
            limit: failure.sizes.1,
        },
    );
    fb::FunctionCallResultArgs { results: None, error: Some(error), http_response: None }
}
