//! omni events: the envelope the host adds to what the plugin publishes, and the sinks that
//! receive them.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::bindings::events::{Event, EventKind};

/// Largest payload accepted from a plugin for one event (a sink may take less).
pub const MAX_PAYLOAD_BYTES: usize = 1 << 20;
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

/// omni's name for a WIT event kind.
pub fn event_name(kind: &EventKind) -> &str {
    match kind {
        EventKind::MessageReceived => "message.received",
        EventKind::MessageSent => "message.sent",
        EventKind::MessageDelivered => "message.delivered",
        EventKind::MessageRead => "message.read",
        EventKind::MessageFailed => "message.failed",
        EventKind::MediaReceived => "media.received",
        EventKind::ReactionReceived => "reaction.received",
        EventKind::ReactionRemoved => "reaction.removed",
        EventKind::InstanceConnected => "instance.connected",
        EventKind::InstanceDisconnected => "instance.disconnected",
        EventKind::Other(name) => name,
    }
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

/// Whether `s` is one or more dot-separated subject tokens of `[A-Za-z0-9_-]`.
pub fn is_subject_tokens(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.split('.').all(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Why a sink did not take a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkError {
    /// Temporarily unable to accept events; the same batch may succeed later.
    Unavailable(String),
    /// The sink refuses these events; retrying will not help.
    Rejected(String),
    /// The sink itself is broken (a host bug): the call traps.
    Broken(String),
}

/// Where published events go: all or nothing per batch from the caller's view.
pub trait EventSink: Send + Sync {
    /// Publishes a batch, giving up (as unavailable) at `deadline`: the call that publishes
    /// has a wall-clock bound the sink must keep too.
    fn publish(&self, events: &[OmniEvent], deadline: Instant) -> Result<(), SinkError>;

    /// Largest event payload the sink takes; the plugin keeps events within it.
    fn max_event_bytes(&self) -> usize {
        MAX_PAYLOAD_BYTES
    }

    /// Whether publishing can hold the calling thread indefinitely (the reader of a pipe):
    /// such a sink is never published to from the threads that serve connections.
    fn may_block(&self) -> bool {
        false
    }

    /// Publishes a batch from async code. The default publishes in place, which suits sinks
    /// that only touch memory or a local file; a network sink awaits instead of holding the
    /// thread.
    fn publish_async<'a>(&'a self, events: Vec<OmniEvent>, deadline: Instant) -> PublishFuture<'a> {
        Box::pin(std::future::ready(self.publish(&events, deadline)))
    }

    /// Whether this sink only collects events for the caller to publish later (see
    /// [`Collector`]): publishing to it does not put them on the bus yet.
    fn defers(&self) -> bool {
        false
    }
}

/// What [`EventSink::publish_async`] returns.
pub type PublishFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), SinkError>> + Send + 'a>>;

/// Keeps what a call publishes, for its caller to publish once the call is over (`serve` does
/// so for the webhooks it runs on its own threads: the plugin then never waits on the bus
/// there, and a call stopped early has published nothing).
pub struct Collector {
    events: Mutex<Vec<OmniEvent>>,
    /// The sink the events are for (its limit is theirs).
    max_event_bytes: usize,
}

impl Collector {
    pub fn for_sink(sink: &dyn EventSink) -> Self {
        Self { events: Mutex::new(Vec::new()), max_event_bytes: sink.max_event_bytes() }
    }

    /// Everything collected, in publishing order.
    pub fn take(&self) -> Vec<OmniEvent> {
        std::mem::take(&mut *self.events.lock().expect("collector lock"))
    }
}

impl EventSink for Collector {
    fn publish(&self, events: &[OmniEvent], _deadline: Instant) -> Result<(), SinkError> {
        self.events.lock().map_err(|_| SinkError::Broken("poisoned lock".into()))?.extend_from_slice(events);
        Ok(())
    }

    fn max_event_bytes(&self) -> usize {
        self.max_event_bytes
    }

    fn defers(&self) -> bool {
        true
    }
}

/// Keeps events in memory; can be switched to "unavailable" to simulate a bus outage.
#[derive(Default)]
pub struct MemorySink {
    events: Mutex<Vec<OmniEvent>>,
    outage: Mutex<Option<String>>,
}

impl MemorySink {
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything published so far.
    pub fn events(&self) -> Vec<OmniEvent> {
        self.events.lock().expect("sink lock").clone()
    }

    /// Empties the sink and returns what it held.
    pub fn take(&self) -> Vec<OmniEvent> {
        std::mem::take(&mut *self.events.lock().expect("sink lock"))
    }

    /// While `Some`, every publish fails as unavailable with this message.
    pub fn set_outage(&self, outage: Option<&str>) {
        *self.outage.lock().expect("sink lock") = outage.map(str::to_owned);
    }
}

impl EventSink for MemorySink {
    fn publish(&self, events: &[OmniEvent], _deadline: Instant) -> Result<(), SinkError> {
        if let Some(why) = self.outage.lock().map_err(|_| SinkError::Broken("poisoned lock".into()))?.clone() {
            return Err(SinkError::Unavailable(why));
        }
        self.events.lock().map_err(|_| SinkError::Broken("poisoned lock".into()))?.extend_from_slice(events);
        Ok(())
    }
}

/// Writes one JSON object per line (stdout, stderr or a file).
pub struct JsonLinesSink {
    writer: Mutex<Box<dyn Write + Send>>,
    /// A pipe (stdout, stderr) waits for its reader; a file does not.
    pipe: bool,
}

impl JsonLinesSink {
    /// Lines to a file.
    pub fn new(writer: Box<dyn Write + Send>) -> Self {
        Self { writer: Mutex::new(writer), pipe: false }
    }

    /// Lines to a pipe (stdout, stderr), whose reader may be slow.
    pub fn to_pipe(writer: Box<dyn Write + Send>) -> Self {
        Self { writer: Mutex::new(writer), pipe: true }
    }
}

impl EventSink for JsonLinesSink {
    fn publish(&self, events: &[OmniEvent], _deadline: Instant) -> Result<(), SinkError> {
        let mut buffer = Vec::new();
        for event in events {
            serde_json::to_writer(&mut buffer, event).map_err(|e| SinkError::Rejected(e.to_string()))?;
            buffer.push(b'\n');
        }
        let mut writer = self.writer.lock().map_err(|_| SinkError::Broken("poisoned lock".into()))?;
        // One write per batch keeps a batch's lines together when several calls publish at once.
        writer.write_all(&buffer).and_then(|()| writer.flush()).map_err(|e| SinkError::Unavailable(e.to_string()))
    }

    fn may_block(&self) -> bool {
        self.pipe
    }
}

/// Discards events (for commands that only need the response).
pub struct NullSink;

impl EventSink for NullSink {
    fn publish(&self, _events: &[OmniEvent], _deadline: Instant) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Where a command sends events: `stdout`, `stderr`, `jsonl:PATH`, `nats://HOST:PORT` or
/// `none`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkSpec {
    Stdout,
    Stderr,
    JsonLines(std::path::PathBuf),
    /// NATS JetStream at this URL (see [`super::nats`]).
    Nats(String),
    None,
}

impl std::str::FromStr for SinkSpec {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        match spec {
            "stdout" => Ok(Self::Stdout),
            "stderr" => Ok(Self::Stderr),
            "none" => Ok(Self::None),
            _ if spec.starts_with("nats://") && spec.len() > "nats://".len() => Ok(Self::Nats(spec.to_owned())),
            _ => match spec.strip_prefix("jsonl:") {
                Some(path) if !path.is_empty() => Ok(Self::JsonLines(path.into())),
                _ => Err(format!("`{spec}`: expected stdout, stderr, none, jsonl:PATH or nats://HOST:PORT")),
            },
        }
    }
}

impl SinkSpec {
    /// Opens a local sink (a JSON-lines file is appended to). NATS needs a tokio runtime: use
    /// [`super::nats::NatsSink::connect`].
    pub fn open(&self) -> anyhow::Result<std::sync::Arc<dyn EventSink>> {
        Ok(match self {
            Self::Nats(url) => anyhow::bail!("{url}: a NATS sink is opened with NatsSink::connect"),
            Self::Stdout => std::sync::Arc::new(JsonLinesSink::to_pipe(Box::new(std::io::stdout()))),
            Self::Stderr => std::sync::Arc::new(JsonLinesSink::to_pipe(Box::new(std::io::stderr()))),
            Self::None => std::sync::Arc::new(NullSink),
            Self::JsonLines(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| anyhow::anyhow!("opening {}: {e}", path.display()))?;
                std::sync::Arc::new(JsonLinesSink::new(Box::new(file)))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind, instance: &str, payload: &str) -> Event {
        Event {
            id: "0123456789abcdef".into(),
            kind,
            instance_id: instance.into(),
            correlation_id: None,
            occurred_at_ms: Some(1_697_043_223_000),
            payload: payload.into(),
        }
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

    #[test]
    fn sink_specs() {
        assert_eq!("stdout".parse(), Ok(SinkSpec::Stdout));
        assert_eq!("jsonl:/tmp/e.jsonl".parse(), Ok(SinkSpec::JsonLines("/tmp/e.jsonl".into())));
        assert!("jsonl:".parse::<SinkSpec>().is_err());
        assert!("kafka://x".parse::<SinkSpec>().is_err());
        assert_eq!("nats://127.0.0.1:4222".parse(), Ok(SinkSpec::Nats("nats://127.0.0.1:4222".into())));
        assert!("nats://".parse::<SinkSpec>().is_err());
    }

    #[test]
    fn memory_sink_simulates_outages() {
        let sink = MemorySink::new();
        let e = OmniEvent::from_wit(event(EventKind::MessageSent, "inst", "{}"), "wa", &["inst".into()]).unwrap();
        sink.set_outage(Some("down"));
        let soon = Instant::now() + std::time::Duration::from_secs(1);
        assert_eq!(sink.publish(std::slice::from_ref(&e), soon), Err(SinkError::Unavailable("down".into())));
        sink.set_outage(None);
        sink.publish(&[e], soon).unwrap();
        assert_eq!(sink.take().len(), 1);
        assert!(sink.events().is_empty());
    }
}
