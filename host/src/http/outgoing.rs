//! Outgoing requests of `wasi:http/outgoing-handler`: denied unless the
//! embedder allows the destination, then made by the host with hyper over
//! a new connection each, within the component's (or the default) time
//! limits.

use super::body::{Ended, Held};
use crate::sandbox::http::{
    BodyChunk, BodySource, OutgoingError, OutgoingHttp, OutgoingHttpRequest, remove_forbidden_headers,
};
use bytes::Bytes;
use featherlight_abi::http::ErrorCode;
use featherlight_wire::http::ResponseHead;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Time limits when the component sets none.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(600);
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(600);
const BETWEEN_BYTES_TIMEOUT: Duration = Duration::from_secs(600);

/// One allowed destination: a host (or `*`) and optionally a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    host: String,
    port: Option<u16>,
}

impl std::str::FromStr for AllowedHost {
    type Err = String;

    /// `HOST`, `HOST:PORT` or `*` (any destination).
    fn from_str(text: &str) -> Result<Self, String> {
        let (host, port) = match text.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
                let port = port.parse().map_err(|_| format!("`{port}` in `{text}` is not a port number"))?;
                (host, Some(port))
            }
            _ => (text, None),
        };
        if host.is_empty() {
            return Err(format!("`{text}` names no host; write HOST, HOST:PORT or *"));
        }
        Ok(Self { host: host.to_ascii_lowercase(), port })
    }
}

impl AllowedHost {
    fn admits(&self, host: &str, port: u16) -> bool {
        (self.host == "*" || self.host.eq_ignore_ascii_case(host)) && self.port.is_none_or(|p| p == port)
    }
}

/// Where a component's outgoing requests may go.
#[derive(Debug, Clone, Default)]
pub struct OutgoingPolicy {
    allowed: Vec<AllowedHost>,
}

impl OutgoingPolicy {
    /// No outgoing request leaves (`HTTP-request-denied`).
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// Also allows `host`.
    pub fn allow(mut self, host: AllowedHost) -> Self {
        self.allowed.push(host);
        self
    }

    fn admits(&self, host: &str, port: u16) -> bool {
        self.allowed.iter().any(|rule| rule.admits(host, port))
    }

    /// The client making the requests this policy allows; `None` if it
    /// allows none.
    pub(super) fn client(&self) -> Option<Arc<dyn OutgoingHttp>> {
        if self.allowed.is_empty() {
            return None;
        }
        Some(Arc::new(HyperClient { policy: self.clone() }))
    }
}

/// Makes requests with hyper, from a sandbox's thread inside the server's
/// tokio runtime.
struct HyperClient {
    policy: OutgoingPolicy,
}

impl OutgoingHttp for HyperClient {
    fn send(&self, request: OutgoingHttpRequest<'_>) -> Result<(ResponseHead, Box<dyn BodySource>), OutgoingError> {
        let error = OutgoingError::new;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| OutgoingError {
            code: ErrorCode::InternalError,
            text: Some("outgoing requests need the server's tokio runtime".into()),
        })?;
        // As wasmtime-wasi-http: a request without a scheme is https.
        let scheme = request.scheme.unwrap_or("https");
        let default_port = match scheme {
            "http" => 80,
            "https" => 443,
            _ => return Err(error(ErrorCode::HttpProtocolError)),
        };
        let authority: http::uri::Authority = request
            .authority
            .ok_or(error(ErrorCode::HttpRequestUriInvalid))?
            .parse()
            .map_err(|_| error(ErrorCode::HttpRequestUriInvalid))?;
        let port = authority.port_u16().unwrap_or(default_port);
        if !self.policy.admits(authority.host(), port) {
            return Err(error(ErrorCode::HttpRequestDenied));
        }
        let uri = http::Uri::builder()
            .scheme(scheme)
            .authority(authority.clone())
            .path_and_query(request.path_with_query)
            .build()
            .map_err(|_| error(ErrorCode::HttpRequestUriInvalid))?;
        let mut headers = request.headers;
        remove_forbidden_headers(&mut headers);
        let mut outgoing = http::Request::new(Full::new(Bytes::copy_from_slice(request.body)));
        *outgoing.method_mut() = request.method;
        *outgoing.uri_mut() = uri;
        *outgoing.headers_mut() = headers;
        outgoing.headers_mut().insert(
            http::header::HOST,
            http::HeaderValue::from_str(authority.as_str()).map_err(|_| error(ErrorCode::HttpRequestUriInvalid))?,
        );
        let connect_timeout = request.connect_timeout.unwrap_or(CONNECT_TIMEOUT);
        let first_byte_timeout = request.first_byte_timeout.unwrap_or(FIRST_BYTE_TIMEOUT);
        let between_bytes = request.between_bytes_timeout.unwrap_or(BETWEEN_BYTES_TIMEOUT);
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_string();
        let address = format!("{host}:{port}");
        let response = runtime.block_on(async {
            let stream = match tokio::time::timeout(connect_timeout, tokio::net::TcpStream::connect(&address)).await {
                Err(_) => return Err(error(ErrorCode::ConnectionTimeout)),
                Ok(Err(e)) => return Err(connect_error(&e)),
                Ok(Ok(stream)) => stream,
            };
            if scheme == "https" {
                let name = rustls::pki_types::ServerName::try_from(host.clone())
                    .map_err(|_| error(ErrorCode::HttpRequestUriInvalid))?;
                let tls = match tokio::time::timeout(connect_timeout, tls_connector()?.connect(name, stream)).await {
                    Err(_) => return Err(error(ErrorCode::ConnectionTimeout)),
                    Ok(Err(e)) => {
                        return Err(OutgoingError { code: ErrorCode::TlsProtocolError, text: Some(e.to_string()) });
                    }
                    Ok(Ok(tls)) => tls,
                };
                exchange(tls, outgoing, first_byte_timeout).await
            } else {
                exchange(stream, outgoing, first_byte_timeout).await
            }
        })?;
        let (parts, body) = response.into_parts();
        let head = ResponseHead { status: parts.status, headers: parts.headers };
        Ok((
            head,
            Box::new(ResponseSource { body, runtime, between_bytes, last: Instant::now(), held: Held::default() }),
        ))
    }
}

/// Sends `request` over `stream` (one request per connection) and waits
/// for the response's head.
async fn exchange<S>(
    stream: S,
    request: http::Request<Full<Bytes>>,
    first_byte_timeout: Duration,
) -> Result<http::Response<Incoming>, OutgoingError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| OutgoingError { code: ErrorCode::HttpProtocolError, text: Some(e.to_string()) })?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    match tokio::time::timeout(first_byte_timeout, sender.send_request(request)).await {
        Err(_) => Err(OutgoingError::new(ErrorCode::ConnectionReadTimeout)),
        Ok(Err(e)) => Err(OutgoingError { code: ErrorCode::HttpProtocolError, text: Some(e.to_string()) }),
        Ok(Ok(response)) => Ok(response),
    }
}

/// TLS client settings: the Mozilla root certificates, made once.
fn tls_connector() -> Result<tokio_rustls::TlsConnector, OutgoingError> {
    static CONFIG: std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, String>> = std::sync::OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        // ring, as wasmtime-wasi-http uses, rather than aws-lc-rs (post-quantum
        // key exchange, but a C build with cmake).
        #[allow(deprecated, reason = "ring's provider lacks only post-quantum key exchange")]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|builder| Arc::new(builder.with_root_certificates(roots).with_no_client_auth()))
            .map_err(|e| e.to_string())
    });
    match config {
        Ok(config) => Ok(tokio_rustls::TlsConnector::from(config.clone())),
        Err(e) => Err(OutgoingError { code: ErrorCode::TlsProtocolError, text: Some(e.clone()) }),
    }
}

fn connect_error(error: &std::io::Error) -> OutgoingError {
    let code = match error.kind() {
        std::io::ErrorKind::ConnectionRefused => ErrorCode::ConnectionRefused,
        std::io::ErrorKind::TimedOut => ErrorCode::ConnectionTimeout,
        _ if error.to_string().contains("lookup") => ErrorCode::DnsError,
        _ => ErrorCode::DestinationUnavailable,
    };
    OutgoingError::new(code)
}

/// The body of an outgoing request's response.
struct ResponseSource {
    body: Incoming,
    runtime: tokio::runtime::Handle,
    between_bytes: Duration,
    last: Instant,
    held: Held,
}

impl BodySource for ResponseSource {
    fn read(&mut self, max_len: usize, wait: Duration) -> BodyChunk {
        if let Some(chunk) = self.held.next(max_len) {
            return chunk;
        }
        let ended = match self.runtime.block_on(tokio::time::timeout(wait, self.body.frame())) {
            Err(_) if self.last.elapsed() > self.between_bytes => {
                Ended::Failed("the response stopped arriving (between-bytes timeout)".into())
            }
            Err(_) => return BodyChunk::Pending,
            Ok(None) => Ended::End(None),
            Ok(Some(Err(e))) => Ended::Failed(e.to_string()),
            Ok(Some(Ok(frame))) => {
                self.last = Instant::now();
                match frame.into_data() {
                    Ok(data) => return self.held.data(data, max_len),
                    Err(frame) => Ended::End(frame.into_trailers().ok()),
                }
            }
        };
        self.held.end(ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_hosts_parse_and_match() {
        let any: AllowedHost = "*".parse().unwrap();
        assert!(any.admits("example.com", 443));
        let host: AllowedHost = "Example.com".parse().unwrap();
        assert!(host.admits("example.com", 80) && host.admits("EXAMPLE.COM", 8080));
        assert!(!host.admits("example.org", 80));
        let port: AllowedHost = "127.0.0.1:8080".parse().unwrap();
        assert!(port.admits("127.0.0.1", 8080) && !port.admits("127.0.0.1", 8081));
        assert!("example.com:http".parse::<AllowedHost>().is_err());
        assert!(":80".parse::<AllowedHost>().is_err());
        assert!(!OutgoingPolicy::deny_all().admits("localhost", 80));
    }
}
