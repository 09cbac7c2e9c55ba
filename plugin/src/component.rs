//! The component binding: the SDK's [`Channel`] → the plugin's modules.
//!
//! Nothing here decides anything; it only names which module answers which export. The SDK
//! installs the panic hook and turns the WIT imports into the [`Host`] every module takes.

use omni_channel_sdk::contract::account::{BlockOutcome, BusinessProfile, ProfileUpdate};
use omni_channel_sdk::contract::calls::CallAction;
use omni_channel_sdk::contract::groups::{GroupAction, GroupOutcome};
use omni_channel_sdk::contract::media::{MediaLocation, MediaUpload};
use omni_channel_sdk::contract::messaging::{Attachment, DecodedMessage, OutgoingMessage, SendOptions};
use omni_channel_sdk::contract::plugin::{ConnectOptions, ConnectionInfo, PluginInfo, ValidatedConfig};
use omni_channel_sdk::contract::types::{ChannelError, ConfigProblem, Instance, InvalidField};
use omni_channel_sdk::contract::webhook::OutgoingResponse;
use omni_channel_sdk::{Channel, Delivery, Host, SendResult};

use crate::{account, config, connection, groups, info, media, omni_message, outbound, voice_calls, webhook};

/// The WhatsApp Cloud API channel.
pub struct WhatsAppCloud;

omni_channel_sdk::export!(WhatsAppCloud with receipts, media, account, calls, groups);

impl Channel for WhatsAppCloud {
    fn info() -> PluginInfo {
        info::plugin_info()
    }
    fn config_schema() -> String {
        config::schema()
    }
    fn validate_config(config: &str) -> Result<ValidatedConfig, Vec<ConfigProblem>> {
        config::validate(config)
    }
    fn connect(host: &dyn Host, instance: &Instance, options: &ConnectOptions) -> Result<ConnectionInfo, ChannelError> {
        connection::connect(host, instance, options)
    }
    fn handle_webhook(host: &dyn Host, delivery: &Delivery<'_>) -> OutgoingResponse {
        webhook::handle(host, delivery.receiver, delivery.routes, delivery.request, delivery.limits)
    }
    fn decode_outgoing(message: &str, attachments: Vec<Attachment>) -> Result<DecodedMessage, InvalidField> {
        omni_message::decode(message, attachments)
    }
    fn send_message(
        host: &dyn Host,
        instance: &Instance,
        message: OutgoingMessage,
        options: &SendOptions,
    ) -> SendResult {
        outbound::send_message(host, instance, message, options)
    }
    fn mark_read(
        host: &dyn Host,
        instance: &Instance,
        message_id: &str,
        show_typing: bool,
    ) -> Result<(), ChannelError> {
        outbound::mark_read(host, instance, message_id, show_typing)
    }
    fn upload_media(host: &dyn Host, instance: &Instance, upload: &MediaUpload) -> Result<String, ChannelError> {
        media::upload(host, instance, upload)
    }
    fn locate_media(host: &dyn Host, instance: &Instance, media_id: &str) -> Result<MediaLocation, ChannelError> {
        media::locate(host, instance, media_id)
    }
    fn delete_media(host: &dyn Host, instance: &Instance, media_id: &str) -> Result<(), ChannelError> {
        media::delete(host, instance, media_id)
    }
    fn block_users(
        host: &dyn Host,
        instance: &Instance,
        users: &[String],
        block: bool,
    ) -> Result<BlockOutcome, ChannelError> {
        account::block_users(host, instance, users, block)
    }
    fn get_business_profile(host: &dyn Host, instance: &Instance) -> Result<BusinessProfile, ChannelError> {
        account::get_profile(host, instance)
    }
    fn update_business_profile(
        host: &dyn Host,
        instance: &Instance,
        update: &ProfileUpdate,
    ) -> Result<(), ChannelError> {
        account::update_profile(host, instance, update)
    }
    fn act_on_call(host: &dyn Host, instance: &Instance, action: &CallAction) -> Result<String, ChannelError> {
        voice_calls::call_action(host, instance, action)
    }
    fn act_on_group(host: &dyn Host, instance: &Instance, action: &GroupAction) -> Result<GroupOutcome, ChannelError> {
        groups::act(host, instance, action)
    }
}
