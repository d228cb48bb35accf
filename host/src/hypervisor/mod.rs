//! The hypervisor layer: one micro-VM with one vCPU.
//!
//! Shared code sees only the [`VirtualMachine`] trait, which covers exactly
//! what featherlight needs: map memory, set and read registers, run until the
//! guest exits, and a stop flag for interrupting a run. Each backend lives in
//! its own module: [`kvm`] always, `mshv` when the build script sets the
//! `featherlight_mshv` cfg (the `mshv` feature); without it, a stand-in
//! module of the same shape explains how to get it. An exit is returned as a
//! borrowed [`Exit`], so the hot path allocates nothing.

mod choice;
pub(crate) mod cpu;
pub(crate) mod descriptors;
mod exit;
pub(crate) mod kvm;
#[cfg(featherlight_mshv)]
mod mshv;
#[cfg(not(featherlight_mshv))]
#[path = "mshv_absent.rs"]
mod mshv;
pub(crate) mod raw_exit;
pub(crate) mod regs;
mod report;
mod stop;

pub(crate) use choice::create;
pub use choice::{Hypervisor, HypervisorChoice};
pub use cpu::{CpuFeatureReport, CpuFeatures};
pub use exit::ExitFailure;
pub(crate) use regs::{EntryState, Registers};
pub use report::{Capability, DeviceReport, DeviceStatus};
pub(crate) use stop::StopFlag;

/// A VM with one vCPU, whichever hypervisor runs it.
pub(crate) trait VirtualMachine: Send + std::fmt::Debug {
    /// Maps `slot` as memory slot number `index`.
    ///
    /// # Safety
    /// `slot.host_address .. + slot.size` must stay mapped in this process
    /// for as long as the VM exists (the hypervisor reads and writes it on
    /// the guest's behalf).
    unsafe fn map(&mut self, index: u32, slot: MemorySlot) -> Result<(), HypervisorError>;

    /// Removes slot `index`, mapped earlier as `slot`. Besides changing a
    /// slot, this is how the host makes its writes to guest page tables
    /// visible: on KVM removing any slot zaps every cached translation
    /// (shadow pages on kvm_pvm, guest TLB entries on hardware).
    fn unmap(&mut self, index: u32, slot: MemorySlot) -> Result<(), HypervisorError>;

    /// Sets every register for the guest's first instruction.
    fn set_entry_state(&mut self, regs: &Registers, entry: &EntryState) -> Result<(), HypervisorError>;

    /// Sets the general registers, as cheaply as the backend allows (no
    /// ioctl of its own where the backend shares a register page).
    fn set_regs(&mut self, regs: &Registers) -> Result<(), HypervisorError>;

    /// General registers (rare paths only: may cost an ioctl).
    fn regs(&self) -> Result<Registers, HypervisorError>;

    /// The address of the last page fault (CR2; rare paths only).
    fn fault_address(&self) -> Result<u64, HypervisorError>;

    /// The VM's stop flag: once set, the next and any current run return
    /// [`Exit::Interrupted`] (a current one after a signal to its thread).
    fn stop_flag(&self) -> StopFlag;

    /// Runs the vCPU until the guest exits to us.
    fn run(&mut self) -> Result<Exit<'_>, HypervisorError>;
}

/// What every hypervisor featherlight knows offers here, in the order
/// [`HypervisorChoice::Auto`] tries them. Opens the devices, creates no VM.
pub(crate) fn probe_devices() -> Vec<DeviceReport> {
    Hypervisor::ALL
        .into_iter()
        .map(|hypervisor| match hypervisor {
            Hypervisor::Kvm => kvm::probe(),
            Hypervisor::Mshv => mshv::probe(),
        })
        .collect()
}

/// A VM of whichever backend [`create`] chose.
pub(crate) type Vm = Box<dyn VirtualMachine>;

/// A memory slot to map into the VM.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemorySlot {
    pub guest_address: u64,
    pub host_address: u64,
    pub size: u64,
    pub read_only: bool,
}

/// Why the vCPU stopped.
#[derive(Debug)]
pub(crate) enum Exit<'a> {
    /// The guest wrote `data` to I/O `port`.
    IoOut { port: u16, data: &'a [u8] },
    /// The run returned early: a signal arrived or the stop flag was set.
    Interrupted,
    /// The guest triple-faulted or otherwise shut down.
    Shutdown,
    /// The guest wrote to guest-physical `address` outside writable memory.
    MmioWrite { address: u64 },
    /// The guest read guest-physical `address` outside guest memory.
    MmioRead { address: u64 },
    /// The guest read I/O `port` (or, on MSHV, used string I/O on it).
    IoIn { port: u16 },
    /// The hypervisor could not run or emulate the guest (for example SSE at
    /// CPL0 on kvm_pvm).
    Failed(ExitFailure),
}

impl Exit<'_> {
    /// What kind of exit this is, for errors.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::IoOut { .. } => "port output",
            Self::Interrupted => "interrupted",
            Self::Shutdown => "shutdown",
            Self::MmioWrite { .. } => "MMIO write",
            Self::MmioRead { .. } => "MMIO read",
            Self::IoIn { .. } => "port input",
            Self::Failed(_) => "failure",
        }
    }
}

/// Errors from the hypervisor.
#[derive(Debug, thiserror::Error)]
pub enum HypervisorError {
    /// The hypervisor's device could not be opened.
    #[error("cannot open {device}: {advice}")]
    Open {
        /// The device path.
        device: &'static str,
        /// What is wrong and how to fix it.
        advice: String,
        /// The error from `open`.
        #[source]
        source: std::io::Error,
    },
    /// No hypervisor device exists or is usable on this host.
    #[error("no usable hypervisor: {0}")]
    NoneUsable(String),
    /// The configuration asks for a backend this build does not contain.
    #[error("featherlight was built without {0} support; rebuild with `--features {1}`")]
    NotCompiledIn(&'static str, &'static str),
    /// A hypervisor call failed.
    #[error("{hypervisor} {operation} failed: {source}")]
    Ioctl {
        /// Which hypervisor.
        hypervisor: Hypervisor,
        /// What was being done.
        operation: &'static str,
        /// The error it returned.
        #[source]
        source: std::io::Error,
    },
    /// The hypervisor or CPU lacks something featherlight needs.
    #[error("{hypervisor} does not support {what}; featherlight cannot run on this host")]
    Unsupported {
        /// Which hypervisor.
        hypervisor: Hypervisor,
        /// What is missing.
        what: &'static str,
    },
    /// Guest code was compiled for CPU features this host's CPU lacks.
    #[error(
        "this CPU lacks {}, which the component was compiled for; compile it on this machine, or \
         set Config::cpu_features to CpuFeatures::Baseline for code that runs on any x86-64 server",
        missing.join(", ")
    )]
    MissingCpuFeatures {
        /// The features missing, by name.
        missing: Vec<&'static str>,
    },
    /// The hypervisor ran guest code in a run that was only to complete
    /// what the guest's last exit left pending (before a restore).
    #[error("the hypervisor ran guest code while settling the vCPU for a restore (a {exit} exit)")]
    RanGuestCode {
        /// The kind of exit it returned.
        exit: &'static str,
    },
}

/// What to do about `device` failing to open with `errno`.
pub(crate) fn open_advice(device: &str, errno: i32) -> String {
    match errno {
        libc::ENOENT | libc::ENODEV | libc::ENXIO => format!(
            "it does not exist; load the hypervisor's kernel module (for {device}: {}) or run on a host or VM \
             with (nested) virtualization enabled",
            if device.ends_with("kvm") { "kvm_intel or kvm_amd" } else { "mshv_root" }
        ),
        libc::EACCES | libc::EPERM => format!(
            "permission denied; add this user to the group owning {device} (for /dev/kvm usually `kvm`: \
             `sudo usermod -aG kvm $USER`, then log in again)"
        ),
        _ => format!("featherlight needs read and write access to {device}; check that it works on this host"),
    }
}
