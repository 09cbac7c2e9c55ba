//! omni's JSON as the host writes it, one module per concern: the event envelope on the bus
//! (`envelope`) and the WIT values the command line and the HTTP API answer with (`wire`).
//! omni's message shapes themselves are read by the plugin (`messaging.decode-outgoing`).

pub mod envelope;
pub mod wire;
