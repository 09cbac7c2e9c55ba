//! Outgoing message → Graph API request body, validated before anything is sent.

use serde_json::{Map, Value, json};

use crate::chat_id::Recipient;
use crate::wit::messaging::{Content, OutgoingMessage};
use crate::wit::types::InvalidField;

/// Longest text message Meta accepts, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;

fn invalid(field: &str, reason: impl Into<String>) -> InvalidField {
    InvalidField { field: field.to_owned(), reason: reason.into() }
}

/// The JSON body of `POST /{phone-number-id}/messages`.
pub fn message_body(message: &OutgoingMessage, recipient: &Recipient) -> Result<Value, InvalidField> {
    let mut body = Map::new();
    body.insert("messaging_product".into(), json!("whatsapp"));
    match recipient {
        Recipient::Phone(number) => {
            body.insert("recipient_type".into(), json!("individual"));
            body.insert("to".into(), json!(number));
        }
        Recipient::UserId(id) => {
            body.insert("recipient_type".into(), json!("individual"));
            body.insert("recipient".into(), json!(id));
        }
        Recipient::Group(id) => {
            body.insert("recipient_type".into(), json!("group"));
            body.insert("to".into(), json!(id));
        }
    }
    let (kind, object) = content_object(&message.content)?;
    body.insert("type".into(), json!(kind));
    body.insert(kind.into(), object);
    if let Some(reply_to) = &message.reply_to {
        if reply_to.trim().is_empty() {
            return Err(invalid("reply_to", "must not be empty"));
        }
        body.insert("context".into(), json!({ "message_id": reply_to }));
    }
    if let Some(data) = &message.callback_data {
        body.insert("biz_opaque_callback_data".into(), json!(data));
    }
    Ok(Value::Object(body))
}

/// The Graph `type` and the object under that key.
fn content_object(content: &Content) -> Result<(&'static str, Value), InvalidField> {
    match content {
        Content::Text(text) => {
            let chars = text.body.chars().count();
            if text.body.trim().is_empty() {
                return Err(invalid("content.body", "text must not be empty"));
            }
            if chars > MAX_TEXT_CHARS {
                return Err(invalid(
                    "content.body",
                    format!("text has {chars} characters; WhatsApp allows {MAX_TEXT_CHARS}"),
                ));
            }
            let mut object = json!({ "body": text.body });
            if text.preview_url {
                object["preview_url"] = json!(true);
            }
            Ok(("text", object))
        }
        other => Err(invalid("content", format!("{} messages are not supported yet", content_name(other)))),
    }
}

fn content_name(content: &Content) -> &'static str {
    match content {
        Content::Text(_) => "text",
        Content::Media(_) => "media",
        Content::Template(_) => "template",
        Content::Interactive(_) => "interactive",
        Content::Location(_) => "location",
        Content::Contacts(_) => "contacts",
        Content::Reaction(_) => "reaction",
    }
}

/// omni's `content` for a `message.sent` event.
pub fn omni_content(content: &Content) -> Value {
    match content {
        Content::Text(text) => json!({ "type": "text", "text": text.body }),
        other => json!({ "type": content_name(other) }),
    }
}
