//! Messages that are notices, not user text: a user's answer to a call permission request,
//! and the system message that a user's identity changed.

use std::borrow::Cow;

use super::{ChangeContext, Sender, present, raw_payload};
use crate::event::EventSpec;
use crate::json::{Node, Object};
use crate::lenient::{str_field, timestamp_ms};
use crate::wit::events::{Event, EventKind};

/// omni event type for a user's answer to a call permission request.
pub const CALL_PERMISSION_EVENT: &str = "custom.whatsapp-cloud.call.permission-reply";

/// A call permission reply and the message that carried it.
pub(super) struct PermissionReply<'a, 'n> {
    pub(super) key: &'a str,
    pub(super) chat_id: &'a str,
    pub(super) sender: &'a Sender<'n>,
    pub(super) reply: &'a Node<'n>,
    pub(super) occurred_at_ms: Option<u64>,
}

/// `{externalId, chatId, from, response, isPermanent, expiresAt, responseSource, replyToId,
/// rawPayload}`: whether the business may call the user, and until when (ms).
pub(super) fn permission_reply(ctx: &ChangeContext<'_>, reply: &PermissionReply<'_, '_>, message: &Node<'_>) -> Event {
    let external_id = str_field(message, "id");
    let field = |key: &str| present(reply.reply.get(key));
    let mut payload = Object::new();
    payload
        .opt_str("externalId", external_id.as_deref())
        .str("chatId", reply.chat_id)
        .str("from", reply.sender.id())
        .opt_node("response", field("response"))
        .opt_node("isPermanent", field("is_permanent"))
        .opt_u64("expiresAt", timestamp_ms(reply.reply, "expiration_timestamp"))
        .opt_node("responseSource", field("response_source"))
        .opt_str("replyToId", message.pointer("/context/id").and_then(Node::as_str))
        .object("rawPayload", raw_payload(ctx, reply.sender, reply.occurred_at_ms, message));
    EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::Other(CALL_PERMISSION_EVENT.to_owned()),
        key: &[reply.key],
        correlation_id: external_id.map(Cow::into_owned),
        occurred_at_ms: reply.occurred_at_ms,
        payload: payload.finish(),
    }
    .build()
}

/// omni event type for a notice that a user's identity changed (`system` messages: a new phone
/// number, a new business-scoped user id).
pub const IDENTITY_EVENT: &str = "custom.whatsapp-cloud.user.identity-changed";

/// `user_changed_number` / `user_changed_user_id`: which chat the user had, which one they have
/// now, and the ids on both sides, so a consumer can link the old chat to the new one.
pub(super) fn identity_change(
    ctx: &ChangeContext<'_>,
    key: &str,
    external_id: Option<&str>,
    sender: &Sender<'_>,
    message: &Node<'_>,
    occurred_at_ms: Option<u64>,
) -> Event {
    let system = message.get("system").unwrap_or(&crate::json::NULL);
    let new_wa_id = str_field(system, "wa_id").or_else(|| str_field(system, "new_wa_id"));
    let previous_user_id = str_field(system, "previous_user_id");
    let new_user_id = str_field(system, "user_id").or_else(|| previous_user_id.as_ref().and(sender.user_id.clone()));
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
    let mut payload = Object::new();
    payload
        .opt_str("externalId", external_id)
        .opt_node("systemType", present(system.get("type")))
        .opt_node("text", present(system.get("body")))
        .str("chatId", &after.chat_id())
        .str("previousChatId", &before.chat_id())
        .opt_str("waId", after.wa_id.as_deref())
        .opt_str("previousWaId", before.wa_id.as_deref())
        .opt_str("userId", after.user_id.as_deref())
        .opt_str("previousUserId", before.user_id.as_deref())
        .object("rawPayload", raw_payload(ctx, sender, occurred_at_ms, message));
    EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::Other(IDENTITY_EVENT.to_owned()),
        key: &[key],
        correlation_id: external_id.map(str::to_owned),
        occurred_at_ms,
        payload: payload.finish(),
    }
    .build()
}
