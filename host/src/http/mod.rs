//! Serving `wasi:http` components: every request in a sandbox restored to
//! the component's warm state.
//!
//! [`Sandbox::handle_http`](crate::Sandbox::handle_http) runs one request on
//! one sandbox, blocking its thread, with the body and the response behind
//! the [`BodySource`] and [`ResponseSink`] traits.

pub use crate::sandbox::http::{
    BodyChunk, BodySource, ClientGone, EmptyBody, FullBody, HttpCallStats, HttpError, HttpIo, IncomingRequest,
    OutgoingError, OutgoingHttp, OutgoingHttpRequest, ResponseSink,
};
pub use featherlight_abi::http::ErrorCode;
pub use featherlight_wire::http::ResponseHead;

#[cfg(feature = "serve")]
mod body;
#[cfg(feature = "serve")]
mod outgoing;
#[cfg(feature = "serve")]
mod proxy;
#[cfg(feature = "serve")]
mod server;

#[cfg(feature = "serve")]
pub use body::{BodyError, ResponseBody};
#[cfg(feature = "serve")]
pub use outgoing::{AllowedHost, OutgoingPolicy};
#[cfg(feature = "serve")]
pub use proxy::{Proxy, ProxyConfig};
#[cfg(feature = "serve")]
pub use server::{ServeOptions, serve};
