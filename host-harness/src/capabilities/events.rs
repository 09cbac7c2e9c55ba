//! The sinks that receive omni events (memory, JSON lines, stdout, none; NATS is `nats.rs`):
//! all or nothing per batch from the caller's view.

use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

pub use crate::omni::envelope::{
    BusMessage, EventMetadata, MAX_PAYLOAD_BYTES, OmniEvent, Timings, event_name, is_subject_tokens,
};

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

    /// Whether the sink can take events now; the reason when it cannot (`/readyz` answers 503
    /// with it, so a load balancer sends webhooks to a replica whose bus is reachable).
    fn ready(&self) -> Result<(), String> {
        Ok(())
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
    use crate::bindings::events::EventKind;
    use crate::omni::envelope::test_event as event;

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
