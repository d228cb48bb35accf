//! Decoding what the guest writes: the framed message in the output buffer,
//! the message itself (call results and failures, host calls, log records,
//! aborts) and the exception frame its stub leaves on the stack.
//!
//! All of it is hostile input: every function here takes bytes the guest
//! chose and returns a value or a [`WireError`], never panics.

use crate::WireError;
use crate::codec::WireValues;
use crate::malformed::Malformed;
use featherlight_abi::layout::ExceptionFrame;
use featherlight_abi::{fb, message};

/// Why a Wasm call trapped, as wasmtime classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapCode {
    /// The Wasm stack limit was reached.
    StackOverflow,
    /// A load or store outside linear memory.
    MemoryOutOfBounds,
    /// A misaligned atomic access.
    HeapMisaligned,
    /// A table access out of bounds.
    TableOutOfBounds,
    /// `call_indirect` on a null entry.
    IndirectCallToNull,
    /// `call_indirect` with the wrong signature.
    BadSignature,
    /// Integer overflow (for example `i32.div_s` of `MIN / -1`).
    IntegerOverflow,
    /// Integer division by zero.
    IntegerDivisionByZero,
    /// A float that does not convert to an integer.
    BadConversionToInteger,
    /// `unreachable` was executed (Rust panics in Wasm end here too).
    UnreachableCodeReached,
    /// The call was interrupted.
    Interrupt,
    /// Fuel ran out.
    OutOfFuel,
    /// The component instance may not be entered (it trapped before).
    CannotEnterComponent,
    /// Anything else wasmtime reports.
    Other,
}

/// One message from the guest, decoded.
#[derive(Debug)]
pub enum GuestMessage<'a> {
    /// The pending call (or instantiation) finished with these results, to
    /// decode against the call's result types with
    /// [`decode_values`](crate::codec::decode_values).
    Finished(Option<WireValues<'a>>),
    /// The pending call failed in the guest.
    Failed(CallFailure),
    /// A log record to pass on.
    Log(LogRecord<'a>),
    /// The guest calls a host function (an import).
    HostCall(HostCall<'a>),
    /// The guest runtime gave up (a Rust panic in the guest kernel).
    Abort(&'a str),
    /// Output the component wrote to its WASI stdout or stderr (verified).
    Output(fb::Output<'a>),
    /// The component reads its WASI stdin.
    StdinRead(StdinRequest),
    /// The component calls `wasi:filesystem`.
    Fs(crate::filesystem::FsRequest<'a>),
    /// The component reads an HTTP body.
    BodyRead(crate::http::BodyRead),
    /// A part of the component's HTTP response, sent during the call (checked
    /// where the exchange's state is known).
    HttpResponse(fb::HttpResponse<'a>),
    /// The component makes an outgoing HTTP request.
    HttpOutgoing(fb::HttpOutgoingRequest<'a>),
}

/// What the guest asks of stdin (every field unchecked: the guest chose it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdinRequest {
    /// At most this many bytes; 0 asks only whether some are ready.
    pub max_len: u64,
    /// How long to wait for the first byte, in nanoseconds (`u64::MAX`:
    /// until one arrives or stdin ends).
    pub wait_ns: u64,
    /// How many bytes of stdin the guest has had so far.
    pub position: u64,
}

/// How the guest says a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    /// The kind of failure.
    pub kind: FailureKind,
    /// The guest's explanation (empty if it gave none).
    pub message: String,
}

/// The kinds of [`CallFailure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The Wasm code trapped.
    Trap(TrapCode),
    /// The component called an import the host does not provide.
    UnknownImport,
    /// A host function the guest called failed (the host knows which).
    HostFunction,
    /// The guest could not read what the host sent.
    Malformed,
    /// Instantiating the component failed.
    Instantiate,
    /// The component exited through `wasi:cli/exit` with this status.
    Exit {
        /// The exit status.
        code: i32,
    },
    /// The component used a capability (filesystem, network) the embedder
    /// did not grant.
    NotGranted,
    /// The host sent a handle to one of the component's resources that the
    /// guest never gave it or that was dropped (`wrong_type`: a live handle
    /// of another resource type). The guest refused the call before
    /// changing anything.
    InvalidHandle {
        /// The handle as the host sent it.
        handle: u32,
        /// Whether it is a live handle of another resource type.
        wrong_type: bool,
    },
    /// A message the call needed (its results, or a host call's arguments
    /// or results) would exceed the sandbox's message size limit.
    MessageTooLarge {
        /// The message's size in bytes.
        len: u64,
        /// `max_message_size`.
        limit: u64,
    },
}

/// A log record from the guest.
#[derive(Debug, Clone, Copy)]
pub struct LogRecord<'a> {
    /// Its level (unknown levels are the guest's business: trace them).
    pub level: fb::LogLevel,
    /// The guest-side target (module path).
    pub target: &'a str,
    /// The text.
    pub message: &'a str,
}

/// A host function call from the guest.
#[derive(Debug)]
pub struct HostCall<'a> {
    /// The import's index in the world's imports (unchecked).
    pub function: u32,
    /// The arguments, to decode against the import's parameter types.
    pub args: Option<WireValues<'a>>,
}

/// Verifies and decodes a framed guest message (prefix included), as copied
/// out of the output buffer.
pub fn decode_message(bytes: &[u8]) -> Result<GuestMessage<'_>, WireError> {
    let message = message::guest_message(bytes).map_err(Malformed::Flatbuffer)?;
    if let Some(result) = message.body_as_function_call_result() {
        if let Some(error) = result.error() {
            return Ok(GuestMessage::Failed(call_failure(error)));
        }
        return Ok(GuestMessage::Finished(result.results()));
    }
    if let Some(record) = message.body_as_log_record() {
        Ok(GuestMessage::Log(LogRecord {
            level: record.level(),
            target: record.target().unwrap_or(""),
            message: record.message().unwrap_or(""),
        }))
    } else if let Some(call) = message.body_as_function_call() {
        Ok(GuestMessage::HostCall(HostCall { function: call.function(), args: call.args() }))
    } else if let Some(abort) = message.body_as_abort() {
        Ok(GuestMessage::Abort(abort.message().unwrap_or("")))
    } else if let Some(output) = message.body_as_output() {
        Ok(GuestMessage::Output(output))
    } else if let Some(read) = message.body_as_stdin_read() {
        Ok(GuestMessage::StdinRead(StdinRequest {
            max_len: read.max_len(),
            wait_ns: read.wait_ns(),
            position: read.position(),
        }))
    } else if let Some(request) = message.body_as_fs_request() {
        Ok(GuestMessage::Fs(crate::filesystem::decode_request(request)?))
    } else if let Some(read) = message.body_as_body_read() {
        Ok(GuestMessage::BodyRead(crate::http::BodyRead {
            stream: read.stream(),
            max_len: read.max_len(),
            wait_ns: read.wait_ns(),
        }))
    } else if let Some(part) = message.body_as_http_response() {
        Ok(GuestMessage::HttpResponse(part))
    } else if let Some(request) = message.body_as_http_outgoing_request() {
        Ok(GuestMessage::HttpOutgoing(request))
    } else {
        Err(Malformed::NoBody.into())
    }
}

fn call_failure(error: fb::CallError<'_>) -> CallFailure {
    use fb::ErrorKind as K;
    let kind = match error.kind() {
        K::StackOverflow => FailureKind::Trap(TrapCode::StackOverflow),
        K::MemoryOutOfBounds => FailureKind::Trap(TrapCode::MemoryOutOfBounds),
        K::HeapMisaligned => FailureKind::Trap(TrapCode::HeapMisaligned),
        K::TableOutOfBounds => FailureKind::Trap(TrapCode::TableOutOfBounds),
        K::IndirectCallToNull => FailureKind::Trap(TrapCode::IndirectCallToNull),
        K::BadSignature => FailureKind::Trap(TrapCode::BadSignature),
        K::IntegerOverflow => FailureKind::Trap(TrapCode::IntegerOverflow),
        K::IntegerDivisionByZero => FailureKind::Trap(TrapCode::IntegerDivisionByZero),
        K::BadConversionToInteger => FailureKind::Trap(TrapCode::BadConversionToInteger),
        K::UnreachableCodeReached => FailureKind::Trap(TrapCode::UnreachableCodeReached),
        K::Interrupt => FailureKind::Trap(TrapCode::Interrupt),
        K::OutOfFuel => FailureKind::Trap(TrapCode::OutOfFuel),
        K::CannotEnterComponent => FailureKind::Trap(TrapCode::CannotEnterComponent),
        K::UnknownImport => FailureKind::UnknownImport,
        K::HostFunction => FailureKind::HostFunction,
        K::Malformed => FailureKind::Malformed,
        K::Instantiate => FailureKind::Instantiate,
        K::Exit => FailureKind::Exit { code: error.exit_code() },
        K::NotGranted => FailureKind::NotGranted,
        K::InvalidHandle => FailureKind::InvalidHandle { handle: error.handle(), wrong_type: false },
        K::WrongHandleType => FailureKind::InvalidHandle { handle: error.handle(), wrong_type: true },
        K::MessageTooLarge => FailureKind::MessageTooLarge { len: error.length(), limit: error.limit() },
        _ => FailureKind::Trap(TrapCode::Other),
    };
    CallFailure { kind, message: error.message().unwrap_or("").to_string() }
}

/// Size of the exception frame the guest's exception stub pushes.
pub const EXCEPTION_FRAME_SIZE: usize = size_of::<ExceptionFrame>();

/// Reads the exception frame from its bytes (little-endian words in field
/// order); any bytes are a frame.
pub fn exception_frame(raw: &[u8; EXCEPTION_FRAME_SIZE]) -> ExceptionFrame {
    let word = |i: usize| {
        raw.get(i * 8..i * 8 + 8).and_then(|w| w.try_into().ok()).map(u64::from_le_bytes).unwrap_or_default()
    };
    ExceptionFrame {
        vector: word(0),
        error_code: word(1),
        rip: word(2),
        cs: word(3),
        rflags: word(4),
        rsp: word(5),
        ss: word(6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::guest_message;

    fn failure(kind: fb::ErrorKind, message: Option<&str>) -> Vec<u8> {
        guest_message(|fbb| {
            let message = message.map(|m| fbb.create_string(m));
            let exit_code = if kind == fb::ErrorKind::Exit { 7 } else { 0 };
            let handle = if matches!(kind, fb::ErrorKind::InvalidHandle | fb::ErrorKind::WrongHandleType) {
                0x10_0002
            } else {
                0
            };
            let error = Some(fb::CallError::create(
                fbb,
                &fb::CallErrorArgs { kind, message, exit_code, handle, ..Default::default() },
            ));
            let args = fb::FunctionCallResultArgs { results: None, error, http_response: None };
            (fb::GuestBody::FunctionCallResult, fb::FunctionCallResult::create(fbb, &args).as_union_value())
        })
    }

    #[test]
    fn garbage_and_bodiless_messages_are_malformed() {
        for bytes in [&[][..], &[4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], &[0xff; 64]] {
            assert!(matches!(decode_message(bytes), Err(WireError::Malformed(Malformed::Flatbuffer(_)))), "{bytes:?}");
        }
        let mut fbb = flatbuffers::FlatBufferBuilder::new();
        let root =
            fb::GuestMessage::create(&mut fbb, &fb::GuestMessageArgs { body_type: fb::GuestBody::NONE, body: None });
        fbb.finish_size_prefixed(root, None);
        let empty = decode_message(fbb.finished_data());
        assert!(matches!(empty, Err(WireError::Malformed(Malformed::NoBody))));
        // A body whose type this host does not know is no body at all.
        let unknown = guest_message(|fbb| {
            let abort = fb::Abort::create(fbb, &fb::AbortArgs { message: None });
            (fb::GuestBody(200), abort.as_union_value())
        });
        assert!(matches!(decode_message(&unknown), Err(WireError::Malformed(Malformed::NoBody))));
    }

    #[test]
    fn call_errors_map_to_their_kinds() {
        let cases = [
            (fb::ErrorKind::StackOverflow, FailureKind::Trap(TrapCode::StackOverflow)),
            (fb::ErrorKind::CannotEnterComponent, FailureKind::Trap(TrapCode::CannotEnterComponent)),
            (fb::ErrorKind::Other, FailureKind::Trap(TrapCode::Other)),
            // A kind this host does not know yet is a trap, not an error of ours.
            (fb::ErrorKind(250), FailureKind::Trap(TrapCode::Other)),
            (fb::ErrorKind::UnknownImport, FailureKind::UnknownImport),
            (fb::ErrorKind::HostFunction, FailureKind::HostFunction),
            (fb::ErrorKind::Malformed, FailureKind::Malformed),
            (fb::ErrorKind::Instantiate, FailureKind::Instantiate),
            (fb::ErrorKind::Exit, FailureKind::Exit { code: 7 }),
            (fb::ErrorKind::NotGranted, FailureKind::NotGranted),
            (fb::ErrorKind::InvalidHandle, FailureKind::InvalidHandle { handle: 0x10_0002, wrong_type: false }),
            (fb::ErrorKind::WrongHandleType, FailureKind::InvalidHandle { handle: 0x10_0002, wrong_type: true }),
        ];
        for (wire, kind) in cases {
            let bytes = failure(wire, Some("why"));
            let Ok(GuestMessage::Failed(failure)) = decode_message(&bytes) else { panic!("{wire:?}") };
            assert_eq!(failure, CallFailure { kind, message: "why".into() });
        }
        let bytes = failure(fb::ErrorKind::Interrupt, None);
        let Ok(GuestMessage::Failed(failure)) = decode_message(&bytes) else { panic!() };
        assert_eq!(failure.message, "");
    }

    #[test]
    fn exception_frames_are_little_endian_words_in_order() {
        let raw: Vec<u8> = (0u64..7).flat_map(|w| (w << 8 | 0xab).to_le_bytes()).collect();
        let frame = exception_frame(raw.as_slice().try_into().unwrap());
        assert_eq!((frame.vector, frame.error_code, frame.rip), (0xab, 0x1ab, 0x2ab));
        assert_eq!((frame.cs, frame.rflags, frame.rsp, frame.ss), (0x3ab, 0x4ab, 0x5ab, 0x6ab));
    }
}
