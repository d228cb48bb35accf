//! Snapshots of a sandbox between calls: start new sandboxes warm from one,
//! or put a sandbox back to one after a call ("restore").
//!
//! A [`Snapshot`] is the boot image every sandbox of the component shares,
//! plus the captured scratch memory (a sealed, sparse memfd; see
//! `mem/scratch_image.rs`) and the guest's registers. Sandboxes map the
//! scratch image copy-on-write, so a snapshot's memory exists once however
//! many sandboxes use it, and restoring costs time in proportion to the pages
//! the guest dirtied since.

use super::Sandbox;
use super::host_functions::Linker;
use super::linear_memory::Area;
use crate::Value;
use crate::error::{Error, GuestViolation, PoisonedBy};
use crate::hypervisor::{Exit, HypervisorError, Registers, Vm};
use crate::mem::boot_image::BootImage;
use crate::mem::host_usize;
use crate::mem::region::HostMapping;
use crate::mem::scratch_image::ScratchImage;
use crate::wasm::component::Component;
use featherlight_abi::layout::{MESSAGE_EXIT_LEN, PAGE_SIZE};
use featherlight_abi::linear_memory::RESERVATION;
use std::sync::{Arc, Mutex};

/// A sandbox's state between two calls. Cheap to share (`Arc`), read-only.
pub struct Snapshot {
    pub(super) component: Component,
    pub(super) boot: Arc<BootImage>,
    pub(super) scratch: ScratchImage,
    /// The linear-memory area, and how much of each reservation the guest
    /// had committed.
    pub(super) area: ScratchImage,
    pub(super) area_committed: Vec<u64>,
    /// Where the guest resumes: just past the `out` that delivered the
    /// result of its last call, waiting for the next message.
    pub(super) regs: Registers,
    /// Which imports had a host function when the guest linked them.
    pub(super) registered: Vec<bool>,
    /// The host-resource handles the guest held (their reps are the
    /// application's: it keeps those objects alive as long as it needs).
    pub(super) handles: super::handles::HandleTable,
    /// Machines of dropped sandboxes, restored to this snapshot, for
    /// [`Sandbox::from_snapshot`] to reuse (at most
    /// [`Config::spare_vms`](crate::Config::spare_vms)).
    pub(super) spares: Mutex<Vec<Machine>>,
}

/// A VM with its memory mapped: what a sandbox runs on, and what a dropped
/// sandbox leaves in its snapshot as a spare.
pub(super) struct Machine {
    // Field order is drop order: the VM before the memory it maps.
    pub vm: Vm,
    pub cow: Option<super::guest_cow::CowState>,
    pub scratch: HostMapping,
    pub area: Area,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("component", &self.component)
            .field("stored_pages", &self.scratch.stored_pages())
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// The component the snapshot's sandbox runs.
    pub fn component(&self) -> &Component {
        &self.component
    }

    /// Bytes of scratch and linear memory the snapshot stores (all-zero
    /// pages are not stored), on top of the component's shared boot image.
    pub fn stored_bytes(&self) -> u64 {
        (self.scratch.stored_pages() + self.area.stored_pages()) as u64 * PAGE_SIZE
    }

    /// VMs of dropped sandboxes this snapshot keeps for reuse.
    pub fn spare_vms(&self) -> usize {
        self.spares.lock().map_or(0, |spares| spares.len())
    }

    /// Drops the spare VMs (they are also dropped with the snapshot).
    pub fn release_spare_vms(&self) {
        let spares = self.spares.lock().map(|mut spares| std::mem::take(&mut *spares));
        drop(spares);
    }

    fn max_spares(&self) -> usize {
        self.component.engine().config().spare_vms
    }

    /// Keeps `machine`, already restored to this snapshot, if there is room.
    pub(super) fn park(&self, machine: Machine) {
        if let Ok(mut spares) = self.spares.lock()
            && spares.len() < self.max_spares()
        {
            spares.push(machine);
        }
    }

    fn take_spare(&self) -> Option<Machine> {
        self.spares.lock().ok()?.pop()
    }
}

impl Sandbox {
    /// Captures this sandbox's state between calls.
    ///
    /// Sandboxes made from the snapshot ([`Sandbox::from_snapshot`]) or put
    /// back to it ([`Sandbox::restore`]) continue from exactly this state.
    #[tracing::instrument(skip_all)]
    pub fn snapshot(&mut self) -> Result<Arc<Snapshot>, Error> {
        self.refuse_if_poisoned()?;
        let regs = self.resume_point()?;
        let parent = self.origin.as_ref().map(|origin| &origin.scratch);
        let copies = self.guest_copies()?;
        let copies = copies.as_ref().map(|(memory, copied)| (*memory, copied.as_slice()));
        let scratch = ScratchImage::capture(&self.machine.scratch, parent, copies).map_err(Error::Memory)?;
        let parent = self.origin.as_ref().map(|origin| &origin.area);
        let area = ScratchImage::capture(&self.machine.area.mapping, parent, None)
            .and_then(|image| image.into_overlay(host_usize(RESERVATION)))
            .map_err(Error::Memory)?;
        Ok(Arc::new(Snapshot {
            component: self.component.clone(),
            boot: self.boot.clone(),
            scratch,
            area,
            area_committed: self.machine.area.committed().to_vec(),
            regs,
            registered: self.registered().collect(),
            handles: self.handles.clone(),
            spares: Mutex::new(Vec::new()),
        }))
    }

    /// Puts this sandbox back to `snapshot`, taken from this sandbox or from
    /// another sandbox of the same [`Component`] with the same host functions.
    /// Also makes a poisoned sandbox usable again.
    #[tracing::instrument(skip_all)]
    pub fn restore(&mut self, snapshot: &Arc<Snapshot>) -> Result<(), Error> {
        self.check_compatible(snapshot)?;
        let same_image = self.origin.as_ref().is_some_and(|origin| Arc::ptr_eq(origin, snapshot));
        // Files are not memory: what the component opened is closed, and a
        // handle the restored guest kept from before the snapshot answers
        // `bad-descriptor` (descriptor numbers are never reused).
        self.descriptors.close_all();
        let outcome = (|| {
            if self.poisoned.is_some() {
                self.settle_vcpu()?;
            }
            // Guest CoW: only the writable part of scratch can change.
            let writable = self.cow_tables().map_or(self.machine.scratch.size(), |t| host_usize(t.writable_scratch));
            let stats =
                snapshot.scratch.restore(&mut self.machine.scratch, same_image, writable).map_err(Error::Memory)?;
            tracing::trace!(?stats, "restored scratch");
            // The area is writable in both modes; its slots stay.
            let machine = &mut *self.machine;
            let size = machine.area.mapping.size();
            let stats = snapshot.area.restore(&mut machine.area.mapping, same_image, size).map_err(Error::Memory)?;
            tracing::trace!(?stats, "restored linear memory");
            machine.area.commit_all(&mut machine.vm, &snapshot.area_committed)?;
            if self.cow_tables().is_some() && self.machine.cow.is_none() {
                // A sandbox booted with writable scratch enters guest CoW.
                return self.enter_guest_cow(&snapshot.regs, true);
            }
            let zeroed = self.reset_guest_cow()?;
            tracing::trace!(zeroed, "restored guest CoW memory");
            // Only the general registers: the x87/SSE state is reset by the
            // guest's message exit, where the guest resumes (see the
            // kernel's `featherlight_port_exit`).
            self.machine.vm.set_regs(&snapshot.regs)?;
            self.handles = snapshot.handles.clone();
            Ok(())
        })();
        match outcome {
            Ok(()) => {
                self.origin = Some(snapshot.clone());
                self.poisoned = None;
                Ok(())
            }
            // Half restored is unusable: poison (whatever the error).
            Err(e) => {
                self.poison(&e, PoisonedBy::Restore);
                Err(e)
            }
        }
    }

    /// Calls export `name`, then restores `snapshot` whatever the call's
    /// outcome: per-request isolation in one step.
    pub fn call_then_restore(
        &mut self,
        name: &str,
        args: &[Value],
        snapshot: &Arc<Snapshot>,
    ) -> Result<Vec<Value>, Error> {
        let outcome = self.call(name, args);
        self.restore(snapshot)?;
        outcome
    }

    /// A new sandbox in `snapshot`'s state, with the host functions in
    /// `linker` (which must provide the same imports as the snapshot's
    /// sandbox had). Nothing is booted or instantiated: the guest resumes
    /// where the snapshot was taken.
    #[tracing::instrument(skip_all)]
    pub fn from_snapshot(snapshot: &Arc<Snapshot>, linker: &Linker) -> Result<Self, Error> {
        if let Some(machine) = snapshot.take_spare() {
            let boot = snapshot.boot.clone();
            let mut sandbox = Self::with_machine(&snapshot.component, linker, boot, machine, Some(snapshot.clone()));
            // Checked after taking the spare, so a mismatch still drops the
            // sandbox (and re-parks the machine) the usual way.
            sandbox.check_compatible(snapshot)?;
            sandbox.handles = snapshot.handles.clone();
            return Ok(sandbox);
        }
        let scratch = snapshot.scratch.map_private().map_err(Error::Memory)?;
        let area = snapshot.area.map_private().map_err(Error::Memory)?;
        let area = Area::with_mapping(snapshot.boot.layout.linear_memory, area);
        let boot = snapshot.boot.clone();
        let mut sandbox = Self::with_memory(&snapshot.component, linker, boot, scratch, area, Some(snapshot.clone()))?;
        let machine = &mut *sandbox.machine;
        machine.area.commit_all(&mut machine.vm, &snapshot.area_committed)?;
        sandbox.check_compatible(snapshot)?;
        sandbox.handles = snapshot.handles.clone();
        if sandbox.cow_tables().is_some() {
            sandbox.enter_guest_cow(&snapshot.regs, false)?;
        } else {
            let root = snapshot.boot.page_table_root;
            sandbox
                .machine
                .vm
                .set_entry_state(&snapshot.regs, &crate::hypervisor::descriptors::cpl3_long_mode(root))?;
        }
        Ok(sandbox)
    }

    /// On drop: restores a healthy sandbox made from (or restored to) a
    /// snapshot that has room for a spare, and returns that snapshot.
    pub(super) fn restore_for_spare(&mut self) -> Option<Arc<Snapshot>> {
        let origin = self.origin.clone()?;
        // Nobody else holds the snapshot: the spare would be dropped with it.
        let wanted = Arc::strong_count(&origin) > 2 && origin.spare_vms() < origin.max_spares();
        if !wanted || self.poisoned.is_some() {
            return None;
        }
        self.restore(&origin).ok()?;
        Some(origin)
    }

    /// Lets KVM finish what the guest's last exit left pending, without
    /// running guest code. A guest stopped by an error may have left an
    /// operation half done (an `in` from a port, an emulated access) that
    /// KVM would otherwise complete at the next entry, over the restored
    /// registers (KVM's API documentation prescribes exactly this re-entry).
    fn settle_vcpu(&mut self) -> Result<(), Error> {
        let interrupts = self.interrupts.clone();
        let unexpected = interrupts.without_guest_code(|| {
            self.machine.vm.run().map(|exit| match exit {
                Exit::Interrupted => None,
                other => Some(other.kind()),
            })
        })?;
        match unexpected {
            None => Ok(()),
            Some(exit) => Err(HypervisorError::RanGuestCode { exit }.into()),
        }
    }

    fn check_compatible(&self, snapshot: &Snapshot) -> Result<(), Error> {
        if !Arc::ptr_eq(&self.boot, &snapshot.boot) {
            return Err(Error::SnapshotMismatch(
                "the snapshot was taken from a sandbox of another component or memory configuration".into(),
            ));
        }
        // Compared without collecting: restore runs this on every call.
        if !self.registered().eq(snapshot.registered.iter().copied()) {
            return Err(Error::SnapshotMismatch(
                "the snapshot's sandbox had host functions for other imports than this one".into(),
            ));
        }
        Ok(())
    }

    /// The registers to resume from: the guest is stopped at its message
    /// exit, which delivered its last result, so resume just after it
    /// (resuming at the `out` would repeat the old result). KVM on hardware
    /// reports the `out`'s own address, kvm_pvm the next one: both are taken.
    fn resume_point(&self) -> Result<Registers, Error> {
        let mut regs = self.machine.vm.regs()?;
        let exit = self.boot.message_exit;
        let resume = exit + MESSAGE_EXIT_LEN;
        if regs.rip != exit && regs.rip != resume {
            return Err(GuestViolation::NotAtMessageExit { rip: regs.rip }.into());
        }
        regs.rip = resume;
        Ok(regs)
    }
}
