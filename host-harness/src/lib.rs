//! A wasmtime host for omni channel plugins, and the harness the tests drive.
//!
//! - [`runtime`]: one `Engine`, a pre-instantiated component, a fresh `Store` per call with a
//!   memory limit and a CPU deadline; a trap discards the store, never the host.
//! - [`capabilities`]: what a plugin may touch — outbound HTTP behind an egress allowlist, an
//!   event sink, logging — each in its own module.
//! - [`config`]: the operator's TOML file.
//! - [`server`]: `serve`, the HTTP host: webhooks, the send API, limits, metrics.
//!
//! Nothing here knows a channel: routes, subjects and streams are named after the plugin's
//! id, instance settings go to the plugin as they are, and egress is what the plugin declares.
//! With the default feature `whatsapp`, the WhatsApp Cloud component is built in, with
//! [`fake_graph`] (an in-process stand-in for Meta's Graph API), [`demo`] and [`signing`].

pub mod bindings;
pub mod calls;
pub mod capabilities;
pub mod channel_host;
pub mod component_cache;
pub mod config;
#[cfg(feature = "whatsapp")]
pub mod demo;
pub mod doctor;
#[cfg(feature = "whatsapp")]
pub mod fake_graph;
pub mod instances;
pub mod media_fetch;
pub mod media_route;
pub mod omni;
pub mod retry;
pub mod runtime;
pub mod server;
#[cfg(feature = "whatsapp")]
pub mod signing;

/// The WhatsApp Cloud plugin component, built from `plugin/` by `build.rs`.
#[cfg(feature = "whatsapp")]
pub const WHATSAPP_CLOUD_COMPONENT: &[u8] = include_bytes!(env!("WHATSAPP_CLOUD_PLUGIN_WASM"));
/// Where `build.rs` left that component.
#[cfg(feature = "whatsapp")]
pub const WHATSAPP_CLOUD_COMPONENT_PATH: &str = env!("WHATSAPP_CLOUD_PLUGIN_WASM");
