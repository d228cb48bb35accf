//! How an import call fails: an error wasmtime carries as the trap's
//! cause, which the runtime turns into the failure the host gets.

use alloc::string::String;
use featherlight_abi::fb;
use featherlight_guest::host::ChannelError;

/// An import call that failed; carried through wasmtime as the trap's error.
#[derive(Debug)]
pub struct ImportFailure {
    pub kind: fb::ErrorKind,
    pub message: String,
    /// For [`fb::ErrorKind::MessageTooLarge`]: the message's size and the limit.
    pub sizes: Option<(u64, u64)>,
}

impl core::fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message)
    }
}

impl core::error::Error for ImportFailure {}

pub(crate) fn failure(kind: fb::ErrorKind, message: String) -> wasmtime::Error {
    wasmtime::Error::new(ImportFailure { kind, message, sizes: None })
}

/// A message to or from the host that could not travel: too large for the
/// sandbox's limit (the host learns both sizes), or unreadable.
pub(crate) fn channel_failure(error: &ChannelError, context: &str) -> wasmtime::Error {
    let message = alloc::format!("{context}: {error}");
    match *error {
        ChannelError::TooLarge { len, limit } => wasmtime::Error::new(ImportFailure {
            kind: fb::ErrorKind::MessageTooLarge,
            message,
            sizes: Some((len as u64, limit as u64)),
        }),
        _ => failure(fb::ErrorKind::Malformed, message),
    }
}
