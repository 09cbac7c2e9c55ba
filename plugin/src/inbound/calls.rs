//! The `calls` field → typed call events omni's agents and a WebRTC bridge can act on:
//! `call.connect` (a call to answer, with the caller's SDP offer, or the answer to the
//! business's own call), `call.terminate` (how it ended) and `call.status` (ringing, accepted,
//! rejected). A call event this channel does not know, or an item without a call id, is
//! reported as `webhook.unhandled` with the reason.

use super::{ChangeContext, unhandled};
use crate::chat_id;
use crate::event::EventSpec;
use crate::json::{Node, Object};
use crate::lenient::{str_field, timestamp_ms};
use crate::wit::events::{Event, EventKind};

/// A call reached the business number, or the user answered the business's call.
pub const CALL_CONNECT_EVENT: &str = "custom.whatsapp-cloud.call.connect";
/// A call ended: `status` (`COMPLETED`, `FAILED`), times and duration.
pub const CALL_TERMINATE_EVENT: &str = "custom.whatsapp-cloud.call.terminate";
/// A business-initiated call's progress: `RINGING`, `ACCEPTED`, `REJECTED`.
pub const CALL_STATUS_EVENT: &str = "custom.whatsapp-cloud.call.status";

/// Maps one `calls` change: its `calls[]` and its `statuses[]`.
pub(super) fn map(ctx: &ChangeContext<'_>, value: &Node<'_>, events: &mut Vec<Event>) {
    for call in value.get("calls").map(Node::items).into_iter().flatten() {
        let event = match str_field(call, "event").as_deref() {
            Some("connect") => CALL_CONNECT_EVENT,
            Some("terminate") => CALL_TERMINATE_EVENT,
            other => {
                let reason = match other {
                    Some(name) => format!("the call event `{name}` is not mapped"),
                    None => "a call without an `event`".to_owned(),
                };
                events.push(unhandled(ctx.instance_id, ctx.business_account_id, "calls", call, Some(&reason)));
                continue;
            }
        };
        match str_field(call, "id") {
            Some(id) => events.push(call_event(ctx, event, &id, call)),
            None => {
                let reason = "a call without an `id`: nothing could answer or end it";
                events.push(unhandled(ctx.instance_id, ctx.business_account_id, "calls", call, Some(reason)));
            }
        }
    }
    for status in value.get("statuses").map(Node::items).into_iter().flatten() {
        match str_field(status, "id") {
            Some(id) => events.push(call_event(ctx, CALL_STATUS_EVENT, &id, status)),
            None => {
                let reason = "a call status without the call's `id`";
                events.push(unhandled(ctx.instance_id, ctx.business_account_id, "calls", status, Some(reason)));
            }
        }
    }
}

/// The user's side of a call: who called for a user-initiated call, who was called otherwise
/// (and `recipient_id` on statuses).
fn user_side<'n>(ctx: &ChangeContext<'_>, item: &'n Node<'n>) -> Option<std::borrow::Cow<'n, str>> {
    if let Some(recipient) = str_field(item, "recipient_id") {
        return Some(recipient);
    }
    let business = ctx.metadata.display_phone_number.as_deref();
    let (from, to) = (str_field(item, "from"), str_field(item, "to"));
    match str_field(item, "direction").as_deref() {
        Some("BUSINESS_INITIATED") => to,
        Some("USER_INITIATED") => from,
        // No direction: whichever party is not the business number.
        _ if from.is_some() && from.as_deref() == business => to,
        _ => from,
    }
}

/// `{callId, chatId, from, to, direction, status, ...}`: the call's fields under omni's names,
/// absent ones left out, and Meta's item as `rawPayload`.
fn call_event(ctx: &ChangeContext<'_>, event: &str, call_id: &str, item: &Node<'_>) -> Event {
    let user = user_side(ctx, item);
    let present = |key: &str| item.get(key).filter(|v| !v.is_null());
    let mut payload = Object::new();
    payload
        .str("callId", call_id)
        .opt_str("chatId", user.as_deref().map(chat_id::user).as_deref())
        .opt_node("from", present("from"))
        .opt_node("to", present("to"))
        .opt_node("direction", present("direction"))
        .opt_node("status", present("status"))
        .opt_node("bizOpaqueCallbackData", present("biz_opaque_callback_data"))
        .opt_u64("startedAt", timestamp_ms(item, "start_time"))
        .opt_u64("endedAt", timestamp_ms(item, "end_time"))
        .opt_node("durationSeconds", present("duration"));
    if let Some(session) = item.get("session").filter(|s| s.members().is_some()) {
        let mut sdp = Object::new();
        sdp.opt_node("sdpType", session.get("sdp_type")).opt_node("sdp", session.get("sdp"));
        payload.object("session", sdp);
    }
    payload
        .opt_str("phoneNumberId", ctx.metadata.phone_number_id.as_deref())
        .opt_str("businessAccountId", ctx.business_account_id)
        .node("rawPayload", item);
    // A status repeats its call id (`RINGING`, then `ACCEPTED`): the status is part of the key.
    let status = str_field(item, "status");
    EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::Other(event.to_owned()),
        key: &[call_id, status.as_deref().unwrap_or("")],
        correlation_id: Some(call_id.to_owned()),
        occurred_at_ms: timestamp_ms(item, "timestamp"),
        payload: payload.finish(),
    }
    .build()
}
