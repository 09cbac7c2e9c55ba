//! [`Node`]: a parsed JSON value that borrows from its input.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use super::escape;

/// A JSON value borrowing its strings from the parsed input where it can.
///
/// Objects keep their members in input order, duplicates included; [`Node::get`] answers the
/// last of a duplicated key, as `serde_json::Value` would.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    Number(Number),
    Str(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

/// `null`, for lookups that find nothing but must return a node.
pub static NULL: Node<'static> = Node::Null;

impl<'a> Node<'a> {
    /// Parses a whole document. Errors are `serde_json`'s (its syntax, its nesting limit).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The member `key` of an object (the last one, if repeated).
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The node at a JSON Pointer (`/context/id`, `/phones/0/phone`), as
    /// `serde_json::Value::pointer` finds it.
    pub fn pointer(&self, pointer: &str) -> Option<&Node<'a>> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        let mut node = self;
        for token in rest.split('/') {
            // `~1` and `~0` escape `/` and `~`; the pointers the plugin uses have neither.
            let unescaped;
            let token = if token.as_bytes().contains(&b'~') {
                unescaped = token.replace("~1", "/").replace("~0", "~");
                unescaped.as_str()
            } else {
                token
            };
            node = match node {
                Node::Object(_) => node.get(token)?,
                Node::Array(items) => items.get(parse_index(token)?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Node::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Node::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node<'a>]> {
        match self {
            Node::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members of an object, in input order.
    pub fn members(&self) -> Option<&[(Cow<'a, str>, Node<'a>)]> {
        match self {
            Node::Object(members) => Some(members),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }

    /// The elements of an array, none for anything else.
    pub fn items(&self) -> impl Iterator<Item = &Node<'a>> {
        self.as_array().unwrap_or_default().iter()
    }

    /// Appends the node as JSON (members in input order).
    pub fn write(&self, out: &mut String) {
        self.write_as(out, false);
    }

    /// The node as JSON (members in input order).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// The node as `serde_json::Value::to_string` writes it: keys sorted, a repeated key once
    /// (its last value). Event ids are hashed from this text where an item has no id of its
    /// own, so it must not change with the parser.
    pub fn to_canonical_json(&self) -> String {
        let mut out = String::new();
        self.write_as(&mut out, true);
        out
    }

    fn write_as(&self, out: &mut String, canonical: bool) {
        match self {
            Node::Null => out.push_str("null"),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Number(n) => escape::number(out, n),
            Node::Str(s) => escape::write_str(out, s),
            Node::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_as(out, canonical);
                }
                out.push(']');
            }
            Node::Object(members) if !canonical => write_members(out, members.iter(), false),
            Node::Object(members) => {
                // Later duplicates replace earlier ones, as in a map; keys sorted.
                let mut sorted: Vec<&(Cow<'a, str>, Node<'a>)> = Vec::with_capacity(members.len());
                for member in members.iter().rev() {
                    if !sorted.iter().any(|(k, _)| *k == member.0) {
                        sorted.push(member);
                    }
                }
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                write_members(out, sorted.into_iter(), true);
            }
        }
    }
}

fn write_members<'m, 'a: 'm>(
    out: &mut String,
    members: impl Iterator<Item = &'m (Cow<'a, str>, Node<'a>)>,
    canonical: bool,
) {
    out.push('{');
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            out.push(',');
        }
        escape::write_str(out, key);
        out.push(':');
        value.write_as(out, canonical);
    }
    out.push('}');
}

/// An array index in a JSON Pointer: digits, no leading zero (as `serde_json` reads them).
fn parse_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() > 1) {
        return None;
    }
    token.parse().ok()
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Node<'de>, E> {
        // `serde_json::Value` makes non-finite numbers null; the JSON grammar has none anyway.
        Ok(Number::from_f64(n).map_or(Node::Null, Node::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(s)))
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node<'de>, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        // serde_json gives no size hint: room for a typical array or object from the start.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(Key(key)) = map.next_key()? {
            members.push((key, map.next_value()?));
        }
        Ok(Node::Object(members))
    }
}

/// An object key, borrowed when it holds no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const SAMPLES: &[&str] = &[
        r#"{"b":1,"a":[true,false,null,-5,2.5,1e3,18446744073709551615],"c":{"z":"x\"y","y":"\u00e9\n"}}"#,
        r#"{"k":1,"k":2,"j":{"k":"first","k":"last"}}"#,
        r#"[{"\u0041":"escaped key"},"日本語 🙏",[],{}]"#,
        r#""just a string""#,
        r#"12345678901234567890123"#,
    ];

    #[test]
    fn pointers_with_escapes_find_what_serde_json_finds() {
        let text = br#"{"a/b": {"c~d": [10, 20]}, "plain": {"x": 1}}"#;
        let node = Node::parse(text).unwrap();
        let value: serde_json::Value = serde_json::from_slice(text).unwrap();
        for pointer in ["/a~1b/c~0d/1", "/a~1b", "/plain/x", "/a/b", "/plain/~1", ""] {
            let ours = node.pointer(pointer).map(Node::to_canonical_json);
            assert_eq!(ours, value.pointer(pointer).map(|v| v.to_string()), "{pointer}");
        }
    }

    #[test]
    fn canonical_text_is_what_serde_json_value_writes() {
        for sample in SAMPLES {
            let node = Node::parse(sample.as_bytes()).unwrap();
            let value: Value = serde_json::from_str(sample).unwrap();
            assert_eq!(node.to_canonical_json(), value.to_string(), "{sample}");
        }
    }

    #[test]
    fn written_text_parses_back_to_the_same_value() {
        for sample in SAMPLES {
            let node = Node::parse(sample.as_bytes()).unwrap();
            let written: Value = serde_json::from_str(&node.to_json()).unwrap();
            assert_eq!(written, serde_json::from_str::<Value>(sample).unwrap(), "{sample}");
        }
    }

    #[test]
    fn lookups_behave_like_serde_json_value() {
        for sample in SAMPLES {
            let node = Node::parse(sample.as_bytes()).unwrap();
            let value: Value = serde_json::from_str(sample).unwrap();
            for pointer in ["", "/k", "/j/k", "/a/0", "/a/6", "/a/01", "/c/z", "/0/A", "/1", "/nope", "/a/x", "/c/y/0"]
            {
                let found = node.pointer(pointer).map(|n| serde_json::from_str::<Value>(&n.to_json()).unwrap());
                assert_eq!(found.as_ref(), value.pointer(pointer), "{sample} {pointer}");
            }
        }
    }

    #[test]
    fn strings_without_escapes_borrow_from_the_input() {
        let body = br#"{"plain":"abc","escaped":"a\nb"}"#;
        let node = Node::parse(body).unwrap();
        assert!(matches!(node.get("plain"), Some(Node::Str(Cow::Borrowed("abc")))));
        assert!(matches!(node.get("escaped"), Some(Node::Str(Cow::Owned(_)))));
    }

    #[test]
    fn invalid_documents_are_serde_jsons_errors() {
        for bad in ["{", "[1,]", "{\"a\" 1}", "\"\\ud800\"", "1e400", "{} {}"] {
            let ours = Node::parse(bad.as_bytes()).unwrap_err().to_string();
            let theirs = serde_json::from_str::<Value>(bad).unwrap_err().to_string();
            assert_eq!(ours, theirs, "{bad}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(Node::parse(deep.as_bytes()).is_err(), "the nesting limit holds");
    }
}
