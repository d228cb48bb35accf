//! Guest copy-on-write (DESIGN.md's guest-CoW mode): the page tables and
//! the memory the guest copies snapshot pages into.
//!
//! Guest-physical layout of a guest-CoW sandbox: the boot image (slot 0,
//! read-only) as in host-CoW mode; scratch at [`SCRATCH_BASE`], whose
//! first part (boot parameters, buffers, exception stack) is a writable slot
//! and whose rest is the snapshot's scratch image in a **read-only** slot;
//! and above it the **CoW memory**, writable and identity-mapped with 2 MiB
//! pages: the page tables (root first), a [`CowHeader`] page, then the pages
//! the guest takes for copies. The tables map snapshot pages read-only with
//! [`paging::COW`]; the guest's fault handler (`guest-runtime/kernel/src/cow.rs`)
//! copies such a page into the next free page and repoints the entry.
//!
//! Restore zeroes the pages below the header's bump pointer (clamped to the
//! CoW memory; a copy overwrites a whole page before any entry points at it,
//! so pages above the pointer are never visible through the snapshot's
//! mappings), writes the tables and header back, and then the caller zaps
//! the hypervisor's translations: host writes to guest page tables are
//! invisible to a shadow MMU (and to TLBs on hardware) until a memory slot
//! is deleted and re-added.

use super::BootImageError;
use super::layout::ScratchLayout;
use super::page_tables::{Access, Mapping, TableArena, add_mappings, build_tables};
use super::region::HostMapping;
use super::scratch_image::scan_unsupported;
use super::{DirtyPageMode, PAGE, host_usize};
use featherlight_abi::layout::{COW_MAGIC, CowHeader, PAGE_SIZE, SCRATCH_BASE};
use featherlight_abi::paging::{self, ACCESSED, DIRTY, HUGE_PAGE_SIZE, NO_EXECUTE, PageTableMemory, USER, WRITABLE};
use featherlight_wire::page_tables::{self, CowRun, PageTableViolation};
use std::io;

/// Guest-CoW page tables for one boot image, and where they go.
#[derive(Debug)]
pub(crate) struct CowTables {
    /// Guest-physical (and virtual) address of the CoW memory; the root
    /// table is its first page.
    pub base: u64,
    /// Bytes of CoW memory: tables, header, and a page for every snapshot
    /// page the guest could copy.
    pub size: u64,
    /// The tables and header page, as placed at `base`.
    tables: Vec<u8>,
    /// The same in a sealed memfd, mapped shared: every sandbox's CoW
    /// memory maps it copy-on-write, so the table pages a guest never
    /// writes (most of them) exist once per boot image, not per sandbox.
    image: HostMapping,
    /// Runs of snapshot pages mapped copy-on-write.
    cow_runs: Vec<CowRun>,
    /// Scratch offsets below this are a writable slot; the rest is the
    /// snapshot, read-only to the guest.
    pub writable_scratch: u64,
}

/// Where the dummy memory slot goes whose removal and re-addition zaps the
/// hypervisor's translations: right after the CoW memory, never mapped by
/// the guest's tables.
pub(crate) fn dummy_slot_address(tables: &CowTables) -> u64 {
    tables.base + tables.size
}

impl CowTables {
    /// Builds guest-CoW tables for the boot image's `mappings`.
    pub(crate) fn build(layout: &ScratchLayout, mappings: &[Mapping]) -> Result<Self, BootImageError> {
        let base = (SCRATCH_BASE + layout.size).next_multiple_of(HUGE_PAGE_SIZE);
        let cow_runs: Vec<CowRun> = mappings
            .iter()
            .filter(|m| m.access == Access::Snapshot)
            .map(|m| CowRun { virt: m.virt, phys: m.phys, size: m.size })
            .collect();
        let cow_pages: u64 = cow_runs.iter().map(|m| m.size.div_ceil(PAGE_SIZE)).sum();
        // Tables for the boot image's mappings take at most one table per
        // 2 MiB mapped plus the upper levels; the CoW memory's own identity
        // mapping a directory per GiB. Generous on purpose: unused pages
        // cost nothing (the memory is sparse).
        // The linear-memory area has 2 MiB pages: a directory per GiB.
        let (area, mapped): (Vec<&Mapping>, Vec<&Mapping>) =
            mappings.iter().partition(|m| m.access == Access::LinearMemory);
        let mapped: u64 = mapped.iter().map(|m| m.size).sum();
        let area_tables: u64 = area.iter().map(|m| m.size.div_ceil(1 << 30) + 2).sum();
        let table_pages = mapped.div_ceil(HUGE_PAGE_SIZE) + area_tables + mappings.len() as u64 * 3 + 16;
        let size = ((table_pages + 1 + cow_pages) * PAGE_SIZE).next_multiple_of(HUGE_PAGE_SIZE);
        let mut arena = TableArena::new(base, base + table_pages * PAGE_SIZE);
        let root = build_tables(&mut arena, &[], DirtyPageMode::GuestCow)?;
        let header =
            arena.allocate_table().ok_or_else(|| BootImageError::Layout("no room for the CoW header".into()))?;
        add_mappings(&mut arena, root, mappings, DirtyPageMode::GuestCow)?;
        // Tables and copies: data, never code.
        let identity = USER | ACCESSED | DIRTY | WRITABLE | NO_EXECUTE;
        let mut offset = 0;
        while offset < size {
            paging::map_huge_page(&mut arena, root, base + offset, base + offset, identity)
                .map_err(|e| BootImageError::Layout(format!("CoW memory: {e:?}")))?;
            offset += HUGE_PAGE_SIZE;
        }
        let mut tables = arena.bytes().to_vec();
        let first_free = base + tables.len() as u64;
        let header_bytes = cow_header_bytes(&CowHeader { magic: COW_MAGIC, next: first_free, end: base + size });
        let at = host_usize(header - base);
        tables[at..at + header_bytes.len()].copy_from_slice(&header_bytes);
        let writable_scratch = ScratchLayout::offset(layout.exception_stack.end().unwrap_or(SCRATCH_BASE));
        let image = HostMapping::sealed_file(&tables, tables.len(), "CoW tables")?;
        Ok(Self { base, size, tables, image, cow_runs, writable_scratch })
    }

    /// The root page table (guest CR3).
    pub(crate) fn root(&self) -> u64 {
        self.base
    }

    /// Offset in the CoW memory of the first page the guest takes.
    fn first_free(&self) -> usize {
        self.tables.len()
    }

    /// New CoW memory for one sandbox, holding the tables: a private view
    /// of the shared tables, then anonymous memory for the guest's copies.
    pub(crate) fn new_memory(&self) -> io::Result<HostMapping> {
        let file = self.image.file().ok_or_else(|| io::Error::other("the CoW tables have no file"))?;
        HostMapping::private_copy_then_anonymous(file, self.tables.len(), host_usize(self.size), "CoW memory")
    }

    /// Puts `memory` back to a fresh sandbox's: zeroes the pages the guest
    /// took and writes the tables and header back. Returns the pages zeroed.
    /// The caller must then zap the hypervisor's translations.
    pub(crate) fn reset(&self, memory: &HostMapping) -> io::Result<usize> {
        let mut raw = [0u8; size_of::<CowHeader>()];
        memory.read(PAGE_SIZE, &mut raw).map_err(io::Error::other)?;
        // Guest-written: only ever used clamped to the CoW memory.
        let next = u64::from_le_bytes(raw[8..16].try_into().unwrap_or_default());
        let first_free = self.first_free();
        let used_end = host_usize(next.saturating_sub(self.base).min(self.size)).next_multiple_of(PAGE);
        let used = used_end.saturating_sub(first_free);
        if used > 0 {
            memory.zero(first_free, used).map_err(io::Error::other)?;
        }
        // Only table pages the guest wrote differ from the tables (the rest
        // still read the shared image): copy those back, in place.
        let mut written = Vec::new();
        match memory.private_pages_below(self.tables.len(), &mut written) {
            Ok(()) => memory.copy_from(&self.image, &written).map_err(io::Error::other)?,
            Err(e) if scan_unsupported(&e) => memory.write(0, &self.tables).map_err(io::Error::other)?,
            Err(e) => return Err(e),
        }
        Ok(used / PAGE)
    }

    /// Snapshot pages the guest has copied: `(scratch offset, offset of the
    /// copy in the CoW memory)`, in scratch order. The guest-written tables
    /// are decoded by `featherlight_wire::page_tables` (fuzzed there): an
    /// entry that points anywhere else than its snapshot page or a CoW page
    /// is refused (only a guest rewriting its own tables makes one).
    pub(crate) fn copied_pages(&self, memory: &HostMapping) -> Result<Vec<(usize, usize)>, PageTableViolation> {
        // Read in place: tables outside the CoW memory read as absent.
        let tables = MappedTables { memory, base: self.base };
        let copies = self.base + self.first_free() as u64..self.base + self.size;
        let copied = page_tables::copied_pages(&tables, self.root(), &self.cow_runs, copies)?;
        Ok(copied
            .into_iter()
            .map(|page| (host_usize(ScratchLayout::offset(page.phys)), host_usize(page.copy - self.base)))
            .collect())
    }
}

fn cow_header_bytes(header: &CowHeader) -> [u8; size_of::<CowHeader>()] {
    let mut bytes = [0u8; size_of::<CowHeader>()];
    for (i, word) in [header.magic, header.next, header.end].iter().enumerate() {
        bytes[i * 8..i * 8 + 8].copy_from_slice(&word.to_le_bytes());
    }
    bytes
}

// CowHeader is three u64 words, as `cow_header_bytes` writes it.
const _: () = assert!(size_of::<CowHeader>() == 24);

/// Guest page tables read in a host mapping of guest-physical memory from
/// `base` (read-only use: debugging reads and snapshots).
struct MappedTables<'a> {
    memory: &'a HostMapping,
    base: u64,
}

impl PageTableMemory for MappedTables<'_> {
    fn read_entry(&self, table: u64, index: usize) -> Option<u64> {
        let offset = table.checked_sub(self.base)?.checked_add(u64::try_from(index).ok()?.checked_mul(8)?)?;
        let mut raw = [0u8; 8];
        self.memory.read(offset, &mut raw).ok()?;
        Some(u64::from_le_bytes(raw))
    }
    fn write_entry(&mut self, _table: u64, _index: usize, _entry: u64) -> Option<()> {
        None
    }
    fn allocate_table(&mut self) -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::MemoryConfig;
    use featherlight_abi::layout::IMAGE_BASE;
    use featherlight_abi::paging::{ADDRESS_MASK, COW, HUGE};

    fn word(memory: &HostMapping, offset: u64) -> u64 {
        let mut raw = [0u8; 8];
        memory.read(offset, &mut raw).unwrap();
        u64::from_le_bytes(raw)
    }

    fn set_word(memory: &HostMapping, offset: u64, value: u64) {
        memory.write(offset, &value.to_le_bytes()).unwrap();
    }

    #[test]
    fn snapshot_pages_are_copy_on_write_and_reset_undoes_a_copy() {
        let layout = MemoryConfig { scratch_size: 16 << 20, ..MemoryConfig::default() }.layout(1).unwrap();
        let identity = |region: featherlight_abi::layout::Region, access| Mapping {
            virt: region.address,
            phys: region.address,
            size: region.size,
            access,
        };
        let mappings = [
            Mapping { virt: IMAGE_BASE, phys: IMAGE_BASE, size: PAGE_SIZE, access: Access::ReadOnly },
            identity(layout.input, Access::ReadWrite),
            identity(layout.heap, Access::Snapshot),
        ];
        let tables = CowTables::build(&layout, &mappings).unwrap();
        let memory = tables.new_memory().unwrap();
        let walk = MappedTables { memory: &memory, base: tables.base };
        let root = tables.root();

        let heap_page = layout.heap.address + 3 * PAGE_SIZE;
        let (phys, flags) = paging::translate(&walk, root, heap_page + 5).unwrap();
        assert_eq!((phys, flags & (COW | WRITABLE)), (heap_page + 5, COW));
        let (_, flags) = paging::translate(&walk, root, layout.input.address).unwrap();
        assert_eq!(flags & (COW | WRITABLE), WRITABLE);
        let (_, flags) = paging::translate(&walk, root, IMAGE_BASE).unwrap();
        assert_eq!(flags & (COW | WRITABLE), 0);
        // The CoW memory is identity-mapped, writable, in 2 MiB pages.
        let (phys, flags) = paging::translate(&walk, root, tables.base + 3 * PAGE_SIZE).unwrap();
        assert_eq!((phys, flags & (HUGE | WRITABLE)), (tables.base + 3 * PAGE_SIZE, HUGE | WRITABLE));
        assert!(dummy_slot_address(&tables) >= tables.base + tables.size);
        let first_free = tables.base + tables.first_free() as u64;
        assert_eq!(word(&memory, PAGE_SIZE), COW_MAGIC);
        assert_eq!(word(&memory, PAGE_SIZE + 8), first_free);
        assert_eq!(word(&memory, PAGE_SIZE + 16), tables.base + tables.size);
        assert_eq!(tables.copied_pages(&memory).unwrap(), []);

        // Do what the guest's fault handler does for a write to `heap_page`.
        let (table, index, entry) = paging::leaf_entry(&walk, root, heap_page).unwrap();
        let entry_offset = table - tables.base + index as u64 * 8;
        set_word(&memory, entry_offset, first_free | (entry & !ADDRESS_MASK & !COW) | WRITABLE);
        set_word(&memory, first_free - tables.base, 0x5ec2e7);
        set_word(&memory, PAGE_SIZE + 8, first_free + PAGE_SIZE);
        let copy = host_usize(first_free - tables.base);
        assert_eq!(tables.copied_pages(&memory).unwrap(), [(host_usize(ScratchLayout::offset(heap_page)), copy)]);

        assert_eq!(tables.reset(&memory).unwrap(), 1);
        assert_eq!(tables.copied_pages(&memory).unwrap(), []);
        // Only the two table pages written (the leaf table and the header)
        // became this memory's own; reset kept the others shared.
        let mut private = Vec::new();
        match memory.private_pages_below(tables.tables.len(), &mut private) {
            Ok(()) => {
                let pages: usize = private.iter().map(|r| (r.end - r.start) / PAGE).sum();
                assert_eq!(pages, 2, "{private:?} of {} table bytes", tables.tables.len());
            }
            // Kernels before 6.7 cannot tell (reset then rewrites every table).
            Err(e) => assert!(scan_unsupported(&e), "{e}"),
        }
        assert_eq!(word(&memory, first_free - tables.base), 0, "the copy was not zeroed");
        assert_eq!(word(&memory, PAGE_SIZE + 8), first_free);

        // A guest-written bump pointer is clamped; an entry pointing
        // elsewhere than its page or a copy is refused.
        set_word(&memory, PAGE_SIZE + 8, u64::MAX);
        assert_eq!(tables.reset(&memory).unwrap(), host_usize(tables.size) / PAGE - tables.first_free() / PAGE);
        set_word(&memory, entry_offset, IMAGE_BASE | (entry & !ADDRESS_MASK));
        assert_eq!(
            tables.copied_pages(&memory),
            Err(PageTableViolation::Redirected { virt: heap_page, target: IMAGE_BASE })
        );
    }
}
