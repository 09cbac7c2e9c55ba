//! omni's bus: NATS JetStream.
//!
//! Every event goes to its subject (`{event}.{channelType}.{instanceId}`) as omni's
//! `OmniEvent` JSON (`{id, type, payload, timestamp, metadata}`), with the event's deterministic
//! id as `Nats-Msg-Id`, so JetStream's duplicate window absorbs Meta's redeliveries. A batch is
//! acknowledged only when JetStream has acknowledged every event in it; otherwise the caller gets
//! `Unavailable` and the webhook answers 5xx, so Meta redelivers and nothing is lost.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, message::PublishMessage, stream};

use super::events::{EventSink, OmniEvent, SinkError};

/// The event families this channel publishes; each must land in some stream.
const FAMILIES: &[&str] = &["message", "media", "reaction", "instance", "custom"];

/// How the sink connects and what stream it creates when omni's are missing.
#[derive(Debug, Clone)]
pub struct NatsOptions {
    /// Stream created for the families no existing stream captures.
    pub stream: String,
    /// JetStream's deduplication window for that stream.
    pub duplicate_window: Duration,
    /// How long a stored event is kept in that stream.
    pub max_age: Duration,
    /// How long to wait for JetStream to acknowledge a batch.
    pub ack_timeout: Duration,
}

impl Default for NatsOptions {
    fn default() -> Self {
        Self {
            stream: "OMNI_WHATSAPP_CLOUD".into(),
            duplicate_window: Duration::from_secs(10 * 60),
            max_age: Duration::from_secs(7 * 24 * 3600),
            ack_timeout: Duration::from_secs(5),
        }
    }
}

/// Publishes to JetStream. Its `publish` blocks the calling thread on the given runtime, so it
/// must be called outside async code (the plugin runs on blocking threads).
pub struct NatsSink {
    runtime: tokio::runtime::Handle,
    jetstream: jetstream::Context,
    ack_timeout: Duration,
}

impl NatsSink {
    /// Connects to `url` (`nats://host:port`) and makes sure every event family lands in a
    /// stream: omni's own streams (`MESSAGE` on `message.>`...) when they exist, otherwise one
    /// stream named `options.stream` for the families nothing captures.
    pub async fn connect(url: &str, options: &NatsOptions) -> anyhow::Result<Self> {
        let client = async_nats::ConnectOptions::new()
            .name("omni-host whatsapp-cloud")
            .connection_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .with_context(|| format!("connecting to NATS at {url}"))?;
        let jetstream = jetstream::new(client);
        ensure_streams(&jetstream, options).await?;
        Ok(Self { runtime: tokio::runtime::Handle::current(), jetstream, ack_timeout: options.ack_timeout })
    }

    async fn publish_all(&self, events: &[OmniEvent]) -> Result<(), SinkError> {
        let unavailable = |what: &str, e: &dyn std::fmt::Display| SinkError::Unavailable(format!("{what}: {e}"));
        let mut acks = Vec::with_capacity(events.len());
        for event in events {
            let body = serde_json::to_vec(&event.bus_message()).map_err(|e| SinkError::Rejected(e.to_string()))?;
            let publish = PublishMessage::build().payload(body.into()).message_id(&event.id);
            let sent =
                tokio::time::timeout(self.ack_timeout, self.jetstream.send_publish(event.subject.clone(), publish))
                    .await
                    .map_err(|e| unavailable("publishing", &e))?
                    .map_err(|e| unavailable("publishing", &e))?;
            acks.push(sent);
        }
        for ack in acks {
            tokio::time::timeout(self.ack_timeout, ack)
                .await
                .map_err(|e| unavailable("waiting for JetStream's ack", &e))?
                .map_err(|e| unavailable("JetStream refused the event", &e))?;
        }
        Ok(())
    }
}

impl EventSink for NatsSink {
    fn publish(&self, events: &[OmniEvent]) -> Result<(), SinkError> {
        self.runtime.block_on(self.publish_all(events))
    }
}

/// Creates the stream for the families no existing stream captures.
async fn ensure_streams(jetstream: &jetstream::Context, options: &NatsOptions) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    for family in FAMILIES {
        let probe = format!("{family}.probe.whatsapp-cloud.probe");
        if jetstream.stream_by_subject(probe).await.is_err() {
            missing.push(format!("{family}.>"));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let config = stream::Config {
        name: options.stream.clone(),
        subjects: missing.clone(),
        duplicate_window: options.duplicate_window,
        max_age: options.max_age,
        storage: stream::StorageType::File,
        ..Default::default()
    };
    jetstream
        .get_or_create_stream(config)
        .await
        .with_context(|| format!("creating stream {} for {}", options.stream, missing.join(", ")))?;
    tracing::info!(target: "nats", stream = %options.stream, subjects = ?missing, "created JetStream stream");
    Ok(())
}
