//! Stopping a running guest: [`InterruptHandle`] from any thread, and
//! per-call deadlines.
//!
//! A stop request sets the vCPU's `immediate_exit` flag (so a `KVM_RUN` that
//! is about to start returns at once) and sends the calling thread a signal
//! (so a `KVM_RUN` in progress returns with `EINTR`). The call then fails with
//! [`Error::Interrupted`] or [`Error::DeadlineExceeded`] and poisons the
//! sandbox. A host function in progress is not cut short: the call stops as
//! soon as it returns. Requests only affect a call in progress; one made
//! between calls does nothing.
//!
//! The signal is `SIGRTMIN + 3`, whose handler (installed once, with
//! `SA_RESTART` so other system calls of the thread are not disturbed) does
//! nothing: applications must leave that signal to featherlight.

use crate::error::Error;
use crate::hypervisor::StopFlag;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

/// Why a call is being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    Interrupted,
    Deadline(Duration),
}

impl From<StopReason> for Error {
    fn from(reason: StopReason) -> Self {
        match reason {
            StopReason::Interrupted => Error::Interrupted,
            StopReason::Deadline(after) => Error::DeadlineExceeded { after },
        }
    }
}

/// The call in progress on a sandbox, if any.
#[derive(Debug, Default)]
struct Running {
    /// The thread running the call.
    thread: Option<libc::pthread_t>,
    /// Numbers calls, so a late deadline cannot stop a later call.
    call: u64,
    reason: Option<StopReason>,
    /// The VM's stop flag (KVM: `kvm_run.immediate_exit`); `None` once the
    /// sandbox is gone.
    stop_flag: Option<StopFlag>,
    /// Whether a stop request must repeat its signal until the call ends.
    repeat_kicks: bool,
}

/// Shared between a sandbox, its handles and the deadline watchdog.
#[derive(Debug, Default)]
pub(crate) struct InterruptState {
    running: Mutex<Running>,
}

impl InterruptState {
    fn lock(&self) -> MutexGuard<'_, Running> {
        self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Points at the VM's stop flag, which stays valid until
    /// [`InterruptState::detach`].
    pub(crate) fn attach(&self, flag: StopFlag) {
        install_kick_handler();
        let mut running = self.lock();
        running.repeat_kicks = !flag.one_kick_suffices();
        running.stop_flag = Some(flag);
    }

    /// Forgets the vCPU (its sandbox is being dropped).
    pub(crate) fn detach(&self) {
        self.lock().stop_flag = None;
    }

    /// Marks the start of a call on this thread, with an optional deadline.
    pub(crate) fn begin_call(self: &Arc<Self>, timeout: Option<Duration>) {
        let call = {
            let mut running = self.lock();
            running.call = running.call.wrapping_add(1);
            // SAFETY: pthread_self has no preconditions.
            running.thread = Some(unsafe { libc::pthread_self() });
            running.reason = None;
            running.call
        };
        if let Some(timeout) = timeout {
            watchdog().schedule(Instant::now() + timeout, StopReason::Deadline(timeout), Arc::downgrade(self), call);
        }
    }

    /// Marks the end of the call; returns why it was stopped, if it was.
    pub(crate) fn end_call(&self) -> Option<StopReason> {
        let mut running = self.lock();
        running.thread = None;
        running.set_stop_flag(0);
        running.reason.take()
    }

    /// After `KVM_RUN` returned `EINTR`: why the call must stop, or `None`
    /// for a stray signal (then run again).
    pub(crate) fn stop_reason(&self) -> Option<StopReason> {
        let running = self.lock();
        if running.reason.is_none() {
            running.set_stop_flag(0);
        }
        running.reason
    }

    /// Runs `run` (one `KVM_RUN`, between calls) with `immediate_exit` set,
    /// so KVM finishes what the last exit left pending without running any
    /// guest instruction.
    pub(crate) fn without_guest_code<R>(&self, run: impl FnOnce() -> R) -> R {
        let running = self.lock();
        running.set_stop_flag(1);
        let outcome = run();
        running.set_stop_flag(0);
        outcome
    }

    /// Stops call `call` (any call in progress if `None`) for `reason`.
    /// Where one signal may be missed (see [`StopFlag`]), the watchdog
    /// repeats it every [`REKICK_INTERVAL`] until the call ends.
    fn stop(self: &Arc<Self>, reason: StopReason, call: Option<u64>) -> bool {
        let mut running = self.lock();
        let Some(thread) = running.thread else { return false };
        if call.is_some_and(|call| call != running.call) {
            return false;
        }
        running.reason.get_or_insert(reason);
        running.set_stop_flag(1);
        // SAFETY: `thread` is inside a call on this sandbox (it clears
        // `thread` under this lock before leaving), so it is alive; the
        // signal's handler is installed and does nothing.
        unsafe { libc::pthread_kill(thread, kick_signal()) };
        if running.repeat_kicks {
            let at = Instant::now() + REKICK_INTERVAL;
            watchdog().schedule(at, reason, Arc::downgrade(self), running.call);
        }
        true
    }
}

/// How often a stop request repeats its signal on backends where one can
/// be missed.
const REKICK_INTERVAL: Duration = Duration::from_millis(1);

impl Running {
    fn set_stop_flag(&self, value: u8) {
        if let Some(flag) = &self.stop_flag {
            flag.set(value);
        }
    }
}

/// Stops a sandbox's running call from any thread. Cheap to clone.
#[derive(Debug, Clone)]
pub struct InterruptHandle {
    pub(crate) state: Arc<InterruptState>,
}

impl InterruptHandle {
    /// Stops the call in progress, if any: it fails with
    /// [`Error::Interrupted`] as soon as the guest is stopped (or, if it is
    /// in a host function, as soon as that returns). Returns whether a call
    /// was in progress. A request between calls does nothing.
    pub fn interrupt(&self) -> bool {
        self.state.stop(StopReason::Interrupted, None)
    }
}

fn kick_signal() -> libc::c_int {
    libc::SIGRTMIN() + 3
}

extern "C" fn ignore_signal(_: libc::c_int) {}

fn install_kick_handler() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // SAFETY: a zeroed sigaction is valid; the handler is async-signal
        // safe (it does nothing), and SA_RESTART keeps other system calls of
        // the thread going (KVM_RUN returns EINTR regardless).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = ignore_signal as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(kick_signal(), &action, std::ptr::null_mut());
        }
    });
}

/// One thread for all deadlines: it sleeps until the earliest one.
struct Watchdog {
    deadlines: Mutex<BinaryHeap<Reverse<Deadline>>>,
    changed: Condvar,
}

struct Deadline {
    at: Instant,
    reason: StopReason,
    state: Weak<InterruptState>,
    call: u64,
}

impl PartialEq for Deadline {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}
impl Eq for Deadline {}
impl PartialOrd for Deadline {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Deadline {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

fn watchdog() -> &'static Watchdog {
    static WATCHDOG: OnceLock<&'static Watchdog> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
        let watchdog: &'static Watchdog =
            Box::leak(Box::new(Watchdog { deadlines: Mutex::new(BinaryHeap::new()), changed: Condvar::new() }));
        let spawned = std::thread::Builder::new().name("featherlight-deadlines".into()).spawn(move || watchdog.serve());
        if let Err(e) = spawned {
            tracing::error!("cannot start the deadline thread ({e}); call deadlines will not fire");
        }
        watchdog
    })
}

impl Watchdog {
    fn schedule(&self, at: Instant, reason: StopReason, state: Weak<InterruptState>, call: u64) {
        let mut deadlines = self.deadlines.lock().unwrap_or_else(|p| p.into_inner());
        let earliest = deadlines.peek().is_none_or(|Reverse(first)| at < first.at);
        deadlines.push(Reverse(Deadline { at, reason, state, call }));
        if earliest {
            self.changed.notify_one();
        }
    }

    fn serve(&self) {
        let mut deadlines = self.deadlines.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let now = Instant::now();
            match deadlines.peek() {
                None => deadlines = self.changed.wait(deadlines).unwrap_or_else(|p| p.into_inner()),
                Some(Reverse(first)) if first.at > now => {
                    let wait = first.at - now;
                    deadlines = self.changed.wait_timeout(deadlines, wait).unwrap_or_else(|p| p.into_inner()).0;
                }
                Some(_) => {
                    if let Some(Reverse(due)) = deadlines.pop()
                        && let Some(state) = due.state.upgrade()
                    {
                        // `stop` may schedule a repeat: release the lock.
                        drop(deadlines);
                        state.stop(due.reason, Some(due.call));
                        deadlines = self.deadlines.lock().unwrap_or_else(|p| p.into_inner());
                    }
                }
            }
        }
    }
}
