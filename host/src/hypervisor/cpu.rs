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
    /// Its bit in ECX of CPUID leaf 1, where the hypervisor reports it (0:
    /// reported elsewhere, not checked in the VM's CPUID).
    pub cpuid_leaf1_ecx: u32,
    /// Part of the baseline every x86-64 server of the last decade has,
    /// which guest code is always compiled for.
    pub baseline: bool,
    /// Whether this process's CPU (and OS: AVX needs its register state
    /// enabled) has it.
    pub on_host: fn() -> bool,
}

/// CPU features the guest code may be compiled for. The baseline (SSE4.1
/// so float rounding needs no libcall, SSE4.2, POPCNT) always; the others
/// when [`CpuFeatures::Host`] finds them on the host CPU, as wasmtime does
/// for code it runs in-process.
pub(crate) const CPU_FEATURES: &[CpuFeature] = &[
    CpuFeature {
        name: "SSE3",
        cranelift_flag: "has_sse3",
        boot_bit: cpu_features::SSE3,
        cpuid_leaf1_ecx: 1 << 0,
        baseline: true,
        on_host: || std::arch::is_x86_feature_detected!("sse3"),
    },
    CpuFeature {
        name: "SSSE3",
        cranelift_flag: "has_ssse3",
        boot_bit: cpu_features::SSSE3,
        cpuid_leaf1_ecx: 1 << 9,
        baseline: true,
        on_host: || std::arch::is_x86_feature_detected!("ssse3"),
    },
    CpuFeature {
        name: "SSE4.1",
        cranelift_flag: "has_sse41",
        boot_bit: cpu_features::SSE4_1,
        cpuid_leaf1_ecx: 1 << 19,
        baseline: true,
        on_host: || std::arch::is_x86_feature_detected!("sse4.1"),
    },
    CpuFeature {
        name: "SSE4.2",
        cranelift_flag: "has_sse42",
        boot_bit: cpu_features::SSE4_2,
        cpuid_leaf1_ecx: 1 << 20,
        baseline: true,
        on_host: || std::arch::is_x86_feature_detected!("sse4.2"),
    },
    CpuFeature {
        name: "POPCNT",
        cranelift_flag: "has_popcnt",
        boot_bit: cpu_features::POPCNT,
        cpuid_leaf1_ecx: 1 << 23,
        baseline: true,
        on_host: || std::arch::is_x86_feature_detected!("popcnt"),
    },
    CpuFeature {
        name: "AVX",
        cranelift_flag: "has_avx",
        boot_bit: cpu_features::AVX,
        cpuid_leaf1_ecx: 0,
        baseline: false,
        on_host: || std::arch::is_x86_feature_detected!("avx"),
    },
    CpuFeature {
        name: "AVX2",
        cranelift_flag: "has_avx2",
        boot_bit: cpu_features::AVX2,
        cpuid_leaf1_ecx: 0,
        baseline: false,
        on_host: || std::arch::is_x86_feature_detected!("avx2"),
    },
    CpuFeature {
        name: "FMA",
        cranelift_flag: "has_fma",
        boot_bit: cpu_features::FMA,
        cpuid_leaf1_ecx: 0,
        baseline: false,
        on_host: || std::arch::is_x86_feature_detected!("fma"),
    },
    CpuFeature {
        name: "BMI1",
        cranelift_flag: "has_bmi1",
        boot_bit: cpu_features::BMI1,
        cpuid_leaf1_ecx: 0,
        baseline: false,
        on_host: || std::arch::is_x86_feature_detected!("bmi1"),
    },
    CpuFeature {
        name: "BMI2",
        cranelift_flag: "has_bmi2",
        boot_bit: cpu_features::BMI2,
        cpuid_leaf1_ecx: 0,
        baseline: false,
        on_host: || std::arch::is_x86_feature_detected!("bmi2"),
    },
    CpuFeature {
        name: "LZCNT",
        cranelift_flag: "has_lzcnt",
        boot_bit: cpu_features::LZCNT,
        cpuid_leaf1_ecx: 0,
        baseline: false,
        on_host: || std::arch::is_x86_feature_detected!("lzcnt"),
    },
];

/// Which CPU features guest code is compiled for
/// ([`Config::cpu_features`](crate::Config::cpu_features)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CpuFeatures {
    /// Everything featherlight can use that this host's CPU has (AVX, AVX2,
    /// FMA, BMI1/2, LZCNT on top of the baseline), as wasmtime compiles for
    /// the host: the fastest code, which runs only on CPUs with the same
    /// features.
    #[default]
    Host,
    /// The baseline only (SSE3 … SSE4.2, POPCNT): code and snapshots that
    /// run on any x86-64 server of the last decade.
    Baseline,
}

impl CpuFeatures {
    /// The boot-parameter bits of the features this choice compiles for.
    pub(crate) fn bits(self) -> u64 {
        CPU_FEATURES
            .iter()
            .filter(|feature| feature.baseline || (self == Self::Host && (feature.on_host)()))
            .fold(0, |bits, feature| bits | feature.boot_bit)
    }
}

/// The features of `required` (boot-parameter bits) that a CPU with the
/// features `available` lacks, by name.
pub(crate) fn missing_features(required: u64, available: u64) -> Vec<&'static str> {
    CPU_FEATURES
        .iter()
        .filter(|feature| required & feature.boot_bit != 0 && available & feature.boot_bit == 0)
        .map(|feature| feature.name)
        .collect()
}

/// An error unless this host's CPU has every feature of `required`
/// (boot-parameter bits), which guest code was compiled for and runs
/// natively.
pub(crate) fn check_compiled_features(required: u64) -> Result<(), HypervisorError> {
    let available = CPU_FEATURES.iter().filter(|f| (f.on_host)()).fold(0, |bits, f| bits | f.boot_bit);
    let missing = missing_features(required, available);
    if missing.is_empty() { Ok(()) } else { Err(HypervisorError::MissingCpuFeatures { missing }) }
}

/// The CPUID leaf 1 ECX bits of every baseline feature in [`CPU_FEATURES`].
pub(crate) const REQUIRED_LEAF1_ECX: u32 = {
    let mut bits = 0;
    let mut i = 0;
    while i < CPU_FEATURES.len() {
        if CPU_FEATURES[i].baseline {
            bits |= CPU_FEATURES[i].cpuid_leaf1_ecx;
        }
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
    /// Part of the baseline, always compiled for (else compiled for only
    /// where the host CPU has it, with [`CpuFeatures::Host`]).
    pub required: bool,
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
    CPU_FEATURES
        .iter()
        .map(|feature| CpuFeatureReport {
            name: feature.name,
            required: feature.baseline,
            host_cpu: (feature.on_host)(),
            vm_cpuid: vm_leaf1_ecx
                .filter(|_| feature.cpuid_leaf1_ecx != 0)
                .map(|ecx| ecx & feature.cpuid_leaf1_ecx != 0),
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
    fn host_features_include_the_baseline_and_a_cpu_without_them_is_named() {
        let baseline = CpuFeatures::Baseline.bits();
        let host = CpuFeatures::Host.bits();
        assert_eq!(host & baseline, baseline);
        assert!(check_compiled_features(host).is_ok(), "this host has its own features");
        // A CPU without AVX2 and BMI2 (a machine the code was not compiled
        // on) is refused, naming what it lacks and the setting to change.
        let required = baseline | cpu_features::AVX | cpu_features::AVX2 | cpu_features::BMI2;
        let missing = missing_features(required, baseline | cpu_features::AVX);
        assert_eq!(missing, ["AVX2", "BMI2"]);
        let error = HypervisorError::MissingCpuFeatures { missing };
        assert!(error.to_string().contains("AVX2, BMI2"), "{error}");
        assert!(error.to_string().contains("CpuFeatures::Baseline"), "{error}");
    }

    #[test]
    fn required_bits_cover_every_baseline_feature() {
        for feature in CPU_FEATURES.iter().filter(|f| f.baseline) {
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
