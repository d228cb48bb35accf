//! `wasi:http` as host and guest exchange it (`HttpRequest`, `BodyRead`,
//! `HttpResponse`, `HttpOutgoingRequest` in the schema): error codes by their
//! position in the WIT, the body stream numbers and how much body rides in
//! the call and result messages.
//!
//! # One request
//!
//! The host sends `HttpRequest` with as much of the body as fits
//! ([`INLINE_BODY`]); the guest runs `incoming-handler.handle`, reads the rest
//! of the body with `BodyRead { stream: REQUEST_BODY }` and answers with a
//! `FunctionCallResult` whose `http_response` carries the response. Body
//! bytes the component writes are buffered in the guest up to
//! [`INLINE_BODY`]; past that (or when the component blocks, or
//! [`FLUSH_INTERVAL_MS`] after the last part) they go out early as
//! `HttpResponse` parts, each answered with `BodyWritten`. The host never
//! holds more than a few parts: it answers a part only once the client's
//! connection took the one before (backpressure).

/// Body stream number of the incoming request (`BodyRead.stream`); other
/// numbers are the ids of outgoing requests' responses.
pub const REQUEST_BODY: u32 = 0;

/// Body bytes that travel inside the request and result messages (and in one
/// response part): small exchanges take one VM entry and one exit.
pub const INLINE_BODY: usize = 256 * 1024;

/// A streaming response's buffered bytes reach the host at the latest this
/// long after the last part (when the component next writes or polls).
pub const FLUSH_INTERVAL_MS: u64 = 10;

/// Header fields that never reach a component nor leave one (hop-by-hop,
/// or the host's to set), as wasmtime-wasi-http's default list: the guest
/// refuses them in `fields`, the host strips them from requests and
/// responses.
pub const FORBIDDEN_HEADERS: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "host",
    "http2-settings",
];

/// Declares [`ErrorCode`] and its [`ErrorCode::ALL`] from one list of cases.
macro_rules! error_codes {
    ($($case:ident),* $(,)?) => {
        /// `error-code` of `wasi:http/types`, in WIT order (the wire carries
        /// `1 + index`; 0 is success). Cases with a payload carry their defaults
        /// (`none`) except `internal-error`, whose text travels in `error_text`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        #[allow(missing_docs, reason = "the WIT documents each case")]
        pub enum ErrorCode {
            $($case),*
        }

        impl ErrorCode {
            /// Every case, in WIT order.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$case),*];
        }
    };
}

error_codes! {
    DnsTimeout,
    DnsError,
    DestinationNotFound,
    DestinationUnavailable,
    DestinationIpProhibited,
    DestinationIpUnroutable,
    ConnectionRefused,
    ConnectionTerminated,
    ConnectionTimeout,
    ConnectionReadTimeout,
    ConnectionWriteTimeout,
    ConnectionLimitReached,
    TlsProtocolError,
    TlsCertificateError,
    TlsAlertReceived,
    HttpRequestDenied,
    HttpRequestLengthRequired,
    HttpRequestBodySize,
    HttpRequestMethodInvalid,
    HttpRequestUriInvalid,
    HttpRequestUriTooLong,
    HttpRequestHeaderSectionSize,
    HttpRequestHeaderSize,
    HttpRequestTrailerSectionSize,
    HttpRequestTrailerSize,
    HttpResponseIncomplete,
    HttpResponseHeaderSectionSize,
    HttpResponseHeaderSize,
    HttpResponseBodySize,
    HttpResponseTrailerSectionSize,
    HttpResponseTrailerSize,
    HttpResponseTransferCoding,
    HttpResponseContentCoding,
    HttpResponseTimeout,
    HttpUpgradeFailed,
    HttpProtocolError,
    LoopDetected,
    ConfigurationError,
    InternalError,
}

impl ErrorCode {
    /// The value the wire carries for this case.
    pub fn wire(self) -> u8 {
        self as u8 + 1
    }

    /// The case a wire value names: `None` for 0 (success) and for values
    /// past the last case.
    pub fn from_wire(value: u8) -> Option<Self> {
        Self::ALL.get(usize::from(value.checked_sub(1)?)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn wire_values_round_trip_and_refuse_strays() {
        assert_eq!(ErrorCode::ALL.len(), 39, "wasi:http 0.2 has 39 error codes");
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_wire(code.wire()), Some(code));
        }
        assert_eq!(ErrorCode::from_wire(0), None);
        assert_eq!(ErrorCode::from_wire(40), None);
        assert_eq!(ErrorCode::from_wire(ErrorCode::InternalError.wire()), Some(ErrorCode::InternalError));
    }
}
