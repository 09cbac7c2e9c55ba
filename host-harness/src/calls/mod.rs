//! How the host schedules plugin calls, for every front door (`serve`, and the N-API addon omni
//! loads): lanes of capacity, a bounded wait for it, webhooks tried on the caller's thread
//! first, and omni's sends with the plugin's retries.
//!
//! wasmtime calls and their host functions block, so they run on blocking threads, each in a
//! lane with its own capacity: Meta's webhooks, calls that reach Meta (sends, connect, the
//! account), and media (large files, slow CDNs). Nothing slow in one lane makes another wait: a
//! send is never stuck behind eight downloads, and Meta's deliveries never behind either. The
//! pooling allocator has a slot for every permit, so excess calls wait rather than fail; a call
//! that cannot get a permit within the queue timeout is refused as [`HostError::Busy`] — never
//! made, safe to retry (a webhook answers 503 and Meta redelivers).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

mod webhook_answers;
pub use webhook_answers::{InlineWebhook, Settled, bus_unavailable, webhook_refusal};

use crate::bindings::messaging::{Attachment, MessagePart};
use crate::bindings::types::ChannelError;
use crate::bindings::webhook::{IncomingRequest, OutgoingResponse};
use crate::capabilities::EventSink;
use crate::channel_host::{ChannelHost, HostError};
use crate::retry::{self, PartsOutcome, RetryPolicy, SendOutcome};

/// Which capacity a plugin call uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Meta's webhooks.
    Webhook,
    /// Calls that reach Meta: sends, connect, read receipts, the account.
    Egress,
    /// Media uploads and downloads: whole files, slow CDNs.
    Media,
}

impl Lane {
    /// The lane's metric label.
    pub fn name(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Egress => "egress",
            Self::Media => "media",
        }
    }
}

/// The lanes' capacity and the host's patience.
#[derive(Debug, Clone)]
pub struct CallOptions {
    /// Plugin calls for webhooks running at once.
    pub webhook_concurrency: usize,
    /// Plugin calls that reach Meta running at once.
    pub egress_concurrency: usize,
    /// Media calls running at once (locating a file, uploading one).
    pub media_concurrency: usize,
    /// Files streamed to clients at once (each holds a bounded buffer, and no instance slot:
    /// see [`crate::media_fetch`]).
    pub media_streams: usize,
    /// How long a request may wait for capacity, all its calls together, before it is refused.
    pub queue_timeout: Duration,
    /// Whether small webhooks are first tried on the caller's thread (see
    /// [`Calls::run_webhook`]).
    pub inline_webhooks: bool,
    /// The largest webhook body tried inline.
    pub inline_max_body: usize,
    /// How sends are retried.
    pub retry: RetryPolicy,
}

impl Default for CallOptions {
    fn default() -> Self {
        Self {
            webhook_concurrency: 28,
            egress_concurrency: 28,
            media_concurrency: 8,
            media_streams: 64,
            queue_timeout: Duration::from_secs(30),
            inline_webhooks: true,
            inline_max_body: INLINE_BODY_BYTES,
            retry: RetryPolicy::default(),
        }
    }
}

impl CallOptions {
    /// Splits `total` plugin calls between the lanes: an eighth (at least one) for media, the
    /// rest halved, webhooks getting the larger half.
    pub fn with_concurrency(mut self, total: usize) -> Self {
        let total = total.max(3);
        self.media_concurrency = (total / 8).max(1);
        let rest = total - self.media_concurrency;
        self.egress_concurrency = rest / 2;
        self.webhook_concurrency = rest - self.egress_concurrency;
        self
    }

    fn total(&self) -> usize {
        self.webhook_concurrency + self.egress_concurrency + self.media_concurrency
    }
}

/// What a front door counts (`serve`'s metrics); the defaults count nothing.
pub trait CallObserver: Send + Sync {
    /// A call found no capacity within the queue timeout and was refused.
    fn shed(&self, _lane: Lane) {}
    /// A call failed in the plugin (trap, budget...), by the failure's kind.
    fn failed(&self, _kind: &'static str) {}
}

/// Counts nothing.
pub struct Unobserved;
impl CallObserver for Unobserved {}

/// Webhook bodies up to this size are tried inline first, by default.
pub const INLINE_BODY_BYTES: usize = 64 << 10;
/// Guest computation an inline attempt may use: a 64 KiB delivery needs about 2 ms.
pub const INLINE_CPU_BUDGET: Duration = Duration::from_millis(25);

/// The host's calls, scheduled.
#[derive(Clone)]
pub struct Calls {
    host: Arc<ChannelHost>,
    options: Arc<CallOptions>,
    webhook: Arc<Semaphore>,
    egress: Arc<Semaphore>,
    media: Arc<Semaphore>,
    streams: Arc<Semaphore>,
    observer: Arc<dyn CallObserver>,
}

impl Calls {
    pub fn new(host: Arc<ChannelHost>, options: CallOptions, observer: Arc<dyn CallObserver>) -> Self {
        // More concurrent calls than the runtime has instance slots would fail the extra ones
        // (a webhook among them): the lanes share the slots instead.
        let slots = host.runtime().max_concurrent_instances().map_or(usize::MAX, |n| n as usize);
        let options = if options.total() > slots { options.with_concurrency(slots) } else { options };
        let permits = |n: usize| Arc::new(Semaphore::new(n.max(1)));
        Self {
            webhook: permits(options.webhook_concurrency),
            egress: permits(options.egress_concurrency),
            media: permits(options.media_concurrency),
            streams: permits(options.media_streams),
            host,
            options: Arc::new(options),
            observer,
        }
    }

    pub fn host(&self) -> &Arc<ChannelHost> {
        &self.host
    }

    pub fn options(&self) -> &CallOptions {
        &self.options
    }

    /// Calls running and free slots, by lane: `(lane, in use, capacity)`.
    pub fn usage(&self) -> [(Lane, usize, usize); 3] {
        let of = |lane: Lane, permits: &Semaphore, capacity: usize| {
            (lane, capacity.saturating_sub(permits.available_permits()), capacity)
        };
        [
            of(Lane::Webhook, &self.webhook, self.options.webhook_concurrency.max(1)),
            of(Lane::Egress, &self.egress, self.options.egress_concurrency.max(1)),
            of(Lane::Media, &self.media, self.options.media_concurrency.max(1)),
        ]
    }

    fn permits(&self, lane: Lane) -> &Arc<Semaphore> {
        match lane {
            Lane::Webhook => &self.webhook,
            Lane::Egress => &self.egress,
            Lane::Media => &self.media,
        }
    }

    /// A place for one file streamed to a client, waited for like a lane's capacity.
    pub async fn stream_permit(&self, arrived: Instant) -> Result<tokio::sync::OwnedSemaphorePermit, HostError> {
        let queue_timeout = self.options.queue_timeout;
        let until = tokio::time::Instant::from_std(arrived + queue_timeout);
        match tokio::time::timeout_at(until, self.streams.clone().acquire_owned()).await {
            Ok(permit) => Ok(permit.expect("the semaphore is never closed")),
            Err(_) => {
                self.observer.shed(Lane::Media);
                Err(HostError::Busy(queue_timeout))
            }
        }
    }

    /// Runs plugin work on a blocking thread within its lane's capacity, in the caller's tracing
    /// span. The wait for capacity counts from `arrived` (when the request came in), over all of
    /// a request's calls.
    pub async fn run<T: Send + 'static>(
        &self,
        lane: Lane,
        arrived: Instant,
        work: impl FnOnce(&ChannelHost) -> Result<T, HostError> + Send + 'static,
    ) -> Result<T, HostError> {
        let queue_timeout = self.options.queue_timeout;
        let until = tokio::time::Instant::from_std(arrived + queue_timeout);
        let Ok(permit) = tokio::time::timeout_at(until, self.permits(lane).clone().acquire_owned()).await else {
            self.observer.shed(lane);
            tracing::warn!(lane = lane.name(), "no capacity within the queue timeout: the call is refused");
            return Err(HostError::Busy(queue_timeout));
        };
        let _permit = permit.expect("the semaphore is never closed");
        let host = self.host.clone();
        let span = tracing::Span::current();
        let result = tokio::task::spawn_blocking(move || span.in_scope(|| work(&host))).await;
        let result = match result {
            Ok(result) => result,
            // A panic in the host itself (not the guest): report it as a host failure.
            Err(join) => Err(HostError::Plugin(crate::runtime::PluginError::Host(format!("host task failed: {join}")))),
        };
        self.count_failure(&result);
        result
    }

    /// A webhook tried right on the caller's thread, without waiting: one small enough, when
    /// the webhook lane has a free slot and the bus never holds a thread (see
    /// [`ChannelHost::sink_may_block`], which an embedding front door may set aside by
    /// publishing itself), within [`INLINE_CPU_BUDGET`] of guest computation, its events kept
    /// for the caller to publish. `None` when it was not tried or needed more: nothing happened,
    /// and [`Calls::run`] on the webhook lane does it in full.
    ///
    /// Under load the hop to a blocking thread and back was a third of `serve`'s time (perf: the
    /// scheduler's context switches), and a signed text webhook computes for about 15 µs.
    pub fn try_webhook_inline(
        &self,
        instance: &str,
        request: &IncomingRequest,
    ) -> Result<Option<InlineWebhook>, HostError> {
        if !self.options.inline_webhooks || request.body.len() > self.options.inline_max_body {
            return Ok(None);
        }
        // Instance slots are the lanes' permits: an inline call holds one too.
        let Ok(permit) = self.webhook.clone().try_acquire_owned() else { return Ok(None) };
        let attempt = self.host.try_handle_webhook_deferred(instance, request, INLINE_CPU_BUDGET);
        drop(permit);
        match attempt {
            Ok(Some((response, events))) => Ok(Some(InlineWebhook { response, events })),
            Ok(None) => {
                tracing::debug!("the webhook needs more than the inline budget; it runs on a blocking thread");
                Ok(None)
            }
            Err(e) => {
                let failed = Err(e);
                self.count_failure(&failed);
                failed
            }
        }
    }

    /// Runs a webhook: inline first when it may (its events published here, awaited, once the
    /// call is over), else — or when the bus refused the inline attempt's events for good, so
    /// that the plugin can publish them one by one and report the odd one — on the webhook lane.
    pub async fn run_webhook(
        &self,
        instance: String,
        request: IncomingRequest,
        arrived: Instant,
    ) -> Result<OutgoingResponse, HostError> {
        if !self.host.sink_may_block()
            && let Some(attempt) = self.try_webhook_inline(&instance, &request)?
        {
            let events = attempt.events.clone();
            let published = if events.is_empty() { Ok(()) } else { self.host.publish(events).await };
            if let Settled::Answer(response) = attempt.settle(published) {
                return Ok(response);
            }
        }
        self.run(Lane::Webhook, arrived, move |host| host.handle_webhook(&instance, &request)).await
    }

    /// Sends omni's message (JSON, and the binary values lifted out of it) through instance
    /// `instance`: the plugin decodes it into parts, which go out in order, each retried as the
    /// plugin advises and waited for on tokio's timer; the first part that fails for good ends
    /// the send. A message the plugin refuses is the outcome's failure (`invalid-request`).
    /// `correlation_id` is used when omni's message names none. The plugin's events
    /// (`message.sent`, `message.failed`...) go to the host's sink, or to `events` when given (a
    /// [`crate::capabilities::events::Collector`] the caller publishes afterwards: the plugin
    /// reports a send's outcome whatever the bus says, so it need not wait for it).
    pub async fn send(
        &self,
        instance: &str,
        json: String,
        attachments: Vec<Attachment>,
        correlation_id: String,
        arrived: Instant,
        events: Option<Arc<dyn EventSink>>,
    ) -> Result<PartsOutcome, HostError> {
        let decoded = self.run(Lane::Egress, arrived, move |host| host.decode_outgoing(&json, &attachments)).await?;
        let decoded = match decoded {
            Ok(decoded) => decoded,
            Err(field) => {
                return Ok(PartsOutcome { failure: Some(ChannelError::InvalidRequest(field)), ..Default::default() });
            }
        };
        // omni's message id when it gave one: the same on every attempt.
        let correlation_id = decoded.correlation_id.clone().unwrap_or(correlation_id);
        let mut outcome = PartsOutcome::default();
        for part in decoded.parts {
            if !outcome.add(self.send_part(instance, part, &correlation_id, arrived, events.clone()).await?) {
                break;
            }
        }
        Ok(outcome)
    }

    /// One part, through the one retry loop: each attempt waits for capacity afresh (a retry
    /// is a new call), waits run on tokio's timer, and the `message.failed` of a send given up
    /// is published off the async threads.
    async fn send_part(
        &self,
        instance: &str,
        part: MessagePart,
        correlation_id: &str,
        arrived: Instant,
        events: Option<Arc<dyn EventSink>>,
    ) -> Result<SendOutcome, HostError> {
        let part = Arc::new(part);
        let mut first = true;
        retry::send_with_retries(
            correlation_id,
            &self.options.retry,
            |options| {
                let started = if std::mem::take(&mut first) { arrived } else { Instant::now() };
                let (id, part, sink) = (instance.to_owned(), part.clone(), events.clone());
                self.run(Lane::Egress, started, move |host| host.send_message(&id, &part, &options, sink.as_ref()))
            },
            tokio::time::sleep,
            |event| {
                let (host, id, sink) = (self.host.clone(), instance.to_owned(), events.clone());
                async move {
                    let publish = move || host.publish_failure(&id, event, sink.as_ref());
                    if let Err(e) = tokio::task::spawn_blocking(publish).await {
                        tracing::warn!("message.failed of a send given up not published: {e}");
                    }
                }
            },
        )
        .await
    }

    fn count_failure<T>(&self, result: &Result<T, HostError>) {
        if let Err(HostError::Plugin(failure)) = result {
            self.observer.failed(failure.kind());
            tracing::error!("plugin call failed: {failure}");
        }
    }
}
