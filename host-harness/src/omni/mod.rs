//! omni's JSON as the host writes it, one module per concern: the event envelope on the bus
//! (`envelope`), the WIT values the command line and the HTTP API answer with (`wire`), and
//! the call and group actions callers ask for (`actions`).
//! omni's message shapes themselves are read by the plugin (`messaging.decode-outgoing`).

pub mod actions;
pub mod envelope;
pub mod results;
pub mod wire;

use std::time::{SystemTime, UNIX_EPOCH};

/// Now in omni's time: milliseconds since the Unix epoch (0 on a clock set before it).
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
