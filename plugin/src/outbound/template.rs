//! Templates → Meta's `template` object, checked the way Meta checks them (empty parameters,
//! mixed named and positional parameters, new lines in body parameters...) so that a template
//! error names the component and parameter instead of coming back as error 132000.

use serde_json::{Value, json};

use super::checks::{self, invalid};
use super::objects::{header_media_object, location_object};
use crate::wit::messaging::{ButtonKind, ParameterValue, TemplateComponent, TemplateContent, TemplateParameter};
use crate::wit::types::InvalidField;

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
    }
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
