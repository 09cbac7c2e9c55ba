//! Memory and table limits of one call, remembering whether the guest hit them so that the
//! runtime can report "memory limit" rather than a bare trap.

use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// Table elements a call may use; the plugin needs a few hundred.
const TABLE_ELEMENTS: usize = 100_000;

/// [`StoreLimits`] plus a record of refusals.
pub struct CallLimits {
    inner: StoreLimits,
    memory_refused: bool,
}

impl CallLimits {
    pub fn new(memory_bytes: usize) -> Self {
        Self {
            inner: StoreLimitsBuilder::new()
                .memory_size(memory_bytes)
                .table_elements(TABLE_ELEMENTS)
                // A refused growth traps at once instead of returning -1 to an allocator
                // that would then abort with a less telling trap.
                .trap_on_grow_failure(true)
                .build(),
            memory_refused: false,
        }
    }

    /// Whether the guest asked for more memory than allowed during this call.
    pub fn memory_refused(&self) -> bool {
        self.memory_refused
    }
}

impl ResourceLimiter for CallLimits {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let verdict = self.inner.memory_growing(current, desired, maximum);
        if !matches!(verdict, Ok(true)) {
            self.memory_refused = true;
        }
        verdict
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}
