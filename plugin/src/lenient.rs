//! Lenient readers of Meta's JSON: ids, codes and timestamps that Meta sends in one form and
//! hand-written or future payloads may send in another. Used by the inbound mapping and by the
//! parsing of Graph error responses.

use serde_json::Value;

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
