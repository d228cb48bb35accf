//! Which of DESIGN.md's two dirty-page modes a sandbox uses, and the
//! automatic choice.

use crate::hypervisor::{Hypervisor, HypervisorChoice};
use std::path::Path;

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

/// Whether this host's KVM translates guest page tables in software
/// (shadow paging), where a host write to a guest page table needs a full
/// shadow MMU zap and each guest copy-on-write fault costs a few tens of µs.
/// True for kvm_pvm (its module is loaded; it also runs without VMX/SVM in
/// the CPU), and for kvm_intel/kvm_amd with EPT/NPT turned off.
pub(crate) fn kvm_uses_shadow_paging() -> bool {
    let parameter = |path: &str| std::fs::read_to_string(path).map(|v| v.trim().to_owned()).ok();
    let off = |value: Option<String>| matches!(value.as_deref(), Some("N" | "0"));
    Path::new("/sys/module/kvm_pvm").exists()
        || !host_has_hardware_virtualization()
        || off(parameter("/sys/module/kvm_intel/parameters/ept"))
        || off(parameter("/sys/module/kvm_amd/parameters/npt"))
}

/// Whether the CPU this process runs on reports VMX or SVM.
fn host_has_hardware_virtualization() -> bool {
    const VMX: u32 = 1 << 5; // CPUID.1:ECX
    const SVM: u32 = 1 << 2; // CPUID.80000001h:ECX
    let vmx = core::arch::x86_64::__cpuid(1).ecx & VMX != 0;
    let extended = core::arch::x86_64::__cpuid(0x8000_0000).eax;
    let svm = extended >= 0x8000_0001 && core::arch::x86_64::__cpuid(0x8000_0001).ecx & SVM != 0;
    vmx || svm
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

    #[test]
    fn this_machines_kvm_pvm_counts_as_shadow_paging() {
        if Path::new("/sys/module/kvm_pvm").exists() {
            assert!(kvm_uses_shadow_paging());
        }
    }
}
