//! The sandbox side of the linear-memory area
//! (`featherlight_abi::linear_memory`): its host memory, and the memory
//! slots that give the guest as much of each reservation as it committed.
//!
//! The area is one sparse anonymous host mapping (host memory exists only
//! for pages the guest touched). A memory slot costs the host kernel memory
//! per page it covers (about 2 MiB per GiB under shadow paging, where KVM
//! keeps reverse maps), so the guest gets slots only for the committed
//! prefix of each reservation, added as it asks (`ports::LINEAR_MEMORY`),
//! geometrically, never removed: a restore resets the memory's bytes, not
//! its slots, and a sandbox made from a snapshot gets the slots the
//! snapshot's guest had.

use super::Sandbox;
use crate::error::{Error, GuestViolation};
use crate::hypervisor::{MemorySlot, Vm};
use crate::mem::host_usize;
use crate::mem::region::HostMapping;
use featherlight_abi::layout::Region;
use featherlight_abi::linear_memory::{COMMIT_UNIT, RESERVATION, decode_request, next_commit};

/// The first slot of the area: reservation `r`'s `k`-th piece is slot
/// `FIRST_SLOT + r * SLOTS_PER_RESERVATION + k`.
const FIRST_SLOT: u32 = 8;
/// Pieces a reservation may take: [`next_commit`] at least doubles, from
/// 32 MiB to 4 GiB in 8 steps.
const SLOTS_PER_RESERVATION: u32 = 16;

/// A sandbox's linear-memory area.
#[derive(Debug)]
pub(crate) struct Area {
    /// Guest address and size.
    region: Region,
    /// The host memory behind it.
    pub mapping: HostMapping,
    /// Bytes committed (mapped in slots) per reservation.
    committed: Vec<u64>,
    /// Slots mapped per reservation.
    pieces: Vec<u32>,
}

impl Area {
    /// A fresh, empty area for `region`, nothing committed.
    pub(crate) fn new(region: Region) -> Result<Self, Error> {
        let mapping = HostMapping::anonymous_area(host_usize(region.size)).map_err(Error::Memory)?;
        Ok(Self::with_mapping(region, mapping))
    }

    /// An area over `mapping` (a copy of a snapshot's), nothing committed.
    pub(crate) fn with_mapping(region: Region, mapping: HostMapping) -> Self {
        let reservations = host_usize(region.size / RESERVATION);
        Self { region, mapping, committed: vec![0; reservations], pieces: vec![0; reservations] }
    }

    /// Bytes committed per reservation.
    pub(crate) fn committed(&self) -> &[u64] {
        &self.committed
    }

    /// Serves a guest's `ports::LINEAR_MEMORY` request `value`.
    pub(crate) fn request(&mut self, vm: &mut Vm, value: u32) -> Result<(), Error> {
        let units = self.region.size / COMMIT_UNIT;
        let violation = || GuestViolation::LinearMemoryRequest { value, units };
        let (reservation, end) = decode_request(value).ok_or_else(violation)?;
        let index = usize::try_from(reservation).ok().filter(|i| *i < self.committed.len()).ok_or_else(violation)?;
        self.commit(vm, index, end)
    }

    /// Commits at least `targets[r]` bytes of each reservation `r`.
    pub(crate) fn commit_all(&mut self, vm: &mut Vm, targets: &[u64]) -> Result<(), Error> {
        for (index, target) in targets.iter().enumerate().take(self.committed.len()) {
            self.commit(vm, index, *target)?;
        }
        Ok(())
    }

    fn commit(&mut self, vm: &mut Vm, index: usize, needed: u64) -> Result<(), Error> {
        let committed = self.committed[index];
        let units = self.region.size / COMMIT_UNIT;
        let target =
            next_commit(committed, needed).ok_or(GuestViolation::LinearMemoryRequest { value: u32::MAX, units })?;
        if target == committed {
            return Ok(());
        }
        let pieces = self.pieces[index];
        // `index` < reservations <= 64, and pieces < 16: each commitment at
        // least doubles, from 32 MiB to 4 GiB (see next_commit).
        let slot = FIRST_SLOT
            + u32::try_from(index).map_err(|_| GuestViolation::LinearMemoryRequest { value: u32::MAX, units })?
                * SLOTS_PER_RESERVATION
            + pieces;
        let offset = index as u64 * RESERVATION + committed;
        let slot_memory = MemorySlot {
            guest_address: self.region.address + offset,
            host_address: self.mapping.host_address() + offset,
            size: target - committed,
            read_only: false,
        };
        // SAFETY: the range lies inside `self.mapping` (offset + size <=
        // the area's size: target <= RESERVATION), which the sandbox's
        // machine owns and drops after its VM.
        unsafe { vm.map(slot, slot_memory)? };
        self.committed[index] = target;
        self.pieces[index] = pieces + 1;
        Ok(())
    }
}

impl Sandbox {
    /// Test hook (`featherlight::testing::linear_memory_contents`): the
    /// committed bytes of every reservation, one after the other.
    pub(crate) fn linear_memory_contents(&self) -> Result<Vec<u8>, Error> {
        let area = &self.machine.area;
        let mut contents = Vec::new();
        for (index, committed) in area.committed.iter().enumerate() {
            let part = area.mapping.copy_out(index as u64 * RESERVATION, host_usize(*committed))?;
            contents.extend(part);
        }
        Ok(contents)
    }
}
