//! Guest memory layout and the boot parameters the host hands the guest.
//!
//! Guest-physical space has two regions: the read-only **snapshot** at the
//! bottom (descriptor tables, page tables, the guest image's read-only
//! segments, the compiled component) and the writable **scratch** at
//! [`SCRATCH_BASE`] (boot parameters, I/O buffers, stacks, the image's
//! writable segments, the heap). Guest-virtual addresses equal
//! guest-physical ones except for the image's writable segments, which keep
//! their link addresses and are backed by scratch pages.

/// Size of a page, the unit of mapping and of copy-on-write.
pub const PAGE_SIZE: u64 = 4096;

/// Guest-physical (and virtual) base of the scratch region. The snapshot
/// region lies below it, so a snapshot may be at most this large.
pub const SCRATCH_BASE: u64 = 0x4000_0000;

/// Where the guest image is linked (the rust-lld default for static x86-64
/// executables). Everything below it in the snapshot holds host-built
/// structures; the null page is never mapped.
pub const IMAGE_BASE: u64 = 0x20_0000;

/// `BootParams::magic`: "FLTHBOOT".
pub const BOOT_MAGIC: u64 = u64::from_le_bytes(*b"FLTHBOOT");

/// Bumped whenever [`BootParams`] or the messages change incompatibly.
pub const ABI_VERSION: u32 = 4;

/// A range of guest-virtual memory.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub address: u64,
    /// Length in bytes.
    pub size: u64,
}

impl Region {
    /// One past the last byte, or `None` if the region wraps.
    pub fn end(&self) -> Option<u64> {
        self.address.checked_add(self.size)
    }
}

/// What the host tells the guest at boot. The host writes it at offset 0 of
/// scratch and passes its address in `rdi` to the guest's entry point.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct BootParams {
    /// [`BOOT_MAGIC`].
    pub magic: u64,
    /// [`ABI_VERSION`].
    pub abi_version: u32,
    /// Most verbose guest log level forwarded to the host (0 = errors only,
    /// 4 = trace), matching [`crate::fb::LogLevel`].
    pub max_log_level: u32,
    /// CPU features the host enabled in CPUID and compiled code for
    /// ([`cpu_features`] bits); the guest never probes with `cpuid`.
    pub cpu_features: u64,
    /// TSC frequency in kHz, for guest clocks based on `rdtsc`.
    pub tsc_khz: u64,
    /// Host -> guest messages.
    pub input: Region,
    /// Guest -> host messages.
    pub output: Region,
    /// The guest heap.
    pub heap: Region,
    /// Largest stack Wasm code may use, in bytes (below the guest stack size).
    pub max_wasm_stack: u64,
    /// Largest size of each Wasm linear memory, in bytes; 0 for no cap
    /// beyond its reservation. `memory.grow` past it fails (returns -1).
    pub max_wasm_memory: u64,
    /// Largest message either side sends, in bytes, size prefix included
    /// (see [`crate::message`]).
    pub max_message_size: u64,
    /// wasmtime's hostcall fuel: bytes of lists and strings one call may
    /// lift out of Wasm memory (`Store::set_hostcall_fuel`).
    pub hostcall_fuel: u64,
    /// The linear-memory area (see [`crate::linear_memory`]): at
    /// [`crate::linear_memory::BASE`], a whole number of reservations.
    pub linear_memory: Region,
}

impl BootParams {
    /// The parameters as the bytes the guest reads.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: BootParams is repr(C), made only of u64/u32 fields laid out
        // without padding (checked below), so all its bytes are initialised.
        unsafe { core::slice::from_raw_parts((self as *const Self).cast::<u8>(), size_of::<Self>()) }
    }
}

// No padding: the sum of the field sizes.
const _: () = assert!(size_of::<BootParams>() == 8 + 4 + 4 + 8 + 8 + 3 * 16 + 8 + 8 + 8 + 8 + 16);

/// Bits of [`BootParams::cpu_features`].
pub mod cpu_features {
    /// SSE3.
    pub const SSE3: u64 = 1 << 0;
    /// SSSE3.
    pub const SSSE3: u64 = 1 << 1;
    /// SSE4.1 (float rounding without libcalls).
    pub const SSE4_1: u64 = 1 << 2;
    /// SSE4.2.
    pub const SSE4_2: u64 = 1 << 3;
    /// POPCNT.
    pub const POPCNT: u64 = 1 << 4;
    /// AVX (256-bit vector state: the guest clears it at every exit).
    pub const AVX: u64 = 1 << 5;
    /// AVX2.
    pub const AVX2: u64 = 1 << 6;
    /// FMA3.
    pub const FMA: u64 = 1 << 7;
    /// BMI1.
    pub const BMI1: u64 = 1 << 8;
    /// BMI2.
    pub const BMI2: u64 = 1 << 9;
    /// LZCNT.
    pub const LZCNT: u64 = 1 << 10;

    /// Maps a wasmtime/Cranelift feature name to its bit.
    pub fn from_name(name: &str) -> Option<u64> {
        Some(match name {
            "sse3" => SSE3,
            "ssse3" => SSSE3,
            "sse4.1" => SSE4_1,
            "sse4.2" => SSE4_2,
            "popcnt" => POPCNT,
            "avx" => AVX,
            "avx2" => AVX2,
            "fma" => FMA,
            "bmi1" => BMI1,
            "bmi2" => BMI2,
            "lzcnt" => LZCNT,
            _ => return None,
        })
    }
}

/// What the guest's exception stubs leave on the exception stack before
/// exiting through [`crate::ports::EXCEPTION`]: the vector and error code
/// they push, then the frame the CPU pushed.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ExceptionFrame {
    /// Exception vector (0-31).
    pub vector: u64,
    /// The CPU's error code, or 0 for vectors without one.
    pub error_code: u64,
    /// Faulting instruction.
    pub rip: u64,
    /// Code segment at the fault.
    pub cs: u64,
    /// Flags at the fault.
    pub rflags: u64,
    /// Stack pointer at the fault.
    pub rsp: u64,
    /// Stack segment at the fault.
    pub ss: u64,
}

/// Exception stubs: the guest image exports this symbol, the start of 32
/// stubs of [`EXCEPTION_STUB_SIZE`] bytes each, one per vector.
pub const EXCEPTION_STUBS_SYMBOL: &str = "featherlight_exception_stubs";
/// The one `out dx, eax` instruction (1 byte) every message exit goes
/// through: a guest stopped there is between messages, and resumes at the
/// next instruction (whether or not the hypervisor already moved past it).
pub const MESSAGE_EXIT_SYMBOL: &str = "featherlight_message_exit";
/// Length of the instruction at [`MESSAGE_EXIT_SYMBOL`].
pub const MESSAGE_EXIT_LEN: u64 = 1;

/// The page-fault entry: a few SSE-free instructions at CPL0 that read CR2
/// and hand the fault to CPL3 code, which does guest copy-on-write. The IDT
/// of a guest-CoW boot image points vector 14 here.
pub const PAGE_FAULT_ENTRY_SYMBOL: &str = "featherlight_page_fault_entry";

/// The guest-CoW #BP entry (a DPL3 gate to CPL0 code on IST2): the page-fault
/// path returns through `int3` (the one software interrupt kvm_pvm
/// delivers) to `invlpg` the fixed page and `iretq` to the faulting code;
/// other breakpoints are reported as usual.
pub const COW_RESUME_SYMBOL: &str = "featherlight_breakpoint_entry";

/// Guest copy-on-write bookkeeping, in the page right after the root page
/// table of guest-CoW page tables (which lie in writable, identity-mapped
/// memory above scratch). The guest takes CoW pages from `next` up to `end`;
/// the host resets `next` on every restore and zeroes the pages below it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CowHeader {
    /// [`COW_MAGIC`]: the page tables are guest-CoW tables.
    pub magic: u64,
    /// Guest address (identity-mapped) of the next free page.
    pub next: u64,
    /// One past the last page the guest may take.
    pub end: u64,
}

/// `CowHeader::magic`: "FLTHCOW1".
pub const COW_MAGIC: u64 = u64::from_le_bytes(*b"FLTHCOW1");

/// Size of one exception stub.
pub const EXCEPTION_STUB_SIZE: u64 = 16;
