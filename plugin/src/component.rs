//! The component binding: WIT exports → the plugin's modules, WIT imports → [`Host`].
//!
//! Nothing here decides anything; it only adapts types and installs a panic hook so that a bug
//! shows up in the host's log instead of as a bare `unreachable` trap.

use crate::host::Host;
use crate::wit::events::{self, Event, PublishError};
use crate::wit::logging::{self, Level};
use crate::wit::outbound_http::{self, HttpError, Request, Response};
use crate::wit::types::{ChannelError, ConfigProblem, Instance, InvalidField};
use crate::wit::{account, calls, groups, media, messaging, plugin, webhook};
use crate::wit::{crypto, media_links};
use crate::{
    account as account_ops, config, connection, groups as group_ops, info, media as media_ops, omni_message, outbound,
    voice_calls,
};

/// The WIT imports, as the logic's [`Host`].
struct WitHost;

impl Host for WitHost {
    fn send_http(&self, request: &Request) -> Result<Response, HttpError> {
        outbound_http::send(request)
    }
    fn publish(&self, events: &[Event]) -> Result<(), PublishError> {
        events::publish(events)
    }
    fn log(&self, level: Level, message: &str) {
        logging::log(level, message)
    }
    fn media_link(&self, instance_id: &str, media_id: &str) -> Option<String> {
        media_links::link(instance_id, media_id)
    }
    fn hmac_sha256(&self, key: &[u8], message: &[u8]) -> [u8; 32] {
        // A host that answered with anything but a digest is not believed: the plugin computes it.
        crypto::hmac_sha256(key, message).try_into().unwrap_or_else(|_| crate::signature::hmac_sha256(key, message))
    }
}

/// Every export runs through here: a panic is logged through the host (then traps), instead of
/// surfacing as a bare `unreachable`.
fn export<R>(work: impl FnOnce() -> R) -> R {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| logging::log(Level::Error, &format!("plugin panicked: {info}"))));
    });
    work()
}

struct Component;

impl plugin::Guest for Component {
    fn info() -> plugin::PluginInfo {
        export(info::plugin_info)
    }

    fn config_schema() -> String {
        export(config::schema)
    }

    fn validate_config(config: String) -> Result<plugin::ValidatedConfig, Vec<ConfigProblem>> {
        export(|| config::validate(&config))
    }

    fn connect(instance: Instance, options: plugin::ConnectOptions) -> Result<plugin::ConnectionInfo, ChannelError> {
        export(|| connection::connect(&WitHost, &instance, &options))
    }
}

impl webhook::Guest for Component {
    fn handle_webhook(
        receiver: Instance,
        routes: Vec<webhook::Route>,
        request: webhook::IncomingRequest,
        limits: webhook::DeliveryLimits,
    ) -> webhook::OutgoingResponse {
        export(|| crate::webhook::handle(&WitHost, &receiver, &routes, &request, &limits))
    }
}

impl messaging::Guest for Component {
    fn decode_outgoing(
        message: String,
        attachments: Vec<messaging::Attachment>,
    ) -> Result<messaging::DecodedMessage, InvalidField> {
        export(|| omni_message::decode(&message, attachments))
    }

    fn send_message(
        instance: Instance,
        message: messaging::OutgoingMessage,
        options: messaging::SendOptions,
    ) -> Result<messaging::SendReceipt, ChannelError> {
        export(|| outbound::send_message(&WitHost, &instance, message, &options))
    }

    fn report_send_failure(
        instance: Instance,
        message: messaging::OutgoingMessage,
        options: messaging::SendOptions,
        error: ChannelError,
    ) -> Result<(), PublishError> {
        export(|| outbound::report_send_failure(&WitHost, &instance, &message, &options, &error))
    }

    fn mark_read(instance: Instance, message_id: String, show_typing: bool) -> Result<(), ChannelError> {
        export(|| outbound::mark_read(&WitHost, &instance, &message_id, show_typing))
    }
}

impl media::Guest for Component {
    fn upload_media(instance: Instance, upload: media::MediaUpload) -> Result<String, ChannelError> {
        export(|| media_ops::upload(&WitHost, &instance, &upload))
    }

    fn locate_media(instance: Instance, media_id: String) -> Result<media::MediaLocation, ChannelError> {
        export(|| media_ops::locate(&WitHost, &instance, &media_id))
    }

    fn delete_media(instance: Instance, media_id: String) -> Result<(), ChannelError> {
        export(|| media_ops::delete(&WitHost, &instance, &media_id))
    }
}

impl account::Guest for Component {
    fn block_users(instance: Instance, users: Vec<String>, block: bool) -> Result<account::BlockOutcome, ChannelError> {
        export(|| account_ops::block_users(&WitHost, &instance, &users, block))
    }

    fn get_business_profile(instance: Instance) -> Result<account::BusinessProfile, ChannelError> {
        export(|| account_ops::get_profile(&WitHost, &instance))
    }

    fn update_business_profile(instance: Instance, update: account::ProfileUpdate) -> Result<(), ChannelError> {
        export(|| account_ops::update_profile(&WitHost, &instance, &update))
    }
}

impl calls::Guest for Component {
    fn act_on_call(instance: Instance, action: calls::CallAction) -> Result<String, ChannelError> {
        export(|| voice_calls::call_action(&WitHost, &instance, &action))
    }
}

impl groups::Guest for Component {
    fn act_on_group(instance: Instance, action: groups::GroupAction) -> Result<groups::GroupOutcome, ChannelError> {
        export(|| group_ops::act(&WitHost, &instance, &action))
    }
}

crate::wit::export!(Component with_types_in crate::wit);
