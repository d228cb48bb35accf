//! A VM's stop flag, safe to set from any thread at any time: the VM
//! revokes it before the byte it points at goes away.

use std::sync::{Arc, Mutex, PoisonError};

/// Where a VM's stop request goes (KVM: `kvm_run.immediate_exit`): set, it
/// makes the next run return [`Exit::Interrupted`](super::Exit::Interrupted)
/// at once, and a current one after a signal to its thread. Cheap to clone;
/// setting it after its VM is gone does nothing.
#[derive(Debug, Clone)]
pub(crate) struct StopFlag(Arc<Target>);

#[derive(Debug)]
struct Target {
    /// The byte; null once revoked.
    byte: Mutex<*mut u8>,
    /// Whether one signal is always enough: false where a signal that lands
    /// just before the run starts can be missed (then the requester repeats
    /// it until the call ends).
    one_kick_suffices: bool,
}

// SAFETY: the pointer is only dereferenced under the mutex, and only while
// non-null, which the owning VM guarantees means "still mapped" (`new`).
unsafe impl Send for Target {}
// SAFETY: as above: every access goes through the mutex.
unsafe impl Sync for Target {}

impl StopFlag {
    /// A flag writing `byte`.
    ///
    /// # Safety
    /// `byte` must stay valid for writes until [`StopFlag::revoke`] is called
    /// (the VM owning it calls it in its `Drop`, before unmapping it).
    pub(crate) unsafe fn new(byte: *mut u8, one_kick_suffices: bool) -> Self {
        Self(Arc::new(Target { byte: Mutex::new(byte), one_kick_suffices }))
    }

    /// Writes `value` to the flag, unless its VM is gone.
    pub(crate) fn set(&self, value: u8) {
        let byte = self.0.byte.lock().unwrap_or_else(PoisonError::into_inner);
        if !byte.is_null() {
            // The hypervisor reads the byte concurrently, which a volatile
            // store is made for.
            // SAFETY: non-null means not yet revoked, so still valid (`new`);
            // revocation takes this lock, so it cannot happen meanwhile.
            unsafe { byte.write_volatile(value) };
        }
    }

    /// Whether the flag is set (for backends that check it themselves).
    #[cfg_attr(not(featherlight_mshv), allow(dead_code, reason = "only the MSHV backend polls the flag"))]
    pub(crate) fn is_set(&self) -> bool {
        let byte = self.0.byte.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: as in `set`.
        !byte.is_null() && unsafe { byte.read_volatile() } != 0
    }

    /// Forgets the byte: later [`StopFlag::set`]s do nothing. Its VM calls
    /// this before the byte goes away.
    pub(crate) fn revoke(&self) {
        *self.0.byte.lock().unwrap_or_else(PoisonError::into_inner) = std::ptr::null_mut();
    }

    /// Whether one signal always ends a run in progress.
    pub(crate) fn one_kick_suffices(&self) -> bool {
        self.0.one_kick_suffices
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revoked_flag_writes_nothing() {
        let mut byte = Box::new(0u8);
        // SAFETY: `byte` outlives the flag's last use and is revoked first.
        let flag = unsafe { StopFlag::new(&mut *byte, true) };
        let copy = flag.clone();
        copy.set(1);
        flag.revoke();
        copy.set(2);
        assert_eq!(*byte, 1);
    }
}
