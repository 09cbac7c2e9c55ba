//! Templates → Meta's `template` object, checked the way Meta checks them (empty parameters,
//! mixed named and positional parameters, new lines in body parameters, body length, carousel
//! cards that differ...) so that a template error names the component and parameter instead of
//! coming back as error 132000.

use serde_json::{Value, json};

use super::checks::{self, invalid};
use super::objects::{header_media_object, location_object};
use crate::wit::messaging::TemplateContent;
use crate::wit::templates::{
    ButtonKind, CarouselCard, ParameterValue, TemplateButton, TemplateCategory, TemplateComponent, TemplateParameter,
};
use crate::wit::types::{InvalidField, MediaKind};

/// Longest body text of a template with no other component, in characters; with any other
/// component Meta allows [`MAX_BODY_WITH_OTHERS`].
const MAX_BODY_ALONE: usize = 32_768;
const MAX_BODY_WITH_OTHERS: usize = 1_024;
/// Longest body text of one carousel card.
const MAX_CARD_BODY: usize = 160;

/// Whether a template goes out as marketing: said so, or a kind only marketing templates have.
pub fn is_marketing(template: &TemplateContent) -> bool {
    template.category == Some(TemplateCategory::Marketing)
        || template
            .components
            .iter()
            .any(|c| matches!(c, TemplateComponent::Carousel(_) | TemplateComponent::LimitedTimeOffer(_)))
}

/// The `template` object.
pub fn object(template: &TemplateContent) -> Result<Value, InvalidField> {
    let name_ok = !template.name.is_empty()
        && template.name.len() <= 512
        && template.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !name_ok {
        return Err(invalid("content.name", "template names are lowercase letters, digits and underscores"));
    }
    let language_ok = !template.language.is_empty()
        && template.language.len() <= 16
        && template.language.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_');
    if !language_ok {
        return Err(invalid("content.language", format!("`{}` is not a language code like en_US", template.language)));
    }
    let marketing_only = template
        .components
        .iter()
        .position(|c| matches!(c, TemplateComponent::Carousel(_) | TemplateComponent::LimitedTimeOffer(_)));
    if let (Some(at), Some(TemplateCategory::Utility | TemplateCategory::Authentication)) =
        (marketing_only, template.category)
    {
        return Err(invalid(
            &format!("content.components[{at}]"),
            "carousel and limited-time-offer components belong to marketing templates",
        ));
    }
    body_length(template)?;
    let mut object = json!({ "name": template.name, "language": { "code": template.language } });
    if !template.components.is_empty() {
        let components = template
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| component(&format!("content.components[{i}]"), c))
            .collect::<Result<Vec<_>, _>>()?;
        object["components"] = Value::Array(components);
    }
    Ok(object)
}

/// Meta's limit on the body: the parameters alone must leave room for the template's own text.
fn body_length(template: &TemplateContent) -> Result<(), InvalidField> {
    let alone = template.components.iter().all(|c| matches!(c, TemplateComponent::Body(_)));
    let limit = if alone { MAX_BODY_ALONE } else { MAX_BODY_WITH_OTHERS };
    for (i, component) in template.components.iter().enumerate() {
        let TemplateComponent::Body(parameters) = component else { continue };
        let total = text_chars(parameters);
        if total > limit {
            let why = if alone { "a body-only template" } else { "a template with other components" };
            return Err(invalid(
                &format!("content.components[{i}].parameters"),
                format!("the body parameters hold {total} characters; Meta allows {limit} in {why}"),
            ));
        }
    }
    Ok(())
}

/// Characters of the text parameters.
fn text_chars(parameters: &[TemplateParameter]) -> usize {
    parameters
        .iter()
        .map(|p| match &p.value {
            ParameterValue::Text(text) => text.chars().count(),
            _ => 0,
        })
        .sum()
}

fn component(field: &str, component: &TemplateComponent) -> Result<Value, InvalidField> {
    match component {
        TemplateComponent::Header(parameters) => {
            checks::count(&format!("{field}.parameters"), parameters.len(), 1..=1)?;
            Ok(json!({ "type": "header", "parameters": parameter_list(field, parameters, Place::Header)? }))
        }
        TemplateComponent::Body(parameters) => {
            checks::count(&format!("{field}.parameters"), parameters.len(), 1..=100)?;
            Ok(json!({ "type": "body", "parameters": parameter_list(field, parameters, Place::Body)? }))
        }
        TemplateComponent::Button(button) => {
            if button.index > 9 {
                return Err(invalid(&format!("{field}.index"), "templates have at most 10 buttons (index 0 to 9)"));
            }
            button_object(field, button)
        }
        TemplateComponent::Carousel(cards) => {
            checks::count(&format!("{field}.cards"), cards.len(), 2..=10)?;
            let objects = cards
                .iter()
                .enumerate()
                .map(|(c, card)| card_object(&format!("{field}.cards[{c}]"), c, card, &cards[0]))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(json!({ "type": "carousel", "cards": objects }))
        }
        TemplateComponent::LimitedTimeOffer(expiration_ms) => {
            if *expiration_ms == 0 {
                return Err(invalid(
                    &format!("{field}.expiration_time_ms"),
                    "must be a time in milliseconds since the epoch",
                ));
            }
            Ok(json!({
                "type": "limited_time_offer",
                "parameters": [{ "type": "limited_time_offer", "limited_time_offer": { "expiration_time_ms": expiration_ms } }],
            }))
        }
    }
}

fn button_object(field: &str, button: &TemplateButton) -> Result<Value, InvalidField> {
    checks::count(&format!("{field}.parameters"), button.parameters.len(), 1..=1)?;
    let sub_type = match button.kind {
        ButtonKind::QuickReply => "quick_reply",
        ButtonKind::Url => "url",
        ButtonKind::CopyCode => "copy_code",
    };
    Ok(json!({
        "type": "button",
        "sub_type": sub_type,
        "index": button.index.to_string(),
        "parameters": parameter_list(field, &button.parameters, Place::Button(button.kind))?,
    }))
}

/// One carousel card: an image or video header, an optional body, at most two quick-reply or
/// URL buttons — the same components as the `first` card, as Meta requires.
fn card_object(field: &str, index: usize, card: &CarouselCard, first: &CarouselCard) -> Result<Value, InvalidField> {
    checks::count(&format!("{field}.header"), card.header.len(), 1..=1)?;
    let visual = |value: &ParameterValue| matches!(value, ParameterValue::Media(media) if matches!(media.kind, MediaKind::Image | MediaKind::Video));
    if !visual(&card.header[0].value) {
        return Err(invalid(&format!("{field}.header[0]"), "a card's header is an image or a video"));
    }
    let shape = |c: &CarouselCard| {
        let header = match c.header.first().map(|p| &p.value) {
            Some(ParameterValue::Media(m)) => Some(m.kind),
            _ => None,
        };
        let buttons: Vec<(ButtonKind, u32)> = c.buttons.iter().map(|b| (b.kind, b.index)).collect();
        (header, c.body.len(), buttons)
    };
    if shape(card) != shape(first) {
        return Err(invalid(
            field,
            "every card must have the same components as the first (header kind, body parameters, buttons)",
        ));
    }
    let mut components = vec![json!({
        "type": "header",
        "parameters": parameter_list(&format!("{field}.header"), &card.header, Place::Header)?,
    })];
    if !card.body.is_empty() {
        let total = text_chars(&card.body);
        if total > MAX_CARD_BODY {
            return Err(invalid(
                &format!("{field}.body"),
                format!("the card's body parameters hold {total} characters; a card body has at most {MAX_CARD_BODY}"),
            ));
        }
        components.push(
            json!({ "type": "body", "parameters": parameter_list(&format!("{field}.body"), &card.body, Place::Body)? }),
        );
    }
    checks::count(&format!("{field}.buttons"), card.buttons.len(), 0..=2)?;
    for (b, button) in card.buttons.iter().enumerate() {
        let field = format!("{field}.buttons[{b}]");
        if button.kind == ButtonKind::CopyCode {
            return Err(invalid(&format!("{field}.kind"), "card buttons are quick-reply or URL buttons"));
        }
        if button.index > 1 {
            return Err(invalid(&format!("{field}.index"), "a card has at most 2 buttons (index 0 or 1)"));
        }
        components.push(button_object(&field, button)?);
    }
    Ok(json!({ "card_index": index, "components": components }))
}

/// Where a parameter sits: each place accepts different parameter types.
#[derive(Clone, Copy)]
enum Place {
    Header,
    Body,
    Button(ButtonKind),
}

fn parameter_list(field: &str, parameters: &[TemplateParameter], place: Place) -> Result<Vec<Value>, InvalidField> {
    let named = parameters.iter().filter(|p| p.name.is_some()).count();
    if named != 0 && named != parameters.len() {
        return Err(invalid(
            &format!("{field}.parameters"),
            "mixes named and positional parameters; a template uses one or the other",
        ));
    }
    parameters.iter().enumerate().map(|(i, p)| parameter(&format!("{field}.parameters[{i}]"), p, place)).collect()
}

fn parameter(field: &str, parameter: &TemplateParameter, place: Place) -> Result<Value, InvalidField> {
    let wrong_place = |what: &str| invalid(field, format!("a {what} parameter cannot go there"));
    let mut object = match (&parameter.value, place) {
        (
            ParameterValue::Text(text),
            Place::Header | Place::Body | Place::Button(ButtonKind::Url | ButtonKind::QuickReply),
        ) => {
            checks::text(&format!("{field}.text"), text, if matches!(place, Place::Header) { 60 } else { 32_768 })?;
            // Meta refuses body parameters with new lines, tabs or more than four spaces in a row
            // (error 132018).
            if matches!(place, Place::Body) && (text.contains(['\n', '\t']) || text.contains("     ")) {
                return Err(invalid(
                    &format!("{field}.text"),
                    "cannot contain new lines, tabs or more than 4 consecutive spaces",
                ));
            }
            json!({ "type": "text", "text": text })
        }
        (ParameterValue::Currency(c), Place::Body) => {
            checks::text(&format!("{field}.currency.fallback_value"), &c.fallback_value, 1024)?;
            if c.code.len() != 3 || !c.code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(invalid(&format!("{field}.currency.code"), "must be an ISO 4217 code like USD"));
            }
            json!({ "type": "currency", "currency": {
                "fallback_value": c.fallback_value, "code": c.code, "amount_1000": c.amount_thousandths } })
        }
        (ParameterValue::DateTime(d), Place::Body) => {
            checks::text(&format!("{field}.date_time.fallback_value"), &d.fallback_value, 1024)?;
            let mut date_time = json!({ "fallback_value": d.fallback_value });
            for (key, value) in [
                ("day_of_week", d.day_of_week.map(u32::from)),
                ("year", d.year),
                ("month", d.month.map(u32::from)),
                ("day_of_month", d.day_of_month.map(u32::from)),
                ("hour", d.hour.map(u32::from)),
                ("minute", d.minute.map(u32::from)),
            ] {
                if let Some(value) = value {
                    date_time[key] = json!(value);
                }
            }
            if let Some(calendar) = &d.calendar {
                date_time["calendar"] = json!(calendar);
            }
            json!({ "type": "date_time", "date_time": date_time })
        }
        (ParameterValue::Media(media), Place::Header) => header_media_object(field, media)?,
        (ParameterValue::Location(location), Place::Header) => {
            json!({ "type": "location", "location": location_object(&format!("{field}.location"), location)? })
        }
        (ParameterValue::Payload(payload), Place::Button(ButtonKind::QuickReply)) => {
            checks::text(&format!("{field}.payload"), payload, 1000)?;
            json!({ "type": "payload", "payload": payload })
        }
        (ParameterValue::CouponCode(code), Place::Button(ButtonKind::CopyCode)) => {
            checks::text(&format!("{field}.coupon_code"), code, 15)?;
            json!({ "type": "coupon_code", "coupon_code": code })
        }
        (value, _) => return Err(wrong_place(parameter_kind(value))),
    };
    if let Some(name) = &parameter.name {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(invalid(
                &format!("{field}.name"),
                "parameter names are lowercase letters, digits and underscores",
            ));
        }
        object["parameter_name"] = json!(name);
    }
    Ok(object)
}

fn parameter_kind(value: &ParameterValue) -> &'static str {
    match value {
        ParameterValue::Text(_) => "text",
        ParameterValue::Currency(_) => "currency",
        ParameterValue::DateTime(_) => "date-time",
        ParameterValue::Media(_) => "media",
        ParameterValue::Location(_) => "location",
        ParameterValue::Payload(_) => "payload",
        ParameterValue::CouponCode(_) => "coupon-code",
    }
}
