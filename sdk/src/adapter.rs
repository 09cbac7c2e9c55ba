//! The bridge between the generated `Guest` traits and [`Channel`]: one generic type that
//! implements every interface's `Guest` by calling the channel, which [`export!`](crate::export)
//! names as the component's implementation. Nothing here decides anything.

use std::marker::PhantomData;

use crate::__private::{account, calls, core, groups, media, receipts};
use crate::channel::{Channel, Delivery};
use crate::contract::logging::{self, Level};
use crate::contract::types::{ChannelError, ConfigProblem, Instance, InvalidField};
use crate::host::WitHost;

use account::exports::omni::channel::account as account_api;
use calls::exports::omni::channel::calls as calls_api;
use core::exports::omni::channel::{messaging, plugin, webhook};
use groups::exports::omni::channel::groups as groups_api;
use media::exports::omni::channel::media as media_api;
use receipts::exports::omni::channel::receipts as receipts_api;

/// The component's implementation of every export, for channel `T`.
#[doc(hidden)]
pub struct Adapter<T>(PhantomData<T>);

/// Every export runs through here: a panic is logged through the host (then traps), instead of
/// surfacing as a bare `unreachable`.
fn export<R>(work: impl FnOnce() -> R) -> R {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| logging::log(Level::Error, &format!("plugin panicked: {info}"))));
    });
    work()
}

impl<T: Channel> plugin::Guest for Adapter<T> {
    fn info() -> plugin::PluginInfo {
        export(T::info)
    }
    fn config_schema() -> String {
        export(T::config_schema)
    }
    fn validate_config(config: String) -> Result<plugin::ValidatedConfig, Vec<ConfigProblem>> {
        export(|| T::validate_config(&config))
    }
    fn connect(instance: Instance, options: plugin::ConnectOptions) -> Result<plugin::ConnectionInfo, ChannelError> {
        export(|| T::connect(&WitHost, &instance, &options))
    }
}

impl<T: Channel> webhook::Guest for Adapter<T> {
    fn handle_webhook(
        receiver: Instance,
        routes: Vec<webhook::Route>,
        request: webhook::IncomingRequest,
        limits: webhook::DeliveryLimits,
    ) -> webhook::OutgoingResponse {
        let delivery = Delivery { receiver: &receiver, routes: &routes, request: &request, limits: &limits };
        export(|| T::handle_webhook(&WitHost, &delivery))
    }
}

impl<T: Channel> messaging::Guest for Adapter<T> {
    fn decode_outgoing(
        message: String,
        attachments: Vec<messaging::Attachment>,
    ) -> Result<messaging::DecodedMessage, InvalidField> {
        export(|| T::decode_outgoing(&message, attachments))
    }
    fn send_message(
        instance: Instance,
        message: messaging::OutgoingMessage,
        options: messaging::SendOptions,
    ) -> Result<messaging::SendReceipt, messaging::SendFailure> {
        export(|| T::send_message(&WitHost, &instance, message, &options))
    }
}

impl<T: Channel> receipts_api::Guest for Adapter<T> {
    fn mark_read(instance: Instance, message_id: String, show_typing: bool) -> Result<(), ChannelError> {
        export(|| T::mark_read(&WitHost, &instance, &message_id, show_typing))
    }
}

impl<T: Channel> media_api::Guest for Adapter<T> {
    fn upload_media(instance: Instance, upload: media_api::MediaUpload) -> Result<String, ChannelError> {
        export(|| T::upload_media(&WitHost, &instance, &upload))
    }
    fn locate_media(instance: Instance, media_id: String) -> Result<media_api::MediaLocation, ChannelError> {
        export(|| T::locate_media(&WitHost, &instance, &media_id))
    }
    fn delete_media(instance: Instance, media_id: String) -> Result<(), ChannelError> {
        export(|| T::delete_media(&WitHost, &instance, &media_id))
    }
}

impl<T: Channel> account_api::Guest for Adapter<T> {
    fn block_users(
        instance: Instance,
        users: Vec<String>,
        block: bool,
    ) -> Result<account_api::BlockOutcome, ChannelError> {
        export(|| T::block_users(&WitHost, &instance, &users, block))
    }
    fn get_business_profile(instance: Instance) -> Result<account_api::BusinessProfile, ChannelError> {
        export(|| T::get_business_profile(&WitHost, &instance))
    }
    fn update_business_profile(instance: Instance, update: account_api::ProfileUpdate) -> Result<(), ChannelError> {
        export(|| T::update_business_profile(&WitHost, &instance, &update))
    }
}

impl<T: Channel> calls_api::Guest for Adapter<T> {
    fn act_on_call(instance: Instance, action: calls_api::CallAction) -> Result<String, ChannelError> {
        export(|| T::act_on_call(&WitHost, &instance, &action))
    }
}

impl<T: Channel> groups_api::Guest for Adapter<T> {
    fn act_on_group(
        instance: Instance,
        action: groups_api::GroupAction,
    ) -> Result<groups_api::GroupOutcome, ChannelError> {
        export(|| T::act_on_group(&WitHost, &instance, &action))
    }
}
