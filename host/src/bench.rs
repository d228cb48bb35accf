//! Baselines for `featherlight bench`: what the hypervisor itself costs, so
//! featherlight's own numbers can be given as ratios to it.

use crate::error::Error;
use crate::hypervisor::{EntryState, Exit, HypervisorChoice, MemorySlot, Registers, Vm};
use crate::mem::descriptors::{GDT_ADDRESS, cpl3_long_mode, gdt_page};
use crate::mem::region::HostMapping;
use crate::mem::snapshot::{READ_ONLY, SnapshotError, TableArena};
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
        let mut raw = Self::boot(&code, cpl3_long_mode)?;
        raw.round_trip()?;
        Ok(raw)
    }

    /// A VM that will run `code` (at most a page) under the entry state
    /// `entry` makes for a page-table root; not yet run.
    fn boot(code: &[u8], entry: impl FnOnce(u64) -> EntryState) -> Result<Self, Error> {
        let mut tables = TableArena::new(TABLES_ADDRESS, featherlight_abi::layout::SCRATCH_BASE);
        let layout = |what: String| Error::Snapshot(SnapshotError::Layout(what));
        let root = tables.allocate_table().ok_or_else(|| layout("no room for page tables".into()))?;
        paging::map_range(&mut tables, root, GDT_ADDRESS, GDT_ADDRESS, 3 * PAGE_SIZE, READ_ONLY)
            .map_err(|e| layout(format!("cannot map the ping loop: {e:?}")))?;
        let size = crate::mem::host_usize(TABLES_ADDRESS) + tables.bytes().len();
        let memory = HostMapping::anonymous(size, "ping memory").map_err(Error::Memory)?;
        // No exception stack or IDT: a fault here triple-faults, which
        // `round_trip` reports.
        memory.write(GDT_ADDRESS, &gdt_page(featherlight_abi::layout::Region::default()))?;
        memory.write(CODE_ADDRESS, code)?;
        memory.write(TABLES_ADDRESS, tables.bytes())?;
        let mut vm = crate::hypervisor::create(HypervisorChoice::Auto)?;
        let slot =
            MemorySlot { guest_address: 0, host_address: memory.host_address(), size: size as u64, read_only: false };
        // SAFETY: `memory` is owned by the returned value and dropped after
        // the VM (field order), so the range stays mapped while KVM uses it.
        unsafe { vm.map(0, slot)? };
        let regs = Registers { rip: CODE_ADDRESS, rflags: 0x2, ..Default::default() };
        vm.set_entry_state(&regs, &entry(root))?;
        Ok(Self { vm, _memory: memory })
    }

    /// One vCPU ioctl that does not run the guest (`KVM_GET_REGS`): the
    /// floor under any host-side vCPU state change, such as restore's.
    pub fn read_registers(&mut self) -> Result<(), Error> {
        self.vm.regs()?;
        Ok(())
    }

    /// Resumes the guest until its next `out`.
    pub fn round_trip(&mut self) -> Result<(), Error> {
        match self.vm.run()? {
            Exit::IoOut { port: ports::PING, .. } => Ok(()),
            other => Err(Error::from_exit(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::descriptors::{KERNEL_CODE_SELECTOR, KERNEL_DATA_SELECTOR};

    /// `cpl3_long_mode`, but at CPL0: where RDMSR reaches the MSR filter
    /// instead of faulting on privilege first.
    fn cpl0_long_mode(root: u64) -> EntryState {
        let mut entry = cpl3_long_mode(root);
        (entry.code.selector, entry.code.dpl) = (KERNEL_CODE_SELECTOR, 0);
        (entry.data.selector, entry.data.dpl) = (KERNEL_DATA_SELECTOR, 0);
        entry
    }

    fn first_exit(code: &[u8]) -> String {
        let mut vm = RawExitVm::boot(code, cpl0_long_mode).expect("VM");
        format!("{:?}", vm.vm.run().expect("run"))
    }

    #[test]
    fn the_msr_filter_denies_the_guest_even_at_cpl0() {
        let out_ping = [0xe6, u8::try_from(ports::PING).unwrap_or(0), 0xeb, 0xfe];
        // Control: CPL0 code runs and reaches its `out`.
        assert!(first_exit(&out_ping).starts_with("IoOut"), "CPL0 code must run: {}", first_exit(&out_ping));
        // `mov ecx, 0xC0000080 (EFER); rdmsr` first: the filter denies it, the
        // #GP finds no IDT, and the guest shuts down instead of reaching `out`.
        let mut read_efer = vec![0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32];
        read_efer.extend_from_slice(&out_ping);
        let exit = first_exit(&read_efer);
        assert!(!exit.starts_with("IoOut"), "RDMSR of EFER was allowed: {exit}");
    }
}
