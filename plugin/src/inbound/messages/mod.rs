//! One received message → `message.received` (and the events that accompany some types).

use std::borrow::Cow;

mod notices;

pub use notices::{CALL_PERMISSION_EVENT, IDENTITY_EVENT};
use notices::{PermissionReply, identity_change, permission_reply};

use super::ChangeContext;
use super::content::{self, Click, Content, Field, Media};
use crate::chat_id;
use crate::event::EventSpec;
use crate::json::{Node, Object};
use crate::lenient::{str_field, timestamp_ms};
use crate::wit::events::{Event, EventKind};

/// Who sent a message, from the message and the `contacts` entry that matches it.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Sender<'n> {
    /// The sender's WhatsApp id (phone number as WhatsApp knows it); absent for username users.
    pub wa_id: Option<Cow<'n, str>>,
    /// The business-scoped user id (BSUID).
    pub user_id: Option<Cow<'n, str>>,
    pub parent_user_id: Option<Cow<'n, str>>,
    pub username: Option<Cow<'n, str>>,
    pub profile_name: Option<Cow<'n, str>>,
    /// The hash of the user's identity key, when the identity change check is on.
    pub identity_key_hash: Option<Cow<'n, str>>,
}

impl<'n> Sender<'n> {
    /// Matches the message to its contact by id, never by position: a batch's `contacts` need
    /// not line up with its `messages`.
    pub fn resolve(ctx: &ChangeContext<'n>, message: &'n Node<'n>) -> Self {
        let wa_id = str_field(message, "from");
        let user_id = str_field(message, "from_user_id");
        let contact = match (&wa_id, &user_id) {
            // A message that names no sender at all (seen from some senders with a username):
            // the change's only contact is who sent it.
            (None, None) if ctx.contacts.len() == 1 => ctx.contacts.first(),
            _ => ctx.contacts.iter().find(|c| {
                let same = |key: &str, id: &Option<Cow<'_, str>>| {
                    id.is_some() && str_field(c, key).as_deref() == id.as_deref()
                };
                same("wa_id", &wa_id) || same("user_id", &user_id)
            }),
        };
        let from_contact = |key: &str| contact.and_then(|c| str_field(c, key));
        let profile = |key: &str| contact.and_then(|c| c.get("profile")).and_then(|p| str_field(p, key));
        Self {
            wa_id: wa_id.or_else(|| from_contact("wa_id")),
            user_id: user_id.or_else(|| from_contact("user_id")),
            parent_user_id: from_contact("parent_user_id"),
            username: profile("username"),
            profile_name: profile("name"),
            identity_key_hash: from_contact("identity_key_hash"),
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
    fn to_json(&self) -> String {
        let mut sender = Object::with_capacity(128);
        sender
            .opt_str("waId", self.wa_id.as_deref())
            .opt_str("userId", self.user_id.as_deref())
            .opt_str("parentUserId", self.parent_user_id.as_deref())
            .opt_str("username", self.username.as_deref())
            .opt_str("profileName", self.profile_name.as_deref())
            .opt_str("identityKeyHash", self.identity_key_hash.as_deref());
        sender.finish()
    }
}

/// Maps one message object: `message.received`, plus `media.received` for media and
/// `reaction.received|removed` for reactions (omni's WhatsApp channels publish both).
pub(super) fn map<'n>(ctx: &ChangeContext<'n>, message: &'n Node<'n>, events: &mut Vec<Event>) {
    let external_id = str_field(message, "id");
    let key = &*super::item_key(external_id.as_deref(), message);
    let sender = Sender::resolve(ctx, message);
    let chat_id = match str_field(message, "group_id") {
        Some(group) => chat_id::group(&group),
        // No group and no sender: there is no chat to put it in, and an event with an empty
        // chat would reach omni's agents as one. Reported raw instead.
        None if sender.id().is_empty() => {
            let reason = "a message that names no sender (no `from`, `from_user_id` or single contact) and no group";
            events.push(super::unhandled(ctx.instance_id, ctx.business_account_id, "messages", message, Some(reason)));
            return;
        }
        None => sender.chat_id(),
    };
    let occurred_at_ms = timestamp_ms(message, "timestamp");
    let mut content = content::extract(message);
    // A file omni can fetch: the host's link, when it serves media (Meta's own URL needs the
    // instance's token).
    let link =
        content.media.as_ref().and_then(|m| str_field(m.object, "id")).and_then(|id| (ctx.links)(ctx.instance_id, &id));
    if let Some(link) = &link {
        content.fields.set("mediaUrl", Field::Str(Cow::Owned(link.clone())));
    }
    if content.fields.get_str("type") == Some("system") {
        // A notice about the user's identity, not something they wrote: no agent answers it.
        events.push(identity_change(ctx, key, external_id.as_deref(), &sender, message, occurred_at_ms));
        return;
    }
    if let Some(reply) = message.pointer("/interactive/call_permission_reply") {
        // The user's answer to the business's request to call them: a grant to act on, not a
        // message for an agent to answer.
        let reply = PermissionReply { key, chat_id: &chat_id, sender: &sender, reply, occurred_at_ms };
        events.push(permission_reply(ctx, &reply, message));
        return;
    }

    // omni applies an edit when a `message.received` repeats a stored message's id with
    // `rawPayload.isEdited`: the edit is published as the message it replaces, with its new
    // content (its own id stays in `editMessageId`, and in the event's id).
    let edit = content.edit.take().filter(|edit| edit.target.is_some());
    let (message_id, content_json) = match &edit {
        Some(edit) => (edit.target.as_deref(), edit.fields.to_json()),
        None => (external_id.as_deref(), content.fields.to_json()),
    };
    let mut payload = Object::with_capacity(message_bytes(message));
    payload
        .str("externalId", message_id.unwrap_or(""))
        .str("chatId", &chat_id)
        .str("from", sender.id())
        .json("content", &content_json)
        .opt_str("replyToId", message.pointer("/context/id").and_then(Node::as_str));
    let mut raw_payload = raw_payload(ctx, &sender, occurred_at_ms, message);
    if chat_id.ends_with(chat_id::GROUP_SUFFIX) {
        raw_payload.bool("isGroup", true);
    }
    if edit.is_some() {
        raw_payload
            .bool("isEdited", true)
            .opt_u64("editDate", occurred_at_ms)
            .opt_str("editMessageId", external_id.as_deref());
    }
    for (name, pointer) in [
        ("forwarded", "/context/forwarded"),
        ("frequentlyForwarded", "/context/frequently_forwarded"),
        ("referral", "/referral"),
        ("referredProduct", "/context/referred_product"),
        ("errors", "/errors"),
    ] {
        raw_payload.opt_node(name, message.pointer(pointer));
    }
    if let Some(reply) = &content.reply {
        raw_payload.json("reply", reply);
    }
    payload.object("rawPayload", raw_payload);

    let received = EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::MessageReceived,
        key: &[key],
        correlation_id: external_id.as_deref().map(str::to_owned),
        occurred_at_ms,
        payload: payload.finish(),
    }
    .build();
    let received_id = received.id.clone();
    events.push(received);

    if let Some(media) = &content.media {
        let received = MediaReceived { key, received_id: &received_id, chat_id: &chat_id, link: link.as_deref() };
        events.push(media_received(ctx, &received, media, external_id.as_deref(), occurred_at_ms));
    }
    if content.fields.get_str("type") == Some("reaction") {
        events.push(reaction_event(ctx, key, &chat_id, &sender, &content, message, occurred_at_ms));
    }
    if let Some(click) = &content.click {
        events.push(button_click(ctx, key, &chat_id, &sender, click, message, occurred_at_ms));
    }
}

/// omni's `message.button_click` for a tapped button or picked list row, beside the
/// `message.received` that shows the reply in the chat: `messageId` is the message that carried
/// the button, `callbackQueryId` the reply's own id, `data` what the business gave the button.
fn button_click(
    ctx: &ChangeContext<'_>,
    key: &str,
    chat_id: &str,
    sender: &Sender<'_>,
    click: &Click<'_>,
    message: &Node<'_>,
    occurred_at_ms: Option<u64>,
) -> Event {
    let mut payload = Object::new();
    payload
        .opt_node("callbackQueryId", present(message.get("id")))
        .opt_node("messageId", present(message.pointer("/context/id")))
        .str("chatId", chat_id)
        .str("from", sender.id())
        .opt_node("text", present(click.title))
        .opt_node("data", present(click.data))
        .node("rawPayload", message);
    EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::MessageButtonClick,
        key: &[key],
        correlation_id: str_field(message, "id").map(Cow::into_owned),
        occurred_at_ms,
        payload: payload.finish(),
    }
    .build()
}

/// Room for a `message.received` payload: the message twice (content and raw copy) and the
/// envelope, so that writing it rarely reallocates.
fn message_bytes(message: &Node<'_>) -> usize {
    let text = message.pointer("/text/body").and_then(Node::as_str).map_or(0, str::len);
    512 + 2 * text
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
    media: &Media<'_>,
    external_id: Option<&str>,
    occurred_at_ms: Option<u64>,
) -> Event {
    let object = media.object;
    let mut payload = Object::new();
    payload
        .str("eventId", received.received_id)
        .str_or_null("messageId", external_id)
        .str("chatId", received.chat_id)
        .str("kind", media.kind)
        .node_or_null("mediaId", object.get("id"))
        .node_or_null("mimeType", object.get("mime_type"))
        .node_or_null("sha256", object.get("sha256"));
    match received.link {
        Some(link) => payload.str("url", link),
        None => payload.opt_node("url", object.get("url")),
    };
    for (name, field) in
        [("filename", "filename"), ("caption", "caption"), ("voice", "voice"), ("animated", "animated")]
    {
        payload.opt_node(name, object.get(field));
    }
    EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::MediaReceived,
        key: &[received.key],
        correlation_id: external_id.map(str::to_owned),
        occurred_at_ms,
        payload: payload.finish(),
    }
    .build()
}

/// `reaction.received`, or `reaction.removed` when the emoji is empty.
fn reaction_event(
    ctx: &ChangeContext<'_>,
    key: &str,
    chat_id: &str,
    sender: &Sender<'_>,
    content: &Content<'_>,
    message: &Node<'_>,
    occurred_at_ms: Option<u64>,
) -> Event {
    let emoji = content.fields.get_str("emoji").unwrap_or("");
    let kind = if emoji.is_empty() { EventKind::ReactionRemoved } else { EventKind::ReactionReceived };
    let mut payload = Object::new();
    payload
        .str_or_null("messageId", content.fields.get_str("targetMessageId"))
        .str("chatId", chat_id)
        .str("from", sender.id())
        .str("emoji", emoji)
        .node("rawPayload", message);
    EventSpec {
        instance_id: ctx.instance_id,
        kind,
        key: &[key],
        correlation_id: str_field(message, "id").map(Cow::into_owned),
        occurred_at_ms,
        payload: payload.finish(),
    }
    .build()
}

/// What omni keeps of the provider's data: the message as Meta sent it, who sent it and to which
/// business number, and the keys omni's message persistence reads (the ones its WhatsApp
/// channel writes: `pushName`, `isFromMe`, `messageTimestamp` in seconds, `isForwarded`,
/// `quotedMessage`, `isGroup`). Meta says what a reply quotes only by id and sender, so
/// `quotedMessage` has those; it never names a chat, so there is no `chatName`. Absent values
/// are left out. Returned unfinished: `message.received` adds to it.
pub(super) fn raw_payload(
    ctx: &ChangeContext<'_>,
    sender: &Sender<'_>,
    occurred_at_ms: Option<u64>,
    message: &Node<'_>,
) -> Object {
    let seconds = occurred_at_ms.map(|ms| ms / 1000);
    let forwarded = ["/context/forwarded", "/context/frequently_forwarded"]
        .iter()
        .any(|p| message.pointer(p).and_then(Node::as_bool) == Some(true));
    let mut raw = Object::with_capacity(message_bytes(message));
    raw.str("provider", "whatsapp-cloud")
        .opt_str("businessAccountId", ctx.business_account_id)
        .opt_str("phoneNumberId", ctx.metadata.phone_number_id.as_deref())
        .opt_str("displayPhoneNumber", ctx.metadata.display_phone_number.as_deref())
        .opt_u64("timestamp", seconds)
        .opt_u64("messageTimestamp", seconds)
        .opt_str("pushName", sender.profile_name.as_deref())
        .bool("isFromMe", false)
        .bool("isForwarded", forwarded);
    if let Some(id) = message.pointer("/context/id").and_then(Node::as_str) {
        let mut quoted = Object::with_capacity(96);
        quoted.str("id", id).opt_node("from", message.pointer("/context/from").filter(|f| !f.is_null()));
        raw.object("quotedMessage", quoted);
    }
    raw.json("sender", &sender.to_json());
    if !message.is_null() {
        raw.node("message", message);
    }
    raw
}

/// A node that is there and not null.
pub(super) fn present<'n>(node: Option<&'n Node<'n>>) -> Option<&'n Node<'n>> {
    node.filter(|n| !n.is_null())
}
