//! x87 and SSE state one call can leave for the next: nothing of it may
//! survive a restore. (The guest's Rust code is soft-float and never touches
//! these registers itself, so only this module changes them.)

/// A rounding mode other than the default (round toward zero), all
/// exceptions masked.
const MXCSR: u32 = 0x7f80;
/// x87 control word: round toward zero, all exceptions masked.
const X87_CONTROL: u16 = 0x0c7f;
/// What `dirty` fills every XMM register with.
const PATTERN: u64 = 0x5ec2_e75e_c2e7_5ec2;

/// Sets MXCSR and the x87 control word to non-default values and fills
/// every XMM register with [`PATTERN`].
pub fn dirty() {
    let mxcsr = MXCSR;
    let control = X87_CONTROL;
    let pattern = [PATTERN; 2];
    // SAFETY: loads from locals that live across the asm; the changed
    // registers are not used by this soft-float code (nothing to clobber).
    unsafe {
        core::arch::asm!(
            "ldmxcsr [{mxcsr}]",
            "fldcw [{control}]",
            "movups xmm0, [{p}]", "movups xmm1, [{p}]", "movups xmm2, [{p}]", "movups xmm3, [{p}]",
            "movups xmm4, [{p}]", "movups xmm5, [{p}]", "movups xmm6, [{p}]", "movups xmm7, [{p}]",
            "movups xmm8, [{p}]", "movups xmm9, [{p}]", "movups xmm10, [{p}]", "movups xmm11, [{p}]",
            "movups xmm12, [{p}]", "movups xmm13, [{p}]", "movups xmm14, [{p}]", "movups xmm15, [{p}]",
            mxcsr = in(reg) &mxcsr,
            control = in(reg) &control,
            p = in(reg) &pattern,
            options(nostack, readonly),
        );
    }
}

/// What [`dirty`] left: bit 0 if MXCSR is not the default, bit 1 if the
/// x87 control word is not, bit 2 if an XMM register holds [`PATTERN`].
pub fn leftovers() -> u32 {
    let mut mxcsr = 0u32;
    let mut control = 0u16;
    let mut xmm = [0u64; 32];
    // SAFETY: stores into locals that live across the asm and are large
    // enough (16 registers of 16 bytes).
    unsafe {
        core::arch::asm!(
            "stmxcsr [{mxcsr}]",
            "fnstcw [{control}]",
            "movups [{x}], xmm0", "movups [{x} + 16], xmm1", "movups [{x} + 32], xmm2", "movups [{x} + 48], xmm3",
            "movups [{x} + 64], xmm4", "movups [{x} + 80], xmm5", "movups [{x} + 96], xmm6",
            "movups [{x} + 112], xmm7", "movups [{x} + 128], xmm8", "movups [{x} + 144], xmm9",
            "movups [{x} + 160], xmm10", "movups [{x} + 176], xmm11", "movups [{x} + 192], xmm12",
            "movups [{x} + 208], xmm13", "movups [{x} + 224], xmm14", "movups [{x} + 240], xmm15",
            mxcsr = in(reg) &mut mxcsr,
            control = in(reg) &mut control,
            x = in(reg) &mut xmm,
            options(nostack),
        );
    }
    u32::from(mxcsr != 0x1f80) | u32::from(control != 0x037f) << 1 | u32::from(xmm.contains(&PATTERN)) << 2
}
