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
        let contact = match (&wa_id, &user_id) {
            // A message that names no sender at all (seen from some senders with a username):
            // the change's only contact is who sent it.
            (None, None) if ctx.contacts.len() == 1 => ctx.contacts.first(),
            _ => ctx.contacts.iter().find(|c| {
                let same =
                    |key: &str, id: &Option<String>| id.is_some() && str_field(c, key).as_deref() == id.as_deref();
                same("wa_id", &wa_id) || same("user_id", &user_id)
            }),
        };
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
    let mut content = content::extract(message);
    // A file omni can fetch: the host's link, when it serves media (Meta's own URL needs the
    // instance's token).
    let link = content
        .media
        .as_ref()
        .and_then(|m| str_field(&m.object, "id"))
        .and_then(|id| (ctx.links)(ctx.instance_id, &id));
    if let Some(link) = &link {
        content.fields.insert("mediaUrl".into(), json!(link));
    }
    if content.fields.get("type").and_then(Value::as_str) == Some("system") {
        // A notice about the user's identity, not something they wrote: no agent answers it.
        events.push(identity_change(ctx, key, external_id.clone(), &sender, message, occurred_at_ms));
        return;
    }

    let mut payload = Map::new();
    payload.insert("externalId".into(), json!(external_id.as_deref().unwrap_or("")));
    payload.insert("chatId".into(), json!(chat_id));
    payload.insert("from".into(), json!(sender.id()));
    payload.insert("content".into(), Value::Object(content.fields.clone()));
    if let Some(reply_to) = message.pointer("/context/id").and_then(Value::as_str) {
        payload.insert("replyToId".into(), json!(reply_to));
    }
    let mut raw_payload = raw_payload(ctx, &sender, occurred_at_ms, message);
    if chat_id.ends_with(chat_id::GROUP_SUFFIX) {
        raw_payload["isGroup"] = json!(true);
    }
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
        let received = MediaReceived { key, received_id: &received_id, chat_id: &chat_id, link: link.as_deref() };
        events.push(media_received(ctx, &received, media, external_id.clone(), occurred_at_ms));
    }
    if content.fields.get("type").and_then(Value::as_str) == Some("reaction") {
        events.push(reaction_event(ctx, key, &chat_id, &sender, &content.fields, message, occurred_at_ms));
    }
}

/// The message a `media.received` accompanies.
struct MediaReceived<'a> {
    key: &'a str,
    received_id: &'a str,
    chat_id: &'a str,
    /// The host's link to the file.
    link: Option<&'a str>,
}

/// omni's `media.received`: `{eventId, mediaId, mimeType, url, ...}`. `url` is the host's link
/// (as `content.mediaUrl`), else the URL Meta sent, if any (which needs the token). Meta's
/// webhook gives no size, so none is invented here.
fn media_received(
    ctx: &ChangeContext<'_>,
    received: &MediaReceived<'_>,
    media: &Media,
    external_id: Option<String>,
    occurred_at_ms: Option<u64>,
) -> Event {
    let object = &media.object;
    let mut payload = json!({
        "eventId": received.received_id,
        "messageId": external_id,
        "chatId": received.chat_id,
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
    if let Some(link) = received.link {
        payload["url"] = json!(link);
    }
    EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::MediaReceived,
        key: &[received.key],
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

/// What omni keeps of the provider's data: the message as Meta sent it, who sent it and to which
/// business number, and the keys omni's message persistence reads (the ones its WhatsApp
/// channel writes: `pushName`, `isFromMe`, `messageTimestamp` in seconds, `isForwarded`,
/// `quotedMessage`, `isGroup`). Meta says what a reply quotes only by id and sender, so
/// `quotedMessage` has those; it never names a chat, so there is no `chatName`.
fn raw_payload(ctx: &ChangeContext<'_>, sender: &Sender, occurred_at_ms: Option<u64>, message: &Value) -> Value {
    let seconds = occurred_at_ms.map(|ms| ms / 1000);
    let forwarded = ["/context/forwarded", "/context/frequently_forwarded"]
        .iter()
        .any(|p| message.pointer(p).and_then(Value::as_bool) == Some(true));
    let quoted = message.pointer("/context/id").and_then(Value::as_str).map(|id| {
        let mut quoted = json!({ "id": id, "from": message.pointer("/context/from") });
        if let Some(object) = quoted.as_object_mut() {
            object.retain(|_, v| !v.is_null());
        }
        quoted
    });
    let mut raw = json!({
        "provider": "whatsapp-cloud",
        "businessAccountId": ctx.business_account_id,
        "phoneNumberId": ctx.metadata.phone_number_id,
        "displayPhoneNumber": ctx.metadata.display_phone_number,
        "timestamp": seconds,
        "messageTimestamp": seconds,
        "pushName": sender.profile_name,
        "isFromMe": false,
        "isForwarded": forwarded,
        "quotedMessage": quoted,
        "sender": sender.to_json(),
        "message": message,
    });
    if let Some(object) = raw.as_object_mut() {
        object.retain(|_, v| !v.is_null());
    }
    raw
}

/// omni event type for a notice that a user's identity changed (`system` messages: a new phone
/// number, a new business-scoped user id).
pub const IDENTITY_EVENT: &str = "custom.whatsapp-cloud.user.identity-changed";

/// `user_changed_number` / `user_changed_user_id`: which chat the user had, which one they have
/// now, and the ids on both sides, so a consumer can link the old chat to the new one.
fn identity_change(
    ctx: &ChangeContext<'_>,
    key: &str,
    external_id: Option<String>,
    sender: &Sender,
    message: &Value,
    occurred_at_ms: Option<u64>,
) -> Event {
    let system = message.get("system").unwrap_or(&Value::Null);
    let text = |value: &Value, field: &str| str_field(value, field).map(|s| s.into_owned());
    let new_wa_id = text(system, "wa_id").or_else(|| text(system, "new_wa_id"));
    let previous_user_id = text(system, "previous_user_id");
    let new_user_id = text(system, "user_id").or_else(|| previous_user_id.as_ref().and(sender.user_id.clone()));
    // Who the user was: the sender's ids as Meta gave them, the previous BSUID for a BSUID change.
    let before = Sender {
        wa_id: sender.wa_id.clone(),
        user_id: previous_user_id.clone().or_else(|| sender.user_id.clone()),
        ..Sender::default()
    };
    let after = Sender {
        wa_id: new_wa_id.clone().or_else(|| sender.wa_id.clone()),
        user_id: new_user_id.clone().or_else(|| sender.user_id.clone()),
        ..Sender::default()
    };
    let mut payload = json!({
        "externalId": external_id,
        "systemType": system.get("type"),
        "text": system.get("body"),
        "chatId": after.chat_id(),
        "previousChatId": before.chat_id(),
        "waId": after.wa_id,
        "previousWaId": before.wa_id,
        "userId": after.user_id,
        "previousUserId": before.user_id,
        "rawPayload": raw_payload(ctx, sender, occurred_at_ms, message),
    });
    if let Some(object) = payload.as_object_mut() {
        object.retain(|_, v| !v.is_null());
    }
    EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::Other(IDENTITY_EVENT.to_owned()),
        key: &[key],
        correlation_id: external_id,
        occurred_at_ms,
        payload,
    }
    .build()
}
