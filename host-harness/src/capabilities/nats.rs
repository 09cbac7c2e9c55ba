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
    /// The channel type (the plugin's id): the middle token of every subject.
    pub channel: String,
    /// Stream created for the families no existing stream captures.
    pub stream: String,
    /// JetStream's deduplication window for that stream.
    pub duplicate_window: Duration,
    /// How long a stored event is kept in that stream.
    pub max_age: Duration,
    /// How long to wait for JetStream to acknowledge a batch.
    pub ack_timeout: Duration,
}

impl NatsOptions {
    /// The defaults for a channel: its stream is `OMNI_{CHANNEL}` (`OMNI_WHATSAPP_CLOUD`).
    pub fn for_channel(channel: &str) -> Self {
        Self {
            channel: channel.to_owned(),
            stream: format!("OMNI_{}", channel.to_ascii_uppercase().replace(['-', '.'], "_")),
            duplicate_window: Duration::from_secs(10 * 60),
            max_age: Duration::from_secs(7 * 24 * 3600),
            ack_timeout: Duration::from_secs(5),
        }
    }
}

/// Publishes to JetStream. Its `publish` blocks the calling thread on the given runtime, so it
/// must be called outside async code (the plugin runs on blocking threads); `publish_async`
/// awaits the same acknowledgements without a thread.
pub struct NatsSink {
    runtime: tokio::runtime::Handle,
    jetstream: jetstream::Context,
    ack_timeout: Duration,
    /// The server's largest message.
    max_payload: usize,
}

impl NatsSink {
    /// Connects to `url` (`nats://host:port`) and makes sure every event family lands in a
    /// stream: omni's own streams (`MESSAGE` on `message.>`...) when they exist, otherwise one
    /// stream named `options.stream` for the families nothing captures.
    pub async fn connect(url: &str, options: &NatsOptions) -> anyhow::Result<Self> {
        let client = async_nats::ConnectOptions::new()
            .name(format!("omni-host {}", options.channel))
            .connection_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .with_context(|| format!("connecting to NATS at {url}"))?;
        let max_payload = client.server_info().max_payload;
        let jetstream = jetstream::new(client);
        ensure_streams(&jetstream, options).await?;
        Ok(Self {
            runtime: tokio::runtime::Handle::current(),
            jetstream,
            ack_timeout: options.ack_timeout,
            max_payload,
        })
    }

    async fn publish_all(&self, events: &[OmniEvent], deadline: std::time::Instant) -> Result<(), SinkError> {
        let unavailable = |what: &str, e: &dyn std::fmt::Display| SinkError::Unavailable(format!("{what}: {e}"));
        // Each step waits at most the ack timeout, and never past the call's deadline.
        let wait = || self.ack_timeout.min(deadline.saturating_duration_since(std::time::Instant::now()));
        // Every message is checked before any is sent: a batch is all or nothing.
        let mut bodies = Vec::with_capacity(events.len());
        for event in events {
            let body = serde_json::to_vec(&event.bus_message()).map_err(|e| SinkError::Rejected(e.to_string()))?;
            if body.len() > self.max_payload {
                // Permanent: redelivering the same event cannot make it smaller.
                return Err(SinkError::Rejected(format!(
                    "event {} has {} bytes, more than the NATS server's max_payload of {}",
                    event.id,
                    body.len(),
                    self.max_payload
                )));
            }
            bodies.push(body);
        }
        let mut acks = Vec::with_capacity(events.len());
        for (event, body) in events.iter().zip(bodies) {
            let mut publish = PublishMessage::build().payload(body.into());
            // JetStream's duplicate window absorbs redeliveries; a state change always passes.
            if omni_channel_vocabulary::is_deduplicated(&event.event) {
                publish = publish.message_id(&event.id);
            }
            let sent = tokio::time::timeout(wait(), self.jetstream.send_publish(event.subject.clone(), publish))
                .await
                .map_err(|e| unavailable("publishing", &e))?
                .map_err(|e| match e.kind() {
                    jetstream::context::PublishErrorKind::MaxPayloadExceeded => {
                        SinkError::Rejected(format!("publishing: {e}"))
                    }
                    _ => unavailable("publishing", &e),
                })?;
            acks.push(sent);
        }
        for ack in acks {
            tokio::time::timeout(wait(), ack)
                .await
                .map_err(|e| unavailable("waiting for JetStream's ack", &e))?
                .map_err(|e| unavailable("JetStream refused the event", &e))?;
        }
        Ok(())
    }
}

/// What omni's envelope (`{id, type, timestamp, metadata}`) adds to a payload, with room.
const ENVELOPE_BYTES: usize = 4 << 10;

impl EventSink for NatsSink {
    fn ready(&self) -> Result<(), String> {
        match self.jetstream.client().connection_state() {
            async_nats::connection::State::Connected => Ok(()),
            state => Err(format!("NATS connection {state:?}")),
        }
    }

    fn publish(&self, events: &[OmniEvent], deadline: std::time::Instant) -> Result<(), SinkError> {
        self.runtime.block_on(self.publish_all(events, deadline))
    }

    fn max_event_bytes(&self) -> usize {
        self.max_payload.saturating_sub(ENVELOPE_BYTES).min(super::events::MAX_PAYLOAD_BYTES)
    }

    fn publish_async<'a>(
        &'a self,
        events: Vec<OmniEvent>,
        deadline: std::time::Instant,
    ) -> super::events::PublishFuture<'a> {
        Box::pin(async move { self.publish_all(&events, deadline).await })
    }
}

/// Creates the stream for the families no existing stream captures.
async fn ensure_streams(jetstream: &jetstream::Context, options: &NatsOptions) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    for family in FAMILIES {
        let probe = format!("{family}.probe.{}.probe", options.channel);
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
