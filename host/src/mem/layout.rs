//! Sizes of a sandbox's memory and where each part goes.

use super::DirtyPageMode;
use featherlight_abi::layout::{PAGE_SIZE, Region, SCRATCH_BASE};
use featherlight_abi::linear_memory;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// Sizes of a sandbox's writable memory. Every size is rounded up to whole
/// pages; [`MemoryConfig::validate`] says which value to raise when one is
/// too small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryConfig {
    /// All writable memory of one sandbox: buffers, stacks, heap.
    pub scratch_size: u64,
    /// Host -> guest messages (call arguments, host function results).
    pub input_size: u64,
    /// Guest -> host messages (call results, host function arguments).
    pub output_size: u64,
    /// The guest runtime's stack; Wasm code gets `max_wasm_stack` of it.
    pub stack_size: u64,
    /// The largest stack Wasm code may use before trapping.
    pub max_wasm_stack: u64,
    /// The largest size of each Wasm linear memory; `memory.grow` past it
    /// fails inside Wasm (returns -1). `None`: only its 4 GiB reservation
    /// limits it, as with wasmtime's defaults (`-W max-memory-size`).
    pub max_wasm_memory: Option<u64>,
    /// The largest message between host and guest, in bytes: a call's
    /// arguments or results, or a host function's. A message larger than
    /// its buffer (`input_size`, `output_size`) travels in buffer-sized
    /// chunks, one exit each; one past this limit is refused with
    /// `Error::MessageTooLarge`, whichever side would send it. Both sides
    /// hold a whole message in memory while it travels.
    pub max_message_size: u64,
    /// wasmtime's hostcall fuel: the bytes of lists and strings one call
    /// may lift out of Wasm memory (its results, or a host function's
    /// arguments), as `Store::set_hostcall_fuel`. The default is wasmtime's
    /// own, so the same calls are refused as in wasmtime.
    pub hostcall_fuel: u64,
    /// How many linear memories a component may have: each gets a 4 GiB
    /// reservation of guest address space in which it grows without being
    /// copied (docs/architecture.md, "memory layout of a linear memory").
    /// Reservations cost no memory until a memory grows into them; their
    /// page tables take 16 KiB each, shared by a component's sandboxes.
    pub linear_memories: u32,
    /// How restore finds and resets the pages a call dirtied: host or guest
    /// copy-on-write, by default chosen from the hypervisor (host CoW on
    /// shadow-paging KVM, guest CoW elsewhere).
    pub dirty_pages: DirtyPageMode,
}

impl Default for MemoryConfig {
    /// Fits a typical Rust `wasm32-wasip2` component with room to spare.
    fn default() -> Self {
        Self {
            scratch_size: 256 * MIB,
            input_size: MIB,
            output_size: MIB,
            stack_size: 4 * MIB,
            max_wasm_stack: 2 * MIB,
            max_wasm_memory: None,
            max_message_size: DEFAULT_MAX_MESSAGE,
            hostcall_fuel: DEFAULT_HOSTCALL_FUEL,
            linear_memories: 4,
            dirty_pages: DirtyPageMode::Auto,
        }
    }
}

/// Default [`MemoryConfig::max_message_size`]: above anything wasmtime's
/// default hostcall fuel lets a call lift (128 MiB of strings or list
/// elements), so the fuel, not this limit, decides which results travel.
const DEFAULT_MAX_MESSAGE: u64 = 256 * MIB;
/// wasmtime 48's default hostcall fuel.
const DEFAULT_HOSTCALL_FUEL: u64 = 128 * MIB;
/// Largest message the 4-byte size prefix can announce.
const MAX_MESSAGE: u64 = u32::MAX as u64 + 4;

/// A memory size that cannot work.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum MemoryConfigError {
    /// A value is below its minimum.
    #[error("{field} is {value} bytes; raise it to at least {minimum} bytes")]
    TooSmall {
        /// The `MemoryConfig` field.
        field: &'static str,
        /// Its value.
        value: u64,
        /// The smallest that works.
        minimum: u64,
    },
    /// The parts do not fit the scratch size.
    #[error(
        "scratch_size {scratch_size} bytes leaves no room for a {MIN_HEAP}-byte heap after \
         buffers and stacks ({fixed} bytes); raise scratch_size or lower the others"
    )]
    NoHeap {
        /// Configured scratch size.
        scratch_size: u64,
        /// Bytes taken by everything but the heap.
        fixed: u64,
    },
    /// Larger than the guest address space allows.
    #[error("scratch_size {0} bytes is above the {MAX_SCRATCH}-byte maximum; lower it")]
    TooLarge(u64),
    /// A message size limit larger than a message's size prefix can say.
    #[error("max_message_size {0} bytes is above the {MAX_MESSAGE}-byte maximum; lower it")]
    MessageLimitTooLarge(u64),
    /// More linear-memory reservations than the guest address space has
    /// room for.
    #[error("linear_memories is {0}; at most {MAX_LINEAR_MEMORIES} fit, lower it")]
    TooManyLinearMemories(u32),
}

const MIN_BUFFER: u64 = 16 * KIB;
const MIN_STACK: u64 = 256 * KIB;
/// What the guest runtime needs to boot and instantiate a component with one
/// small linear memory (measured: about 200 KiB for a component with one
/// 64 KiB memory), with some margin. Components needing more fail with
/// `Error::GuestOutOfMemory`, which names scratch_size too.
const MIN_HEAP: u64 = 256 * KIB;
/// One Wasm page: the smallest linear memory cap that allows any memory.
const WASM_PAGE: u64 = 64 * KIB;
const MAX_SCRATCH: u64 = 64 * 1024 * MIB;
/// Linear-memory reservations that fit below the top of the lower half of
/// the guest's 47-bit address space, above [`linear_memory::BASE`] (1 TiB),
/// with room to spare: 4 GiB each, so 256 GiB at most.
const MAX_LINEAR_MEMORIES: u32 = 64;
/// Stack for CPU exception handlers (IST1).
const EXCEPTION_STACK: u64 = 16 * KIB;

impl MemoryConfig {
    /// Checks every size and computes where each part of scratch goes.
    pub(crate) fn layout(&self, image_writable_pages: u64) -> Result<ScratchLayout, MemoryConfigError> {
        let page = |v: u64| v.div_ceil(PAGE_SIZE) * PAGE_SIZE;
        for (field, value, minimum) in [
            ("input_size", self.input_size, MIN_BUFFER),
            ("output_size", self.output_size, MIN_BUFFER),
            ("stack_size", self.stack_size, MIN_STACK),
            ("max_wasm_stack", self.max_wasm_stack, 64 * KIB),
            ("max_message_size", self.max_message_size, MIN_BUFFER),
        ] {
            if value < minimum {
                return Err(MemoryConfigError::TooSmall { field, value, minimum });
            }
        }
        if let Some(cap) = self.max_wasm_memory
            && cap < WASM_PAGE
        {
            return Err(MemoryConfigError::TooSmall { field: "max_wasm_memory", value: cap, minimum: WASM_PAGE });
        }
        // Wasm code's stack limit must leave room for the runtime's frames.
        let stack_minimum = self.max_wasm_stack.saturating_add(MIN_STACK);
        if self.stack_size < stack_minimum {
            return Err(MemoryConfigError::TooSmall {
                field: "stack_size",
                value: self.stack_size,
                minimum: stack_minimum,
            });
        }
        if self.max_message_size > MAX_MESSAGE {
            return Err(MemoryConfigError::MessageLimitTooLarge(self.max_message_size));
        }
        if self.scratch_size > MAX_SCRATCH {
            return Err(MemoryConfigError::TooLarge(self.scratch_size));
        }
        if self.linear_memories > MAX_LINEAR_MEMORIES {
            return Err(MemoryConfigError::TooManyLinearMemories(self.linear_memories));
        }
        let mut next = 0u64;
        let mut take = |size: u64| {
            let region = Region { address: SCRATCH_BASE + next, size };
            next += size;
            region
        };
        let boot_params = take(PAGE_SIZE);
        let input = take(page(self.input_size));
        let output = take(page(self.output_size));
        take(PAGE_SIZE); // guard
        let exception_stack = take(EXCEPTION_STACK);
        take(PAGE_SIZE); // guard
        let stack = take(page(self.stack_size));
        take(PAGE_SIZE); // guard
        let image_data = take(image_writable_pages * PAGE_SIZE);
        let fixed = next;
        let scratch_size = page(self.scratch_size);
        if scratch_size < fixed.saturating_add(MIN_HEAP) {
            return Err(MemoryConfigError::NoHeap { scratch_size: self.scratch_size, fixed });
        }
        let heap = Region { address: SCRATCH_BASE + fixed, size: scratch_size - fixed };
        let linear_memory =
            Region { address: linear_memory::BASE, size: u64::from(self.linear_memories) * linear_memory::RESERVATION };
        Ok(ScratchLayout {
            size: scratch_size,
            boot_params,
            input,
            output,
            exception_stack,
            stack,
            image_data,
            heap,
            linear_memory,
        })
    }
}

/// Where each part of scratch lives (guest addresses; scratch is
/// identity-mapped).
#[derive(Debug, Clone)]
pub(crate) struct ScratchLayout {
    pub size: u64,
    pub boot_params: Region,
    pub input: Region,
    pub output: Region,
    pub exception_stack: Region,
    pub stack: Region,
    /// Backing pages of the image's writable segments (mapped at their link
    /// addresses, not here).
    pub image_data: Region,
    pub heap: Region,
    /// The linear-memory area: not part of scratch (its own host mapping
    /// and memory slots), listed here with the rest of the layout.
    pub linear_memory: Region,
}

impl ScratchLayout {
    /// Offset of a guest address inside scratch.
    pub(crate) fn offset(address: u64) -> u64 {
        address - SCRATCH_BASE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_layout_fits_and_guards_stacks() {
        let layout = MemoryConfig::default().layout(4).unwrap();
        assert!(layout.heap.size >= 200 * MIB);
        assert_eq!(layout.exception_stack.address, layout.output.end().unwrap() + PAGE_SIZE);
        assert_eq!(layout.stack.address, layout.exception_stack.end().unwrap() + PAGE_SIZE);
        assert_eq!(layout.heap.end().unwrap(), SCRATCH_BASE + layout.size);
    }

    /// Every size at its minimum but scratch.
    fn smallest(scratch_size: u64) -> MemoryConfig {
        MemoryConfig {
            scratch_size,
            input_size: MIN_BUFFER,
            output_size: MIN_BUFFER,
            stack_size: MIN_STACK + 64 * KIB,
            max_wasm_stack: 64 * KIB,
            ..MemoryConfig::default()
        }
    }

    #[test]
    fn one_mib_of_scratch_fits_with_small_buffers() {
        let layout = smallest(MIB).layout(4).unwrap();
        assert!(layout.heap.size >= MIN_HEAP, "heap of {} bytes", layout.heap.size);
        assert_eq!(layout.heap.end().unwrap(), SCRATCH_BASE + MIB);
        // One page less than fixed parts plus the minimum heap is refused.
        let fixed = layout.heap.address - SCRATCH_BASE;
        let config = smallest(fixed + MIN_HEAP - PAGE_SIZE);
        assert_eq!(
            config.layout(4).unwrap_err(),
            MemoryConfigError::NoHeap { scratch_size: config.scratch_size, fixed }
        );
        assert!(smallest(fixed + MIN_HEAP).layout(4).is_ok());
    }

    #[test]
    fn errors_name_the_value_to_raise() {
        let config = MemoryConfig { input_size: 10, ..MemoryConfig::default() };
        let err = config.layout(0).unwrap_err();
        assert_eq!(err, MemoryConfigError::TooSmall { field: "input_size", value: 10, minimum: MIN_BUFFER });
        let config = MemoryConfig { scratch_size: 4 * MIB, ..MemoryConfig::default() };
        let err = config.layout(0).unwrap_err();
        assert!(matches!(err, MemoryConfigError::NoHeap { .. }));
        assert!(err.to_string().contains("raise scratch_size"), "{err}");
        let config = MemoryConfig { scratch_size: 4 * MIB, stack_size: 4 * MIB, ..smallest(MIB) };
        assert!(matches!(config.layout(0), Err(MemoryConfigError::NoHeap { .. })));
        let config = MemoryConfig { stack_size: MIB, max_wasm_stack: MIB, ..MemoryConfig::default() };
        assert!(matches!(config.layout(0), Err(MemoryConfigError::TooSmall { field: "stack_size", .. })));
    }
}
