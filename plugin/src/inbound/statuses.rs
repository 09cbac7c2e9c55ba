//! One status update → `message.sent|delivered|read|failed`.

use serde_json::{Map, Value, json};

use super::ChangeContext;
use crate::chat_id;
use crate::event::EventSpec;
use crate::graph::errors::is_retryable_code;
use crate::lenient::{code_field, str_field, timestamp_ms};
use crate::wit::events::{Event, EventKind};

/// Maps one status object.
pub(super) fn map(ctx: &ChangeContext<'_>, status: &Value, events: &mut Vec<Event>) {
    let external_id = str_field(status, "id").map(|s| s.into_owned()).unwrap_or_default();
    let state = status.get("status").and_then(Value::as_str).unwrap_or("");
    let occurred_at_ms = timestamp_ms(status, "timestamp");
    let recipient = str_field(status, "recipient_id").or_else(|| str_field(status, "recipient_user_id"));
    let recipient = recipient.as_deref().unwrap_or("");
    let is_group = status.get("recipient_type").and_then(Value::as_str) == Some("group");
    let chat_id = if is_group {
        chat_id::group(recipient)
    } else if str_field(status, "recipient_id").is_none() && !recipient.is_empty() {
        chat_id::bsuid(recipient)
    } else {
        chat_id::user(recipient)
    };
    let participant = str_field(status, "recipient_participant_id");

    let mut payload = Map::new();
    payload.insert("externalId".into(), json!(external_id));
    payload.insert("chatId".into(), json!(chat_id));
    let kind = match state {
        "sent" => {
            payload.insert("to".into(), json!(recipient));
            if let Some(at) = occurred_at_ms {
                payload.insert("sentAt".into(), json!(at));
            }
            EventKind::MessageSent
        }
        "delivered" => {
            payload.insert("deliveredAt".into(), json!(occurred_at_ms));
            EventKind::MessageDelivered
        }
        "read" => {
            payload.insert("readAt".into(), json!(occurred_at_ms));
            EventKind::MessageRead
        }
        // A voice message was played: omni has no such event, and its WhatsApp channel reports
        // "played" as read. `status` says which it was.
        "played" => {
            payload.insert("readAt".into(), json!(occurred_at_ms));
            payload.insert("playedAt".into(), json!(occurred_at_ms));
            EventKind::MessageRead
        }
        "failed" => {
            insert_failure(&mut payload, status);
            EventKind::MessageFailed
        }
        _ => {
            payload.insert("providerStatus".into(), json!(state));
            EventKind::Other(format!("custom.whatsapp-cloud.status.{}", sanitise(state)))
        }
    };
    payload.insert("status".into(), json!(state));
    for (key, name) in [
        ("biz_opaque_callback_data", "callbackData"),
        ("pricing", "pricing"),
        ("conversation", "conversation"),
        ("recipient_participant_id", "participantId"),
    ] {
        if let Some(value) = status.get(key) {
            payload.insert(name.into(), value.clone());
        }
    }
    payload.insert("rawPayload".into(), status.clone());

    // `message.sent` has the same id whether it comes from the send path or from this status.
    let participant = participant.as_deref().unwrap_or("");
    let raw;
    let key: Vec<&str> = match (&kind, external_id.is_empty()) {
        (_, true) => {
            raw = status.to_string();
            vec![&raw]
        }
        (EventKind::MessageSent, false) if participant.is_empty() => vec![&external_id],
        (_, false) => vec![&external_id, state, participant],
    };
    events.push(
        EventSpec {
            instance_id: ctx.instance_id,
            kind,
            key: &key,
            correlation_id: Some(external_id.clone()).filter(|id| !id.is_empty()),
            occurred_at_ms,
            payload: Value::Object(payload),
        }
        .build(),
    );
}

/// `error`, `errorCode`, `retryable` and Meta's details, from the first error of a `failed`.
fn insert_failure(payload: &mut Map<String, Value>, status: &Value) {
    let first = status.get("errors").and_then(Value::as_array).and_then(|e| e.first());
    let code = first.and_then(|e| code_field(e, "code"));
    let text = |key: &str| first.and_then(|e| e.get(key)).and_then(Value::as_str);
    let message = text("message").or(text("title")).unwrap_or("message failed");
    payload.insert("error".into(), json!(message));
    payload.insert("errorCode".into(), json!(code.map(|c| c.to_string())));
    payload.insert("errorTitle".into(), json!(text("title")));
    payload.insert("errorDetails".into(), json!(first.and_then(|e| e.pointer("/error_data/details"))));
    payload.insert("retryable".into(), json!(code.is_some_and(is_retryable_code)));
}

/// Keeps a status name usable inside an event subject.
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
