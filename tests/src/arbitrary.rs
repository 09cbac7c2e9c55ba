//! proptest strategies for webhook bodies: random JSON shaped enough like Meta's notifications
//! to reach deep into the mapping code, and byte-level mutations of signed bodies.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Keys Meta uses, so random objects often hit the fields the plugin reads.
const KEYS: &[&str] = &[
    "object",
    "entry",
    "id",
    "changes",
    "field",
    "value",
    "messaging_product",
    "metadata",
    "phone_number_id",
    "display_phone_number",
    "contacts",
    "profile",
    "name",
    "wa_id",
    "user_id",
    "username",
    "messages",
    "statuses",
    "errors",
    "from",
    "from_user_id",
    "timestamp",
    "type",
    "text",
    "body",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "mime_type",
    "sha256",
    "caption",
    "filename",
    "voice",
    "animated",
    "location",
    "latitude",
    "longitude",
    "interactive",
    "button_reply",
    "list_reply",
    "nfm_reply",
    "response_json",
    "button",
    "payload",
    "reaction",
    "message_id",
    "emoji",
    "order",
    "system",
    "edit",
    "revoke",
    "original_message_id",
    "message",
    "context",
    "forwarded",
    "referral",
    "status",
    "recipient_id",
    "recipient_type",
    "conversation",
    "pricing",
    "code",
    "title",
    "error_data",
    "details",
    "calls",
    "groups",
    "group_id",
    "message_echoes",
    "to",
    "event",
];

/// Values Meta uses for `type`, `status` and `field`.
const WORDS: &[&str] = &[
    "whatsapp_business_account",
    "messages",
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "button_reply",
    "list_reply",
    "nfm_reply",
    "button",
    "reaction",
    "order",
    "system",
    "request_welcome",
    "edit",
    "revoke",
    "unsupported",
    "sent",
    "delivered",
    "read",
    "failed",
    "played",
    "group",
    "calls",
    "account_update",
    "smb_message_echoes",
    "user_preferences",
    "106540352242922",
    "15550001111",
    "wamid.X",
    "",
    "{\"a\":1}",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,16}".prop_map(Value::from),
        proptest::sample::select(WORDS).prop_map(Value::from),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![3 => proptest::sample::select(KEYS).prop_map(str::to_owned), 1 => "[a-z_]{1,10}"]
}

/// Any JSON value, biased towards Meta's vocabulary.
pub fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(key(), inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A notification envelope with random changes inside: the structure the plugin accepts, with
/// anything at all in it.
pub fn notification() -> impl Strategy<Value = Value> {
    let value = (
        proptest::collection::vec(item(), 0..4),
        proptest::collection::vec(item(), 0..4),
        proptest::collection::vec(json_value(), 0..2),
        json_value(),
    )
        .prop_map(|(messages, statuses, contacts, extra)| {
            json!({
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
                "contacts": contacts,
                "messages": messages,
                "statuses": statuses,
                "extra": extra,
            })
        });
    let field = proptest::sample::select(
        &["messages", "messages", "calls", "smb_message_echoes", "account_update", "other"][..],
    );
    proptest::collection::vec((field, value), 1..4).prop_map(|changes| {
        let changes: Vec<Value> =
            changes.into_iter().map(|(field, value)| json!({"field": field, "value": value})).collect();
        json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": changes}]})
    })
}

/// A message or status: an object with an id and anything else.
fn item() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(key(), json_value(), 0..8).prop_map(|m| {
        let mut m: Map<String, Value> = m.into_iter().collect();
        m.entry("id".to_owned()).or_insert_with(|| json!("wamid.random"));
        Value::Object(m)
    })
}

/// A change to a byte string that always alters it.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Flip one bit of the byte at this position (modulo the length).
    Flip { at: usize, bit: u8 },
    /// Insert a byte.
    Insert { at: usize, byte: u8 },
    /// Delete the byte at this position.
    Delete { at: usize },
    /// Keep only a prefix shorter than the whole.
    Truncate { keep: usize },
    /// Swap two different bytes.
    Swap { a: usize, b: usize },
}

/// Any mutation.
pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Delete { at }),
        any::<usize>().prop_map(|keep| Mutation::Truncate { keep }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap { a, b }),
    ]
}

impl Mutation {
    /// Applies the mutation; `None` when it would leave the bytes unchanged (swapping equal
    /// bytes), so callers can skip that case.
    pub fn apply(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let mut out = bytes.to_vec();
        let n = bytes.len().max(1);
        match *self {
            Mutation::Flip { at, bit } => out[at % n] ^= 1 << bit,
            Mutation::Insert { at, byte } => out.insert(at % (n + 1), byte),
            Mutation::Delete { at } => {
                out.remove(at % n);
            }
            Mutation::Truncate { keep } => out.truncate(keep % n),
            Mutation::Swap { a, b } => out.swap(a % n, b % n),
        }
        (out != bytes).then_some(out)
    }
}
