//! Sending omni's messages through an instance: decoding them, one attempt, and the blocking
//! driver of the one retry loop ([`crate::retry::send_with_retries`]) for the CLI and tests.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{ChannelHost, HostError, status};
use crate::bindings::events::Event;
use crate::bindings::messaging::{Attachment, DecodedMessage, MessagePart, SendFailure, SendOptions, SendReceipt};
use crate::bindings::types::InvalidField;
use crate::capabilities::{EventSink, OmniEvent};
use crate::retry::{self, PartsOutcome, RetryPolicy, SendOutcome};
use crate::runtime::CallClass;

impl ChannelHost {
    /// Decodes omni's `OutgoingMessage` (JSON, and the binary values lifted out of it) into
    /// the messages to send: the plugin's `messaging.decode-outgoing`.
    pub fn decode_outgoing(
        &self,
        json: &str,
        attachments: &[Attachment],
    ) -> Result<Result<DecodedMessage, InvalidField>, HostError> {
        Ok(self.runtime.decode_outgoing(json, attachments)?)
    }

    /// One attempt at sending one part through instance `id`, its `message.sent` going to
    /// `sink` (the host's when `None`; a [`crate::capabilities::events::Collector`] keeps it
    /// for the caller). A part that uploads a file runs as a media call.
    pub fn send_message(
        &self,
        id: &str,
        part: &MessagePart,
        options: &SendOptions,
        sink: Option<&Arc<dyn EventSink>>,
    ) -> Result<Result<SendReceipt, SendFailure>, HostError> {
        let instance = self.instance(id)?;
        if instance.status().sends_paused {
            return Err(HostError::Paused(id.to_owned()));
        }
        let class = if part.uploads_file { CallClass::Media } else { CallClass::Provider };
        let message = &part.message;
        let result =
            self.call_on(&instance, class, sink, |e, s, i| e.messaging(s)?.call_send_message(s, i, message, options))?;
        if let Err(failure) = &result {
            status::note_send_failure(&instance, &failure.error);
        }
        Ok(result)
    }

    /// Publishes the `message.failed` of a send given up, as the plugin would have (omni's
    /// envelope, checked against instance `id`). Blocks on the sink; a failure is logged: the
    /// caller already has the send's error.
    pub fn publish_failure(&self, id: &str, event: Event, sink: Option<&Arc<dyn EventSink>>) {
        let sink = sink.unwrap_or(&self.sink);
        let published = OmniEvent::from_wit(event, &self.info.id, &[id.to_owned()])
            .map_err(|why| format!("refused: {why}"))
            .and_then(|event| {
                let deadline = Instant::now() + self.runtime.wall_limit();
                sink.publish(&[event], deadline).map_err(|e| format!("{e:?}"))
            });
        if let Err(why) = published {
            tracing::warn!(instance = id, "message.failed of a send given up not published: {why}");
        }
    }

    /// Sends one part, retrying what the plugin says may be retried, blocking; `sleep` waits
    /// between attempts (tests record the schedule instead).
    pub fn send_with_retries(
        &self,
        id: &str,
        part: &MessagePart,
        correlation_id: &str,
        policy: &RetryPolicy,
        sleep: &dyn Fn(Duration),
    ) -> Result<SendOutcome, HostError> {
        self.instance(id)?;
        retry::block_on(retry::send_with_retries(
            correlation_id,
            policy,
            |options| std::future::ready(self.send_message(id, part, &options, None)),
            |delay| std::future::ready(sleep(delay)),
            |event| std::future::ready(self.publish_failure(id, event, None)),
        ))
    }

    /// Sends the parts of a decoded omni message in order, each with retries, stopping at the
    /// first that fails for good. Blocking.
    pub fn send_decoded_with_retries(
        &self,
        id: &str,
        decoded: &DecodedMessage,
        correlation_id: &str,
        policy: &RetryPolicy,
        sleep: &dyn Fn(Duration),
    ) -> Result<PartsOutcome, HostError> {
        let mut outcome = PartsOutcome::default();
        for part in &decoded.parts {
            if !outcome.add(self.send_with_retries(id, part, correlation_id, policy, sleep)?) {
                break;
            }
        }
        Ok(outcome)
    }
}
