//! The `standby` field: copies of what happens in a conversation another app handles (Meta
//! Business Agent or a partner holds the thread). Kept and marked, never dropped: each message,
//! status or echo is mapped as usual, then published under `custom.whatsapp-cloud.standby.*`
//! with `standby: true`, so that omni stores and shows it but no agent answers it (answering
//! would take the thread over from its handler).

use super::{ChangeContext, messages, statuses, unhandled};
use crate::chat_id;
use crate::event::{EventSpec, event_id, omni_name};
use crate::json::{Node, Object};
use crate::lenient::{str_field, timestamp_ms};
use crate::wit::events::{Event, EventKind};

/// The prefix of standby events: `custom.whatsapp-cloud.standby.message.received`...
pub const STANDBY_PREFIX: &str = "custom.whatsapp-cloud.standby.";
/// What the active handler sent, as a copy.
pub const STANDBY_ECHO_EVENT: &str = "custom.whatsapp-cloud.standby.echo";

/// Maps one `standby` change: `value.standby` holds `messages` (with `contacts`),
/// `message_echoes` or `statuses`.
pub(super) fn map(ctx: &ChangeContext<'_>, value: &Node<'_>, events: &mut Vec<Event>) {
    let Some(standby) = value.get("standby").filter(|s| s.members().is_some()) else {
        let reason = "a `standby` change without a `standby` object";
        events.push(unhandled(ctx.instance_id, ctx.business_account_id, "standby", value, Some(reason)));
        return;
    };
    let list = |key: &str| standby.get(key).and_then(Node::as_array).unwrap_or_default();
    let inner = ChangeContext { contacts: list("contacts"), ..*ctx };
    for message in list("messages") {
        let mut one = Vec::new();
        messages::map(&inner, message, &mut one);
        events.extend(mark_together(ctx.instance_id, one));
    }
    for status in list("statuses") {
        let mut one = Vec::new();
        statuses::map(&inner, status, &mut one);
        events.extend(mark_together(ctx.instance_id, one));
    }
    for echo in list("message_echoes") {
        events.push(echo_event(ctx, echo));
    }
}

/// The events of one item (a message and what accompanies it) under their standby names. A
/// `media.received` names its message by event id: the message's standby id now. Only the
/// item's own few events are searched, so a large standby batch costs what its items cost.
fn mark_together(instance_id: &str, item: Vec<Event>) -> Vec<Event> {
    let original_ids: Vec<String> = item.iter().map(|event| event.id.clone()).collect();
    let mut marked: Vec<Event> = item.into_iter().map(|event| mark(instance_id, event)).collect();
    let renamed: Vec<(String, String)> = original_ids.into_iter().zip(marked.iter().map(|e| e.id.clone())).collect();
    for event in &mut marked {
        for (old, new) in &renamed {
            let reference = format!("\"eventId\":\"{old}\"");
            if event.payload.contains(&reference) {
                event.payload = event.payload.replace(&reference, &format!("\"eventId\":\"{new}\""));
            }
        }
    }
    marked
}

/// The event under its standby name, its id derived from the original's, `standby: true`
/// first in its payload. What was reported unhandled stays unhandled.
fn mark(instance_id: &str, event: Event) -> Event {
    if omni_name(&event.kind) == super::UNHANDLED_EVENT {
        return event;
    }
    let kind = EventKind::Other(format!("{STANDBY_PREFIX}{}", omni_name(&event.kind)));
    let id = event_id(instance_id, &kind, &[&event.id]);
    let payload = match event.payload.strip_prefix('{') {
        Some("}") | None => "{\"standby\":true}".to_owned(),
        Some(rest) => format!("{{\"standby\":true,{rest}"),
    };
    Event { id, kind, payload, ..event }
}

/// `{id, timestamp, message: <the send request's body>}`: what the handler sent, and to whom.
fn echo_event(ctx: &ChangeContext<'_>, echo: &Node<'_>) -> Event {
    let sent = echo.get("message").unwrap_or(&crate::json::NULL);
    let chat = match (str_field(sent, "to"), str_field(sent, "recipient")) {
        (Some(to), _) if str_field(sent, "recipient_type").as_deref() == Some("group") => Some(chat_id::group(&to)),
        (Some(to), _) => Some(chat_id::user(&to)),
        (None, Some(user_id)) => Some(chat_id::bsuid(&user_id)),
        (None, None) => None,
    };
    let external_id = str_field(echo, "id");
    let mut payload = Object::new();
    payload
        .bool("standby", true)
        .opt_str("externalId", external_id.as_deref())
        .opt_str("chatId", chat.as_deref())
        .opt_node("messageType", sent.get("type"))
        .opt_str("phoneNumberId", ctx.metadata.phone_number_id.as_deref())
        .node("rawPayload", echo);
    let key = super::item_key(external_id.as_deref(), echo);
    EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::Other(STANDBY_ECHO_EVENT.to_owned()),
        key: &[&key],
        correlation_id: external_id.as_deref().map(str::to_owned),
        occurred_at_ms: timestamp_ms(echo, "timestamp"),
        payload: payload.finish(),
    }
    .build()
}
