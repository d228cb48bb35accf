//! Guest copy-on-write: the CPL3 half of the page-fault path (the CPL0
//! half is in [`crate::exceptions`]).
//!
//! In guest-CoW mode the host maps the snapshot read-only and marks the
//! entries of its writable pages [`COW`]. The page tables and the pages the
//! guest takes for copies lie in memory above scratch that is identity
//! mapped and writable, with a [`CowHeader`] (the bump pointer) in the page
//! after the root table. A write to a CoW page faults here: take the next
//! free page, copy the snapshot page into it and point the entry at it,
//! writable. Everything this code writes goes through the identity mapping,
//! never through an entry it just changed.

use featherlight_abi::layout::{COW_MAGIC, CowHeader, PAGE_SIZE, SCRATCH_BASE};
use featherlight_abi::paging::{self, ADDRESS_MASK, COW, HUGE, PageTableMemory, WRITABLE};

/// Page-fault error code bits.
const PRESENT: u64 = 1 << 0;
const WRITE: u64 = 1 << 1;
const RESERVED: u64 = 1 << 3;
const FETCH: u64 = 1 << 4;

/// Page tables reached through the identity mapping of the CoW memory (for
/// the CoW handler, and the tests' hostile guest that rewires them).
#[derive(Debug)]
pub struct IdentityTables;

impl PageTableMemory for IdentityTables {
    fn read_entry(&self, table: u64, index: usize) -> Option<u64> {
        let at = table.checked_add(u64::try_from(index).ok()?.checked_mul(8)?)?;
        // SAFETY: guest-CoW tables lie in identity-mapped memory (checked by
        // the caller through the header's magic); a corrupt table faults the
        // guest, which only the guest itself could have caused.
        Some(unsafe { core::ptr::read_volatile(at as *const u64) })
    }
    fn write_entry(&mut self, table: u64, index: usize, entry: u64) -> Option<()> {
        let at = table.checked_add(u64::try_from(index).ok()?.checked_mul(8)?)?;
        // SAFETY: as for `read_entry`; the tables are writable to the guest.
        unsafe { core::ptr::write_volatile(at as *mut u64, entry) };
        Some(())
    }
    fn allocate_table(&mut self) -> Option<u64> {
        None
    }
}

/// Called by the CPL3 fault code with `frame` pointing at
/// `[cr3, cr2, rax, error, rip, cs, rflags, rsp, ss]`. Returns whether the
/// fault was a copy-on-write now done; then `frame[3]` holds the address to
/// `invlpg` on the way back.
///
/// # Safety
/// Only the page-fault path calls this, with the frame it built.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn featherlight_cow_fault(frame: *mut u64) -> bool {
    // SAFETY: the frame is nine words on the exception stack (see above).
    let (cr3, cr2, error) = unsafe { (frame.read(), frame.add(1).read(), frame.add(3).read()) };
    if !handle_fault(cr3, cr2, error) {
        return false;
    }
    // SAFETY: as above.
    unsafe { frame.add(3).write(cr2) };
    true
}

/// Copies the page at `address` if the fault is a write to a CoW page.
fn handle_fault(cr3: u64, address: u64, error: u64) -> bool {
    if error & (PRESENT | WRITE) != PRESENT | WRITE || error & (RESERVED | FETCH) != 0 {
        return false;
    }
    let root = cr3 & ADDRESS_MASK;
    // Boot-image tables (below scratch) have no CoW entries and are not
    // mapped for the guest to read.
    if root < SCRATCH_BASE {
        return false;
    }
    let header = (root + PAGE_SIZE) as *mut CowHeader;
    // SAFETY: guest-CoW tables are followed by their header page, identity
    // mapped and writable (the tables' own pages are, see the module docs).
    let CowHeader { magic, next, end } = unsafe { header.read_volatile() };
    if magic != COW_MAGIC {
        return false;
    }
    let mut tables = IdentityTables;
    let Some((table, index, entry)) = paging::leaf_entry(&tables, root, address) else {
        return false;
    };
    if entry & WRITABLE != 0 {
        // Fixed already (a spurious fault): retrying is all it takes.
        return true;
    }
    if entry & (COW | HUGE) != COW {
        return false;
    }
    let Some(after) = next.checked_add(PAGE_SIZE).filter(|after| *after <= end) else {
        return false;
    };
    let source = address & !(PAGE_SIZE - 1);
    // The source is a readable snapshot page (present CoW entry); `next` a
    // free page of the host-made, identity-mapped CoW memory below `end`.
    // SAFETY: both pages are mapped, and a read-only snapshot page is never a CoW page, so they never overlap.
    unsafe {
        core::ptr::copy_nonoverlapping(source as *const u8, next as *mut u8, crate::PAGE);
        (*header).next = after;
    }
    let updated = (next & ADDRESS_MASK) | (entry & !ADDRESS_MASK & !COW) | WRITABLE;
    tables.write_entry(table, index, updated).is_some()
}
