//! The first instruction the guest runs.
//!
//! The host starts the vCPU in 64-bit mode at CPL3 with `rsp` at the top of
//! the guest stack (16-byte aligned) and `rdi` pointing at the boot
//! parameters, then jumps to `_start`, which calls the image's
//! `featherlight_entry(params: *const BootParams) -> !`.

core::arch::global_asm!(
    ".section .text._start,\"ax\",@progbits",
    ".global _start",
    "_start:",
    // No caller frame: end frame-pointer chains here.
    "    xor ebp, ebp",
    "    call featherlight_entry",
    "    ud2",
);
