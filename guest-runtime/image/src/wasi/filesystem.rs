//! `wasi:filesystem` (types and preopens) forwarded to the host: each
//! operation is one `FsRequest` exit, answered as wasmtime-wasi answers it
//! (the host does the checks and system calls; see `files.rs`). File streams
//! (`read-via-stream`, `write-via-stream`, `append-via-stream`) are served
//! here for `wasi:io/streams`: reads of at most 64 KiB, writes of any size,
//! one exit each.

use super::files::{self, DescriptorInfo, FileStream, Reply, Request};
use super::fs_types::{
    Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode, MetadataHashValue,
    NewTimestamp, OpenFlags, PathFlags,
};
use super::{Ctx, InputStream, IoError, OutputStream, StreamError};
use crate::store::Host;
use alloc::string::String;
use alloc::vec::Vec;
use featherlight_abi::fb;
use featherlight_abi::fs::{MAX_READ, WASI_CHUNK};
use wasmtime::Result;

/// wasmtime-wasi's upper half of a metadata hash: the lower half xor this.
const HASH_UPPER: u64 = 4_614_256_656_552_045_848;
use wasmtime::component::{LinkerInstance, Resource};

/// `descriptor`: its rep is the host's descriptor number.
pub struct Descriptor;
/// `directory-entry-stream`: its rep numbers a listing in [`files::Files`].
pub struct DirectoryEntryStream;

type Fs<T> = core::result::Result<T, ErrorCode>;
type Fd = Resource<Descriptor>;

/// Runs `request` on the host.
fn host(request: Request<'_>) -> Result<Fs<Reply>> {
    files::call(&request)
}

/// Runs an operation on descriptor `fd` that answers nothing.
fn simple(op: fb::FsOp, fd: &Fd, path: &str) -> Result<Fs<()>> {
    Ok(host(Request { op, fd: fd.rep(), path, ..Request::default() })?.map(|_| ()))
}

fn info(store: &Ctx, fd: &Fd) -> Fs<DescriptorInfo> {
    store.data().wasi.files.descriptors.get(&fd.rep()).copied().ok_or(ErrorCode::BadDescriptor)
}

/// A new file stream on `fd` at `position`.
fn stream(store: &mut Ctx, fd: u32, position: u64, append: bool) -> u32 {
    let files = &mut store.data_mut().wasi.files;
    let rep = files.next_rep();
    files.streams.insert(rep, FileStream::new(fd, position, append));
    rep
}

pub fn types(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("[method]descriptor.read-via-stream", |mut store: Ctx, (fd, offset): (Fd, u64)| {
        let result = match info(&store, &fd) {
            Ok(i) if i.is_dir => Err(ErrorCode::IsDirectory),
            Ok(_) => Ok(Resource::<InputStream>::new_own(stream(&mut store, fd.rep(), offset, false))),
            Err(e) => Err(e),
        };
        Ok((result,))
    })?;
    let writer = |store: &mut Ctx, fd: &Fd, offset: u64, append: bool| match info(store, fd) {
        Ok(i) if i.is_dir => Err(ErrorCode::BadDescriptor),
        Ok(i) if !i.writable => Err(ErrorCode::NotPermitted),
        Ok(_) => Ok(Resource::<OutputStream>::new_own(stream(store, fd.rep(), offset, append))),
        Err(e) => Err(e),
    };
    instance.func_wrap("[method]descriptor.write-via-stream", move |mut store: Ctx, (fd, offset): (Fd, u64)| {
        Ok((writer(&mut store, &fd, offset, false),))
    })?;
    instance.func_wrap("[method]descriptor.append-via-stream", move |mut store: Ctx, (fd,): (Fd,)| {
        Ok((writer(&mut store, &fd, 0, true),))
    })?;
    instance.func_wrap("[method]descriptor.advise", |_: Ctx, (fd, offset, len, advice): (Fd, u64, u64, Advice)| {
        let request =
            Request { op: fb::FsOp::Advise, fd: fd.rep(), offset, len, flags2: advice as u32, ..Request::default() };
        Ok((host(request)?.map(|_| ()),))
    })?;
    instance.func_wrap("[method]descriptor.sync-data", |_: Ctx, (fd,): (Fd,)| {
        Ok((simple(fb::FsOp::SyncData, &fd, "")?,))
    })?;
    instance.func_wrap("[method]descriptor.sync", |_: Ctx, (fd,): (Fd,)| Ok((simple(fb::FsOp::Sync, &fd, "")?,)))?;
    instance.func_wrap("[method]descriptor.get-flags", |_: Ctx, (fd,): (Fd,)| {
        let reply = host(Request { op: fb::FsOp::GetFlags, fd: fd.rep(), ..Request::default() })?;
        Ok((reply.map(|r| DescriptorFlags::from_bits(u32::try_from(r.value).unwrap_or(0))),))
    })?;
    instance.func_wrap("[method]descriptor.get-type", |_: Ctx, (fd,): (Fd,)| {
        let reply = host(Request { op: fb::FsOp::GetType, fd: fd.rep(), ..Request::default() })?;
        Ok((reply.map(|r| DescriptorType::from_wire(u8::try_from(r.value).unwrap_or(0))),))
    })?;
    instance.func_wrap("[method]descriptor.set-size", |_: Ctx, (fd, len): (Fd, u64)| {
        Ok((host(Request { op: fb::FsOp::SetSize, fd: fd.rep(), len, ..Request::default() })?.map(|_| ()),))
    })?;
    // Setting times is not forwarded yet.
    instance.func_wrap("[method]descriptor.set-times", |_: Ctx, (_, _, _): (Fd, NewTimestamp, NewTimestamp)| {
        Ok((Fs::<()>::Err(ErrorCode::Unsupported),))
    })?;
    instance.func_wrap(
        "[method]descriptor.set-times-at",
        |_: Ctx, (_, _, _, _, _): (Fd, PathFlags, String, NewTimestamp, NewTimestamp)| {
            Ok((Fs::<()>::Err(ErrorCode::Unsupported),))
        },
    )?;
    instance.func_wrap("[method]descriptor.read", |_: Ctx, (fd, len, offset): (Fd, u64, u64)| {
        // At most what wasmtime-wasi returns at once.
        let len = len.min(WASI_CHUNK);
        let reply = host(Request { op: fb::FsOp::Read, fd: fd.rep(), len, offset, ..Request::default() })?;
        Ok((reply.map(|r| (r.bytes, r.end)),))
    })?;
    instance.func_wrap("[method]descriptor.write", |_: Ctx, (fd, data, offset): (Fd, Vec<u8>, u64)| {
        let reply = host(Request { op: fb::FsOp::Write, fd: fd.rep(), data: &data, offset, ..Request::default() })?;
        Ok((reply.map(|r| r.value),))
    })?;
    instance.func_wrap("[method]descriptor.read-directory", |mut store: Ctx, (fd,): (Fd,)| {
        let reply = match host(Request { op: fb::FsOp::ReadDirectory, fd: fd.rep(), ..Request::default() })? {
            Ok(reply) => reply,
            Err(e) => return Ok((Err(e),)),
        };
        let entries: Vec<(DirectoryEntry, u64)> =
            reply.entries.into_iter().map(|(t, n, hash)| (files::entry(t, n), hash)).collect();
        let deferred = (reply.value != 0).then(|| ErrorCode::from_wire(u8::try_from(reply.value).unwrap_or(0)));
        let files = &mut store.data_mut().wasi.files;
        if files.hashes_generation != files::generation() {
            files.hashes.clear();
            files.hashes_generation = files::generation();
        }
        for (entry, hash) in &entries {
            files.hashes.insert((fd.rep(), entry.name.clone()), (*hash, *hash ^ HASH_UPPER));
        }
        let entries = entries.into_iter().map(|(entry, _)| entry).collect();
        let rep = files.next_rep();
        files.listings.insert(rep, (entries, 0, deferred));
        Ok((Ok(Resource::<DirectoryEntryStream>::new_own(rep)),))
    })?;
    instance.func_wrap(
        "[method]directory-entry-stream.read-directory-entry",
        |mut store: Ctx, (listing,): (Resource<DirectoryEntryStream>,)| {
            let Some((entries, next, deferred)) = store.data_mut().wasi.files.listings.get_mut(&listing.rep()) else {
                return Ok((Err(ErrorCode::BadDescriptor),));
            };
            let result = match entries.get(*next) {
                Some(entry) => {
                    *next += 1;
                    Ok(Some(entry.clone()))
                }
                None => match deferred.take() {
                    Some(error) => Err(error),
                    None => Ok(None),
                },
            };
            Ok((result,))
        },
    )?;
    for (name, op) in [
        ("[method]descriptor.create-directory-at", fb::FsOp::CreateDirectoryAt),
        ("[method]descriptor.remove-directory-at", fb::FsOp::RemoveDirectoryAt),
        ("[method]descriptor.unlink-file-at", fb::FsOp::UnlinkFileAt),
    ] {
        instance.func_wrap(name, move |_: Ctx, (fd, path): (Fd, String)| Ok((simple(op, &fd, &path)?,)))?;
    }
    instance.func_wrap("[method]descriptor.stat", |_: Ctx, (fd,): (Fd,)| {
        Ok((stat(host(Request { op: fb::FsOp::Stat, fd: fd.rep(), ..Request::default() })?),))
    })?;
    instance.func_wrap("[method]descriptor.stat-at", |_: Ctx, (fd, flags, path): (Fd, PathFlags, String)| {
        let request =
            Request { op: fb::FsOp::StatAt, fd: fd.rep(), flags: flags.to_bits(), path: &path, ..Request::default() };
        Ok((stat(host(request)?),))
    })?;
    instance.func_wrap(
        "[method]descriptor.link-at",
        |_: Ctx, (fd, flags, old, new_fd, new): (Fd, PathFlags, String, Fd, String)| {
            let request = Request {
                op: fb::FsOp::LinkAt,
                fd: fd.rep(),
                fd2: new_fd.rep(),
                flags: flags.to_bits(),
                path: &old,
                path2: &new,
                ..Request::default()
            };
            Ok((host(request)?.map(|_| ()),))
        },
    )?;
    instance.func_wrap(
        "[method]descriptor.open-at",
        |mut store: Ctx,
         (fd, path_flags, path, open_flags, flags): (Fd, PathFlags, String, OpenFlags, DescriptorFlags)| {
            let request = Request {
                op: fb::FsOp::OpenAt,
                fd: fd.rep(),
                path: &path,
                flags: path_flags.to_bits() | (flags.to_bits() << 8),
                flags2: open_flags.to_bits(),
                ..Request::default()
            };
            let reply = match host(request)? {
                Ok(reply) => reply,
                Err(e) => return Ok((Err(e),)),
            };
            let writable = info(&store, &fd).map(|i| i.writable).unwrap_or(false);
            let opened = DescriptorInfo { is_dir: reply.value != 0, writable };
            store.data_mut().wasi.files.descriptors.insert(reply.fd, opened);
            Ok((Ok(Resource::<Descriptor>::new_own(reply.fd)),))
        },
    )?;
    instance.func_wrap("[method]descriptor.readlink-at", |_: Ctx, (fd, path): (Fd, String)| {
        let reply = host(Request { op: fb::FsOp::ReadlinkAt, fd: fd.rep(), path: &path, ..Request::default() })?;
        Ok((reply.map(|r| String::from_utf8_lossy(&r.bytes).into_owned()),))
    })?;
    instance.func_wrap(
        "[method]descriptor.rename-at",
        |_: Ctx, (fd, old, new_fd, new): (Fd, String, Fd, String)| {
            let request = Request {
                op: fb::FsOp::RenameAt,
                fd: fd.rep(),
                fd2: new_fd.rep(),
                path: &old,
                path2: &new,
                ..Request::default()
            };
            Ok((host(request)?.map(|_| ()),))
        },
    )?;
    instance.func_wrap("[method]descriptor.symlink-at", |_: Ctx, (fd, old, new): (Fd, String, String)| {
        let request = Request { op: fb::FsOp::SymlinkAt, fd: fd.rep(), path: &old, path2: &new, ..Request::default() };
        Ok((host(request)?.map(|_| ()),))
    })?;
    instance.func_wrap("[method]descriptor.is-same-object", |_: Ctx, (fd, other): (Fd, Fd)| {
        let request = Request { op: fb::FsOp::IsSameObject, fd: fd.rep(), fd2: other.rep(), ..Request::default() };
        Ok((host(request)?.is_ok_and(|r| r.value != 0),))
    })?;
    instance.func_wrap("[method]descriptor.metadata-hash", |_: Ctx, (fd,): (Fd,)| {
        Ok((hash(host(Request { op: fb::FsOp::MetadataHash, fd: fd.rep(), ..Request::default() })?),))
    })?;
    instance.func_wrap(
        "[method]descriptor.metadata-hash-at",
        |store: Ctx, (fd, flags, path): (Fd, PathFlags, String)| {
            // wasi-libc asks this of every entry it lists: answered from the
            // listing while nothing changed since.
            let files = &store.data().wasi.files;
            if flags.to_bits() == 0
                && files.hashes_generation == files::generation()
                && let Some((lower, upper)) = files.hashes.get(&(fd.rep(), path.clone()))
            {
                return Ok((Ok(MetadataHashValue { lower: *lower, upper: *upper }),));
            }
            let request = Request {
                op: fb::FsOp::MetadataHashAt,
                fd: fd.rep(),
                flags: flags.to_bits(),
                path: &path,
                ..Request::default()
            };
            Ok((hash(host(request)?),))
        },
    )?;
    instance.func_wrap("filesystem-error-code", |store: Ctx, (error,): (Resource<IoError>,)| {
        Ok((store.data().table.get(&error)?.code,))
    })
}

fn stat(reply: Fs<Reply>) -> Fs<DescriptorStat> {
    reply.and_then(|r| r.stat.ok_or(ErrorCode::Io))
}

fn hash(reply: Fs<Reply>) -> Fs<MetadataHashValue> {
    reply.map(|r| MetadataHashValue { lower: r.value, upper: r.value2 })
}

pub fn preopens(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("get-directories", |mut store: Ctx, (): ()| {
        let reply = host(Request { op: fb::FsOp::Preopens, ..Request::default() })?.unwrap_or_default();
        let mut directories = Vec::with_capacity(reply.entries.len());
        for (id, (writable, name, _)) in (0u32..).zip(reply.entries) {
            let info = DescriptorInfo { is_dir: true, writable: writable != 0 };
            store.data_mut().wasi.files.descriptors.insert(id, info);
            directories.push((Resource::<Descriptor>::new_own(id), String::from_utf8_lossy(&name).into_owned()));
        }
        Ok((directories,))
    })
}

/// Drops a descriptor: the host closes it (a preopen stays open there).
pub fn drop_descriptor(mut store: Ctx, rep: u32) -> Result<()> {
    store.data_mut().wasi.files.descriptors.remove(&rep);
    host(Request { op: fb::FsOp::Close, fd: rep, ..Request::default() })?.ok();
    Ok(())
}

pub fn drop_listing(mut store: Ctx, rep: u32) -> Result<()> {
    store.data_mut().wasi.files.listings.remove(&rep);
    Ok(())
}

/// Drops a stream (stdio's are never dropped for real).
pub fn drop_stream(mut store: Ctx, rep: u32) -> Result<()> {
    store.data_mut().wasi.files.streams.remove(&rep);
    Ok(())
}

/// Whether `rep` is a file stream.
pub fn is_file_stream(store: &Ctx, rep: u32) -> bool {
    store.data().wasi.files.streams.contains_key(&rep)
}

/// A failed stream operation: `last-operation-failed` with the code, and the
/// stream closed.
fn failed(store: &mut Ctx, rep: u32, code: ErrorCode) -> Result<StreamError> {
    if let Some(stream) = store.data_mut().wasi.files.streams.get_mut(&rep) {
        stream.closed = true;
    }
    let error = IoError { text: alloc::format!("{code:?}"), code: Some(code), http: None };
    Ok(StreamError::LastOperationFailed(store.data_mut().table.push(error)?))
}

/// Reads at most `len` bytes of file stream `rep`: from what was read
/// ahead if nothing changed since, else one exit reading up to
/// [`MAX_READ`] ahead.
pub fn read(store: &mut Ctx, rep: u32, len: u64) -> Result<core::result::Result<Vec<u8>, StreamError>> {
    let Some(stream) = store.data_mut().wasi.files.streams.get_mut(&rep) else { return Ok(Err(StreamError::Closed)) };
    if stream.closed {
        return Ok(Err(StreamError::Closed));
    }
    if len == 0 {
        return Ok(Ok(Vec::new()));
    }
    let want = usize::try_from(len.min(WASI_CHUNK)).unwrap_or(0);
    if stream.buffered().is_empty() {
        // Asked of the host even after a short read: the file may have grown.
        let request =
            Request { op: fb::FsOp::Read, fd: stream.fd, offset: stream.position, len: MAX_READ, ..Request::default() };
        match host(request)? {
            Ok(reply) => {
                let stream = store
                    .data_mut()
                    .wasi
                    .files
                    .streams
                    .get_mut(&rep)
                    .ok_or_else(|| wasmtime::Error::msg("stream gone"))?;
                stream.ahead = reply.bytes;
                stream.consumed = 0;
                stream.ahead_generation = files::generation();
            }
            Err(code) => return Ok(Err(failed(store, rep, code)?)),
        }
    }
    let stream =
        store.data_mut().wasi.files.streams.get_mut(&rep).ok_or_else(|| wasmtime::Error::msg("stream gone"))?;
    let buffered = stream.buffered();
    if buffered.is_empty() {
        // The end of the file.
        stream.closed = true;
        return Ok(Err(StreamError::Closed));
    }
    let taken = buffered.get(..want.min(buffered.len())).unwrap_or_default().to_vec();
    stream.consumed += taken.len();
    stream.position = stream.position.saturating_add(taken.len() as u64);
    Ok(Ok(taken))
}

/// What `check-write` grants a file stream (wasmtime-wasi's 64 KiB).
pub fn check_write(store: &mut Ctx, rep: u32) -> core::result::Result<u64, StreamError> {
    match store.data().wasi.files.streams.get(&rep) {
        Some(stream) if !stream.closed => Ok(WASI_CHUNK),
        _ => Err(StreamError::Closed),
    }
}

/// Writes all of `data` to file stream `rep` (at its position, or appended).
pub fn write(store: &mut Ctx, rep: u32, data: &[u8]) -> Result<core::result::Result<(), StreamError>> {
    let Some(stream) = store.data().wasi.files.streams.get(&rep) else { return Ok(Err(StreamError::Closed)) };
    if stream.closed {
        return Ok(Err(StreamError::Closed));
    }
    if data.is_empty() {
        return Ok(Ok(()));
    }
    let op = if stream.append { fb::FsOp::Append } else { fb::FsOp::Write };
    let request = Request { op, fd: stream.fd, offset: stream.position, data, ..Request::default() };
    match host(request)? {
        Ok(reply) => {
            if let Some(stream) = store.data_mut().wasi.files.streams.get_mut(&rep) {
                stream.position = stream.position.saturating_add(reply.value);
            }
            Ok(Ok(()))
        }
        Err(code) => Ok(Err(failed(store, rep, code)?)),
    }
}

/// `flush` of a file stream: writes are not buffered, only a closed
/// stream answers otherwise.
pub fn flush(store: &mut Ctx, rep: u32) -> core::result::Result<(), StreamError> {
    check_write(store, rep).map(|_| ())
}
