//! The read-only snapshot region: descriptor tables, the guest image's
//! read-only segments, the compiled component, and the page tables that map
//! all of guest memory. Built once per component and memory configuration
//! and shared (one sealed memfd) by every sandbox made from it.

use super::DirtyPageMode;
use super::descriptors::{CowEntries, GDT_ADDRESS, IDT_ADDRESS, gdt_page, idt_page};
use super::guest_cow::CowTables;
use super::layout::ScratchLayout;
use super::region::HostMapping;
use super::{PAGE, host_usize};
use crate::image::GuestImage;
use featherlight_abi::layout::{PAGE_SIZE, Region, SCRATCH_BASE};
use featherlight_abi::paging::{self, ACCESSED, DIRTY, NO_EXECUTE, PageTableMemory, USER, WRITABLE};

/// Read-only pages: Accessed and Dirty are preset so neither the CPU nor a
/// shadow MMU ever writes a page-table entry.
pub(crate) const READ_ONLY: u64 = USER | ACCESSED | DIRTY;
/// Writable pages are never executable: code runs only from the read-only
/// snapshot (the image's text, the compiled component), so a guest cannot
/// write itself new code.
pub(crate) const READ_WRITE: u64 = READ_ONLY | WRITABLE | NO_EXECUTE;

/// What a guest page may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    ReadOnly,
    /// Writable, and never part of what a restore puts back by
    /// copy-on-write: buffers and the exception stack, which the host
    /// writes or the CPU pushes onto.
    ReadWrite,
    /// Writable state captured by snapshots (stacks, the image's data, the
    /// heap): read-write in host-CoW mode, read-only + [`paging::COW`] in
    /// guest-CoW mode. The one flag that separates the two modes' tables.
    Snapshot,
}

/// One run of pages to map.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mapping {
    pub virt: u64,
    pub phys: u64,
    pub size: u64,
    pub access: Access,
}

/// The read-only snapshot region a sandbox boots from, plus what it needs
/// to start: the image and artifact before anything ran.
#[derive(Debug)]
pub(crate) struct BootImage {
    pub memory: HostMapping,
    pub page_table_root: u64,
    pub entry: u64,
    /// The image's message exit (see `layout::MESSAGE_EXIT_SYMBOL`).
    pub message_exit: u64,
    pub artifact: Region,
    pub layout: ScratchLayout,
    /// Guest-CoW page tables and their memory, in guest-CoW mode.
    pub cow: Option<CowTables>,
    /// Initial bytes of the image's writable pages, copied to scratch
    /// (`layout.image_data`) when a sandbox starts.
    pub image_data: Vec<u8>,
}

/// Why a snapshot could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Guest memory layout problem.
    #[error("the guest memory layout does not fit: {0}")]
    Layout(String),
    /// The host could not allocate the snapshot.
    #[error("cannot allocate the snapshot memory: {0}")]
    Memory(#[from] std::io::Error),
}

/// Page tables in a growing buffer at guest-physical `base`.
pub(crate) struct TableArena {
    base: u64,
    /// Tables must end at or below this guest address.
    limit: u64,
    bytes: Vec<u8>,
}

impl TableArena {
    /// No tables yet; the first goes at `base`, the last must end by `limit`.
    pub(crate) fn new(base: u64, limit: u64) -> Self {
        Self { base, limit, bytes: Vec::new() }
    }

    /// The tables' bytes, to place at `base`.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn slot(&self, table: u64, index: usize) -> Option<usize> {
        let offset = usize::try_from(table.checked_sub(self.base)?).ok()?;
        let at = offset.checked_add(index.checked_mul(8)?)?;
        (index < 512 && at + 8 <= self.bytes.len()).then_some(at)
    }
}

impl PageTableMemory for TableArena {
    fn read_entry(&self, table: u64, index: usize) -> Option<u64> {
        let at = self.slot(table, index)?;
        Some(u64::from_le_bytes(self.bytes[at..at + 8].try_into().ok()?))
    }
    fn write_entry(&mut self, table: u64, index: usize, entry: u64) -> Option<()> {
        let at = self.slot(table, index)?;
        self.bytes[at..at + 8].copy_from_slice(&entry.to_le_bytes());
        Some(())
    }
    fn allocate_table(&mut self) -> Option<u64> {
        let address = self.base + self.bytes.len() as u64;
        if address + PAGE_SIZE > self.limit {
            return None;
        }
        self.bytes.resize(self.bytes.len() + PAGE, 0);
        Some(address)
    }
}

fn put(buffer: &mut Vec<u8>, address: u64, data: &[u8]) {
    let start = host_usize(address);
    if buffer.len() < start + data.len() {
        buffer.resize(start + data.len(), 0);
    }
    buffer[start..start + data.len()].copy_from_slice(data);
}

impl BootImage {
    /// Lays out and builds the snapshot for `image` running `artifact`, with
    /// page tables for `mode` (host or guest copy-on-write, never `Auto`).
    pub(crate) fn build(
        image: &GuestImage,
        artifact: &[u8],
        layout: ScratchLayout,
        mode: DirtyPageMode,
    ) -> Result<Self, SnapshotError> {
        let guest_cow = mode == DirtyPageMode::GuestCow;
        let mut contents = Vec::new();
        put(&mut contents, GDT_ADDRESS, &gdt_page(layout.exception_stack));
        let cow_entries = CowEntries { page_fault: image.page_fault_entry, resume: image.cow_resume };
        put(&mut contents, IDT_ADDRESS, &idt_page(image.exception_stubs, guest_cow.then_some(cow_entries)));

        // Image pages: a page any writable segment touches lives in scratch.
        let first_page = image.segments.iter().map(|s| s.address / PAGE_SIZE * PAGE_SIZE).min().unwrap_or(0);
        let writable_page = |page: u64| {
            image
                .segments
                .iter()
                .any(|s| s.writable && s.address < page + PAGE_SIZE && s.address + s.memory_size > page)
        };
        let mut image_data = vec![0u8; host_usize(layout.image_data.size)];
        let mut writable_pages = Vec::new();
        let mut page = first_page;
        while page < image.end {
            if writable_page(page) {
                writable_pages.push(page);
            }
            page += PAGE_SIZE;
        }
        if writable_pages.len() as u64 * PAGE_SIZE > layout.image_data.size {
            return Err(SnapshotError::Layout("the image's writable pages outgrow their scratch area".into()));
        }
        for segment in &image.segments {
            // Copy page by page: each piece goes to the snapshot or to the
            // scratch page backing a writable image page.
            let end = segment.address + segment.data.len() as u64;
            let mut address = segment.address;
            while address < end {
                let page = address / PAGE_SIZE * PAGE_SIZE;
                let piece_end = end.min(page + PAGE_SIZE);
                let piece =
                    &segment.data[host_usize(address - segment.address)..host_usize(piece_end - segment.address)];
                match writable_pages.iter().position(|p| *p == page) {
                    Some(n) => {
                        let at = n * PAGE + host_usize(address - page);
                        image_data[at..at + piece.len()].copy_from_slice(piece);
                    }
                    None => put(&mut contents, address, piece),
                }
                address = piece_end;
            }
        }

        // The artifact after the image and a guard page, page aligned.
        let artifact_address = image.end + PAGE_SIZE;
        put(&mut contents, artifact_address, artifact);
        let artifact_region = Region { address: artifact_address, size: artifact.len() as u64 };
        let tables_base = (artifact_address + artifact.len() as u64).next_multiple_of(PAGE_SIZE);
        contents.resize(host_usize(tables_base), 0);

        let mut mappings = Vec::new();
        let mut map = |virt: u64, phys: u64, size: u64, access: Access| {
            mappings.push(Mapping { virt, phys, size, access });
        };
        map(GDT_ADDRESS, GDT_ADDRESS, PAGE_SIZE, Access::ReadOnly);
        map(IDT_ADDRESS, IDT_ADDRESS, PAGE_SIZE, Access::ReadOnly);
        let mut page = first_page;
        while page < image.end {
            match writable_pages.iter().position(|p| *p == page) {
                Some(n) => map(page, layout.image_data.address + n as u64 * PAGE_SIZE, PAGE_SIZE, Access::Snapshot),
                None => map(page, page, PAGE_SIZE, Access::ReadOnly),
            }
            page += PAGE_SIZE;
        }
        map(artifact_address, artifact_address, artifact.len() as u64, Access::ReadOnly);
        for region in [layout.boot_params, layout.input, layout.output, layout.exception_stack] {
            map(region.address, region.address, region.size, Access::ReadWrite);
        }
        for region in [layout.stack, layout.heap] {
            map(region.address, region.address, region.size, Access::Snapshot);
        }
        let mut tables = TableArena::new(tables_base, SCRATCH_BASE);
        let root = build_tables(&mut tables, &mappings, DirtyPageMode::HostCow)?;
        contents.extend_from_slice(&tables.bytes);
        let memory = HostMapping::huge_read_only(&contents, "snapshot")?;
        let cow = if guest_cow { Some(CowTables::build(&layout, &mappings)?) } else { None };
        Ok(Self {
            memory,
            page_table_root: root,
            entry: image.entry,
            message_exit: image.message_exit,
            artifact: artifact_region,
            layout,
            cow,
            image_data,
        })
    }
}

/// Builds page tables in `tables` for `mappings`, with snapshot pages
/// writable (host CoW) or read-only + CoW (guest CoW). Returns the root.
pub(crate) fn build_tables(
    tables: &mut TableArena,
    mappings: &[Mapping],
    mode: DirtyPageMode,
) -> Result<u64, SnapshotError> {
    let root = tables.allocate_table().ok_or_else(|| SnapshotError::Layout("no room for page tables".into()))?;
    add_mappings(tables, root, mappings, mode)?;
    Ok(root)
}

/// Adds `mappings` to the tables at `root` (see [`build_tables`]).
pub(crate) fn add_mappings(
    tables: &mut TableArena,
    root: u64,
    mappings: &[Mapping],
    mode: DirtyPageMode,
) -> Result<(), SnapshotError> {
    // Snapshot pages hold data only: no-execute in both modes (the guest's
    // CoW handler keeps the bit when it repoints an entry).
    let snapshot_flags =
        if mode == DirtyPageMode::GuestCow { READ_ONLY | paging::COW | NO_EXECUTE } else { READ_WRITE };
    for mapping in coalesce(mappings) {
        let flags = match mapping.access {
            Access::ReadOnly => READ_ONLY,
            Access::ReadWrite => READ_WRITE,
            Access::Snapshot => snapshot_flags,
        };
        let layout_error = |e| SnapshotError::Layout(format!("{e:?}"));
        // Read-only runs (code, the artifact) get 2 MiB pages where they
        // cover whole aligned 2 MiB: see `HostMapping::huge_read_only`.
        let huge = |offset: u64| {
            mapping.access == Access::ReadOnly
                && (mapping.virt + offset).is_multiple_of(paging::HUGE_PAGE_SIZE)
                && (mapping.phys + offset).is_multiple_of(paging::HUGE_PAGE_SIZE)
                && mapping.size - offset >= paging::HUGE_PAGE_SIZE
        };
        let mut offset = 0;
        while offset < mapping.size {
            let (virt, phys) = (mapping.virt + offset, mapping.phys + offset);
            if huge(offset) {
                paging::map_huge_page(tables, root, virt, phys, flags).map_err(layout_error)?;
                offset += paging::HUGE_PAGE_SIZE;
            } else {
                paging::map_page(tables, root, virt, phys, flags).map_err(layout_error)?;
                offset += PAGE_SIZE;
            }
        }
    }
    Ok(())
}

/// `mappings` with neighbours that continue each other (virtual and
/// physical, same access) merged into one run.
fn coalesce(mappings: &[Mapping]) -> Vec<Mapping> {
    let mut runs: Vec<Mapping> = Vec::with_capacity(mappings.len());
    for mapping in mappings {
        match runs.last_mut() {
            Some(run)
                if run.access == mapping.access
                    && run.virt + run.size == mapping.virt
                    && run.phys + run.size == mapping.phys
                    && run.size.is_multiple_of(PAGE_SIZE) =>
            {
                run.size += mapping.size;
            }
            _ => runs.push(*mapping),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB2: u64 = paging::HUGE_PAGE_SIZE;

    fn tables_for(mappings: &[Mapping]) -> (TableArena, u64) {
        let mut tables = TableArena::new(0x10_0000, SCRATCH_BASE);
        let root = build_tables(&mut tables, mappings, DirtyPageMode::HostCow).expect("tables");
        (tables, root)
    }

    fn is_huge(tables: &TableArena, root: u64, virt: u64) -> bool {
        let (_, _, entry) = paging::leaf_entry(tables, root, virt).expect("mapped");
        entry & paging::HUGE != 0
    }

    #[test]
    fn whole_aligned_read_only_runs_get_2_mib_pages() {
        // Page by page, as `BootImage::build` lists them: 4 MiB of read-only
        // identity pages from 2 MiB, then one read-only page at 6 MiB.
        let pages = (0..(2 * MIB2 / PAGE_SIZE + 1)).map(|n| {
            let address = MIB2 + n * PAGE_SIZE;
            Mapping { virt: address, phys: address, size: PAGE_SIZE, access: Access::ReadOnly }
        });
        let (tables, root) = tables_for(&pages.collect::<Vec<_>>());
        assert!(is_huge(&tables, root, MIB2));
        assert!(is_huge(&tables, root, 2 * MIB2 + 0x1234));
        assert!(!is_huge(&tables, root, 3 * MIB2), "the lone page after them");
        assert_eq!(paging::translate(&tables, root, 2 * MIB2 + 0x1234).map(|(phys, _)| phys), Some(2 * MIB2 + 0x1234));
    }

    #[test]
    fn runs_broken_by_writable_pages_or_misaligned_keep_4_kib_pages() {
        let mut mappings = Vec::new();
        for n in 0..MIB2 / PAGE_SIZE {
            let address = MIB2 + n * PAGE_SIZE;
            // One page of the region is writable state, elsewhere in memory.
            let (phys, access) = if n == 7 { (SCRATCH_BASE, Access::Snapshot) } else { (address, Access::ReadOnly) };
            mappings.push(Mapping { virt: address, phys, size: PAGE_SIZE, access });
        }
        // 2 MiB of read-only pages, but starting 4 KiB past a boundary.
        mappings.push(Mapping {
            virt: 4 * MIB2 + PAGE_SIZE,
            phys: 4 * MIB2 + PAGE_SIZE,
            size: MIB2,
            access: Access::ReadOnly,
        });
        let (tables, root) = tables_for(&mappings);
        assert!(!is_huge(&tables, root, MIB2));
        assert!(!is_huge(&tables, root, 4 * MIB2 + PAGE_SIZE));
        assert!(!is_huge(&tables, root, 5 * MIB2));
    }
}
