//! Messages to and from the host.
//!
//! The guest writes a size-prefixed [`GuestMessage`](featherlight_abi::fb::GuestMessage)
//! at offset 0 of the output buffer and exits through
//! [`ports::MESSAGE`]. The host handles it and, when it expects an answer,
//! writes a size-prefixed [`HostMessage`](featherlight_abi::fb::HostMessage)
//! at offset 0 of the input buffer before resuming the vCPU.

use alloc::vec::Vec;
use core::cell::Cell;
use core::sync::atomic::{AtomicU8, Ordering};
use featherlight_abi::fb;
use featherlight_abi::layout::Region;
use featherlight_abi::message::{self, SIZE_PREFIX, announced_len, exit_value, framed_len, next_chunk_len};
use featherlight_abi::ports;

struct Buffers {
    input: Cell<Region>,
    output: Cell<Region>,
}

// SAFETY: one vCPU, no interrupts, no threads: never shared concurrently.
unsafe impl Sync for Buffers {}

static BUFFERS: Buffers =
    Buffers { input: Cell::new(Region { address: 0, size: 0 }), output: Cell::new(Region { address: 0, size: 0 }) };

/// Why a message could not be exchanged.
#[derive(Debug)]
pub enum ChannelError {
    /// The message exceeds the sandbox's message size limit; nothing of it
    /// was sent.
    TooLarge {
        /// Message size.
        len: usize,
        /// `BootParams::max_message_size`.
        limit: usize,
    },
    /// The host's message does not fit its buffer or fails verification.
    Invalid(flatbuffers::InvalidFlatbuffer),
    /// The host's message has no length prefix inside the input buffer.
    Unframed,
}

impl core::fmt::Display for ChannelError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::TooLarge { len, limit } => write!(
                f,
                "a {len}-byte message exceeds the sandbox's {limit}-byte message size limit; \
                 raise max_message_size in MemoryConfig"
            ),
            Self::Invalid(e) => write!(f, "the host's message is malformed: {e}"),
            Self::Unframed => f.write_str("the host's message is not framed in the input buffer"),
        }
    }
}

impl core::error::Error for ChannelError {}

pub(crate) fn init(input: Region, output: Region, avx: bool) {
    featherlight_avx_enabled.store(u8::from(avx), Ordering::Relaxed);
    BUFFERS.input.set(input);
    BUFFERS.output.set(output);
}

// One shared exit instruction at a known symbol, so the host can tell where a
// stopped guest resumes (see `layout::MESSAGE_EXIT_SYMBOL`).
//
// Every resume, and so every restored or snapshot-made sandbox, first puts the
// x87/SSE state back to its defaults: the host restores memory and general
// registers only, and MXCSR or XMM registers left by one call (one request)
// must not reach the next. Callers lose nothing: XMM registers are
// caller-saved, and the x87 control word and MXCSR controls, which are
// callee-saved, never differ from the defaults in this guest.
core::arch::global_asm!(
    ".section .text.featherlight_port_exit,\"ax\",@progbits",
    ".global featherlight_port_exit",
    "featherlight_port_exit:",
    "    mov edx, edi",
    "    mov eax, esi",
    ".global featherlight_message_exit",
    "featherlight_message_exit:",
    "    out dx, eax",
    "    fninit",
    "    push 0x1f80",
    "    ldmxcsr [rsp]",
    "    add rsp, 8",
    "    xorps xmm0, xmm0",
    "    xorps xmm1, xmm1",
    "    xorps xmm2, xmm2",
    "    xorps xmm3, xmm3",
    "    xorps xmm4, xmm4",
    "    xorps xmm5, xmm5",
    "    xorps xmm6, xmm6",
    "    xorps xmm7, xmm7",
    "    xorps xmm8, xmm8",
    "    xorps xmm9, xmm9",
    "    xorps xmm10, xmm10",
    "    xorps xmm11, xmm11",
    "    xorps xmm12, xmm12",
    "    xorps xmm13, xmm13",
    "    xorps xmm14, xmm14",
    "    xorps xmm15, xmm15",
    // With AVX the upper halves of the YMM registers too (`vzeroall`, by
    // its bytes: the kernel is built without AVX), only where the host
    // enabled AVX (elsewhere the instruction is undefined).
    "    cmp byte ptr [rip + featherlight_avx_enabled], 0",
    "    je 2f",
    "    .byte 0xc5, 0xfc, 0x77",
    "2:",
    "    ret",
);

/// Whether the host enabled AVX (boot parameters): the exit clears the YMM
/// registers then. Written once by [`init`], before the first exit.
#[unsafe(no_mangle)]
static featherlight_avx_enabled: AtomicU8 = AtomicU8::new(0);

unsafe extern "C" {
    /// `out port, value`: leaves the VM; returns when the host resumes it.
    fn featherlight_port_exit(port: u32, value: u32);
}

/// Leaves the VM through `port`, passing `value` in `eax`.
#[inline(always)]
pub fn exit(port: u16, value: u32) {
    // As a call it is also a compiler barrier: while the vCPU is stopped the
    // host may write the input buffer, so memory must not be cached across it.
    // SAFETY: the assembly above only does `out` (an exit to the host) and
    // returns; it clobbers only caller-saved registers.
    unsafe { featherlight_port_exit(u32::from(port), value) }
}

/// The largest message either side may send (`BootParams::max_message_size`).
pub fn max_message_size() -> usize {
    crate::guest_usize(crate::boot_params().max_message_size)
}

/// Sends a finished, size-prefixed message: copies it into the output buffer
/// and exits so the host reads it, in buffer-sized chunks (one exit each) when
/// it is larger than the buffer (see [`featherlight_abi::message`]).
pub fn send(message: &[u8]) -> Result<(), ChannelError> {
    let limit = max_message_size();
    if message.len() > limit {
        return Err(ChannelError::TooLarge { len: message.len(), limit });
    }
    let out = BUFFERS.output.get();
    let capacity = crate::guest_usize(out.size);
    let mut done = 0;
    let mut value = exit_value::MESSAGE;
    loop {
        let chunk = &message[done..done + next_chunk_len(message.len(), done, capacity)];
        // SAFETY: the output buffer is `capacity` bytes of scratch memory that
        // only this function writes, and a chunk is at most `capacity` long.
        unsafe {
            core::ptr::copy_nonoverlapping(chunk.as_ptr(), out.address as *mut u8, chunk.len());
        }
        exit(ports::MESSAGE, value);
        done += chunk.len();
        if done >= message.len() {
            return Ok(());
        }
        value = exit_value::CONTINUED;
    }
}

/// The host's current message: in place in the input buffer when it fits
/// there, otherwise gathered chunk by chunk into the heap.
pub enum Received {
    /// The message in the input buffer, valid until the next [`send`].
    InPlace(&'static [u8]),
    /// A message larger than the input buffer.
    Gathered(Vec<u8>),
}

impl core::fmt::Debug for Received {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::InPlace(bytes) => write!(f, "InPlace({} bytes)", bytes.len()),
            Self::Gathered(bytes) => write!(f, "Gathered({} bytes)", bytes.len()),
        }
    }
}

impl Received {
    /// The message, verified.
    pub fn open(&self) -> Result<fb::HostMessage<'_>, ChannelError> {
        let bytes = match self {
            Self::InPlace(bytes) => bytes,
            Self::Gathered(bytes) => bytes.as_slice(),
        };
        message::host_message(bytes).map_err(ChannelError::Invalid)
    }
}

/// Takes the host's current message, asking for the rest of it chunk by
/// chunk when it is larger than the input buffer.
///
/// An in-place message borrows the input buffer: drop it before the next
/// [`send`], after which the host may overwrite it.
pub fn receive() -> Result<Received, ChannelError> {
    let input = BUFFERS.input.get();
    let capacity = crate::guest_usize(input.size);
    // SAFETY: the input buffer is `capacity` bytes of mapped scratch memory;
    // the host writes it only while the vCPU is stopped.
    let buffer = unsafe { core::slice::from_raw_parts(input.address as *const u8, capacity) };
    if let Some(len) = framed_len(buffer) {
        return Ok(Received::InPlace(&buffer[..len]));
    }
    let prefix = buffer.get(..SIZE_PREFIX).and_then(|p| p.try_into().ok()).ok_or(ChannelError::Unframed)?;
    let total = announced_len(prefix).ok_or(ChannelError::Unframed)?;
    // The host keeps to the limit it set; a message past it is not framed.
    if total > max_message_size() {
        return Err(ChannelError::Unframed);
    }
    let mut gathered = Vec::with_capacity(total);
    gathered.extend_from_slice(buffer);
    while gathered.len() < total {
        exit(ports::MESSAGE, exit_value::MORE_INPUT);
        let len = next_chunk_len(total, gathered.len(), capacity);
        // SAFETY: as above; the host wrote the next chunk before resuming.
        let chunk = unsafe { core::slice::from_raw_parts(input.address as *const u8, len) };
        gathered.extend_from_slice(chunk);
    }
    Ok(Received::Gathered(gathered))
}
