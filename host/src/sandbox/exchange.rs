//! Messages between the host and the guest runtime, and the vCPU loop that
//! carries them: write a `HostMessage` into the input buffer, run the vCPU,
//! and serve what comes out (logs, host function calls) until the guest's
//! result arrives.

use super::Sandbox;
use crate::error::{Error, GuestViolation, HandleProblem, Malformed, PoisonedBy, Side, exception_name};
use crate::hypervisor::Exit;
use crate::mem::layout::ScratchLayout;
use crate::wasm::world::WorldFunction;
use crate::{HostError, Value};
use featherlight_abi::layout::ExceptionFrame;
use featherlight_abi::{fb, message, ports};
use featherlight_wire::codec::{decode_values, encode_values};
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
        self.send(&mut fbb, fb::HostBody::Init, init.as_union_value())?;
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
        let mut args = args.to_vec();
        let issued = self.handles.issue_to_guest(&mut args, &param_types)?;
        let outcome = self.send_call(index, &args, &param_types).and_then(|()| self.run_to_result());
        let outcome = outcome.map_err(|e| name_refused_handle(e, &mut args, &param_types));
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
        let mut fbb = FlatBufferBuilder::new();
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
        self.send(&mut fbb, fb::HostBody::FunctionCall, call.as_union_value())
    }

    pub(super) fn fault(&mut self, kind: fb::FaultKind) -> Result<(), Error> {
        let mut fbb = FlatBufferBuilder::new();
        let fault = fb::Fault::create(&mut fbb, &fb::FaultArgs { kind });
        self.send(&mut fbb, fb::HostBody::Fault, fault.as_union_value())?;
        self.run_to_result().map(drop)
    }

    /// Finishes `body` as a size-prefixed `HostMessage` in the input buffer.
    fn send(
        &mut self,
        fbb: &mut FlatBufferBuilder<'static>,
        body_type: fb::HostBody,
        body: flatbuffers::WIPOffset<flatbuffers::UnionWIPOffset>,
    ) -> Result<(), Error> {
        let root = fb::HostMessage::create(fbb, &fb::HostMessageArgs { body_type, body: Some(body) });
        fbb.finish_size_prefixed(root, None);
        let data = fbb.finished_data();
        let input = self.boot.layout.input;
        let capacity = usize::try_from(input.size).unwrap_or(usize::MAX);
        if data.len() > capacity {
            return Err(Error::MessageTooLarge { buffer: "input", len: data.len(), capacity });
        }
        self.machine.scratch.write(ScratchLayout::offset(input.address), data)?;
        Ok(())
    }

    /// Copies the guest's framed message out of the output buffer.
    fn receive(&self) -> Result<Vec<u8>, Error> {
        let output = self.boot.layout.output;
        let offset = ScratchLayout::offset(output.address);
        let mut prefix = [0u8; message::SIZE_PREFIX];
        self.machine.scratch.read(offset, &mut prefix)?;
        let total = guest::framed_len(prefix, output.size)?;
        Ok(self.machine.scratch.copy_out(offset, total)?)
    }

    /// Runs the vCPU until the guest delivers a `FunctionCallResult`, serving
    /// logs and host calls on the way. Returns the result message's bytes
    /// (verified) or the failure it reports.
    pub(super) fn run_to_result(&mut self) -> Result<Vec<u8>, Error> {
        let mut host_failure: Option<HostFailure> = None;
        let mut log_records = 0usize;
        loop {
            let port = match self.machine.vm.run()? {
                Exit::IoOut { port: ports::LINEAR_MEMORY, data } => {
                    let mut value = [0u8; 4];
                    let len = data.len().min(4);
                    value[..len].copy_from_slice(&data[..len]);
                    let machine = &mut *self.machine;
                    machine.area.request(&mut machine.vm, u32::from_le_bytes(value))?;
                    continue;
                }
                Exit::IoOut { port, data } => (port, data.first().copied().unwrap_or(0)),
                Exit::Interrupted => match self.interrupts.stop_reason() {
                    Some(reason) => return Err(reason.into()),
                    None => continue,
                },
                other => return Err(Error::from_exit(other)),
            };
            match port {
                (ports::MESSAGE, _) => {}
                (ports::EXCEPTION, code) if u32::from(code) == ports::stop::OUT_OF_MEMORY => {
                    return Err(Error::GuestOutOfMemory { heap_size: self.boot.layout.heap.size });
                }
                (ports::EXCEPTION, vector) => return Err(self.exception(vector)),
                (port, _) => return Err(GuestViolation::UnknownPort { port }.into()),
            }
            let bytes = self.receive()?;
            match guest::decode_message(&bytes)? {
                GuestMessage::Finished(_) => {}
                GuestMessage::Failed(failure) => return Err(call_error(failure, host_failure.take())),
                GuestMessage::Log(record) => {
                    self.forward_log(record, &mut log_records);
                    continue;
                }
                GuestMessage::HostCall(call) => {
                    if let Some(failure) = host_failure {
                        return Err(failure.into());
                    }
                    // The guest waits for a reply it will not get: poison even
                    // for errors that otherwise leave a sandbox usable (a reply
                    // too large for the input buffer).
                    let reply = self.call_host(call, &mut host_failure).inspect_err(|e| {
                        self.poison(e, PoisonedBy::HostReply);
                    })?;
                    self.machine.scratch.write(ScratchLayout::offset(self.boot.layout.input.address), &reply)?;
                    continue;
                }
                GuestMessage::Abort(message) => return Err(Error::GuestPanic(bounded(message).into_owned())),
                GuestMessage::Output(output) => {
                    self.wasi.write_output(output);
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
    fn call_host(&mut self, call: HostCall<'_>, failure: &mut Option<HostFailure>) -> Result<Vec<u8>, Error> {
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
        let mut fbb = FlatBufferBuilder::new();
        let args = match outcome {
            Ok(mut results) => {
                // Owned and borrowed alike: the guest keeps results' handles.
                self.handles.issue_to_guest(&mut results, &import.ty.results)?;
                let values = encode_values(&mut fbb, &results, &import.ty.results)?;
                fb::FunctionCallResultArgs { results: Some(values), error: None }
            }
            Err(error) => {
                let text = fbb.create_string(error.message());
                *failure = Some(HostFailure { function: name.clone(), error });
                let error = fb::CallError::create(
                    &mut fbb,
                    &fb::CallErrorArgs { kind: fb::ErrorKind::HostFunction, message: Some(text), ..Default::default() },
                );
                fb::FunctionCallResultArgs { results: None, error: Some(error) }
            }
        };
        let result = fb::FunctionCallResult::create(&mut fbb, &args);
        let root = fb::HostMessage::create(
            &mut fbb,
            &fb::HostMessageArgs { body_type: fb::HostBody::FunctionCallResult, body: Some(result.as_union_value()) },
        );
        fbb.finish_size_prefixed(root, None);
        let reply = fbb.finished_data().to_vec();
        let capacity = usize::try_from(self.boot.layout.input.size).unwrap_or(usize::MAX);
        if reply.len() > capacity {
            return Err(Error::MessageTooLarge { buffer: "input", len: reply.len(), capacity });
        }
        Ok(reply)
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
