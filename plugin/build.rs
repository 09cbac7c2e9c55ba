//! Link settings of the component: a small stack, and initial memory the allocator uses first.
//!
//! A fresh instance per call pays for every page it touches and for every `memory.grow`
//! (an `mprotect` now, another when the host resets the slot). rustc's default wasm layout puts
//! a 1 MiB stack at the bottom of memory and leaves the heap to grow; this one keeps the stack
//! small and starts memory large enough for the heap of a typical delivery (see
//! `src/allocator.rs`), so that a call touches a few low pages and grows nothing.

/// Five times what the deepest recursion needs: a body at `serde_json`'s nesting limit runs in
/// 24 KiB and overflows 16 KiB (`json_nested_to_the_parsers_limit_runs_within_the_components_stack`
/// in `tests/tests/e2e/inbound.rs`; an overflow traps, confined to the call).
const STACK_BYTES: u32 = 128 << 10;
/// Stack, data and the first heap region.
const INITIAL_MEMORY_BYTES: u32 = 1 << 20;

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo::rustc-link-arg-cdylib=-zstack-size={STACK_BYTES}");
        println!("cargo::rustc-link-arg-cdylib=--initial-memory={INITIAL_MEMORY_BYTES}");
    }
}
