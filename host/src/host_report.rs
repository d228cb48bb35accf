//! What this host offers featherlight (`featherlight inspect --host`):
//! which hypervisor devices exist and work, their capabilities, the CPU
//! features compiled guest code needs, and the dirty-page mode `Auto`
//! picks. Assembled here, above the layers it reports on.

use crate::hypervisor::cpu::{CpuFeatureReport, feature_reports, kvm_uses_shadow_paging};
use crate::hypervisor::{DeviceReport, DeviceStatus, Hypervisor, HypervisorChoice, probe_devices};
use crate::mem::DirtyPageMode;

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
    let devices = probe_devices();
    // `resolve` goes by which devices exist; one that exists but does not open is no
    // hypervisor to report as selected.
    let selected = choice.resolve().map_err(|e| e.to_string()).and_then(|chosen| {
        match devices.iter().find(|d| d.hypervisor == chosen) {
            Some(device) if device.status != DeviceStatus::Usable => {
                Err(format!("{} is present but unusable (see below)", chosen.device()))
            }
            _ => Ok(chosen),
        }
    });
    let vm_cpuid = selected
        .as_ref()
        .ok()
        .and_then(|chosen| devices.iter().find(|d| d.hypervisor == *chosen))
        .and_then(|device| device.guest_cpuid_leaf1_ecx);
    let cpu_features = feature_reports(vm_cpuid);
    let dirty_pages = DirtyPageMode::Auto.resolve(choice);
    HostReport { selected, devices, cpu_features, dirty_pages, kvm_shadow_paging: kvm_uses_shadow_paging() }
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
        match &self.selected {
            Ok(Hypervisor::Kvm) => {
                writeln!(f, "dirty pages (MemoryConfig::dirty_pages = Auto): {mode} (KVM here: {paging})")?
            }
            Ok(_) => writeln!(f, "dirty pages (MemoryConfig::dirty_pages = Auto): {mode}")?,
            Err(_) => writeln!(f, "dirty pages (MemoryConfig::dirty_pages = Auto): no usable hypervisor")?,
        }
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
            let host = match (feature.host_cpu, feature.required) {
                (true, _) => "host CPU has it",
                (false, true) => "MISSING from the host CPU (required)",
                (false, false) => "not on this host CPU (used only where present)",
            };
            let vm = match (feature.vm_cpuid, feature.required) {
                (Some(true), _) => "in VM CPUID",
                (Some(false), _) => "not in VM CPUID",
                (None, true) => "VM CPUID unknown",
                (None, false) => "VM CPUID not checked",
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
    fn report_on_this_host_finds_kvm_with_what_featherlight_needs() {
        let report = probe_host(HypervisorChoice::Auto);
        assert_eq!(report.selected, Ok(Hypervisor::Kvm), "{report}");
        let kvm = &report.devices[0];
        assert_eq!(kvm.status, DeviceStatus::Usable);
        assert!(kvm.capabilities.iter().filter(|c| c.required).all(|c| c.supported), "{report}");
        let required = report.cpu_features.iter().filter(|f| f.required);
        assert!(
            required.clone().count() == 5 && required.clone().all(|f| f.host_cpu && f.vm_cpuid.is_some()),
            "{report}"
        );
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
