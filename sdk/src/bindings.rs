//! The generated bindings, one module per world of `wit/world.wit`. Private to the SDK in all
//! but name: the `export!` macro expands in the channel's crate and must reach them, so they
//! are `#[doc(hidden)] pub` under `__private`. Channel authors use [`crate::contract`].
//!
//! Each optional interface has its own world and its own export macro, expanded only when a
//! channel names the interface in `export!`: that expansion carries the custom section that
//! declares the export, so a channel's component exports exactly what it implements.

/// `channel-core`: every import, and the exports every channel has.
pub mod core {
    wit_bindgen::generate!({
        path: "../wit",
        world: "channel-core",
        additional_derives: [PartialEq, Clone],
        pub_export_macro: true,
        export_macro_name: "export_core",
        default_bindings_module: "omni_channel_sdk::__private::core",
    });
}

/// Generates the bindings of one optional interface's world, the types it shares taken from
/// [`core`] so that there is one Rust type for each contract type. (`generate!` takes literal
/// strings only, hence every name spelled out.)
macro_rules! extension {
    ($module:ident, $world:literal, $export_macro:literal, $bindings_module:literal, { $($with:tt)* }) => {
        #[doc = concat!("`", $world, "`.")]
        pub mod $module {
            wit_bindgen::generate!({
                path: "../wit",
                world: $world,
                additional_derives: [PartialEq, Clone],
                pub_export_macro: true,
                export_macro_name: $export_macro,
                default_bindings_module: $bindings_module,
                with: { $($with)* },
            });
        }
    };
}

extension!(receipts, "receipts-extension", "export_receipts", "omni_channel_sdk::__private::receipts", {
    "omni:channel/types@0.6.0": crate::__private::core::omni::channel::types,
});
extension!(media, "media-extension", "export_media", "omni_channel_sdk::__private::media", {
    "omni:channel/types@0.6.0": crate::__private::core::omni::channel::types,
    "omni:channel/outbound-http@0.6.0": crate::__private::core::omni::channel::outbound_http,
});
extension!(account, "account-extension", "export_account", "omni_channel_sdk::__private::account", {
    "omni:channel/types@0.6.0": crate::__private::core::omni::channel::types,
});
extension!(calls, "calls-extension", "export_calls", "omni_channel_sdk::__private::calls", {
    "omni:channel/types@0.6.0": crate::__private::core::omni::channel::types,
});
extension!(groups, "groups-extension", "export_groups", "omni_channel_sdk::__private::groups", {
    "omni:channel/types@0.6.0": crate::__private::core::omni::channel::types,
});
