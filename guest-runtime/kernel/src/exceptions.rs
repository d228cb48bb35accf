//! CPU exception stubs.
//!
//! The host's IDT points vector `n` at `featherlight_exception_stubs + 16 * n`
//! in a DPL3 code segment with its own stack (IST1), so a fault at CPL3 is
//! handled at CPL3 without emulated ring-0 code. Each stub pushes an error
//! code (0 where the CPU pushes none) and the vector, giving
//! [`ExceptionFrame`](featherlight_abi::layout::ExceptionFrame) at `rsp`, and
//! exits through [`ports::EXCEPTION`](featherlight_abi::ports::EXCEPTION).
//! The host reads the frame and CR2 and never resumes the guest.

use featherlight_abi::ports;

macro_rules! stubs {
    ($($vector:literal $kind:ident),* $(,)?) => {
        core::arch::global_asm!(
            ".section .text.exceptions,\"ax\",@progbits",
            ".balign 16",
            ".global featherlight_exception_stubs",
            "featherlight_exception_stubs:",
            $(
                ".balign 16",
                stubs!(@push $kind),
                concat!("push ", $vector),
                "jmp featherlight_exception_common",
            )*
            "featherlight_exception_common:",
            "    mov eax, [rsp]",
            "2:  out {port}, eax",
            "    jmp 2b",
            port = const ports::EXCEPTION,
        );
    };
    (@push code) => { "" };
    (@push none) => { "push 0" };
}

// Vectors whose exceptions push an error code: 8, 10-14, 17, 21, 29, 30.
stubs!(
    0 none, 1 none, 2 none, 3 none, 4 none, 5 none, 6 none, 7 none,
    8 code, 9 none, 10 code, 11 code, 12 code, 13 code, 14 code, 15 none,
    16 none, 17 code, 18 none, 19 none, 20 none, 21 code, 22 none, 23 none,
    24 none, 25 none, 26 none, 27 none, 28 none, 29 code, 30 code, 31 none,
);

/// Stops the guest for good through the exception port with
/// [`ports::stop::FATAL`]: the guest runtime gave up without a usable output
/// buffer.
pub fn fatal() -> ! {
    stop(ports::stop::FATAL)
}

/// Stops the guest for good through the exception port with `code`, one of
/// [`ports::stop`]. Allocates nothing, so it works with the heap exhausted.
pub fn stop(code: u32) -> ! {
    loop {
        // SAFETY: `out` to our exception port only exits to the host; it
        // touches no memory and the host never resumes past this loop.
        unsafe {
            core::arch::asm!("out {port}, eax", port = const ports::EXCEPTION, in("eax") code);
        }
    }
}

unsafe extern "C" {
    static featherlight_exception_stubs: u8;
}

/// Address of the first stub (the host finds it in the symbol table).
pub fn stubs_address() -> usize {
    core::ptr::addr_of!(featherlight_exception_stubs) as usize
}
