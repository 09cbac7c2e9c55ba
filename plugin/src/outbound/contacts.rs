//! Contact cards → Meta's `contacts` array.

use serde_json::{Map, Value, json};

use super::checks::{self, invalid};
use crate::wit::messaging::ContactCard;
use crate::wit::types::InvalidField;

/// Most cards one message may carry.
const MAX_CARDS: usize = 20;

/// The `contacts` array of a contacts message.
pub fn array(cards: &[ContactCard]) -> Result<Value, InvalidField> {
    checks::count("content.contacts", cards.len(), 1..=MAX_CARDS)?;
    cards.iter().enumerate().map(|(i, card)| card_object(&format!("content.contacts[{i}]"), card)).collect()
}

fn card_object(field: &str, card: &ContactCard) -> Result<Value, InvalidField> {
    let mut object = Map::new();
    let name = &card.name;
    checks::text(&format!("{field}.name.formatted_name"), &name.formatted_name, 512)?;
    let mut name_object = Map::new();
    name_object.insert("formatted_name".into(), json!(name.formatted_name));
    insert_present(
        &mut name_object,
        &[
            ("first_name", &name.first_name),
            ("last_name", &name.last_name),
            ("middle_name", &name.middle_name),
            ("prefix", &name.prefix),
            ("suffix", &name.suffix),
        ],
    );
    object.insert("name".into(), Value::Object(name_object));

    let labelled = |list: Vec<(String, Option<String>, Option<String>)>, value_key: &str| -> Vec<Value> {
        list.into_iter()
            .map(|(value, label, wa_id)| {
                let mut entry = json!({ value_key: value });
                if let Some(label) = label {
                    entry["type"] = json!(label);
                }
                if let Some(wa_id) = wa_id {
                    entry["wa_id"] = json!(wa_id);
                }
                entry
            })
            .collect()
    };
    for (i, phone) in card.phones.iter().enumerate() {
        checks::text(&format!("{field}.phones[{i}].phone"), &phone.phone, 64)?;
    }
    for (i, email) in card.emails.iter().enumerate() {
        if !email.email.contains('@') {
            return Err(invalid(
                &format!("{field}.emails[{i}].email"),
                format!("`{}` is not an email address", email.email),
            ));
        }
    }
    for (i, url) in card.urls.iter().enumerate() {
        checks::text(&format!("{field}.urls[{i}].url"), &url.url, 2048)?;
    }
    let phones =
        labelled(card.phones.iter().map(|p| (p.phone.clone(), p.label.clone(), p.wa_id.clone())).collect(), "phone");
    let emails = labelled(card.emails.iter().map(|e| (e.email.clone(), e.label.clone(), None)).collect(), "email");
    let urls = labelled(card.urls.iter().map(|u| (u.url.clone(), u.label.clone(), None)).collect(), "url");
    for (key, list) in [("phones", phones), ("emails", emails), ("urls", urls)] {
        if !list.is_empty() {
            object.insert(key.into(), Value::Array(list));
        }
    }
    if !card.addresses.is_empty() {
        let addresses = card
            .addresses
            .iter()
            .map(|a| {
                let mut entry = Map::new();
                insert_present(
                    &mut entry,
                    &[
                        ("street", &a.street),
                        ("city", &a.city),
                        ("state", &a.state),
                        ("zip", &a.zip),
                        ("country", &a.country),
                        ("country_code", &a.country_code),
                        ("type", &a.label),
                    ],
                );
                Value::Object(entry)
            })
            .collect();
        object.insert("addresses".into(), Value::Array(addresses));
    }
    if let Some(org) = &card.org {
        let mut entry = Map::new();
        insert_present(
            &mut entry,
            &[("company", &org.company), ("department", &org.department), ("title", &org.title)],
        );
        object.insert("org".into(), Value::Object(entry));
    }
    if let Some(birthday) = &card.birthday {
        let ok = birthday.len() == 10
            && birthday.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !ok {
            return Err(invalid(&format!("{field}.birthday"), "must be YYYY-MM-DD"));
        }
        object.insert("birthday".into(), json!(birthday));
    }
    Ok(Value::Object(object))
}

/// Adds the fields that have a value.
fn insert_present(object: &mut Map<String, Value>, fields: &[(&str, &Option<String>)]) {
    for (key, value) in fields {
        if let Some(value) = value {
            object.insert((*key).into(), json!(value));
        }
    }
}
