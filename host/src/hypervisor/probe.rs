//! What this host offers featherlight: which hypervisor devices exist and
//! work, their relevant capabilities, and whether the VM's CPUID has the CPU
//! features compiled guest code uses (`featherlight inspect --host`).

use super::kvm;
use super::{Hypervisor, HypervisorChoice, HypervisorError, mshv};
use crate::mem::DirtyPageMode;
use crate::mem::dirty_pages::kvm_uses_shadow_paging;
use crate::wasm::engine::CPU_FEATURES;
use kvm_ioctls::Cap;

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

/// Whether a hypervisor device can be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceStatus {
    /// It opened.
    Usable,
    /// The device does not exist.
    Missing,
    /// The device exists but this user may not open it.
    PermissionDenied,
    /// This build lacks the backend (the `mshv` feature).
    NotCompiledIn {
        /// Whether the device exists anyway.
        device_present: bool,
    },
    /// It failed otherwise; the text says how.
    Failed(String),
}

impl DeviceStatus {
    pub(crate) fn from_open_error(error: &HypervisorError, device: &str) -> Self {
        match error {
            HypervisorError::Open { source, .. } => match source.raw_os_error() {
                Some(libc::ENOENT | libc::ENODEV | libc::ENXIO) => DeviceStatus::Missing,
                Some(libc::EACCES | libc::EPERM) => DeviceStatus::PermissionDenied,
                _ => DeviceStatus::Failed(format!("cannot open {device}: {source}")),
            },
            other => DeviceStatus::Failed(other.to_string()),
        }
    }
}

/// One capability of a hypervisor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    /// What it is.
    pub name: &'static str,
    /// Whether the hypervisor offers it.
    pub supported: bool,
    /// Whether featherlight cannot run without it.
    pub required: bool,
}

impl Capability {
    pub(crate) fn new(name: &'static str, supported: bool, required: bool) -> Self {
        Self { name, supported, required }
    }
}

/// One hypervisor device and what it offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceReport {
    /// Which hypervisor.
    pub hypervisor: Hypervisor,
    /// Whether it can be used.
    pub status: DeviceStatus,
    /// Its capabilities (empty unless usable).
    pub capabilities: Vec<Capability>,
    /// ECX of CPUID leaf 1 as its VMs see it, when usable.
    pub(crate) guest_cpuid_leaf1_ecx: Option<u32>,
}

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

/// What [`probe_host`] found.
#[derive(Debug, Clone)]
pub struct HostReport {
    /// The hypervisor sandboxes would use under the probed choice, or why none.
    pub selected: Result<Hypervisor, String>,
    /// Every hypervisor featherlight knows, in the order it tries them.
    pub devices: Vec<DeviceReport>,
    /// The CPU features the ahead-of-time compiler targets.
    pub cpu_features: Vec<CpuFeatureReport>,
    /// The dirty-page mode [`DirtyPageMode::Auto`] picks under the probed
    /// choice, and whether KVM here uses shadow paging (the reason).
    pub dirty_pages: DirtyPageMode,
    /// Whether this host's KVM translates guest page tables in software.
    pub kvm_shadow_paging: bool,
}

/// Probes every hypervisor device and what `choice` would select.
///
/// Opens the devices but creates no VM.
pub fn probe_host(choice: HypervisorChoice) -> HostReport {
    let devices: Vec<DeviceReport> = Hypervisor::ALL
        .into_iter()
        .map(|hypervisor| match hypervisor {
            Hypervisor::Kvm => probe_kvm(),
            Hypervisor::Mshv => mshv::probe(),
        })
        .collect();
    let selected = choice.resolve().map_err(|e| e.to_string());
    let cpuid = selected
        .as_ref()
        .ok()
        .and_then(|chosen| devices.iter().find(|d| d.hypervisor == *chosen))
        .and_then(|device| device.guest_cpuid_leaf1_ecx);
    let host = host_cpuid_leaf1_ecx();
    let cpu_features = CPU_FEATURES
        .iter()
        .map(|feature| CpuFeatureReport {
            name: feature.name,
            host_cpu: host & feature.cpuid_leaf1_ecx != 0,
            vm_cpuid: cpuid.map(|ecx| ecx & feature.cpuid_leaf1_ecx != 0),
        })
        .collect();
    let dirty_pages = DirtyPageMode::Auto.resolve(choice);
    HostReport { selected, devices, cpu_features, dirty_pages, kvm_shadow_paging: kvm_uses_shadow_paging() }
}

fn probe_kvm() -> DeviceReport {
    let system = match kvm::system() {
        Ok(system) => system,
        Err(e) => {
            return DeviceReport {
                hypervisor: Hypervisor::Kvm,
                status: DeviceStatus::from_open_error(&e, kvm::DEVICE),
                capabilities: Vec::new(),
                guest_cpuid_leaf1_ecx: None,
            };
        }
    };
    let has = |cap| system.kvm.check_extension(cap);
    let capabilities = vec![
        Capability::new("user memory slots", has(Cap::UserMemory), true),
        Capability::new("read-only memory slots (the shared snapshot)", has(Cap::ReadonlyMem), true),
        Capability::new("sync regs (registers set without an ioctl)", has(Cap::SyncRegs), false),
        Capability::new("MSR filter (deny the guest every MSR)", has(Cap::X86MsrFilter), false),
        // Part of KVM's base API, with every memory slot.
        Capability::new("dirty page log", true, false),
        Capability::new("dirty log ring", has(Cap::DirtyLogRing), false),
    ];
    DeviceReport {
        hypervisor: Hypervisor::Kvm,
        status: DeviceStatus::Usable,
        capabilities,
        guest_cpuid_leaf1_ecx: Some(kvm::guest_cpuid_leaf1_ecx(system)),
    }
}

impl std::fmt::Display for HostReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.selected {
            Ok(hypervisor) => writeln!(f, "hypervisor: {hypervisor} ({})", hypervisor.device())?,
            Err(why) => writeln!(f, "hypervisor: none usable: {why}")?,
        }
        let paging = if self.kvm_shadow_paging { "shadow paging" } else { "hardware-assisted paging" };
        let mode = match self.dirty_pages {
            DirtyPageMode::GuestCow => "guest copy-on-write",
            _ => "host copy-on-write",
        };
        writeln!(f, "dirty pages (MemoryConfig::dirty_pages = Auto): {mode} (KVM here: {paging})")?;
        for device in &self.devices {
            let status = match &device.status {
                DeviceStatus::Usable => "usable".to_string(),
                DeviceStatus::Missing => "not present".to_string(),
                DeviceStatus::PermissionDenied => {
                    format!("permission denied (add this user to the group owning {})", device.hypervisor.device())
                }
                DeviceStatus::NotCompiledIn { device_present } => format!(
                    "not in this build (rebuild with `--features mshv`); device {}",
                    if *device_present { "present" } else { "not present" }
                ),
                DeviceStatus::Failed(why) => format!("unusable: {why}"),
            };
            writeln!(f, "{} {}: {status}", device.hypervisor, device.hypervisor.device())?;
            for capability in &device.capabilities {
                let mark = if capability.supported { "yes" } else { "no " };
                let required = if capability.required { " (required)" } else { "" };
                writeln!(f, "  {mark} {}{required}", capability.name)?;
            }
        }
        writeln!(f, "CPU features the compiler targets (guest code runs natively; the guest never reads CPUID):")?;
        for feature in &self.cpu_features {
            let host = if feature.host_cpu { "host CPU has it" } else { "MISSING from the host CPU (required)" };
            let vm = match feature.vm_cpuid {
                Some(true) => "in VM CPUID",
                Some(false) => "not in VM CPUID",
                None => "VM CPUID unknown",
            };
            writeln!(f, "  {}: {host}; {vm}", feature.name)?;
        }
        Ok(())
    }
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
    fn report_on_this_host_finds_kvm_with_what_featherlight_needs() {
        let report = probe_host(HypervisorChoice::Auto);
        assert_eq!(report.selected, Ok(Hypervisor::Kvm), "{report}");
        let kvm = &report.devices[0];
        assert_eq!(kvm.status, DeviceStatus::Usable);
        assert!(kvm.capabilities.iter().filter(|c| c.required).all(|c| c.supported), "{report}");
        assert!(report.cpu_features.iter().all(|f| f.host_cpu && f.vm_cpuid.is_some()), "{report}");
        let text = report.to_string();
        assert!(text.starts_with("hypervisor: KVM (/dev/kvm)"), "{text}");
        assert!(text.contains("MSR filter"), "{text}");
        assert!(text.contains("MSHV /dev/mshv"), "{text}");
        // kvm_pvm (these machines) is shadow paging: host copy-on-write.
        if std::path::Path::new("/sys/module/kvm_pvm").exists() {
            assert_eq!(report.dirty_pages, DirtyPageMode::HostCow);
            assert!(text.contains("host copy-on-write (KVM here: shadow paging)"), "{text}");
        }
    }
}
