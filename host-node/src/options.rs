//! The addon's options, as the package passes them, onto `omni-host`'s settings. Every limit
//! defaults to `omni-host`'s own: one set of rules for both front doors.

use std::time::Duration;

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use omni_host::calls::CallOptions;
use omni_host::retry::RetryPolicy;
use omni_host::runtime::RuntimeConfig;

/// How the host runs the component in omni's process.
#[napi(object)]
pub struct HostOptions {
    /// The component (`.wasm` file) to run.
    pub component: String,
    /// Where compiled components are kept (default: `omni-host`'s cache directory).
    pub cache_dir: Option<String>,
    /// omni's channel family its error codes start with (`WHATSAPP` → `WHATSAPP_AUTH_FAILED`).
    pub error_family: String,
    /// Links to received media point here: `{mediaLinksUrl}/{instance}/{media-id}`.
    pub media_links_url: String,
    /// The key signing media links (at least 16 bytes).
    pub media_link_key: Buffer,
    /// How long a media link stays valid (default 3600 s).
    pub media_link_ttl_seconds: Option<u32>,
    /// Largest webhook body (default 4 MiB: Meta documents deliveries of up to 3 MB).
    pub max_webhook_bytes: Option<u32>,
    /// Largest event payload omni's bus takes (default 1 MiB less 16 KiB for omni's envelope).
    pub max_event_bytes: Option<u32>,
    /// Memory a call may use, in MiB (default `omni-host`'s).
    pub memory_limit_mib: Option<u32>,
    /// Guest CPU time a call may use, in ms (default `omni-host`'s).
    pub cpu_budget_ms: Option<u32>,
    /// Wall-clock bound of a call, in ms (default `omni-host`'s).
    pub wall_limit_ms: Option<u32>,
    /// Calls at once, by lane (defaults: 8 webhooks, 8 sends, 2 media downloads).
    pub webhook_concurrency: Option<u32>,
    pub egress_concurrency: Option<u32>,
    pub media_concurrency: Option<u32>,
    /// Whether small webhooks are first tried on the JavaScript thread (default true; false runs
    /// every webhook on the webhook lane's threads).
    pub inline_webhooks: Option<bool>,
    /// How long a call may wait for capacity before it is refused, in ms (default 30 000).
    pub queue_timeout_ms: Option<u32>,
    /// The origins instances may be granted, as the operator lists them (`omni-host`'s
    /// `[api] egress`): omni's API callers choose an instance's settings, its Graph base URL
    /// included. Absent: `https` origins named by DNS, which must resolve to public addresses.
    pub egress: Option<Vec<String>>,
    /// Sends: attempts in all and the longest total wait (default 4 within 60 000 ms).
    pub retry_max_attempts: Option<u32>,
    pub retry_max_total_wait_ms: Option<u32>,
}

/// Largest event payload when omni's options say nothing: NATS's default `max_payload` (1 MiB)
/// less room for omni's envelope.
const DEFAULT_MAX_EVENT_BYTES: usize = (1 << 20) - (16 << 10);

impl HostOptions {
    pub fn calls(&self) -> CallOptions {
        let defaults = CallOptions::default();
        let retry_defaults = RetryPolicy::default();
        CallOptions {
            webhook_concurrency: self.webhook_concurrency.map_or(8, |n| n as usize),
            egress_concurrency: self.egress_concurrency.map_or(8, |n| n as usize),
            media_concurrency: self.media_concurrency.map_or(2, |n| n as usize),
            media_streams: defaults.media_streams,
            queue_timeout: self.queue_timeout_ms.map_or(defaults.queue_timeout, millis),
            inline_webhooks: self.inline_webhooks.unwrap_or(true),
            // A single message's delivery; larger ones (batches) run on the lane's threads,
            // where both cores work (measured: bench/omni-package, BENCHMARKS.md).
            inline_max_body: 4 << 10,
            retry: RetryPolicy {
                max_attempts: self.retry_max_attempts.unwrap_or(retry_defaults.max_attempts),
                max_total_wait: self.retry_max_total_wait_ms.map_or(retry_defaults.max_total_wait, millis),
            },
        }
    }

    /// The runtime's limits, its pool sized for every lane's calls and one inline webhook.
    pub fn runtime(&self, calls: &CallOptions) -> RuntimeConfig {
        let defaults = RuntimeConfig::default();
        let slots = calls.webhook_concurrency + calls.egress_concurrency + calls.media_concurrency;
        RuntimeConfig {
            memory_limit: self.memory_limit_mib.map_or(defaults.memory_limit, |m| (m as usize) << 20),
            cpu_budget: self.cpu_budget_ms.map_or(defaults.cpu_budget, millis),
            wall_limit: self.wall_limit_ms.map_or(defaults.wall_limit, millis),
            pooling: Some(u32::try_from(slots).unwrap_or(u32::MAX)),
            ..defaults
        }
    }

    pub fn max_webhook_bytes(&self) -> u64 {
        self.max_webhook_bytes.map_or(omni_host::channel_host::DEFAULT_MAX_WEBHOOK_BODY, u64::from)
    }

    pub fn max_event_bytes(&self) -> usize {
        self.max_event_bytes.map_or(DEFAULT_MAX_EVENT_BYTES, |n| n as usize)
    }

    pub fn media_link_ttl(&self) -> Duration {
        Duration::from_secs(self.media_link_ttl_seconds.map_or(3600, u64::from))
    }
}

fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}
