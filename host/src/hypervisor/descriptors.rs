//! The guest's GDT, IDT and TSS, built by the host before the first entry.
//!
//! The guest runs entirely at CPL3: its code and data segments have DPL 3,
//! exception gates lead to DPL3 code on their own stack (IST1), and the TSS
//! carries an I/O permission bitmap that opens exactly our ports (PVM forces
//! IOPL to 0, so without the bitmap every `out` would #GP).

use super::EntryState;
use super::regs::{DescriptorTable, Segment};
use crate::{PAGE, host_usize};
use featherlight_abi::layout::{EXCEPTION_STUB_SIZE, PAGE_SIZE};
use featherlight_abi::ports;
use x86_64::registers::control::{Cr0Flags, Cr4Flags};
use x86_64::registers::model_specific::EferFlags;
use x86_64::structures::gdt::DescriptorFlags;

/// Guest-physical (and virtual) address of the GDT; the TSS follows it.
pub(crate) const GDT_ADDRESS: u64 = PAGE_SIZE;
/// Guest-physical (and virtual) address of the IDT.
pub(crate) const IDT_ADDRESS: u64 = 2 * PAGE_SIZE;
/// Offset of the TSS inside the GDT page.
const TSS_OFFSET: u64 = 0x100;
pub(crate) const TSS_ADDRESS: u64 = GDT_ADDRESS + TSS_OFFSET;

/// Ring-0 flat code and data: used only by the guest-CoW page-fault stubs
/// (a few instructions each), otherwise the guest runs at CPL3.
pub(crate) const KERNEL_CODE_SELECTOR: u16 = 0x08;
#[cfg(test)]
pub(crate) const KERNEL_DATA_SELECTOR: u16 = 0x10;
pub(crate) const USER_CODE_SELECTOR: u16 = 0x18 | 3;
pub(crate) const USER_DATA_SELECTOR: u16 = 0x20 | 3;
pub(crate) const TSS_SELECTOR: u16 = 0x28;
pub(crate) const GDT_LIMIT: u16 = 7 * 8 - 1;
pub(crate) const IDT_LIMIT: u16 = 256 * 16 - 1;

/// Size of the 64-bit TSS proper; the I/O bitmap follows it.
const TSS_SIZE: usize = 104;
/// The TSS field locating the I/O bitmap: right after the TSS.
const IO_MAP_BASE: u16 = 104;
/// Bitmap bytes covering ports 0..=LAST_OPEN, plus the required 0xff terminator.
const IO_BITMAP_SIZE: usize = ports::LAST_OPEN as usize / 8 + 2;
// Both parts are a few hundred bytes at most, far below u32::MAX.
#[allow(clippy::cast_possible_truncation)]
pub(crate) const TSS_LIMIT: u32 = (TSS_SIZE + IO_BITMAP_SIZE - 1) as u32;

/// The GDT page (GDT then TSS) for the exception stack `exception_stack`:
/// IST1 (and RSP0) at its top, IST2 (the guest-CoW return stub's few words)
/// one page above its bottom, far below anything IST1 code uses.
pub(crate) fn gdt_page(exception_stack: featherlight_abi::layout::Region) -> Vec<u8> {
    let exception_stack_top = exception_stack.end().unwrap_or(0);
    let resume_stack_top = exception_stack.address + PAGE_SIZE;
    let mut page = vec![0u8; PAGE];
    let tss_base = TSS_ADDRESS;
    // Available 64-bit TSS (type 9), present, limit/base split as the CPU
    // wants them; the high half holds base bits 32..64.
    let limit = u64::from(TSS_LIMIT);
    let tss_low = (limit & 0xffff)
        | ((tss_base & 0xff_ffff) << 16)
        | (0x89 << 40)
        | (((limit >> 16) & 0xf) << 48)
        | (((tss_base >> 24) & 0xff) << 56);
    let tss_high = tss_base >> 32;
    let entries = [
        0,
        DescriptorFlags::KERNEL_CODE64.bits(),
        DescriptorFlags::KERNEL_DATA.bits(),
        DescriptorFlags::USER_CODE64.bits(),
        DescriptorFlags::USER_DATA.bits(),
        tss_low,
        tss_high,
    ];
    for (i, entry) in entries.iter().enumerate() {
        page[i * 8..i * 8 + 8].copy_from_slice(&entry.to_le_bytes());
    }
    let tss_at = host_usize(TSS_OFFSET);
    let tss = &mut page[tss_at..tss_at + TSS_SIZE + IO_BITMAP_SIZE];
    // RSP0 (offset 4) and IST1 (offset 36): the exception stack.
    tss[4..12].copy_from_slice(&exception_stack_top.to_le_bytes());
    tss[36..44].copy_from_slice(&exception_stack_top.to_le_bytes());
    tss[44..52].copy_from_slice(&resume_stack_top.to_le_bytes());
    // I/O map base (offset 102): the bitmap right after the TSS.
    tss[102..104].copy_from_slice(&IO_MAP_BASE.to_le_bytes());
    let bitmap = &mut tss[TSS_SIZE..];
    bitmap.fill(0xff);
    for port in ports::FIRST..=ports::LAST_OPEN {
        bitmap[usize::from(port / 8)] &= !(1 << (port % 8));
    }
    page
}

/// The CPL0 entry points of guest copy-on-write (guest image symbols).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CowEntries {
    pub page_fault: u64,
    pub resume: u64,
}

/// The IDT page: vectors 0-31 go to the guest's exception stubs as DPL3
/// interrupt gates on IST1; the rest are absent. With `cow`, #PF goes to
/// the CPL0 page-fault entry instead (IST1), and #BP (`int3`, how the fault
/// path returns) to its CPL0 return stub (IST2, DPL3 so `int3` may use it).
pub(crate) fn idt_page(exception_stubs: u64, cow: Option<CowEntries>) -> Vec<u8> {
    // Present, DPL 3 (0xee) or DPL 0 (0x8e), 64-bit interrupt gate.
    let gate = |page: &mut [u8], vector: u8, handler: u64, selector: u16, ist: u64, attributes: u64| {
        let low = (handler & 0xffff)
            | (u64::from(selector) << 16)
            | (ist << 32)
            | (attributes << 40)
            | (((handler >> 16) & 0xffff) << 48);
        let high = handler >> 32;
        let at = usize::from(vector) * 16;
        page[at..at + 8].copy_from_slice(&low.to_le_bytes());
        page[at + 8..at + 16].copy_from_slice(&high.to_le_bytes());
    };
    let mut page = vec![0u8; PAGE];
    for vector in 0..32u8 {
        let handler = exception_stubs + u64::from(vector) * EXCEPTION_STUB_SIZE;
        gate(&mut page, vector, handler, USER_CODE_SELECTOR, 1, 0xee);
    }
    if let Some(cow) = cow {
        gate(&mut page, PAGE_FAULT_VECTOR, cow.page_fault, KERNEL_CODE_SELECTOR, 1, 0x8e);
        gate(&mut page, BREAKPOINT_VECTOR, cow.resume, KERNEL_CODE_SELECTOR, 2, 0xee);
    }
    page
}

const BREAKPOINT_VECTOR: u8 = 3;
const PAGE_FAULT_VECTOR: u8 = 14;

/// Special registers for a first entry straight into 64-bit mode at CPL3:
/// paging on with `page_table_root`, SSE enabled, flat DPL3 segments, and
/// the GDT, IDT and TSS of this module.
pub(crate) fn cpl3_long_mode(page_table_root: u64) -> EntryState {
    let flat = Segment {
        base: 0,
        limit: 0xffff_ffff,
        present: true,
        dpl: 3,
        code_or_data: true,
        granularity: true,
        ..Segment::default()
    };
    EntryState {
        cr0: (Cr0Flags::PROTECTED_MODE_ENABLE
            | Cr0Flags::MONITOR_COPROCESSOR
            | Cr0Flags::EXTENSION_TYPE
            | Cr0Flags::NUMERIC_ERROR
            | Cr0Flags::WRITE_PROTECT
            | Cr0Flags::PAGING)
            .bits(),
        cr3: page_table_root,
        cr4: (Cr4Flags::PHYSICAL_ADDRESS_EXTENSION | Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE).bits(),
        efer: (EferFlags::LONG_MODE_ENABLE | EferFlags::LONG_MODE_ACTIVE | EferFlags::NO_EXECUTE_ENABLE).bits(),
        // Flat DPL3 64-bit code, and flat DPL3 32-bit-default data.
        code: Segment { selector: USER_CODE_SELECTOR, kind: 0xb, long: true, ..flat },
        data: Segment { selector: USER_DATA_SELECTOR, kind: 0x3, default_big: true, ..flat },
        task: Segment {
            base: TSS_ADDRESS,
            limit: TSS_LIMIT,
            selector: TSS_SELECTOR,
            kind: 0xb, // busy 64-bit TSS
            present: true,
            ..Segment::default()
        },
        gdt: DescriptorTable { base: GDT_ADDRESS, limit: GDT_LIMIT },
        idt: DescriptorTable { base: IDT_ADDRESS, limit: IDT_LIMIT },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_bitmap_opens_exactly_our_ports() {
        let page = gdt_page(featherlight_abi::layout::Region { address: 0x1000, size: 0x4000 });
        let bitmap = &page[(host_usize(TSS_OFFSET) + TSS_SIZE)..][..IO_BITMAP_SIZE];
        let allowed = |port: u16| bitmap[usize::from(port / 8)] & (1 << (port % 8)) == 0;
        // A 4-byte `out` to LAST checks the bits of LAST..LAST+3.
        assert!((ports::FIRST..=ports::LAST + 3).all(allowed));
        assert!(!allowed(ports::FIRST - 1));
        assert!(!allowed(ports::LAST + 4));
        assert_eq!(*bitmap.last().unwrap(), 0xff);
    }
}
