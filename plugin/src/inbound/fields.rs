//! Changes of webhook fields other than `messages`: never a failed delivery; each is reported as
//! a documented `custom.whatsapp-cloud.*` event (omni accepts `custom.` event types) carrying
//! Meta's object as `rawPayload`.

use super::ChangeContext;
use super::content;
use super::{calls, handovers, standby, user_ids};
use crate::chat_id;
use crate::event::EventSpec;
use crate::json::{Node, Object};
use crate::lenient::{str_field, timestamp_ms};
use crate::wit::events::{Event, EventKind};

/// How one field's changes become events.
pub(crate) struct FieldRule {
    /// Meta's `field`.
    pub field: &'static str,
    /// The omni event type.
    pub event: &'static str,
    /// `None`: one event for the whole `value`; `Some(key)`: one event per item of
    /// `value[key]`.
    pub items: Option<&'static str>,
    /// A field with a mapping of its own (typed events), in place of the generic report.
    pub mapping: Option<Mapping>,
}

/// A field's own mapping.
pub(crate) type Mapping = fn(&ChangeContext<'_>, &Node<'_>, &mut Vec<Event>);

const fn rule(field: &'static str, event: &'static str, items: Option<&'static str>) -> FieldRule {
    FieldRule { field, event, items, mapping: None }
}

const fn mapped(field: &'static str, event: &'static str, mapping: Mapping) -> FieldRule {
    FieldRule { field, event, items: None, mapping: Some(mapping) }
}

/// Every field the channel knows besides `messages`. Unknown fields are reported as
/// `custom.whatsapp-cloud.webhook.unhandled`.
pub(crate) const FIELD_RULES: &[FieldRule] = &[
    rule("account_update", "custom.whatsapp-cloud.account.update", None),
    rule("account_alerts", "custom.whatsapp-cloud.account.alert", None),
    rule("account_review_update", "custom.whatsapp-cloud.account.review", None),
    rule("business_capability_update", "custom.whatsapp-cloud.account.capability", None),
    rule("security", "custom.whatsapp-cloud.account.security", None),
    rule("phone_number_name_update", "custom.whatsapp-cloud.phone-number.name", None),
    rule("phone_number_quality_update", "custom.whatsapp-cloud.phone-number.quality", None),
    rule("message_template_status_update", "custom.whatsapp-cloud.template.status", None),
    rule("message_template_quality_update", "custom.whatsapp-cloud.template.quality", None),
    rule("message_template_components_update", "custom.whatsapp-cloud.template.components", None),
    rule("template_category_update", "custom.whatsapp-cloud.template.category", None),
    rule("user_preferences", "custom.whatsapp-cloud.user.preferences", Some("user_preferences")),
    mapped("calls", calls::CALL_CONNECT_EVENT, calls::map),
    rule("group_lifecycle_update", "custom.whatsapp-cloud.group.lifecycle", Some("groups")),
    rule("group_participants_update", "custom.whatsapp-cloud.group.participants", Some("groups")),
    rule("group_settings_update", "custom.whatsapp-cloud.group.settings", Some("groups")),
    rule("group_status_update", "custom.whatsapp-cloud.group.status", Some("groups")),
    rule("smb_message_echoes", ECHO_EVENT, Some("message_echoes")),
    rule("message_echoes", ECHO_EVENT, Some("message_echoes")),
    rule("account_settings_update", "custom.whatsapp-cloud.account.settings", None),
    rule("business_username_update", "custom.whatsapp-cloud.account.username", None),
    mapped("user_id_update", super::messages::IDENTITY_EVENT, user_ids::map),
    mapped("standby", standby::STANDBY_ECHO_EVENT, standby::map),
    mapped("messaging_handovers", handovers::CONTROL_PASSED_EVENT, handovers::map),
];

/// Messages the business sent from the WhatsApp Business app (coexistence). Not
/// `message.received`: an agent must not answer the business's own messages.
pub const ECHO_EVENT: &str = "custom.whatsapp-cloud.message.echo";

/// The rule for a field, if the channel knows it.
pub(crate) fn rule_for(field: &str) -> Option<&'static FieldRule> {
    FIELD_RULES.iter().find(|r| r.field == field)
}

/// Maps one change of a known field.
pub(super) fn map(ctx: &ChangeContext<'_>, rule: &FieldRule, value: &Node<'_>, events: &mut Vec<Event>) {
    if let Some(mapping) = rule.mapping {
        return mapping(ctx, value, events);
    }
    let Some(items_key) = rule.items else {
        events.push(report(ctx, rule.field, rule.event, value, ""));
        return;
    };
    for item in value.get(items_key).map(Node::items).into_iter().flatten() {
        if rule.event == ECHO_EVENT {
            events.push(echo(ctx, item));
        } else {
            events.push(report(ctx, rule.field, rule.event, item, items_key));
        }
    }
}

/// A few fields of an item worth having without digging into `rawPayload` (absent or null
/// ones left out), by the key its items came under (`""` for a whole value).
fn write_summary(payload: &mut Object, items_key: &str, item: &Node<'_>) {
    let mut field = |name: &str, key: &str| {
        payload.opt_node(name, item.get(key).filter(|v| !v.is_null()));
    };
    match items_key {
        "groups" => {
            field("groupId", "group_id");
            field("type", "type");
            payload.opt_str("chatId", str_field(item, "group_id").map(|g| chat_id::group(&g)).as_deref());
        }
        "user_preferences" => {
            field("category", "category");
            field("value", "value");
            let wa_id = str_field(item, "wa_id");
            payload.opt_str("waId", wa_id.as_deref()).opt_str("chatId", wa_id.map(|w| chat_id::user(&w)).as_deref());
        }
        // Whole values: account and template updates.
        _ => {
            for (name, key) in [
                ("event", "event"),
                ("username", "username"),
                ("status", "status"),
                ("displayPhoneNumber", "display_phone_number"),
                ("templateId", "message_template_id"),
                ("templateName", "message_template_name"),
                ("language", "message_template_language"),
            ] {
                field(name, key);
            }
        }
    }
}

/// One reported change or item: `{field, phoneNumberId, businessAccountId, ...summary,
/// rawPayload}`, absent values left out.
fn report(ctx: &ChangeContext<'_>, field: &str, event: &str, raw: &Node<'_>, items_key: &str) -> Event {
    let mut payload = Object::new();
    payload
        .str("field", field)
        .opt_str("phoneNumberId", ctx.metadata.phone_number_id.as_deref())
        .opt_str("businessAccountId", ctx.business_account_id);
    if !raw.is_null() {
        payload.node("rawPayload", raw);
    }
    write_summary(&mut payload, items_key, raw);
    EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::Other(event.to_owned()),
        key: &[field, &raw.to_canonical_json()],
        correlation_id: None,
        occurred_at_ms: timestamp_ms(raw, "timestamp"),
        payload: payload.finish(),
    }
    .build()
}

/// A message the business sent from the WhatsApp Business app, in `message.received`'s shape
/// with `to` added.
fn echo(ctx: &ChangeContext<'_>, echo: &Node<'_>) -> Event {
    let external_id = str_field(echo, "id");
    let from = str_field(echo, "from");
    let to = str_field(echo, "to");
    let to_user = str_field(echo, "to_user_id");
    // The chat is with whichever party is not the business number.
    let business = ctx.metadata.display_phone_number.as_deref();
    let counterpart = if to.is_some() && to.as_deref() == business { from.clone() } else { to.clone() };
    let chat = match (&counterpart, &to_user) {
        (Some(number), _) => chat_id::user(number),
        (None, Some(user)) => chat_id::bsuid(user),
        (None, None) => String::new(),
    };
    let content = content::extract(echo);
    let mut payload = Object::new();
    payload
        .str_or_null("externalId", external_id.as_deref())
        .str("chatId", &chat)
        .str_or_null("from", from.as_deref())
        .str_or_null("to", to.as_deref().or(to_user.as_deref()))
        .bool("fromMe", true)
        .json("content", &content.fields.to_json())
        .str_or_null("phoneNumberId", ctx.metadata.phone_number_id.as_deref())
        .str_or_null("businessAccountId", ctx.business_account_id)
        .node("rawPayload", echo);
    let key = &*super::item_key(external_id.as_deref(), echo);
    EventSpec {
        instance_id: ctx.instance_id,
        kind: EventKind::Other(ECHO_EVENT.to_owned()),
        key: &[key],
        correlation_id: external_id.as_deref().map(str::to_owned),
        occurred_at_ms: timestamp_ms(echo, "timestamp"),
        payload: payload.finish(),
    }
    .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_unique_and_event_names_are_subject_safe() {
        for (i, rule) in FIELD_RULES.iter().enumerate() {
            assert!(FIELD_RULES[i + 1..].iter().all(|r| r.field != rule.field), "{}", rule.field);
            assert!(rule.event.starts_with("custom.whatsapp-cloud."), "{}", rule.event);
            assert!(omni_channel_vocabulary::is_subject_tokens(rule.event), "{}", rule.event);
        }
        assert!(rule_for("messages").is_none(), "messages has its own mapping");
    }

    #[test]
    fn the_readme_documents_every_field() {
        for rule in FIELD_RULES {
            let row = super::super::readme_row(rule.field);
            assert!(row.contains(&format!("`{}`", rule.event)), "docs/inbound.md row disagrees with the code: {row}");
        }
    }
}
