//! Which of DESIGN.md's two dirty-page modes a sandbox uses, and the
//! automatic choice.

use crate::hypervisor::cpu::kvm_uses_shadow_paging;
use crate::hypervisor::{Hypervisor, HypervisorChoice};

/// How pages a call dirtied are tracked and put back on restore
/// ([`MemoryConfig::dirty_pages`](super::MemoryConfig::dirty_pages)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DirtyPageMode {
    /// Host copy-on-write on shadow-paging KVM (kvm_pvm, or KVM without
    /// EPT/NPT), guest copy-on-write everywhere else.
    #[default]
    Auto,
    /// The host kernel copies a snapshot page on the guest's first write to
    /// it (a `MAP_PRIVATE` mapping); restore copies the snapshot's bytes
    /// back into the pages that became private. Guest page tables never
    /// change. Cheapest where every guest page-table change costs a shadow
    /// MMU zap.
    HostCow,
    /// The snapshot is read-only to the guest; its first write to a page
    /// faults inside the guest, which copies it (at CPL3) into a fresh page
    /// and repoints the entry, with no VM exit on hardware virtualization.
    /// Restore zeroes the pages taken and puts the page tables back.
    GuestCow,
}

impl DirtyPageMode {
    /// The mode this setting means on `hypervisor` (never `Auto`).
    pub(crate) fn resolve(self, hypervisor: HypervisorChoice) -> DirtyPageMode {
        match self {
            DirtyPageMode::Auto => match hypervisor.resolve() {
                Ok(Hypervisor::Kvm) if kvm_uses_shadow_paging() => DirtyPageMode::HostCow,
                Ok(_) => DirtyPageMode::GuestCow,
                // No hypervisor: creating the VM will say why; any mode works.
                Err(_) => DirtyPageMode::HostCow,
            },
            mode => mode,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_modes_stay_and_auto_follows_the_paging_kind() {
        let kvm = HypervisorChoice::Only(Hypervisor::Kvm);
        assert_eq!(DirtyPageMode::HostCow.resolve(kvm), DirtyPageMode::HostCow);
        assert_eq!(DirtyPageMode::GuestCow.resolve(kvm), DirtyPageMode::GuestCow);
        let expected = if kvm_uses_shadow_paging() { DirtyPageMode::HostCow } else { DirtyPageMode::GuestCow };
        assert_eq!(DirtyPageMode::Auto.resolve(kvm), expected);
    }
}
