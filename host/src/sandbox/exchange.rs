//! Messages between the host and the guest runtime, and the vCPU loop that
//! carries them: write a `HostMessage` into the input buffer, run the vCPU,
//! and serve what comes out (logs, host function calls) until the guest's
//! result arrives. A message larger than its buffer travels in chunks, one
//! buffer-full per exit, up to the sandbox's `max_message_size` (the
//! protocol is in `featherlight_abi::message`).

use super::Sandbox;
use crate::error::{Error, GuestViolation, HandleProblem, Malformed, PoisonedBy, Side, exception_name};
use crate::hypervisor::Exit;
use crate::mem::layout::ScratchLayout;
use crate::wasm::world::WorldFunction;
use crate::{HostError, Value, host_usize};
use featherlight_abi::layout::ExceptionFrame;
use featherlight_abi::message::exit_value;
use featherlight_abi::{fb, message, ports};
use featherlight_wire::chunks::{self, Framing};
use featherlight_wire::codec::{decode_values, encode_values, size_hint};
use featherlight_wire::guest::{self, CallFailure, FailureKind, GuestMessage, HostCall, LogRecord};
use featherlight_wire::types::for_each_handle;
use flatbuffers::FlatBufferBuilder;
use std::borrow::Cow;

/// A host function's failure, kept to report once the guest has trapped on it.
struct HostFailure {
    function: String,
    error: HostError,
}

impl From<HostFailure> for Error {
    fn from(failure: HostFailure) -> Self {
        Error::HostFunction { function: failure.function, message: failure.error.to_string(), error: failure.error }
    }
}

impl Sandbox {
    /// Sends `Init`: load the artifact, link imports, instantiate.
    pub(super) fn instantiate(&mut self) -> Result<(), Error> {
        let world = self.component.world().clone();
        let mut fbb = FlatBufferBuilder::new();
        let names = |fbb: &mut FlatBufferBuilder<'static>, functions: &[WorldFunction]| {
            let names: Vec<_> = functions
                .iter()
                .map(|f| {
                    let interface = f.interface.as_deref().map(|i| fbb.create_string(i));
                    let name = fbb.create_string(&f.name);
                    fb::FunctionName::create(fbb, &fb::FunctionNameArgs { interface, name: Some(name) })
                })
                .collect();
            fbb.create_vector(&names)
        };
        let exports = names(&mut fbb, world.exports());
        let imports = names(&mut fbb, world.imports());
        let registered = fbb.create_vector(&self.registered().collect::<Vec<_>>());
        let wasi = self.wasi.encode_init(&mut fbb);
        let context = self.wasi.encode_context(&mut fbb);
        let init = fb::Init::create(
            &mut fbb,
            &fb::InitArgs {
                artifact_address: self.boot.artifact.address,
                artifact_length: self.boot.artifact.size,
                exports: Some(exports),
                imports: Some(imports),
                imports_registered: Some(registered),
                wasi: Some(wasi),
                context: Some(context),
            },
        );
        self.send(fbb, fb::HostBody::Init, init.as_union_value())?;
        // What the guest runtime reports (a trap in a start function, or
        // its own failure to load or link); what the host finds wrong with
        // the guest's messages stays `Malformed`.
        self.run_to_result().map(drop).map_err(|e| match e {
            Error::Trap { message, .. } | Error::Malformed(Malformed::ReportedByGuest { message }) => {
                Error::Instantiate(message)
            }
            other => other,
        })
    }

    pub(super) fn call_export(
        &mut self,
        index: usize,
        export: &WorldFunction,
        args: &[Value],
    ) -> Result<Vec<Value>, Error> {
        if args.len() != export.ty.params.len() {
            return Err(Error::ArgumentCount {
                function: export.qualified_name(),
                expected: export.ty.params.len(),
                given: args.len(),
            });
        }
        let param_types: Vec<_> = export.ty.params.iter().map(|(_, ty)| ty.clone()).collect();
        export.ty.check_params(args)?;
        // Handles are renumbered for the guest in a copy; other arguments
        // (a 16 MiB list, say) are not copied.
        let mut args = Cow::Borrowed(args);
        let issued = if param_types.iter().any(crate::wasm::types::ValueType::has_handles) {
            self.handles.issue_to_guest(args.to_mut(), &param_types)?
        } else {
            Vec::new()
        };
        if let Err(e) = self.send_call(index, &args, &param_types) {
            // Nothing reached the guest: no handle either.
            for (resource, handle, _) in issued {
                let _ = self.handles.remove(&resource, handle);
            }
            return Err(e);
        }
        let outcome = self.run_to_result();
        let outcome = outcome.map_err(|e| match e {
            Error::Malformed(Malformed::UnsentHandle { .. }) => name_refused_handle(e, args.to_mut(), &param_types),
            other => other,
        });
        // Borrows end with the call, whatever its outcome; owned handles
        // too when the guest refused the call before taking any.
        let refused = matches!(outcome, Err(Error::InvalidHandle { from: Side::Host, .. }));
        for (resource, handle, owned) in issued {
            if !owned || refused {
                let _ = self.handles.remove(&resource, handle);
            }
        }
        match guest::decode_message(&outcome?)? {
            GuestMessage::Finished(results) => {
                let mut results = decode_values(results, &export.ty.results)?;
                self.handles.accept_from_guest(&mut results, &export.ty.results)?;
                Ok(results)
            }
            _ => Err(Malformed::NotAResult.into()),
        }
    }

    fn send_call(
        &mut self,
        index: usize,
        args: &[Value],
        types: &[crate::wasm::types::ValueType],
    ) -> Result<(), Error> {
        let mut fbb = FlatBufferBuilder::with_capacity(size_hint(args));
        let args = encode_values(&mut fbb, args, types)?;
        let context = self.wasi.encode_context(&mut fbb);
        let call = fb::FunctionCall::create(
            &mut fbb,
            &fb::FunctionCallArgs {
                function: u32::try_from(index).unwrap_or(u32::MAX),
                args: Some(args),
                context: Some(context),
            },
        );
        self.send(fbb, fb::HostBody::FunctionCall, call.as_union_value())
    }

    pub(super) fn fault(&mut self, kind: fb::FaultKind) -> Result<(), Error> {
        let mut fbb = FlatBufferBuilder::new();
        let fault = fb::Fault::create(&mut fbb, &fb::FaultArgs { kind });
        self.send(fbb, fb::HostBody::Fault, fault.as_union_value())?;
        self.run_to_result().map(drop)
    }

    /// Finishes `body` as a size-prefixed `HostMessage` and posts it.
    pub(super) fn send(
        &mut self,
        mut fbb: FlatBufferBuilder<'static>,
        body_type: fb::HostBody,
        body: flatbuffers::WIPOffset<flatbuffers::UnionWIPOffset>,
    ) -> Result<(), Error> {
        let root = fb::HostMessage::create(&mut fbb, &fb::HostMessageArgs { body_type, body: Some(body) });
        fbb.finish_size_prefixed(root, None);
        self.post(Outbound::from(fbb))
    }

    /// The sandbox's message size limit, as a length.
    fn max_message_size(&self) -> usize {
        host_usize(self.component.engine().config().memory.max_message_size)
    }

    /// Writes a message, or its first chunk, into the input buffer; the rest
    /// goes out as the guest asks for it ([`Self::post_next_chunk`]).
    /// Refused whole, with nothing written, when it exceeds the limit.
    fn post(&mut self, message: Outbound) -> Result<(), Error> {
        let limit = self.max_message_size();
        if message.len() > limit {
            return Err(Error::MessageTooLarge { len: message.len() as u64, limit: limit as u64 });
        }
        self.outbound = Some(message);
        self.post_next_chunk()
    }

    /// Writes the next chunk of the message being sent into the input buffer.
    fn post_next_chunk(&mut self) -> Result<(), Error> {
        let input = self.boot.layout.input;
        let Some(outbound) = self.outbound.as_mut() else {
            return Err(
                Malformed::OutOfSequence { value: exit_value::MORE_INPUT, expected: "no input was pending" }.into()
            );
        };
        let chunk = outbound.next_chunk(host_usize(input.size));
        if chunk.is_empty() {
            return Err(
                Malformed::OutOfSequence { value: exit_value::MORE_INPUT, expected: "the input was complete" }.into()
            );
        }
        self.machine.scratch.write(ScratchLayout::offset(input.address), chunk)?;
        Ok(())
    }

    /// Copies the guest's framed message out of the output buffer, gathering
    /// the rest of a chunked one from the guest's next exits.
    fn receive(&mut self) -> Result<Vec<u8>, Error> {
        let output = self.boot.layout.output;
        let offset = ScratchLayout::offset(output.address);
        let mut prefix = [0u8; message::SIZE_PREFIX];
        self.machine.scratch.read(offset, &mut prefix)?;
        let mut inbound = match chunks::frame(prefix, host_usize(output.size), self.max_message_size())? {
            Framing::Whole(total) => return Ok(self.machine.scratch.copy_out(offset, total)?),
            Framing::Chunked(inbound) => inbound,
        };
        loop {
            inbound.take(|chunk| self.machine.scratch.read(offset, chunk))?;
            if inbound.is_complete() {
                return Ok(inbound.into_bytes().unwrap_or_default());
            }
            match self.next_message_exit()? {
                exit_value::CONTINUED => {}
                value => {
                    return Err(
                        Malformed::OutOfSequence { value, expected: "the next chunk of a message was due" }.into()
                    );
                }
            }
        }
    }

    /// Runs the vCPU until the guest exits through the message port; returns
    /// the value it passed. Any other stop is the call's end: a deadline or
    /// stop request, a CPU exception, the heap running out, or misbehaviour.
    fn next_message_exit(&mut self) -> Result<u32, Error> {
        loop {
            self.exits += 1;
            let (port, data) = match self.machine.vm.run()? {
                Exit::IoOut { port: ports::LINEAR_MEMORY, data } => {
                    let mut value = [0u8; 4];
                    let len = data.len().min(4);
                    value[..len].copy_from_slice(&data[..len]);
                    let machine = &mut *self.machine;
                    machine.area.request(&mut machine.vm, u32::from_le_bytes(value))?;
                    continue;
                }
                Exit::IoOut { port, data } => (port, data),
                Exit::Interrupted => match self.interrupts.stop_reason() {
                    Some(reason) => return Err(reason.into()),
                    None => continue,
                },
                other => return Err(Error::from_exit(other)),
            };
            let value = {
                let mut word = [0u8; 4];
                let len = data.len().min(4);
                word[..len].copy_from_slice(&data[..len]);
                u32::from_le_bytes(word)
            };
            let code = data.first().copied().unwrap_or(0);
            return match port {
                ports::MESSAGE => Ok(value),
                ports::EXCEPTION if u32::from(code) == ports::stop::OUT_OF_MEMORY => {
                    Err(Error::GuestOutOfMemory { heap_size: self.boot.layout.heap.size })
                }
                ports::EXCEPTION => Err(self.exception(code)),
                port => Err(GuestViolation::UnknownPort { port }.into()),
            };
        }
    }

    /// Runs the vCPU until the guest delivers a `FunctionCallResult`, serving
    /// logs, host calls and chunks on the way. Returns the result message's
    /// bytes (verified) or the failure it reports.
    pub(super) fn run_to_result(&mut self) -> Result<Vec<u8>, Error> {
        let outcome = self.serve_until_result();
        // What is left of a message the guest did not take is not for the
        // next call.
        self.outbound = None;
        outcome
    }

    fn serve_until_result(&mut self) -> Result<Vec<u8>, Error> {
        let mut host_failure: Option<HostFailure> = None;
        let mut log_records = 0usize;
        loop {
            match self.next_message_exit()? {
                exit_value::MESSAGE => {}
                exit_value::MORE_INPUT => {
                    self.post_next_chunk()?;
                    continue;
                }
                value => {
                    return Err(Malformed::OutOfSequence { value, expected: "no message was under way" }.into());
                }
            }
            // A new message: whatever the guest did not take of ours, it
            // gave up on.
            self.outbound = None;
            let bytes = self.receive()?;
            match guest::decode_message(&bytes)? {
                GuestMessage::Finished(_) => self.take_final_response_part(&bytes)?,
                GuestMessage::Failed(failure) => {
                    // What the component had produced of its response still
                    // goes out (a trap after the head aborts the body).
                    self.take_final_response_part(&bytes)?;
                    let error = call_error(failure, host_failure.take());
                    if let Error::MessageTooLarge { .. } = error {
                        // The guest gave up on a message mid-call (its results,
                        // or a host call's, which traps the component): as
                        // after a trap, only a restore makes it usable again.
                        self.poison(&error, PoisonedBy::Call);
                    }
                    return Err(error);
                }
                GuestMessage::Log(record) => {
                    self.forward_log(record, &mut log_records);
                    continue;
                }
                GuestMessage::HostCall(call) => {
                    if let Some(failure) = host_failure {
                        return Err(failure.into());
                    }
                    // The guest waits for a reply it will not get: poison even
                    // for errors that otherwise leave a sandbox usable.
                    let reply = self.call_host(call, &mut host_failure).and_then(|reply| self.post(reply));
                    reply.inspect_err(|e| self.poison(e, PoisonedBy::HostReply))?;
                    continue;
                }
                GuestMessage::Abort(message) => return Err(Error::GuestPanic(bounded(message).into_owned())),
                GuestMessage::Output(output) => {
                    self.forward_output(output)?;
                    continue;
                }
                GuestMessage::StdinRead(request) => {
                    self.serve_stdin(request)?;
                    continue;
                }
                GuestMessage::Fs(request) => {
                    self.serve_filesystem(&request)?;
                    continue;
                }
                GuestMessage::BodyRead(read) => {
                    self.serve_body_read(read)?;
                    continue;
                }
                GuestMessage::HttpResponse(part) => {
                    self.serve_response_part(part)?;
                    continue;
                }
                GuestMessage::HttpOutgoing(request) => {
                    self.serve_outgoing(request)?;
                    continue;
                }
            }
            // A failed host function traps the call, whatever the guest says
            // (the real runtime cannot catch it; a hostile one could).
            if let Some(failure) = host_failure {
                return Err(failure.into());
            }
            return Ok(bytes);
        }
    }

    /// Runs the host function the guest asked for; returns the framed reply.
    fn call_host(&mut self, call: HostCall<'_>, failure: &mut Option<HostFailure>) -> Result<Outbound, Error> {
        let index = usize::try_from(call.function).unwrap_or(usize::MAX);
        let world = self.component.world();
        let (import, (name, function)) = world
            .imports()
            .get(index)
            .zip(self.imports.get(index))
            .ok_or(Malformed::NoSuchImport { index: call.function })?;
        let param_types: Vec<_> = import.ty.params.iter().map(|(_, ty)| ty.clone()).collect();
        let mut args = decode_values(call.args, &param_types)?;
        self.handles.accept_from_guest(&mut args, &param_types)?;
        let outcome = match function {
            Some(function) => {
                let _span = tracing::debug_span!("host_function", function = %name).entered();
                function(&args).and_then(|results| {
                    import
                        .ty
                        .check_results(&results)
                        .map_err(|e| HostError::msg(format!("returned a wrong value: {e}")))?;
                    Ok(results)
                })
            }
            // The guest only forwards registered imports; treat anything
            // else as the guest misbehaving.
            None => {
                return Err(Malformed::UnregisteredImport { index: call.function, import: name.clone() }.into());
            }
        };
        let hint = outcome.as_ref().map_or(0, |results| size_hint(results));
        let mut fbb = FlatBufferBuilder::with_capacity(hint);
        let args = match outcome {
            Ok(mut results) => {
                // Owned and borrowed alike: the guest keeps results' handles.
                self.handles.issue_to_guest(&mut results, &import.ty.results)?;
                let values = encode_values(&mut fbb, &results, &import.ty.results)?;
                fb::FunctionCallResultArgs { results: Some(values), error: None, http_response: None }
            }
            Err(error) => {
                let text = fbb.create_string(error.message());
                *failure = Some(HostFailure { function: name.clone(), error });
                let error = fb::CallError::create(
                    &mut fbb,
                    &fb::CallErrorArgs { kind: fb::ErrorKind::HostFunction, message: Some(text), ..Default::default() },
                );
                fb::FunctionCallResultArgs { results: None, error: Some(error), http_response: None }
            }
        };
        let reply = Outbound::from(finish_reply(fbb, args));
        let limit = self.max_message_size();
        if reply.len() <= limit {
            return Ok(reply);
        }
        // Results too large to send: the guest fails the call with the sizes,
        // as it does when its own message would exceed the limit.
        let mut fbb = FlatBufferBuilder::new();
        let text = fbb.create_string("the host function's results exceed the message size limit");
        let error = fb::CallError::create(
            &mut fbb,
            &fb::CallErrorArgs {
                kind: fb::ErrorKind::MessageTooLarge,
                message: Some(text),
                length: reply.len() as u64,
                limit: limit as u64,
                ..Default::default()
            },
        );
        Ok(Outbound::from(finish_reply(
            fbb,
            fb::FunctionCallResultArgs { results: None, error: Some(error), http_response: None },
        )))
    }

    /// Emits a guest log record, applying the configured level itself (a
    /// guest may ignore it) and at most [`MAX_LOG_RECORDS_PER_CALL`] per call
    /// (`forwarded` counts them), so a flooding guest cannot flood the host's
    /// logs; the call's timeout bounds its time.
    fn forward_log(&self, record: LogRecord<'_>, forwarded: &mut usize) {
        if u32::from(record.level.0) > self.component.engine().config().guest_log_level {
            return;
        }
        *forwarded += 1;
        if *forwarded <= MAX_LOG_RECORDS_PER_CALL {
            emit_log(record);
        } else if *forwarded == MAX_LOG_RECORDS_PER_CALL + 1 {
            tracing::warn!(
                target: "featherlight::guest",
                "the guest sent more than {MAX_LOG_RECORDS_PER_CALL} log records in one call; dropping the rest"
            );
        }
    }

    /// Reads what the exception stub left on the exception stack.
    fn exception(&self, vector: u8) -> Error {
        let details =
            (|| -> Result<(u64, u64), Error> { Ok((self.machine.vm.regs()?.rsp, self.machine.vm.fault_address()?)) })();
        let (rsp, cr2) = match details {
            Ok(details) => details,
            // The host could not read the vCPU: not the guest's doing.
            Err(e) => return e,
        };
        let name = exception_name(vector);
        let mut raw = [0u8; guest::EXCEPTION_FRAME_SIZE];
        if self.machine.scratch.read(rsp.wrapping_sub(featherlight_abi::layout::SCRATCH_BASE), &mut raw).is_err() {
            return GuestViolation::ExceptionFrameOutOfBounds { vector, name, rsp }.into();
        }
        let frame: ExceptionFrame = guest::exception_frame(&raw);
        Error::GuestException { vector, name, rip: frame.rip, error_code: frame.error_code, cr2 }
    }
}

/// A host call's reply: `args` as a size-prefixed `HostMessage`.
fn finish_reply<'a>(mut fbb: FlatBufferBuilder<'a>, args: fb::FunctionCallResultArgs<'a>) -> FlatBufferBuilder<'a> {
    let result = fb::FunctionCallResult::create(&mut fbb, &args);
    let root = fb::HostMessage::create(
        &mut fbb,
        &fb::HostMessageArgs { body_type: fb::HostBody::FunctionCallResult, body: Some(result.as_union_value()) },
    );
    fbb.finish_size_prefixed(root, None);
    fbb
}

/// A finished message on its way to the guest, and how much of it went.
pub(super) struct Outbound {
    /// The builder's buffer; the message is its tail.
    buffer: Vec<u8>,
    /// Where the next byte to send is.
    next: usize,
    /// Where the message starts.
    head: usize,
}

impl Outbound {
    fn len(&self) -> usize {
        self.buffer.len() - self.head
    }

    /// The next chunk for a `capacity`-byte buffer (empty once all went).
    fn next_chunk(&mut self, capacity: usize) -> &[u8] {
        let start = self.next;
        let len = message::next_chunk_len(self.buffer.len(), start, capacity);
        self.next += len;
        &self.buffer[start..start + len]
    }
}

impl From<FlatBufferBuilder<'_>> for Outbound {
    /// Takes a builder's finished message without copying it.
    fn from(fbb: FlatBufferBuilder<'_>) -> Self {
        let (buffer, head) = fbb.collapse();
        Self { buffer, next: head, head }
    }
}

fn call_error(failure: CallFailure, host_failure: Option<HostFailure>) -> Error {
    let CallFailure { kind, message } = failure;
    let message = bounded(&message).into_owned();
    match kind {
        FailureKind::Trap(code) => Error::Trap { code, message },
        FailureKind::UnknownImport => Error::UnknownImport { message },
        FailureKind::HostFunction => match host_failure {
            Some(failure) => failure.into(),
            None => Malformed::InventedHostFailure { message }.into(),
        },
        FailureKind::Malformed => Malformed::ReportedByGuest { message }.into(),
        FailureKind::Instantiate => Error::Instantiate(message),
        FailureKind::Exit { code } => Error::Exit { code },
        FailureKind::NotGranted => Error::NotGranted { message },
        // Unless the host sent this handle in a call's arguments, which the
        // call names it from (`name_refused_handle`), the guest made it up.
        FailureKind::InvalidHandle { handle, wrong_type } => Malformed::UnsentHandle { handle, wrong_type }.into(),
        FailureKind::MessageTooLarge { len, limit } => Error::MessageTooLarge { len, limit },
    }
}

/// The guest refused a call over `handle`: if the call's arguments hold it as
/// a handle to one of the component's resources, the application used a
/// handle it was not given or had dropped, and the guest refused before
/// changing anything ([`Error::InvalidHandle`] from the host, which does
/// not poison). Any other error passes unchanged.
fn name_refused_handle(error: Error, args: &mut [Value], types: &[crate::wasm::types::ValueType]) -> Error {
    let Error::Malformed(Malformed::UnsentHandle { handle, wrong_type }) = error else { return error };
    let sent = args.iter_mut().zip(types).find_map(|(value, ty)| {
        for_each_handle(value, ty, &mut |h, _, resource| {
            if *h == handle && !resource.host { Err(resource.name.to_string()) } else { Ok(()) }
        })
        .err()
    });
    match sent {
        Some(resource) => {
            let reason =
                if wrong_type { HandleProblem::OtherResource { actual: None } } else { HandleProblem::Dropped };
            Error::InvalidHandle { resource, handle, reason, from: Side::Host }
        }
        None => error,
    }
}

/// Most guest log records one call forwards.
const MAX_LOG_RECORDS_PER_CALL: usize = 10_000;

/// Longest text from the guest (a panic, error or log message) the host
/// keeps: the output buffer bounds it anyway, but errors are cloned, logged
/// and kept as the poison reason, so a hostile megabyte stops here.
const MAX_GUEST_TEXT: usize = 64 * 1024;

/// `text` cut to [`MAX_GUEST_TEXT`] bytes (at a character boundary), saying
/// how much was cut.
fn bounded(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_GUEST_TEXT {
        return Cow::Borrowed(text);
    }
    let cut = text.floor_char_boundary(MAX_GUEST_TEXT);
    Cow::Owned(format!("{}... ({} more bytes cut)", &text[..cut], text.len() - cut))
}

fn emit_log(record: LogRecord<'_>) {
    let LogRecord { level, target, message } = record;
    let (target, message) = (&*bounded(target), bounded(message));
    match level {
        fb::LogLevel::Error => tracing::error!(target: "featherlight::guest", guest_target = target, "{message}"),
        fb::LogLevel::Warn => tracing::warn!(target: "featherlight::guest", guest_target = target, "{message}"),
        fb::LogLevel::Info => tracing::info!(target: "featherlight::guest", guest_target = target, "{message}"),
        fb::LogLevel::Debug => tracing::debug!(target: "featherlight::guest", guest_target = target, "{message}"),
        _ => tracing::trace!(target: "featherlight::guest", guest_target = target, "{message}"),
    }
}
