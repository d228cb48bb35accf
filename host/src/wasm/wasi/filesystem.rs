//! `wasi:filesystem` on the host: directories the embedder grants
//! ([`WasiConfig::preopened_dir`](crate::WasiConfig::preopened_dir)) and
//! each sandbox's table of the descriptors its component opened beneath them.
//!
//! Capability-style, like wasmtime-wasi: the guest names files only by a
//! descriptor plus a relative path. Every path is resolved by the kernel
//! beneath the descriptor's directory (`openat2` with `RESOLVE_BENEATH |
//! RESOLVE_NO_MAGICLINKS`, see [`beneath`]), never by string checks here:
//! `..` past the grant, absolute paths, symlinks leading out (in any
//! component) and `/proc` magic links fail, also while the tree changes.
//! Linux 5.6 or newer is required; on older kernels granting a directory
//! fails with [`FsError::Openat2Unsupported`].

mod beneath;
mod ops;

pub(crate) use ops::{Reply, serve};

use featherlight_abi::fs::ErrorCode;
use rustix::fd::OwnedFd;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// What a component may do beneath a granted directory (wasmtime-wasi's
/// `FsPerms`): read-only grants refuse every change (writing, truncating,
/// creating, removing, renaming, linking) with `not-permitted`, as
/// wasmtime-wasi does, before the host's own permissions are consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsPerms {
    /// Files and metadata may be read; nothing may change.
    ReadOnly,
    /// Everything the host's own permissions allow.
    ReadWrite,
}

impl FsPerms {
    fn writable(self) -> bool {
        self == FsPerms::ReadWrite
    }
}

/// Why a directory cannot be granted, or a descriptor opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// The host directory cannot be opened.
    #[error("cannot open `{}` to grant it: {source}", path.display())]
    Open {
        /// The host path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The kernel has no `openat2` (Linux < 5.6), which featherlight needs to
    /// keep every path beneath its grant.
    #[error(
        "this kernel has no openat2 (Linux 5.6 or newer is needed to grant directories safely); \
         upgrade the kernel or run without --dir"
    )]
    Openat2Unsupported,
    /// The guest path is empty or contains NUL.
    #[error("the guest path of a granted directory must not be empty or contain NUL")]
    GuestPath,
    /// The component holds as many open descriptors as the sandbox allows
    /// (the guest sees `insufficient-memory`: WASI has no "too many open
    /// files").
    #[error("the component has {limit} descriptors open, the sandbox's limit")]
    TooManyDescriptors {
        /// [`WasiConfig::max_open_files`](crate::WasiConfig::max_open_files).
        limit: usize,
    },
}

/// A granted directory: the host's descriptor, opened once when granted and
/// shared by every sandbox made with the configuration.
#[derive(Debug, Clone)]
pub(crate) struct Preopen {
    pub(crate) dir: Arc<OwnedFd>,
    pub(crate) guest_path: String,
    pub(crate) perms: FsPerms,
}

impl Preopen {
    pub(crate) fn open(host: &Path, guest: &str, perms: FsPerms) -> Result<Self, FsError> {
        if guest.is_empty() || guest.contains('\0') {
            return Err(FsError::GuestPath);
        }
        let dir = beneath::open_root(host)?;
        Ok(Self { dir: Arc::new(dir), guest_path: guest.to_owned(), perms })
    }
}

/// Open descriptors are numbered from here up, once per process: a number
/// is never reused, so a handle a restored guest kept from before the
/// snapshot never names another file (it is `bad-descriptor`).
static NEXT_ID: AtomicU32 = AtomicU32::new(1 << 16);

/// The most preopened directories (their descriptors are `0..n`).
pub(crate) const MAX_PREOPENS: usize = 1 << 16;

/// One descriptor the component opened.
#[derive(Debug)]
pub(crate) struct Descriptor {
    pub(crate) fd: Arc<OwnedFd>,
    pub(crate) is_dir: bool,
    pub(crate) perms: FsPerms,
    /// Opened for reading / writing (what `get-flags` reports).
    pub(crate) read: bool,
    pub(crate) write: bool,
}

/// A sandbox's descriptors: the preopens (`0..n`, for the sandbox's life)
/// and what the component opened (closed when it drops them, on restore
/// and when the sandbox is dropped).
#[derive(Debug)]
pub(crate) struct Descriptors {
    preopens: Vec<Preopen>,
    open: HashMap<u32, Descriptor>,
    limit: usize,
}

impl Descriptors {
    pub(crate) fn new(preopens: Vec<Preopen>, limit: usize) -> Self {
        Self { preopens, open: HashMap::new(), limit }
    }

    pub(crate) fn preopens(&self) -> &[Preopen] {
        &self.preopens
    }

    /// The descriptor `id`, preopen or opened.
    pub(crate) fn get(&self, id: u32) -> Result<Descriptor, ErrorCode> {
        if let Some(preopen) = usize::try_from(id).ok().and_then(|i| self.preopens.get(i)) {
            let write = preopen.perms.writable();
            return Ok(Descriptor { fd: preopen.dir.clone(), is_dir: true, perms: preopen.perms, read: true, write });
        }
        let found = self.open.get(&id).ok_or(ErrorCode::BadDescriptor)?;
        Ok(Descriptor { fd: found.fd.clone(), ..*found })
    }

    /// Adds a descriptor the component opened.
    pub(crate) fn insert(&mut self, descriptor: Descriptor) -> Result<u32, FsError> {
        if self.open.len() >= self.limit {
            return Err(FsError::TooManyDescriptors { limit: self.limit });
        }
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        if id < 1 << 16 {
            // 4 billion opens in one process: refuse rather than reuse.
            NEXT_ID.store(u32::MAX, Ordering::Relaxed);
            return Err(FsError::TooManyDescriptors { limit: self.limit });
        }
        self.open.insert(id, descriptor);
        Ok(id)
    }

    /// The component dropped descriptor `id` (a preopen stays open).
    pub(crate) fn close(&mut self, id: u32) {
        self.open.remove(&id);
    }

    /// Closes every descriptor the component opened: after a restore the
    /// component holds only preopens (any other handle it kept from before
    /// the snapshot answers `bad-descriptor`).
    pub(crate) fn close_all(&mut self) {
        self.open.clear();
    }

    /// How many descriptors the component has open (preopens not counted).
    pub(crate) fn open_count(&self) -> usize {
        self.open.len()
    }
}
