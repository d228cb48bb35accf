//! The guest heap: dlmalloc over the region the host reserved.
//!
//! The region is handed to dlmalloc in one piece on its first request, which
//! is all a single-vCPU guest with a fixed memory budget needs. Scratch
//! memory starts zeroed, so fresh heap memory is zero too.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::{Cell, UnsafeCell};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use featherlight_abi::layout::Region;

/// Gives out the heap region once, as dlmalloc's "system memory".
struct Region1 {
    next: Cell<usize>,
    end: Cell<usize>,
}

// SAFETY: dlmalloc's contract: `alloc` returns memory nobody else uses (the
// host reserved the heap region for us; we hand each byte out once), and we
// never claim to free or remap.
unsafe impl dlmalloc::Allocator for Region1 {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        let start = self.next.get();
        match start.checked_add(size) {
            Some(end) if end <= self.end.get() => {
                self.next.set(end);
                (start as *mut u8, size, 0)
            }
            _ => (core::ptr::null_mut(), 0, 0),
        }
    }
    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        core::ptr::null_mut()
    }
    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }
    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }
    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }
    fn allocates_zeros(&self) -> bool {
        true
    }
    fn page_size(&self) -> usize {
        crate::PAGE
    }
}

/// Whether the latest allocation failed: a panic that follows one is the
/// heap running out (see `panic.rs`). Fallible allocations (wasmtime growing a
/// linear memory) fail too, so later successes clear it.
static EXHAUSTED: AtomicBool = AtomicBool::new(false);

/// Whether the latest allocation failed.
pub fn exhausted() -> bool {
    EXHAUSTED.load(Ordering::Relaxed)
}

/// Allocations that failed since boot (wrapping): unlike [`exhausted`], a
/// later success does not hide that one failed.
static FAILURES: AtomicU32 = AtomicU32::new(0);

/// How many allocations failed since boot (wrapping); compare two readings
/// to learn whether any failed in between.
pub fn failed_allocations() -> u32 {
    FAILURES.load(Ordering::Relaxed)
}

fn note(ptr: *mut u8) -> *mut u8 {
    EXHAUSTED.store(ptr.is_null(), Ordering::Relaxed);
    if ptr.is_null() {
        FAILURES.fetch_add(1, Ordering::Relaxed);
    }
    ptr
}

/// The global allocator.
struct Heap(UnsafeCell<dlmalloc::Dlmalloc<Region1>>);

// SAFETY: the guest has one vCPU, no interrupts and no threads, so the heap is
// never used concurrently; re-entrancy cannot happen because dlmalloc calls
// nothing that allocates.
unsafe impl Sync for Heap {}

#[global_allocator]
static HEAP: Heap =
    Heap(UnsafeCell::new(dlmalloc::Dlmalloc::new_with_allocator(Region1 { next: Cell::new(0), end: Cell::new(0) })));

/// Hands the heap region to the allocator.
///
/// # Safety
/// Called once, before the first allocation, with memory reserved for us.
pub unsafe fn init(region: Region) {
    let start = usize::try_from(region.address).unwrap_or(0);
    let end = region.end().and_then(|end| usize::try_from(end).ok()).unwrap_or(0);
    // SAFETY: no allocation has happened yet, so nothing holds the allocator.
    let dl = unsafe { &mut *HEAP.0.get() };
    dl.allocator().next.set(start);
    dl.allocator().end.set(end);
}

// SAFETY: delegates to dlmalloc, which upholds GlobalAlloc's contract; access
// is exclusive as argued on `Heap`.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: exclusive access (see `Heap`); layout comes from the caller.
        note(unsafe { (*self.0.get()).malloc(layout.size(), layout.align()) })
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        note(unsafe { (*self.0.get()).calloc(layout.size(), layout.align()) })
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator with this layout.
        unsafe { (*self.0.get()).free(ptr, layout.size(), layout.align()) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with this layout.
        note(unsafe { (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size) })
    }
}
