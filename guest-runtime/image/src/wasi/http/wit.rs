//! The `wasi:http/types` value types as the component sees them (`method`,
//! `scheme`, `error-code`, `header-error`) and their wire forms.

use alloc::string::{String, ToString};
use featherlight_abi::http::ErrorCode as Wire;
use wasmtime::component::{ComponentType, Lift, Lower};

#[derive(ComponentType, Lower, Lift, Clone, Debug, PartialEq, Eq)]
#[component(variant)]
pub enum Method {
    #[component(name = "get")]
    Get,
    #[component(name = "head")]
    Head,
    #[component(name = "post")]
    Post,
    #[component(name = "put")]
    Put,
    #[component(name = "delete")]
    Delete,
    #[component(name = "connect")]
    Connect,
    #[component(name = "options")]
    Options,
    #[component(name = "trace")]
    Trace,
    #[component(name = "patch")]
    Patch,
    #[component(name = "other")]
    Other(String),
}

impl Method {
    /// The method spelled `name` on the wire (`GET`, ...).
    pub fn from_wire(name: &str) -> Self {
        match name {
            "GET" => Self::Get,
            "HEAD" => Self::Head,
            "POST" => Self::Post,
            "PUT" => Self::Put,
            "DELETE" => Self::Delete,
            "CONNECT" => Self::Connect,
            "OPTIONS" => Self::Options,
            "TRACE" => Self::Trace,
            "PATCH" => Self::Patch,
            other => Self::Other(other.to_string()),
        }
    }

    /// The wire spelling.
    pub fn as_wire(&self) -> &str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
            Self::Connect => "CONNECT",
            Self::Options => "OPTIONS",
            Self::Trace => "TRACE",
            Self::Patch => "PATCH",
            Self::Other(name) => name,
        }
    }
}

#[derive(ComponentType, Lower, Lift, Clone, Debug, PartialEq, Eq)]
#[component(variant)]
pub enum Scheme {
    #[component(name = "HTTP")]
    Http,
    #[component(name = "HTTPS")]
    Https,
    #[component(name = "other")]
    Other(String),
}

impl Scheme {
    pub fn from_wire(name: &str) -> Self {
        match name {
            "http" => Self::Http,
            "https" => Self::Https,
            other => Self::Other(other.to_string()),
        }
    }
}

/// A `variant` in the WIT, though no case has a payload.
#[derive(ComponentType, Lower, Lift, Clone, Copy, Debug, PartialEq, Eq)]
#[component(variant)]
pub enum HeaderError {
    #[component(name = "invalid-syntax")]
    InvalidSyntax,
    #[component(name = "forbidden")]
    Forbidden,
    #[component(name = "immutable")]
    Immutable,
}

#[derive(ComponentType, Lower, Lift, Clone, Debug, PartialEq, Eq, Default)]
#[component(record)]
pub struct DnsErrorPayload {
    pub rcode: Option<String>,
    #[component(name = "info-code")]
    pub info_code: Option<u16>,
}

#[derive(ComponentType, Lower, Lift, Clone, Debug, PartialEq, Eq, Default)]
#[component(record)]
pub struct TlsAlertReceivedPayload {
    #[component(name = "alert-id")]
    pub alert_id: Option<u8>,
    #[component(name = "alert-message")]
    pub alert_message: Option<String>,
}

#[derive(ComponentType, Lower, Lift, Clone, Debug, PartialEq, Eq, Default)]
#[component(record)]
pub struct FieldSizePayload {
    #[component(name = "field-name")]
    pub field_name: Option<String>,
    #[component(name = "field-size")]
    pub field_size: Option<u32>,
}

/// `error-code`, in WIT order.
#[derive(ComponentType, Lower, Lift, Clone, Debug, PartialEq, Eq)]
#[component(variant)]
pub enum ErrorCode {
    #[component(name = "DNS-timeout")]
    DnsTimeout,
    #[component(name = "DNS-error")]
    DnsError(DnsErrorPayload),
    #[component(name = "destination-not-found")]
    DestinationNotFound,
    #[component(name = "destination-unavailable")]
    DestinationUnavailable,
    #[component(name = "destination-IP-prohibited")]
    DestinationIpProhibited,
    #[component(name = "destination-IP-unroutable")]
    DestinationIpUnroutable,
    #[component(name = "connection-refused")]
    ConnectionRefused,
    #[component(name = "connection-terminated")]
    ConnectionTerminated,
    #[component(name = "connection-timeout")]
    ConnectionTimeout,
    #[component(name = "connection-read-timeout")]
    ConnectionReadTimeout,
    #[component(name = "connection-write-timeout")]
    ConnectionWriteTimeout,
    #[component(name = "connection-limit-reached")]
    ConnectionLimitReached,
    #[component(name = "TLS-protocol-error")]
    TlsProtocolError,
    #[component(name = "TLS-certificate-error")]
    TlsCertificateError,
    #[component(name = "TLS-alert-received")]
    TlsAlertReceived(TlsAlertReceivedPayload),
    #[component(name = "HTTP-request-denied")]
    HttpRequestDenied,
    #[component(name = "HTTP-request-length-required")]
    HttpRequestLengthRequired,
    #[component(name = "HTTP-request-body-size")]
    HttpRequestBodySize(Option<u64>),
    #[component(name = "HTTP-request-method-invalid")]
    HttpRequestMethodInvalid,
    #[component(name = "HTTP-request-URI-invalid")]
    HttpRequestUriInvalid,
    #[component(name = "HTTP-request-URI-too-long")]
    HttpRequestUriTooLong,
    #[component(name = "HTTP-request-header-section-size")]
    HttpRequestHeaderSectionSize(Option<u32>),
    #[component(name = "HTTP-request-header-size")]
    HttpRequestHeaderSize(Option<FieldSizePayload>),
    #[component(name = "HTTP-request-trailer-section-size")]
    HttpRequestTrailerSectionSize(Option<u32>),
    #[component(name = "HTTP-request-trailer-size")]
    HttpRequestTrailerSize(FieldSizePayload),
    #[component(name = "HTTP-response-incomplete")]
    HttpResponseIncomplete,
    #[component(name = "HTTP-response-header-section-size")]
    HttpResponseHeaderSectionSize(Option<u32>),
    #[component(name = "HTTP-response-header-size")]
    HttpResponseHeaderSize(FieldSizePayload),
    #[component(name = "HTTP-response-body-size")]
    HttpResponseBodySize(Option<u64>),
    #[component(name = "HTTP-response-trailer-section-size")]
    HttpResponseTrailerSectionSize(Option<u32>),
    #[component(name = "HTTP-response-trailer-size")]
    HttpResponseTrailerSize(FieldSizePayload),
    #[component(name = "HTTP-response-transfer-coding")]
    HttpResponseTransferCoding(Option<String>),
    #[component(name = "HTTP-response-content-coding")]
    HttpResponseContentCoding(Option<String>),
    #[component(name = "HTTP-response-timeout")]
    HttpResponseTimeout,
    #[component(name = "HTTP-upgrade-failed")]
    HttpUpgradeFailed,
    #[component(name = "HTTP-protocol-error")]
    HttpProtocolError,
    #[component(name = "loop-detected")]
    LoopDetected,
    #[component(name = "configuration-error")]
    ConfigurationError,
    #[component(name = "internal-error")]
    InternalError(Option<String>),
}

impl ErrorCode {
    /// The case the host named (`error` and `error_text` of
    /// `HttpIncomingResponse`); payloads other than `internal-error`'s text
    /// are `none`. `None` for a value past the last case.
    pub fn from_wire(value: u8, text: Option<&str>) -> Option<Self> {
        use ErrorCode as E;
        Some(match Wire::from_wire(value)? {
            Wire::DnsTimeout => E::DnsTimeout,
            Wire::DnsError => E::DnsError(DnsErrorPayload::default()),
            Wire::DestinationNotFound => E::DestinationNotFound,
            Wire::DestinationUnavailable => E::DestinationUnavailable,
            Wire::DestinationIpProhibited => E::DestinationIpProhibited,
            Wire::DestinationIpUnroutable => E::DestinationIpUnroutable,
            Wire::ConnectionRefused => E::ConnectionRefused,
            Wire::ConnectionTerminated => E::ConnectionTerminated,
            Wire::ConnectionTimeout => E::ConnectionTimeout,
            Wire::ConnectionReadTimeout => E::ConnectionReadTimeout,
            Wire::ConnectionWriteTimeout => E::ConnectionWriteTimeout,
            Wire::ConnectionLimitReached => E::ConnectionLimitReached,
            Wire::TlsProtocolError => E::TlsProtocolError,
            Wire::TlsCertificateError => E::TlsCertificateError,
            Wire::TlsAlertReceived => E::TlsAlertReceived(TlsAlertReceivedPayload::default()),
            Wire::HttpRequestDenied => E::HttpRequestDenied,
            Wire::HttpRequestLengthRequired => E::HttpRequestLengthRequired,
            Wire::HttpRequestBodySize => E::HttpRequestBodySize(None),
            Wire::HttpRequestMethodInvalid => E::HttpRequestMethodInvalid,
            Wire::HttpRequestUriInvalid => E::HttpRequestUriInvalid,
            Wire::HttpRequestUriTooLong => E::HttpRequestUriTooLong,
            Wire::HttpRequestHeaderSectionSize => E::HttpRequestHeaderSectionSize(None),
            Wire::HttpRequestHeaderSize => E::HttpRequestHeaderSize(None),
            Wire::HttpRequestTrailerSectionSize => E::HttpRequestTrailerSectionSize(None),
            Wire::HttpRequestTrailerSize => E::HttpRequestTrailerSize(FieldSizePayload::default()),
            Wire::HttpResponseIncomplete => E::HttpResponseIncomplete,
            Wire::HttpResponseHeaderSectionSize => E::HttpResponseHeaderSectionSize(None),
            Wire::HttpResponseHeaderSize => E::HttpResponseHeaderSize(FieldSizePayload::default()),
            Wire::HttpResponseBodySize => E::HttpResponseBodySize(None),
            Wire::HttpResponseTrailerSectionSize => E::HttpResponseTrailerSectionSize(None),
            Wire::HttpResponseTrailerSize => E::HttpResponseTrailerSize(FieldSizePayload::default()),
            Wire::HttpResponseTransferCoding => E::HttpResponseTransferCoding(None),
            Wire::HttpResponseContentCoding => E::HttpResponseContentCoding(None),
            Wire::HttpResponseTimeout => E::HttpResponseTimeout,
            Wire::HttpUpgradeFailed => E::HttpUpgradeFailed,
            Wire::HttpProtocolError => E::HttpProtocolError,
            Wire::LoopDetected => E::LoopDetected,
            Wire::ConfigurationError => E::ConfigurationError,
            Wire::InternalError => E::InternalError(text.map(ToString::to_string)),
        })
    }

    /// The text the host gets for an error code the component answered a
    /// request with: wasmtime's debug spelling (`ErrorCode::HttpRequestDenied`).
    pub fn debug_text(&self) -> String {
        alloc::format!("ErrorCode::{self:?}")
    }
}
