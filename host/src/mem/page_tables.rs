//! Page tables for a guest: what each run of guest pages may do, and the
//! tables that map them (built in a [`TableArena`], placed in the boot image
//! or, in guest-CoW mode, in the CoW memory).

use super::{BootImageError, DirtyPageMode};
use featherlight_abi::layout::PAGE_SIZE;
pub(crate) use featherlight_abi::paging::TableArena;
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
    /// The linear-memory area: read-write in both modes (restore finds
    /// what changed with `PAGEMAP_SCAN` in both), mapped with 2 MiB pages.
    LinearMemory,
}

/// One run of pages to map.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mapping {
    pub virt: u64,
    pub phys: u64,
    pub size: u64,
    pub access: Access,
}

/// Builds page tables in `tables` for `mappings`, with snapshot pages
/// writable (host CoW) or read-only + CoW (guest CoW). Returns the root.
pub(crate) fn build_tables(
    tables: &mut TableArena,
    mappings: &[Mapping],
    mode: DirtyPageMode,
) -> Result<u64, BootImageError> {
    let root = tables.allocate_table().ok_or_else(|| BootImageError::Layout("no room for page tables".into()))?;
    add_mappings(tables, root, mappings, mode)?;
    Ok(root)
}

/// Adds `mappings` to the tables at `root` (see [`build_tables`]).
pub(crate) fn add_mappings(
    tables: &mut TableArena,
    root: u64,
    mappings: &[Mapping],
    mode: DirtyPageMode,
) -> Result<(), BootImageError> {
    // Snapshot pages hold data only: no-execute in both modes (the guest's
    // CoW handler keeps the bit when it repoints an entry).
    let snapshot_flags =
        if mode == DirtyPageMode::GuestCow { READ_ONLY | paging::COW | NO_EXECUTE } else { READ_WRITE };
    for mapping in coalesce(mappings) {
        let flags = match mapping.access {
            Access::ReadOnly => READ_ONLY,
            Access::ReadWrite | Access::LinearMemory => READ_WRITE,
            Access::Snapshot => snapshot_flags,
        };
        let layout_error = |e| BootImageError::Layout(format!("{e:?}"));
        // Read-only runs (code, the artifact) get 2 MiB pages where they
        // cover whole aligned 2 MiB: see `HostMapping::huge_read_only`; so
        // does the linear-memory area (4 GiB: 16 KiB of tables rather than
        // 8 MiB).
        let huge = |offset: u64| {
            matches!(mapping.access, Access::ReadOnly | Access::LinearMemory)
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
    use featherlight_abi::layout::SCRATCH_BASE;

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
