//! x86-64 four-level page tables, 4 KiB pages.
//!
//! The host builds the guest's tables; the guest may read them. Both go
//! through [`PageTableMemory`], one small trait for reading and writing
//! table entries by guest-physical address, so the walking logic exists once.

use crate::layout::PAGE_SIZE;

/// Entry is present.
pub const PRESENT: u64 = 1 << 0;
/// Writes allowed.
pub const WRITABLE: u64 = 1 << 1;
/// CPL3 access allowed (the whole guest runs at CPL3).
pub const USER: u64 = 1 << 2;
/// Accessed: preset so the CPU (and a shadow MMU) never writes the entry.
pub const ACCESSED: u64 = 1 << 5;
/// Dirty: preset for the same reason.
pub const DIRTY: u64 = 1 << 6;
/// Instruction fetches fault (with EFER.NXE, which the host sets).
pub const NO_EXECUTE: u64 = 1 << 63;
/// In a directory entry: maps a 2 MiB page instead of pointing at a table.
pub const HUGE: u64 = 1 << 7;
/// Software bit (ignored by the CPU): a read-only entry over a snapshot page
/// that the guest copies to a fresh scratch page on its first write
/// ("guest copy-on-write").
pub const COW: u64 = 1 << 9;
/// Address bits of an entry.
pub const ADDRESS_MASK: u64 = 0x000f_ffff_ffff_f000;
/// Size of a page mapped by a [`HUGE`] directory entry.
pub const HUGE_PAGE_SIZE: u64 = 2 * 1024 * 1024;

/// Entries of an intermediate table: everything below decides access.
const TABLE_FLAGS: u64 = PRESENT | WRITABLE | USER | ACCESSED;

/// Reads and writes page-table entries by guest-physical address.
pub trait PageTableMemory {
    /// Reads entry `index` (0..512) of the table at `table`.
    fn read_entry(&self, table: u64, index: usize) -> Option<u64>;
    /// Writes entry `index` (0..512) of the table at `table`.
    fn write_entry(&mut self, table: u64, index: usize, entry: u64) -> Option<()>;
    /// Provides a zeroed table and returns its guest-physical address.
    fn allocate_table(&mut self) -> Option<u64>;
}

/// Why a mapping could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// An address is not page aligned or not canonical.
    Misaligned,
    /// The page is already mapped.
    AlreadyMapped,
    /// No room for another table, or a table address was out of range.
    OutOfTables,
}

fn index(virt: u64, level: u32) -> usize {
    // Each level resolves 9 bits, from bit 39 (PML4) down to bit 12 (PT).
    ((virt >> (12 + 9 * level)) & 0x1ff) as usize
}

/// Maps the 4 KiB page at `virt` to `phys` with `flags` (PRESENT is added).
pub fn map_page<M: PageTableMemory>(mem: &mut M, root: u64, virt: u64, phys: u64, flags: u64) -> Result<(), MapError> {
    if !virt.is_multiple_of(PAGE_SIZE) || !phys.is_multiple_of(PAGE_SIZE) || virt >= 1 << 47 {
        return Err(MapError::Misaligned);
    }
    let mut table = root;
    for level in (1..4).rev() {
        let i = index(virt, level);
        let entry = mem.read_entry(table, i).ok_or(MapError::OutOfTables)?;
        table = if entry & PRESENT != 0 {
            entry & ADDRESS_MASK
        } else {
            let next = mem.allocate_table().ok_or(MapError::OutOfTables)?;
            mem.write_entry(table, i, next | TABLE_FLAGS).ok_or(MapError::OutOfTables)?;
            next
        };
    }
    let i = index(virt, 0);
    let old = mem.read_entry(table, i).ok_or(MapError::OutOfTables)?;
    if old & PRESENT != 0 {
        return Err(MapError::AlreadyMapped);
    }
    mem.write_entry(table, i, (phys & ADDRESS_MASK) | flags | PRESENT).ok_or(MapError::OutOfTables)
}

/// Maps `size` bytes (rounded up to pages) from `virt` to `phys`.
pub fn map_range<M: PageTableMemory>(
    mem: &mut M,
    root: u64,
    virt: u64,
    phys: u64,
    size: u64,
    flags: u64,
) -> Result<(), MapError> {
    let pages = size.div_ceil(PAGE_SIZE);
    for page in 0..pages {
        let offset = page * PAGE_SIZE;
        map_page(mem, root, virt + offset, phys + offset, flags)?;
    }
    Ok(())
}

/// Maps the 2 MiB page at `virt` to `phys` with `flags` (PRESENT and HUGE
/// are added): one directory entry instead of a table of 512.
pub fn map_huge_page<M: PageTableMemory>(
    mem: &mut M,
    root: u64,
    virt: u64,
    phys: u64,
    flags: u64,
) -> Result<(), MapError> {
    if !virt.is_multiple_of(HUGE_PAGE_SIZE) || !phys.is_multiple_of(HUGE_PAGE_SIZE) || virt >= 1 << 47 {
        return Err(MapError::Misaligned);
    }
    let mut table = root;
    for level in (2..4).rev() {
        let i = index(virt, level);
        let entry = mem.read_entry(table, i).ok_or(MapError::OutOfTables)?;
        table = if entry & PRESENT != 0 {
            entry & ADDRESS_MASK
        } else {
            let next = mem.allocate_table().ok_or(MapError::OutOfTables)?;
            mem.write_entry(table, i, next | TABLE_FLAGS).ok_or(MapError::OutOfTables)?;
            next
        };
    }
    let i = index(virt, 1);
    if mem.read_entry(table, i).ok_or(MapError::OutOfTables)? & PRESENT != 0 {
        return Err(MapError::AlreadyMapped);
    }
    mem.write_entry(table, i, (phys & ADDRESS_MASK) | flags | PRESENT | HUGE).ok_or(MapError::OutOfTables)
}

/// Where the entry that maps `virt` lives: `(table, index, entry)`. Walks
/// through large pages (a [`HUGE`] entry ends the walk early), so the
/// caller checks [`HUGE`] before treating the entry as a 4 KiB one.
pub fn leaf_entry<M: PageTableMemory>(mem: &M, root: u64, virt: u64) -> Option<(u64, usize, u64)> {
    let mut table = root;
    for level in (0..4).rev() {
        let i = index(virt, level);
        let entry = mem.read_entry(table, i)?;
        if entry & PRESENT == 0 {
            return None;
        }
        if level == 0 || (level < 3 && entry & HUGE != 0) {
            return Some((table, i, entry));
        }
        table = entry & ADDRESS_MASK;
    }
    None
}

/// Translates `virt` to `(guest-physical address, leaf entry flags)`.
pub fn translate<M: PageTableMemory>(mem: &M, root: u64, virt: u64) -> Option<(u64, u64)> {
    let mut table = root;
    for level in (0..4).rev() {
        let entry = mem.read_entry(table, index(virt, level))?;
        if entry & PRESENT == 0 {
            return None;
        }
        if level == 0 || (level < 3 && entry & HUGE != 0) {
            // A level-n entry maps 4 KiB << (9 * n) bytes.
            let page_mask = (PAGE_SIZE << (9 * level)) - 1;
            let address = (entry & ADDRESS_MASK & !page_mask) | (virt & page_mask);
            return Some((address, entry & !ADDRESS_MASK));
        }
        table = entry & ADDRESS_MASK;
    }
    None
}

/// Page tables built in a growing buffer that will be placed at
/// guest-physical `base`: the host builds its guests' tables in one.
#[derive(Debug)]
pub struct TableArena {
    base: u64,
    /// Tables must end at or below this guest address.
    limit: u64,
    bytes: alloc::vec::Vec<u8>,
}

impl TableArena {
    /// No tables yet; the first goes at `base`, the last must end by `limit`.
    pub fn new(base: u64, limit: u64) -> Self {
        Self { base, limit, bytes: alloc::vec::Vec::new() }
    }

    /// The tables' bytes, to place at `base`.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn slot(&self, table: u64, index: usize) -> Option<usize> {
        let offset = usize::try_from(table.checked_sub(self.base)?).ok()?;
        let at = offset.checked_add(index.checked_mul(8)?)?;
        (index < 512 && at.checked_add(8)? <= self.bytes.len()).then_some(at)
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
        let address = self.base.checked_add(u64::try_from(self.bytes.len()).ok()?)?;
        if address.checked_add(PAGE_SIZE)? > self.limit {
            return None;
        }
        self.bytes.resize(self.bytes.len() + usize::try_from(PAGE_SIZE).ok()?, 0);
        Some(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_then_translate() {
        let mut mem = TableArena::new(PAGE_SIZE, 0x10_0000);
        let root = mem.allocate_table().unwrap();
        map_range(&mut mem, root, 0x4000_0000, 0x4000_0000, 3 * PAGE_SIZE, WRITABLE).unwrap();
        map_page(&mut mem, root, 0x20_0000, 0x9000, USER).unwrap();
        assert_eq!(translate(&mem, root, 0x4000_2abc).unwrap().0, 0x4000_2abc);
        let (phys, flags) = translate(&mem, root, 0x20_0010).unwrap();
        assert_eq!(phys, 0x9010);
        assert_eq!(flags & (WRITABLE | USER | PRESENT), USER | PRESENT);
        assert!(translate(&mem, root, 0x4000_3000).is_none());
        assert_eq!(map_page(&mut mem, root, 0x20_0000, 0x9000, 0), Err(MapError::AlreadyMapped));
        assert_eq!(map_page(&mut mem, root, 0x20_0001, 0, 0), Err(MapError::Misaligned));
    }

    #[test]
    fn huge_pages_translate_and_end_the_walk() {
        let mut mem = TableArena::new(PAGE_SIZE, 0x10_0000);
        let root = mem.allocate_table().unwrap();
        map_huge_page(&mut mem, root, 0x8000_0000, 0x8000_0000, WRITABLE).unwrap();
        map_page(&mut mem, root, 0x4000_0000, 0x1_0000, COW).unwrap();
        let (phys, flags) = translate(&mem, root, 0x8012_3456).unwrap();
        assert_eq!(phys, 0x8012_3456);
        assert_eq!(flags & (HUGE | WRITABLE), HUGE | WRITABLE);
        let (_, _, entry) = leaf_entry(&mem, root, 0x801f_f000).unwrap();
        assert_ne!(entry & HUGE, 0);
        let (table, index, entry) = leaf_entry(&mem, root, 0x4000_0123).unwrap();
        assert_eq!(entry & (COW | ADDRESS_MASK), COW | 0x1_0000);
        assert_eq!(mem.read_entry(table, index), Some(entry));
        assert!(leaf_entry(&mem, root, 0x4000_1000).is_none());
        assert_eq!(map_huge_page(&mut mem, root, 0x8010_0000, 0, 0), Err(MapError::Misaligned));
    }
}
