//! The component's allocator: dlmalloc (the standard library's allocator on wasm), carving its
//! first region out of the memory the module starts with instead of growing memory at once.
//!
//! std's dlmalloc calls `memory.grow` for its very first chunk, so every fresh instance grew
//! its memory on its first allocation, which the host pays for twice (making the pages
//! accessible, then resetting the slot): about 7 µs of a 35 µs webhook, measured with
//! `perf` on `omni-host`. The module's initial memory (`build.rs`) holds the heap of a typical
//! call; memory grows only past it.
//!
//! wasm32-unknown-unknown has one thread and no signals, so the allocator needs no lock.

use core::arch::wasm32;
use core::cell::{Cell, UnsafeCell};
use std::alloc::{GlobalAlloc, Layout};

use dlmalloc::{Allocator, Dlmalloc};

const PAGE: usize = 64 << 10;

unsafe extern "C" {
    /// Where the linker put the end of static data: the heap starts here.
    static __heap_base: u8;
}

/// Hands dlmalloc the initial memory above the static data first, then grown pages.
struct InitialMemoryFirst {
    initial_taken: Cell<bool>,
}

// SAFETY: one thread only (see the module docs).
unsafe impl Send for InitialMemoryFirst {}

// SAFETY: regions returned are either the unused initial memory (handed out once) or freshly
// grown pages; neither is handed out twice, and both read as zeros.
unsafe impl Allocator for InitialMemoryFirst {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        if !self.initial_taken.get() {
            // Only the symbol's address is taken; it is never read.
            let start = core::ptr::addr_of!(__heap_base) as usize;
            let end = wasm32::memory_size(0) * PAGE;
            if end > start && end - start >= size {
                self.initial_taken.set(true);
                return (start as *mut u8, end - start, 0);
            }
        }
        let pages = size.div_ceil(PAGE);
        let previous = wasm32::memory_grow(0, pages);
        if previous == usize::MAX {
            return (core::ptr::null_mut(), 0, 0);
        }
        ((previous * PAGE) as *mut u8, pages * PAGE, 0)
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
        PAGE
    }
}

struct Global(UnsafeCell<Dlmalloc<InitialMemoryFirst>>);

// SAFETY: one thread only (see the module docs).
unsafe impl Sync for Global {}

#[global_allocator]
static GLOBAL: Global =
    Global(UnsafeCell::new(Dlmalloc::new_with_allocator(InitialMemoryFirst { initial_taken: Cell::new(false) })));

// SAFETY: forwards to dlmalloc, which upholds `GlobalAlloc`'s contract; calls never overlap.
unsafe impl GlobalAlloc for Global {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.0.get()).malloc(layout.size(), layout.align()) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.0.get()).calloc(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { (*self.0.get()).free(ptr, layout.size(), layout.align()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size) }
    }
}
