//! The host CPU as the hypervisor layer sees it: the CPU features compiled
//! guest code uses (the compiler targets them, the boot parameters carry
//! them, the host CPU must have them), and whether KVM here translates guest
//! page tables in software.

use super::{Hypervisor, HypervisorError};
use featherlight_abi::layout::cpu_features;
use std::path::Path;

/// A CPU feature compiled guest code may use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuFeature {
    /// Its usual name.
    pub name: &'static str,
    /// The Cranelift setting that lets code use it.
    pub cranelift_flag: &'static str,
    /// Its bit in the boot parameters ([`cpu_features`](featherlight_abi::layout::cpu_features)).
    pub boot_bit: u64,
    /// Its bit in ECX of CPUID leaf 1, where the hypervisor reports it.
    pub cpuid_leaf1_ecx: u32,
}

/// CPU features the guest code is compiled for, which the VM's CPUID must
/// offer: SSE4.1 so float rounding needs no libcall, a baseline every
/// x86-64 server of the last decade has.
pub(crate) const CPU_FEATURES: &[CpuFeature] = &[
    CpuFeature { name: "SSE3", cranelift_flag: "has_sse3", boot_bit: cpu_features::SSE3, cpuid_leaf1_ecx: 1 << 0 },
    CpuFeature { name: "SSSE3", cranelift_flag: "has_ssse3", boot_bit: cpu_features::SSSE3, cpuid_leaf1_ecx: 1 << 9 },
    CpuFeature {
        name: "SSE4.1",
        cranelift_flag: "has_sse41",
        boot_bit: cpu_features::SSE4_1,
        cpuid_leaf1_ecx: 1 << 19,
    },
    CpuFeature {
        name: "SSE4.2",
        cranelift_flag: "has_sse42",
        boot_bit: cpu_features::SSE4_2,
        cpuid_leaf1_ecx: 1 << 20,
    },
    CpuFeature {
        name: "POPCNT",
        cranelift_flag: "has_popcnt",
        boot_bit: cpu_features::POPCNT,
        cpuid_leaf1_ecx: 1 << 23,
    },
];

/// The CPUID leaf 1 ECX bits of every feature in [`CPU_FEATURES`].
pub(crate) const REQUIRED_LEAF1_ECX: u32 = {
    let mut bits = 0;
    let mut i = 0;
    while i < CPU_FEATURES.len() {
        bits |= CPU_FEATURES[i].cpuid_leaf1_ecx;
        i += 1;
    }
    bits
};

/// A CPU feature compiled guest code uses, and who has it.
///
/// Guest code runs natively, so the host CPU must have it. The VM's CPUID
/// is reported for information only: the guest never probes it (its
/// features come with the boot parameters), and some hypervisors leave
/// features out (kvm_pvm reports none of these in leaf 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuFeatureReport {
    /// The feature's usual name (SSE4.1, POPCNT, …).
    pub name: &'static str,
    /// Whether the host CPU has it (required).
    pub host_cpu: bool,
    /// Whether the chosen hypervisor's VMs report it in CPUID; `None` when
    /// no hypervisor is usable.
    pub vm_cpuid: Option<bool>,
}

/// ECX of CPUID leaf 1 on the host CPU, which runs guest code natively.
pub(crate) fn host_cpuid_leaf1_ecx() -> u32 {
    core::arch::x86_64::__cpuid(1).ecx
}

/// An error unless the host CPU has every feature compiled guest code uses.
pub(crate) fn check_host_cpu(hypervisor: Hypervisor) -> Result<(), HypervisorError> {
    if host_cpuid_leaf1_ecx() & REQUIRED_LEAF1_ECX == REQUIRED_LEAF1_ECX {
        return Ok(());
    }
    Err(HypervisorError::Unsupported {
        hypervisor,
        what: "a CPU with the features compiled guest code needs (SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT)",
    })
}

/// What the host CPU and a VM's CPUID (`vm_leaf1_ecx`, when known) say of
/// each feature in [`CPU_FEATURES`].
pub(crate) fn feature_reports(vm_leaf1_ecx: Option<u32>) -> Vec<CpuFeatureReport> {
    let host = host_cpuid_leaf1_ecx();
    CPU_FEATURES
        .iter()
        .map(|feature| CpuFeatureReport {
            name: feature.name,
            host_cpu: host & feature.cpuid_leaf1_ecx != 0,
            vm_cpuid: vm_leaf1_ecx.map(|ecx| ecx & feature.cpuid_leaf1_ecx != 0),
        })
        .collect()
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
    fn required_bits_cover_every_feature() {
        for feature in CPU_FEATURES {
            assert_ne!(REQUIRED_LEAF1_ECX & feature.cpuid_leaf1_ecx, 0, "{}", feature.name);
        }
        // SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT.
        assert_eq!(REQUIRED_LEAF1_ECX, 1 | 1 << 9 | 1 << 19 | 1 << 20 | 1 << 23);
    }

    #[test]
    fn this_machines_kvm_pvm_counts_as_shadow_paging() {
        if Path::new("/sys/module/kvm_pvm").exists() {
            assert!(kvm_uses_shadow_paging());
        }
    }
}
