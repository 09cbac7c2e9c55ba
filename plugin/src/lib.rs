//! The omni WhatsApp Cloud API channel.
//!
//! Everything here is plain Rust that runs natively (unit tests, fuzzing, benchmarks) and inside
//! the component. The only file that touches the component model is [`component`], which binds
//! these modules to the WIT exports and implements [`host::Host`] over the WIT imports.

// `ChannelError` is the contract's error type, returned by value across the WIT boundary.
#![allow(clippy::result_large_err)]

pub mod wit {
    //! Types generated from `wit/` (the `omni:channel` package). The logic uses them directly so
    //! that there is one definition of every contract type.
    wit_bindgen::generate!({
        path: "../wit",
        world: "channel-plugin",
        additional_derives: [PartialEq, Clone],
    });

    pub use exports::omni::channel::{account, calls, groups, media, messaging, plugin, webhook};
    pub use omni::channel::{crypto, events, logging, media_links, outbound_http, types};
}

pub mod account;
pub mod call;
pub mod chat_id;
pub mod config;
pub mod connection;
pub mod constants;
pub mod event;
pub mod graph;
pub mod groups;
pub mod host;
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
#[cfg(target_arch = "wasm32")]
mod component;
