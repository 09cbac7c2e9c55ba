//! The `user_id_update` field: a user's business-scoped user id (BSUID) changed. Published as
//! the same `custom.whatsapp-cloud.user.identity-changed` event as the `user_changed_user_id`
//! system message, so a consumer links the old chat to the new one in one place.

use super::messages::IDENTITY_EVENT;
use super::{ChangeContext, unhandled};
use crate::chat_id;
use crate::event::EventSpec;
use crate::json::{Node, Object};
use crate::lenient::{str_field, timestamp_ms};
use crate::wit::events::{Event, EventKind};

/// Maps one `user_id_update` change: one event per item of `value.user_id_update`.
pub(super) fn map(ctx: &ChangeContext<'_>, value: &Node<'_>, events: &mut Vec<Event>) {
    for item in value.get("user_id_update").map(Node::items).into_iter().flatten() {
        let ids = item.get("user_id").unwrap_or(&crate::json::NULL);
        let (previous, current) = (str_field(ids, "previous"), str_field(ids, "current"));
        let Some(current) = current else {
            let reason = "a user id update without the `current` user id";
            events.push(unhandled(ctx.instance_id, ctx.business_account_id, "user_id_update", item, Some(reason)));
            continue;
        };
        let wa_id = str_field(item, "wa_id");
        // With a phone number the chat stays the number's; without one it follows the BSUID.
        let chat = |user_id: &str| match &wa_id {
            Some(number) => chat_id::user(number),
            None => chat_id::bsuid(user_id),
        };
        let parents = item.get("parent_user_id").unwrap_or(&crate::json::NULL);
        let mut payload = Object::new();
        payload
            .str("systemType", "user_id_update")
            .opt_node("text", item.get("detail").filter(|d| !d.is_null()))
            .str("chatId", &chat(&current))
            .str("previousChatId", &chat(previous.as_deref().unwrap_or(&current)))
            .opt_str("waId", wa_id.as_deref())
            .str("userId", &current)
            .opt_str("previousUserId", previous.as_deref())
            .opt_str("parentUserId", str_field(parents, "current").as_deref())
            .opt_str("previousParentUserId", str_field(parents, "previous").as_deref())
            .opt_str("phoneNumberId", ctx.metadata.phone_number_id.as_deref())
            .node("rawPayload", item);
        let event = EventSpec {
            instance_id: ctx.instance_id,
            kind: EventKind::Other(IDENTITY_EVENT.to_owned()),
            key: &["user_id_update", &item.to_canonical_json()],
            correlation_id: None,
            occurred_at_ms: timestamp_ms(item, "timestamp"),
            payload: payload.finish(),
        };
        events.push(event.build());
    }
}
