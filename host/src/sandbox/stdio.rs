//! The host's side of the guest's WASI stdio: stdin served as the guest
//! reads it, output handed to the sinks with the outcome sent back, so the
//! component's next operation on a stream whose sink failed reports it (as
//! wasmtime-wasi reports `EPIPE` as `closed` and other failures as
//! `last-operation-failed`).

use super::Sandbox;
use crate::error::Error;
use crate::wasm::wasi::{MAX_STDIN_CHUNK, StdinReply, WriteFailure, WriteOutcome};
use featherlight_abi::fb;
use featherlight_wire::guest::StdinRequest;
use flatbuffers::{FlatBufferBuilder, WIPOffset};
use std::time::Duration;

/// Room in the input buffer for the answer's own fields around the bytes.
const REPLY_OVERHEAD: usize = 256;

impl Sandbox {
    /// Answers a `StdinRead` with what the embedder's stdin has, waiting as
    /// long as the guest allows; an interrupt or deadline ends the wait and
    /// the call.
    pub(super) fn serve_stdin(&mut self, request: StdinRequest) -> Result<(), Error> {
        let capacity = usize::try_from(self.boot.layout.input.size).unwrap_or(usize::MAX);
        let max_len = usize::try_from(request.max_len)
            .unwrap_or(usize::MAX)
            .min(MAX_STDIN_CHUNK)
            .min(capacity.saturating_sub(REPLY_OVERHEAD));
        let wait = (request.wait_ns != u64::MAX).then(|| Duration::from_nanos(request.wait_ns));
        let interrupts = &self.interrupts;
        let reply = self.wasi.read_stdin(max_len, wait, request.position, || match interrupts.stop_reason() {
            Some(reason) => Err(Error::from(reason)),
            None => Ok(()),
        })?;
        let mut fbb = FlatBufferBuilder::new();
        let (status, bytes, error) = match &reply {
            StdinReply::Pending => (fb::StdinStatus::Pending, None, None),
            StdinReply::Ready(bytes) => (fb::StdinStatus::Ready, Some(fbb.create_vector(bytes)), None),
            StdinReply::Closed => (fb::StdinStatus::Closed, None, None),
            StdinReply::Failed(error) => (fb::StdinStatus::Failed, None, Some(fbb.create_string(error))),
        };
        let data = fb::StdinData::create(&mut fbb, &fb::StdinDataArgs { status, bytes, error });
        self.send(fbb, fb::HostBody::StdinData, data.as_union_value())
    }

    /// Hands the guest's output to the sinks and answers with how it went.
    pub(super) fn forward_output(&mut self, output: fb::Output<'_>) -> Result<(), Error> {
        let WriteOutcome { stdout, stderr } = self.wasi.write_output(output);
        let mut fbb = FlatBufferBuilder::new();
        let stdout = stdout.map(|f| write_failure(&mut fbb, f));
        let stderr = stderr.map(|f| write_failure(&mut fbb, f));
        let written = fb::OutputWritten::create(&mut fbb, &fb::OutputWrittenArgs { stdout, stderr });
        self.send(fbb, fb::HostBody::OutputWritten, written.as_union_value())
    }
}

fn write_failure<'a>(fbb: &mut FlatBufferBuilder<'a>, failure: WriteFailure) -> WIPOffset<fb::WriteFailure<'a>> {
    let (closed, error) = match failure {
        WriteFailure::Closed => (true, None),
        WriteFailure::Failed(text) => (false, Some(fbb.create_string(&text))),
    };
    fb::WriteFailure::create(fbb, &fb::WriteFailureArgs { closed, error })
}
