//! One received message → `message.received` (and the events that accompany some types).

use serde_json::{Map, Value, json};

use super::ChangeContext;
use super::content::{self, Media};
use crate::chat_id;
use crate::event::EventSpec;
use crate::lenient::{str_field, timestamp_ms};
use crate::wit::events::{Event, EventKind};

/// Who sent a message, from the message and the `contacts` entry that matches it.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Sender {
    /// The sender's WhatsApp id (phone number as WhatsApp knows it); absent for username users.
    pub wa_id: Option<String>,
    /// The business-scoped user id (BSUID).
    pub user_id: Option<String>,
    pub parent_user_id: Option<String>,
    pub username: Option<String>,
    pub profile_name: Option<String>,
}

impl Sender {
    /// Matches the message to its contact by id, never by position: a batch's `contacts` need
    /// not line up with its `messages`.
    pub fn resolve(ctx: &ChangeContext<'_>, message: &Value) -> Self {
        let wa_id = str_field(message, "from").map(|s| s.into_owned());
        let user_id = str_field(message, "from_user_id").map(|s| s.into_owned());
        let contact = ctx.contacts.iter().find(|c| {
            let same = |key: &str, id: &Option<String>| id.is_some() && str_field(c, key).as_deref() == id.as_deref();
            same("wa_id", &wa_id) || same("user_id", &user_id)
        });
        let from_contact = |key: &str| contact.and_then(|c| str_field(c, key)).map(|s| s.into_owned());
        let profile =
            |key: &str| contact.and_then(|c| c.get("profile")).and_then(|p| str_field(p, key)).map(|s| s.into_owned());
        Self {
            wa_id: wa_id.or_else(|| from_contact("wa_id")),
            user_id: user_id.or_else(|| from_contact("user_id")),
            parent_user_id: from_contact("parent_user_id"),
            username: profile("username"),
            profile_name: profile("name"),
        }
    }

    /// omni's `from`: the wa_id, or the BSUID for users without a visible number.
    pub fn id(&self) -> &str {
        self.wa_id.as_deref().or(self.user_id.as_deref()).unwrap_or("")
    }

    /// The direct chat with this sender.
    pub fn chat_id(&self) -> String {
        match (&self.wa_id, &self.user_id) {
            (Some(wa_id), _) => chat_id::user(wa_id),
            (None, Some(user_id)) => chat_id::bsuid(user_id),
            (None, None) => String::new(),
        }
    }

    /// The known ids and names (absent ones left out).
    fn to_json(&self) -> Value {
        let mut sender = json!({
            "waId": self.wa_id,
            "userId": self.user_id,
            "parentUserId": self.parent_user_id,
            "username": self.username,
            "profileName": self.profile_name,
        });
        if let Some(object) = sender.as_object_mut() {
            object.retain(|_, v| !v.is_null());
        }
        sender
    }
}

/// Maps one message object: `message.received`, plus `media.received` for media and
/// `reaction.received|removed` for reactions (omni's WhatsApp channels publish both).
pub(super) fn map(ctx: &ChangeContext<'_>, message: &Value, events: &mut Vec<Event>) {
    let external_id = str_field(message, "id").map(|s| s.into_owned());
    // A message without an id still gets a stable event id, from its raw bytes.
    let raw_key;
    let key = match &external_id {
        Some(id) => id.as_str(),
        None => {
            raw_key = message.to_string();
            raw_key.as_str()
        }
    };
    let sender = Sender::resolve(ctx, message);
    let chat_id = match str_field(message, "group_id") {
        Some(group) => chat_id::group(&group),
        None => sender.chat_id(),
    };
    let occurred_at_ms = timestamp_ms(message, "timestamp");
    let content = content::extract(message);

    let mut payload = Map::new();
    payload.insert("externalId".into(), json!(external_id.as_deref().unwrap_or("")));
    payload.insert("chatId".into(), json!(chat_id));
    payload.insert("from".into(), json!(sender.id()));
    payload.insert("content".into(), Value::Object(content.fields.clone()));
    if let Some(reply_to) = message.pointer("/context/id").and_then(Value::as_str) {
        payload.insert("replyToId".into(), json!(reply_to));
    }
    let mut raw_payload = raw_payload(ctx, &sender, occurred_at_ms, message);
    for (name, pointer) in [
        ("forwarded", "/context/forwarded"),
        ("frequentlyForwarded", "/context/frequently_forwarded"),
        ("referral", "/referral"),
        ("referredProduct", "/context/referred_product"),
        ("errors", "/errors"),
    ] {
        if let Some(value) = message.pointer(pointer) {
            raw_payload[name] = value.clone();
        }
    }
    if let Some(reply) = &content.reply {
        raw_payload["reply"] = reply.clone();
    }
    payload.insert("rawPayload".into(), raw_payload);

    let received = EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::MessageReceived,
        key: &[key],
        correlation_id: external_id.clone(),
        occurred_at_ms,
        payload: Value::Object(payload),
    }
    .build();
    let received_id = received.id.clone();
    events.push(received);

    if let Some(media) = &content.media {
        events.push(media_received(ctx, key, &received_id, &chat_id, media, external_id.clone(), occurred_at_ms));
    }
    if content.fields.get("type").and_then(Value::as_str) == Some("reaction") {
        events.push(reaction_event(ctx, key, &chat_id, &sender, &content.fields, message, occurred_at_ms));
    }
}

/// omni's `media.received`: `{eventId, mediaId, mimeType, ...}`. Meta's webhook gives no size
/// and no public URL (the file is fetched by id through `media.download-media`), so neither is
/// invented here; `url` appears only when Meta sent one.
fn media_received(
    ctx: &ChangeContext<'_>,
    key: &str,
    received_id: &str,
    chat_id: &str,
    media: &Media,
    external_id: Option<String>,
    occurred_at_ms: Option<u64>,
) -> Event {
    let object = &media.object;
    let mut payload = json!({
        "eventId": received_id,
        "messageId": external_id,
        "chatId": chat_id,
        "kind": media.kind,
        "mediaId": object.get("id"),
        "mimeType": object.get("mime_type"),
        "sha256": object.get("sha256"),
    });
    for (name, field) in
        [("url", "url"), ("filename", "filename"), ("caption", "caption"), ("voice", "voice"), ("animated", "animated")]
    {
        if let Some(value) = object.get(field) {
            payload[name] = value.clone();
        }
    }
    EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::MediaReceived,
        key: &[key],
        correlation_id: external_id,
        occurred_at_ms,
        payload,
    }
    .build()
}

/// `reaction.received`, or `reaction.removed` when the emoji is empty.
fn reaction_event(
    ctx: &ChangeContext<'_>,
    key: &str,
    chat_id: &str,
    sender: &Sender,
    content: &Map<String, Value>,
    message: &Value,
    occurred_at_ms: Option<u64>,
) -> Event {
    let emoji = content.get("emoji").and_then(Value::as_str).unwrap_or("");
    let kind = if emoji.is_empty() { EventKind::ReactionRemoved } else { EventKind::ReactionReceived };
    EventSpec {
        instance_id: ctx.instance_id,
        kind,
        key: &[key],
        correlation_id: str_field(message, "id").map(|s| s.into_owned()),
        occurred_at_ms,
        payload: json!({
            "messageId": content.get("targetMessageId"),
            "chatId": chat_id,
            "from": sender.id(),
            "emoji": emoji,
            "rawPayload": message,
        }),
    }
    .build()
}

/// What omni keeps of the provider's data: the message as Meta sent it, plus who sent it and to
/// which business number.
fn raw_payload(ctx: &ChangeContext<'_>, sender: &Sender, occurred_at_ms: Option<u64>, message: &Value) -> Value {
    let mut raw = json!({
        "provider": "whatsapp-cloud",
        "businessAccountId": ctx.business_account_id,
        "phoneNumberId": ctx.metadata.phone_number_id,
        "displayPhoneNumber": ctx.metadata.display_phone_number,
        "timestamp": occurred_at_ms.map(|ms| ms / 1000),
        "pushName": sender.profile_name,
        "sender": sender.to_json(),
        "message": message,
    });
    if let Some(object) = raw.as_object_mut() {
        object.retain(|_, v| !v.is_null());
    }
    raw
}
