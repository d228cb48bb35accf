//! Decoding the guest's `wasi:filesystem` requests (`FsRequest`): the
//! operation, the descriptors it names and its paths. Everything here is
//! the guest's choice: descriptors are checked against the sandbox's table
//! by the host, paths by [`path`] before any system call sees them.

use crate::malformed::Malformed;
use featherlight_abi::fb;

/// One filesystem operation the guest asks for (fields unchecked beyond
/// their types: the host checks descriptors, paths and lengths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsRequest<'a> {
    /// What to do.
    pub op: FsOp,
    /// The descriptor it applies to.
    pub fd: u32,
    /// The second descriptor (`link-at`, `rename-at`, `is-same-object`).
    pub fd2: u32,
    /// The path (bytes, unchecked).
    pub path: &'a [u8],
    /// The second path (`link-at`, `rename-at`, `symlink-at`).
    pub path2: &'a [u8],
    /// path-flags, or a new descriptor's descriptor-flags.
    pub flags: u32,
    /// open-flags, or an advice.
    pub flags2: u32,
    /// An offset in the file.
    pub offset: u64,
    /// A length (bytes to read, a size to set).
    pub len: u64,
    /// Bytes to write.
    pub data: &'a [u8],
}

/// The operations of `FsRequest`, one per `wasi:filesystem` call that
/// reaches the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs, reason = "named after the wasi:filesystem functions")]
pub enum FsOp {
    Close,
    OpenAt,
    Read,
    Write,
    Append,
    Stat,
    StatAt,
    ReadDirectory,
    CreateDirectoryAt,
    RemoveDirectoryAt,
    UnlinkFileAt,
    RenameAt,
    SetSize,
    Sync,
    SyncData,
    MetadataHash,
    MetadataHashAt,
    GetFlags,
    GetType,
    ReadlinkAt,
    SymlinkAt,
    LinkAt,
    Advise,
    IsSameObject,
    Preopens,
}

/// Decodes a verified `FsRequest` table.
pub fn decode_request<'a>(request: fb::FsRequest<'a>) -> Result<FsRequest<'a>, Malformed> {
    use fb::FsOp as F;
    let op = match request.op() {
        F::Close => FsOp::Close,
        F::OpenAt => FsOp::OpenAt,
        F::Read => FsOp::Read,
        F::Write => FsOp::Write,
        F::Append => FsOp::Append,
        F::Stat => FsOp::Stat,
        F::StatAt => FsOp::StatAt,
        F::ReadDirectory => FsOp::ReadDirectory,
        F::CreateDirectoryAt => FsOp::CreateDirectoryAt,
        F::RemoveDirectoryAt => FsOp::RemoveDirectoryAt,
        F::UnlinkFileAt => FsOp::UnlinkFileAt,
        F::RenameAt => FsOp::RenameAt,
        F::SetSize => FsOp::SetSize,
        F::Sync => FsOp::Sync,
        F::SyncData => FsOp::SyncData,
        F::MetadataHash => FsOp::MetadataHash,
        F::MetadataHashAt => FsOp::MetadataHashAt,
        F::GetFlags => FsOp::GetFlags,
        F::GetType => FsOp::GetType,
        F::ReadlinkAt => FsOp::ReadlinkAt,
        F::SymlinkAt => FsOp::SymlinkAt,
        F::LinkAt => FsOp::LinkAt,
        F::Advise => FsOp::Advise,
        F::IsSameObject => FsOp::IsSameObject,
        F::Preopens => FsOp::Preopens,
        other => return Err(Malformed::UnknownFsOp { op: other.0 }),
    };
    Ok(FsRequest {
        op,
        fd: request.fd(),
        fd2: request.fd2(),
        path: bytes(request.path()),
        path2: bytes(request.path2()),
        flags: request.flags(),
        flags2: request.flags2(),
        offset: request.offset(),
        len: request.len(),
        data: bytes(request.data()),
    })
}

fn bytes<'a>(vector: Option<flatbuffers::Vector<'a, u8>>) -> &'a [u8] {
    vector.map(|v| v.bytes()).unwrap_or_default()
}

/// Why a path cannot reach a system call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// It contains a NUL byte (wasmtime-wasi answers `invalid`).
    #[error("the path contains a NUL byte")]
    Nul,
    /// It is not UTF-8 (a WIT string always is: only a hostile guest sends
    /// this; answered `illegal-byte-sequence`).
    #[error("the path is not UTF-8")]
    NotUtf8,
}

/// Checks a guest path: UTF-8, without NUL.
pub fn path(bytes: &[u8]) -> Result<&str, PathError> {
    let text = core::str::from_utf8(bytes).map_err(|_| PathError::NotUtf8)?;
    if text.as_bytes().contains(&0) {
        return Err(PathError::Nul);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked() {
        assert_eq!(path(b"a/b"), Ok("a/b"));
        assert_eq!(path(b"a\0b"), Err(PathError::Nul));
        assert_eq!(path(b"\xff"), Err(PathError::NotUtf8));
        assert_eq!(path(b""), Ok(""));
    }
}
