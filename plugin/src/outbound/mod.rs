//! Sending: omni messages → Graph API requests → receipts and events.

mod body;
pub(crate) mod checks;
mod contacts;
mod inline;
mod interactive;
mod objects;
mod template;

use serde_json::{Value, json};

use crate::call::Call;
use crate::chat_id::{self, Recipient};
use crate::config::InstanceConfig;
use crate::event::{EventSpec, send_failure};
use crate::graph::{self, Idempotency};
use crate::host::Host;
use crate::wit::events::{Event, EventKind};
use crate::wit::logging::Level;
use crate::wit::messaging::{Content, OutgoingMessage, SendOptions, SendReceipt};
use crate::wit::outbound_http::Method;
use crate::wit::types::{ChannelError, Instance, InvalidField};
use omni_channel_sdk::SendResult;

pub use body::message_body;
pub use inline::uploads_file;

/// Validates, sends and reports one message. Files carried in the message are uploaded first
/// and sent by id. A failure carries its `message.failed`, which the host publishes once it
/// stops retrying.
pub fn send_message(
    host: &dyn Host,
    instance: &Instance,
    message: OutgoingMessage,
    options: &SendOptions,
) -> SendResult {
    let to = message.to.clone();
    Call::run(host, instance, |call| try_send(call, message, options)).map_err(|error| {
        let chat_id = chat_id::parse_recipient(&to).map(|r| r.chat_id()).unwrap_or(to);
        send_failure(&instance.id, &chat_id, options, error)
    })
}

/// Marks a received message (and the chat up to it) as read, optionally showing a typing
/// indicator: `POST /{phone-number-id}/messages` with `status: read`.
pub fn mark_read(
    host: &dyn Host,
    instance: &Instance,
    message_id: &str,
    show_typing: bool,
) -> Result<(), ChannelError> {
    Call::run(host, instance, |call| {
        let config = &call.config;
        checks::text("message_id", message_id, 256).map_err(ChannelError::InvalidRequest)?;
        let mut body = json!({ "messaging_product": "whatsapp", "status": "read", "message_id": message_id });
        if show_typing {
            body["typing_indicator"] = json!({ "type": "text" });
        }
        let request =
            graph::request(config, Method::Post, &format!("{}/messages", config.phone_number_id), Some(&body));
        // Marking read twice is harmless: a lost answer can be retried.
        let response = graph::call(host, &request, Idempotency::Idempotent)?;
        match response.get("success").and_then(Value::as_bool) {
            Some(true) => Ok(()),
            _ => Err(ChannelError::Other(format!("Meta did not confirm the read receipt: {response}"))),
        }
    })
}

fn try_send(call: &Call<'_>, mut message: OutgoingMessage, options: &SendOptions) -> Result<SendReceipt, ChannelError> {
    let (host, instance, config) = (call.host, call.instance, &call.config);
    let recipient = chat_id::parse_recipient(&message.to)
        .map_err(|reason| ChannelError::InvalidRequest(InvalidField { field: "to".into(), reason }))?;
    // Everything is checked before a file is uploaded: a refused message uploads nothing.
    let uploads = inline::take(&mut message.content)?;
    let mut body = message_body(&message, &recipient).map_err(ChannelError::InvalidRequest)?;
    if !uploads.is_empty() {
        uploads.upload(call, &mut message.content)?;
        body = message_body(&message, &recipient).map_err(ChannelError::InvalidRequest)?;
    }
    let edge = endpoint(config, &message.content);
    if let Content::Template(t) = &message.content {
        let marketing_only = t.product_policy.is_some() || t.activity_sharing.is_some();
        if marketing_only && edge != "marketing_messages" {
            let reason = "`productPolicy` and `activitySharing` belong to the Marketing Messages API: mark the \
                          template marketing, on an instance with marketingMessages";
            return Err(ChannelError::InvalidRequest(InvalidField {
                field: "content.template".into(),
                reason: reason.into(),
            }));
        }
    }
    let path = format!("{}/{edge}", config.phone_number_id);
    let request = graph::request(config, Method::Post, &path, Some(&body));
    let response = graph::call(host, &request, Idempotency::NotIdempotent)?;

    let message_id = response
        .pointer("/messages/0/id")
        .and_then(Value::as_str)
        .ok_or_else(|| ChannelError::OutcomeUnknown("Meta accepted the request but returned no message id".into()))?
        .to_owned();
    let recipient_id = response.pointer("/contacts/0/wa_id").and_then(Value::as_str).map(str::to_owned);
    let recipient = resolved(recipient, recipient_id.as_deref());
    let sent = sent_event(&instance.id, &message_id, &recipient, &message, options);
    let event_id = sent.id.clone();
    if let Err(e) = host.publish(&[sent]) {
        // The message is out; its `sent` status webhook publishes the same event id later.
        call.log(Level::Warn, &format!("message.sent for {message_id} not published: {e:?}"));
    }
    Ok(SendReceipt {
        message_id,
        recipient_id,
        message_status: response.pointer("/messages/0/message_status").and_then(Value::as_str).map(str::to_owned),
        event_id,
    })
}

/// The edge a message is posted to: marketing templates go through the Marketing Messages API
/// when the instance is set up for it (same body, same answer), everything else to `messages`.
fn endpoint(config: &InstanceConfig, content: &Content) -> &'static str {
    match content {
        Content::Template(t) if config.marketing_messages && template::is_marketing(t) => "marketing_messages",
        _ => "messages",
    }
}

/// The recipient as Meta resolved it. A phone number can reach a user whose `wa_id` differs
/// from it (Brazil's ninth digit, Mexico's `521`): the chat is the `wa_id`'s, as in the
/// `message.received` and status events of that user.
fn resolved(recipient: Recipient, wa_id: Option<&str>) -> Recipient {
    match (recipient, wa_id) {
        (Recipient::Phone(_), Some(wa_id)) if !wa_id.is_empty() && wa_id.bytes().all(|b| b.is_ascii_digit()) => {
            Recipient::Phone(wa_id.to_owned())
        }
        (recipient, _) => recipient,
    }
}

/// `message.sent`, with the id the `sent` status webhook will also produce.
fn sent_event(
    instance_id: &str,
    message_id: &str,
    recipient: &Recipient,
    message: &OutgoingMessage,
    options: &SendOptions,
) -> Event {
    let mut payload = json!({
        "externalId": message_id,
        "chatId": recipient.chat_id(),
        "to": recipient.id(),
        "content": body::omni_content(&message.content),
    });
    if let Some(reply_to) = &message.reply_to {
        payload["replyToId"] = json!(reply_to);
    }
    EventSpec {
        instance_id,
        kind: EventKind::MessageSent,
        key: &[message_id],
        correlation_id: Some(options.correlation_id.clone()),
        occurred_at_ms: None,
        payload: payload.to_string(),
    }
    .build()
}

#[cfg(test)]
mod tests;
