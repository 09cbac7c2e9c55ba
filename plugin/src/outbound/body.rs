//! Outgoing message → the JSON body of `POST /{phone-number-id}/messages`, validated before
//! anything is sent. The kinds with many rules have their own modules.

use serde_json::{Map, Value, json};

use super::checks::{self, invalid};
use super::{contacts, interactive, template};
use crate::chat_id::Recipient;
use crate::wit::messaging::{Content, HeaderMedia, LocationContent, MediaContent, MediaSource, OutgoingMessage};
use crate::wit::types::{InvalidField, MediaKind};

/// Longest text message, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;
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

/// The Graph name of a media kind.
pub fn media_type(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "image",
        MediaKind::Video => "video",
        MediaKind::Audio => "audio",
        MediaKind::Document => "document",
        MediaKind::Sticker => "sticker",
    }
}

/// `{"id": ...}` or `{"link": ...}`.
pub fn source_object(field: &str, source: &MediaSource) -> Result<Map<String, Value>, InvalidField> {
    let mut object = Map::new();
    match source {
        MediaSource::Id(id) => {
            checks::text(&format!("{field}.id"), id, 128)?;
            object.insert("id".into(), json!(id));
        }
        MediaSource::Link(link) => {
            checks::http_url(&format!("{field}.link"), link)?;
            object.insert("link".into(), json!(link));
        }
        // `send_message` uploads inline files before it builds the body.
        MediaSource::Bytes(_) => {
            return Err(invalid(&format!("{field}.bytes"), "inline files are uploaded by send-message"));
        }
    }
    Ok(object)
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

/// Adds a file name to a media object: documents only (WhatsApp shows it under the file).
fn insert_filename(
    object: &mut Map<String, Value>,
    field: &str,
    kind: MediaKind,
    filename: Option<&str>,
) -> Result<(), InvalidField> {
    if let Some(filename) = filename {
        if kind != MediaKind::Document {
            return Err(invalid(field, "only documents have a file name"));
        }
        checks::text(field, filename, 240)?;
        object.insert("filename".into(), json!(filename));
    }
    Ok(())
}

/// The media of a template or interactive header: `{"type": kind, kind: {id | link, filename?}}`.
pub fn header_media_object(field: &str, media: &HeaderMedia) -> Result<Value, InvalidField> {
    if !matches!(media.kind, MediaKind::Image | MediaKind::Video | MediaKind::Document) {
        return Err(invalid(&format!("{field}.kind"), "headers take an image, a video or a document"));
    }
    let kind = media_type(media.kind);
    let mut source = source_object(&format!("{field}.source"), &media.source)?;
    insert_filename(&mut source, &format!("{field}.filename"), media.kind, media.filename.as_deref())?;
    let mut object = Map::new();
    object.insert("type".into(), json!(kind));
    object.insert(kind.into(), Value::Object(source));
    Ok(Value::Object(object))
}

/// `{latitude, longitude, name?, address?}`, coordinates in range.
pub fn location_object(field: &str, location: &LocationContent) -> Result<Value, InvalidField> {
    if !(location.latitude.is_finite() && (-90.0..=90.0).contains(&location.latitude)) {
        return Err(invalid(&format!("{field}.latitude"), "must be between -90 and 90"));
    }
    if !(location.longitude.is_finite() && (-180.0..=180.0).contains(&location.longitude)) {
        return Err(invalid(&format!("{field}.longitude"), "must be between -180 and 180"));
    }
    let mut object = json!({ "latitude": location.latitude, "longitude": location.longitude });
    for (key, value) in [("name", &location.name), ("address", &location.address)] {
        if let Some(value) = value {
            checks::text(&format!("{field}.{key}"), value, 1000)?;
            object[key] = json!(value);
        }
    }
    Ok(object)
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
