//! What a plugin call may touch, and the store state that implements the WIT imports.
//!
//! Each capability is its own module: [`egress`] decides where HTTP may go, [`http_client`]
//! performs it, [`events`] turns WIT events into omni events and hands them to an [`EventSink`],
//! [`limits`] bounds memory. The host functions below only glue them together and keep the
//! accounting the runtime needs (time spent in the host does not count against the guest).

pub mod address_guard;
pub mod cpu_clock;
pub mod egress;
pub mod events;
pub mod http_client;
pub mod limits;
pub mod media_links;
pub mod nats;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bindings::events::{Event, PublishError};
use crate::bindings::logging::Level;
use crate::bindings::outbound_http::{HttpError, Request, RequestProgress, Response};
use crate::bindings::{
    crypto, events as wit_events, interactive, logging, media_links as wit_media_links, message_parts, outbound_http,
    templates, types,
};
pub use egress::EgressPolicy;
pub use events::{EventSink, OmniEvent, SinkError};
pub use http_client::HttpClient;
use limits::CallLimits;
pub use media_links::MediaLinks;

/// HTTP requests one call may make; a plugin looping on requests is cut off here.
const MAX_HTTP_REQUESTS_PER_CALL: u32 = 16;
/// Log records one call may write, and the longest one kept.
const MAX_LOG_RECORDS_PER_CALL: u32 = 256;
const MAX_LOG_RECORD_BYTES: usize = 4096;

/// An error raised by the host itself: the call traps and the runtime reports it as a host
/// failure, not as a guest bug.
#[derive(Debug)]
pub struct HostFailure(pub String);

impl std::fmt::Display for HostFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HostFailure {}

/// The capabilities granted to one call.
#[derive(Clone)]
pub struct Capabilities {
    /// Performs allowed requests; `None` refuses every request.
    pub http: Option<Arc<dyn HttpClient>>,
    /// Where requests may go.
    pub egress: EgressPolicy,
    /// Largest response body read for the plugin.
    pub max_response_bytes: u64,
    /// Receives published events; `None` refuses publishing.
    pub events: Option<Arc<dyn EventSink>>,
    /// The instances this call concerns: events naming any other instance are refused.
    pub instances: Vec<String>,
    /// omni channel type, for subjects and metadata (`whatsapp-cloud`).
    pub channel_type: String,
    /// Hands out links to received media; `None` when the host serves none.
    pub media_links: Option<Arc<MediaLinks>>,
}

impl Capabilities {
    /// Nothing at all: for calls that need no capability (info, schema).
    pub fn none() -> Self {
        Self {
            http: None,
            egress: EgressPolicy::deny_all(),
            max_response_bytes: 0,
            events: None,
            instances: Vec::new(),
            channel_type: String::new(),
            media_links: None,
        }
    }
}

/// The part of a call's remaining time kept for the guest after host work (at most a quarter).
const HOST_WORK_RESERVE: Duration = Duration::from_millis(250);

/// The data of one call's store.
pub struct HostState {
    pub(crate) limits: CallLimits,
    caps: Capabilities,
    /// When the whole call must be over, host functions included.
    deadline: Instant,
    /// The thread's CPU time when the budget started counting, and what host functions used
    /// since. The clock is a system call (not the vDSO's), so it is first read at the call's
    /// first epoch tick (at most `EPOCH_TICK` of wall time in): a webhook, over in tens of
    /// microseconds, never reads it; a call that runs long is counted from its first tick on.
    cpu_at_start: Option<Duration>,
    host_cpu: Duration,
    /// Whether the call's events are on the bus: from then on only the wall bound applies, so
    /// a call is never failed after its events were published.
    published: bool,
    http_requests: u32,
    log_records: u32,
}

impl HostState {
    pub(crate) fn new(caps: Capabilities, memory_limit: usize, wall_limit: Duration) -> Self {
        Self {
            limits: CallLimits::new(memory_limit),
            caps,
            deadline: Instant::now() + wall_limit,
            cpu_at_start: None,
            host_cpu: Duration::ZERO,
            published: false,
            http_requests: 0,
            log_records: 0,
        }
    }

    /// CPU time the guest itself has used since its budget started counting (the first call
    /// of this, from the epoch callback): the thread's, less what host functions used. Waiting
    /// for a core, or for the network, counts for nothing.
    pub(crate) fn guest_cpu(&mut self) -> Duration {
        let now = cpu_clock::thread_cpu_time();
        let start = *self.cpu_at_start.get_or_insert(now);
        now.saturating_sub(start).saturating_sub(self.host_cpu)
    }

    /// Whether the call has run past its wall-clock bound.
    pub(crate) fn past_deadline(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Whether the call's events were published (its budget no longer applies).
    pub(crate) fn published(&self) -> bool {
        self.published
    }

    /// How long host work on the guest's behalf (an HTTP request, a publish) may take: the
    /// time left before the wall-clock bound, less a reserve in which the guest can still turn
    /// a timeout into its typed error rather than be interrupted at the bound.
    fn host_time_left(&self) -> Duration {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        remaining.saturating_sub(HOST_WORK_RESERVE.min(remaining / 4))
    }

    /// Runs host work without charging it to the guest's CPU budget (before the budget counts,
    /// there is nothing to keep it out of).
    fn in_host<T>(&mut self, work: impl FnOnce(&Self) -> T) -> T {
        if self.cpu_at_start.is_none() {
            return work(self);
        }
        let start = cpu_clock::thread_cpu_time();
        let result = work(self);
        self.host_cpu += cpu_clock::thread_cpu_time().saturating_sub(start);
        result
    }
}

// The interfaces that only define types have nothing to implement.
impl types::Host for HostState {}
impl message_parts::Host for HostState {}
impl templates::Host for HostState {}
impl interactive::Host for HostState {}

impl outbound_http::Host for HostState {
    fn send(&mut self, request: Request) -> wasmtime::Result<Result<Response, HttpError>> {
        self.http_requests += 1;
        if self.http_requests > MAX_HTTP_REQUESTS_PER_CALL {
            return Ok(Err(HttpError::Other(format!("a call may make at most {MAX_HTTP_REQUESTS_PER_CALL} requests"))));
        }
        if let Err(refusal) = self.caps.egress.check(&request.url) {
            tracing::warn!(target: "egress", url = %egress::redact(&request.url), "refused: {refusal}");
            return Ok(Err(refusal));
        }
        let Some(client) = self.caps.http.clone() else {
            return Ok(Err(HttpError::DestinationNotAllowed("this call has no network access".into())));
        };
        // The call's wall-clock bound holds for its requests too.
        let remaining = self.host_time_left();
        if remaining.is_zero() {
            return Ok(Err(HttpError::Timeout(RequestProgress::NotSent)));
        }
        let mut request = request;
        let cap = u32::try_from(remaining.as_millis()).unwrap_or(u32::MAX).max(1);
        request.timeout_ms = Some(request.timeout_ms.map_or(cap, |ms| ms.min(cap)));
        let limit = self.caps.max_response_bytes;
        Ok(self.in_host(|_| client.send(&request, limit)))
    }
}

impl wit_events::Host for HostState {
    fn publish(&mut self, events: Vec<Event>) -> wasmtime::Result<Result<(), PublishError>> {
        let Some(sink) = self.caps.events.clone() else {
            return Ok(Err(PublishError::Rejected("this call may not publish events".into())));
        };
        let converted: Result<Vec<OmniEvent>, String> = events
            .into_iter()
            .map(|event| OmniEvent::from_wit(event, &self.caps.channel_type, &self.caps.instances))
            .collect();
        let events = match converted {
            Ok(events) => events,
            Err(why) => {
                tracing::warn!(target: "events", "refused events from the plugin: {why}");
                return Ok(Err(PublishError::Rejected(why)));
            }
        };
        let deadline = Instant::now() + self.host_time_left();
        match self.in_host(|_| sink.publish(&events, deadline)) {
            Ok(()) => {
                // Collected for later is not on the bus: the call's budget still holds.
                self.published |= !sink.defers();
                Ok(Ok(()))
            }
            Err(SinkError::Unavailable(m)) => Ok(Err(PublishError::Unavailable(m))),
            Err(SinkError::Rejected(m)) => Ok(Err(PublishError::Rejected(m))),
            // Not the guest's business: trap, and let the caller answer 5xx.
            Err(SinkError::Broken(m)) => Err(HostFailure(format!("event sink: {m}")).into()),
        }
    }
}

impl crypto::Host for HostState {
    fn hmac_sha256(&mut self, key: Vec<u8>, message: Vec<u8>) -> wasmtime::Result<Vec<u8>> {
        use hmac::{KeyInit as _, Mac as _};
        // The guest's memory bounds both lists: no more work than the guest could ask of itself.
        let mut mac = <hmac::Hmac<sha2::Sha256>>::new_from_slice(&key).expect("HMAC takes keys of any length");
        mac.update(&message);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl wit_media_links::Host for HostState {
    fn link(&mut self, instance_id: String, media_id: String) -> wasmtime::Result<Option<String>> {
        // Only for the instances of this call: a plugin cannot mint links for others.
        if !self.caps.instances.contains(&instance_id) {
            return Ok(None);
        }
        Ok(self.caps.media_links.as_ref().and_then(|links| links.link(&instance_id, &media_id)))
    }
}

impl logging::Host for HostState {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        self.log_records += 1;
        if self.log_records > MAX_LOG_RECORDS_PER_CALL {
            return Ok(());
        }
        let mut message = message;
        if message.len() > MAX_LOG_RECORD_BYTES {
            let mut end = MAX_LOG_RECORD_BYTES;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push('…');
        }
        match level {
            Level::Trace => tracing::trace!(target: "plugin", "{message}"),
            Level::Debug => tracing::debug!(target: "plugin", "{message}"),
            Level::Info => tracing::info!(target: "plugin", "{message}"),
            Level::Warn => tracing::warn!(target: "plugin", "{message}"),
            Level::Error => tracing::error!(target: "plugin", "{message}"),
        }
        Ok(())
    }
}
