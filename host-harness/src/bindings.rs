//! Host-side bindings of the `omni:channel` world.
//!
//! Imports are `trappable`: a host function returns `wasmtime::Result<WitResult>`, where the
//! outer error means "the host is broken, trap" and the inner WIT result is what the guest sees.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "channel-plugin",
    imports: { default: trappable },
    additional_derives: [PartialEq],
});

pub use exports::omni::channel::{account, calls, groups, media, messaging, plugin, receipts, webhook};
pub use omni::channel::{
    crypto, events, interactive, logging, media_links, message_parts, outbound_http, templates, types,
};
