//! The sandbox side of guest copy-on-write (see `mem/guest_cow.rs`): its
//! memory slots, restore and the guest's view of scratch.

use super::{BOOT_SLOT, SCRATCH_SLOT, Sandbox};
use crate::error::{Error, GuestViolation};
use crate::hypervisor::descriptors::cpl3_long_mode;
use crate::hypervisor::{MemorySlot, Registers};
use crate::mem::guest_cow::{CowTables, dummy_slot_address};
use crate::mem::region::HostMapping;
use crate::mem::{PAGE, host_usize};
use featherlight_abi::layout::SCRATCH_BASE;

/// The CoW memory (page tables and copies).
const COW_SLOT: u32 = 2;
/// The read-only part of scratch: the snapshot.
const SNAPSHOT_SLOT: u32 = 3;
/// One unused page whose removal and re-addition zaps translations.
const DUMMY_SLOT: u32 = 4;

/// The CoW memory and the pages the guest copied into it: `(scratch
/// offset, offset in the CoW memory)`, in scratch order.
pub(super) type GuestCopies<'a> = (&'a HostMapping, Vec<(usize, usize)>);

/// A guest-CoW sandbox's memory beyond scratch.
#[derive(Debug)]
pub(super) struct CowState {
    memory: HostMapping,
    dummy: HostMapping,
}

impl Sandbox {
    /// The guest-CoW tables of this sandbox's boot image, in guest-CoW mode.
    pub(super) fn cow_tables(&self) -> Option<&CowTables> {
        self.boot.cow.as_ref()
    }

    fn scratch_slot(&self, offset: usize, size: usize, read_only: bool) -> MemorySlot {
        MemorySlot {
            guest_address: SCRATCH_BASE + offset as u64,
            host_address: self.machine.scratch.host_address() + offset as u64,
            size: size as u64,
            read_only,
        }
    }

    /// Switches a sandbox to guest-CoW memory: the writable part of
    /// scratch (`whole_scratch_mapped`: scratch is one writable slot, as
    /// `Sandbox::new` maps it, and is cut down first), the rest read-only,
    /// fresh CoW memory with the snapshot's tables, and registers `regs`
    /// with the CoW tables' root. The caller has made scratch a copy of the
    /// snapshot.
    pub(super) fn enter_guest_cow(&mut self, regs: &Registers, whole_scratch_mapped: bool) -> Result<(), Error> {
        let boot = self.boot.clone();
        let Some(tables) = boot.cow.as_ref() else { return Ok(()) };
        let size = self.machine.scratch.size();
        let writable = host_usize(tables.writable_scratch).min(size);
        let memory = tables.new_memory().map_err(Error::Memory)?;
        let dummy = HostMapping::anonymous(PAGE, "dummy slot").map_err(Error::Memory)?;
        if whole_scratch_mapped {
            let (whole, writable_part) = (self.scratch_slot(0, size, false), self.scratch_slot(0, writable, false));
            self.machine.vm.unmap(SCRATCH_SLOT, whole)?;
            // SAFETY: scratch belongs to the sandbox and outlives the VM.
            unsafe { self.machine.vm.map(SCRATCH_SLOT, writable_part)? };
        }
        let cow_slot = MemorySlot {
            guest_address: tables.base,
            host_address: memory.host_address(),
            size: memory.size() as u64,
            read_only: false,
        };
        let dummy_slot = dummy_slot(tables, &dummy);
        let snapshot_slot = self.scratch_slot(writable, size - writable, true);
        // SAFETY: every host range belongs to this sandbox (scratch, and the
        // CoW memory and dummy page once stored in `self.machine.cow` below) and
        // outlives the VM, which the sandbox's `Drop` drops first.
        unsafe {
            self.machine.vm.map(SNAPSHOT_SLOT, snapshot_slot)?;
            self.machine.vm.map(COW_SLOT, cow_slot)?;
            self.machine.vm.map(DUMMY_SLOT, dummy_slot)?;
        }
        self.machine.cow = Some(CowState { memory, dummy });
        self.machine.vm.set_entry_state(regs, &cpl3_long_mode(tables.root()))?;
        Ok(())
    }

    /// Puts the CoW memory back (pages taken zeroed, tables rewritten) and
    /// zaps the hypervisor's translations so the guest sees the tables.
    pub(super) fn reset_guest_cow(&mut self) -> Result<usize, Error> {
        let (Some(tables), Some(cow)) = (self.boot.cow.as_ref(), self.machine.cow.as_ref()) else { return Ok(0) };
        let zeroed = tables.reset(&cow.memory).map_err(Error::Memory)?;
        let slot = dummy_slot(tables, &cow.dummy);
        self.machine.vm.unmap(DUMMY_SLOT, slot)?;
        // SAFETY: the dummy page is owned by the sandbox and outlives the VM.
        unsafe { self.machine.vm.map(DUMMY_SLOT, slot)? };
        Ok(zeroed)
    }

    /// The pages the guest copied, with the memory they are in, for
    /// snapshots and the guest's view of scratch.
    pub(super) fn guest_copies(&self) -> Result<Option<GuestCopies<'_>>, Error> {
        let (Some(tables), Some(cow)) = (self.boot.cow.as_ref(), self.machine.cow.as_ref()) else { return Ok(None) };
        // Only the guest's own rewriting of its tables makes this fail.
        let copied = tables.copied_pages(&cow.memory).map_err(GuestViolation::PageTables)?;
        Ok(Some((&cow.memory, copied)))
    }

    /// Test hook (`featherlight::testing::guest_copied_pages`): how many
    /// snapshot pages the guest has copied since the last restore (guest-CoW
    /// mode), or `None` (host-CoW mode, or no snapshot mapped yet).
    pub(crate) fn guest_copied_pages(&self) -> Result<Option<usize>, Error> {
        Ok(self.guest_copies()?.map(|(_, copied)| copied.len()))
    }

    /// Test hook (`featherlight::testing::scratch_contents`): every byte the
    /// guest can reach in writable memory: its view of scratch (copied pages
    /// where it copied them) followed, in guest-CoW mode, by all of the CoW
    /// memory.
    pub(crate) fn scratch_contents(&self) -> Result<Vec<u8>, Error> {
        let mut contents = self.machine.scratch.copy_out(0, self.machine.scratch.size())?;
        if let Some((memory, copied)) = self.guest_copies()? {
            for (offset, at) in copied {
                memory.read(at as u64, &mut contents[offset..offset + PAGE])?;
            }
            contents.extend(memory.copy_out(0, memory.size())?);
        }
        Ok(contents)
    }
}

fn dummy_slot(tables: &CowTables, dummy: &HostMapping) -> MemorySlot {
    MemorySlot {
        guest_address: dummy_slot_address(tables),
        host_address: dummy.host_address(),
        size: dummy.size() as u64,
        read_only: false,
    }
}

// The boot image keeps slot 0 in both modes.
const _: () = assert!(BOOT_SLOT != COW_SLOT && BOOT_SLOT != SNAPSHOT_SLOT && BOOT_SLOT != DUMMY_SLOT);
