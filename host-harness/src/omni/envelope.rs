//! omni's event envelope: what the host adds to each event a plugin publishes (subject, channel
//! type, metadata, timings) and checks about it, and the `OmniEvent` shape it has on omni's bus.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use omni_channel_vocabulary::EventName;
pub use omni_channel_vocabulary::is_subject_tokens;

use super::now_ms;
use crate::bindings::events::{Event, EventKind};

/// Largest payload accepted from a plugin for one event (a sink may take less).
pub const MAX_PAYLOAD_BYTES: usize = omni_channel_vocabulary::limits::MAX_EVENT_BYTES;
/// Longest event id (it becomes a `Nats-Msg-Id` header).
const MAX_ID_LEN: usize = 256;

/// One omni event as it goes onto the bus: also the line format of the JSON-lines sink.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OmniEvent {
    /// The plugin's deterministic id: the bus's deduplication key.
    pub id: String,
    /// omni event type (`message.received`).
    pub event: String,
    /// `{event}.{channelType}.{instanceId}`.
    pub subject: String,
    pub instance_id: String,
    pub channel_type: String,
    /// When it happened (the provider's time when known), Unix ms.
    pub timestamp: u64,
    /// omni's `EventMetadata`.
    pub metadata: EventMetadata,
    /// omni's payload for `event`: the plugin's JSON text, checked and carried as it is (the
    /// host builds no tree of it). [`OmniEvent::payload`] parses it, for readers.
    #[serde(rename = "payload")]
    pub payload_json: Box<RawValue>,
}

impl PartialEq for OmniEvent {
    fn eq(&self, other: &Self) -> bool {
        (&self.id, &self.event, &self.subject, &self.instance_id, &self.channel_type, self.timestamp, &self.metadata)
            == (
                &other.id,
                &other.event,
                &other.subject,
                &other.instance_id,
                &other.channel_type,
                other.timestamp,
                &other.metadata,
            )
            && self.payload_json.get() == other.payload_json.get()
    }
}

/// omni's `EventMetadata`, as the channel fills it in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventMetadata {
    /// The provider's id for what happened (a wamid), else the event id.
    pub correlation_id: String,
    pub instance_id: String,
    pub channel_type: String,
    /// `channel:{channelType}`.
    pub source: String,
    pub timings: Timings,
}

/// When the event happened by the provider's clock, and when the channel saw it (Unix ms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<u64>,
    pub channel: u64,
}

/// omni's name for a WIT event kind (the names are the shared vocabulary's).
pub fn event_name(kind: &EventKind) -> &str {
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

impl OmniEvent {
    /// Checks a plugin's event and wraps it in omni's envelope. Refuses events for instances
    /// outside the call, names that would break subjects, and payloads that are not JSON
    /// objects.
    pub fn from_wit(event: Event, channel_type: &str, instances: &[String]) -> Result<Self, String> {
        let name = event_name(&event.kind).to_owned();
        if !is_subject_tokens(&name) {
            return Err(format!("`{name}` is not a valid event type"));
        }
        if !instances.contains(&event.instance_id) {
            return Err(format!("event for instance `{}`, which this call does not concern", event.instance_id));
        }
        if event.id.is_empty() || event.id.len() > MAX_ID_LEN || !event.id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("event ids must be 1 to 256 printable ASCII characters".into());
        }
        if event.payload.len() > MAX_PAYLOAD_BYTES {
            return Err(format!("a {}-byte payload exceeds the {MAX_PAYLOAD_BYTES}-byte limit", event.payload.len()));
        }
        // Checked, not parsed into a tree: the payload goes on as the plugin wrote it.
        let payload = RawValue::from_string(event.payload).map_err(|e| format!("payload is not JSON: {e}"))?;
        if !payload.get().trim_start().starts_with('{') {
            return Err("payload must be a JSON object".into());
        }
        let now = now_ms();
        Ok(Self {
            subject: format!("{name}.{channel_type}.{}", event.instance_id),
            metadata: EventMetadata {
                correlation_id: event.correlation_id.unwrap_or_else(|| event.id.clone()),
                instance_id: event.instance_id.clone(),
                channel_type: channel_type.to_owned(),
                source: format!("channel:{channel_type}"),
                timings: Timings { platform: event.occurred_at_ms, channel: now },
            },
            timestamp: event.occurred_at_ms.unwrap_or(now),
            id: event.id,
            event: name,
            instance_id: event.instance_id,
            channel_type: channel_type.to_owned(),
            payload_json: payload,
        })
    }

    /// The payload as a JSON value (parsed on each call: for tests and tools, not the hot path).
    pub fn payload(&self) -> Value {
        serde_json::from_str(self.payload_json.get()).expect("checked when the event was made")
    }

    /// The message omni's bus carries: omni's `OmniEvent` (`{id, type, payload, timestamp,
    /// metadata}`), the subject and channel being in the NATS subject.
    pub fn bus_message(&self) -> BusMessage<'_> {
        BusMessage {
            id: &self.id,
            kind: &self.event,
            payload: &self.payload_json,
            timestamp: self.timestamp,
            metadata: &self.metadata,
        }
    }
}

/// omni's `OmniEvent` on the bus, borrowing from the host's event.
#[derive(Serialize)]
pub struct BusMessage<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub payload: &'a RawValue,
    pub timestamp: u64,
    pub metadata: &'a EventMetadata,
}

/// omni's `instance.disconnected` for an instance the host itself takes down (the operator's
/// `disconnect`), as omni's own `BaseChannelPlugin.emitInstanceDisconnected` shapes it: the
/// provider was not involved, so the plugin is not either. Its id is a digest of the instance
/// and the time, so that each disconnect is one event.
pub fn instance_disconnected(instance_id: &str, channel_type: &str, reason: &str, at_ms: u64) -> Event {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("instance.disconnected/{channel_type}/{instance_id}/{at_ms}"));
    Event {
        id: hex::encode(&digest[..16]),
        kind: EventKind::InstanceDisconnected,
        instance_id: instance_id.to_owned(),
        correlation_id: None,
        occurred_at_ms: Some(at_ms),
        payload: serde_json::json!({
            "instanceId": instance_id,
            "channelType": channel_type,
            "reason": reason,
            "willReconnect": false,
        })
        .to_string(),
    }
}

/// A WIT event for tests: a fixed id and time, `kind`, `instance` and `payload`.
#[cfg(test)]
pub(crate) fn test_event(kind: EventKind, instance: &str, payload: &str) -> Event {
    Event {
        id: "0123456789abcdef".into(),
        kind,
        instance_id: instance.into(),
        correlation_id: None,
        occurred_at_ms: Some(1_697_043_223_000),
        payload: payload.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind, instance: &str, payload: &str) -> Event {
        test_event(kind, instance, payload)
    }

    #[test]
    fn an_operator_disconnect_is_omnis_instance_disconnected() {
        let wit = instance_disconnected("acme", "whatsapp-cloud", "maintenance", 1_700_000_000_000);
        let again = instance_disconnected("acme", "whatsapp-cloud", "maintenance", 1_700_000_000_000);
        assert_eq!(wit.id, again.id, "the same disconnect has the same id");
        let event = OmniEvent::from_wit(wit, "whatsapp-cloud", &["acme".into()]).unwrap();
        assert_eq!(event.subject, "instance.disconnected.whatsapp-cloud.acme");
        assert_eq!(
            event.payload(),
            serde_json::json!({"instanceId": "acme", "channelType": "whatsapp-cloud", "reason": "maintenance", "willReconnect": false})
        );
    }

    #[test]
    fn wraps_events_in_omni_envelope() {
        let e = OmniEvent::from_wit(
            event(EventKind::MessageReceived, "inst", r#"{"a":1}"#),
            "whatsapp-cloud",
            &["inst".into()],
        )
        .unwrap();
        assert_eq!(e.subject, "message.received.whatsapp-cloud.inst");
        assert_eq!(e.timestamp, 1_697_043_223_000);
        assert_eq!(e.metadata.source, "channel:whatsapp-cloud");
        assert_eq!(e.metadata.correlation_id, "0123456789abcdef");
        assert_eq!(e.metadata.timings.platform, Some(1_697_043_223_000));
        assert_eq!(e.payload(), serde_json::json!({"a": 1}));
        let line = serde_json::to_value(&e).unwrap();
        for key in ["id", "event", "subject", "instanceId", "channelType", "metadata", "payload", "timestamp"] {
            assert!(line.get(key).is_some(), "{key}");
        }
    }

    #[test]
    fn refuses_foreign_instances_bad_names_and_non_objects() {
        let ok = ["inst".to_owned()];
        assert!(
            OmniEvent::from_wit(event(EventKind::MessageSent, "other", "{}"), "wa", &ok)
                .unwrap_err()
                .contains("instance")
        );
        assert!(OmniEvent::from_wit(event(EventKind::Other("a.*".into()), "inst", "{}"), "wa", &ok).is_err());
        assert!(OmniEvent::from_wit(event(EventKind::Other("a b".into()), "inst", "{}"), "wa", &ok).is_err());
        assert!(OmniEvent::from_wit(event(EventKind::MessageSent, "inst", "[1]"), "wa", &ok).is_err());
        assert!(OmniEvent::from_wit(event(EventKind::MessageSent, "inst", "{"), "wa", &ok).is_err());
        assert!(OmniEvent::from_wit(event(EventKind::MessageSent, "inst", "{} {}"), "wa", &ok).is_err());
        assert!(OmniEvent::from_wit(event(EventKind::MessageSent, "inst", " \"x\""), "wa", &ok).is_err());
        let mut bad_id = event(EventKind::MessageSent, "inst", "{}");
        bad_id.id = "has space".into();
        assert!(OmniEvent::from_wit(bad_id, "wa", &ok).is_err());
    }
}
