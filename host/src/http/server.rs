//! An HTTP/1.1 server around a [`Proxy`]: what `featherlight serve` runs.

use super::Proxy;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;

/// Connection settings of [`serve`].
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Largest request head (request line and header fields) accepted;
    /// larger ones are answered `431`. hyper's default when `None`.
    pub max_header_size: Option<usize>,
    /// How long in-flight requests may take to finish once shutdown starts.
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self { max_header_size: None, shutdown_grace: Duration::from_secs(30) }
    }
}

/// The size of a request's head as sent: request line and header fields.
fn head_size<B>(request: &http::Request<B>) -> usize {
    let line = request.method().as_str().len() + request.uri().to_string().len() + 12;
    request.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum::<usize>() + line
}

/// Serves `proxy` on `listener` until `shutdown` completes, then stops
/// accepting and lets in-flight requests finish (within the grace period).
pub async fn serve(
    listener: TcpListener,
    proxy: Proxy,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors and the like: wait, do not spin.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A response's head and body are separate writes: with Nagle's algorithm the body
        // would wait for the client's delayed ACK (40 ms) whenever the head is unacknowledged.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY on a connection from {peer}: {e}");
        }
        let proxy = proxy.clone();
        let max_header_size = options.max_header_size;
        let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
            let proxy = proxy.clone();
            async move {
                if max_header_size.is_some_and(|max| head_size(&request) > max) {
                    let response = super::proxy::error_response(
                        http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                        "request header fields too large\n",
                    );
                    return Ok::<_, std::convert::Infallible>(response);
                }
                Ok(proxy.handle(request).await)
            }
        });
        let mut builder = http1::Builder::new();
        if let Some(size) = options.max_header_size {
            builder.max_buf_size(size.max(8192));
        }
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, "connection ended: {e}");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(options.shutdown_grace) => {
            tracing::warn!("in-flight requests did not finish within {:?}", options.shutdown_grace);
        }
    }
    Ok(())
}
