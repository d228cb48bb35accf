//! How an import call fails: an error wasmtime carries as the trap's
//! cause, which the runtime turns into the failure the host gets.

use alloc::string::String;
use featherlight_abi::fb;

/// An import call that failed; carried through wasmtime as the trap's error.
#[derive(Debug)]
pub struct ImportFailure {
    pub kind: fb::ErrorKind,
    pub message: String,
}

impl core::fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message)
    }
}

impl core::error::Error for ImportFailure {}

pub(crate) fn failure(kind: fb::ErrorKind, message: String) -> wasmtime::Error {
    wasmtime::Error::new(ImportFailure { kind, message })
}
