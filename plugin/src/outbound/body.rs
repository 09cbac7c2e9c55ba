//! Outgoing message → the JSON body of `POST /{phone-number-id}/messages`, validated before
//! anything is sent. The kinds with many rules have their own modules.

use serde_json::{Map, Value, json};

use super::checks::{self, invalid};
use super::objects::{insert_filename, location_object, media_type, source_object};
use super::{contacts, interactive, template};
use crate::chat_id::Recipient;
use crate::constants::MAX_TEXT_CHARS;
use crate::wit::message_parts::MediaSource;
use crate::wit::messaging::{Content, MediaContent, OutgoingMessage};
use crate::wit::templates::ProductPolicy;
use crate::wit::types::{InvalidField, MediaKind};

/// Longest media caption, in characters.
const MAX_CAPTION_CHARS: usize = 1024;
/// Longest `biz_opaque_callback_data`.
const MAX_CALLBACK_DATA_CHARS: usize = 512;

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
        checks::text("reply_to", reply_to, 256)?;
        body.insert("context".into(), json!({ "message_id": reply_to }));
    }
    if let Some(data) = &message.callback_data {
        checks::text("callback_data", data, MAX_CALLBACK_DATA_CHARS)?;
        body.insert("biz_opaque_callback_data".into(), json!(data));
    }
    if let Some(hash) = &message.identity_key_hash {
        if matches!(recipient, Recipient::Group(_)) {
            return Err(invalid("identity_key_hash", "a group has no identity key: check one person's"));
        }
        checks::text("identity_key_hash", hash, 256)?;
        body.insert("recipient_identity_key_hash".into(), json!(hash));
    }
    if let Content::Template(t) = &message.content {
        if let Some(policy) = t.product_policy {
            let name = match policy {
                ProductPolicy::CloudApiFallback => "CLOUD_API_FALLBACK",
                ProductPolicy::Strict => "STRICT",
            };
            body.insert("product_policy".into(), json!(name));
        }
        if let Some(sharing) = t.activity_sharing {
            body.insert("message_activity_sharing".into(), json!(sharing));
        }
    }
    Ok(Value::Object(body))
}

/// The Graph `type` and the object under that key.
fn content_object(content: &Content) -> Result<(&'static str, Value), InvalidField> {
    match content {
        Content::Text(text) => {
            checks::text("content.body", &text.body, MAX_TEXT_CHARS)?;
            Ok(("text", json!({ "body": text.body, "preview_url": text.preview_url })))
        }
        Content::Media(media) => media_object(media),
        Content::Template(t) => Ok(("template", template::object(t)?)),
        Content::Interactive(i) => Ok(("interactive", interactive::object(i)?)),
        Content::Location(location) => Ok(("location", location_object("content", location)?)),
        Content::Contacts(cards) => Ok(("contacts", contacts::array(cards)?)),
        Content::Reaction(reaction) => {
            checks::text("content.message_id", &reaction.message_id, 256)?;
            // An empty emoji removes the reaction.
            let emoji = reaction.emoji.as_deref().unwrap_or("");
            checks::at_most("content.emoji", emoji, 16)?;
            Ok(("reaction", json!({ "message_id": reaction.message_id, "emoji": emoji })))
        }
    }
}

fn media_object(media: &MediaContent) -> Result<(&'static str, Value), InvalidField> {
    let kind = media_type(media.kind);
    let mut object = source_object("content.source", &media.source)?;
    if let Some(caption) = &media.caption {
        if matches!(media.kind, MediaKind::Audio | MediaKind::Sticker) {
            return Err(invalid("content.caption", format!("WhatsApp does not show captions on {kind} messages")));
        }
        checks::text("content.caption", caption, MAX_CAPTION_CHARS)?;
        object.insert("caption".into(), json!(caption));
    }
    insert_filename(&mut object, "content.filename", media.kind, media.filename.as_deref())?;
    if media.voice {
        if media.kind != MediaKind::Audio {
            return Err(invalid("content.voice", format!("only audio can be a voice note, not {kind}")));
        }
        object.insert("voice".into(), json!(true));
    }
    Ok((kind, Value::Object(object)))
}

/// omni's `content` for a `message.sent` event.
pub fn omni_content(content: &Content) -> Value {
    match content {
        Content::Text(text) => json!({ "type": "text", "text": text.body }),
        Content::Media(media) => {
            let mut c = json!({ "type": media_type(media.kind) });
            match &media.source {
                MediaSource::Link(link) => c["mediaUrl"] = json!(link),
                MediaSource::Id(id) => c["mediaId"] = json!(id),
                MediaSource::Bytes(inline) => c["mimeType"] = json!(inline.mime_type),
            }
            if let Some(caption) = &media.caption {
                c["text"] = json!(caption);
            }
            if media.voice {
                c["voice"] = json!(true);
            }
            if let Some(filename) = &media.filename {
                c["filename"] = json!(filename);
            }
            c
        }
        Content::Template(t) => json!({ "type": "template", "templateName": t.name, "language": t.language }),
        Content::Interactive(i) => {
            json!({ "type": "text", "text": i.body, "interactive": interactive::kind_name(&i.action) })
        }
        Content::Location(l) => json!({ "type": "location", "location": {
            "latitude": l.latitude, "longitude": l.longitude, "name": l.name, "address": l.address } }),
        Content::Contacts(cards) => {
            let names: Vec<&str> = cards.iter().map(|c| c.name.formatted_name.as_str()).collect();
            json!({ "type": "contact", "text": names.join(", ") })
        }
        Content::Reaction(r) => {
            json!({ "type": "reaction", "emoji": r.emoji.as_deref().unwrap_or(""), "targetMessageId": r.message_id })
        }
    }
}
