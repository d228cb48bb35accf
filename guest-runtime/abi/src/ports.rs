//! I/O ports the guest leaves the VM through. The host's TSS I/O permission
//! bitmap allows exactly these ports to CPL3 code (PVM forces IOPL to 0).

/// A [`crate::fb::GuestMessage`] is ready at offset 0 of the output buffer.
pub const MESSAGE: u16 = 0xE0;
/// A CPU exception reached the guest's handler. `eax` holds the vector; the
/// stack pointer points at [`ExceptionFrame`](crate::layout::ExceptionFrame).
pub const EXCEPTION: u16 = 0xE1;
/// Codes in `eax` on [`EXCEPTION`] beyond the CPU's vectors (0-31): the
/// guest runtime stopped for good without a usable message.
pub mod stop {
    /// The guest heap is exhausted (an allocation that may not fail did).
    pub const OUT_OF_MEMORY: u32 = 254;
    /// The guest runtime gave up (bad boot parameters, a panic while
    /// reporting a panic).
    pub const FATAL: u32 = 255;
}

/// Used by the host's raw-exit benchmark guest: no payload.
pub const PING: u16 = 0xE2;

/// Commit more of a linear memory's reservation: `eax` holds
/// [`crate::linear_memory::request`]. The host maps it and resumes the
/// guest; a request outside the linear-memory area is a guest violation.
pub const LINEAR_MEMORY: u16 = 0xE3;

/// The lowest and highest port the guest may use.
pub const FIRST: u16 = MESSAGE;
/// See [`FIRST`].
pub const LAST: u16 = LINEAR_MEMORY;

/// Widest `out` the guest issues (`out dx, eax`). The CPU checks the I/O
/// bitmap bit of every port an access covers, so the bitmap must open
/// `FIRST..=LAST + ACCESS_WIDTH - 1`; the host rejects exits on the
/// extra ports as unknown.
pub const ACCESS_WIDTH: u16 = 4;

/// The last port the I/O bitmap opens.
pub const LAST_OPEN: u16 = LAST + ACCESS_WIDTH - 1;
