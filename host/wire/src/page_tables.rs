//! Reading the guest-CoW page tables back (`host/src/mem/guest_cow.rs`
//! builds them): which snapshot pages the guest copied, and where.
//!
//! The guest's fault handler copies a snapshot page into the next free page
//! of the CoW memory and repoints the page's leaf entry at the copy; nothing
//! else changes an entry. The tables live in memory the guest can write, so
//! a hostile guest can point an entry anywhere: [`copied_pages`] accepts
//! exactly two targets per snapshot page (the page itself, or a page for
//! copies) and names anything else as a [`PageTableViolation`].

use featherlight_abi::layout::PAGE_SIZE;
use featherlight_abi::paging::{self, ADDRESS_MASK, HUGE, PageTableMemory};
use std::ops::Range;

/// A run of snapshot pages the tables map copy-on-write: `size` bytes at
/// guest-virtual `virt`, backed by guest-physical `phys`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CowRun {
    /// Guest-virtual address of the first page.
    pub virt: u64,
    /// Guest-physical address of the first page's snapshot copy.
    pub phys: u64,
    /// Bytes (rounded up to pages).
    pub size: u64,
}

/// A snapshot page the guest copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CopiedPage {
    /// Guest-physical address of the snapshot page.
    pub phys: u64,
    /// Guest-physical address of the guest's copy.
    pub copy: u64,
}

/// How a guest rewrote a snapshot page's entry in its page tables, beyond
/// what its copy-on-write handler does. The real guest runtime never does
/// any of this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum PageTableViolation {
    /// The page has no present entry any more (or its tables lie outside
    /// the CoW memory).
    #[error("the guest unmapped its page at {virt:#x}")]
    Unmapped {
        /// Guest-virtual address of the page.
        virt: u64,
    },
    /// A large-page entry where the page's 4 KiB entry was.
    #[error("the guest remapped its page at {virt:#x} as a large page")]
    LargePage {
        /// Guest-virtual address of the page.
        virt: u64,
    },
    /// The entry points neither at the snapshot page nor at a page for
    /// copies.
    #[error("the guest pointed its page at {virt:#x} to {target:#x}, neither its own page nor a copy")]
    Redirected {
        /// Guest-virtual address of the page.
        virt: u64,
        /// Guest-physical address the entry points at.
        target: u64,
    },
}

/// Page tables as bytes copied out of guest memory, placed at guest-physical
/// `base`: entries outside them read as absent. Read-only: writes and
/// allocations fail.
#[derive(Debug, Clone, Copy)]
pub struct TableBytes<'a> {
    /// Guest-physical address of `bytes[0]`.
    pub base: u64,
    /// The tables.
    pub bytes: &'a [u8],
}

impl PageTableMemory for TableBytes<'_> {
    fn read_entry(&self, table: u64, index: usize) -> Option<u64> {
        let offset = table.checked_sub(self.base)?.checked_add(u64::try_from(index).ok()?.checked_mul(8)?)?;
        let start = usize::try_from(offset).ok()?;
        let entry = self.bytes.get(start..start.checked_add(8)?)?;
        Some(u64::from_le_bytes(entry.try_into().ok()?))
    }
    fn write_entry(&mut self, _table: u64, _index: usize, _entry: u64) -> Option<()> {
        None
    }
    fn allocate_table(&mut self) -> Option<u64> {
        None
    }
}

/// The snapshot pages of `runs` that the guest copied, in `phys` order:
/// walks the tables from `root` for every page, and accepts an entry that
/// points at its own snapshot page (not copied) or at a page in `copies`
/// (copied there). Anything else is the guest rewriting its tables.
///
/// `tables` reads guest-written entries: it must read absent (`None`)
/// outside the memory the tables may be in. Takes four reads per page.
pub fn copied_pages<M: PageTableMemory>(
    tables: &M,
    root: u64,
    runs: &[CowRun],
    copies: Range<u64>,
) -> Result<Vec<CopiedPage>, PageTableViolation> {
    let mut copied = Vec::new();
    for run in runs {
        for page in 0..run.size.div_ceil(PAGE_SIZE) {
            let offset = page * PAGE_SIZE;
            let (virt, phys) = (run.virt.wrapping_add(offset), run.phys.wrapping_add(offset));
            let Some((_, _, entry)) = paging::leaf_entry(tables, root, virt) else {
                return Err(PageTableViolation::Unmapped { virt });
            };
            if entry & HUGE != 0 {
                return Err(PageTableViolation::LargePage { virt });
            }
            let target = entry & ADDRESS_MASK;
            if target == phys {
                continue;
            }
            // Page aligned (ADDRESS_MASK), so the whole copy is in `copies`
            // when its start is and `copies` ends on a page boundary.
            if !copies.contains(&target) {
                return Err(PageTableViolation::Redirected { virt, target });
            }
            copied.push(CopiedPage { phys, copy: target });
        }
    }
    copied.sort_unstable();
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use featherlight_abi::paging::{COW, PRESENT, USER, WRITABLE};

    /// Tables in a byte vector at guest-physical `BASE`, one page after
    /// another, with room for copies behind them.
    struct Arena(Vec<u8>);

    const BASE: u64 = 0x20_0000;
    const SNAPSHOT: u64 = 0x40_0000;
    const VIRT: u64 = 0x4000_0000;

    impl PageTableMemory for Arena {
        fn read_entry(&self, table: u64, index: usize) -> Option<u64> {
            TableBytes { base: BASE, bytes: &self.0 }.read_entry(table, index)
        }
        fn write_entry(&mut self, table: u64, index: usize, entry: u64) -> Option<()> {
            let at = usize::try_from(table.checked_sub(BASE)?).ok()? + index * 8;
            self.0.get_mut(at..at + 8)?.copy_from_slice(&entry.to_le_bytes());
            Some(())
        }
        fn allocate_table(&mut self) -> Option<u64> {
            let at = self.0.len() as u64;
            self.0.resize(self.0.len() + usize::try_from(PAGE_SIZE).ok()?, 0);
            Some(BASE + at)
        }
    }

    /// Tables mapping four snapshot pages copy-on-write at `VIRT`; returns
    /// the tables, the root and where copies may go.
    fn four_pages() -> (Arena, u64, Range<u64>) {
        let mut arena = Arena(Vec::new());
        let root = arena.allocate_table().unwrap();
        paging::map_range(&mut arena, root, VIRT, SNAPSHOT, 4 * PAGE_SIZE, USER | COW).unwrap();
        let end = BASE + arena.0.len() as u64;
        (arena, root, end..end + 16 * PAGE_SIZE)
    }

    fn leaf(arena: &Arena, root: u64, virt: u64) -> (u64, usize) {
        let (table, index, _) = paging::leaf_entry(arena, root, virt).unwrap();
        (table, index)
    }

    const RUN: CowRun = CowRun { virt: VIRT, phys: SNAPSHOT, size: 4 * PAGE_SIZE };

    #[test]
    fn untouched_and_copied_pages() {
        let (mut arena, root, copies) = four_pages();
        let bytes = |a: &Arena| TableBytes { base: BASE, bytes: &a.0 }.bytes.to_vec();
        let read = |b: &[u8]| copied_pages(&TableBytes { base: BASE, bytes: b }, root, &[RUN], copies.clone());
        assert_eq!(read(&bytes(&arena)), Ok(vec![]));
        // What the guest's fault handler does, to the third page then the first.
        for (page, copy) in [(2, copies.start), (0, copies.start + PAGE_SIZE)] {
            let (table, index) = leaf(&arena, root, VIRT + page * PAGE_SIZE);
            arena.write_entry(table, index, copy | PRESENT | USER | WRITABLE).unwrap();
        }
        let expected = vec![
            CopiedPage { phys: SNAPSHOT, copy: copies.start + PAGE_SIZE },
            CopiedPage { phys: SNAPSHOT + 2 * PAGE_SIZE, copy: copies.start },
        ];
        assert_eq!(read(&bytes(&arena)), Ok(expected));
    }

    #[test]
    fn rewritten_entries_are_named() {
        let (mut arena, root, copies) = four_pages();
        let page = VIRT + 3 * PAGE_SIZE;
        let (table, index) = leaf(&arena, root, page);
        let outcome = |arena: &Arena| copied_pages(arena, root, &[RUN], copies.clone());
        // Pointed one page past the copies, or at the tables themselves.
        for target in [copies.end, BASE] {
            arena.write_entry(table, index, target | PRESENT | USER).unwrap();
            assert_eq!(outcome(&arena), Err(PageTableViolation::Redirected { virt: page, target }));
        }
        arena.write_entry(table, index, 0).unwrap();
        assert_eq!(outcome(&arena), Err(PageTableViolation::Unmapped { virt: page }));
        // The directory entry above made a 2 MiB page.
        let (directory, slot, _) = {
            let mut walk = root;
            let mut found = None;
            for level in (1..4).rev() {
                let i = usize::try_from((page >> (12 + 9 * level)) & 0x1ff).unwrap();
                let entry = arena.read_entry(walk, i).unwrap();
                if level == 1 {
                    found = Some((walk, i, entry));
                }
                walk = entry & ADDRESS_MASK;
            }
            found.unwrap()
        };
        arena.write_entry(directory, slot, SNAPSHOT | PRESENT | USER | HUGE).unwrap();
        assert_eq!(outcome(&arena), Err(PageTableViolation::LargePage { virt: VIRT }));
        // A root outside the tables reads as nothing mapped.
        assert_eq!(
            copied_pages(&TableBytes { base: BASE, bytes: &arena.0 }, ADDRESS_MASK, &[RUN], copies),
            Err(PageTableViolation::Unmapped { virt: VIRT })
        );
    }

    #[test]
    fn table_bytes_read_only_inside() {
        let bytes: Vec<u8> = (0u8..16).collect();
        let mut tables = TableBytes { base: 0x1000, bytes: &bytes };
        assert_eq!(tables.read_entry(0x1000, 1), Some(u64::from_le_bytes([8, 9, 10, 11, 12, 13, 14, 15])));
        assert_eq!(tables.read_entry(0x1000, 2), None);
        assert_eq!(tables.read_entry(0xff8, 1), None);
        assert_eq!(tables.read_entry(0x1004, 1), None);
        assert_eq!(tables.read_entry(u64::MAX, usize::MAX), None);
        assert_eq!(tables.write_entry(0x1000, 0, 1), None);
        assert_eq!(tables.allocate_table(), None);
    }
}
