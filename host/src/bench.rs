//! Baselines for `featherlight bench`: what the hypervisor itself costs, so
//! featherlight's own numbers can be given as ratios to it.

use crate::error::Error;
use crate::hypervisor::kvm::MemorySlot;
use crate::hypervisor::{Exit, Vm};
use crate::mem::descriptors::{GDT_ADDRESS, cpl3_long_mode, gdt_page};
use crate::mem::region::HostMapping;
use crate::mem::snapshot::{READ_ONLY, TableArena};
use featherlight_abi::layout::PAGE_SIZE;
use featherlight_abi::paging::{self, PageTableMemory};
use featherlight_abi::ports;

/// Where the loop's code lives; the page tables follow it.
const CODE_ADDRESS: u64 = 3 * PAGE_SIZE;
const TABLES_ADDRESS: u64 = 4 * PAGE_SIZE;

/// A VM whose CPL3 guest does nothing but `out` to the ping port in a loop:
/// each [`RawExitVm::round_trip`] is one KVM exit and re-entry, the floor
/// under any call into a sandbox.
#[derive(Debug)]
pub struct RawExitVm {
    vm: Vm,
    // Owned so the memory outlives the VM that maps it (dropped after `vm`).
    _memory: HostMapping,
}

impl RawExitVm {
    /// Boots the VM up to its first exit.
    pub fn new() -> Result<Self, Error> {
        // `1: out PING, al; jmp 1b`
        let code = [0xe6, u8::try_from(ports::PING).unwrap_or(0), 0xeb, 0xfc];
        let mut tables = TableArena::new(TABLES_ADDRESS);
        let root = tables.allocate_table().ok_or_else(|| Error::GuestCrashed("no room for page tables".into()))?;
        paging::map_range(&mut tables, root, GDT_ADDRESS, GDT_ADDRESS, 3 * PAGE_SIZE, READ_ONLY)
            .map_err(|e| Error::GuestCrashed(format!("cannot map the ping loop: {e:?}")))?;
        let size = crate::mem::host_usize(TABLES_ADDRESS) + tables.bytes().len();
        let memory = HostMapping::anonymous(size, "ping memory").map_err(Error::Memory)?;
        // No exception stack or IDT: a fault here triple-faults, which
        // `round_trip` reports.
        memory.write(GDT_ADDRESS, &gdt_page(0))?;
        memory.write(CODE_ADDRESS, &code)?;
        memory.write(TABLES_ADDRESS, tables.bytes())?;
        let vm = Vm::new()?;
        let slot =
            MemorySlot { guest_address: 0, host_address: memory.host_address(), size: size as u64, read_only: false };
        // SAFETY: `memory` is owned by the returned value and dropped after
        // the VM (field order), so the range stays mapped while KVM uses it.
        unsafe { vm.map(0, slot)? };
        let regs = kvm_bindings::kvm_regs { rip: CODE_ADDRESS, rflags: 0x2, ..Default::default() };
        vm.set_entry_state(&regs, |sregs| cpl3_long_mode(sregs, root))?;
        let mut raw = Self { vm, _memory: memory };
        raw.round_trip()?;
        Ok(raw)
    }

    /// Resumes the guest until its next `out`.
    pub fn round_trip(&mut self) -> Result<(), Error> {
        match self.vm.run()? {
            Exit::IoOut { port: ports::PING, .. } => Ok(()),
            other => Err(Error::GuestCrashed(format!("the ping loop stopped unexpectedly: {other:?}"))),
        }
    }
}
