//! A failed call or instantiation, as the guest reports it to the host.

use crate::import_failure::ImportFailure;
use crate::wasi::Exit;
use alloc::string::{String, ToString};
use featherlight_abi::fb;
use featherlight_guest::host::ChannelError;

/// A failed call or instantiation, as it goes back to the host.
#[derive(Debug)]
pub struct Failure {
    pub kind: fb::ErrorKind,
    pub message: String,
    /// The status, for [`fb::ErrorKind::Exit`].
    pub exit_code: i32,
    /// The handle, for [`fb::ErrorKind::InvalidHandle`] and
    /// [`fb::ErrorKind::WrongHandleType`].
    pub handle: u32,
    /// For [`fb::ErrorKind::MessageTooLarge`]: the message's size and the limit.
    pub sizes: (u64, u64),
}

impl Failure {
    pub fn new(kind: fb::ErrorKind, message: impl ToString) -> Self {
        Self { kind, message: message.to_string(), exit_code: 0, handle: 0, sizes: (0, 0) }
    }

    /// Classifies an error from wasmtime: a trap keeps its code, our import
    /// failures keep theirs, anything else is `kind`.
    pub fn from_wasmtime(error: wasmtime::Error, kind: fb::ErrorKind) -> Self {
        if let Some(exit) = error.downcast_ref::<Exit>() {
            return Self { exit_code: exit.0, ..Self::new(fb::ErrorKind::Exit, exit) };
        }
        if let Some(import) = error.downcast_ref::<ImportFailure>() {
            return Self { sizes: import.sizes.unwrap_or_default(), ..Self::new(import.kind, &import.message) };
        }
        if let Some(trap) = error.downcast_ref::<wasmtime::Trap>() {
            return Self::new(trap_kind(*trap), alloc::format!("{error:?}"));
        }
        Self::new(kind, alloc::format!("{error:?}"))
    }
}

impl From<ChannelError> for Failure {
    /// A message that could not travel: too large (the host learns both
    /// sizes) or unreadable.
    fn from(error: ChannelError) -> Self {
        match error {
            ChannelError::TooLarge { len, limit } => {
                Self { sizes: (len as u64, limit as u64), ..Self::new(fb::ErrorKind::MessageTooLarge, error) }
            }
            other => Self::new(fb::ErrorKind::Malformed, other),
        }
    }
}

fn trap_kind(trap: wasmtime::Trap) -> fb::ErrorKind {
    use fb::ErrorKind as K;
    use wasmtime::Trap as T;
    match trap {
        T::StackOverflow => K::StackOverflow,
        T::MemoryOutOfBounds => K::MemoryOutOfBounds,
        T::HeapMisaligned => K::HeapMisaligned,
        T::TableOutOfBounds => K::TableOutOfBounds,
        T::IndirectCallToNull => K::IndirectCallToNull,
        T::BadSignature => K::BadSignature,
        T::IntegerOverflow => K::IntegerOverflow,
        T::IntegerDivisionByZero => K::IntegerDivisionByZero,
        T::BadConversionToInteger => K::BadConversionToInteger,
        T::UnreachableCodeReached => K::UnreachableCodeReached,
        T::Interrupt => K::Interrupt,
        T::OutOfFuel => K::OutOfFuel,
        T::CannotEnterComponent => K::CannotEnterComponent,
        _ => K::Other,
    }
}
