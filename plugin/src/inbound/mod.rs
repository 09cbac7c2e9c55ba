//! Webhook notifications → omni events.
//!
//! Every entry, every change and every item is processed, in payload order: batched deliveries
//! lose nothing. Each change is routed to the instance whose phone number id it names.
//!
//! The body is parsed once into a borrowed [`Node`] tree; items are read from it leniently,
//! field by field, and copied into the payloads as Meta sent them, so that a new field or type
//! from Meta never makes a delivery fail.

mod calls;
mod content;
mod envelope;
mod fields;
mod handovers;
mod messages;
mod standby;
mod statuses;
mod user_ids;

pub use calls::{CALL_CONNECT_EVENT, CALL_STATUS_EVENT, CALL_TERMINATE_EVENT};
pub use fields::ECHO_EVENT;
pub use handovers::{CONTROL_PASSED_EVENT, CONTROL_TAKEN_EVENT};
pub use messages::{CALL_PERMISSION_EVENT, IDENTITY_EVENT};
pub use standby::{STANDBY_ECHO_EVENT, STANDBY_PREFIX};

use crate::event::EventSpec;
use crate::json::{Node, Object};
use crate::lenient::code_field;
use crate::wit::events::{Event, EventKind};
use envelope::{Change, Metadata};

/// omni event type for a change this channel does not map (yet): acknowledged, reported, and
/// never a failed delivery.
pub const UNHANDLED_EVENT: &str = "custom.whatsapp-cloud.webhook.unhandled";
/// omni event type for a change about a phone number no configured instance owns.
pub const UNROUTED_EVENT: &str = "custom.whatsapp-cloud.webhook.unrouted";

/// Which instance owns which business phone number.
#[derive(Debug, Clone, Copy)]
pub struct Route<'a> {
    pub instance_id: &'a str,
    pub phone_number_id: &'a str,
}

/// Why a notification body could not be read at all; nothing is published for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundError {
    /// The body is not JSON.
    NotJson(String),
    /// The body is JSON but not shaped like a notification (`entry`/`changes` arrays...).
    BadShape(String),
    /// More items than one delivery may hold ([`MAX_ITEMS`]).
    TooManyItems(usize),
}

/// Most items (messages, statuses, errors, other fields' entries) one delivery may hold: a 3 MB
/// delivery of compact statuses has about 10,000; the bound keeps a hostile body from turning
/// into millions of events.
pub const MAX_ITEMS: usize = 12_000;

impl std::fmt::Display for InboundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotJson(e) => write!(f, "the body is not valid JSON: {e}"),
            Self::BadShape(e) => write!(f, "the body is not a WhatsApp webhook notification: {e}"),
            Self::TooManyItems(n) => write!(f, "the notification holds {n} items; at most {MAX_ITEMS} are accepted"),
        }
    }
}

/// Where a received file can be fetched without Meta's token: the host's link for an instance
/// and a media id, if it serves media (`media-links.link`).
pub type MediaLinks<'a> = &'a dyn Fn(&str, &str) -> Option<String>;

/// For hosts and tests without media links.
pub fn no_media_links(_: &str, _: &str) -> Option<String> {
    None
}

/// What a change is being mapped in the light of.
pub(crate) struct ChangeContext<'a> {
    /// The instance the change is routed to.
    pub instance_id: &'a str,
    /// Links to received media.
    pub links: MediaLinks<'a>,
    /// The WABA id of the entry.
    pub business_account_id: Option<&'a str>,
    pub metadata: &'a Metadata<'a>,
    /// `value.contacts`, matched to messages by id.
    pub contacts: &'a [Node<'a>],
}

/// Maps a notification body to events. `receiver` gets what no route claims; `links` names
/// the host's links to received files.
pub fn map_notification(
    body: &[u8],
    receiver: &str,
    routes: &[Route<'_>],
    links: MediaLinks<'_>,
) -> Result<Vec<Event>, InboundError> {
    let root = Node::parse(body).map_err(|e| InboundError::NotJson(e.to_string()))?;
    let notification = envelope::read(&root).map_err(InboundError::BadShape)?;
    if notification.object.as_deref() != Some("whatsapp_business_account") {
        return Ok(vec![unhandled(receiver, None, "object", &root, None)]);
    }
    let items = notification.items();
    if items > MAX_ITEMS {
        return Err(InboundError::TooManyItems(items));
    }
    let mut events = Vec::with_capacity(items);
    for entry in &notification.entries {
        for change in &entry.changes {
            map_change(change, entry.id.as_deref(), receiver, routes, links, &mut events);
        }
    }
    Ok(events)
}

fn map_change(
    change: &Change<'_>,
    business_account_id: Option<&str>,
    receiver: &str,
    routes: &[Route<'_>],
    links: MediaLinks<'_>,
    events: &mut Vec<Event>,
) {
    let field = change.field.as_deref().unwrap_or("");
    let field_rule = fields::rule_for(field);
    if field != "messages" && field_rule.is_none() {
        events.push(unhandled(receiver, business_account_id, field, change.value, None));
        return;
    }
    let value = match envelope::read_value(change.value) {
        Ok(value) => value,
        // Reported raw, not refused: refusing would cost the delivery's other changes too.
        Err(why) => {
            let reason = format!("the `{field}` change is not shaped as Meta documents it: {why}");
            events.push(unhandled(receiver, business_account_id, field, change.value, Some(&reason)));
            return;
        }
    };
    // Account-level fields name no phone number: they go to the receiver.
    let instance_id = match value.metadata.phone_number_id.as_deref() {
        None if field != "messages" => receiver,
        phone_number_id => match routes.iter().find(|r| Some(r.phone_number_id) == phone_number_id) {
            Some(route) => route.instance_id,
            None => {
                events.push(unrouted(receiver, business_account_id, phone_number_id, change.value));
                return;
            }
        },
    };
    let ctx =
        ChangeContext { instance_id, links, business_account_id, metadata: &value.metadata, contacts: value.contacts };
    match field_rule {
        Some(rule) => fields::map(&ctx, rule, change.value, events),
        None => {
            for message in value.messages {
                messages::map(&ctx, message, events);
            }
            for status in value.statuses {
                statuses::map(&ctx, status, events);
            }
            // Anything else a `messages` change carries (`message_echoes`, `calls`...) is
            // reported raw rather than dropped unseen.
            for (key, items) in change.value.members().unwrap_or_default() {
                if matches!(items, Node::Array(_)) && !MESSAGES_VALUE_ARRAYS.contains(&key.as_ref()) {
                    let reason = format!("`{key}` inside a `messages` change is not mapped");
                    events.push(unhandled(instance_id, business_account_id, "messages", items, Some(&reason)));
                }
            }
        }
    }
    for error in value.errors {
        events.push(webhook_error(&ctx, error));
    }
}

/// The arrays of a `messages` change that are mapped.
const MESSAGES_VALUE_ARRAYS: &[&str] = &["contacts", "messages", "statuses", "errors"];

/// A change this channel does not map — a field it does not know, or a value it cannot read
/// (`reason`) — reported with its raw value.
fn unhandled(
    instance_id: &str,
    business_account_id: Option<&str>,
    field: &str,
    value: &Node<'_>,
    reason: Option<&str>,
) -> Event {
    let mut payload = Object::new();
    payload
        .str("field", field)
        .str_or_null("businessAccountId", business_account_id)
        .node("rawPayload", value)
        .opt_str("reason", reason);
    EventSpec {
        instance_id,
        kind: EventKind::Other(UNHANDLED_EVENT.to_owned()),
        key: &[field, &value.to_canonical_json()],
        correlation_id: None,
        occurred_at_ms: None,
        payload: payload.finish(),
    }
    .build()
}

/// A change for a phone number no instance owns: reported to the receiver, not dropped.
fn unrouted(
    instance_id: &str,
    business_account_id: Option<&str>,
    phone_number_id: Option<&str>,
    value: &Node<'_>,
) -> Event {
    let mut payload = Object::new();
    payload
        .str_or_null("phoneNumberId", phone_number_id)
        .str_or_null("businessAccountId", business_account_id)
        .node("rawPayload", value);
    EventSpec {
        instance_id,
        kind: EventKind::Other(UNROUTED_EVENT.to_owned()),
        key: &[phone_number_id.unwrap_or(""), &value.to_canonical_json()],
        correlation_id: None,
        occurred_at_ms: None,
        payload: payload.finish(),
    }
    .build()
}

/// What identifies an item in its event id: Meta's id for it, or — for an item without one —
/// its canonical text, so that a redelivery still gets the same id.
fn item_key<'n>(id: Option<&'n str>, item: &Node<'_>) -> std::borrow::Cow<'n, str> {
    match id {
        Some(id) => std::borrow::Cow::Borrowed(id),
        None => std::borrow::Cow::Owned(item.to_canonical_json()),
    }
}

/// omni event type for errors Meta reports about the number rather than one message.
pub const WEBHOOK_ERROR_EVENT: &str = "custom.whatsapp-cloud.webhook.error";

fn webhook_error(ctx: &ChangeContext<'_>, error: &Node<'_>) -> Event {
    let code = code_field(error, "code");
    let mut payload = Object::new();
    payload
        .str_or_null("errorCode", code.map(|c| c.to_string()).as_deref())
        .node_or_null("error", error.get("message").or_else(|| error.get("title")))
        .node_or_null("details", error.pointer("/error_data/details"))
        .bool("retryable", code.is_some_and(crate::graph::errors::is_retryable_code))
        .str_or_null("phoneNumberId", ctx.metadata.phone_number_id.as_deref())
        .node("rawPayload", error);
    EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::Other(WEBHOOK_ERROR_EVENT.to_owned()),
        key: &[&error.to_canonical_json()],
        correlation_id: None,
        occurred_at_ms: None,
        payload: payload.finish(),
    }
    .build()
}

#[cfg(test)]
mod tests;

/// The row of `docs/inbound.md` whose first cell is `` `first_cell` ``: the mapping tables
/// document the code, and tests keep them in step.
#[cfg(test)]
pub(crate) fn readme_row(first_cell: &str) -> &'static str {
    let start = format!("| `{first_cell}` ");
    include_str!("../../../docs/inbound.md")
        .lines()
        .find(|l| l.starts_with(&start))
        .unwrap_or_else(|| panic!("docs/inbound.md's mapping tables have no row for `{first_cell}`"))
}
