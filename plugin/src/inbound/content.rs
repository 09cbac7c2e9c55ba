//! Meta message types → omni content: one table, [`CONTENT_RULES`], used for received
//! messages, edited messages and business echoes alike.
//!
//! omni's content object is `{type, text?, mediaUrl?, mimeType?}`; the channel adds the type's
//! own fields under names omni's WhatsApp channels already use (`caption`, `filename`, `emoji`,
//! `targetMessageId`, `location`, `contact`...). Interactive and button replies become text,
//! as omni expects, with the reply's id kept in [`Content::reply`].

use serde_json::{Map, Value, json};

/// What a message says, in omni's terms.
#[derive(Debug, Default)]
pub(crate) struct Content {
    /// omni's `content` object.
    pub fields: Map<String, Value>,
    /// The id and title of the button or list row a reply picked, for `rawPayload.reply`.
    pub reply: Option<Value>,
    /// Media the message carries, for `media.received`.
    pub media: Option<Media>,
}

/// Media attached to a message.
#[derive(Debug, Clone)]
pub(crate) struct Media {
    /// omni's content type (`image`, `audio`...).
    pub kind: &'static str,
    /// Meta's media object (`id`, `mime_type`, `sha256`, ...).
    pub object: Value,
}

/// How one Meta message type becomes omni content.
pub(crate) struct ContentRule {
    /// Meta's `type`, or `interactive.<subtype>` for interactive replies.
    pub meta_type: &'static str,
    /// omni's `content.type`.
    pub omni_type: &'static str,
    /// Fills in the content from the type's object (`message[type]`).
    extract: fn(&Value, &mut Content),
}

/// Every message type the channel understands. Anything else becomes `unknown`.
pub(crate) const CONTENT_RULES: &[ContentRule] = &[
    ContentRule { meta_type: "text", omni_type: "text", extract: text },
    ContentRule { meta_type: "image", omni_type: "image", extract: media },
    ContentRule { meta_type: "video", omni_type: "video", extract: media },
    ContentRule { meta_type: "audio", omni_type: "audio", extract: media },
    // Older API versions (and some BSPs) send voice notes as their own type.
    ContentRule { meta_type: "voice", omni_type: "audio", extract: voice_note },
    ContentRule { meta_type: "document", omni_type: "document", extract: media },
    ContentRule { meta_type: "sticker", omni_type: "sticker", extract: media },
    ContentRule { meta_type: "location", omni_type: "location", extract: location },
    ContentRule { meta_type: "contacts", omni_type: "contact", extract: contacts },
    ContentRule { meta_type: "interactive.button_reply", omni_type: "text", extract: picked_reply },
    ContentRule { meta_type: "interactive.list_reply", omni_type: "text", extract: picked_reply },
    ContentRule { meta_type: "interactive.nfm_reply", omni_type: "text", extract: flow_reply },
    ContentRule { meta_type: "interactive.call_permission_reply", omni_type: "unknown", extract: call_permission },
    ContentRule { meta_type: "button", omni_type: "text", extract: template_button },
    ContentRule { meta_type: "reaction", omni_type: "reaction", extract: reaction },
    ContentRule { meta_type: "order", omni_type: "order", extract: order },
    ContentRule { meta_type: "system", omni_type: "system", extract: system },
    ContentRule { meta_type: "request_welcome", omni_type: "request_welcome", extract: nothing },
    ContentRule { meta_type: "edit", omni_type: "edit", extract: edit },
    ContentRule { meta_type: "revoke", omni_type: "delete", extract: revoke },
    ContentRule { meta_type: "unsupported", omni_type: "unknown", extract: nothing },
];

/// A message's type: `type`, or — for a message without one — the one key it carries that names
/// a type of [`CONTENT_RULES`] (`{"from", "id", "image": {...}}` is an image).
pub(crate) fn meta_type(message: &Value) -> &str {
    if let Some(meta_type) = message.get("type").and_then(Value::as_str) {
        return meta_type;
    }
    let Some(object) = message.as_object() else { return "" };
    let mut candidates =
        object.keys().filter(|key| CONTENT_RULES.iter().any(|r| r.meta_type.split('.').next() == Some(key.as_str())));
    match (candidates.next(), candidates.next()) {
        (Some(only), None) => only,
        _ => "",
    }
}

/// The table key of a message: its type, refined by the subtype for interactive replies.
fn rule_key(message: &Value) -> String {
    let meta_type = meta_type(message);
    if meta_type == "interactive" {
        let sub = message.pointer("/interactive/type").and_then(Value::as_str).unwrap_or("");
        format!("interactive.{sub}")
    } else {
        meta_type.to_owned()
    }
}

/// The omni content of a message object.
pub(crate) fn extract(message: &Value) -> Content {
    extract_at_depth(message, 0)
}

fn extract_at_depth(message: &Value, depth: u8) -> Content {
    let key = rule_key(message);
    let object = message.get(meta_type(message)).unwrap_or(&Value::Null);
    let mut content = Content::default();
    // An edit carries the new message; an edit of an edit is not something Meta sends, and
    // refusing to recurse keeps hostile payloads from nesting without bound.
    let rule = CONTENT_RULES.iter().find(|r| r.meta_type == key).filter(|r| depth == 0 || r.meta_type != "edit");
    match rule {
        Some(rule) => {
            content.fields.insert("type".into(), json!(rule.omni_type));
            (rule.extract)(object, &mut content);
        }
        None => {
            content.fields.insert("type".into(), json!("unknown"));
        }
    }
    if content.fields["type"] == "unknown" {
        // Which of Meta's types this was, so a consumer can still make sense of it.
        content.fields.insert("providerType".into(), json!(key));
    }
    content
}

fn set_str(content: &mut Content, key: &str, object: &Value, field: &str) {
    if let Some(value) = object.get(field).and_then(Value::as_str) {
        content.fields.insert(key.into(), json!(value));
    }
}

fn nothing(_: &Value, _: &mut Content) {}

fn text(object: &Value, content: &mut Content) {
    set_str(content, "text", object, "body");
}

/// image, video, audio, document, sticker: `{id, mime_type, sha256, caption?, filename?,
/// voice?, animated?, url?}`. The caption is also the text, as in omni's WhatsApp channel.
fn media(object: &Value, content: &mut Content) {
    set_str(content, "mediaId", object, "id");
    set_str(content, "mimeType", object, "mime_type");
    set_str(content, "sha256", object, "sha256");
    set_str(content, "caption", object, "caption");
    set_str(content, "text", object, "caption");
    set_str(content, "filename", object, "filename");
    set_str(content, "url", object, "url");
    for flag in ["voice", "animated"] {
        if let Some(value) = object.get(flag).and_then(Value::as_bool) {
            content.fields.insert(flag.into(), json!(value));
        }
    }
    let omni_type = content.fields.get("type").and_then(Value::as_str);
    if let Some(kind) = MEDIA_TYPES.into_iter().find(|kind| Some(*kind) == omni_type) {
        content.media = Some(Media { kind, object: object.clone() });
    }
}

/// The legacy `voice` type: an audio file that is a voice note.
fn voice_note(object: &Value, content: &mut Content) {
    media(object, content);
    content.fields.insert("voice".into(), json!(true));
}

/// omni content types that carry a downloadable file.
const MEDIA_TYPES: [&str; 5] = ["image", "video", "audio", "document", "sticker"];

fn location(object: &Value, content: &mut Content) {
    let mut location = Map::new();
    for (key, field) in
        [("latitude", "latitude"), ("longitude", "longitude"), ("name", "name"), ("address", "address"), ("url", "url")]
    {
        if let Some(value) = object.get(field).filter(|v| !v.is_null()) {
            location.insert(key.into(), value.clone());
        }
    }
    content.fields.insert("location".into(), Value::Object(location));
}

/// Contact cards: omni's single `contact {name, phone}` from the first card, every card as Meta
/// sent it in `contacts`, and the names as text.
fn contacts(object: &Value, content: &mut Content) {
    let cards = object.as_array().cloned().unwrap_or_default();
    let name = |card: &Value| card.pointer("/name/formatted_name").and_then(Value::as_str).map(str::to_owned);
    let names: Vec<String> = cards.iter().filter_map(name).collect();
    if !names.is_empty() {
        content.fields.insert("text".into(), json!(names.join(", ")));
    }
    if let Some(first) = cards.first() {
        let mut contact = Map::new();
        if let Some(n) = name(first) {
            contact.insert("name".into(), json!(n));
        }
        if let Some(phone) = first.pointer("/phones/0/phone").and_then(Value::as_str) {
            contact.insert("phone".into(), json!(phone));
        }
        if let Some(email) = first.pointer("/emails/0/email").and_then(Value::as_str) {
            contact.insert("email".into(), json!(email));
        }
        content.fields.insert("contact".into(), Value::Object(contact));
    }
    content.fields.insert("contacts".into(), Value::Array(cards));
}

/// `interactive.button_reply` / `list_reply`: the picked title as text, its id kept.
fn picked_reply(object: &Value, content: &mut Content) {
    // `object` is the `interactive` object; the reply sits under its subtype.
    let sub = object.get("type").and_then(Value::as_str).unwrap_or("");
    let picked = object.get(sub).unwrap_or(&Value::Null);
    set_str(content, "text", picked, "title");
    let mut reply = json!({ "type": sub, "id": picked.get("id"), "title": picked.get("title") });
    if let Some(description) = picked.get("description") {
        reply["description"] = description.clone();
    }
    content.reply = Some(reply);
}

/// `interactive.nfm_reply`: a WhatsApp Flow's answer. Its `response_json` is parsed when it is
/// JSON, kept as text otherwise.
fn flow_reply(object: &Value, content: &mut Content) {
    let flow = object.get("nfm_reply").unwrap_or(&Value::Null);
    set_str(content, "text", flow, "body");
    let response = match flow.get("response_json") {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or_else(|_| json!(s)),
        Some(other) => other.clone(),
        None => Value::Null,
    };
    content.reply = Some(json!({
        "type": "nfm_reply",
        "name": flow.get("name"),
        "body": flow.get("body"),
        "response": response,
    }));
}

/// `interactive.call_permission_reply`: not a message to answer, but kept whole.
fn call_permission(object: &Value, content: &mut Content) {
    let reply = object.get("call_permission_reply").cloned().unwrap_or(Value::Null);
    content.reply = Some(json!({ "type": "call_permission_reply", "response": reply }));
}

/// `button`: a template's quick-reply button: its text as text, its payload as the reply id.
fn template_button(object: &Value, content: &mut Content) {
    set_str(content, "text", object, "text");
    content.reply = Some(json!({ "type": "button", "id": object.get("payload"), "title": object.get("text") }));
}

/// A missing or empty emoji means the reaction was removed.
fn reaction(object: &Value, content: &mut Content) {
    let emoji = object.get("emoji").and_then(Value::as_str).unwrap_or("");
    content.fields.insert("emoji".into(), json!(emoji));
    set_str(content, "targetMessageId", object, "message_id");
}

fn order(object: &Value, content: &mut Content) {
    if let Some(text) = object.get("text").and_then(Value::as_str).filter(|t| !t.is_empty()) {
        content.fields.insert("text".into(), json!(text));
    }
    content.fields.insert("order".into(), object.clone());
}

/// `system`: a number or identity change, told in `body`.
fn system(object: &Value, content: &mut Content) {
    set_str(content, "text", object, "body");
    set_str(content, "systemType", object, "type");
    content.fields.insert("system".into(), object.clone());
}

/// `edit`: points at the original message and carries its new content.
fn edit(object: &Value, content: &mut Content) {
    set_str(content, "targetMessageId", object, "original_message_id");
    if let Some(message) = object.get("message") {
        let edited = extract_at_depth(message, 1);
        if let Some(text) = edited.fields.get("text") {
            content.fields.insert("text".into(), text.clone());
        }
        content.fields.insert("editedContent".into(), Value::Object(edited.fields));
    }
}

/// `revoke`: the user deleted a message.
fn revoke(object: &Value, content: &mut Content) {
    set_str(content, "targetMessageId", object, "original_message_id");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(message: Value) -> Value {
        Value::Object(extract(&message).fields)
    }

    #[test]
    fn the_readme_documents_every_rule() {
        for rule in CONTENT_RULES {
            let row = super::super::readme_row(rule.meta_type);
            assert!(row.contains(&format!("| `{}` |", rule.omni_type)), "README row disagrees with the code: {row}");
        }
    }

    #[test]
    fn table_keys_are_unique() {
        for (i, rule) in CONTENT_RULES.iter().enumerate() {
            assert!(CONTENT_RULES[i + 1..].iter().all(|r| r.meta_type != rule.meta_type), "{}", rule.meta_type);
        }
    }

    #[test]
    fn media_keeps_id_mime_sha_and_caption_as_text() {
        let c = extract(&json!({"type": "document", "document": {"id": "1", "mime_type": "application/pdf",
            "sha256": "abc", "caption": "Q3", "filename": "q3.pdf"}}));
        assert_eq!(
            Value::Object(c.fields),
            json!({"type": "document", "mediaId": "1", "mimeType": "application/pdf", "sha256": "abc",
                   "caption": "Q3", "text": "Q3", "filename": "q3.pdf"})
        );
        assert_eq!(c.media.unwrap().kind, "document");
    }

    #[test]
    fn voice_and_animated_flags() {
        assert_eq!(content(json!({"type": "audio", "audio": {"id": "1", "voice": true}}))["voice"], true);
        assert_eq!(content(json!({"type": "sticker", "sticker": {"id": "1", "animated": false}}))["animated"], false);
    }

    #[test]
    fn replies_become_text_with_their_id_kept() {
        let c = extract(&json!({"type": "interactive", "interactive": {"type": "list_reply",
            "list_reply": {"id": "express", "title": "Express", "description": "1 day"}}}));
        assert_eq!(Value::Object(c.fields), json!({"type": "text", "text": "Express"}));
        assert_eq!(
            c.reply.unwrap(),
            json!({"type": "list_reply", "id": "express", "title": "Express", "description": "1 day"})
        );
        let c = extract(&json!({"type": "button", "button": {"payload": "STOP", "text": "Stop promotions"}}));
        assert_eq!(c.fields["text"], "Stop promotions");
        assert_eq!(c.reply.unwrap()["id"], "STOP");
    }

    #[test]
    fn flow_replies_parse_their_json() {
        let c = extract(&json!({"type": "interactive", "interactive": {"type": "nfm_reply",
            "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"rating\":\"5\"}"}}}));
        assert_eq!(c.reply.unwrap()["response"], json!({"rating": "5"}));
    }

    #[test]
    fn empty_or_missing_emoji_is_kept_empty() {
        assert_eq!(content(json!({"type": "reaction", "reaction": {"message_id": "m", "emoji": ""}}))["emoji"], "");
        assert_eq!(content(json!({"type": "reaction", "reaction": {"message_id": "m"}}))["emoji"], "");
    }

    #[test]
    fn edits_point_at_the_original_and_carry_the_new_text() {
        let c = content(json!({"type": "edit", "edit": {"original_message_id": "wamid.O",
            "message": {"type": "text", "text": {"body": "fixed"}}}}));
        assert_eq!(
            c,
            json!({"type": "edit", "targetMessageId": "wamid.O", "text": "fixed",
            "editedContent": {"type": "text", "text": "fixed"}})
        );
        // An edit inside an edit is not followed.
        let nested = content(json!({"type": "edit", "edit": {"message": {"type": "edit", "edit": {}}}}));
        assert_eq!(nested["editedContent"]["type"], "unknown");
    }

    #[test]
    fn legacy_voice_notes_are_audio() {
        let c = extract(
            &json!({"type": "voice", "voice": {"id": "9", "mime_type": "audio/ogg; codecs=opus", "sha256": "x"}}),
        );
        assert_eq!(c.fields["type"], "audio");
        assert_eq!(c.fields["voice"], true);
        assert_eq!(c.fields["mediaId"], "9");
        assert_eq!(c.media.unwrap().kind, "audio");
    }

    #[test]
    fn a_message_without_type_is_read_by_its_content_key() {
        let c = extract(&json!({"from": "1", "id": "wamid.X", "timestamp": "1", "text": {"body": "typeless"}}));
        assert_eq!(Value::Object(c.fields), json!({"type": "text", "text": "typeless"}));
        let c = extract(&json!({"from": "1", "id": "wamid.X", "image": {"id": "5", "mime_type": "image/jpeg"}}));
        assert_eq!(c.fields["type"], "image");
        // Two candidate keys: ambiguous, unknown.
        let c = extract(&json!({"text": {"body": "a"}, "image": {"id": "5"}}));
        assert_eq!(c.fields["type"], "unknown");
    }

    #[test]
    fn unknown_and_unsupported_types_keep_their_name() {
        assert_eq!(
            content(json!({"type": "hologram", "hologram": {}})),
            json!({"type": "unknown", "providerType": "hologram"})
        );
        assert_eq!(content(json!({"type": "unsupported"}))["providerType"], "unsupported");
        assert_eq!(content(json!({"id": "no type"}))["type"], "unknown");
        assert_eq!(
            content(json!({"type": "interactive", "interactive": {"type": "carousel_reply"}}))["providerType"],
            "interactive.carousel_reply"
        );
    }
}
