//! Path resolution beneath a directory descriptor: the one place the host
//! turns a guest path into something a system call acts on.
//!
//! Every path goes to the kernel through `openat2(dir, path, ...,
//! RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`: `..` above `dir`, absolute
//! paths, symlinks whose target leaves `dir` (absolute, or relative through
//! `..`, in any component) and `/proc` magic links fail with `EXDEV` /
//! `ELOOP` (a rename racing the resolution makes it fail with `EAGAIN`,
//! retried). Operations on a name (`mkdirat`, `unlinkat`, `renameat`, ...)
//! first open the name's parent this way, then act on the last component,
//! which is a single plain name the kernel does not resolve further.

use super::FsError;
use featherlight_abi::fs::ErrorCode;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use std::path::Path;

/// How resolution is constrained (both flags, always).
const RESOLVE: ResolveFlags = ResolveFlags::BENEATH.union(ResolveFlags::NO_MAGICLINKS);

/// How often a resolution a concurrent rename disturbed (`EAGAIN`) is tried.
const RETRIES: usize = 8;

/// Opens the host directory `path` to grant it, and checks that the kernel
/// can resolve beneath it.
pub(super) fn open_root(path: &Path) -> Result<OwnedFd, FsError> {
    let error = |source: Errno| FsError::Open { path: path.to_owned(), source: source.into() };
    let dir =
        rustix::fs::open(path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).map_err(error)?;
    match rustix::fs::openat2(&dir, ".", OFlags::PATH | OFlags::CLOEXEC, Mode::empty(), RESOLVE) {
        Ok(_) => Ok(dir),
        Err(Errno::NOSYS) => Err(FsError::Openat2Unsupported),
        Err(e) => Err(error(e)),
    }
}

/// The wasi error code of an errno, as wasmtime-wasi maps it; `EXDEV` from
/// resolution is an escape attempt, which wasmtime-wasi (cap-std) reports
/// as `not-permitted`.
pub(crate) fn code(errno: Errno) -> ErrorCode {
    use ErrorCode as C;
    match errno {
        Errno::PIPE => C::Pipe,
        Errno::PERM | Errno::XDEV => C::NotPermitted,
        Errno::NOENT => C::NoEntry,
        Errno::NOMEM => C::InsufficientMemory,
        Errno::IO => C::Io,
        Errno::BADF => C::BadDescriptor,
        Errno::BUSY => C::Busy,
        Errno::ACCESS => C::Access,
        Errno::NOTDIR => C::NotDirectory,
        Errno::ISDIR => C::IsDirectory,
        Errno::INVAL => C::Invalid,
        Errno::EXIST => C::Exist,
        Errno::FBIG => C::FileTooLarge,
        Errno::NOSPC => C::InsufficientSpace,
        Errno::SPIPE => C::InvalidSeek,
        Errno::MLINK => C::TooManyLinks,
        Errno::NAMETOOLONG => C::NameTooLong,
        Errno::NOTEMPTY => C::NotEmpty,
        Errno::LOOP => C::Loop,
        Errno::OVERFLOW => C::Overflow,
        Errno::ILSEQ => C::IllegalByteSequence,
        Errno::NOTSUP => C::Unsupported,
        Errno::ALREADY => C::Already,
        Errno::INPROGRESS => C::InProgress,
        Errno::INTR => C::Interrupted,
        // wasmtime-wasi falls back on the io::ErrorKind, which for the rest
        // is `io`.
        _ => C::Io,
    }
}

/// `openat2` beneath `dir`, retried when a concurrent rename disturbed it.
/// (`openat2` refuses a mode without `O_CREAT` and, with `O_PATH`, any flag
/// but `O_DIRECTORY` / `O_NOFOLLOW` / `O_CLOEXEC`.)
pub(super) fn open(dir: BorrowedFd<'_>, path: &str, flags: OFlags, mode: Mode) -> Result<OwnedFd, ErrorCode> {
    let mode = if flags.contains(OFlags::CREATE) { mode } else { Mode::empty() };
    let flags =
        if flags.contains(OFlags::PATH) { flags | OFlags::CLOEXEC } else { flags | OFlags::CLOEXEC | OFlags::NOCTTY };
    let mut tries = 0;
    loop {
        match rustix::fs::openat2(dir, path, flags, mode, RESOLVE) {
            Err(Errno::AGAIN) if tries < RETRIES => tries += 1,
            other => return other.map_err(code),
        }
    }
}

/// A name's parent, opened beneath `dir`, and the last component.
pub(super) struct Parent<'a> {
    fd: Option<OwnedFd>,
    dir: BorrowedFd<'a>,
    /// The last component: a plain name (or `.`), never resolved further.
    pub(super) name: &'a str,
    /// The path ended in `/`: the name must be a directory.
    pub(super) trailing_slash: bool,
}

impl Parent<'_> {
    pub(super) fn fd(&self) -> BorrowedFd<'_> {
        match &self.fd {
            Some(fd) => fd.as_fd(),
            None => self.dir,
        }
    }
}

/// Opens the parent of `path` beneath `dir` (following symlinks in the
/// leading components, beneath), leaving the last component to the caller.
pub(super) fn parent<'a>(dir: BorrowedFd<'a>, path: &'a str) -> Result<Parent<'a>, ErrorCode> {
    let trimmed = path.trim_end_matches('/');
    let trailing_slash = trimmed.len() != path.len();
    if trimmed.is_empty() {
        // "" is no entry; "/" (and "//") is absolute: an escape.
        return Err(if path.is_empty() { ErrorCode::NoEntry } else { ErrorCode::NotPermitted });
    }
    let (leading, name) = match trimmed.rsplit_once('/') {
        Some((leading, name)) => (if leading.is_empty() { "/" } else { leading }, name),
        None => ("", trimmed),
    };
    if name == ".." || name == "." {
        // The whole path names a directory: resolve it, act on ".".
        let fd = open(dir, trimmed, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?;
        return Ok(Parent { fd: Some(fd), dir, name: ".", trailing_slash: true });
    }
    let fd = if leading.is_empty() {
        None
    } else {
        Some(open(dir, leading, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?)
    };
    Ok(Parent { fd, dir, name, trailing_slash })
}
