//! Wasm linear memories in the linear-memory area (see
//! `featherlight_abi::linear_memory`): each memory gets a reservation of its
//! own and grows in place, committing more of it from the host as it goes,
//! so `memory.grow` never copies and needs no room for old and new at once.

use core::cell::Cell;
use featherlight_abi::linear_memory::{self, RESERVATION, next_commit};
use featherlight_abi::ports;
use wasmtime::{LinearMemory, MemoryCreator, MemoryType};

/// Hands out the area's reservations, in order; they are never given back
/// (a guest instantiates its component once; a restore rewinds this state
/// with the rest of guest memory).
#[derive(Debug, Default)]
pub struct AreaCreator {
    next: Cell<u64>,
}

// SAFETY: one vCPU, no threads, no interrupts: never used concurrently.
unsafe impl Sync for AreaCreator {}
// SAFETY: as above; nothing here is tied to a thread.
unsafe impl Send for AreaCreator {}

/// One linear memory: the start of its reservation, its size, and how much
/// of the reservation the host has committed.
#[derive(Debug)]
struct AreaMemory {
    reservation: u64,
    base: *mut u8,
    size: usize,
    committed: u64,
    capacity: usize,
}

// SAFETY: see `AreaCreator`: one vCPU, no threads.
unsafe impl Send for AreaMemory {}
// SAFETY: as above.
unsafe impl Sync for AreaMemory {}

impl AreaMemory {
    /// Makes the first `needed` bytes usable: asks the host for more of the
    /// reservation when they are not committed yet.
    fn commit(&mut self, needed: u64) -> wasmtime::Result<()> {
        if needed <= self.committed {
            return Ok(());
        }
        let target = next_commit(self.committed, needed)
            .ok_or_else(|| wasmtime::format_err!("{needed} bytes are beyond the memory's reservation"))?;
        let value = linear_memory::request(self.reservation, target)
            .ok_or_else(|| wasmtime::format_err!("linear-memory request out of range"))?;
        featherlight_guest::host::exit(ports::LINEAR_MEMORY, value);
        self.committed = target;
        Ok(())
    }
}

// SAFETY: `as_ptr` is the start of a reservation no other memory uses,
// `byte_capacity` never exceeds it, and `grow_to` commits memory (zero:
// the area is zero until a memory writes it, and no reservation is reused)
// before reporting the new size, so `byte_size` bytes are always usable.
unsafe impl LinearMemory for AreaMemory {
    fn byte_size(&self) -> usize {
        self.size
    }
    fn byte_capacity(&self) -> usize {
        self.capacity
    }
    fn grow_to(&mut self, new_size: usize) -> wasmtime::Result<()> {
        if new_size > self.capacity {
            wasmtime::bail!("a linear memory cannot grow past its {}-byte reservation", self.capacity);
        }
        self.commit(new_size as u64)?;
        self.size = new_size;
        Ok(())
    }
    fn as_ptr(&self) -> *mut u8 {
        self.base
    }
}

// SAFETY: memories come from distinct reservations of the area, which the
// host maps zeroed and writable (`LinearMemory` impl above); no guard pages
// are promised because the engine asks for none (memory_guard_size 0).
unsafe impl MemoryCreator for AreaCreator {
    fn new_memory(
        &self,
        _ty: MemoryType,
        minimum: usize,
        maximum: Option<usize>,
        _reserved_size_in_bytes: Option<usize>,
        guard_size_in_bytes: usize,
    ) -> Result<alloc::boxed::Box<dyn LinearMemory>, alloc::string::String> {
        use alloc::string::ToString;
        if guard_size_in_bytes != 0 {
            return Err("linear memories here have no guard pages".to_string());
        }
        let area = featherlight_guest::boot_params().linear_memory;
        let index = self.next.get();
        let start = index.checked_mul(RESERVATION).filter(|start| start.saturating_add(RESERVATION) <= area.size);
        let Some(start) = start else {
            return Err(alloc::format!(
                "no linear-memory reservation left: the component's {} memories need more than the {} \
                 reserved; raise MemoryConfig::linear_memories",
                index + 1,
                area.size / RESERVATION
            ));
        };
        let capacity = featherlight_guest::guest_usize(RESERVATION).min(maximum.unwrap_or(usize::MAX));
        if minimum > capacity {
            return Err(alloc::format!("a linear memory of {minimum} bytes exceeds its reservation"));
        }
        let base = area.address.checked_add(start).ok_or_else(|| "linear-memory area out of range".to_string())?;
        let mut memory = AreaMemory { reservation: index, base: base as *mut u8, size: 0, committed: 0, capacity };
        memory.commit(minimum as u64).map_err(|e| e.to_string())?;
        memory.size = minimum;
        self.next.set(index + 1);
        Ok(alloc::boxed::Box::new(memory))
    }
}
