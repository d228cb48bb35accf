//! Messages between the host and the guest runtime, and the vCPU loop that
//! carries them: write a `HostMessage` into the input buffer, run the vCPU,
//! and serve what comes out (logs, host function calls) until the guest's
//! result arrives.

use super::{Sandbox, qualified_name};
use crate::Value;
use crate::error::{Error, TrapCode, exception_name};
use crate::hypervisor::Exit;
use crate::mem::layout::ScratchLayout;
use crate::wasm::codec::{decode_values, encode_values};
use crate::wasm::world::WorldFunction;
use featherlight_abi::layout::ExceptionFrame;
use featherlight_abi::{fb, message, ports};
use flatbuffers::FlatBufferBuilder;

/// A host function's failure, kept to report once the guest has trapped on it.
struct HostFailure {
    function: String,
    message: String,
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
        let registered = fbb.create_vector(&self.registered());
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
        self.run_to_result(None).map(drop).map_err(|e| match e {
            Error::Trap { message, .. } | Error::Malformed(message) => Error::Instantiate(message),
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
                function: qualified_name(export),
                expected: export.ty.params.len(),
                given: args.len(),
            });
        }
        let param_types: Vec<_> = export.ty.params.iter().map(|(_, ty)| ty.clone()).collect();
        let mut fbb = FlatBufferBuilder::new();
        let args = encode_values(&mut fbb, args, &param_types)?;
        let context = self.wasi.encode_context(&mut fbb);
        let call = fb::FunctionCall::create(
            &mut fbb,
            &fb::FunctionCallArgs {
                function: u32::try_from(index).unwrap_or(u32::MAX),
                args: Some(args),
                context: Some(context),
            },
        );
        self.send(&mut fbb, fb::HostBody::FunctionCall, call.as_union_value())?;
        let reply = self.run_to_result(None)?;
        let message = message::guest_message(&reply).map_err(|e| Error::Malformed(e.to_string()))?;
        let result = message.body_as_function_call_result().ok_or_else(|| Error::Malformed("not a result".into()))?;
        decode_values(result.results(), &export.ty.results)
    }

    pub(super) fn fault(&mut self, kind: fb::FaultKind) -> Result<(), Error> {
        let mut fbb = FlatBufferBuilder::new();
        let fault = fb::Fault::create(&mut fbb, &fb::FaultArgs { kind });
        self.send(&mut fbb, fb::HostBody::Fault, fault.as_union_value())?;
        self.run_to_result(None).map(drop)
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
        self.scratch.write(ScratchLayout::offset(input.address), data)?;
        Ok(())
    }

    /// Copies the guest's framed message out of the output buffer.
    fn receive(&self) -> Result<Vec<u8>, Error> {
        let output = self.boot.layout.output;
        let offset = ScratchLayout::offset(output.address);
        let mut prefix = [0u8; message::SIZE_PREFIX];
        self.scratch.read(offset, &mut prefix)?;
        let len = u32::from_le_bytes(prefix) as usize;
        let total = len.checked_add(message::SIZE_PREFIX).filter(|t| *t as u64 <= output.size).ok_or_else(|| {
            Error::Malformed(format!("a {len}-byte message claims more than the {}-byte output buffer", output.size))
        })?;
        Ok(self.scratch.copy_out(offset, total)?)
    }

    /// Runs the vCPU until the guest delivers a `FunctionCallResult`, serving
    /// logs and host calls on the way. Returns the result message's bytes
    /// (verified) or the failure it reports.
    pub(super) fn run_to_result(&mut self, _unused: Option<()>) -> Result<Vec<u8>, Error> {
        let mut host_failure: Option<HostFailure> = None;
        loop {
            let port = match self.vm.run()? {
                Exit::IoOut { port, data } => (port, data.first().copied().unwrap_or(0)),
                Exit::Interrupted => match self.interrupts.stop_reason() {
                    Some(reason) => return Err(reason.into()),
                    None => continue,
                },
                Exit::Shutdown => return Err(Error::GuestCrashed("the guest shut down (triple fault)".into())),
                Exit::MmioWrite { address } => {
                    return Err(Error::GuestCrashed(format!(
                        "the guest wrote to unmapped guest-physical address {address:#x}"
                    )));
                }
                Exit::MmioRead { address } => {
                    return Err(Error::GuestCrashed(format!(
                        "the guest read unmapped guest-physical address {address:#x}"
                    )));
                }
                Exit::Failed { reason } => return Err(Error::GuestCrashed(reason)),
            };
            match port {
                (ports::MESSAGE, _) => {}
                (ports::EXCEPTION, code) if u32::from(code) == ports::stop::OUT_OF_MEMORY => {
                    return Err(Error::GuestOutOfMemory { heap_size: self.boot.layout.heap.size });
                }
                (ports::EXCEPTION, vector) => return Err(self.exception(vector)),
                (other, _) => return Err(Error::GuestCrashed(format!("the guest wrote to unknown port {other:#x}"))),
            }
            let bytes = self.receive()?;
            let message = message::guest_message(&bytes).map_err(|e| Error::Malformed(e.to_string()))?;
            if let Some(result) = message.body_as_function_call_result() {
                if let Some(error) = result.error() {
                    return Err(call_error(error, host_failure.take()));
                }
                return Ok(bytes);
            }
            if let Some(record) = message.body_as_log_record() {
                emit_log(record);
            } else if let Some(output) = message.body_as_output() {
                self.wasi.write_output(output);
            } else if let Some(call) = message.body_as_function_call() {
                let reply = self.call_host(call, &mut host_failure)?;
                self.scratch.write(ScratchLayout::offset(self.boot.layout.input.address), &reply)?;
            } else if let Some(abort) = message.body_as_abort() {
                return Err(Error::GuestPanic(abort.message().unwrap_or("").to_string()));
            } else {
                return Err(Error::Malformed("a message without a body".into()));
            }
        }
    }

    /// Runs the host function the guest asked for; returns the framed reply.
    fn call_host(&self, call: fb::FunctionCall<'_>, failure: &mut Option<HostFailure>) -> Result<Vec<u8>, Error> {
        let index = usize::try_from(call.function()).unwrap_or(usize::MAX);
        let world = self.component.world();
        let (import, (name, function)) = world
            .imports()
            .get(index)
            .zip(self.imports.get(index))
            .ok_or_else(|| Error::Malformed(format!("the guest called unknown import #{index}")))?;
        let param_types: Vec<_> = import.ty.params.iter().map(|(_, ty)| ty.clone()).collect();
        let args = decode_values(call.args(), &param_types)?;
        let outcome = match function {
            Some(function) => {
                let _span = tracing::debug_span!("host_function", function = %name).entered();
                function(&args).map_err(|e| e.0).and_then(|results| {
                    for (value, ty) in results.iter().zip(&import.ty.results) {
                        ty.check(value).map_err(|e| format!("returned a wrong value: {e}"))?;
                    }
                    if results.len() == import.ty.results.len() {
                        Ok(results)
                    } else {
                        Err(format!("returned {} values for {} results", results.len(), import.ty.results.len()))
                    }
                })
            }
            // The guest only forwards registered imports; treat anything
            // else as the guest misbehaving.
            None => return Err(Error::Malformed(format!("the guest called unregistered import `{name}`"))),
        };
        let mut fbb = FlatBufferBuilder::new();
        let args = match outcome {
            Ok(results) => {
                let values = encode_values(&mut fbb, &results, &import.ty.results)?;
                fb::FunctionCallResultArgs { results: Some(values), error: None }
            }
            Err(message) => {
                let text = fbb.create_string(&message);
                *failure = Some(HostFailure { function: name.clone(), message });
                let error = fb::CallError::create(
                    &mut fbb,
                    &fb::CallErrorArgs { kind: fb::ErrorKind::HostFunction, message: Some(text), exit_code: 0 },
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

    /// Reads what the exception stub left on the exception stack.
    fn exception(&self, vector: u8) -> Error {
        let details = (|| -> Result<(ExceptionFrame, u64), Error> {
            let regs = self.vm.regs()?;
            let sregs = self.vm.sregs()?;
            let mut raw = [0u8; size_of::<ExceptionFrame>()];
            self.scratch.read(regs.rsp.wrapping_sub(featherlight_abi::layout::SCRATCH_BASE), &mut raw)?;
            let word = |i: usize| u64::from_le_bytes(raw[i * 8..i * 8 + 8].try_into().unwrap_or_default());
            let frame = ExceptionFrame {
                vector: word(0),
                error_code: word(1),
                rip: word(2),
                cs: word(3),
                rflags: word(4),
                rsp: word(5),
                ss: word(6),
            };
            Ok((frame, sregs.cr2))
        })();
        match details {
            Ok((frame, cr2)) => Error::GuestException {
                vector,
                name: exception_name(vector),
                rip: frame.rip,
                error_code: frame.error_code,
                cr2,
            },
            Err(e) => Error::GuestCrashed(format!(
                "CPU exception {vector} ({}); its frame is unreadable: {e}",
                exception_name(vector)
            )),
        }
    }
}

fn call_error(error: fb::CallError<'_>, host_failure: Option<HostFailure>) -> Error {
    let message = error.message().unwrap_or("").to_string();
    let trap = |code| Error::Trap { code, message: message.clone() };
    use fb::ErrorKind as K;
    match error.kind() {
        K::StackOverflow => trap(TrapCode::StackOverflow),
        K::MemoryOutOfBounds => trap(TrapCode::MemoryOutOfBounds),
        K::HeapMisaligned => trap(TrapCode::HeapMisaligned),
        K::TableOutOfBounds => trap(TrapCode::TableOutOfBounds),
        K::IndirectCallToNull => trap(TrapCode::IndirectCallToNull),
        K::BadSignature => trap(TrapCode::BadSignature),
        K::IntegerOverflow => trap(TrapCode::IntegerOverflow),
        K::IntegerDivisionByZero => trap(TrapCode::IntegerDivisionByZero),
        K::BadConversionToInteger => trap(TrapCode::BadConversionToInteger),
        K::UnreachableCodeReached => trap(TrapCode::UnreachableCodeReached),
        K::Interrupt => trap(TrapCode::Interrupt),
        K::OutOfFuel => trap(TrapCode::OutOfFuel),
        K::CannotEnterComponent => trap(TrapCode::CannotEnterComponent),
        K::UnknownImport => Error::UnknownImport { message },
        K::HostFunction => match host_failure {
            Some(f) => Error::HostFunction { function: f.function, message: f.message },
            None => {
                Error::Malformed(format!("the guest reported a host function failure that did not happen: {message}"))
            }
        },
        K::Malformed => Error::Malformed(message),
        K::Instantiate => Error::Instantiate(message),
        K::Exit => Error::Exit { code: error.exit_code() },
        K::NotGranted => Error::NotGranted { message },
        _ => trap(TrapCode::Other),
    }
}

fn emit_log(record: fb::LogRecord<'_>) {
    let target = record.target().unwrap_or("");
    let message = record.message().unwrap_or("");
    match record.level() {
        fb::LogLevel::Error => tracing::error!(target: "featherlight::guest", guest_target = target, "{message}"),
        fb::LogLevel::Warn => tracing::warn!(target: "featherlight::guest", guest_target = target, "{message}"),
        fb::LogLevel::Info => tracing::info!(target: "featherlight::guest", guest_target = target, "{message}"),
        fb::LogLevel::Debug => tracing::debug!(target: "featherlight::guest", guest_target = target, "{message}"),
        _ => tracing::trace!(target: "featherlight::guest", guest_target = target, "{message}"),
    }
}
