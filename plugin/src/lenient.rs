//! Lenient readers of Meta's JSON: ids, codes and timestamps that Meta sends in one form and
//! hand-written or future payloads may send in another. Used by the inbound mapping and by the
//! parsing of Graph error responses.

use std::borrow::Cow;

use crate::json::Node;

/// A string field that Meta sends as a string but a hand-written payload may send as a number.
pub fn str_field<'n>(item: &'n Node<'_>, key: &str) -> Option<Cow<'n, str>> {
    as_lenient_str(item.get(key)?)
}

/// A node read as a string: a string, or a number's digits.
pub fn as_lenient_str<'n>(node: &'n Node<'_>) -> Option<Cow<'n, str>> {
    match node {
        Node::Str(s) => Some(Cow::Borrowed(s)),
        Node::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// An error code: a number, or a numeric string from a hand-written payload.
pub fn code_field(item: &Node<'_>, key: &str) -> Option<i64> {
    match item.get(key)? {
        Node::Number(n) => n.as_i64(),
        Node::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A Unix timestamp in seconds (Meta sends `"1697043223"`), as milliseconds.
pub fn timestamp_ms(item: &Node<'_>, key: &str) -> Option<u64> {
    let seconds: u64 = match item.get(key)? {
        Node::Str(s) => s.trim().parse().ok()?,
        Node::Number(n) => n.as_u64()?,
        _ => return None,
    };
    seconds.checked_mul(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(json: &str) -> Node<'_> {
        Node::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn timestamps_from_strings_or_numbers() {
        assert_eq!(timestamp_ms(&node(r#"{"t": "1697043223"}"#), "t"), Some(1_697_043_223_000));
        assert_eq!(timestamp_ms(&node(r#"{"t": 1697043223}"#), "t"), Some(1_697_043_223_000));
        assert_eq!(timestamp_ms(&node(r#"{"t": "soon"}"#), "t"), None);
        assert_eq!(timestamp_ms(&node(r#"{"t": -1}"#), "t"), None);
        assert_eq!(timestamp_ms(&node(&format!(r#"{{"t": "{}"}}"#, u64::MAX)), "t"), None);
    }

    #[test]
    fn ids_from_strings_or_numbers() {
        assert_eq!(str_field(&node(r#"{"wa_id": 16505551234}"#), "wa_id").as_deref(), Some("16505551234"));
        assert_eq!(str_field(&node(r#"{"wa_id": "1"}"#), "wa_id").as_deref(), Some("1"));
        assert_eq!(str_field(&node(r#"{"wa_id": null}"#), "wa_id"), None);
    }

    #[test]
    fn codes_from_numbers_or_numeric_strings() {
        assert_eq!(code_field(&node(r#"{"code": 131048}"#), "code"), Some(131048));
        assert_eq!(code_field(&node(r#"{"code": " 130429 "}"#), "code"), Some(130429));
        assert_eq!(code_field(&node(r#"{"code": "x"}"#), "code"), None);
    }
}
