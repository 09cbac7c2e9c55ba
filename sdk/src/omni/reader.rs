//! Reading omni's JSON with the path of every value, so that each refusal names the field
//! (`content.location.latitude`) the way omni's caller wrote it.

use serde_json::{Map, Value};

use crate::contract::types::InvalidField;

/// A refusal of the field at `path`.
pub fn invalid(path: &str, reason: impl Into<String>) -> InvalidField {
    InvalidField { field: path.to_owned(), reason: reason.into() }
}

/// `parent.key`, or `key` at the top.
pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() { key.to_owned() } else { format!("{parent}.{key}") }
}

/// A JSON object being read: every key read is remembered, so that [`Fields::finish`] can
/// refuse the ones nobody asked for.
pub struct Fields<'a> {
    path: String,
    map: &'a Map<String, Value>,
    read: Vec<&'a str>,
}

impl<'a> Fields<'a> {
    /// The object at `path`.
    pub fn new(path: &str, value: &'a Value) -> Result<Self, InvalidField> {
        match value {
            Value::Object(map) => Ok(Self { path: path.to_owned(), map, read: Vec::new() }),
            other => Err(invalid(path, format!("must be an object, not {}", kind(other)))),
        }
    }

    /// The path of `key` in this object.
    pub fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The value of `key`, `None` when absent or `null` (omni's JSON drops `undefined`, and
    /// some callers write `null` for "not given").
    pub fn value(&mut self, key: &str) -> Option<&'a Value> {
        let (name, value) = self.map.get_key_value(key)?;
        self.read.push(name.as_str());
        (!value.is_null()).then_some(value)
    }

    /// Whether `key` holds a value.
    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    /// An optional string.
    pub fn opt_str(&mut self, key: &str) -> Result<Option<String>, InvalidField> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(invalid(&self.path_of(key), format!("must be a string, not {}", kind(other)))),
        }
    }

    /// A required string.
    pub fn str(&mut self, key: &str) -> Result<String, InvalidField> {
        self.opt_str(key)?.ok_or_else(|| invalid(&self.path_of(key), "is required"))
    }

    /// An optional boolean.
    pub fn opt_bool(&mut self, key: &str) -> Result<Option<bool>, InvalidField> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(invalid(&self.path_of(key), format!("must be true or false, not {}", kind(other)))),
        }
    }

    /// An optional number.
    pub fn opt_f64(&mut self, key: &str) -> Result<Option<f64>, InvalidField> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(other) => Err(invalid(&self.path_of(key), format!("must be a number, not {}", kind(other)))),
        }
    }

    /// An optional integer within `T`'s range.
    pub fn opt_int<T: TryFrom<i64>>(&mut self, key: &str) -> Result<Option<T>, InvalidField> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .and_then(|i| T::try_from(i).ok())
                .map(Some)
                .ok_or_else(|| invalid(&self.path_of(key), format!("{n} is not a whole number in range"))),
            Some(other) => Err(invalid(&self.path_of(key), format!("must be a number, not {}", kind(other)))),
        }
    }

    /// A required integer.
    pub fn int<T: TryFrom<i64>>(&mut self, key: &str) -> Result<T, InvalidField> {
        self.opt_int(key)?.ok_or_else(|| invalid(&self.path_of(key), "is required"))
    }

    /// A required nested object.
    pub fn object(&mut self, key: &str) -> Result<Fields<'a>, InvalidField> {
        let path = self.path_of(key);
        match self.value(key) {
            Some(value) => Fields::new(&path, value),
            None => Err(invalid(&path, "is required")),
        }
    }

    /// An optional nested object.
    pub fn opt_object(&mut self, key: &str) -> Result<Option<Fields<'a>>, InvalidField> {
        let path = self.path_of(key);
        self.value(key).map(|value| Fields::new(&path, value)).transpose()
    }

    /// An optional array of objects (absent reads as empty), each with its path.
    pub fn objects(&mut self, key: &str) -> Result<Vec<Fields<'a>>, InvalidField> {
        let path = self.path_of(key);
        match self.value(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                items.iter().enumerate().map(|(i, item)| Fields::new(&format!("{path}[{i}]"), item)).collect()
            }
            Some(other) => Err(invalid(&path, format!("must be an array, not {}", kind(other)))),
        }
    }

    /// Refuses any key that was not read: a field the channel does not know is a mistake the
    /// caller should hear about, not something to drop silently.
    pub fn finish(self) -> Result<(), InvalidField> {
        match self.map.iter().find(|(key, value)| !value.is_null() && !self.read.contains(&key.as_str())) {
            Some((key, _)) => Err(invalid(&self.path_of(key), "is not a field WhatsApp messages have")),
            None => Ok(()),
        }
    }
}

/// What kind of JSON value this is, for messages.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_name_the_field() {
        let value = json!({"location": {"latitude": "north"}});
        let mut top = Fields::new("content", &value).unwrap();
        let mut location = top.object("location").unwrap();
        assert_eq!(location.opt_f64("latitude").unwrap_err().field, "content.location.latitude");
        assert_eq!(top.object("missing").err().map(|e| e.field).as_deref(), Some("content.missing"));
    }

    #[test]
    fn unread_keys_are_refused_and_nulls_are_absent() {
        let value = json!({"text": "hi", "colour": "red", "caption": null});
        let mut fields = Fields::new("content", &value).unwrap();
        assert_eq!(fields.opt_str("caption").unwrap(), None);
        fields.str("text").unwrap();
        assert_eq!(fields.finish().unwrap_err().field, "content.colour");
    }

    #[test]
    fn integers_are_range_checked() {
        let value = json!({"index": 300, "n": -1});
        let mut fields = Fields::new("", &value).unwrap();
        assert!(fields.int::<u8>("index").is_err());
        assert!(fields.int::<u32>("n").is_err());
    }
}
