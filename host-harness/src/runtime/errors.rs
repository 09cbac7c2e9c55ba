//! Why a call into the plugin failed, told apart from a wasmtime error and the store it left.

use wasmtime::{Store, Trap};

use super::Unsupported;
use crate::capabilities::{HostFailure, HostState};

/// Why a call into the plugin failed. The plugin's own typed errors (WIT results) are not
/// failures of the call; these are.
#[derive(Debug)]
pub enum PluginError {
    /// The guest computed past its CPU budget (always before it published: once events are
    /// out, only the wall-clock bound applies).
    CpuBudget,
    /// The call ran past its wall-clock bound, host functions included.
    WallClock,
    /// The guest tried to grow its memory past the limit.
    MemoryLimit,
    /// The guest trapped (a panic, `unreachable`, an out-of-bounds access...).
    Trap(String),
    /// The guest returned more than the host accepts.
    OutputTooLarge(usize),
    /// A host capability failed in a way the guest could not be told about.
    Host(String),
    /// The component could not be instantiated.
    Instantiate(String),
    /// The channel does not implement the interface the call needs (probed when it was
    /// loaded; nothing ran): `serve` answers 501.
    Unsupported(&'static str),
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::CpuBudget => write!(f, "the plugin computed past its CPU budget and was stopped"),
            Self::WallClock => write!(f, "the plugin call ran past its wall-clock bound and was stopped"),
            Self::MemoryLimit => write!(f, "the plugin exceeded its memory limit and was stopped"),
            Self::Trap(trap) => write!(f, "the plugin trapped: {trap}"),
            Self::OutputTooLarge(n) => write!(f, "the plugin returned {n} bytes, more than the host accepts"),
            Self::Host(e) => write!(f, "a host capability failed: {e}"),
            Self::Instantiate(e) => write!(f, "the plugin could not be instantiated: {e}"),
            Self::Unsupported(interface) => write!(f, "the channel does not implement `{interface}`"),
        }
    }
}

impl std::error::Error for PluginError {}

impl PluginError {
    /// A short name for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CpuBudget => "cpu_budget",
            Self::WallClock => "wall_clock",
            Self::MemoryLimit => "memory_limit",
            Self::Trap(_) => "trap",
            Self::OutputTooLarge(_) => "output_too_large",
            Self::Host(_) => "host",
            Self::Instantiate(_) => "instantiate",
            Self::Unsupported(_) => "unsupported",
        }
    }
}

/// Turns a wasmtime error into the reason the call failed.
pub(super) fn classify(error: wasmtime::Error, store: &Store<HostState>, instantiating: bool) -> PluginError {
    if let Some(Unsupported(interface)) = error.downcast_ref::<Unsupported>() {
        return PluginError::Unsupported(interface.name());
    }
    if let Some(failure) = error.downcast_ref::<HostFailure>() {
        return PluginError::Host(failure.0.clone());
    }
    if store.data().limits.memory_refused() {
        return PluginError::MemoryLimit;
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) if store.data().past_deadline() => PluginError::WallClock,
        Some(Trap::Interrupt) => PluginError::CpuBudget,
        Some(trap) => PluginError::Trap(format!("{trap}: {}", root_message(&error))),
        None if instantiating => PluginError::Instantiate(format!("{error:#}")),
        None => PluginError::Trap(format!("{error:#}")),
    }
}

fn root_message(error: &wasmtime::Error) -> String {
    error.chain().last().map(|e| e.to_string()).unwrap_or_default()
}
