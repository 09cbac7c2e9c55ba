//! Interactive messages (reply buttons, lists, call-to-action URLs, media carousels, requests for
//! a location, contact info or call permission) → Meta's `interactive` object, within Meta's
//! limits.

use serde_json::{Map, Value, json};

use super::checks::{self, invalid};
use super::objects::header_media_object;
use crate::wit::interactive::{AddressRequest, CardAction, InteractiveAction, InteractiveHeader, MediaCard};
use crate::wit::messaging::InteractiveContent;
use crate::wit::types::{InvalidField, MediaKind};

/// Meta's `interactive.type` for an action.
pub fn kind_name(action: &InteractiveAction) -> &'static str {
    match action {
        InteractiveAction::Buttons(_) => "button",
        InteractiveAction::List(_) => "list",
        InteractiveAction::CtaUrl(_) => "cta_url",
        InteractiveAction::LocationRequest => "location_request_message",
        InteractiveAction::ContactRequest => "request_contact_info",
        InteractiveAction::CallPermissionRequest => "call_permission_request",
        InteractiveAction::Carousel(_) => "carousel",
        InteractiveAction::VoiceCall(_) => "voice_call",
        InteractiveAction::Address(_) => "address_message",
    }
}

/// The `interactive` object.
pub fn object(message: &InteractiveContent) -> Result<Value, InvalidField> {
    let mut object = Map::new();
    object.insert("type".into(), json!(kind_name(&message.action)));
    checks::text("content.body", &message.body, 1024)?;
    object.insert("body".into(), json!({ "text": message.body }));
    if let Some(footer) = &message.footer {
        if let Some(kind) = body_only(&message.action) {
            return Err(invalid("content.footer", format!("{kind} have no footer")));
        }
        checks::text("content.footer", footer, 60)?;
        object.insert("footer".into(), json!({ "text": footer }));
    }
    if let Some(header) = &message.header {
        object.insert("header".into(), header_object(header, &message.action)?);
    }
    object.insert("action".into(), action_object(&message.action)?);
    Ok(Value::Object(object))
}

/// The actions whose message is a body and WhatsApp's own button, named for errors.
fn body_only(action: &InteractiveAction) -> Option<&'static str> {
    match action {
        InteractiveAction::LocationRequest => Some("location requests"),
        InteractiveAction::ContactRequest => Some("contact info requests"),
        InteractiveAction::CallPermissionRequest => Some("call permission requests"),
        InteractiveAction::Carousel(_) => Some("carousels"),
        InteractiveAction::VoiceCall(_) => Some("call buttons"),
        InteractiveAction::Buttons(_)
        | InteractiveAction::List(_)
        | InteractiveAction::CtaUrl(_)
        | InteractiveAction::Address(_) => None,
    }
}

fn header_object(header: &InteractiveHeader, action: &InteractiveAction) -> Result<Value, InvalidField> {
    if let Some(kind) = body_only(action) {
        return Err(invalid("content.header", format!("{kind} have no header")));
    }
    match (header, action) {
        (InteractiveHeader::Text(text), _) => {
            checks::text("content.header.text", text, 60)?;
            Ok(json!({ "type": "text", "text": text }))
        }
        (InteractiveHeader::Media(_), InteractiveAction::List(_)) => {
            Err(invalid("content.header", "list messages take a text header only"))
        }
        (InteractiveHeader::Media(media), _) => header_media_object("content.header", media),
    }
}

fn action_object(action: &InteractiveAction) -> Result<Value, InvalidField> {
    match action {
        InteractiveAction::Buttons(buttons) => {
            checks::count("content.buttons", buttons.len(), 1..=3)?;
            let mut ids = Vec::new();
            let mut list = Vec::new();
            for (i, button) in buttons.iter().enumerate() {
                checks::text(&format!("content.buttons[{i}].id"), &button.id, 256)?;
                checks::text(&format!("content.buttons[{i}].title"), &button.title, 20)?;
                if ids.contains(&&button.id) {
                    return Err(invalid(&format!("content.buttons[{i}].id"), "button ids must be unique"));
                }
                ids.push(&button.id);
                list.push(json!({ "type": "reply", "reply": { "id": button.id, "title": button.title } }));
            }
            Ok(json!({ "buttons": list }))
        }
        InteractiveAction::List(menu) => {
            checks::text("content.list.button", &menu.button, 20)?;
            checks::count("content.list.sections", menu.sections.len(), 1..=10)?;
            let rows: usize = menu.sections.iter().map(|s| s.rows.len()).sum();
            checks::count("content.list.rows", rows, 1..=10)?;
            let mut ids = Vec::new();
            let mut sections = Vec::new();
            for (s, section) in menu.sections.iter().enumerate() {
                let field = format!("content.list.sections[{s}]");
                let mut object = Map::new();
                match &section.title {
                    Some(title) => {
                        checks::text(&format!("{field}.title"), title, 24)?;
                        object.insert("title".into(), json!(title));
                    }
                    None if menu.sections.len() > 1 => {
                        return Err(invalid(&format!("{field}.title"), "required when a list has several sections"));
                    }
                    None => {}
                }
                checks::count(&format!("{field}.rows"), section.rows.len(), 1..=10)?;
                let mut rows = Vec::new();
                for (r, row) in section.rows.iter().enumerate() {
                    let field = format!("{field}.rows[{r}]");
                    checks::text(&format!("{field}.id"), &row.id, 200)?;
                    checks::text(&format!("{field}.title"), &row.title, 24)?;
                    checks::optional_text(&format!("{field}.description"), row.description.as_deref(), 72)?;
                    if ids.contains(&&row.id) {
                        return Err(invalid(&format!("{field}.id"), "row ids must be unique across the list"));
                    }
                    ids.push(&row.id);
                    let mut entry = json!({ "id": row.id, "title": row.title });
                    if let Some(description) = &row.description {
                        entry["description"] = json!(description);
                    }
                    rows.push(entry);
                }
                object.insert("rows".into(), Value::Array(rows));
                sections.push(Value::Object(object));
            }
            Ok(json!({ "button": menu.button, "sections": sections }))
        }
        InteractiveAction::CtaUrl(cta) => {
            checks::text("content.cta_url.display_text", &cta.display_text, 20)?;
            checks::http_url("content.cta_url.url", &cta.url)?;
            Ok(json!({ "name": "cta_url", "parameters": { "display_text": cta.display_text, "url": cta.url } }))
        }
        InteractiveAction::LocationRequest => Ok(json!({ "name": "send_location" })),
        InteractiveAction::ContactRequest => Ok(json!({ "name": "request_contact_info" })),
        InteractiveAction::CallPermissionRequest => Ok(json!({ "name": "call_permission_request" })),
        InteractiveAction::VoiceCall(button) => {
            let mut parameters = Map::new();
            if let Some(text) = &button.display_text {
                checks::text("content.voice_call.display_text", text, 20)?;
                parameters.insert("display_text".into(), json!(text));
            }
            if let Some(minutes) = button.ttl_minutes {
                if !(1..=43_200).contains(&minutes) {
                    return Err(invalid("content.voice_call.ttl_minutes", "1 to 43200 minutes (30 days)"));
                }
                parameters.insert("ttl_minutes".into(), json!(minutes));
            }
            if let Some(payload) = &button.payload {
                checks::text("content.voice_call.payload", payload, 512)?;
                parameters.insert("payload".into(), json!(payload));
            }
            let mut action = json!({ "name": "voice_call" });
            if !parameters.is_empty() {
                action["parameters"] = Value::Object(parameters);
            }
            Ok(action)
        }
        InteractiveAction::Address(form) => address_action(form),
        InteractiveAction::Carousel(cards) => {
            checks::count("content.cards", cards.len(), 2..=10)?;
            let shape = |card: &MediaCard| match &card.action {
                CardAction::CtaUrl(_) => (true, 1),
                CardAction::Buttons(buttons) => (false, buttons.len()),
            };
            let cards = cards
                .iter()
                .enumerate()
                .map(|(i, card)| {
                    if shape(card) != shape(&cards[0]) {
                        return Err(invalid(
                            &format!("content.cards[{i}].action"),
                            "every card must offer the same kind and number of buttons as the first",
                        ));
                    }
                    card_object(i, card)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(json!({ "cards": cards }))
        }
    }
}

/// An address form: `{name: address_message, parameters: {country, values?, validation_errors?,
/// saved_addresses?}}`.
fn address_action(form: &AddressRequest) -> Result<Value, InvalidField> {
    let country = form.country.trim();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(invalid("content.address.country", "an ISO 3166 country code, like `IN`"));
    }
    let fields = |field: &str, pairs: &[(String, String)]| -> Result<Value, InvalidField> {
        let mut object = Map::new();
        for (name, value) in pairs {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                return Err(invalid(&format!("{field}.{name}"), "address fields have names like `in_pin_code`"));
            }
            checks::at_most(&format!("{field}.{name}"), value, 512)?;
            object.insert(name.clone(), json!(value));
        }
        Ok(Value::Object(object))
    };
    let mut parameters = Map::new();
    parameters.insert("country".into(), json!(country));
    if !form.values.is_empty() {
        parameters.insert("values".into(), fields("content.address.values", &form.values)?);
    }
    if !form.validation_errors.is_empty() {
        parameters
            .insert("validation_errors".into(), fields("content.address.validation_errors", &form.validation_errors)?);
    }
    if !form.saved_addresses.is_empty() {
        let saved = form
            .saved_addresses
            .iter()
            .enumerate()
            .map(|(i, address)| {
                let field = format!("content.address.saved_addresses[{i}]");
                checks::text(&format!("{field}.id"), &address.id, 256)?;
                Ok(json!({ "id": address.id, "value": fields(&format!("{field}.values"), &address.fields)? }))
            })
            .collect::<Result<Vec<_>, InvalidField>>()?;
        parameters.insert("saved_addresses".into(), Value::Array(saved));
    }
    Ok(json!({ "name": "address_message", "parameters": parameters }))
}

/// One card of an interactive carousel: an image or video header, optional text, a URL button
/// or one or two reply buttons.
fn card_object(index: usize, card: &MediaCard) -> Result<Value, InvalidField> {
    let field = format!("content.cards[{index}]");
    if !matches!(card.header.kind, MediaKind::Image | MediaKind::Video) {
        return Err(invalid(&format!("{field}.header.kind"), "a card's header is an image or a video"));
    }
    let mut object = Map::new();
    object.insert("card_index".into(), json!(index));
    object.insert("header".into(), header_media_object(&format!("{field}.header"), &card.header)?);
    if let Some(body) = &card.body {
        checks::text(&format!("{field}.body"), body, 160)?;
        object.insert("body".into(), json!({ "text": body }));
    }
    match &card.action {
        CardAction::CtaUrl(cta) => {
            checks::text(&format!("{field}.cta_url.display_text"), &cta.display_text, 20)?;
            checks::http_url(&format!("{field}.cta_url.url"), &cta.url)?;
            object.insert("type".into(), json!("cta_url"));
            object.insert(
                "action".into(),
                json!({ "name": "cta_url", "parameters": { "display_text": cta.display_text, "url": cta.url } }),
            );
        }
        CardAction::Buttons(buttons) => {
            checks::count(&format!("{field}.buttons"), buttons.len(), 1..=2)?;
            let mut list = Vec::new();
            for (b, button) in buttons.iter().enumerate() {
                checks::text(&format!("{field}.buttons[{b}].id"), &button.id, 256)?;
                checks::text(&format!("{field}.buttons[{b}].title"), &button.title, 20)?;
                list.push(json!({ "type": "quick_reply", "quick_reply": { "id": button.id, "title": button.title } }));
            }
            object.insert("action".into(), json!({ "buttons": list }));
        }
    }
    Ok(Value::Object(object))
}
