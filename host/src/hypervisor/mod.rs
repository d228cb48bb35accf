//! The hypervisor layer: one micro-VM with one vCPU.
//!
//! Crate-private. [`kvm`] drives `/dev/kvm` through kvm-ioctls; an exit is
//! returned as a borrowed [`Exit`] so the hot path allocates nothing.

pub(crate) mod kvm;

pub(crate) use kvm::KvmVm as Vm;

/// Why the vCPU stopped.
#[derive(Debug)]
pub(crate) enum Exit<'a> {
    /// The guest wrote `data` to I/O `port`.
    IoOut { port: u16, data: &'a [u8] },
    /// `KVM_RUN` returned early: a signal arrived or `immediate_exit` was set.
    Interrupted,
    /// The guest triple-faulted or otherwise shut down.
    Shutdown,
    /// The guest wrote to guest-physical `address` outside writable memory.
    MmioWrite { address: u64 },
    /// The guest read guest-physical `address` outside guest memory.
    MmioRead { address: u64 },
    /// KVM could not run or emulate the guest (for example SSE at CPL0 on
    /// kvm_pvm); `reason` is KVM's exit reason or suberror.
    Failed { reason: String },
}

/// What to do about `/dev/kvm` failing to open with `error`.
fn open_advice(error: &kvm_ioctls::Error) -> &'static str {
    match error.errno() {
        libc::ENOENT | libc::ENODEV | libc::ENXIO => {
            "it does not exist; featherlight needs KVM: load the kvm module (kvm_intel, kvm_amd) or run on a host \
             or VM with (nested) virtualization enabled"
        }
        libc::EACCES | libc::EPERM => {
            "permission denied; add this user to the group owning /dev/kvm (usually `kvm`: \
             `sudo usermod -aG kvm $USER`, then log in again)"
        }
        _ => "featherlight needs read and write access to KVM; check that /dev/kvm works on this host",
    }
}

/// Errors from the hypervisor.
#[derive(Debug, thiserror::Error)]
pub enum HypervisorError {
    /// `/dev/kvm` could not be opened.
    #[error("cannot open /dev/kvm: {}", open_advice(.0))]
    Open(#[source] kvm_ioctls::Error),
    /// A KVM ioctl failed.
    #[error("KVM {operation} failed: {source}")]
    Ioctl {
        /// What was being done.
        operation: &'static str,
        /// The ioctl's error.
        #[source]
        source: kvm_ioctls::Error,
    },
    /// KVM lacks something featherlight needs.
    #[error("KVM does not support {0}; featherlight cannot run on this host")]
    Unsupported(&'static str),
}
