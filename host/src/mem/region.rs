//! Host mappings that back guest memory.
//!
//! Concurrency model: a region is shared with exactly one vCPU (scratch) or
//! with many read-only (snapshot). The host touches guest memory only while
//! the vCPU that could write it is stopped (`KVM_RUN` is synchronous on the
//! thread that owns the sandbox), and even then never forms a Rust reference
//! into it: every access is a bounds-checked copy through raw pointers, so a
//! hostile guest can at worst make us copy garbage, which the decoders reject.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::OnceLock;

/// An out-of-range guest memory access.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{len} bytes at offset {offset:#x} are outside the {size:#x}-byte {what} region")]
pub struct OutOfBounds {
    /// Which region.
    pub what: &'static str,
    /// Requested offset.
    pub offset: u64,
    /// Requested length.
    pub len: u64,
    /// Region size.
    pub size: u64,
}

/// Part of a mapping backed by a file: its offsets in the mapping, and
/// where they start in the file (page-aligned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileRange {
    pub range: Range<usize>,
    pub file_offset: u64,
}

/// An owned `mmap` of guest memory.
#[derive(Debug)]
pub(crate) struct HostMapping {
    base: NonNull<u8>,
    size: usize,
    what: &'static str,
    /// Whether the host may write it (scratch), or only read it (snapshots).
    writable: bool,
    /// For file-backed shared mappings: the file, so others can map it too.
    file: Option<File>,
}

// SAFETY: the mapping is plain memory owned by this value; access follows
// the concurrency model in the module docs (no references, only copies).
unsafe impl Send for HostMapping {}
// SAFETY: as above; shared use is read-only copies.
unsafe impl Sync for HostMapping {}

/// A new, empty memfd of `size` bytes (sparse: holes cost nothing).
pub(crate) fn memfd(size: u64) -> io::Result<File> {
    // SAFETY: the name is a valid C string; flags are plain bits.
    let raw =
        unsafe { libc::memfd_create(c"featherlight-snapshot".as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: memfd_create returned a new descriptor we now own.
    let file = File::from(unsafe { OwnedFd::from_raw_fd(raw) });
    file.set_len(size)?;
    Ok(file)
}

/// Seals `file` against any change: what every sandbox maps stays as it is.
pub(crate) fn seal(file: &File) -> io::Result<()> {
    // SAFETY: fcntl on our own descriptor with valid seal flags.
    let sealed = unsafe {
        libc::fcntl(
            file.as_raw_fd(),
            libc::F_ADD_SEALS,
            libc::F_SEAL_WRITE | libc::F_SEAL_GROW | libc::F_SEAL_SHRINK | libc::F_SEAL_SEAL,
        )
    };
    if sealed < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

impl HostMapping {
    /// Private, zero-filled anonymous memory, reserved lazily.
    pub(crate) fn anonymous(size: usize, what: &'static str) -> io::Result<Self> {
        Self::from_mmap(mmap_anonymous(size), size, what, true, None)
    }

    /// `contents` in anonymous memory aligned to, and a multiple of, 2 MiB,
    /// backed by transparent huge pages where the host allows, then made
    /// read-only: one copy in host memory for every VM of this process that
    /// maps it. Huge host pages let a hypervisor map a guest's 2 MiB pages
    /// with one entry, so a new VM takes one fault per 2 MiB of code instead
    /// of one per 4 KiB page.
    pub(crate) fn huge_read_only(contents: &[u8], what: &'static str) -> io::Result<Self> {
        let size = contents.len().max(1).next_multiple_of(HUGE);
        let start = mmap_anonymous_aligned(size)?;
        let mut mapping = Self::from_mmap(start.cast(), size, what, true, None)?;
        // SAFETY: advice on our own mapping; huge pages are only a hint.
        unsafe { libc::madvise(start as *mut libc::c_void, size, libc::MADV_HUGEPAGE) };
        // Fresh anonymous memory reads as zero: leave all-zero pages (the
        // padding between 2 MiB-aligned segments) untouched, unallocated.
        for (index, page) in contents.chunks(4096).enumerate() {
            if page.iter().any(|byte| *byte != 0) {
                mapping.write((index * 4096) as u64, page).map_err(io::Error::other)?;
            }
        }
        // SAFETY: our own mapping, just filled; nothing holds references.
        if unsafe { libc::mprotect(start as *mut libc::c_void, size, libc::PROT_READ) } < 0 {
            return Err(io::Error::last_os_error());
        }
        mapping.writable = false;
        Ok(mapping)
    }

    /// Private, zero-filled anonymous memory of `size` bytes (a multiple
    /// of 2 MiB) at a 2 MiB-aligned address, reserved lazily: the
    /// linear-memory area (aligned so that a hypervisor can map the
    /// guest's 2 MiB pages there with huge host pages).
    pub(crate) fn anonymous_area(size: usize) -> io::Result<Self> {
        let start = mmap_anonymous_aligned(size.max(HUGE))?;
        let mapping = Self::from_mmap(start.cast(), size.max(HUGE), "linear memory", true, None)?;
        // SAFETY: advice on our own mapping; huge pages are only a hint.
        unsafe { libc::madvise(start.cast(), mapping.size, libc::MADV_HUGEPAGE) };
        Ok(mapping)
    }

    /// Private, zero-filled anonymous memory of `size` bytes (a multiple
    /// of 2 MiB) at a 2 MiB-aligned address, reserved lazily, whose pages
    /// in `ranges` (offsets, each with where it starts in the file) are
    /// instead a copy-on-write view of `file`. Holes of a file mapped privately would be
    /// allocated in the file's page cache on the guest's first touch (the
    /// kernel reads a page before copying it): this way only the ranges
    /// that hold data are the file's, and the rest costs one anonymous page
    /// per page touched. The anonymous memory is advised to use
    /// transparent huge pages, except in `small_pages`.
    pub(crate) fn private_copy_of_ranges(
        file: &File,
        size: usize,
        ranges: &[FileRange],
        small_pages: &[Range<usize>],
        what: &'static str,
    ) -> io::Result<Self> {
        let start = mmap_anonymous_aligned(size)?;
        let mut mapping = Self::from_mmap(start.cast(), size, what, true, None)?;
        mapping.overlay(file, ranges, small_pages)?;
        Ok(mapping)
    }

    /// Puts this writable mapping back to what [`Self::private_copy_of_ranges`]
    /// made, at the same host address (so a VM slot over it stays valid).
    pub(crate) fn remap_private_ranges(
        &mut self,
        file: &File,
        ranges: &[FileRange],
        small_pages: &[Range<usize>],
    ) -> io::Result<()> {
        if !self.writable {
            return Err(io::Error::other("only a writable mapping can be remapped"));
        }
        // SAFETY: exactly our own mapping, replaced in place by fresh
        // anonymous memory; nothing in this process holds references into
        // it (module docs), and the guest is stopped.
        let mapped = unsafe {
            libc::mmap(
                self.base.as_ptr().cast(),
                self.size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if mapped == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        self.overlay(file, ranges, small_pages)
    }

    fn overlay(&mut self, file: &File, ranges: &[FileRange], small_pages: &[Range<usize>]) -> io::Result<()> {
        // SAFETY: advice on our own mapping; huge pages are only a hint.
        unsafe { libc::madvise(self.base.as_ptr().cast(), self.size, libc::MADV_HUGEPAGE) };
        for range in small_pages {
            let len = range.end.saturating_sub(range.start);
            self.check(range.start as u64, len).map_err(io::Error::other)?;
            // SAFETY: as above, for a part of the mapping (checked).
            unsafe { libc::madvise(self.base.as_ptr().add(range.start).cast(), len, libc::MADV_NOHUGEPAGE) };
        }
        for FileRange { range, file_offset } in ranges {
            let len = range.end.saturating_sub(range.start);
            self.check(range.start as u64, len).map_err(io::Error::other)?;
            // SAFETY: in bounds (checked): part of our own mapping, which
            // nothing references.
            unsafe { map_private_at(self.base, range.start, len, file, *file_offset)? };
        }
        Ok(())
    }

    /// `size` bytes read-only, zero but for `ranges` (offsets, each with
    /// where it starts in `file`), which are shared views of the file: the
    /// host's read-only view of a snapshot file's part, kept with the file.
    pub(crate) fn read_only_ranges(
        file: File,
        size: usize,
        ranges: &[FileRange],
        what: &'static str,
    ) -> io::Result<Self> {
        let mut mapping = Self::from_mmap(mmap_anonymous(size), size, what, false, None)?;
        for FileRange { range, file_offset } in ranges {
            let len = range.end.saturating_sub(range.start);
            mapping.check(range.start as u64, len).map_err(io::Error::other)?;
            let file_offset = libc::off_t::try_from(*file_offset).map_err(io::Error::other)?;
            // SAFETY: in bounds (checked): part of the mapping just made,
            // which nothing references; mapped read-only, so nothing writes
            // the file through it.
            let mapped = unsafe {
                libc::mmap(
                    mapping.base.as_ptr().add(range.start).cast(),
                    len,
                    libc::PROT_READ,
                    libc::MAP_SHARED | libc::MAP_FIXED,
                    file.as_raw_fd(),
                    file_offset,
                )
            };
            if mapped == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
        }
        // SAFETY: our own mapping; the anonymous rest becomes read-only too.
        if unsafe { libc::mprotect(mapping.base.as_ptr().cast(), size, libc::PROT_READ) } < 0 {
            return Err(io::Error::last_os_error());
        }
        mapping.file = Some(file);
        Ok(mapping)
    }

    /// A sealed memfd holding `contents`, mapped shared and read-only: one
    /// copy in host memory for every VM that maps it.
    pub(crate) fn sealed_file(contents: &[u8], size: usize, what: &'static str) -> io::Result<Self> {
        let file = memfd(size as u64)?;
        std::os::unix::fs::FileExt::write_all_at(&file, contents, 0)?;
        seal(&file)?;
        Self::shared_read_only(file, size, what)
    }

    /// Maps sealed `file` shared and read-only, keeping the file.
    pub(crate) fn shared_read_only(file: File, size: usize, what: &'static str) -> io::Result<Self> {
        // SAFETY: mapping a sealed file read-only aliases nothing writable.
        let base =
            unsafe { libc::mmap(std::ptr::null_mut(), size, libc::PROT_READ, libc::MAP_SHARED, file.as_raw_fd(), 0) };
        Self::from_mmap(base, size, what, false, Some(file))
    }

    /// A writable copy-on-write view of `file`: reads see the file, the
    /// first write to a page makes it private to this mapping.
    pub(crate) fn private_copy(file: &File, size: usize, what: &'static str) -> io::Result<Self> {
        // SAFETY: a new private mapping at a kernel-chosen address; writes
        // never reach the (sealed) file.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_NORESERVE,
                file.as_raw_fd(),
                0,
            )
        };
        Self::from_mmap(base, size, what, true, None)
    }

    /// Private, zero-filled anonymous memory of `size` bytes whose first
    /// `file_len` bytes are instead a copy-on-write view of `file` (as
    /// [`Self::private_copy`]): pages of the file the owner only reads stay
    /// shared with every other view of it.
    pub(crate) fn private_copy_then_anonymous(
        file: &File,
        file_len: usize,
        size: usize,
        what: &'static str,
    ) -> io::Result<Self> {
        let mapping = Self::anonymous(size, what)?;
        if file_len > size {
            return Err(io::Error::other("the file part is larger than the mapping"));
        }
        // SAFETY: the start of the mapping just made, which nothing else
        // uses yet.
        unsafe { map_private_over(mapping.base, file_len, file)? };
        Ok(mapping)
    }

    /// Replaces this writable mapping's contents with a fresh copy-on-write
    /// view of `file`, at the same host address (so a VM slot over it stays
    /// valid: KVM drops its old translations through its MMU notifier).
    pub(crate) fn remap_private(&mut self, file: &File, size: usize) -> io::Result<()> {
        if !self.writable || size != self.size {
            return Err(io::Error::other("only a writable mapping of the same size can be remapped"));
        }
        // SAFETY: exactly our own mapping; nothing in this process holds
        // references into it (module docs), and the guest is stopped.
        unsafe { map_private_over(self.base, size, file) }
    }

    /// The file behind a shared mapping.
    pub(crate) fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// Copies the pages of `ranges` (offsets into both mappings) from
    /// `source`, which has this mapping's size.
    pub(crate) fn copy_from(&self, source: &HostMapping, ranges: &[Range<usize>]) -> Result<(), OutOfBounds> {
        for range in ranges {
            let len = range.end.saturating_sub(range.start);
            let start = self.check(range.start as u64, len)?;
            source.check(range.start as u64, len)?;
            debug_assert!(self.writable, "only writable mappings are written");
            // SAFETY: both ranges are in bounds (checked), the mappings are
            // distinct, this one is writable and the guest is stopped.
            unsafe {
                std::ptr::copy_nonoverlapping(source.base.as_ptr().add(start), self.base.as_ptr().add(start), len)
            };
        }
        Ok(())
    }

    /// Host address ranges of this mapping whose pages are private to it
    /// (written since mapping), as offsets.
    pub(crate) fn private_pages(&self, out: &mut Vec<Range<usize>>) -> io::Result<()> {
        self.private_pages_below(self.size, out)
    }

    /// [`Self::private_pages`] among the first `limit` bytes.
    pub(crate) fn private_pages_below(&self, limit: usize, out: &mut Vec<Range<usize>>) -> io::Result<()> {
        let base = self.host_address();
        let mut found = Vec::new();
        super::pagemap::private_ranges(base..base + limit.min(self.size) as u64, &mut found)?;
        out.extend(found.into_iter().map(|r| super::host_usize(r.start - base)..super::host_usize(r.end - base)));
        Ok(())
    }

    /// Drops the private pages in `ranges` (offsets): they read as the file
    /// (or zero) again. KVM observes it through its MMU notifier. One
    /// `process_madvise` call per 1024 ranges where the kernel allows it on
    /// this process (Linux 6.13+), else one `madvise` per range.
    pub(crate) fn discard(&self, ranges: &[Range<usize>]) -> io::Result<()> {
        let mut iovecs = Vec::with_capacity(ranges.len().min(IOV_MAX));
        for range in ranges {
            let len = range.end.saturating_sub(range.start);
            self.check(range.start as u64, len).map_err(io::Error::other)?;
            // SAFETY: in bounds (checked): a pointer into our own mapping.
            let base = unsafe { self.base.as_ptr().add(range.start) };
            iovecs.push(libc::iovec { iov_base: base.cast(), iov_len: len });
        }
        for batch in iovecs.chunks(IOV_MAX) {
            if discard_batch(batch)? {
                continue;
            }
            for iovec in batch {
                // SAFETY: the range is inside our own mapping (checked
                // above); nothing holds references into it and the guest is
                // stopped.
                let done = unsafe { libc::madvise(iovec.iov_base, iovec.iov_len, libc::MADV_DONTNEED) };
                if done < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
        Ok(())
    }

    /// Makes the pages of `ranges` (offsets) private and present now, as if
    /// written, without changing their bytes: a hypervisor then finds them
    /// mapped writable and needs no host page fault on the guest's writes.
    pub(crate) fn populate_write(&self, ranges: &[Range<usize>]) -> io::Result<()> {
        for range in ranges {
            let len = range.end.saturating_sub(range.start);
            self.check(range.start as u64, len).map_err(io::Error::other)?;
            // SAFETY: the range is inside our own writable mapping (checked);
            // populating changes no byte of it.
            let done =
                unsafe { libc::madvise(self.base.as_ptr().add(range.start).cast(), len, libc::MADV_POPULATE_WRITE) };
            if done < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }

    fn from_mmap(
        base: *mut libc::c_void,
        size: usize,
        what: &'static str,
        writable: bool,
        file: Option<File>,
    ) -> io::Result<Self> {
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(base.cast::<u8>()).ok_or_else(|| io::Error::other("mmap returned null"))?;
        Ok(Self { base, size, what, writable, file })
    }

    pub(crate) fn host_address(&self) -> u64 {
        self.base.as_ptr() as u64
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    fn check(&self, offset: u64, len: usize) -> Result<usize, OutOfBounds> {
        let error = || OutOfBounds { what: self.what, offset, len: len as u64, size: self.size as u64 };
        let start = usize::try_from(offset).map_err(|_| error())?;
        let end = start.checked_add(len).ok_or_else(error)?;
        if end > self.size {
            return Err(error());
        }
        Ok(start)
    }

    /// Copies `out.len()` bytes at `offset` into `out`.
    pub(crate) fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), OutOfBounds> {
        let start = self.check(offset, out.len())?;
        // SAFETY: the range is inside the mapping (checked); the guest cannot
        // run concurrently (module docs), and `out` is host memory.
        unsafe { std::ptr::copy_nonoverlapping(self.base.as_ptr().add(start), out.as_mut_ptr(), out.len()) };
        Ok(())
    }

    /// Zeroes `len` bytes at `offset`, keeping the pages mapped. Only for
    /// writable mappings.
    pub(crate) fn zero(&self, offset: usize, len: usize) -> Result<(), OutOfBounds> {
        let start = self.check(offset as u64, len)?;
        debug_assert!(self.writable, "snapshot mappings are read-only");
        // SAFETY: in bounds (checked), writable, and the guest is stopped
        // (module docs).
        unsafe { std::ptr::write_bytes(self.base.as_ptr().add(start), 0, len) };
        Ok(())
    }

    /// Copies `len` bytes at `offset` out of guest memory.
    pub(crate) fn copy_out(&self, offset: u64, len: usize) -> Result<Vec<u8>, OutOfBounds> {
        self.check(offset, len)?;
        let mut out = vec![0; len];
        self.read(offset, &mut out)?;
        Ok(out)
    }

    /// Copies `data` into guest memory at `offset`. Only for writable
    /// mappings.
    pub(crate) fn write(&self, offset: u64, data: &[u8]) -> Result<(), OutOfBounds> {
        let start = self.check(offset, data.len())?;
        debug_assert!(self.writable, "snapshot mappings are read-only");
        // SAFETY: in bounds (checked), writable (PROT_WRITE mappings), and
        // the guest is stopped (module docs).
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.base.as_ptr().add(start), data.len()) };
        Ok(())
    }
}

impl Drop for HostMapping {
    fn drop(&mut self) {
        // SAFETY: we own this mapping; every VM using it holds an Arc to us
        // (or owns us), so none is left to touch it.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.size) };
    }
}

/// A fresh private, zero-filled, lazily reserved anonymous mapping of `size`
/// bytes at a kernel-chosen address; `MAP_FAILED` on failure.
fn mmap_anonymous(size: usize) -> *mut libc::c_void {
    // SAFETY: a new mapping at an address the kernel chooses aliases nothing.
    unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    }
}

/// Maps the first `len` bytes of `file` copy-on-write over `base ..
/// base + len`, replacing what was there (`MAP_FIXED`); writes never reach
/// the (sealed) file.
///
/// # Safety
/// The range must belong to one of our own mappings, with nothing in this
/// process holding references into it.
unsafe fn map_private_over(base: NonNull<u8>, len: usize, file: &File) -> io::Result<()> {
    // SAFETY: forwarded: the caller owns the range.
    unsafe { map_private_at(base, 0, len, file, 0) }
}

/// Maps `len` bytes of `file` from `file_offset` copy-on-write over `base +
/// offset ..`, replacing what was there (`MAP_FIXED`).
///
/// # Safety
/// As [`map_private_over`], for the range at `offset`.
unsafe fn map_private_at(
    base: NonNull<u8>,
    offset: usize,
    len: usize,
    file: &File,
    file_offset: u64,
) -> io::Result<()> {
    let file_offset = libc::off_t::try_from(file_offset).map_err(io::Error::other)?;
    // SAFETY: the caller owns the range and nothing references it.
    let mapped = unsafe {
        libc::mmap(
            base.as_ptr().add(offset).cast(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_NORESERVE | libc::MAP_FIXED,
            file.as_raw_fd(),
            file_offset,
        )
    };
    if mapped == libc::MAP_FAILED { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// 2 MiB: the host's huge page.
const HUGE: usize = 2 << 20;

/// A fresh anonymous mapping as [`mmap_anonymous`], of `size` bytes (a
/// multiple of [`HUGE`]) at a [`HUGE`]-aligned address.
fn mmap_anonymous_aligned(size: usize) -> io::Result<*mut u8> {
    let reserved = size.checked_add(HUGE).ok_or_else(|| io::Error::other("mapping too large"))?;
    let base = mmap_anonymous(reserved);
    if base == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    let start = (base as usize).next_multiple_of(HUGE);
    let (head, tail) = (start - base as usize, reserved - size - (start - base as usize));
    // SAFETY: both ranges are the unaligned slack of the mapping just made,
    // which nothing uses.
    unsafe {
        if head > 0 {
            libc::munmap(base, head);
        }
        if tail > 0 {
            libc::munmap((start + size) as *mut libc::c_void, tail);
        }
    }
    Ok(start as *mut u8)
}

/// Ranges one `process_madvise` call takes (`UIO_MAXIOV`).
const IOV_MAX: usize = 1024;

/// Drops `batch` (ranges of this process's own mappings) with one
/// `process_madvise(MADV_DONTNEED)`. `Ok(false)`: this kernel cannot (no
/// pidfd, or advice on oneself other than the few cross-process kinds is
/// refused before Linux 6.13), so the caller falls back to `madvise`.
fn discard_batch(batch: &[libc::iovec]) -> io::Result<bool> {
    static PIDFD: OnceLock<Option<OwnedFd>> = OnceLock::new();
    let pidfd = PIDFD.get_or_init(|| {
        // SAFETY: pidfd_open on our own pid; the result is a new descriptor
        // we own (or -1).
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) };
        // SAFETY: a non-negative result is a descriptor nobody else owns.
        i32::try_from(fd).ok().filter(|fd| *fd >= 0).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
    });
    let Some(pidfd) = pidfd else { return Ok(false) };
    let total: usize = batch.iter().map(|iovec| iovec.iov_len).sum();
    // SAFETY: `batch` is a valid iovec array of ranges in our own mappings
    // (the caller checked them); MADV_DONTNEED only drops their pages.
    let done = unsafe {
        libc::syscall(libc::SYS_process_madvise, pidfd.as_raw_fd(), batch.as_ptr(), batch.len(), libc::MADV_DONTNEED, 0)
    };
    match done {
        -1 => {
            let error = io::Error::last_os_error();
            match error.raw_os_error() {
                Some(libc::EINVAL | libc::ENOSYS | libc::EPERM) => Ok(false),
                _ => Err(error),
            }
        }
        // A partial result leaves the rest to the fallback, which is
        // idempotent for the ranges already dropped.
        n => Ok(usize::try_from(n).is_ok_and(|n| n == total)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::PAGE;

    /// A private copy of a 64-page file whose page `n` holds byte `n`.
    fn private_copy_of_numbered_pages() -> (HostMapping, HostMapping) {
        let contents: Vec<u8> = (0..64u8).flat_map(|n| [n; PAGE]).collect();
        let image = HostMapping::sealed_file(&contents, contents.len(), "image").expect("image");
        let copy = HostMapping::private_copy(image.file().expect("file"), contents.len(), "copy").expect("copy");
        (image, copy)
    }

    #[test]
    fn discarded_pages_read_as_the_file_again_and_are_no_longer_private() {
        let (_image, copy) = private_copy_of_numbered_pages();
        for page in 0..64 {
            copy.write((page * PAGE) as u64, &[0xee; 16]).expect("write");
        }
        let mut private = Vec::new();
        copy.private_pages(&mut private).expect("scan");
        assert_eq!(private, std::iter::once(0..64 * PAGE).collect::<Vec<_>>(), "every written page is private");

        // Every other page, as 32 ranges: more than one per call.
        let ranges: Vec<_> = (0..64).step_by(2).map(|page| page * PAGE..(page + 1) * PAGE).collect();
        copy.discard(&ranges).expect("discard");
        for page in 0..64u8 {
            let mut head = [0u8; 16];
            copy.read(u64::from(page) * PAGE as u64, &mut head).expect("read");
            let expected = if page % 2 == 0 { page } else { 0xee };
            assert_eq!(head, [expected; 16], "page {page}");
        }
        let mut private = Vec::new();
        copy.private_pages(&mut private).expect("scan");
        let pages: usize = private.iter().map(|r| (r.end - r.start) / PAGE).sum();
        assert_eq!(pages, 32, "discarded pages are shared again: {private:?}");
    }

    #[test]
    fn populated_pages_keep_their_bytes_and_become_private() {
        let (_image, copy) = private_copy_of_numbered_pages();
        let written = std::iter::once(4 * PAGE..8 * PAGE).collect::<Vec<_>>();
        copy.populate_write(&written).expect("populate");
        let mut private = Vec::new();
        copy.private_pages(&mut private).expect("scan");
        assert_eq!(private, written);
        for page in 0..64u8 {
            let mut head = [0u8; 8];
            copy.read(u64::from(page) * PAGE as u64, &mut head).expect("read");
            assert_eq!(head, [page; 8]);
        }
    }
}
