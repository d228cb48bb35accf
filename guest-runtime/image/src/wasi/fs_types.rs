//! The `wasi:filesystem` types as the component sees them, with their
//! conversions from the host's wire numbers (`featherlight_abi::fs`).

use super::Datetime;
use alloc::string::String;
use wasmtime::component::{ComponentType, Lift, Lower};

/// `error-code`, in WIT order.
#[derive(ComponentType, Lower, Lift, Clone, Copy, Debug, PartialEq, Eq)]
#[component(enum)]
#[repr(u8)]
pub enum ErrorCode {
    #[component(name = "access")]
    Access,
    #[component(name = "would-block")]
    WouldBlock,
    #[component(name = "already")]
    Already,
    #[component(name = "bad-descriptor")]
    BadDescriptor,
    #[component(name = "busy")]
    Busy,
    #[component(name = "deadlock")]
    Deadlock,
    #[component(name = "quota")]
    Quota,
    #[component(name = "exist")]
    Exist,
    #[component(name = "file-too-large")]
    FileTooLarge,
    #[component(name = "illegal-byte-sequence")]
    IllegalByteSequence,
    #[component(name = "in-progress")]
    InProgress,
    #[component(name = "interrupted")]
    Interrupted,
    #[component(name = "invalid")]
    Invalid,
    #[component(name = "io")]
    Io,
    #[component(name = "is-directory")]
    IsDirectory,
    #[component(name = "loop")]
    Loop,
    #[component(name = "too-many-links")]
    TooManyLinks,
    #[component(name = "message-size")]
    MessageSize,
    #[component(name = "name-too-long")]
    NameTooLong,
    #[component(name = "no-device")]
    NoDevice,
    #[component(name = "no-entry")]
    NoEntry,
    #[component(name = "no-lock")]
    NoLock,
    #[component(name = "insufficient-memory")]
    InsufficientMemory,
    #[component(name = "insufficient-space")]
    InsufficientSpace,
    #[component(name = "not-directory")]
    NotDirectory,
    #[component(name = "not-empty")]
    NotEmpty,
    #[component(name = "not-recoverable")]
    NotRecoverable,
    #[component(name = "unsupported")]
    Unsupported,
    #[component(name = "no-tty")]
    NoTty,
    #[component(name = "no-such-device")]
    NoSuchDevice,
    #[component(name = "overflow")]
    Overflow,
    #[component(name = "not-permitted")]
    NotPermitted,
    #[component(name = "pipe")]
    Pipe,
    #[component(name = "read-only")]
    ReadOnly,
    #[component(name = "invalid-seek")]
    InvalidSeek,
    #[component(name = "text-file-busy")]
    TextFileBusy,
    #[component(name = "cross-device")]
    CrossDevice,
}

const ERROR_CODES: [ErrorCode; 37] = [
    ErrorCode::Access,
    ErrorCode::WouldBlock,
    ErrorCode::Already,
    ErrorCode::BadDescriptor,
    ErrorCode::Busy,
    ErrorCode::Deadlock,
    ErrorCode::Quota,
    ErrorCode::Exist,
    ErrorCode::FileTooLarge,
    ErrorCode::IllegalByteSequence,
    ErrorCode::InProgress,
    ErrorCode::Interrupted,
    ErrorCode::Invalid,
    ErrorCode::Io,
    ErrorCode::IsDirectory,
    ErrorCode::Loop,
    ErrorCode::TooManyLinks,
    ErrorCode::MessageSize,
    ErrorCode::NameTooLong,
    ErrorCode::NoDevice,
    ErrorCode::NoEntry,
    ErrorCode::NoLock,
    ErrorCode::InsufficientMemory,
    ErrorCode::InsufficientSpace,
    ErrorCode::NotDirectory,
    ErrorCode::NotEmpty,
    ErrorCode::NotRecoverable,
    ErrorCode::Unsupported,
    ErrorCode::NoTty,
    ErrorCode::NoSuchDevice,
    ErrorCode::Overflow,
    ErrorCode::NotPermitted,
    ErrorCode::Pipe,
    ErrorCode::ReadOnly,
    ErrorCode::InvalidSeek,
    ErrorCode::TextFileBusy,
    ErrorCode::CrossDevice,
];

impl ErrorCode {
    /// The code an `FsReply` carries (`1 + index`); an unknown one is `io`.
    pub fn from_wire(wire: u8) -> Self {
        ERROR_CODES.get(usize::from(wire).wrapping_sub(1)).copied().unwrap_or(ErrorCode::Io)
    }
}

/// `descriptor-type`, in WIT order.
#[derive(ComponentType, Lower, Lift, Clone, Copy, Debug, PartialEq, Eq)]
#[component(enum)]
#[repr(u8)]
pub enum DescriptorType {
    #[component(name = "unknown")]
    Unknown,
    #[component(name = "block-device")]
    BlockDevice,
    #[component(name = "character-device")]
    CharacterDevice,
    #[component(name = "directory")]
    Directory,
    #[component(name = "fifo")]
    Fifo,
    #[component(name = "symbolic-link")]
    SymbolicLink,
    #[component(name = "regular-file")]
    RegularFile,
    #[component(name = "socket")]
    Socket,
}

const DESCRIPTOR_TYPES: [DescriptorType; 8] = [
    DescriptorType::Unknown,
    DescriptorType::BlockDevice,
    DescriptorType::CharacterDevice,
    DescriptorType::Directory,
    DescriptorType::Fifo,
    DescriptorType::SymbolicLink,
    DescriptorType::RegularFile,
    DescriptorType::Socket,
];

impl DescriptorType {
    /// From the host's number; an unknown one is `unknown`.
    pub fn from_wire(wire: u8) -> Self {
        DESCRIPTOR_TYPES.get(usize::from(wire)).copied().unwrap_or(DescriptorType::Unknown)
    }
}

wasmtime::component::flags! {
    DescriptorFlags {
        #[component(name = "read")]
        const READ;
        #[component(name = "write")]
        const WRITE;
        #[component(name = "file-integrity-sync")]
        const FILE_INTEGRITY_SYNC;
        #[component(name = "data-integrity-sync")]
        const DATA_INTEGRITY_SYNC;
        #[component(name = "requested-write-sync")]
        const REQUESTED_WRITE_SYNC;
        #[component(name = "mutate-directory")]
        const MUTATE_DIRECTORY;
    }
}

wasmtime::component::flags! {
    PathFlags {
        #[component(name = "symlink-follow")]
        const SYMLINK_FOLLOW;
    }
}

wasmtime::component::flags! {
    OpenFlags {
        #[component(name = "create")]
        const CREATE;
        #[component(name = "directory")]
        const DIRECTORY;
        #[component(name = "exclusive")]
        const EXCLUSIVE;
        #[component(name = "truncate")]
        const TRUNCATE;
    }
}

const DESCRIPTOR_FLAGS: [DescriptorFlags; 6] = [
    DescriptorFlags::READ,
    DescriptorFlags::WRITE,
    DescriptorFlags::FILE_INTEGRITY_SYNC,
    DescriptorFlags::DATA_INTEGRITY_SYNC,
    DescriptorFlags::REQUESTED_WRITE_SYNC,
    DescriptorFlags::MUTATE_DIRECTORY,
];
const OPEN_FLAGS: [OpenFlags; 4] = [OpenFlags::CREATE, OpenFlags::DIRECTORY, OpenFlags::EXCLUSIVE, OpenFlags::TRUNCATE];

/// Bit `i` set for each flag of `all[i]` that `flags` has.
fn bits<F: Copy + PartialEq + core::ops::BitAnd<Output = F>>(flags: F, all: &[F]) -> u32 {
    all.iter().enumerate().filter(|(_, f)| (flags & **f) == **f).fold(0, |acc, (i, _)| acc | (1 << i))
}

impl DescriptorFlags {
    /// The wire's bits (WIT order).
    pub fn to_bits(self) -> u32 {
        bits(self, &DESCRIPTOR_FLAGS)
    }

    /// From the wire's bits; unknown bits are ignored.
    pub fn from_bits(wire: u32) -> Self {
        DESCRIPTOR_FLAGS
            .iter()
            .enumerate()
            .filter(|(i, _)| wire & (1 << i) != 0)
            .fold(Self::empty(), |acc, (_, f)| acc | *f)
    }
}

impl OpenFlags {
    /// The wire's bits (WIT order).
    pub fn to_bits(self) -> u32 {
        bits(self, &OPEN_FLAGS)
    }
}

impl PathFlags {
    /// The wire's bits.
    pub fn to_bits(self) -> u32 {
        u32::from(self.contains(PathFlags::SYMLINK_FOLLOW))
    }
}

/// `descriptor-stat`.
#[derive(ComponentType, Lower, Clone, Copy, Debug)]
#[component(record)]
pub struct DescriptorStat {
    #[component(name = "type")]
    pub type_: DescriptorType,
    #[component(name = "link-count")]
    pub link_count: u64,
    pub size: u64,
    #[component(name = "data-access-timestamp")]
    pub data_access_timestamp: Option<Datetime>,
    #[component(name = "data-modification-timestamp")]
    pub data_modification_timestamp: Option<Datetime>,
    #[component(name = "status-change-timestamp")]
    pub status_change_timestamp: Option<Datetime>,
}

/// `directory-entry`.
#[derive(ComponentType, Lower, Clone, Debug)]
#[component(record)]
pub struct DirectoryEntry {
    #[component(name = "type")]
    pub type_: DescriptorType,
    pub name: String,
}

/// `metadata-hash-value`.
#[derive(ComponentType, Lower, Clone, Copy, Debug)]
#[component(record)]
pub struct MetadataHashValue {
    pub lower: u64,
    pub upper: u64,
}

/// `new-timestamp`.
#[allow(dead_code, reason = "lifted from the component; set-times is not forwarded yet")]
#[derive(ComponentType, Lift, Clone, Copy)]
#[component(variant)]
pub enum NewTimestamp {
    #[component(name = "no-change")]
    NoChange,
    #[component(name = "now")]
    Now,
    #[component(name = "timestamp")]
    Timestamp(Datetime),
}

/// `advice`, in WIT order.
#[allow(dead_code, reason = "the cases are lifted from the component, never built here")]
#[derive(ComponentType, Lift, Clone, Copy)]
#[component(enum)]
#[repr(u8)]
pub enum Advice {
    #[component(name = "normal")]
    Normal,
    #[component(name = "sequential")]
    Sequential,
    #[component(name = "random")]
    Random,
    #[component(name = "will-need")]
    WillNeed,
    #[component(name = "dont-need")]
    DontNeed,
    #[component(name = "no-reuse")]
    NoReuse,
}
