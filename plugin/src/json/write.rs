//! Writing JSON straight into a string: event payloads are built member by member, with the
//! provider's own data copied from the parsed body rather than rebuilt.

use super::Node;
use super::escape::write_str;

/// A JSON object being written. Members are appended in call order; nothing checks for
/// repeated keys, so each builder writes each key once.
#[derive(Debug, Default)]
pub struct Object {
    out: String,
}

impl Object {
    pub fn new() -> Self {
        Self::with_capacity(256)
    }

    pub fn with_capacity(bytes: usize) -> Self {
        let mut out = String::with_capacity(bytes);
        out.push('{');
        Self { out }
    }

    fn key(&mut self, key: &str) -> &mut String {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        write_str(&mut self.out, key);
        self.out.push(':');
        &mut self.out
    }

    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        write_str(self.key(key), value);
        self
    }

    /// The string, or nothing when absent.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.str(key, value);
        }
        self
    }

    /// The string, or `null` when absent.
    pub fn str_or_null(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.str(key, value),
            None => self.null(key),
        }
    }

    pub fn null(&mut self, key: &str) -> &mut Self {
        self.key(key).push_str("null");
        self
    }

    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key).push_str(if value { "true" } else { "false" });
        self
    }

    pub fn u64(&mut self, key: &str, value: u64) -> &mut Self {
        use std::fmt::Write as _;
        let _ = write!(self.key(key), "{value}");
        self
    }

    /// The number, or nothing when absent.
    pub fn opt_u64(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        if let Some(value) = value {
            self.u64(key, value);
        }
        self
    }

    /// The number, or `null` when absent.
    pub fn u64_or_null(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        match value {
            Some(value) => self.u64(key, value),
            None => self.null(key),
        }
    }

    /// A node of the parsed body, as it came.
    pub fn node(&mut self, key: &str, value: &Node<'_>) -> &mut Self {
        value.write(self.key(key));
        self
    }

    /// The node, or nothing when absent.
    pub fn opt_node(&mut self, key: &str, value: Option<&Node<'_>>) -> &mut Self {
        if let Some(value) = value {
            self.node(key, value);
        }
        self
    }

    /// The node, or `null` when absent.
    pub fn node_or_null(&mut self, key: &str, value: Option<&Node<'_>>) -> &mut Self {
        self.node(key, value.unwrap_or(&super::NULL))
    }

    /// A member that is already JSON text (a nested object or array written elsewhere).
    pub fn json(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key).push_str(json);
        self
    }

    /// A nested object.
    pub fn object(&mut self, key: &str, value: Object) -> &mut Self {
        self.json(key, &value.finish())
    }

    pub fn is_empty(&self) -> bool {
        self.out.len() == 1
    }

    /// The object's JSON text.
    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// A JSON array being written.
#[derive(Debug)]
pub struct Array {
    out: String,
}

impl Default for Array {
    fn default() -> Self {
        Self::new()
    }
}

impl Array {
    pub fn new() -> Self {
        Self { out: String::from("[") }
    }

    fn next(&mut self) -> &mut String {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        &mut self.out
    }

    pub fn node(&mut self, value: &Node<'_>) -> &mut Self {
        value.write(self.next());
        self
    }

    pub fn json(&mut self, json: &str) -> &mut Self {
        self.next().push_str(json);
        self
    }

    pub fn finish(mut self) -> String {
        self.out.push(']');
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn objects_hold_what_was_written() {
        let node = Node::parse(br#"{"id":"wamid.1","n":[1,2]}"#).unwrap();
        let mut nested = Object::new();
        nested.str("x", "y");
        let mut object = Object::new();
        object
            .str("s", "a\"b")
            .opt_str("skipped", None)
            .str_or_null("nulled", None)
            .bool("b", false)
            .u64("n", 42)
            .opt_u64("gone", None)
            .u64_or_null("none", None)
            .node("raw", &node)
            .node_or_null("missing", None)
            .object("nested", nested);
        let written: Value = serde_json::from_str(&object.finish()).unwrap();
        assert_eq!(
            written,
            json!({"s": "a\"b", "nulled": null, "b": false, "n": 42, "none": null,
                   "raw": {"id": "wamid.1", "n": [1, 2]}, "missing": null, "nested": {"x": "y"}})
        );
        assert_eq!(Object::new().finish(), "{}");
        let mut array = Array::new();
        array.node(&node).json("7");
        assert_eq!(array.finish(), r#"[{"id":"wamid.1","n":[1,2]},7]"#);
    }
}
