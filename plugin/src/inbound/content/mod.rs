//! Meta message types → omni content: one table, [`CONTENT_RULES`], used for received
//! messages, edited messages and business echoes alike.
//!
//! omni's content object is `{type, text?, mediaUrl?, mimeType?}`; the channel adds the type's
//! own fields under names omni's WhatsApp channels already use (`caption`, `filename`, `emoji`,
//! `targetMessageId`, `location`, `contact`...). Interactive and button replies become text,
//! as omni expects, with the reply's id kept in [`Content::reply`].

use std::borrow::Cow;

use omni_channel_vocabulary::MediaKindName;

use crate::json::{Node, Object};

/// What a message says, in omni's terms.
#[derive(Debug, Default)]
pub(crate) struct Content<'n> {
    /// omni's `content` object.
    pub fields: Fields<'n>,
    /// The id and title of the button or list row a reply picked (JSON), for
    /// `rawPayload.reply`.
    pub reply: Option<String>,
    /// Media the message carries, for `media.received`.
    pub media: Option<Media<'n>>,
    /// The button or list row a reply picked, for `message.button_click`.
    pub click: Option<Click<'n>>,
    /// What an edit changed, for omni's edit convention (see `messages::map`).
    pub edit: Option<Edit<'n>>,
}

/// A tapped button or picked list row: what it said and the data the business gave it.
#[derive(Debug, Clone)]
pub(crate) struct Click<'n> {
    /// The button's or row's label.
    pub title: Option<&'n Node<'n>>,
    /// The id (interactive replies) or payload (template quick replies) the business set.
    pub data: Option<&'n Node<'n>>,
}

/// An edited message: the message it replaces and its new content.
#[derive(Debug, Default)]
pub(crate) struct Edit<'n> {
    pub target: Option<Cow<'n, str>>,
    pub fields: Fields<'n>,
}

/// Media attached to a message.
#[derive(Debug, Clone)]
pub(crate) struct Media<'n> {
    /// omni's content type (`image`, `audio`...).
    pub kind: &'static str,
    /// Meta's media object (`id`, `mime_type`, `sha256`, ...).
    pub object: &'n Node<'n>,
}

/// One value of the content object.
#[derive(Debug, Clone)]
pub(crate) enum Field<'n> {
    Str(Cow<'n, str>),
    Bool(bool),
    /// Meta's data, as it came.
    Node(&'n Node<'n>),
    /// JSON written here (a nested object).
    Json(String),
}

/// The content object's members; setting a key again replaces its value.
#[derive(Debug, Default, Clone)]
pub(crate) struct Fields<'n>(Vec<(&'static str, Field<'n>)>);

impl<'n> Fields<'n> {
    pub fn set(&mut self, key: &'static str, value: Field<'n>) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Field<'n>> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// A member's value when it is text.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            Field::Str(s) => Some(s),
            Field::Node(node) => node.as_str(),
            _ => None,
        }
    }

    /// The object's JSON text.
    pub fn to_json(&self) -> String {
        let mut object = Object::with_capacity(64);
        for (key, value) in &self.0 {
            match value {
                Field::Str(s) => object.str(key, s),
                Field::Bool(b) => object.bool(key, *b),
                Field::Node(node) => object.node(key, node),
                Field::Json(json) => object.json(key, json),
            };
        }
        object.finish()
    }
}

/// How one Meta message type becomes omni content.
pub(crate) struct ContentRule {
    /// Meta's `type`, or `interactive.<subtype>` for interactive replies.
    pub meta_type: &'static str,
    /// omni's `content.type`.
    pub omni_type: &'static str,
    /// Fills in the content from the type's object (`message[type]`).
    extract: for<'n> fn(&'n Node<'n>, &mut Content<'n>),
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
pub(crate) fn meta_type<'n>(message: &'n Node<'_>) -> &'n str {
    if let Some(meta_type) = message.get("type").and_then(Node::as_str) {
        return meta_type;
    }
    let names_a_type = |key: &str| CONTENT_RULES.iter().any(|r| r.meta_type.split('.').next() == Some(key));
    let mut candidates =
        message.members().unwrap_or_default().iter().map(|(k, _)| k.as_ref()).filter(|k| names_a_type(k));
    let Some(first) = candidates.next() else { return "" };
    // A key repeated is still one key.
    if candidates.all(|other| other == first) { first } else { "" }
}

/// The table key of a message: its type, refined by the subtype for interactive replies.
fn rule_key<'n>(message: &'n Node<'_>) -> Cow<'n, str> {
    let meta_type = meta_type(message);
    if meta_type == "interactive" {
        let sub = message.pointer("/interactive/type").and_then(Node::as_str).unwrap_or("");
        Cow::Owned(format!("interactive.{sub}"))
    } else {
        Cow::Borrowed(meta_type)
    }
}

/// The omni content of a message object.
pub(crate) fn extract<'n>(message: &'n Node<'n>) -> Content<'n> {
    extract_at_depth(message, 0)
}

fn extract_at_depth<'n>(message: &'n Node<'n>, depth: u8) -> Content<'n> {
    let key = rule_key(message);
    let object = message.get(meta_type(message)).unwrap_or(&crate::json::NULL);
    let mut content = Content::default();
    // An edit carries the new message; an edit of an edit is not something Meta sends, and
    // refusing to recurse keeps hostile payloads from nesting without bound.
    let rule = CONTENT_RULES.iter().find(|r| r.meta_type == key).filter(|r| depth == 0 || r.meta_type != "edit");
    match rule {
        Some(rule) => {
            content.fields.set("type", Field::Str(Cow::Borrowed(rule.omni_type)));
            (rule.extract)(object, &mut content);
        }
        None => content.fields.set("type", Field::Str(Cow::Borrowed("unknown"))),
    }
    if content.fields.get_str("type") == Some("unknown") {
        // Which of Meta's types this was, so a consumer can still make sense of it.
        content.fields.set("providerType", Field::Str(Cow::Owned(key.into_owned())));
    }
    content
}

/// `content[key]` = `object[field]`, when that is a string.
fn set_str<'n>(content: &mut Content<'n>, key: &'static str, object: &'n Node<'n>, field: &str) {
    if let Some(Node::Str(value)) = object.get(field) {
        content.fields.set(key, Field::Str(Cow::Borrowed(value)));
    }
}

fn nothing<'n>(_: &'n Node<'n>, _: &mut Content<'n>) {}

fn text<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    set_str(content, "text", object, "body");
}

/// image, video, audio, document, sticker: `{id, mime_type, sha256, caption?, filename?,
/// voice?, animated?, url?}`. The caption is also the text, as in omni's WhatsApp channel.
fn media<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    set_str(content, "mediaId", object, "id");
    set_str(content, "mimeType", object, "mime_type");
    set_str(content, "sha256", object, "sha256");
    set_str(content, "caption", object, "caption");
    set_str(content, "text", object, "caption");
    set_str(content, "filename", object, "filename");
    set_str(content, "url", object, "url");
    for flag in ["voice", "animated"] {
        if let Some(value) = object.get(flag).and_then(Node::as_bool) {
            content.fields.set(flag, Field::Bool(value));
        }
    }
    if content.fields.get_str("type") == Some("audio") {
        // omni's name for the flag (its WhatsApp channel sets it on every audio message).
        let voice = object.get("voice").and_then(Node::as_bool).unwrap_or(false);
        content.fields.set("isVoiceNote", Field::Bool(voice));
    }
    let omni_type = content.fields.get_str("type");
    if let Some(kind) = omni_type.and_then(MediaKindName::parse) {
        content.media = Some(Media { kind: kind.as_str(), object });
    }
}

/// The legacy `voice` type: an audio file that is a voice note.
fn voice_note<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    media(object, content);
    content.fields.set("voice", Field::Bool(true));
    content.fields.set("isVoiceNote", Field::Bool(true));
}

fn location<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    let mut location = Object::with_capacity(128);
    for key in ["latitude", "longitude", "name", "address", "url"] {
        location.opt_node(key, object.get(key).filter(|v| !v.is_null()));
    }
    content.fields.set("location", Field::Json(location.finish()));
}

/// Contact cards: omni's single `contact {name, phone}` from the first card, every card as Meta
/// sent it in `contacts`, and the names as text.
fn contacts<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    let cards = object.as_array().unwrap_or_default();
    let name = |card: &'n Node<'n>| card.pointer("/name/formatted_name").and_then(Node::as_str);
    let names: Vec<&str> = cards.iter().filter_map(name).collect();
    if !names.is_empty() {
        content.fields.set("text", Field::Str(Cow::Owned(names.join(", "))));
    }
    if let Some(first) = cards.first() {
        let mut contact = Object::with_capacity(96);
        contact
            .opt_str("name", name(first))
            .opt_str("phone", first.pointer("/phones/0/phone").and_then(Node::as_str))
            .opt_str("email", first.pointer("/emails/0/email").and_then(Node::as_str));
        content.fields.set("contact", Field::Json(contact.finish()));
    }
    let cards = if object.as_array().is_some() { Field::Node(object) } else { Field::Json("[]".into()) };
    content.fields.set("contacts", cards);
}

/// `interactive.button_reply` / `list_reply`: the picked title as text, its id kept.
fn picked_reply<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    // `object` is the `interactive` object; the reply sits under its subtype.
    let sub = object.get("type").and_then(Node::as_str).unwrap_or("");
    let picked = object.get(sub).unwrap_or(&crate::json::NULL);
    set_str(content, "text", picked, "title");
    let mut reply = Object::with_capacity(96);
    reply
        .str("type", sub)
        .node_or_null("id", picked.get("id"))
        .node_or_null("title", picked.get("title"))
        .opt_node("description", picked.get("description"));
    content.reply = Some(reply.finish());
    content.click = Some(Click { title: picked.get("title"), data: picked.get("id") });
}

/// The text of a flow reply that carries no `body`.
pub(crate) const FLOW_REPLY_TEXT: &str = "Flow response";

/// `interactive.nfm_reply`: a WhatsApp Flow's answer. Its `response_json` is parsed when it is
/// JSON, kept as text otherwise.
fn flow_reply<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    let flow = object.get("nfm_reply").unwrap_or(&crate::json::NULL);
    set_str(content, "text", flow, "body");
    // Meta documents a `body` ("Sent"), but a reply without one is still an answer: text
    // content always has text, and the answers themselves are in `rawPayload.reply.response`.
    if content.fields.get_str("text").is_none_or(str::is_empty) {
        content.fields.set("text", Field::Str(Cow::Borrowed(FLOW_REPLY_TEXT)));
    }
    let mut reply = Object::with_capacity(128);
    reply.str("type", "nfm_reply").node_or_null("name", flow.get("name")).node_or_null("body", flow.get("body"));
    match flow.get("response_json") {
        Some(Node::Str(s)) => match Node::parse(s.as_bytes()) {
            Ok(response) => reply.node("response", &response),
            Err(_) => reply.str("response", s),
        },
        other => reply.node_or_null("response", other),
    };
    content.reply = Some(reply.finish());
}

/// `interactive.call_permission_reply`: not a message to answer, but kept whole.
fn call_permission<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    let mut reply = Object::with_capacity(96);
    reply.str("type", "call_permission_reply").node_or_null("response", object.get("call_permission_reply"));
    content.reply = Some(reply.finish());
}

/// `button`: a template's quick-reply button: its text as text, its payload as the reply id.
fn template_button<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    set_str(content, "text", object, "text");
    let mut reply = Object::with_capacity(96);
    reply.str("type", "button").node_or_null("id", object.get("payload")).node_or_null("title", object.get("text"));
    content.reply = Some(reply.finish());
    content.click = Some(Click { title: object.get("text"), data: object.get("payload") });
}

/// A missing or empty emoji means the reaction was removed.
fn reaction<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    let emoji = object.get("emoji").and_then(Node::as_str).unwrap_or("");
    content.fields.set("emoji", Field::Str(Cow::Borrowed(emoji)));
    set_str(content, "targetMessageId", object, "message_id");
}

fn order<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    if let Some(text) = object.get("text").and_then(Node::as_str).filter(|t| !t.is_empty()) {
        content.fields.set("text", Field::Str(Cow::Borrowed(text)));
    }
    content.fields.set("order", Field::Node(object));
}

/// `system`: a number or identity change, told in `body`.
fn system<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    set_str(content, "text", object, "body");
    set_str(content, "systemType", object, "type");
    content.fields.set("system", Field::Node(object));
}

/// `edit`: points at the original message and carries its new content.
fn edit<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    set_str(content, "targetMessageId", object, "original_message_id");
    let target = object.get("original_message_id").and_then(Node::as_str).map(Cow::Borrowed);
    if let Some(message) = object.get("message") {
        let edited = extract_at_depth(message, 1);
        if let Some(text) = edited.fields.get("text") {
            content.fields.set("text", text.clone());
        }
        content.fields.set("editedContent", Field::Json(edited.fields.to_json()));
        content.edit = Some(Edit { target, fields: edited.fields });
    }
}

/// `revoke`: the user deleted a message.
fn revoke<'n>(object: &'n Node<'n>, content: &mut Content<'n>) {
    set_str(content, "targetMessageId", object, "original_message_id");
}

#[cfg(test)]
mod tests;
