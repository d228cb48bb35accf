//! The library's error type.

use crate::hypervisor::HypervisorError;
use crate::image::ImageError;
use crate::mem::{BootImageError, MemoryConfigError, OutOfBounds};

pub use featherlight_wire::TrapCode;

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
    /// A call's arguments or results do not fit the I/O buffers.
    #[error(
        "a {len}-byte message does not fit the {capacity}-byte {buffer} buffer; raise {buffer}_size in MemoryConfig"
    )]
    MessageTooLarge {
        /// `input` or `output`.
        buffer: &'static str,
        /// Message size.
        len: usize,
        /// Buffer size.
        capacity: usize,
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
    /// The VM stopped in a way the guest runtime never causes on purpose.
    #[error("the guest VM failed: {0}")]
    GuestCrashed(String),
    /// The guest sent something the host cannot accept.
    #[error("malformed message from the guest: {0}")]
    Malformed(String),
    /// The guest pointed outside its memory.
    #[error("the guest pointed outside its memory: {0}")]
    OutOfBounds(#[from] OutOfBounds),
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
    /// An earlier failure left the sandbox unusable.
    #[error("the sandbox is poisoned by an earlier failure ({0}); restore a snapshot or create a new sandbox")]
    Poisoned(String),
    /// A resource handle is not one the other side was given: unknown,
    /// already dropped, or of another resource type. From the guest this
    /// means a forged handle; the sandbox is poisoned.
    #[error("invalid handle {handle} for resource `{resource}`: {reason}")]
    InvalidHandle {
        /// The resource type the handle was used as.
        resource: String,
        /// The handle number as given.
        handle: u32,
        /// What is wrong with it.
        reason: String,
    },
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
            | Self::GuestCrashed(_)
            | Self::Malformed(_)
            | Self::OutOfBounds(_)
            | Self::Hypervisor(_)
            | Self::Instantiate(_)
            | Self::Interrupted
            | Self::DeadlineExceeded { .. }
            | Self::Poisoned(_)
            | Self::InvalidHandle { .. } => true,
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
            featherlight_wire::WireError::Malformed(message) => Self::Malformed(message),
            featherlight_wire::WireError::Type(e) => Self::Type(e),
        }
    }
}
