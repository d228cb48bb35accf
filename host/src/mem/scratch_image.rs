//! The contents of a sandbox's scratch memory at a snapshot, and putting a
//! scratch back to them ("host copy-on-write").
//!
//! The image is a sealed, sparse memfd: all-zero pages are holes and cost
//! nothing. Every sandbox restored from it maps it `MAP_PRIVATE`, so pages the
//! guest only reads stay shared in the host's page cache and the kernel copies
//! a page on the guest's first write to it. Restoring finds the pages that
//! became private (`PAGEMAP_SCAN`) and copies the image's bytes back into them
//! while they stay mapped, so a later call that writes the same pages takes
//! no fault: restore costs time in proportion to what the guest dirtied, not
//! to the size of scratch. Guest page tables never change in this mode.

use super::region::{FileRange, HostMapping, memfd, seal};
use super::{PAGE, host_usize};
use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;

/// Offsets of pages, sorted and disjoint.
pub(crate) type Ranges = Vec<Range<usize>>;

/// At most this many pages are made private up front per sandbox (512 KiB:
/// a sandbox that stays idle keeps them).
const MAX_PREPARED_PAGES: usize = 128;

/// Above this many private pages a restore drops them (`MADV_DONTNEED`)
/// instead of copying into them, bounding a sandbox's private memory.
const MAX_KEPT_PRIVATE_PAGES: usize = 16 * 1024;

/// Scratch contents captured at a snapshot.
#[derive(Debug)]
pub(crate) struct ScratchImage {
    /// The sealed memfd, mapped shared and read-only: the source of copies.
    mapping: HostMapping,
    /// Pages stored (not holes).
    stored_pages: usize,
    /// The pages a new sandbox's scratch makes private up front (see
    /// [`Self::map_private`]), chosen at the first restore that found
    /// written pages: those the call wrote and, if all fit, the stored ones.
    prepared: OnceLock<Vec<Range<usize>>>,
    /// Whether sandboxes map only the stored ranges from the file and the
    /// rest anonymously ([`HostMapping::private_copy_of_ranges`]): the
    /// linear-memory area, mostly holes that a guest may fill by the GiB.
    overlay: bool,
    /// The ranges mapped from the file in `overlay` mode (or of a snapshot
    /// file, always), found once.
    file_ranges: OnceLock<Vec<FileRange>>,
    /// Whether the image is part of a snapshot file (`from_file`): its
    /// stored ranges are `file_ranges`, at their own file offsets.
    in_snapshot_file: bool,
    /// In overlay mode, where sandboxes use small pages (the rest may use
    /// transparent huge pages).
    small_pages: Vec<Range<usize>>,
}

/// In overlay mode, small pages reach this far past the last stored byte
/// of a part, rounded up to it (2 MiB: one huge page).
const SMALL_PAGE_SLACK: usize = 2 << 20;

/// At most this many file ranges are mapped over a sandbox's anonymous
/// memory in overlay mode (each is a mapping of its own): holes between
/// stored ranges are mapped from the file too, from the smallest up.
const MAX_OVERLAY_RANGES: usize = 256;

/// What a restore did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RestoreStats {
    /// Pages copied back from the image.
    pub copied_pages: usize,
    /// Pages dropped to bound the private set.
    pub dropped_pages: usize,
    /// Whether scratch was remapped from another image.
    pub remapped: bool,
}

impl ScratchImage {
    /// Captures `scratch`, which is a private copy of `parent` if given (else
    /// private anonymous memory). Reads only pages that may hold data: the
    /// pages `scratch` wrote and the parent's stored pages. In guest-CoW
    /// mode `copies` holds the pages the guest copied: `(scratch offset,
    /// offset in `copies.0`)`, sorted, read from there instead.
    pub(crate) fn capture(
        scratch: &HostMapping,
        parent: Option<&ScratchImage>,
        copies: Option<(&HostMapping, &[(usize, usize)])>,
    ) -> io::Result<Self> {
        let mut ranges = Vec::new();
        if let Err(e) = scratch.private_pages(&mut ranges) {
            if !scan_unsupported(&e) {
                return Err(e);
            }
            // Without PAGEMAP_SCAN, read everything (zero pages are skipped).
            ranges.clear();
            ranges.push(0..scratch.size());
        }
        if let Some(parent) = parent {
            parent.data_ranges(&mut ranges)?;
        }
        let (copy_memory, copied) = match copies {
            Some((memory, copied)) => (Some(memory), copied),
            None => (None, &[][..]),
        };
        ranges.extend(copied.iter().map(|(offset, _)| *offset..*offset + PAGE));
        ranges.sort_by_key(|r| r.start);
        let file = memfd(scratch.size() as u64)?;
        let mut page = vec![0u8; PAGE];
        let mut next = 0usize;
        let mut stored_pages = 0;
        for range in ranges {
            let mut offset = range.start.max(next) / PAGE * PAGE;
            while offset < range.end {
                let copy = copied.binary_search_by_key(&offset, |(at, _)| *at).ok().map(|i| copied[i].1);
                match (copy_memory, copy) {
                    (Some(memory), Some(at)) => memory.read(at as u64, &mut page),
                    _ => scratch.read(offset as u64, &mut page),
                }
                .map_err(io::Error::other)?;
                if page.iter().any(|b| *b != 0) {
                    file.write_all_at(&page, offset as u64)?;
                    stored_pages += 1;
                }
                offset += PAGE;
            }
            next = next.max(offset);
        }
        seal(&file)?;
        let mapping = HostMapping::shared_read_only(file, scratch.size(), "scratch snapshot")?;
        Ok(Self {
            mapping,
            stored_pages,
            prepared: OnceLock::new(),
            overlay: false,
            file_ranges: OnceLock::new(),
            in_snapshot_file: false,
            small_pages: Vec::new(),
        })
    }

    /// An image stored in a snapshot file: `ranges` of it hold data, read
    /// from `file` at their file offsets (checked by the file's parser to
    /// lie inside it), the rest is zero. `overlay_part`: as
    /// [`Self::into_overlay`] (the linear-memory area).
    pub(crate) fn from_file(
        file: File,
        size: usize,
        stored_pages: usize,
        ranges: Vec<FileRange>,
        prepared: Vec<Range<usize>>,
        overlay_part: Option<usize>,
    ) -> io::Result<Self> {
        let mapping = HostMapping::read_only_ranges(file, size, &ranges, "snapshot file")?;
        let image = Self {
            mapping,
            stored_pages,
            prepared: OnceLock::new(),
            overlay: false,
            file_ranges: OnceLock::from(ranges),
            in_snapshot_file: true,
            small_pages: Vec::new(),
        };
        if !prepared.is_empty() {
            let _ = image.prepared.set(prepared);
        }
        match overlay_part {
            Some(part) => image.into_overlay(part),
            None => Ok(image),
        }
    }

    /// What a snapshot file stores of this image: the ranges sandboxes map
    /// from the file (at most [`MAX_OVERLAY_RANGES`], holes between stored
    /// ranges included), and the pages made private up front.
    pub(crate) fn stored_ranges(&self) -> io::Result<(Ranges, Ranges)> {
        let ranges = self.file_ranges()?.iter().map(|r| r.range.clone()).collect();
        Ok((ranges, self.prepared.get().cloned().unwrap_or_default()))
    }

    /// The read-only view of the image (guest offsets).
    pub(crate) fn view(&self) -> &HostMapping {
        &self.mapping
    }

    /// This image, mapped by sandboxes as anonymous memory with only its
    /// stored ranges from the file (see [`Self::map_private`]). The memory
    /// is cut in `part`-sized parts (the linear-memory reservations): each
    /// uses small pages up to [`SMALL_PAGE_SLACK`] past its last stored
    /// byte, where a call's allocations into memory the guest already had
    /// cost 4 KiB per page touched, and transparent huge pages beyond, where
    /// a growing memory's first touches cost one fault per 2 MiB.
    pub(crate) fn into_overlay(mut self, part: usize) -> io::Result<Self> {
        let mut ranges = Vec::new();
        self.data_ranges(&mut ranges)?;
        let mut small: Vec<Range<usize>> = Vec::new();
        for range in ranges {
            let start = range.start / part.max(1) * part.max(1);
            let end = range.end.next_multiple_of(SMALL_PAGE_SLACK) + SMALL_PAGE_SLACK;
            let end = end.min(start.saturating_add(part)).min(self.size());
            match small.last_mut() {
                Some(last) if last.start == start => last.end = last.end.max(end),
                _ => small.push(start..end),
            }
        }
        self.overlay = true;
        self.small_pages = small;
        Ok(self)
    }

    /// The ranges to map from the file in overlay mode (a memfd's at their
    /// own offsets).
    fn file_ranges(&self) -> io::Result<&[FileRange]> {
        if let Some(ranges) = self.file_ranges.get() {
            return Ok(ranges);
        }
        let mut ranges = Vec::new();
        self.data_ranges(&mut ranges)?;
        let ranges = self.file_ranges.get_or_init(|| {
            let ranges = bridge(merge(ranges), MAX_OVERLAY_RANGES);
            ranges.into_iter().map(|range| FileRange { file_offset: range.start as u64, range }).collect()
        });
        Ok(ranges)
    }

    /// Where sandboxes use small pages when mapped by ranges: scratch (not
    /// an overlay) everywhere, as when it is one private file mapping.
    fn small_pages(&self) -> Vec<Range<usize>> {
        if self.overlay { self.small_pages.clone() } else { std::iter::once(0..self.size()).collect() }
    }

    /// Maps `scratch` afresh from this image, in place.
    fn remap(&self, scratch: &mut HostMapping) -> io::Result<()> {
        if self.overlay || self.in_snapshot_file {
            scratch.remap_private_ranges(self.file(), self.file_ranges()?, &self.small_pages())
        } else {
            scratch.remap_private(self.file(), self.size())
        }
    }

    /// The image's file, to map privately as a sandbox's scratch.
    pub(crate) fn file(&self) -> &File {
        // A ScratchImage always maps its own file (see `capture`).
        self.mapping.file().unwrap_or_else(|| unreachable!("scratch images are file-backed"))
    }

    /// Size in bytes (the scratch size it was taken from).
    pub(crate) fn size(&self) -> usize {
        self.mapping.size()
    }

    /// Pages holding data (the rest are zero and stored as holes).
    pub(crate) fn stored_pages(&self) -> usize {
        self.stored_pages
    }

    /// A new private copy-on-write scratch mapping of this image.
    pub(crate) fn map_private(&self) -> io::Result<HostMapping> {
        let mapping = if self.overlay || self.in_snapshot_file {
            let what = if self.overlay { "linear memory" } else { "scratch" };
            HostMapping::private_copy_of_ranges(
                self.file(),
                self.size(),
                self.file_ranges()?,
                &self.small_pages(),
                what,
            )?
        } else {
            HostMapping::private_copy(self.file(), self.size(), "scratch")?
        };
        // Under shadow paging this saves a host fault per page written, and
        // lets KVM map the neighbours of a page the guest faults on (it
        // prefetches only pages already present and writable in the host):
        // ~20 % fewer first-call faults with the written pages here, and
        // 29 -> 21 with the stored ones, which the call reads.
        if let Some(prepared) = self.prepared.get() {
            mapping.populate_write(prepared)?;
        }
        Ok(mapping)
    }

    /// Puts `scratch` back to this image. `scratch` must be a private copy
    /// of this image when `same_image`; otherwise it is remapped from it.
    /// Only the first `writable` bytes can have changed (all of scratch in
    /// host-CoW mode; the writable slot in guest-CoW mode).
    pub(crate) fn restore(
        &self,
        scratch: &mut HostMapping,
        same_image: bool,
        writable: usize,
    ) -> io::Result<RestoreStats> {
        if !same_image {
            self.remap(scratch)?;
            return Ok(RestoreStats { remapped: true, ..RestoreStats::default() });
        }
        let mut ranges = Vec::new();
        if let Err(e) = scratch.private_pages_below(writable, &mut ranges) {
            // Kernels before 6.7 lack PAGEMAP_SCAN: remapping is slower
            // (every page faults in again) but just as correct.
            if scan_unsupported(&e) {
                tracing::debug!("PAGEMAP_SCAN unavailable ({e}); restoring by remapping scratch");
                self.remap(scratch)?;
                return Ok(RestoreStats { remapped: true, ..RestoreStats::default() });
            }
            return Err(e);
        }
        let pages: usize = ranges.iter().map(|r| (r.end - r.start) / PAGE).sum();
        if self.prepared.get().is_none() && pages > 0 && pages <= MAX_PREPARED_PAGES {
            let _ = self.prepared.set(self.pages_to_prepare(&ranges)?);
        }
        if pages > MAX_KEPT_PRIVATE_PAGES {
            scratch.discard(&ranges)?;
            return Ok(RestoreStats { dropped_pages: pages, ..RestoreStats::default() });
        }
        if self.overlay {
            // Pages outside the file's ranges are zero in the image and
            // anonymous in the mapping: dropping them is cheaper than
            // copying zeros (with huge pages, whole 2 MiB at a time) and
            // gives the memory back; the guest's next touch maps a fresh
            // zero page (one fault per huge page).
            let (inside, outside) = split(&ranges, self.file_ranges()?);
            scratch.discard(&outside)?;
            scratch.copy_from(&self.mapping, &inside).map_err(io::Error::other)?;
            let copied_pages = inside.iter().map(|r| (r.end - r.start) / PAGE).sum();
            return Ok(RestoreStats { copied_pages, dropped_pages: pages - copied_pages, ..RestoreStats::default() });
        }
        scratch.copy_from(&self.mapping, &ranges).map_err(io::Error::other)?;
        Ok(RestoreStats { copied_pages: pages, ..RestoreStats::default() })
    }

    /// `written` and the stored pages if they fit [`MAX_PREPARED_PAGES`]
    /// together, else `written` alone.
    fn pages_to_prepare(&self, written: &[Range<usize>]) -> io::Result<Vec<Range<usize>>> {
        let mut ranges = written.to_vec();
        self.data_ranges(&mut ranges)?;
        let union = merge(ranges);
        let pages: usize = union.iter().map(|r| (r.end - r.start) / PAGE).sum();
        Ok(if pages <= MAX_PREPARED_PAGES { union } else { written.to_vec() })
    }

    /// Appends the offsets of the image's stored (non-hole) ranges.
    fn data_ranges(&self, out: &mut Vec<Range<usize>>) -> io::Result<()> {
        if self.in_snapshot_file {
            out.extend(self.file_ranges()?.iter().map(|r| r.range.clone()));
            return Ok(());
        }
        let fd = self.file().as_raw_fd();
        let size = i64::try_from(self.size()).map_err(io::Error::other)?;
        let mut offset = 0i64;
        while offset < size {
            // SAFETY: lseek on our own descriptor; it moves no memory.
            let data = unsafe { libc::lseek(fd, offset, libc::SEEK_DATA) };
            if data < 0 {
                // ENXIO: no data after `offset`.
                break;
            }
            // SAFETY: as above.
            let hole = unsafe { libc::lseek(fd, data, libc::SEEK_HOLE) };
            let hole = if hole < 0 { size } else { hole.min(size) };
            let start = u64::try_from(data).map_err(io::Error::other)?;
            let end = u64::try_from(hole).map_err(io::Error::other)?;
            out.push(host_usize(start)..host_usize(end));
            offset = hole;
        }
        Ok(())
    }
}

/// `ranges` sorted, with overlapping and touching ones joined.
fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// The parts of sorted, disjoint `ranges` inside and outside the sorted,
/// disjoint `by`.
fn split(ranges: &[Range<usize>], by: &[FileRange]) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    let (mut inside, mut outside) = (Vec::new(), Vec::new());
    let mut next = 0;
    for range in ranges {
        let mut start = range.start;
        while start < range.end {
            while next < by.len() && by[next].range.end <= start {
                next += 1;
            }
            match by.get(next).map(|b| &b.range) {
                Some(b) if b.start <= start => {
                    let end = range.end.min(b.end);
                    inside.push(start..end);
                    start = end;
                }
                Some(b) if b.start < range.end => {
                    outside.push(start..b.start);
                    start = b.start;
                }
                _ => {
                    outside.push(start..range.end);
                    start = range.end;
                }
            }
        }
    }
    (inside, outside)
}

/// Sorted, disjoint `ranges` joined across their smallest gaps until at
/// most `limit` remain.
fn bridge(mut ranges: Vec<Range<usize>>, limit: usize) -> Vec<Range<usize>> {
    while ranges.len() > limit.max(1) {
        let mut gaps: Vec<usize> = ranges.windows(2).map(|w| w[1].start - w[0].end).collect();
        gaps.sort_unstable();
        // Join every gap up to the one that brings the count to `limit`.
        let widest = gaps[ranges.len() - limit.max(1) - 1];
        let mut joined: Vec<Range<usize>> = Vec::with_capacity(limit);
        for range in ranges {
            match joined.last_mut() {
                Some(last) if range.start - last.end <= widest => last.end = range.end,
                _ => joined.push(range),
            }
        }
        ranges = joined;
    }
    ranges
}

/// Whether `error` says this kernel has no `PAGEMAP_SCAN` (before 6.7).
pub(crate) fn scan_unsupported(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::ENOTTY | libc::EINVAL))
}

#[cfg(test)]
mod tests {
    use super::{FileRange, bridge, merge, split};

    #[test]
    fn split_cuts_ranges_at_the_boundaries() {
        let by: Vec<FileRange> =
            [5..13, 25..26, 40..50].into_iter().map(|range| FileRange { file_offset: 0, range }).collect();
        let (inside, outside) = split(&[0..10, 12..14, 20..30], &by);
        assert_eq!(inside, vec![5..10, 12..13, 25..26]);
        assert_eq!(outside, vec![0..5, 13..14, 20..25, 26..30]);
        let (inside, outside) = split(&[0..4, 6..8], &[]);
        assert_eq!((inside, outside), (vec![], vec![0..4, 6..8]));
    }

    #[test]
    fn bridge_joins_the_smallest_gaps_first() {
        let ranges = vec![0..1, 2..3, 10..11, 12..13, 40..41];
        assert_eq!(bridge(ranges.clone(), 5), ranges);
        assert_eq!(bridge(ranges.clone(), 3), vec![0..3, 10..13, 40..41]);
        assert_eq!(bridge(ranges.clone(), 1), vec![0..41]);
        assert!(bridge(Vec::new(), 2).is_empty());
    }

    #[test]
    fn merge_joins_overlapping_and_touching_ranges() {
        let merged = merge(vec![8..12, 0..4, 2..6, 6..7, 20..24, 12..16]);
        assert_eq!(merged, vec![0..7, 8..16, 20..24]);
        assert!(merge(Vec::new()).is_empty());
    }
}
