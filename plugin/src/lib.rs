//! The omni WhatsApp Cloud API channel.
//!
//! Everything here is plain Rust that runs natively (unit tests, fuzzing, benchmarks) and inside
//! the component, built on the channel SDK (`omni-channel-sdk`). The only file that names the
//! contract's exports is [`component`], which implements the SDK's `Channel` with these modules.

// `ChannelError` is the contract's error type, returned by value across the WIT boundary.
#![allow(clippy::result_large_err)]

/// The contract's types, from the SDK: one definition of every contract type.
pub mod wit {
    pub use omni_channel_sdk::contract::*;
}
/// Event names and deterministic ids, from the SDK.
pub use omni_channel_sdk::event;
/// What the logic needs from its host (and, for tests, an in-memory host), from the SDK.
pub use omni_channel_sdk::host;

pub mod account;
pub mod call;
pub mod chat_id;
pub mod config;
pub mod connection;
pub mod constants;
pub mod graph;
pub mod groups;
pub mod inbound;
pub mod info;
pub mod json;
pub mod lenient;
pub mod media;
pub mod media_rules;
pub mod omni_message;
pub mod outbound;
pub mod signature;
pub mod voice_calls;
pub mod webhook;

#[cfg(target_arch = "wasm32")]
mod allocator;
pub mod component;
