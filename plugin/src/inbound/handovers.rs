//! The `messaging_handovers` field: who handles a conversation now. `control_passed` reaches
//! the app the thread was passed to (its turn to answer), `control_taken` the app it was taken
//! from (it must stop answering). omni's agents act on these; any other type is reported
//! unhandled with the reason.

use super::{ChangeContext, unhandled};
use crate::chat_id;
use crate::event::EventSpec;
use crate::json::{Node, Object};
use crate::lenient::{str_field, timestamp_ms};
use crate::wit::events::{Event, EventKind};

/// This app now handles the conversation.
pub const CONTROL_PASSED_EVENT: &str = "custom.whatsapp-cloud.handover.control-passed";
/// Another app took the conversation over.
pub const CONTROL_TAKEN_EVENT: &str = "custom.whatsapp-cloud.handover.control-taken";

/// Maps one `messaging_handovers` change: `{recipient, sender, type, timestamp, <type>: {...}}`.
pub(super) fn map(ctx: &ChangeContext<'_>, value: &Node<'_>, events: &mut Vec<Event>) {
    let kind = str_field(value, "type");
    let event = match kind.as_deref() {
        Some("control_passed") => CONTROL_PASSED_EVENT,
        Some("control_taken") => CONTROL_TAKEN_EVENT,
        other => {
            let reason = match other {
                Some(name) => format!("the handover type `{name}` is not mapped"),
                None => "a handover without a `type`".to_owned(),
            };
            events.push(unhandled(
                ctx.instance_id,
                ctx.business_account_id,
                "messaging_handovers",
                value,
                Some(&reason),
            ));
            return;
        }
    };
    let sender = value.get("sender").unwrap_or(&crate::json::NULL);
    let chat = match (str_field(sender, "phone_number"), str_field(sender, "user_id")) {
        (Some(number), _) => Some(chat_id::user(number.trim_start_matches('+'))),
        (None, Some(user_id)) => Some(chat_id::bsuid(&user_id)),
        (None, None) => None,
    };
    let detail = kind.as_deref().and_then(|k| value.get(k)).unwrap_or(&crate::json::NULL);
    let present = |key: &str| detail.get(key).filter(|v| !v.is_null());
    let mut payload = Object::new();
    payload
        .opt_str("chatId", chat.as_deref())
        .opt_node("previousOwnerRole", present("previous_owner_role"))
        .opt_node("newOwnerRole", present("new_owner_role"))
        .opt_node("newOwnerAppId", present("new_owner_app_id"))
        .opt_node("metadata", present("metadata"))
        .opt_node("conversationContext", present("conversation_context"))
        .opt_str("phoneNumberId", ctx.metadata.phone_number_id.as_deref())
        .opt_str("businessAccountId", ctx.business_account_id)
        .node("rawPayload", value);
    let handover = EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::Other(event.to_owned()),
        key: &[&value.to_canonical_json()],
        correlation_id: None,
        occurred_at_ms: timestamp_ms(value, "timestamp"),
        payload: payload.finish(),
    };
    events.push(handover.build());
}
