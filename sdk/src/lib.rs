//! Write an omni channel: a WebAssembly component implementing the `omni:channel` contract.
//!
//! ```ignore
//! struct Echo;
//! impl omni_channel_sdk::Channel for Echo { /* info, config, webhook, decode, send */ }
//! omni_channel_sdk::export!(Echo);
//! // A channel with more: omni_channel_sdk::export!(WhatsApp with receipts, media, account);
//! ```
//!
//! A channel implements [`Channel`]: the core (identity, configuration, webhook, sending) is
//! required, everything else answers [`unsupported`] until overridden. [`export!`] makes it the
//! component's implementation of `channel-core`, plus each optional interface it names — and
//! only those, so a host probing the component sees what the channel really does (`serve`
//! answers 501 for the rest). Logic takes a [`Host`] rather than calling imports, so it runs
//! natively under [`host::mock::MockHost`] in unit tests. [`event`] gives events the
//! deterministic ids hosts deduplicate by.

// `ChannelError` is the contract's error type, returned by value across the WIT boundary.
#![allow(clippy::result_large_err)]

mod adapter;
mod bindings;
mod channel;
pub mod errors;
pub mod event;
pub mod host;
pub mod omni;

pub use channel::{Channel, Delivery, SendResult, unsupported};
pub use host::{Host, WitHost};

/// The contract's types, one module per WIT interface (`contract::messaging::OutgoingMessage`).
pub mod contract {
    pub use crate::__private::account::exports::omni::channel::account;
    pub use crate::__private::calls::exports::omni::channel::calls;
    pub use crate::__private::core::exports::omni::channel::{messaging, plugin, webhook};
    pub use crate::__private::core::omni::channel::{
        crypto, events, interactive, logging, media_links, message_parts, outbound_http, templates, types,
    };
    pub use crate::__private::groups::exports::omni::channel::groups;
    pub use crate::__private::media::exports::omni::channel::media;
    pub use crate::__private::receipts::exports::omni::channel::receipts;
}

/// What the `export!` macro expands to needs; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::adapter::Adapter;
    pub use crate::bindings::{account, calls, core, groups, media, receipts};
}

/// Makes `$channel` (a type implementing [`Channel`]) the component's implementation of
/// `channel-core`, and of each optional interface listed after `with`: `receipts`, `media`,
/// `account`, `calls`, `groups`. Use it once, in the crate built as the component.
#[macro_export]
macro_rules! export {
    ($channel:ident $(with $($extension:ident),+ $(,)?)?) => {
        const _: () = {
            #[cfg(target_arch = "wasm32")]
            type __OmniChannel = $crate::__private::Adapter<$channel>;
            #[cfg(target_arch = "wasm32")]
            $crate::__private::core::export_core!(__OmniChannel with_types_in $crate::__private::core);
            $($($crate::export!(@extension $extension);)+)?
        };
    };
    (@extension receipts) => {
        #[cfg(target_arch = "wasm32")]
        $crate::__private::receipts::export_receipts!(__OmniChannel with_types_in $crate::__private::receipts);
    };
    (@extension media) => {
        #[cfg(target_arch = "wasm32")]
        $crate::__private::media::export_media!(__OmniChannel with_types_in $crate::__private::media);
    };
    (@extension account) => {
        #[cfg(target_arch = "wasm32")]
        $crate::__private::account::export_account!(__OmniChannel with_types_in $crate::__private::account);
    };
    (@extension calls) => {
        #[cfg(target_arch = "wasm32")]
        $crate::__private::calls::export_calls!(__OmniChannel with_types_in $crate::__private::calls);
    };
    (@extension groups) => {
        #[cfg(target_arch = "wasm32")]
        $crate::__private::groups::export_groups!(__OmniChannel with_types_in $crate::__private::groups);
    };
}
