//! A wasmtime host for omni channel plugins, and the harness the tests drive.
//!
//! - [`runtime`]: one `Engine`, a pre-instantiated component, a fresh `Store` per call with a
//!   memory limit and a CPU deadline; a trap discards the store, never the host.
//! - [`capabilities`]: what a plugin may touch — outbound HTTP behind an egress allowlist, an
//!   event sink, logging — each in its own module.
//! - [`config`]: the operator's TOML file.
//! - [`fake_graph`]: an in-process stand-in for Meta's Graph API, for the demo and the tests.

pub mod bindings;
pub mod capabilities;
pub mod channel_host;
pub mod component_cache;
pub mod config;
pub mod demo;
pub mod fake_graph;
pub mod retry;
pub mod runtime;
pub mod server;
pub mod signing;
pub mod wire;

/// The WhatsApp Cloud plugin component, built from `plugin/` by `build.rs`.
pub const WHATSAPP_CLOUD_COMPONENT: &[u8] = include_bytes!(env!("WHATSAPP_CLOUD_PLUGIN_WASM"));
/// Where `build.rs` left that component.
pub const WHATSAPP_CLOUD_COMPONENT_PATH: &str = env!("WHATSAPP_CLOUD_PLUGIN_WASM");
