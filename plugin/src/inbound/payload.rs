//! The envelope of a webhook notification, typed as far as its structure is fixed.
//!
//! Items (messages, statuses, errors, other fields' values) stay `serde_json::Value`: they are
//! read leniently field by field and forwarded raw, so that a new field or type from Meta never
//! makes a delivery fail.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// `{object, entry: [...]}`.
#[derive(Debug, Deserialize)]
pub struct Notification {
    #[serde(default, deserialize_with = "lenient_string")]
    pub object: Option<String>,
    pub entry: Vec<Entry>,
}

/// One WhatsApp Business Account's changes.
#[derive(Debug, Deserialize)]
pub struct Entry {
    /// The WABA id.
    #[serde(default, deserialize_with = "lenient_string")]
    pub id: Option<String>,
    pub changes: Vec<Change>,
}

/// `{field, value}`. A field that is not a string reads as empty (and is reported as
/// unhandled), so that one odd change never costs the others in the delivery.
#[derive(Debug, Deserialize)]
pub struct Change {
    #[serde(default, deserialize_with = "lenient_string")]
    pub field: Option<String>,
    #[serde(default)]
    pub value: Value,
}

/// The `value` of a `messages` change.
#[derive(Debug, Default, Deserialize)]
pub struct MessagesValue {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub contacts: Vec<Value>,
    #[serde(default)]
    pub messages: Vec<Value>,
    #[serde(default)]
    pub statuses: Vec<Value>,
    #[serde(default)]
    pub errors: Vec<Value>,
}

/// The business phone number a change concerns.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Metadata {
    #[serde(default, deserialize_with = "lenient_string")]
    pub display_phone_number: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub phone_number_id: Option<String>,
}

/// An optional string that Meta sends as a string and a hand-written payload may send as a
/// number; anything else reads as absent.
fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// A string field that Meta sends as a string but a hand-written payload may send as a number.
pub fn str_field<'a>(item: &'a Value, key: &str) -> Option<std::borrow::Cow<'a, str>> {
    match item.get(key)? {
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s)),
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// An error code: a number, or a numeric string from a hand-written payload.
pub fn code_field(item: &Value, key: &str) -> Option<i64> {
    match item.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A Unix timestamp in seconds (Meta sends `"1697043223"`), as milliseconds.
pub fn timestamp_ms(item: &Value, key: &str) -> Option<u64> {
    let seconds: u64 = match item.get(key)? {
        Value::String(s) => s.trim().parse().ok()?,
        Value::Number(n) => n.as_u64()?,
        _ => return None,
    };
    seconds.checked_mul(1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_from_strings_or_numbers() {
        assert_eq!(timestamp_ms(&json!({"t": "1697043223"}), "t"), Some(1_697_043_223_000));
        assert_eq!(timestamp_ms(&json!({"t": 1697043223}), "t"), Some(1_697_043_223_000));
        assert_eq!(timestamp_ms(&json!({"t": "soon"}), "t"), None);
        assert_eq!(timestamp_ms(&json!({"t": -1}), "t"), None);
        assert_eq!(timestamp_ms(&json!({"t": u64::MAX.to_string()}), "t"), None);
    }

    #[test]
    fn ids_from_strings_or_numbers() {
        assert_eq!(str_field(&json!({"wa_id": 16505551234u64}), "wa_id").as_deref(), Some("16505551234"));
        assert_eq!(str_field(&json!({"wa_id": "1"}), "wa_id").as_deref(), Some("1"));
        assert_eq!(str_field(&json!({"wa_id": null}), "wa_id"), None);
    }
}
