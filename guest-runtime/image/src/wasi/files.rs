//! What the guest keeps of the component's files (which descriptors it
//! holds, where its file streams stand, directory listings being read) and
//! the one exit that asks the host to do a filesystem operation.
//!
//! Descriptors are the host's numbers; the guest only remembers whether one
//! is a directory and whether its grant allows writing, so stream creation
//! answers as wasmtime-wasi does without an exit. Everything here lives in
//! guest memory, so a restore brings back the guest's view of it; the host
//! closes what was opened since (see the host's `wasi/filesystem.rs`).

use super::Datetime;
use super::fs_types::{DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode};
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use featherlight_abi::fb;

/// What the guest knows of a descriptor.
#[derive(Debug, Clone, Copy)]
pub struct DescriptorInfo {
    pub is_dir: bool,
    pub writable: bool,
}

/// A file's input or output stream.
#[derive(Debug)]
pub struct FileStream {
    pub fd: u32,
    /// Where the component stands in the file.
    pub position: u64,
    pub append: bool,
    pub closed: bool,
    /// Bytes read ahead from `position` on (`ahead[consumed..]`), valid
    /// while [`generation`] is `ahead_generation`.
    pub ahead: Vec<u8>,
    pub consumed: usize,
    pub ahead_generation: u64,
}

impl FileStream {
    pub fn new(fd: u32, position: u64, append: bool) -> Self {
        Self { fd, position, append, closed: false, ahead: Vec::new(), consumed: 0, ahead_generation: 0 }
    }

    /// The bytes read ahead that are still current.
    pub fn buffered(&self) -> &[u8] {
        if self.ahead_generation == generation() { self.ahead.get(self.consumed..).unwrap_or_default() } else { &[] }
    }
}

/// Bumped by every request that may change a file or a directory: what was
/// read ahead, or hashed while listing, before it is not used after it.
static GENERATION: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);

/// The current generation.
pub fn generation() -> u64 {
    GENERATION.load(core::sync::atomic::Ordering::Relaxed)
}

/// Whether `op` may change what reads, stats or listings answer.
fn changes_files(op: fb::FsOp) -> bool {
    use fb::FsOp as F;
    !matches!(
        op,
        F::Read
            | F::Stat
            | F::StatAt
            | F::ReadDirectory
            | F::MetadataHash
            | F::MetadataHashAt
            | F::GetFlags
            | F::GetType
            | F::ReadlinkAt
            | F::IsSameObject
            | F::Preopens
            | F::Advise
            | F::Sync
            | F::SyncData
            | F::Close
    )
}

/// The component's files. Stream and listing numbers start above stdio's.
#[derive(Debug)]
pub struct Files {
    pub descriptors: BTreeMap<u32, DescriptorInfo>,
    pub streams: BTreeMap<u32, FileStream>,
    pub listings: BTreeMap<u32, (Vec<DirectoryEntry>, usize, Option<ErrorCode>)>,
    /// Metadata hashes of entries listed by `read-directory` (by directory
    /// descriptor and name), for the `metadata-hash-at` wasi-libc asks for
    /// each entry; valid for one [`generation`].
    pub hashes: BTreeMap<(u32, String), (u64, u64)>,
    pub hashes_generation: u64,
    next: u32,
}

impl Default for Files {
    fn default() -> Self {
        Self {
            descriptors: BTreeMap::new(),
            streams: BTreeMap::new(),
            listings: BTreeMap::new(),
            hashes: BTreeMap::new(),
            hashes_generation: 0,
            next: 3,
        }
    }
}

impl Files {
    /// A fresh number for a stream or listing.
    pub fn next_rep(&mut self) -> u32 {
        let rep = self.next;
        self.next = self.next.wrapping_add(1).max(3);
        rep
    }
}

/// One filesystem request (fields as `FsRequest` documents them).
#[derive(Default)]
pub struct Request<'a> {
    pub op: fb::FsOp,
    pub fd: u32,
    pub fd2: u32,
    pub path: &'a str,
    pub path2: &'a str,
    pub flags: u32,
    pub flags2: u32,
    pub offset: u64,
    pub len: u64,
    pub data: &'a [u8],
}

/// The host's answer, copied out of the input buffer.
#[derive(Default)]
pub struct Reply {
    pub fd: u32,
    pub bytes: Vec<u8>,
    pub end: bool,
    pub value: u64,
    pub value2: u64,
    pub stat: Option<DescriptorStat>,
    /// Listed entries: type, name, metadata hash (lower half).
    pub entries: Vec<(u8, Vec<u8>, u64)>,
}

/// Asks the host to do `request`: the reply, or the operation's error code.
/// An exchange that fails traps the call.
pub fn call(request: &Request<'_>) -> wasmtime::Result<Result<Reply, ErrorCode>> {
    if changes_files(request.op) {
        GENERATION.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    }
    let mut fbb = flatbuffers::FlatBufferBuilder::with_capacity(request.data.len() + 128);
    let path = vector(&mut fbb, request.path.as_bytes());
    let path2 = vector(&mut fbb, request.path2.as_bytes());
    let data = vector(&mut fbb, request.data);
    let body = fb::FsRequest::create(
        &mut fbb,
        &fb::FsRequestArgs {
            op: request.op,
            fd: request.fd,
            fd2: request.fd2,
            path,
            path2,
            flags: request.flags,
            flags2: request.flags2,
            offset: request.offset,
            len: request.len,
            data,
        },
    );
    let root = fb::GuestMessage::create(
        &mut fbb,
        &fb::GuestMessageArgs { body_type: fb::GuestBody::FsRequest, body: Some(body.as_union_value()) },
    );
    fbb.finish_size_prefixed(root, None);
    let failed = |e: &dyn core::fmt::Display| wasmtime::Error::msg(alloc::format!("filesystem: {e}"));
    featherlight_guest::host::send(fbb.finished_data()).map_err(|e| failed(&e))?;
    let received = featherlight_guest::host::receive().map_err(|e| failed(&e))?;
    let message = received.open().map_err(|e| failed(&e))?;
    let reply = message.body_as_fs_reply().ok_or_else(|| failed(&"the host did not answer with an FsReply"))?;
    if reply.error() != 0 {
        return Ok(Err(ErrorCode::from_wire(reply.error())));
    }
    let time = |t: Option<&fb::FsTime>| t.map(|t| Datetime { seconds: t.seconds(), nanoseconds: t.nanoseconds() });
    let stat = reply.stat().map(|s| DescriptorStat {
        type_: DescriptorType::from_wire(s.type_()),
        link_count: s.link_count(),
        size: s.size(),
        data_access_timestamp: time(s.accessed()),
        data_modification_timestamp: time(s.modified()),
        status_change_timestamp: time(s.changed()),
    });
    let entries = reply
        .entries()
        .iter()
        .flatten()
        .map(|e| (e.type_(), e.name().map(|n| n.bytes().to_vec()).unwrap_or_default(), e.hash()))
        .collect();
    Ok(Ok(Reply {
        fd: reply.fd(),
        bytes: reply.bytes().map(|b| b.bytes().to_vec()).unwrap_or_default(),
        end: reply.end(),
        value: reply.value(),
        value2: reply.value2(),
        stat,
        entries,
    }))
}

fn vector<'a>(
    fbb: &mut flatbuffers::FlatBufferBuilder<'a>,
    bytes: &[u8],
) -> Option<flatbuffers::WIPOffset<flatbuffers::Vector<'a, u8>>> {
    (!bytes.is_empty()).then(|| fbb.create_vector(bytes))
}

/// A directory entry from the host's bytes (names are UTF-8: the host
/// checked).
pub fn entry(type_: u8, name: Vec<u8>) -> DirectoryEntry {
    let name = String::from_utf8(name).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).to_string());
    DirectoryEntry { type_: DescriptorType::from_wire(type_), name }
}
