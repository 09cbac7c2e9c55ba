//! Meta message types → omni content.

use serde_json::{Map, Value, json};

/// omni's `content` object for one message.
pub(crate) struct Content {
    /// `type`, `text` and the type's own fields.
    pub fields: Map<String, Value>,
}

/// Reads the content of a message by its `type`. Unknown types become `unknown` with their
/// type name kept; nothing is dropped.
pub(crate) fn extract(message: &Value) -> Content {
    let meta_type = message.get("type").and_then(Value::as_str).unwrap_or("");
    let body = message.get(meta_type);
    let mut fields = Map::new();
    match (meta_type, body) {
        ("text", Some(text)) => {
            fields.insert("type".into(), json!("text"));
            if let Some(t) = text.get("body").and_then(Value::as_str) {
                fields.insert("text".into(), json!(t));
            }
        }
        _ => {
            fields.insert("type".into(), json!("unknown"));
            fields.insert("providerType".into(), json!(meta_type));
        }
    }
    Content { fields }
}
