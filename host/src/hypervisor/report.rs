//! What a hypervisor device offers, as each backend reports it for
//! `featherlight inspect --host`.

use super::{Hypervisor, HypervisorError};

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
