//! One status update → `message.sent|delivered|read|failed`.

use super::ChangeContext;
use crate::chat_id;
use crate::event::EventSpec;
use crate::graph::errors::is_retryable_code;
use crate::json::{Node, Object};
use crate::lenient::{code_field, str_field, timestamp_ms};
use crate::wit::events::{Event, EventKind};

/// Maps one status object.
pub(super) fn map(ctx: &ChangeContext<'_>, status: &Node<'_>, events: &mut Vec<Event>) {
    let external_id = str_field(status, "id").unwrap_or_default();
    let state = status.get("status").and_then(Node::as_str).unwrap_or("");
    let occurred_at_ms = timestamp_ms(status, "timestamp");
    let recipient = str_field(status, "recipient_id").or_else(|| str_field(status, "recipient_user_id"));
    let Some(recipient) = recipient.as_deref().filter(|r| !r.is_empty()) else {
        // No chat to attach it to (`@s.whatsapp.net` alone is no chat): reported raw.
        let reason = "a status that names no recipient (no `recipient_id` or `recipient_user_id`)";
        events.push(super::unhandled(ctx.instance_id, ctx.business_account_id, "statuses", status, Some(reason)));
        return;
    };
    let is_group = status.get("recipient_type").and_then(Node::as_str) == Some("group");
    let chat_id = if is_group {
        chat_id::group(recipient)
    } else if str_field(status, "recipient_id").is_none() {
        chat_id::bsuid(recipient)
    } else {
        chat_id::user(recipient)
    };
    let participant = str_field(status, "recipient_participant_id");

    let mut payload = Object::with_capacity(512);
    payload.str("externalId", &external_id).str("chatId", &chat_id);
    let kind = match state {
        "sent" => {
            payload.str("to", recipient).opt_u64("sentAt", occurred_at_ms);
            EventKind::MessageSent
        }
        "delivered" => {
            payload.u64_or_null("deliveredAt", occurred_at_ms);
            EventKind::MessageDelivered
        }
        "read" => {
            payload.u64_or_null("readAt", occurred_at_ms);
            EventKind::MessageRead
        }
        // A voice message was played: omni has no such event, and its WhatsApp channel reports
        // "played" as read. `status` says which it was.
        "played" => {
            payload.u64_or_null("readAt", occurred_at_ms).u64_or_null("playedAt", occurred_at_ms);
            EventKind::MessageRead
        }
        "failed" => {
            write_failure(&mut payload, status);
            EventKind::MessageFailed
        }
        _ => {
            payload.str("providerStatus", state);
            EventKind::Other(format!("custom.whatsapp-cloud.status.{}", sanitise(state)))
        }
    };
    payload.str("status", state);
    for (key, name) in [
        ("biz_opaque_callback_data", "callbackData"),
        ("pricing", "pricing"),
        ("conversation", "conversation"),
        ("recipient_participant_id", "participantId"),
        // With the identity change check on: the key the message was checked against, to
        // keep for the next `recipientIdentityKeyHash`.
        ("recipient_identity_key_hash", "recipientIdentityKeyHash"),
    ] {
        payload.opt_node(name, status.get(key));
    }
    payload.node("rawPayload", status);

    // `message.sent` has the same id whether it comes from the send path or from this status.
    let participant = participant.as_deref().unwrap_or("");
    let raw;
    let key: Vec<&str> = match (&kind, external_id.is_empty()) {
        (_, true) => {
            raw = status.to_canonical_json();
            vec![&raw]
        }
        (EventKind::MessageSent, false) if participant.is_empty() => vec![external_id.as_ref()],
        (_, false) => vec![external_id.as_ref(), state, participant],
    };
    events.push(
        EventSpec {
            instance_id: ctx.instance_id,
            kind,
            key: &key,
            correlation_id: Some(external_id.to_string()).filter(|id| !id.is_empty()),
            occurred_at_ms,
            payload: payload.finish(),
        }
        .build(),
    );
}

/// `error`, `errorCode`, `retryable` and Meta's details, from the first error of a `failed`.
fn write_failure(payload: &mut Object, status: &Node<'_>) {
    let first = status.get("errors").and_then(Node::as_array).and_then(<[Node<'_>]>::first);
    let code = first.and_then(|e| code_field(e, "code"));
    let text = |key: &str| first.and_then(|e| e.get(key)).and_then(Node::as_str);
    let message = text("message").or(text("title")).unwrap_or("message failed");
    payload
        .str("error", message)
        .str_or_null("errorCode", code.map(|c| c.to_string()).as_deref())
        .str_or_null("errorTitle", text("title"))
        .node_or_null("errorDetails", first.and_then(|e| e.pointer("/error_data/details")))
        .bool("retryable", code.is_some_and(is_retryable_code));
}

/// A status name fit for an event type (a subject token): lowercase letters, digits, `_`, `-`,
/// at most [`MAX_STATUS_NAME`] of them; anything longer is `unknown` (its name stays in
/// `providerStatus`), so that no status can make an event type the bus refuses.
fn sanitise(state: &str) -> String {
    let name: String = state
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c.to_ascii_lowercase() } else { '_' })
        .collect();
    if name.is_empty() || name.len() > MAX_STATUS_NAME { "unknown".into() } else { name }
}

/// Longest status name kept in an event type (Meta's are a few letters).
const MAX_STATUS_NAME: usize = 32;
