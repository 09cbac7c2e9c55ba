//! The envelope of a webhook notification, read as far as its structure is fixed:
//! `{object, entry: [{id, changes: [{field, value}]}]}`, and the `value` of a `messages` change.
//!
//! Items (messages, statuses, errors, other fields' values) stay [`Node`]s: they are read
//! leniently field by field and forwarded raw.

use std::borrow::Cow;

use crate::json::Node;
use crate::lenient::as_lenient_str;

/// `{object, entry: [...]}`.
pub struct Notification<'a> {
    pub object: Option<Cow<'a, str>>,
    pub entries: Vec<Entry<'a>>,
}

/// One WhatsApp Business Account's changes.
pub struct Entry<'a> {
    /// The WABA id.
    pub id: Option<Cow<'a, str>>,
    pub changes: Vec<Change<'a>>,
}

/// `{field, value}`. A field name that is neither a string nor a number reads as empty, a
/// missing value as null, and a change that is not an object as a change of no field whose
/// value is the whole item: such a change is reported as unhandled, so that one odd change
/// never costs the others in the delivery.
pub struct Change<'a> {
    pub field: Option<Cow<'a, str>>,
    pub value: &'a Node<'a>,
}

/// The `value` of a `messages` change (and of the other fields, which share its metadata).
pub struct MessagesValue<'a> {
    pub metadata: Metadata<'a>,
    pub contacts: &'a [Node<'a>],
    pub messages: &'a [Node<'a>],
    pub statuses: &'a [Node<'a>],
    pub errors: &'a [Node<'a>],
}

/// The business phone number a change concerns.
#[derive(Default)]
pub struct Metadata<'a> {
    pub display_phone_number: Option<Cow<'a, str>>,
    pub phone_number_id: Option<Cow<'a, str>>,
}

/// Reads the envelope; the error says what is not shaped as a notification.
pub fn read<'a>(root: &'a Node<'a>) -> Result<Notification<'a>, String> {
    if root.members().is_none() {
        return Err("the body is not a JSON object".into());
    }
    let entries = array(root, "entry")?
        .iter()
        .map(|entry| {
            if entry.members().is_none() {
                return Err("an `entry` item is not an object".to_owned());
            }
            let changes = array(entry, "changes")?
                .iter()
                .map(|change| match change.members() {
                    Some(_) => Change {
                        field: change.get("field").and_then(as_lenient_str),
                        value: change.get("value").unwrap_or(&crate::json::NULL),
                    },
                    // Reported whole (as a change of no field), like any change not mapped.
                    None => Change { field: None, value: change },
                })
                .collect();
            Ok(Entry { id: entry.get("id").and_then(as_lenient_str), changes })
        })
        .collect::<Result<_, String>>()?;
    Ok(Notification { object: root.get("object").and_then(as_lenient_str), entries })
}

impl Notification<'_> {
    /// The items of a notification: the elements of every array directly under a change's
    /// `value`, or under its `standby` object (a change without any counts as one).
    pub fn items(&self) -> usize {
        let arrays = |value: &Node<'_>| {
            value
                .members()
                .unwrap_or_default()
                .iter()
                .filter_map(|(_, v)| v.as_array())
                .map(<[Node<'_>]>::len)
                .sum::<usize>()
        };
        let items = |value: &Node<'_>| arrays(value) + value.get("standby").map_or(0, arrays);
        self.entries.iter().flat_map(|e| &e.changes).map(|c| items(c.value).max(1)).sum()
    }
}

/// Reads a change's value; the error says which part is not shaped as Meta documents it.
pub fn read_value<'a>(value: &'a Node<'a>) -> Result<MessagesValue<'a>, String> {
    if value.members().is_none() {
        return Err("the value is not an object".into());
    }
    let list = |key: &str| match value.get(key) {
        None => Ok(&[][..]),
        Some(Node::Array(items)) => Ok(items.as_slice()),
        Some(_) => Err(format!("`{key}` is not an array")),
    };
    let metadata = match value.get("metadata") {
        // `messaging_handovers` names the business number as its `recipient`.
        None => match value.get("recipient") {
            Some(recipient @ Node::Object(_)) => Metadata {
                display_phone_number: recipient.get("display_phone_number").and_then(as_lenient_str),
                phone_number_id: recipient.get("phone_number_id").and_then(as_lenient_str),
            },
            _ => Metadata::default(),
        },
        Some(metadata @ Node::Object(_)) => Metadata {
            display_phone_number: metadata.get("display_phone_number").and_then(as_lenient_str),
            phone_number_id: metadata.get("phone_number_id").and_then(as_lenient_str),
        },
        Some(_) => return Err("`metadata` is not an object".into()),
    };
    Ok(MessagesValue {
        metadata,
        contacts: list("contacts")?,
        messages: list("messages")?,
        statuses: list("statuses")?,
        errors: list("errors")?,
    })
}

/// The array member `key` of an object, required.
fn array<'a>(object: &'a Node<'a>, key: &str) -> Result<&'a [Node<'a>], String> {
    match object.get(key) {
        Some(Node::Array(items)) => Ok(items),
        Some(_) => Err(format!("`{key}` is not an array")),
        None => Err(format!("`{key}` is missing")),
    }
}
