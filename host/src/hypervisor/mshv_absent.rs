//! Stands in for the MSHV backend in builds without the `mshv` feature: the
//! same items, each saying how to get the real one.

use super::report::{Capability, DeviceReport, DeviceStatus};
use super::{Hypervisor, HypervisorError, Vm};

/// The device MSHV is driven through.
pub(crate) const DEVICE: &str = "/dev/mshv";

/// This build has no MSHV backend.
pub(crate) const COMPILED_IN: bool = false;

pub(crate) fn create() -> Result<Vm, HypervisorError> {
    Err(HypervisorError::NotCompiledIn("MSHV", "mshv"))
}

pub(crate) fn probe() -> DeviceReport {
    let present = std::path::Path::new(DEVICE).exists();
    DeviceReport {
        hypervisor: Hypervisor::Mshv,
        status: DeviceStatus::NotCompiledIn { device_present: present },
        capabilities: Vec::<Capability>::new(),
        guest_cpuid_leaf1_ecx: None,
    }
}
