//! Each `wasi:filesystem` operation the guest forwards, done on the host as
//! wasmtime-wasi 48 does it (same checks in the same order, same system
//! calls, same error codes), with every path resolved by [`beneath`].

use super::beneath::{self, Parent, code};
use super::{Descriptor, Descriptors, FsError, FsPerms};
use featherlight_abi::fs::{ErrorCode, MAX_READ, SYMLINK_FOLLOW, descriptor_flags, descriptor_type, open_flags};
use featherlight_wire::filesystem::{FsOp, FsRequest, PathError, path};
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, StatxFlags};
use rustix::io::Errno;
use std::sync::Arc;

/// What the host answers one request with.
#[derive(Debug, Default)]
pub(crate) struct Reply {
    pub(crate) error: Option<ErrorCode>,
    pub(crate) fd: u32,
    pub(crate) bytes: Vec<u8>,
    pub(crate) end: bool,
    pub(crate) value: u64,
    pub(crate) value2: u64,
    pub(crate) stat: Option<Stat>,
    /// Type, name and metadata hash (lower half) of listed entries.
    pub(crate) entries: Vec<(u8, Vec<u8>, u64)>,
}

/// `descriptor-stat`.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Stat {
    pub(crate) type_: u8,
    pub(crate) link_count: u64,
    pub(crate) size: u64,
    pub(crate) accessed: Option<(u64, u32)>,
    pub(crate) modified: Option<(u64, u32)>,
    pub(crate) changed: Option<(u64, u32)>,
}

type Outcome = Result<Reply, ErrorCode>;

/// Runs one request against the sandbox's descriptors.
pub(crate) fn serve(table: &mut Descriptors, request: &FsRequest<'_>) -> Reply {
    match run(table, request) {
        Ok(reply) => reply,
        Err(error) => Reply { error: Some(error), ..Reply::default() },
    }
}

fn ok() -> Outcome {
    Ok(Reply::default())
}

fn guest_path(bytes: &[u8]) -> Result<&str, ErrorCode> {
    path(bytes).map_err(|e| match e {
        PathError::Nul => ErrorCode::Invalid,
        PathError::NotUtf8 => ErrorCode::IllegalByteSequence,
    })
}

/// wasmtime-wasi's `Descriptor::file()`: a directory is `bad-descriptor`.
fn file(d: &Descriptor) -> Result<&Descriptor, ErrorCode> {
    if d.is_dir { Err(ErrorCode::BadDescriptor) } else { Ok(d) }
}

/// wasmtime-wasi's `Descriptor::dir()`: a file is `not-directory`.
fn dir(d: &Descriptor) -> Result<&Descriptor, ErrorCode> {
    if d.is_dir { Ok(d) } else { Err(ErrorCode::NotDirectory) }
}

fn writable(perms: FsPerms) -> Result<(), ErrorCode> {
    if perms.writable() { Ok(()) } else { Err(ErrorCode::NotPermitted) }
}

fn run(table: &mut Descriptors, r: &FsRequest<'_>) -> Outcome {
    if r.op == FsOp::Preopens {
        let entries =
            table.preopens().iter().map(|p| (u8::from(p.perms.writable()), p.guest_path.clone().into_bytes(), 0));
        return Ok(Reply { entries: entries.collect(), ..Reply::default() });
    }
    if r.op == FsOp::Close {
        table.close(r.fd);
        return ok();
    }
    let d = table.get(r.fd)?;
    let fd = d.fd.as_fd();
    match r.op {
        FsOp::Preopens | FsOp::Close => ok(),
        FsOp::OpenAt => open_at(table, &d, r),
        FsOp::Read => {
            let f = file(&d)?;
            let len = r.len.min(MAX_READ);
            let mut buffer = vec![0u8; usize::try_from(len).unwrap_or(0)];
            let n = pread(f.fd.as_fd(), &mut buffer, r.offset)?;
            buffer.truncate(n);
            Ok(Reply { end: n == 0, bytes: buffer, ..Reply::default() })
        }
        FsOp::Write => {
            let f = file(&d)?;
            writable(f.perms)?;
            let written = pwrite_all(f.fd.as_fd(), r.data, r.offset)?;
            Ok(Reply { value: written, ..Reply::default() })
        }
        FsOp::Append => {
            let f = file(&d)?;
            writable(f.perms)?;
            let written = append_all(f.fd.as_fd(), r.data)?;
            Ok(Reply { value: written, ..Reply::default() })
        }
        FsOp::Stat => Ok(Reply { stat: Some(statx(fd, "", AtFlags::EMPTY_PATH)?), ..Reply::default() }),
        FsOp::StatAt => {
            let d = dir(&d)?;
            Ok(Reply { stat: Some(stat_at(d, r.flags, guest_path(r.path)?)?), ..Reply::default() })
        }
        FsOp::ReadDirectory => read_directory(dir(&d)?),
        FsOp::CreateDirectoryAt => {
            let d = dir(&d)?;
            writable(d.perms)?;
            let parent = beneath::parent(d.fd.as_fd(), guest_path(r.path)?)?;
            rustix::fs::mkdirat(parent.fd(), parent.name, Mode::from_raw_mode(0o777)).map_err(code)?;
            ok()
        }
        FsOp::RemoveDirectoryAt => {
            let d = dir(&d)?;
            writable(d.perms)?;
            let parent = beneath::parent(d.fd.as_fd(), guest_path(r.path)?)?;
            rustix::fs::unlinkat(parent.fd(), parent.name, AtFlags::REMOVEDIR).map_err(code)?;
            ok()
        }
        FsOp::UnlinkFileAt => {
            let d = dir(&d)?;
            writable(d.perms)?;
            let parent = beneath::parent(d.fd.as_fd(), guest_path(r.path)?)?;
            if parent.trailing_slash {
                // "file/" is not a file to unlink; "dir/" is a directory.
                return Err(match rustix::fs::statat(parent.fd(), parent.name, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => ErrorCode::IsDirectory,
                    Ok(_) => ErrorCode::NotDirectory,
                    Err(e) => code(e),
                });
            }
            rustix::fs::unlinkat(parent.fd(), parent.name, AtFlags::empty()).map_err(code)?;
            ok()
        }
        FsOp::RenameAt => {
            let (old, new) = (dir(&d)?, table.get(r.fd2)?);
            let new = dir(&new)?;
            writable(old.perms)?;
            writable(new.perms)?;
            if old.perms != new.perms {
                return Err(ErrorCode::NotPermitted);
            }
            let from = beneath::parent(old.fd.as_fd(), guest_path(r.path)?)?;
            let to = beneath::parent(new.fd.as_fd(), guest_path(r.path2)?)?;
            rustix::fs::renameat(from.fd(), from.name, to.fd(), to.name).map_err(code)?;
            ok()
        }
        FsOp::LinkAt => {
            let (old, new) = (dir(&d)?, table.get(r.fd2)?);
            let new = dir(&new)?;
            writable(old.perms)?;
            writable(new.perms)?;
            if r.flags & SYMLINK_FOLLOW != 0 {
                return Err(ErrorCode::Invalid);
            }
            if old.perms != new.perms {
                return Err(ErrorCode::NotPermitted);
            }
            let from = beneath::parent(old.fd.as_fd(), guest_path(r.path)?)?;
            let to = beneath::parent(new.fd.as_fd(), guest_path(r.path2)?)?;
            rustix::fs::linkat(from.fd(), from.name, to.fd(), to.name, AtFlags::empty()).map_err(code)?;
            ok()
        }
        FsOp::SymlinkAt => {
            let d = dir(&d)?;
            writable(d.perms)?;
            let target = guest_path(r.path)?;
            if target.starts_with('/') {
                // wasmtime-wasi refuses absolute targets (an escape attempt).
                return Err(ErrorCode::NotPermitted);
            }
            let parent = beneath::parent(d.fd.as_fd(), guest_path(r.path2)?)?;
            rustix::fs::symlinkat(target, parent.fd(), parent.name).map_err(code)?;
            ok()
        }
        FsOp::ReadlinkAt => {
            let d = dir(&d)?;
            let parent = beneath::parent(d.fd.as_fd(), guest_path(r.path)?)?;
            let target = rustix::fs::readlinkat(parent.fd(), parent.name, Vec::new()).map_err(code)?;
            let target = target.into_bytes();
            if target.starts_with(b"/") {
                return Err(ErrorCode::NotPermitted);
            }
            if std::str::from_utf8(&target).is_err() {
                return Err(ErrorCode::IllegalByteSequence);
            }
            Ok(Reply { bytes: target, ..Reply::default() })
        }
        FsOp::SetSize => {
            let f = file(&d)?;
            writable(f.perms)?;
            rustix::fs::ftruncate(f.fd.as_fd(), r.len).map_err(code)?;
            ok()
        }
        FsOp::Sync | FsOp::SyncData => {
            let synced = if d.is_dir {
                beneath::open(fd, ".", OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())?
            } else {
                d.fd.try_clone().map_err(|e| code(Errno::from_io_error(&e).unwrap_or(Errno::IO)))?
            };
            if r.op == FsOp::Sync { rustix::fs::fsync(&synced) } else { rustix::fs::fdatasync(&synced) }
                .map_err(code)?;
            ok()
        }
        FsOp::MetadataHash => {
            let st = rustix::fs::fstat(fd).map_err(code)?;
            Ok(hash(st.st_dev, st.st_ino))
        }
        FsOp::MetadataHashAt => {
            let d = dir(&d)?;
            let stat = stat_raw(d, r.flags, guest_path(r.path)?)?;
            Ok(hash(stat.0, stat.1))
        }
        FsOp::GetFlags => {
            let flags = rustix::fs::fcntl_getfl(fd).map_err(code)?;
            let mut bits = 0;
            if flags.contains(OFlags::DSYNC) {
                bits |= descriptor_flags::REQUESTED_WRITE_SYNC;
            }
            if flags.contains(OFlags::SYNC) {
                bits |= descriptor_flags::FILE_INTEGRITY_SYNC;
            }
            if flags.contains(OFlags::RSYNC) {
                bits |= descriptor_flags::DATA_INTEGRITY_SYNC;
            }
            if d.read {
                bits |= descriptor_flags::READ;
            }
            if d.write {
                bits |= if d.is_dir { descriptor_flags::MUTATE_DIRECTORY } else { descriptor_flags::WRITE };
            }
            Ok(Reply { value: u64::from(bits), ..Reply::default() })
        }
        FsOp::GetType => {
            let type_ = if d.is_dir {
                descriptor_type::DIRECTORY
            } else {
                file_type(FileType::from_raw_mode(rustix::fs::fstat(fd).map_err(code)?.st_mode))
            };
            Ok(Reply { value: u64::from(type_), ..Reply::default() })
        }
        FsOp::Advise => {
            let f = file(&d)?;
            use rustix::fs::Advice as A;
            let advice = match r.flags2 {
                0 => A::Normal,
                1 => A::Sequential,
                2 => A::Random,
                3 => A::WillNeed,
                4 => A::DontNeed,
                _ => A::NoReuse,
            };
            rustix::fs::fadvise(f.fd.as_fd(), r.offset, std::num::NonZeroU64::new(r.len), advice).map_err(code)?;
            ok()
        }
        FsOp::IsSameObject => {
            let other = table.get(r.fd2)?;
            let a = rustix::fs::fstat(fd).map_err(code)?;
            let b = rustix::fs::fstat(other.fd.as_fd()).map_err(code)?;
            Ok(Reply { value: u64::from((a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)), ..Reply::default() })
        }
    }
}

fn open_at(table: &mut Descriptors, d: &Descriptor, r: &FsRequest<'_>) -> Outcome {
    let d = dir(d)?;
    let path = guest_path(r.path)?;
    let (oflags, flags) = (r.flags2, r.flags >> 8);
    let follow = r.flags & SYMLINK_FOLLOW != 0;
    let (mut read, mut write, mut create) = (false, false, false);
    let mut os = OFlags::empty();
    if oflags & open_flags::CREATE != 0 {
        os |= OFlags::CREATE;
        if oflags & open_flags::EXCLUSIVE != 0 {
            os |= OFlags::EXCL;
        }
        create = true;
        write = true;
    }
    if oflags & open_flags::TRUNCATE != 0 {
        os |= OFlags::TRUNC;
        write = true;
    }
    if flags & descriptor_flags::READ != 0 {
        read = true;
    }
    if flags & descriptor_flags::WRITE != 0 {
        write = true;
    } else {
        read = true;
    }
    if !follow {
        os |= OFlags::NOFOLLOW;
    }
    let sync = descriptor_flags::FILE_INTEGRITY_SYNC
        | descriptor_flags::DATA_INTEGRITY_SYNC
        | descriptor_flags::REQUESTED_WRITE_SYNC;
    if flags & sync != 0 {
        return Err(ErrorCode::Unsupported);
    }
    if oflags & open_flags::DIRECTORY != 0
        && oflags & (open_flags::CREATE | open_flags::EXCLUSIVE | open_flags::TRUNCATE) != 0
    {
        return Err(ErrorCode::Invalid);
    }
    if !d.perms.writable() && (create || write) {
        return Err(ErrorCode::NotPermitted);
    }
    os |= match (read, write) {
        (true, true) => OFlags::RDWR,
        (false, true) => OFlags::WRONLY,
        _ => OFlags::RDONLY,
    };
    let opened = beneath::open(d.fd.as_fd(), path, os, Mode::from_raw_mode(0o666))?;
    let st = rustix::fs::fstat(&opened).map_err(code)?;
    let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
    if !is_dir && oflags & open_flags::DIRECTORY != 0 {
        return Err(ErrorCode::NotDirectory);
    }
    let descriptor = Descriptor { fd: Arc::new(opened), is_dir, perms: d.perms, read, write };
    let id = table.insert(descriptor).map_err(|e| {
        tracing::debug!(target: "featherlight::wasi", "{e}");
        match e {
            FsError::TooManyDescriptors { .. } => ErrorCode::InsufficientMemory,
            _ => ErrorCode::Io,
        }
    })?;
    Ok(Reply { fd: id, value: u64::from(is_dir), ..Reply::default() })
}

fn pread(fd: BorrowedFd<'_>, buffer: &mut [u8], offset: u64) -> Result<usize, ErrorCode> {
    loop {
        match rustix::io::pread(fd, &mut *buffer, offset) {
            Err(Errno::INTR) => {}
            other => return other.map_err(code),
        }
    }
}

fn pwrite_all(fd: BorrowedFd<'_>, mut data: &[u8], mut offset: u64) -> Result<u64, ErrorCode> {
    let total = data.len() as u64;
    while !data.is_empty() {
        match rustix::io::pwrite(fd, data, offset) {
            Ok(0) => return Err(ErrorCode::Io),
            Ok(n) => {
                data = data.get(n..).unwrap_or_default();
                offset = offset.checked_add(n as u64).ok_or(ErrorCode::FileTooLarge)?;
            }
            Err(Errno::INTR) => {}
            Err(e) => return Err(code(e)),
        }
    }
    Ok(total)
}

fn append_all(fd: BorrowedFd<'_>, mut data: &[u8]) -> Result<u64, ErrorCode> {
    let total = data.len() as u64;
    while !data.is_empty() {
        let slices = [std::io::IoSlice::new(data)];
        match rustix::io::pwritev2(fd, &slices, 0, rustix::io::ReadWriteFlags::APPEND) {
            Ok(0) => return Err(ErrorCode::Io),
            Ok(n) => data = data.get(n..).unwrap_or_default(),
            Err(Errno::INTR) => {}
            Err(e) => return Err(code(e)),
        }
    }
    Ok(total)
}

fn file_type(t: FileType) -> u8 {
    match t {
        FileType::Directory => descriptor_type::DIRECTORY,
        FileType::Symlink => descriptor_type::SYMBOLIC_LINK,
        FileType::RegularFile => descriptor_type::REGULAR_FILE,
        FileType::BlockDevice => descriptor_type::BLOCK_DEVICE,
        FileType::CharacterDevice => descriptor_type::CHARACTER_DEVICE,
        // wasmtime-wasi reports fifos and sockets as unknown.
        _ => descriptor_type::UNKNOWN,
    }
}

/// `statx` of `name` relative to `fd`.
fn statx(fd: BorrowedFd<'_>, name: &str, flags: AtFlags) -> Result<Stat, ErrorCode> {
    let st = rustix::fs::statx(fd, name, flags, StatxFlags::BASIC_STATS | StatxFlags::BTIME).map_err(code)?;
    let time = |t: rustix::fs::StatxTimestamp| u64::try_from(t.tv_sec).ok().map(|s| (s, t.tv_nsec));
    let mask = StatxFlags::from_bits_retain(st.stx_mask);
    Ok(Stat {
        type_: file_type(FileType::from_raw_mode(u32::from(st.stx_mode))),
        link_count: u64::from(st.stx_nlink),
        size: st.stx_size,
        accessed: time(st.stx_atime),
        modified: time(st.stx_mtime),
        // wasmtime-wasi reports the birth time here (std's `created`).
        changed: if mask.contains(StatxFlags::BTIME) { time(st.stx_btime) } else { None },
    })
}

/// The final component of `path` beneath `d`, opened (following) or left
/// to a `*at` call on its parent (not following).
fn stat_at(d: &Descriptor, flags: u32, path: &str) -> Result<Stat, ErrorCode> {
    if flags & SYMLINK_FOLLOW != 0 {
        let target = beneath::open(d.fd.as_fd(), path, OFlags::PATH, Mode::empty())?;
        statx(target.as_fd(), "", AtFlags::EMPTY_PATH)
    } else {
        let parent: Parent<'_> = beneath::parent(d.fd.as_fd(), path)?;
        if parent.trailing_slash {
            let target = beneath::open(d.fd.as_fd(), path, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?;
            return statx(target.as_fd(), "", AtFlags::EMPTY_PATH);
        }
        statx(parent.fd(), parent.name, AtFlags::SYMLINK_NOFOLLOW)
    }
}

/// Device and inode of `path` beneath `d`.
fn stat_raw(d: &Descriptor, flags: u32, path: &str) -> Result<(u64, u64), ErrorCode> {
    let st = if flags & SYMLINK_FOLLOW != 0 {
        let target = beneath::open(d.fd.as_fd(), path, OFlags::PATH, Mode::empty())?;
        rustix::fs::fstat(&target).map_err(code)?
    } else {
        let parent = beneath::parent(d.fd.as_fd(), path)?;
        rustix::fs::statat(parent.fd(), parent.name, AtFlags::SYMLINK_NOFOLLOW).map_err(code)?
    };
    Ok((st.st_dev, st.st_ino))
}

/// wasmtime-wasi's metadata hash of a file's identity.
fn hash(dev: u64, ino: u64) -> Reply {
    let lower = hash_lower(dev, ino);
    Reply { value: lower, value2: lower ^ 4_614_256_656_552_045_848, ..Reply::default() }
}

/// The lower half of [`hash`].
fn hash_lower(dev: u64, ino: u64) -> u64 {
    use std::hash::{Hash, Hasher};
    #[allow(deprecated, reason = "the hasher wasmtime-wasi uses, for the same values")]
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (dev, ino).hash(&mut hasher);
    hasher.finish()
}

/// Every entry of a directory but `.` and `..`, in the order the kernel
/// lists them; `value` carries the error code a name that is not UTF-8
/// ends the listing with (the entries before it are read first).
fn read_directory(d: &Descriptor) -> Outcome {
    let listed = beneath::open(d.fd.as_fd(), ".", OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())?;
    let mut entries = Vec::new();
    let dir = rustix::fs::Dir::read_from(&listed).map_err(code)?;
    let mut deferred = 0u64;
    for entry in dir {
        let entry = entry.map_err(code)?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        if std::str::from_utf8(name).is_err() {
            deferred = u64::from(ErrorCode::IllegalByteSequence.to_wire());
            break;
        }
        // The entry's identity (as `metadata-hash-at` would hash it), and
        // its type where the listing does not tell.
        let st = match rustix::fs::statat(&listed, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(e) => {
                deferred = u64::from(code(e).to_wire());
                break;
            }
        };
        let type_ = match entry.file_type() {
            FileType::Unknown => file_type(FileType::from_raw_mode(st.st_mode)),
            known => file_type(known),
        };
        entries.push((type_, name.to_vec(), hash_lower(st.st_dev, st.st_ino)));
    }
    Ok(Reply { entries, value: deferred, ..Reply::default() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm::wasi::filesystem::Preopen;

    /// A grant holding `f.txt`, `up -> ..`, `abs -> /etc`, beside `secret`.
    fn table(name: &str) -> (std::path::PathBuf, Descriptors) {
        let root = std::env::temp_dir().join(format!("featherlight-ops-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let grant = root.join("grant");
        std::fs::create_dir_all(&grant).expect("grant");
        std::fs::write(root.join("secret"), "secret").expect("secret");
        std::fs::write(grant.join("f.txt"), "data").expect("file");
        std::os::unix::fs::symlink("..", grant.join("up")).expect("link");
        std::os::unix::fs::symlink("/etc", grant.join("abs")).expect("link");
        let preopen = Preopen::open(&grant, "/g", FsPerms::ReadWrite).expect("preopen");
        (root, Descriptors::new(vec![preopen], 2))
    }

    fn request(op: FsOp, path: &[u8]) -> FsRequest<'_> {
        FsRequest { op, fd: 0, fd2: 0, path, path2: b"", flags: 0, flags2: 0, offset: 0, len: 0, data: b"" }
    }

    #[test]
    fn paths_stay_beneath_the_grant() {
        let (root, mut table) = table("beneath");
        for (path, code) in [
            (&b"../secret"[..], ErrorCode::NotPermitted),
            (b"up/secret", ErrorCode::NotPermitted),
            (b"abs/passwd", ErrorCode::NotPermitted),
            (b"/etc/passwd", ErrorCode::NotPermitted),
            (b"/", ErrorCode::NotPermitted),
            (b"", ErrorCode::NoEntry),
            (b"a\0b", ErrorCode::Invalid),
            (b"\xff", ErrorCode::IllegalByteSequence),
        ] {
            let opened = serve(&mut table, &request(FsOp::OpenAt, path));
            assert_eq!(opened.error, Some(code), "open {:?}", String::from_utf8_lossy(path));
            let stat = serve(&mut table, &FsRequest { flags: SYMLINK_FOLLOW, ..request(FsOp::StatAt, path) });
            assert_eq!(stat.error, Some(code), "stat {:?}", String::from_utf8_lossy(path));
        }
        let removed = serve(&mut table, &request(FsOp::UnlinkFileAt, b"up/secret"));
        assert_eq!(removed.error, Some(ErrorCode::NotPermitted));
        assert!(root.join("secret").exists());
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn descriptors_are_checked_limited_and_closed() {
        let (root, mut table) = table("limits");
        let forged = serve(&mut table, &FsRequest { fd: 12_345, ..request(FsOp::Stat, b"") });
        assert_eq!(forged.error, Some(ErrorCode::BadDescriptor));
        let read_dir_as_file = serve(&mut table, &FsRequest { len: 10, ..request(FsOp::Read, b"") });
        assert_eq!(read_dir_as_file.error, Some(ErrorCode::BadDescriptor));
        let open = |table: &mut Descriptors| serve(table, &request(FsOp::OpenAt, b"f.txt"));
        let (a, b) = (open(&mut table), open(&mut table));
        assert_eq!((a.error, b.error), (None, None));
        assert_eq!(open(&mut table).error, Some(ErrorCode::InsufficientMemory), "the limit is 2");
        let read = serve(&mut table, &FsRequest { fd: a.fd, len: u64::MAX, ..request(FsOp::Read, b"") });
        assert_eq!((read.error, read.bytes.as_slice()), (None, &b"data"[..]));
        serve(&mut table, &FsRequest { fd: a.fd, ..request(FsOp::Close, b"") });
        assert_eq!(table.open_count(), 1);
        let closed = serve(&mut table, &FsRequest { fd: a.fd, ..request(FsOp::Stat, b"") });
        assert_eq!(closed.error, Some(ErrorCode::BadDescriptor), "numbers are not reused");
        serve(&mut table, &FsRequest { fd: 0, ..request(FsOp::Close, b"") });
        assert_eq!(serve(&mut table, &request(FsOp::Stat, b"")).error, None, "a preopen stays open");
        table.close_all();
        assert_eq!(table.open_count(), 0);
        let _ = std::fs::remove_dir_all(root);
    }
}
