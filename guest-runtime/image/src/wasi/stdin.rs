//! stdin, asked of the host as the component reads it: each read or
//! readiness check is one `StdinRead` exit, answered with what the
//! embedder's stdin has (see the host's `wasm/wasi/stdin.rs`).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use featherlight_abi::fb;

/// `wait_ns` for "until data, the end or a failure".
pub const FOREVER: u64 = u64::MAX;

/// What one request brought.
pub enum Answer {
    /// Bytes (none when none were asked for: data is ready).
    Bytes(Vec<u8>),
    /// Nothing yet.
    Pending,
    /// The end of stdin.
    Closed,
    /// Reading failed, for this reason; the stream is closed after it.
    Failed(String),
}

/// Where the component stands in its stdin. Kept in guest memory, so a
/// snapshot restores it with the rest of the instance.
#[derive(Debug, Default)]
pub struct Stdin {
    /// Bytes received so far (in-memory stdin is served from here).
    position: u64,
    closed: bool,
    /// A failure a readiness check learned of, for the next read.
    failure: Option<String>,
}

impl Stdin {
    /// Asks for at most `max_len` bytes (0: whether some are ready),
    /// letting the host wait up to `wait_ns` for them.
    pub fn read(&mut self, max_len: u64, wait_ns: u64) -> Answer {
        if let Some(failure) = self.failure.take() {
            return Answer::Failed(failure);
        }
        if self.closed {
            return Answer::Closed;
        }
        let answer = match ask_host(max_len, wait_ns, self.position) {
            Ok(answer) => answer,
            Err(reason) => {
                // The host's answer could not be read: a broken stream, not
                // a broken instance.
                log::error!("stdin: {reason}");
                Answer::Failed(reason)
            }
        };
        match answer {
            Answer::Bytes(bytes) => {
                self.position = self.position.saturating_add(bytes.len() as u64);
                Answer::Bytes(bytes)
            }
            Answer::Pending => Answer::Pending,
            Answer::Closed => {
                self.closed = true;
                Answer::Closed
            }
            Answer::Failed(reason) => {
                self.closed = true;
                if max_len == 0 {
                    // Ready, to fail: the next read reports it.
                    self.failure = Some(reason);
                    Answer::Bytes(Vec::new())
                } else {
                    Answer::Failed(reason)
                }
            }
        }
    }

    /// Whether a read would not wait, asking the host to wait up to
    /// `wait_ns` for data.
    pub fn ready(&mut self, wait_ns: u64) -> bool {
        !matches!(self.read(0, wait_ns), Answer::Pending)
    }

    /// Whether a read now would return at once without asking the host.
    pub fn known_ready(&self) -> bool {
        self.closed || self.failure.is_some()
    }
}

/// One `StdinRead` exit and its `StdinData` answer.
fn ask_host(max_len: u64, wait_ns: u64, position: u64) -> Result<Answer, String> {
    let mut fbb = flatbuffers::FlatBufferBuilder::with_capacity(64);
    let read = fb::StdinRead::create(&mut fbb, &fb::StdinReadArgs { max_len, wait_ns, position });
    let root = fb::GuestMessage::create(
        &mut fbb,
        &fb::GuestMessageArgs { body_type: fb::GuestBody::StdinRead, body: Some(read.as_union_value()) },
    );
    fbb.finish_size_prefixed(root, None);
    featherlight_guest::host::send(fbb.finished_data()).map_err(|e| e.to_string())?;
    let received = featherlight_guest::host::receive().map_err(|e| e.to_string())?;
    let reply = received.open().map_err(|e| e.to_string())?;
    let data = reply.body_as_stdin_data().ok_or("the host did not answer a stdin read with stdin data")?;
    Ok(match data.status() {
        fb::StdinStatus::Pending => Answer::Pending,
        fb::StdinStatus::Ready => Answer::Bytes(data.bytes().map(|b| b.bytes().to_vec()).unwrap_or_default()),
        fb::StdinStatus::Closed => Answer::Closed,
        _ => Answer::Failed(data.error().unwrap_or("reading stdin failed").to_string()),
    })
}
