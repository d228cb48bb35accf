//! [`ExitFailure`]: why the hypervisor could not go on running a guest.

use super::Hypervisor;

/// Why the hypervisor stopped running the guest: the guest ran something
/// it cannot run or emulate, or it stopped in a way featherlight's guest
/// never causes. The sandbox is poisoned
/// ([`GuestViolation::Hypervisor`](crate::GuestViolation::Hypervisor)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ExitFailure {
    /// KVM's internal error exit (for example SSE at CPL0 on kvm_pvm).
    #[error("KVM internal error (suberror {suberror}): the guest ran something KVM cannot emulate")]
    Unemulated {
        /// KVM's suberror code.
        suberror: u32,
    },
    /// KVM could not enter the guest.
    #[error("KVM failed to enter the guest (bad vCPU state; hardware reason {reason:#x})")]
    EntryFailed {
        /// The hardware's entry failure reason.
        reason: u64,
    },
    /// KVM placed a port output's data outside the vCPU's run area.
    #[error("port output data outside the run page ({len} bytes at offset {offset:#x})")]
    IoDataOutsideRunArea {
        /// The data's offset in the run area.
        offset: u64,
        /// Its length.
        len: usize,
    },
    /// The guest halted (MSHV).
    #[error("the guest halted")]
    Halted,
    /// An exit featherlight does not expect.
    #[error("unexpected {hypervisor} exit reason {reason:#x}")]
    Unexpected {
        /// Which hypervisor.
        hypervisor: Hypervisor,
        /// Its exit reason (KVM) or message type (MSHV).
        reason: u32,
    },
}
