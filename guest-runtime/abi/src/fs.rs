//! `wasi:filesystem` as host and guest exchange it in `FsRequest` /
//! `FsReply`: error codes, descriptor types and flag bits by their position
//! in the WIT, so both sides agree without strings.

/// `error-code`, in WIT order (the wire carries `1 + index`; 0 is success).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
#[allow(missing_docs, reason = "the WIT documents each case")]
pub enum ErrorCode {
    Access,
    WouldBlock,
    Already,
    BadDescriptor,
    Busy,
    Deadlock,
    Quota,
    Exist,
    FileTooLarge,
    IllegalByteSequence,
    InProgress,
    Interrupted,
    Invalid,
    Io,
    IsDirectory,
    Loop,
    TooManyLinks,
    MessageSize,
    NameTooLong,
    NoDevice,
    NoEntry,
    NoLock,
    InsufficientMemory,
    InsufficientSpace,
    NotDirectory,
    NotEmpty,
    NotRecoverable,
    Unsupported,
    NoTty,
    NoSuchDevice,
    Overflow,
    NotPermitted,
    Pipe,
    ReadOnly,
    InvalidSeek,
    TextFileBusy,
    CrossDevice,
}

impl ErrorCode {
    /// How many cases `error-code` has.
    pub const COUNT: u8 = 37;

    /// The byte an `FsReply` carries for this error.
    pub fn to_wire(self) -> u8 {
        self as u8 + 1
    }
}

/// `descriptor-type` cases, in WIT order.
pub mod descriptor_type {
    #![allow(missing_docs, reason = "the WIT documents each case")]
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const FIFO: u8 = 4;
    pub const SYMBOLIC_LINK: u8 = 5;
    pub const REGULAR_FILE: u8 = 6;
    pub const SOCKET: u8 = 7;
}

/// `descriptor-flags` bits, in WIT order.
pub mod descriptor_flags {
    #![allow(missing_docs, reason = "the WIT documents each flag")]
    pub const READ: u32 = 1 << 0;
    pub const WRITE: u32 = 1 << 1;
    pub const FILE_INTEGRITY_SYNC: u32 = 1 << 2;
    pub const DATA_INTEGRITY_SYNC: u32 = 1 << 3;
    pub const REQUESTED_WRITE_SYNC: u32 = 1 << 4;
    pub const MUTATE_DIRECTORY: u32 = 1 << 5;
}

/// `open-flags` bits, in WIT order.
pub mod open_flags {
    #![allow(missing_docs, reason = "the WIT documents each flag")]
    pub const CREATE: u32 = 1 << 0;
    pub const DIRECTORY: u32 = 1 << 1;
    pub const EXCLUSIVE: u32 = 1 << 2;
    pub const TRUNCATE: u32 = 1 << 3;
}

/// `path-flags` bits.
pub const SYMLINK_FOLLOW: u32 = 1;

/// The most bytes one `Read` moves: the guest's read-ahead of a file stream
/// (a little under the default 1 MiB input buffer, so a reply is one exit).
pub const MAX_READ: u64 = 960 * 1024;

/// The most bytes `descriptor.read` returns, and what a file stream's
/// `check-write` grants: wasmtime-wasi's 64 KiB.
pub const WASI_CHUNK: u64 = 64 * 1024;
