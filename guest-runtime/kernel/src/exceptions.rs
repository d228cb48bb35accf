//! CPU exception stubs.
//!
//! The host's IDT points vector `n` at `featherlight_exception_stubs + 16 * n`
//! in a DPL3 code segment with its own stack (IST1), so a fault at CPL3 is
//! handled at CPL3 without emulated ring-0 code. Each stub pushes an error
//! code (0 where the CPU pushes none) and the vector, giving
//! [`ExceptionFrame`](featherlight_abi::layout::ExceptionFrame) at `rsp`, and
//! exits through [`ports::EXCEPTION`](featherlight_abi::ports::EXCEPTION).
//! The host reads the frame and CR2 and never resumes the guest.
//!
//! Guest copy-on-write needs CR2, which CPL3 code cannot read, so a
//! guest-CoW boot image points #PF at `featherlight_page_fault_entry`
//! instead: a few SSE-free CPL0 instructions (CPL0 is emulated on kvm_pvm)
//! that push CR3 and CR2 and `iretq` to CPL3 code on the same stack. That
//! code runs [`crate::cow::featherlight_cow_fault`]; a fixed fault resumes
//! through `int3` (the only software interrupt kvm_pvm delivers) into a
//! short CPL0 stub on IST2 that `invlpg`s the page and `iretq`s to the
//! faulting code; any other fault leaves the usual frame and exits like
//! every other exception.

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
            // CPL0, IST1: [error, rip, cs, rflags, rsp, ss].
            ".balign 16",
            ".global featherlight_page_fault_entry",
            "featherlight_page_fault_entry:",
            "    push rax",
            "    mov rax, cr2",
            "    push rax",
            "    mov rax, cr3",
            "    push rax",
            // [cr3, cr2, rax, error, rip, cs, rflags, rsp, ss]: iretq to the
            // CPL3 handler with this stack, the faulting code's selectors and
            // interrupts off (RFLAGS also clears DF for Rust code).
            "    mov rax, rsp",
            "    push qword ptr [rsp + 64]",
            "    push rax",
            "    push 2",
            "    push qword ptr [rsp + 64]",
            "    lea rax, [rip + featherlight_page_fault_user]",
            "    push rax",
            "    mov rax, [rsp + 56]",
            "    iretq",
            // CPL3, rsp -> [cr3, cr2, rax, error, rip, cs, rflags, rsp, ss].
            "featherlight_page_fault_user:",
            "    push rcx", "    push rdx", "    push rsi", "    push rdi",
            "    push r8", "    push r9", "    push r10", "    push r11",
            "    lea rdi, [rsp + 64]",
            "    sub rsp, 8",
            "    call {handle}",
            "    add rsp, 8",
            "    pop r11", "    pop r10", "    pop r9", "    pop r8",
            "    pop rdi", "    pop rsi", "    pop rdx", "    pop rcx",
            "    test al, al",
            "    jz 3f",
            // Fixed: the handler put the page to invlpg in the error slot.
            // `int3` is the one software interrupt kvm_pvm delivers (`int n`
            // is #UD there); the CPL0 stub knows it by its return address.
            "    mov rax, [rsp + 16]",
            "    lea rsp, [rsp + 24]",
            "    int3",
            // Not ours: leave [14, error, rip, ...] and report it.
            "featherlight_cow_return:",
            "3:  add rsp, 24",
            "    push 14",
            "    jmp featherlight_exception_common",
            // CPL0, IST2: [rip, cs, rflags, rsp, ss] of an `int3`. From the
            // handler above, its rsp points at [page, rip, cs, rflags, rsp,
            // ss] and rax is the faulting code's: invlpg and return there.
            // Any other breakpoint is reported like every exception.
            ".balign 16",
            ".global featherlight_breakpoint_entry",
            "featherlight_breakpoint_entry:",
            "    push rax",
            "    lea rax, [rip + featherlight_cow_return]",
            "    cmp rax, [rsp + 8]",
            "    pop rax",
            "    jne 4f",
            "    mov rsp, [rsp + 24]",
            "    xchg rax, [rsp]",
            "    invlpg [rax]",
            "    pop rax",
            "    iretq",
            // Not ours: back to CPL3 first (a restore sets only general
            // registers, so the guest must stop at CPL3), into the DPL3 #BP
            // stub with the int3's frame on this stack.
            "4:  push rax",
            "    lea rax, [rsp + 8]",
            "    push qword ptr [rax + 32]",
            "    push rax",
            "    push 2",
            "    push qword ptr [rax + 8]",
            "    lea rax, [rip + featherlight_exception_stubs + 3 * {stub_size}]",
            "    push rax",
            "    mov rax, [rsp + 40]",
            "    iretq",
            port = const ports::EXCEPTION,
            handle = sym crate::cow::featherlight_cow_fault,
            stub_size = const featherlight_abi::layout::EXCEPTION_STUB_SIZE,
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
