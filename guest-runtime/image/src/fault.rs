//! The `Fault` test hook: fail in a chosen way so the host's handling of each
//! guest-runtime failure can be tested on a real VM. The host is trusted, so
//! obeying it gives a guest nothing it did not have.

use featherlight_abi::fb::FaultKind;

/// Fails as asked; returns only for an unknown kind.
pub fn inject(kind: FaultKind) {
    match kind {
        FaultKind::Panic => panic!("fault injected by the host"),
        // SAFETY: deliberately raises #UD; the exception stub reports it and
        // the host never resumes this guest.
        FaultKind::InvalidOpcode => unsafe { core::arch::asm!("ud2") },
        // SAFETY: deliberately reads the never-mapped null page (#PF).
        FaultKind::PageFault => unsafe {
            core::ptr::read_volatile(core::ptr::null::<u64>().wrapping_add(1));
        },
        // SAFETY: deliberately raises #BP.
        FaultKind::Breakpoint => unsafe { core::arch::asm!("int3") },
        FaultKind::StackOverflow => {
            overflow(0);
        }
        _ => {}
    }
}

#[inline(never)]
#[allow(unconditional_recursion, reason = "the point is to overflow the stack")]
fn overflow(depth: u64) -> u64 {
    let frame = [depth; 64];
    core::hint::black_box(&frame);
    overflow(depth + 1) + core::hint::black_box(frame[3])
}
