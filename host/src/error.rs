//! The library's error type, and the typed reasons it carries for what a
//! guest did wrong ([`GuestViolation`], [`Malformed`], [`HandleProblem`]).

use crate::hypervisor::{Exit, ExitFailure, HypervisorError};
use crate::image::ImageError;
use crate::mem::{BootImageError, MemoryConfigError, OutOfBounds};
use std::sync::Arc;

pub use featherlight_wire::page_tables::PageTableViolation;
pub use featherlight_wire::{Composite, InvalidFlatbuffer, Malformed, TrapCode};

/// Everything that can go wrong in featherlight.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The hypervisor is missing or refused an operation.
    #[error(transparent)]
    Hypervisor(#[from] HypervisorError),
    /// A memory size in the configuration cannot work.
    #[error("invalid memory configuration: {0}")]
    MemoryConfig(#[from] MemoryConfigError),
    /// The host could not allocate guest memory.
    #[error("cannot allocate guest memory: {0}")]
    Memory(#[source] std::io::Error),
    /// The boot image (guest memory layout, page tables) could not be built.
    #[error(transparent)]
    BootImage(#[from] BootImageError),
    /// The embedded guest image is broken (a build problem).
    #[error(transparent)]
    Image(#[from] ImageError),
    /// Reading or writing a component or cache file failed.
    #[error("cannot read or write {}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The component could not be compiled or is not a valid component.
    #[error("cannot compile the component: {0}")]
    Compile(String),
    /// The component's WIT world could not be read or used.
    #[error(transparent)]
    World(#[from] crate::wasm::world::WorldError),
    /// A value does not match the WIT type it is used for.
    #[error(transparent)]
    Type(#[from] crate::wasm::types::TypeError),
    /// The guest runtime could not load or instantiate the component.
    #[error("cannot instantiate the component in the guest: {0}")]
    Instantiate(String),
    /// The component has no such export.
    #[error("the component exports no function `{0}`; `featherlight inspect` lists its exports")]
    NoSuchExport(String),
    /// A call had the wrong number of arguments.
    #[error("`{function}` takes {expected} arguments but {given} were given")]
    ArgumentCount {
        /// The export.
        function: String,
        /// Parameters it declares.
        expected: usize,
        /// Arguments given.
        given: usize,
    },
    /// A call's arguments or results, or a host function's, would exceed
    /// the sandbox's message size limit. Nothing of the message travelled.
    /// Refused arguments leave the sandbox as it was; results the guest
    /// could not send (a call's, or a host function's, which traps the
    /// component) poison it until restored, as a trap does.
    #[error(
        "a {len}-byte message between host and guest exceeds the sandbox's {limit}-byte limit; \
         raise max_message_size in MemoryConfig (featherlight run --max-message-size)"
    )]
    MessageTooLarge {
        /// The message's size in bytes.
        len: u64,
        /// `MemoryConfig::max_message_size`.
        limit: u64,
    },
    /// Wasm code trapped.
    #[error("{message}")]
    Trap {
        /// The trap's code.
        code: TrapCode,
        /// wasmtime's description, with the Wasm backtrace when known.
        message: String,
    },
    /// The guest called an import no host function was registered for.
    #[error("{message}")]
    UnknownImport {
        /// The import, as `interface#function`.
        message: String,
    },
    /// The component called `wasi:cli/exit` (in Rust: `std::process::exit`,
    /// or `main` returning an error). The instance cannot be entered again:
    /// the sandbox is poisoned until a restore, like after a trap.
    #[error("the component exited with status {code}")]
    Exit {
        /// The exit status (`exit(ok)` is 0, `exit(err)` is 1).
        code: i32,
    },
    /// The component used a WASI capability the embedder did not grant
    /// (filesystem or network access); the guest trapped on it.
    #[error("{message}")]
    NotGranted {
        /// The import and the capability it needs.
        message: String,
    },
    /// A host function failed; the guest trapped on it.
    #[error("host function `{function}` failed: {message}")]
    HostFunction {
        /// The import, as `interface#function`.
        function: String,
        /// The host function's error message.
        message: String,
        /// The host function's error, with the error it was made from
        /// ([`Error::host_error`] downcasts it). Not a `source`: `message`
        /// already says it.
        error: crate::HostError,
    },
    /// A component does not fit the world its typed bindings were made for.
    #[error(transparent)]
    WorldMismatch(#[from] crate::typed::WorldMismatch),
    /// The guest runtime panicked.
    #[error("the guest runtime panicked: {0}")]
    GuestPanic(String),
    /// A CPU exception in the guest runtime (not in Wasm code, which traps
    /// without exceptions).
    #[error(
        "CPU exception {vector} ({name}) in the guest at rip {rip:#x} (error code {error_code:#x}, \
         cr2 {cr2:#x})"
    )]
    GuestException {
        /// Exception vector.
        vector: u8,
        /// Mnemonic of the vector.
        name: &'static str,
        /// Faulting instruction.
        rip: u64,
        /// The CPU's error code.
        error_code: u64,
        /// Faulting address for page faults.
        cr2: u64,
    },
    /// The guest runtime's heap (the rest of scratch) is exhausted.
    #[error(
        "the guest ran out of memory ({heap_size}-byte heap); raise MemoryConfig::scratch_size, or cap Wasm \
         memories below it with MemoryConfig::max_wasm_memory"
    )]
    GuestOutOfMemory {
        /// The heap's size.
        heap_size: u64,
    },
    /// The guest did something the guest runtime never does: stopped the
    /// VM in a way it never asks for, used a port or memory it may not, or
    /// rewrote its page tables. What it did, and where, is typed.
    #[error("the guest VM failed: {0}")]
    GuestMisbehaved(#[from] GuestViolation),
    /// The guest sent a message the host cannot accept: what is wrong
    /// with it, and where, is typed.
    #[error("malformed message from the guest: {0}")]
    Malformed(#[from] Malformed),
    /// The guest pointed outside its memory.
    #[error("the guest pointed outside its memory: {0}")]
    OutOfBounds(#[from] OutOfBounds),
    /// A wasi:http request did not get a complete response (the guest itself
    /// ran to the end).
    #[error(transparent)]
    Http(#[from] crate::sandbox::http::HttpError),
    /// An [`InterruptHandle`](crate::InterruptHandle) stopped the call.
    #[error("the call was interrupted; restore a snapshot or create a new sandbox to call again")]
    Interrupted,
    /// The call ran past the sandbox's call timeout.
    #[error(
        "the call did not finish within its {after:?} timeout; raise it with Sandbox::set_call_timeout if it needs longer"
    )]
    DeadlineExceeded {
        /// The timeout.
        after: std::time::Duration,
    },
    /// A snapshot cannot be used with this sandbox or these host functions.
    #[error("{0}; restore only snapshots of sandboxes of the same Component with the same host functions")]
    SnapshotMismatch(String),
    /// An earlier failure left the sandbox unusable, until a restore
    /// ([`Sandbox::restore`](crate::Sandbox::restore)) or for good.
    #[error("the sandbox is poisoned since {by} failed ({cause}); restore a snapshot or create a new sandbox")]
    Poisoned {
        /// The failure that poisoned it, as it was returned then.
        #[source]
        cause: Arc<Error>,
        /// What failed.
        by: PoisonedBy,
    },
    /// A resource handle is not one the side using it was given: unknown,
    /// already dropped, or of another resource type. From the guest
    /// (`from: Side::Guest`, a handle to a host object) this means a forged
    /// handle and poisons the sandbox; from the host (a handle to one of the
    /// component's resources, checked by the guest before anything changed)
    /// it is the application's mistake and the sandbox stays usable.
    #[error("invalid handle {handle} for resource `{resource}` from {from}: {reason}")]
    InvalidHandle {
        /// The resource type the handle was used as.
        resource: String,
        /// The handle number as given.
        handle: u32,
        /// What is wrong with it.
        reason: HandleProblem,
        /// Who used it.
        from: Side,
    },
}

/// What a guest did that the guest runtime never does (see
/// [`Error::GuestMisbehaved`]). The sandbox is poisoned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GuestViolation {
    /// The guest triple-faulted (or otherwise shut the VM down).
    #[error("the guest shut down (triple fault)")]
    TripleFault,
    /// A write to guest-physical memory that is not writable guest memory.
    #[error("the guest wrote to unmapped guest-physical address {address:#x}")]
    UnmappedWrite {
        /// The guest-physical address.
        address: u64,
    },
    /// A read of guest-physical memory outside guest memory.
    #[error("the guest read unmapped guest-physical address {address:#x}")]
    UnmappedRead {
        /// The guest-physical address.
        address: u64,
    },
    /// Port input (`in`; on MSHV also string I/O): the guest only ever
    /// writes single values to its ports.
    #[error("port input from {port:#x}: the guest may only write to its ports")]
    PortInput {
        /// The port.
        port: u16,
    },
    /// A write to a port that is not one of featherlight's.
    #[error("the guest wrote to unknown port {port:#x}")]
    UnknownPort {
        /// The port.
        port: u16,
    },
    /// A request to commit linear memory outside the linear-memory area
    /// (the guest runtime asks only within its reservations).
    #[error("the guest asked to commit linear memory up to unit {value} of an area of {units} units")]
    LinearMemoryRequest {
        /// The requested end, in 2 MiB units from the area's start.
        value: u32,
        /// The area's size in the same units.
        units: u64,
    },
    /// The hypervisor stopped the guest in a way it cannot go on from.
    #[error(transparent)]
    Hypervisor(#[from] ExitFailure),
    /// An exit through the exception port whose exception frame is not in
    /// scratch memory (the stack pointer points elsewhere).
    #[error("CPU exception {vector} ({name}); its frame at rsp {rsp:#x} is outside the guest's scratch memory")]
    ExceptionFrameOutOfBounds {
        /// The vector the guest reported.
        vector: u8,
        /// Mnemonic of the vector.
        name: &'static str,
        /// The stack pointer, where the frame should be.
        rsp: u64,
    },
    /// A snapshot of a guest stopped elsewhere than at its message exit
    /// (it delivered its last result through an `out` of its own).
    #[error("the guest is not stopped at its message exit (rip {rip:#x}); cannot snapshot it")]
    NotAtMessageExit {
        /// Where it is stopped.
        rip: u64,
    },
    /// In guest copy-on-write mode: the guest rewrote the entry of a
    /// snapshot page in its page tables.
    #[error(transparent)]
    PageTables(#[from] PageTableViolation),
}

/// What failed and poisoned a sandbox (see [`Error::Poisoned`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PoisonedBy {
    /// A call (or a fault injected on purpose).
    Call,
    /// Delivering a host function's reply to the guest, which is left
    /// waiting for it (even errors that do not poison otherwise, such as a
    /// reply too large for the input buffer).
    HostReply,
    /// A restore: a half-restored sandbox is unusable, whatever the error.
    Restore,
}

impl std::fmt::Display for PoisonedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Call => "a call",
            Self::HostReply => "delivering a host function's reply",
            Self::Restore => "a restore",
        })
    }
}

/// Which side of the sandbox used a handle (see [`Error::InvalidHandle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The application, through the host (calls with handles to the
    /// component's resources).
    Host,
    /// The guest (handles to the host's objects).
    Guest,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Host => "the host",
            Self::Guest => "the guest",
        })
    }
}

/// What is wrong with a resource handle (see [`Error::InvalidHandle`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandleProblem {
    /// No handle with this number was ever issued.
    NeverIssued,
    /// It was dropped (or never issued: its slot now holds another handle,
    /// or none).
    Dropped,
    /// It is a live handle to another resource type: `actual`, where known.
    OtherResource {
        /// The resource type it is a handle to.
        actual: Option<String>,
    },
    /// The guest already holds as many handles to host objects as a
    /// sandbox allows; it must drop some first.
    TooMany {
        /// Most handles live at once.
        limit: usize,
    },
}

impl std::fmt::Display for HandleProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NeverIssued => f.write_str("it was never issued"),
            Self::Dropped => f.write_str("it was dropped or never issued"),
            Self::OtherResource { actual: Some(actual) } => write!(f, "it is a handle to `{actual}`"),
            Self::OtherResource { actual: None } => f.write_str("it is a handle to another resource type"),
            Self::TooMany { limit } => write!(f, "the guest holds {limit} handles already; drop some first"),
        }
    }
}

impl Error {
    /// Whether this error leaves the sandbox unusable (poisoned). One
    /// exhaustive match, no wildcard: a new variant must decide.
    pub fn is_poison_error(&self) -> bool {
        match self {
            Self::Trap { .. }
            | Self::UnknownImport { .. }
            | Self::HostFunction { .. }
            | Self::Exit { .. }
            | Self::NotGranted { .. }
            | Self::GuestPanic(_)
            | Self::GuestException { .. }
            | Self::GuestOutOfMemory { .. }
            | Self::GuestMisbehaved(_)
            | Self::Malformed(_)
            | Self::OutOfBounds(_)
            | Self::Hypervisor(_)
            | Self::Instantiate(_)
            | Self::Interrupted
            | Self::DeadlineExceeded { .. }
            | Self::Poisoned { .. } => true,
            // The guest refused the application's handle before changing
            // anything; a forged one from the guest is an attack.
            Self::InvalidHandle { from, .. } => *from == Side::Guest,
            Self::MemoryConfig(_)
            | Self::Memory(_)
            | Self::BootImage(_)
            | Self::Image(_)
            | Self::Io { .. }
            | Self::Compile(_)
            | Self::World(_)
            | Self::WorldMismatch(_)
            | Self::Type(_)
            | Self::NoSuchExport(_)
            | Self::ArgumentCount { .. }
            | Self::Http(_)
            | Self::MessageTooLarge { .. }
            | Self::SnapshotMismatch(_) => false,
        }
    }
}

impl Error {
    /// The error a host function failed with, if this is
    /// [`Error::HostFunction`] and that error was made from an `E` with
    /// [`HostError::new`](crate::HostError::new).
    pub fn host_error<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match self {
            Self::HostFunction { error, .. } => error.downcast_ref(),
            _ => None,
        }
    }
}

/// The mnemonic of an x86 exception vector.
pub(crate) fn exception_name(vector: u8) -> &'static str {
    match vector {
        0 => "#DE divide error",
        1 => "#DB debug",
        2 => "NMI",
        3 => "#BP breakpoint",
        4 => "#OF overflow",
        5 => "#BR bound range",
        6 => "#UD invalid opcode",
        7 => "#NM device not available",
        8 => "#DF double fault",
        10 => "#TS invalid TSS",
        11 => "#NP segment not present",
        12 => "#SS stack fault",
        13 => "#GP general protection",
        14 => "#PF page fault",
        16 => "#MF x87 floating point",
        17 => "#AC alignment check",
        18 => "#MC machine check",
        19 => "#XM SIMD floating point",
        255 => "guest runtime gave up",
        _ => "reserved",
    }
}

impl From<featherlight_wire::WireError> for Error {
    fn from(e: featherlight_wire::WireError) -> Self {
        match e {
            featherlight_wire::WireError::Malformed(malformed) => Self::Malformed(malformed),
            featherlight_wire::WireError::Type(e) => Self::Type(e),
        }
    }
}

impl Error {
    /// What an exit the host did not wait for says the guest did (any port
    /// output counts as one to an unknown port).
    pub(crate) fn from_exit(exit: Exit<'_>) -> Self {
        match exit {
            Exit::IoOut { port, .. } => GuestViolation::UnknownPort { port }.into(),
            Exit::Interrupted => Self::Interrupted,
            Exit::Shutdown => GuestViolation::TripleFault.into(),
            Exit::MmioWrite { address } => GuestViolation::UnmappedWrite { address }.into(),
            Exit::MmioRead { address } => GuestViolation::UnmappedRead { address }.into(),
            Exit::IoIn { port } => GuestViolation::PortInput { port }.into(),
            Exit::Failed(failure) => GuestViolation::Hypervisor(failure).into(),
        }
    }

    /// A copy of this error, to keep as the cause of a poisoned sandbox
    /// while the original goes to the caller. Exact except for I/O errors
    /// that are not OS errors, which keep their kind and message only.
    pub(crate) fn duplicate(&self) -> Self {
        match self {
            Self::Hypervisor(e) => Self::Hypervisor(duplicate_hypervisor_error(e)),
            Self::MemoryConfig(e) => Self::MemoryConfig(e.clone()),
            Self::Memory(e) => Self::Memory(duplicate_io(e)),
            Self::BootImage(BootImageError::Layout(text)) => Self::BootImage(BootImageError::Layout(text.clone())),
            Self::BootImage(BootImageError::Memory(e)) => Self::BootImage(BootImageError::Memory(duplicate_io(e))),
            Self::Image(e) => Self::Image(e.clone()),
            Self::Io { path, source } => Self::Io { path: path.clone(), source: duplicate_io(source) },
            Self::Compile(text) => Self::Compile(text.clone()),
            Self::World(e) => Self::World(e.clone()),
            Self::Type(e) => Self::Type(e.clone()),
            Self::Instantiate(text) => Self::Instantiate(text.clone()),
            Self::NoSuchExport(name) => Self::NoSuchExport(name.clone()),
            Self::ArgumentCount { function, expected, given } => {
                Self::ArgumentCount { function: function.clone(), expected: *expected, given: *given }
            }
            Self::MessageTooLarge { len, limit } => Self::MessageTooLarge { len: *len, limit: *limit },
            Self::Trap { code, message } => Self::Trap { code: *code, message: message.clone() },
            Self::UnknownImport { message } => Self::UnknownImport { message: message.clone() },
            Self::Exit { code } => Self::Exit { code: *code },
            Self::NotGranted { message } => Self::NotGranted { message: message.clone() },
            Self::HostFunction { function, message, error } => {
                Self::HostFunction { function: function.clone(), message: message.clone(), error: error.clone() }
            }
            Self::WorldMismatch(e) => Self::WorldMismatch(e.clone()),
            Self::GuestPanic(text) => Self::GuestPanic(text.clone()),
            Self::GuestException { vector, name, rip, error_code, cr2 } => {
                Self::GuestException { vector: *vector, name, rip: *rip, error_code: *error_code, cr2: *cr2 }
            }
            Self::GuestOutOfMemory { heap_size } => Self::GuestOutOfMemory { heap_size: *heap_size },
            Self::GuestMisbehaved(violation) => Self::GuestMisbehaved(violation.clone()),
            Self::Malformed(malformed) => Self::Malformed(malformed.clone()),
            Self::OutOfBounds(e) => Self::OutOfBounds(e.clone()),
            Self::Http(e) => Self::Http(e.clone()),
            Self::Interrupted => Self::Interrupted,
            Self::DeadlineExceeded { after } => Self::DeadlineExceeded { after: *after },
            Self::SnapshotMismatch(text) => Self::SnapshotMismatch(text.clone()),
            Self::Poisoned { cause, by } => Self::Poisoned { cause: cause.clone(), by: *by },
            Self::InvalidHandle { resource, handle, reason, from } => {
                Self::InvalidHandle { resource: resource.clone(), handle: *handle, reason: reason.clone(), from: *from }
            }
        }
    }
}

fn duplicate_hypervisor_error(error: &HypervisorError) -> HypervisorError {
    match error {
        HypervisorError::Open { device, advice, source } => {
            HypervisorError::Open { device, advice: advice.clone(), source: duplicate_io(source) }
        }
        HypervisorError::NoneUsable(text) => HypervisorError::NoneUsable(text.clone()),
        HypervisorError::NotCompiledIn(what, feature) => HypervisorError::NotCompiledIn(what, feature),
        HypervisorError::Ioctl { hypervisor, operation, source } => {
            HypervisorError::Ioctl { hypervisor: *hypervisor, operation, source: duplicate_io(source) }
        }
        HypervisorError::Unsupported { hypervisor, what } => {
            HypervisorError::Unsupported { hypervisor: *hypervisor, what }
        }
        HypervisorError::RanGuestCode { exit } => HypervisorError::RanGuestCode { exit },
        HypervisorError::MissingCpuFeatures { missing } => {
            HypervisorError::MissingCpuFeatures { missing: missing.clone() }
        }
    }
}

/// An OS error exactly; any other I/O error by kind and message.
fn duplicate_io(error: &std::io::Error) -> std::io::Error {
    match error.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::new(error.kind(), error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_sandbox_keeps_a_typed_copy_of_its_cause() {
        let cause = Error::Memory(std::io::Error::from_raw_os_error(libc::ENOMEM));
        let copy = cause.duplicate();
        assert!(matches!(&copy, Error::Memory(e) if e.raw_os_error() == Some(libc::ENOMEM)));
        assert_eq!(copy.to_string(), cause.to_string());
        let other = Error::Io { path: "x".into(), source: std::io::Error::other("disk on fire") };
        assert!(matches!(other.duplicate(), Error::Io { source, .. } if source.to_string() == "disk on fire"));
        let violation = Error::GuestMisbehaved(GuestViolation::UnknownPort { port: 0xe5 });
        assert!(matches!(violation.duplicate(), Error::GuestMisbehaved(GuestViolation::UnknownPort { port: 0xe5 })));

        let poisoned = Error::Poisoned { cause: Arc::new(violation), by: PoisonedBy::Restore };
        assert_eq!(
            poisoned.to_string(),
            "the sandbox is poisoned since a restore failed (the guest VM failed: the guest wrote to unknown port \
             0xe5); restore a snapshot or create a new sandbox"
        );
        // The error chain goes on with the cause (as the `Arc` it is kept in).
        let source = std::error::Error::source(&poisoned).expect("the cause is the source");
        assert!(matches!(source.downcast_ref::<Arc<Error>>().map(|e| &**e), Some(Error::GuestMisbehaved(_))));
        assert!(poisoned.is_poison_error());
    }

    #[test]
    fn only_the_guests_invalid_handles_poison() {
        let invalid =
            |from| Error::InvalidHandle { resource: "i#r".into(), handle: 3, reason: HandleProblem::Dropped, from };
        assert!(invalid(Side::Guest).is_poison_error());
        assert!(!invalid(Side::Host).is_poison_error());
        assert_eq!(
            invalid(Side::Host).to_string(),
            "invalid handle 3 for resource `i#r` from the host: it was dropped or never issued"
        );
    }
}
