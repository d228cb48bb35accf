//! The hypervisor layer's harness for hand-assembled guest code: a VM that
//! runs a few bytes at CPL3 (or another entry state) with no guest runtime.
//! `featherlight bench` times it as the baseline of featherlight's own
//! numbers (through `featherlight::testing`), and the MSR-filter test below runs
//! privileged instructions with it.

use super::descriptors::{GDT_ADDRESS, cpl3_long_mode, gdt_page};
use super::{EntryState, Exit, HypervisorChoice, HypervisorError, MemorySlot, Registers, Vm};
use featherlight_abi::layout::{PAGE_SIZE, Region, SCRATCH_BASE};
use featherlight_abi::paging::{self, PageTableMemory, TableArena};
use featherlight_abi::ports;

/// Where the loop's code lives; the page tables follow it.
const CODE_ADDRESS: u64 = 3 * PAGE_SIZE;
const TABLES_ADDRESS: u64 = 4 * PAGE_SIZE;
/// Read-only pages with Accessed and Dirty preset, as the boot image maps
/// its code.
const READ_ONLY: u64 = paging::USER | paging::ACCESSED | paging::DIRTY;

/// Why the harness VM could not be made or stopped where it should not.
#[derive(Debug, thiserror::Error)]
pub enum RawExitError {
    /// The hypervisor refused an operation.
    #[error(transparent)]
    Hypervisor(#[from] HypervisorError),
    /// The hand-assembled code or its page tables do not fit the layout.
    #[error("cannot lay out the harness VM: {0}")]
    Layout(String),
    /// The guest exited in a way its code never does.
    #[error("the harness VM stopped unexpectedly: {0}")]
    UnexpectedExit(String),
}

/// One page of guest memory, page-aligned as KVM needs.
#[derive(Clone)]
#[repr(C, align(4096))]
struct Page([u8; crate::PAGE]);

/// A VM whose CPL3 guest does nothing but `out` to the ping port in a loop:
/// each [`RawExitVm::round_trip`] is one KVM exit and re-entry, the floor
/// under any call into a sandbox.
#[derive(Debug)]
pub struct RawExitVm {
    vm: Vm,
    // Owned so the memory outlives the VM that maps it (dropped after `vm`);
    // never touched by the host once mapped.
    _memory: Box<[Page]>,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Page")
    }
}

impl RawExitVm {
    /// Boots the VM up to its first exit.
    pub fn new() -> Result<Self, RawExitError> {
        // `1: out PING, al; jmp 1b`
        let code = [0xe6, u8::try_from(ports::PING).unwrap_or(0), 0xeb, 0xfc];
        let mut raw = Self::boot(&code, cpl3_long_mode)?;
        raw.round_trip()?;
        Ok(raw)
    }

    /// A VM that will run `code` (at most a page) under the entry state
    /// `entry` makes for a page-table root; not yet run.
    fn boot(code: &[u8], entry: impl FnOnce(u64) -> EntryState) -> Result<Self, RawExitError> {
        let mut tables = TableArena::new(TABLES_ADDRESS, SCRATCH_BASE);
        let root = tables.allocate_table().ok_or_else(|| RawExitError::Layout("no room for page tables".into()))?;
        paging::map_range(&mut tables, root, GDT_ADDRESS, GDT_ADDRESS, 3 * PAGE_SIZE, READ_ONLY)
            .map_err(|e| RawExitError::Layout(format!("cannot map the ping loop: {e:?}")))?;
        let mut bytes = vec![0u8; crate::host_usize(TABLES_ADDRESS) + tables.bytes().len()];
        // No exception stack or IDT: a fault here triple-faults, which
        // `round_trip` reports.
        let mut put = |address: u64, data: &[u8]| {
            let at = crate::host_usize(address);
            bytes[at..at + data.len()].copy_from_slice(data);
        };
        put(GDT_ADDRESS, &gdt_page(Region::default()));
        put(CODE_ADDRESS, &code[..code.len().min(crate::PAGE)]);
        put(TABLES_ADDRESS, tables.bytes());
        let mut memory = vec![Page([0; crate::PAGE]); bytes.len().div_ceil(crate::PAGE)].into_boxed_slice();
        for (page, chunk) in memory.iter_mut().zip(bytes.chunks(crate::PAGE)) {
            page.0[..chunk.len()].copy_from_slice(chunk);
        }
        let mut vm = super::create(HypervisorChoice::Auto)?;
        let size = u64::try_from(std::mem::size_of_val(&*memory)).unwrap_or(u64::MAX);
        let slot = MemorySlot { guest_address: 0, host_address: memory.as_ptr() as u64, size, read_only: false };
        // The host never touches `memory` again once it is mapped, so the
        // guest's accesses alias nothing Rust relies on.
        // SAFETY: `memory` (page-aligned, owned by the returned value, dropped
        // after the VM by field order) stays mapped while KVM uses it.
        unsafe { vm.map(0, slot)? };
        let regs = Registers { rip: CODE_ADDRESS, rflags: 0x2, ..Default::default() };
        vm.set_entry_state(&regs, &entry(root))?;
        Ok(Self { vm, _memory: memory })
    }

    /// One vCPU ioctl that does not run the guest (`KVM_GET_REGS`): the
    /// floor under any host-side vCPU state change, such as restore's.
    pub fn read_registers(&mut self) -> Result<(), RawExitError> {
        self.vm.regs()?;
        Ok(())
    }

    /// Resumes the guest until its next `out`.
    pub fn round_trip(&mut self) -> Result<(), RawExitError> {
        match self.vm.run()? {
            Exit::IoOut { port: ports::PING, .. } => Ok(()),
            other => Err(RawExitError::UnexpectedExit(format!("{other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hypervisor::descriptors::{KERNEL_CODE_SELECTOR, KERNEL_DATA_SELECTOR};

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
