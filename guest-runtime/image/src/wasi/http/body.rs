//! Body state: what the component reads (the request's body, the bodies of
//! responses to its outgoing requests) and what it writes (its response's
//! body, its outgoing requests' bodies).
//!
//! A body read starts with the bytes that came inline with its message;
//! the rest is asked of the host with `BodyRead`, reading ahead up to
//! [`wire::inline_limit`] so a component reading in small pieces still
//! costs one exit per large chunk. A body written is buffered here (see
//! `response.rs` for when a response's bytes leave).

use super::fields::FieldList;
use super::wire::{self, BodyData};
use super::wit::ErrorCode;
use alloc::string::String;
use alloc::vec::Vec;
use wasmtime::Result;

/// A read body.
#[derive(Debug)]
pub struct Reader {
    /// `BodyRead.stream`: 0 for the request, else the outgoing request's id.
    stream: u32,
    buffer: Vec<u8>,
    taken: usize,
    /// The host has nothing after the buffer.
    end: bool,
    /// Why reading failed (the body ended then).
    failure: Option<String>,
    failure_reported: bool,
    trailers: Option<FieldList>,
}

/// What a read returns when not bytes.
pub enum ReadEnd {
    Closed,
    Failed(String),
}

impl Reader {
    pub fn new(stream: u32, inline: Vec<u8>, end: bool) -> Self {
        Self { stream, buffer: inline, taken: 0, end, failure: None, failure_reported: false, trailers: None }
    }

    fn buffered(&self) -> usize {
        self.buffer.len().saturating_sub(self.taken)
    }

    /// Asks the host for more (the buffer is empty), waiting up to `wait_ns`.
    fn fetch(&mut self, wait_ns: u64) -> Result<()> {
        loop {
            match wire::read_body(self.stream, wire::inline_limit() as u64, wait_ns)? {
                // A wait that may not end before data does not come back empty.
                BodyData::Pending if wait_ns == u64::MAX => continue,
                BodyData::Pending => {}
                BodyData::Bytes(bytes) => {
                    self.buffer = bytes;
                    self.taken = 0;
                }
                BodyData::End(trailers) => {
                    self.end = true;
                    self.trailers = trailers;
                }
                BodyData::Failed(reason) => {
                    self.end = true;
                    self.failure = Some(reason);
                }
            }
            return Ok(());
        }
    }

    /// Whether a read or readiness check answers without the host.
    pub fn known_ready(&self) -> bool {
        self.buffered() != 0 || self.end
    }

    /// Whether the host said the body ended.
    pub fn ended(&self) -> bool {
        self.end
    }

    /// Reads at most `len` bytes, letting the host wait `wait_ns` for some.
    pub fn read(&mut self, len: u64, wait_ns: u64) -> Result<core::result::Result<Vec<u8>, ReadEnd>> {
        if self.buffered() == 0 && !self.end && len != 0 {
            self.fetch(wait_ns)?;
        }
        if self.buffered() != 0 {
            let n = usize::try_from(len).unwrap_or(usize::MAX).min(self.buffered());
            let bytes = self.buffer[self.taken..self.taken + n].to_vec();
            self.taken += n;
            if self.taken == self.buffer.len() {
                self.buffer = Vec::new();
                self.taken = 0;
            }
            return Ok(Ok(bytes));
        }
        if !self.end {
            return Ok(Ok(Vec::new()));
        }
        match &self.failure {
            Some(reason) if !self.failure_reported => {
                self.failure_reported = true;
                Ok(Err(ReadEnd::Failed(reason.clone())))
            }
            _ => Ok(Err(ReadEnd::Closed)),
        }
    }

    /// Whether a read would not wait, letting the host wait `wait_ns`.
    pub fn ready(&mut self, wait_ns: u64) -> Result<bool> {
        if self.buffered() == 0 && !self.end {
            self.fetch(wait_ns)?;
        }
        Ok(self.buffered() != 0 || self.end)
    }

    /// Reads and drops the rest of the body (trailers follow it): whether
    /// the end was reached, letting the host wait `wait_ns` each time.
    pub fn drain(&mut self, wait_ns: u64) -> Result<bool> {
        while !self.end {
            self.buffer = Vec::new();
            self.taken = 0;
            self.fetch(wait_ns)?;
            if self.buffer.is_empty() && !self.end {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Once the body ended: its trailers, or why it failed.
    pub fn outcome(&mut self) -> core::result::Result<Option<FieldList>, ErrorCode> {
        match &self.failure {
            Some(reason) => Err(ErrorCode::InternalError(Some(reason.clone()))),
            None => Ok(self.trailers.take()),
        }
    }
}

/// Whose body a writer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Response,
    /// The body of outgoing request `id`.
    Request,
}

/// How a written body ended.
#[derive(Debug)]
pub enum End {
    Open,
    Finished(Option<FieldList>),
    /// Dropped unfinished, or finished short of its `content-length`.
    Aborted,
}

/// A written body.
#[derive(Debug)]
pub struct Writer {
    pub side: Side,
    pub buffer: Vec<u8>,
    written: u64,
    content_length: Option<u64>,
    pub end: End,
    /// The host answered that the client went away: writes report `closed`.
    pub closed: bool,
    /// Its bytes may leave: the response was set, the request handled.
    pub attached: bool,
}

impl Writer {
    pub fn new(side: Side, content_length: Option<u64>) -> Self {
        Self { side, buffer: Vec::new(), written: 0, content_length, end: End::Open, closed: false, attached: false }
    }

    /// `*-body-size` of this side, with `size`.
    pub fn size_error(&self, size: u64) -> ErrorCode {
        match self.side {
            Side::Response => ErrorCode::HttpResponseBodySize(Some(size)),
            Side::Request => ErrorCode::HttpRequestBodySize(Some(size)),
        }
    }

    /// Counts `len` bytes written: the error when they go past the
    /// declared `content-length` (wasmtime's check, at the write).
    pub fn count(&mut self, len: usize) -> core::result::Result<(), ErrorCode> {
        self.written = self.written.saturating_add(len as u64);
        match self.content_length {
            Some(expected) if self.written > expected => Err(self.size_error(self.written)),
            _ => Ok(()),
        }
    }

    /// `finish`: the error when fewer or more bytes than declared were
    /// written (the body is aborted then).
    pub fn finish(&mut self, trailers: Option<FieldList>) -> core::result::Result<(), ErrorCode> {
        if let Some(expected) = self.content_length
            && self.written != expected
        {
            self.end = End::Aborted;
            return Err(self.size_error(self.written));
        }
        self.end = End::Finished(trailers);
        Ok(())
    }
}
