//! Finding the pages of a host mapping that became private to this process:
//! the pages a guest wrote since its scratch was mapped from a snapshot.
//!
//! Uses the `PAGEMAP_SCAN` ioctl on `/proc/self/pagemap` (Linux 6.7+), which
//! reports ranges of pages by category in one call, a few ns per page. A page
//! of a `MAP_PRIVATE` file mapping that was written is anonymous (not
//! file-backed) and present or swapped; a page only read stays file-backed.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::fd::AsRawFd;
use std::sync::OnceLock;

// Categories, from the kernel's `include/uapi/linux/fs.h`.
const PAGE_IS_FILE: u64 = 1 << 2;
const PAGE_IS_PRESENT: u64 = 1 << 3;
const PAGE_IS_SWAPPED: u64 = 1 << 4;

/// One range the kernel reports (`struct page_region`).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct PageRegion {
    start: u64,
    end: u64,
    categories: u64,
}

/// The ioctl's argument (`struct pm_scan_arg`).
#[repr(C)]
struct PmScanArg {
    size: u64,
    flags: u64,
    start: u64,
    end: u64,
    walk_end: u64,
    vec: u64,
    vec_len: u64,
    max_pages: u64,
    category_inverted: u64,
    category_mask: u64,
    category_anyof_mask: u64,
    return_mask: u64,
}

/// `_IOWR('f', 16, struct pm_scan_arg)`.
const PAGEMAP_SCAN: libc::c_ulong = (3 << 30) | ((size_of::<PmScanArg>() as libc::c_ulong) << 16) | (0x66 << 8) | 16;

/// Ranges the kernel may return per call.
const BATCH: usize = 256;

fn pagemap() -> io::Result<&'static File> {
    static PAGEMAP: OnceLock<Result<File, String>> = OnceLock::new();
    match PAGEMAP.get_or_init(|| File::open("/proc/self/pagemap").map_err(|e| e.to_string())) {
        Ok(file) => Ok(file),
        Err(e) => Err(io::Error::other(format!("cannot open /proc/self/pagemap: {e}"))),
    }
}

/// Appends to `out` the host address ranges in `range` whose pages are
/// private to this process (written, present or swapped out).
pub(crate) fn private_ranges(range: Range<u64>, out: &mut Vec<Range<u64>>) -> io::Result<()> {
    let file = pagemap()?;
    let mut regions = [PageRegion::default(); BATCH];
    let mut start = range.start;
    while start < range.end {
        let mut arg = PmScanArg {
            size: size_of::<PmScanArg>() as u64,
            flags: 0,
            start,
            end: range.end,
            walk_end: 0,
            vec: regions.as_mut_ptr() as u64,
            vec_len: BATCH as u64,
            max_pages: 0,
            // Not file-backed, and present or swapped.
            category_inverted: PAGE_IS_FILE,
            category_mask: PAGE_IS_FILE,
            category_anyof_mask: PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
            return_mask: PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
        };
        // SAFETY: `arg` is a valid pm_scan_arg whose `vec` points at
        // `regions`, BATCH entries the kernel may fill; the scanned range is
        // only read by the kernel.
        let found = unsafe { libc::ioctl(file.as_raw_fd(), PAGEMAP_SCAN, &mut arg as *mut PmScanArg) };
        if found < 0 {
            return Err(io::Error::last_os_error());
        }
        let found = usize::try_from(found).unwrap_or(0).min(BATCH);
        out.extend(regions[..found].iter().map(|r| r.start..r.end));
        // Only a full vector means there may be more. Resume after the last
        // range rather than at `walk_end`, which this machine's kernel
        // reports wrongly for long scans.
        match regions[..found].last() {
            Some(last) if found == BATCH && last.end > start => start = last.end,
            _ => break,
        }
    }
    Ok(())
}
