//! Building omni events: names, deterministic ids, the WIT `event` record.

use omni_channel_vocabulary::EventName;
use sha2::{Digest, Sha256};

use crate::contract::events::{Event, EventKind};
use crate::contract::messaging::{SendFailure, SendOptions};
use crate::contract::types::ChannelError;
use crate::errors::is_retryable;

/// omni's name for an event kind (`message.received`); also the input of event ids.
pub fn omni_name(kind: &EventKind) -> &str {
    let name = match kind {
        EventKind::MessageReceived => EventName::MessageReceived,
        EventKind::MessageSent => EventName::MessageSent,
        EventKind::MessageDelivered => EventName::MessageDelivered,
        EventKind::MessageRead => EventName::MessageRead,
        EventKind::MessageFailed => EventName::MessageFailed,
        EventKind::MessageButtonClick => EventName::MessageButtonClick,
        EventKind::MediaReceived => EventName::MediaReceived,
        EventKind::ReactionReceived => EventName::ReactionReceived,
        EventKind::ReactionRemoved => EventName::ReactionRemoved,
        EventKind::InstanceConnected => EventName::InstanceConnected,
        EventKind::InstanceDisconnected => EventName::InstanceDisconnected,
        EventKind::Other(name) => return name,
    };
    name.as_str()
}

/// A deterministic event id: the same instance, kind and key always give the same id, so a
/// redelivered webhook, or the `sent` status of a message whose send already published
/// `message.sent`, is recognised as a duplicate by the bus.
///
/// 32 lowercase hex digits (128 bits of SHA-256 over the length-prefixed parts).
pub fn event_id(instance_id: &str, kind: &EventKind, key: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in [instance_id, omni_name(kind)].iter().chain(key) {
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut id = [0u8; 32];
    hex::encode_to_slice(&digest[..16], &mut id).expect("32 digits for 16 bytes");
    String::from_utf8_lossy(&id).into_owned()
}

/// Everything needed to publish one event.
pub struct EventSpec<'a> {
    pub instance_id: &'a str,
    pub kind: EventKind,
    /// Provider data that identifies the event (wamid, status...), hashed into its id.
    pub key: &'a [&'a str],
    pub correlation_id: Option<String>,
    pub occurred_at_ms: Option<u64>,
    /// The payload's JSON text (an object).
    pub payload: String,
}

impl<'a> EventSpec<'a> {
    /// An event with no correlation id and no provider time (the host then uses its clock).
    pub fn new(instance_id: &'a str, kind: EventKind, key: &'a [&'a str], payload: String) -> Self {
        Self { instance_id, kind, key, correlation_id: None, occurred_at_ms: None, payload }
    }

    /// The WIT event.
    pub fn build(self) -> Event {
        Event {
            id: event_id(self.instance_id, &self.kind, self.key),
            kind: self.kind,
            instance_id: self.instance_id.to_owned(),
            correlation_id: self.correlation_id,
            occurred_at_ms: self.occurred_at_ms,
            payload: self.payload,
        }
    }
}

/// A failed send with its `message.failed` event (omni's payload: `chatId`, `error`,
/// `errorCode`, `retryable`), for the host to publish once it stops retrying. An unknown
/// outcome has no event: the message may be out, and its status webhooks will tell.
pub fn send_failure(instance_id: &str, chat_id: &str, options: &SendOptions, error: ChannelError) -> SendFailure {
    let (text, code) = match &error {
        ChannelError::OutcomeUnknown(_) => return SendFailure { error, event: None },
        ChannelError::InvalidConfig(problems) => {
            let problems: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
            (format!("invalid configuration: {}", problems.join("; ")), None)
        }
        ChannelError::InvalidRequest(f) => (format!("invalid message: {}: {}", f.field, f.reason), None),
        ChannelError::Provider(e) => (e.message.clone(), e.code.map(|c| c.to_string())),
        ChannelError::Unreachable(e) => (e.message.clone(), None),
        ChannelError::Unsupported(what) => (format!("the channel does not support {what}"), None),
        ChannelError::Integrity(m) | ChannelError::Other(m) => (m.clone(), None),
    };
    let payload = serde_json::json!({
        "chatId": chat_id,
        "error": text,
        "errorCode": code,
        "retryable": is_retryable(&error),
    });
    let event = EventSpec {
        instance_id,
        kind: EventKind::MessageFailed,
        key: &[&options.correlation_id],
        correlation_id: Some(options.correlation_id.clone()),
        occurred_at_ms: None,
        payload: payload.to_string(),
    };
    SendFailure { error, event: Some(event.build()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = event_id("inst", &EventKind::MessageSent, &["wamid.1"]);
        assert_eq!(a, event_id("inst", &EventKind::MessageSent, &["wamid.1"]));
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(a, event_id("inst", &EventKind::MessageDelivered, &["wamid.1"]));
        assert_ne!(a, event_id("other", &EventKind::MessageSent, &["wamid.1"]));
        assert_ne!(
            event_id("i", &EventKind::MessageSent, &["ab", "c"]),
            event_id("i", &EventKind::MessageSent, &["a", "bc"])
        );
    }

    #[test]
    fn other_kinds_use_their_own_name() {
        assert_eq!(omni_name(&EventKind::Other("custom.x".into())), "custom.x");
    }
}
