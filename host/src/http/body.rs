//! Bodies between hyper and a request's VM: the incoming body read on the
//! VM's thread as the guest asks for it, and the response body fed from
//! that thread through a short channel (the guest waits while the client
//! is slow: backpressure, and memory bounded by the channel).

use crate::Error;
use crate::sandbox::http::{BodyChunk, BodySource, ClientGone, ResponseSink};
use bytes::Bytes;
use featherlight_wire::http::ResponseHead;
use http::{HeaderMap, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Response parts in flight between a VM and its connection.
const FRAMES_IN_FLIGHT: usize = 2;

/// Why a response body ended early (hyper then drops the connection, as
/// for any failed body).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the response body was cut short: {0}")]
pub struct BodyError(String);

/// The body of a response a [`Proxy`](super::Proxy) returns.
#[derive(Debug)]
pub struct ResponseBody {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Full(Option<Bytes>),
    Channel(mpsc::Receiver<Result<Frame<Bytes>, BodyError>>),
}

impl ResponseBody {
    /// A body of `bytes`.
    pub(super) fn full(bytes: Bytes) -> Self {
        Self { kind: Kind::Full(Some(bytes)) }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        match &mut self.kind {
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Channel(frames) => frames.poll_recv(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(&self.kind, Kind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Channel(_) => SizeHint::default(),
        }
    }
}

/// How the response started: its head, or a failure before it.
#[derive(Debug)]
pub(super) enum Started {
    Head(ResponseHead),
    Failed(StatusCode, &'static str),
}

/// The VM's side of a response.
pub(super) struct ChannelSink {
    runtime: tokio::runtime::Handle,
    /// Past it, a client that does not take the body counts as gone (the
    /// VM must not wait on it forever).
    deadline: Option<Instant>,
    started: Option<oneshot::Sender<Started>>,
    frames: Option<mpsc::Sender<Result<Frame<Bytes>, BodyError>>>,
    over_limit: Arc<AtomicBool>,
    /// The status the client got (500 until a head or failure says).
    status: Arc<AtomicU16>,
}

impl ChannelSink {
    /// A sink and the body its frames go to.
    pub(super) fn new(
        runtime: tokio::runtime::Handle,
        deadline: Option<Instant>,
        started: oneshot::Sender<Started>,
    ) -> (Self, ResponseBody) {
        let (frames, receiver) = mpsc::channel(FRAMES_IN_FLIGHT);
        let sink = Self {
            runtime,
            deadline,
            started: Some(started),
            frames: Some(frames),
            over_limit: Arc::new(AtomicBool::new(false)),
            status: Arc::new(AtomicU16::new(StatusCode::INTERNAL_SERVER_ERROR.as_u16())),
        };
        (sink, ResponseBody { kind: Kind::Channel(receiver) })
    }

    /// Set by the request body when it went past the limit.
    pub(super) fn over_limit_flag(&self) -> Arc<AtomicBool> {
        self.over_limit.clone()
    }

    /// The status the client got, once the call is over.
    pub(super) fn status_flag(&self) -> Arc<AtomicU16> {
        self.status.clone()
    }

    fn fail_before_head(&mut self, status: StatusCode, why: &'static str) {
        self.status.store(status.as_u16(), Ordering::Relaxed);
        if let Some(started) = self.started.take() {
            let _ = started.send(Started::Failed(status, why));
        }
    }
}

impl ResponseSink for ChannelSink {
    fn head(&mut self, head: ResponseHead) {
        self.status.store(head.status.as_u16(), Ordering::Relaxed);
        if let Some(started) = self.started.take() {
            let _ = started.send(Started::Head(head));
        }
    }

    fn data(&mut self, bytes: Bytes) -> Result<(), ClientGone> {
        self.send(Frame::data(bytes))
    }

    fn finish(&mut self, trailers: Option<HeaderMap>) {
        if let Some(trailers) = trailers {
            let _ = self.send(Frame::trailers(trailers));
        }
        // Dropping the sender ends the body.
        self.frames = None;
    }

    fn abort(&mut self, why: &Error) {
        if self.started.is_some() {
            match why {
                _ if self.over_limit.load(Ordering::Relaxed) => {
                    self.fail_before_head(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
                }
                Error::DeadlineExceeded { .. } => {
                    self.fail_before_head(StatusCode::GATEWAY_TIMEOUT, "the request timed out");
                }
                _ => self.fail_before_head(StatusCode::INTERNAL_SERVER_ERROR, "internal server error"),
            }
            return;
        }
        if let Some(frames) = self.frames.take() {
            // Never waits for the client: the error goes out after what it
            // has not read yet (a body that just ended would look complete).
            let error = BodyError(why.to_string());
            self.runtime.spawn(async move {
                let _ = frames.send(Err(error)).await;
            });
        }
    }
}

impl ChannelSink {
    /// Hands `frame` to the connection, waiting while the client is slow,
    /// up to the deadline.
    fn send(&mut self, frame: Frame<Bytes>) -> Result<(), ClientGone> {
        let frames = self.frames.as_ref().ok_or(ClientGone)?;
        let sent = match self.deadline {
            None => self.runtime.block_on(frames.send(Ok(frame))),
            Some(deadline) => {
                let send = tokio::time::timeout_at(deadline.into(), frames.send(Ok(frame)));
                // Past the deadline the sender stays: the call's abort still
                // cuts the body with an error.
                self.runtime.block_on(send).map_err(|_elapsed| ClientGone)?
            }
        };
        if sent.is_err() {
            // The connection dropped the body.
            self.frames = None;
            return Err(ClientGone);
        }
        Ok(())
    }
}

/// The incoming request's body, read on the VM's thread as the guest asks.
pub(super) struct IncomingBody<B> {
    body: B,
    runtime: tokio::runtime::Handle,
    held: Held,
    limit: Option<u64>,
    seen: u64,
    over_limit: Arc<AtomicBool>,
}

/// How a body ended.
#[derive(Debug, Clone)]
pub(super) enum Ended {
    End(Option<HeaderMap>),
    Failed(String),
}

impl Ended {
    pub(super) fn chunk(&self) -> BodyChunk {
        match self {
            Ended::End(trailers) => BodyChunk::End(trailers.clone()),
            Ended::Failed(why) => BodyChunk::Failed(why.clone()),
        }
    }
}

/// What a body source read but has not handed out yet: the rest of a frame
/// larger than the guest asked for, or how the body ended (repeated to every
/// later read).
#[derive(Debug, Default)]
pub(super) struct Held {
    leftover: Bytes,
    ended: Option<Ended>,
}

impl Held {
    /// The next chunk from what is held, if anything is.
    pub(super) fn next(&mut self, max_len: usize) -> Option<BodyChunk> {
        if !self.leftover.is_empty() {
            return Some(BodyChunk::Data(self.leftover.split_to(max_len.min(self.leftover.len()))));
        }
        self.ended.as_ref().map(Ended::chunk)
    }

    /// Up to `max_len` bytes of `data`; the rest is held.
    pub(super) fn data(&mut self, mut data: Bytes, max_len: usize) -> BodyChunk {
        let first = data.split_to(max_len.min(data.len()));
        self.leftover = data;
        BodyChunk::Data(first)
    }

    /// The body's end, held for every later read.
    pub(super) fn end(&mut self, ended: Ended) -> BodyChunk {
        let chunk = ended.chunk();
        self.ended = Some(ended);
        chunk
    }
}

impl<B> IncomingBody<B> {
    pub(super) fn new(
        body: B,
        runtime: tokio::runtime::Handle,
        limit: Option<u64>,
        over_limit: Arc<AtomicBool>,
    ) -> Self {
        Self { body, runtime, held: Held::default(), limit, seen: 0, over_limit }
    }
}

impl<B> BodySource for IncomingBody<B>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    fn read(&mut self, max_len: usize, wait: Duration) -> BodyChunk {
        if let Some(chunk) = self.held.next(max_len) {
            return chunk;
        }
        // A zero timeout still polls the body once.
        let next = self.runtime.block_on(tokio::time::timeout(wait, self.body.frame()));
        let ended = match next {
            Err(_elapsed) => return BodyChunk::Pending,
            Ok(None) => Ended::End(None),
            Ok(Some(Err(e))) => Ended::Failed(format!("reading the request body failed: {e}")),
            Ok(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) => {
                    self.seen += data.len() as u64;
                    match self.limit {
                        Some(limit) if self.seen > limit => {
                            self.over_limit.store(true, Ordering::Relaxed);
                            Ended::Failed(format!("the request body exceeds the {limit}-byte limit"))
                        }
                        _ => return self.held.data(data, max_len),
                    }
                }
                Err(frame) => Ended::End(frame.into_trailers().ok()),
            },
        };
        self.held.end(ended)
    }
}
