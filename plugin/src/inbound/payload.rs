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

/// `{field, value}`. A field name that is neither a string nor a number reads as empty, and a
/// missing value as null: such a change is reported as unhandled, so that one odd change never
/// costs the others in the delivery.
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
