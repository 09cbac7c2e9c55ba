//! The trait a channel implements. Only the core is required: identity, configuration, the
//! webhook and sending. Every other method answers `unsupported` until the channel overrides
//! it — and a channel exports an optional interface only when it names it in
//! [`export!`](crate::export), so a host sees exactly what the channel does.

use crate::contract::account::{BlockOutcome, BusinessProfile, ProfileUpdate};
use crate::contract::calls::CallAction;
use crate::contract::groups::{GroupAction, GroupOutcome};
use crate::contract::media::{MediaLocation, MediaUpload};
use crate::contract::messaging::{Attachment, DecodedMessage, OutgoingMessage, SendFailure, SendOptions, SendReceipt};
use crate::contract::plugin::{ConnectOptions, ConnectionInfo, PluginInfo, ValidatedConfig};
use crate::contract::types::{ChannelError, ConfigProblem, Instance, InvalidField};
use crate::contract::webhook::{DeliveryLimits, IncomingRequest, OutgoingResponse, Route};
use crate::host::Host;

/// The error of a method the channel does not implement, naming it.
pub fn unsupported(what: &str) -> ChannelError {
    ChannelError::Unsupported(what.to_owned())
}

/// One webhook request and what comes with it (`webhook.handle-webhook`'s arguments).
pub struct Delivery<'a> {
    /// The instance whose URL was called; its secrets verify the request.
    pub receiver: &'a Instance,
    /// The other instances of the same provider app, by what the provider names them.
    pub routes: &'a [Route],
    /// The request, exactly as received.
    pub request: &'a IncomingRequest,
    /// What the host can take of it.
    pub limits: &'a DeliveryLimits,
}

/// What sending one message gives.
pub type SendResult = Result<SendReceipt, SendFailure>;

/// An omni channel. Stateless: the host passes the instance (its id and configuration) with
/// every call, and may run each call in a fresh instance of the component. Implemented by a
/// unit struct; every method is an associated function, given the [`Host`] it may use.
pub trait Channel {
    // ---- plugin (core) ----

    /// The channel's identity and capabilities (`plugin.info`).
    fn info() -> PluginInfo;

    /// The JSON Schema of an instance's configuration (`plugin.config-schema`); any object
    /// unless the channel says more.
    fn config_schema() -> String {
        r#"{"type":"object"}"#.into()
    }

    /// Checks a configuration without calling the provider (`plugin.validate-config`).
    fn validate_config(config: &str) -> Result<ValidatedConfig, Vec<ConfigProblem>>;

    /// Checks an instance's credentials with the provider (`plugin.connect`).
    fn connect(
        _host: &dyn Host,
        _instance: &Instance,
        _options: &ConnectOptions,
    ) -> Result<ConnectionInfo, ChannelError> {
        Err(unsupported("connect"))
    }

    // ---- webhook (core) ----

    /// Handles one webhook request and publishes its events (`webhook.handle-webhook`).
    fn handle_webhook(host: &dyn Host, delivery: &Delivery<'_>) -> OutgoingResponse;

    // ---- messaging (core) ----

    /// Decodes omni's `OutgoingMessage` JSON into the messages to send
    /// (`messaging.decode-outgoing`); unless the channel decodes more, a text message split to
    /// the channel's `max-text-length`.
    fn decode_outgoing(message: &str, _attachments: Vec<Attachment>) -> Result<DecodedMessage, InvalidField> {
        crate::omni::decode_text(message, Self::info().capabilities.max_text_length as usize)
    }

    /// Sends one message and publishes `message.sent`; a failure carries its `message.failed`
    /// (`messaging.send-message`).
    fn send_message(
        host: &dyn Host,
        instance: &Instance,
        message: OutgoingMessage,
        options: &SendOptions,
    ) -> SendResult;

    // ---- receipts (optional) ----

    /// Marks a received message read (`receipts.mark-read`).
    fn mark_read(
        _host: &dyn Host,
        _instance: &Instance,
        _message_id: &str,
        _show_typing: bool,
    ) -> Result<(), ChannelError> {
        Err(unsupported("mark-read"))
    }

    // ---- media (optional) ----

    /// Uploads a file (`media.upload-media`).
    fn upload_media(_host: &dyn Host, _instance: &Instance, _upload: &MediaUpload) -> Result<String, ChannelError> {
        Err(unsupported("upload-media"))
    }

    /// Where a received file is (`media.locate-media`).
    fn locate_media(_host: &dyn Host, _instance: &Instance, _media_id: &str) -> Result<MediaLocation, ChannelError> {
        Err(unsupported("locate-media"))
    }

    /// Deletes an uploaded file (`media.delete-media`).
    fn delete_media(_host: &dyn Host, _instance: &Instance, _media_id: &str) -> Result<(), ChannelError> {
        Err(unsupported("delete-media"))
    }

    // ---- account (optional) ----

    /// Blocks or unblocks users (`account.block-users`).
    fn block_users(
        _host: &dyn Host,
        _instance: &Instance,
        _users: &[String],
        _block: bool,
    ) -> Result<BlockOutcome, ChannelError> {
        Err(unsupported("block-users"))
    }

    /// Reads the business profile (`account.get-business-profile`).
    fn get_business_profile(_host: &dyn Host, _instance: &Instance) -> Result<BusinessProfile, ChannelError> {
        Err(unsupported("get-business-profile"))
    }

    /// Changes the business profile (`account.update-business-profile`).
    fn update_business_profile(
        _host: &dyn Host,
        _instance: &Instance,
        _update: &ProfileUpdate,
    ) -> Result<(), ChannelError> {
        Err(unsupported("update-business-profile"))
    }

    // ---- calls (optional) ----

    /// Makes one call action (`calls.act-on-call`).
    fn act_on_call(_host: &dyn Host, _instance: &Instance, _action: &CallAction) -> Result<String, ChannelError> {
        Err(unsupported("act-on-call"))
    }

    // ---- groups (optional) ----

    /// Makes one group action (`groups.act-on-group`).
    fn act_on_group(
        _host: &dyn Host,
        _instance: &Instance,
        _action: &GroupAction,
    ) -> Result<GroupOutcome, ChannelError> {
        Err(unsupported("act-on-group"))
    }
}
