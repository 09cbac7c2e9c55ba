//! Shared test support: the real component compiled once per test binary, a host wired to an
//! in-memory event sink and the fake Graph API, signed webhook requests, fixtures.

pub mod arbitrary;
pub mod nats;
pub mod server;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};

use omni_host::bindings::messaging::{Content, MessagePart, OutgoingMessage, TextContent};
use omni_host::bindings::webhook::{IncomingRequest, OutgoingResponse};
use omni_host::capabilities::events::MemorySink;
use omni_host::capabilities::http_client::{ClientConfig, UreqClient};
use omni_host::capabilities::{EventSink, HttpClient, OmniEvent};
use omni_host::channel_host::ChannelHost;
use omni_host::config::HostConfig;
use omni_host::fake_graph::{FakeGraph, ScriptedResponse};
use omni_host::retry::{PartsOutcome, RetryPolicy};
use omni_host::runtime::{PluginRuntime, RuntimeConfig};
use omni_host::signing::hub_signature;

pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";
pub const ACCESS_TOKEN: &str = "EAAtestaccesstoken";
/// The phone number id of Meta's example payloads.
pub const PHONE_NUMBER_ID: &str = "106540352242922";
pub const BUSINESS_ACCOUNT_ID: &str = "102290129340398";
pub const INSTANCE: &str = "acme";

/// The WhatsApp Cloud component, compiled once for the whole test binary (compiling costs far
/// more than a test).
pub fn runtime() -> Arc<PluginRuntime> {
    static RUNTIME: OnceLock<Arc<PluginRuntime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            // As many instance slots as `serve` has by default, so servers under test run with
            // their default concurrency.
            let config = RuntimeConfig { pooling: Some(64), ..RuntimeConfig::default() };
            Arc::new(
                PluginRuntime::new(omni_host::WHATSAPP_CLOUD_COMPONENT, config).expect("the plugin component loads"),
            )
        })
        .clone()
}

/// The WhatsApp Cloud component under a CPU budget of 250 ms, about four times what the guest
/// computes for a 1,000-message delivery (measured: 54–60 ms): for tests that must tell the
/// guest's CPU time from time spent waiting for a core.
pub fn tight_budget_runtime() -> Arc<PluginRuntime> {
    static RUNTIME: OnceLock<Arc<PluginRuntime>> = OnceLock::new();
    RUNTIME.get_or_init(|| Arc::new(with_bounds(Duration::from_millis(250), Duration::from_secs(120)))).clone()
}

/// The WhatsApp Cloud component with a wall-clock bound of 1 s per call: for tests of what the
/// bound covers.
pub fn short_wall_runtime() -> Arc<PluginRuntime> {
    static RUNTIME: OnceLock<Arc<PluginRuntime>> = OnceLock::new();
    RUNTIME.get_or_init(|| Arc::new(with_bounds(Duration::from_secs(2), Duration::from_secs(1)))).clone()
}

fn with_bounds(cpu_budget: Duration, wall_limit: Duration) -> PluginRuntime {
    runtime().with_call_bounds(cpu_budget, cpu_budget, wall_limit)
}

/// The misbehaving test component (see `tests/misbehaving-plugin`), with tight limits.
pub fn misbehaving_runtime() -> Arc<PluginRuntime> {
    static RUNTIME: OnceLock<Arc<PluginRuntime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let bytes = std::fs::read(env!("MISBEHAVING_PLUGIN_WASM")).expect("the misbehaving component was built");
            Arc::new(PluginRuntime::new(&bytes, sandbox_config()).expect("the misbehaving component loads"))
        })
        .clone()
}

/// The limits the sandbox tests run under: small enough to trip quickly.
pub fn sandbox_config() -> RuntimeConfig {
    RuntimeConfig {
        memory_limit: 32 << 20,
        media_memory_limit: 32 << 20,
        cpu_budget: std::time::Duration::from_millis(300),
        pooling: Some(4),
        ..RuntimeConfig::default()
    }
}

/// The delivery limits of a default host (4 MiB bodies, 1 MiB events).
pub fn delivery_limits() -> omni_host::bindings::webhook::DeliveryLimits {
    omni_host::bindings::webhook::DeliveryLimits {
        max_body_bytes: omni_host::channel_host::DEFAULT_MAX_WEBHOOK_BODY,
        max_event_bytes: omni_host::capabilities::events::MAX_PAYLOAD_BYTES as u64,
    }
}

/// A TOML `[[instances]]` table.
pub fn instance_toml(id: &str, phone_number_id: &str, graph_base_url: &str) -> String {
    format!(
        r#"
[[instances]]
id = "{id}"

[instances.config]
appSecret = "{APP_SECRET}"
webhookVerifyToken = "{VERIFY_TOKEN}"
phoneNumberId = "{phone_number_id}"
businessAccountId = "{BUSINESS_ACCOUNT_ID}"
accessToken = "{ACCESS_TOKEN}"
graphBaseUrl = "{graph_base_url}"
"#
    )
}

/// A host over the shared component with the given configuration, HTTP client timeout and sink.
pub fn host_with(config: &str, timeout: std::time::Duration, sink: Arc<dyn EventSink>) -> ChannelHost {
    host_on(runtime(), config, timeout, sink)
}

/// [`host_with`] on another runtime.
pub fn host_on(
    runtime: Arc<PluginRuntime>,
    config: &str,
    timeout: std::time::Duration,
    sink: Arc<dyn EventSink>,
) -> ChannelHost {
    let config = HostConfig::parse(config).expect("test configuration parses");
    let http: Arc<dyn HttpClient> = Arc::new(UreqClient::new(ClientConfig {
        connect_timeout: std::time::Duration::from_secs(2),
        max_timeout: timeout,
    }));
    ChannelHost::new(runtime, &config, http, sink).expect("host starts")
}

/// A host with one instance (`acme`) talking to a fresh fake Graph API, publishing into
/// memory.
pub struct TestHost {
    pub host: ChannelHost,
    pub sink: Arc<MemorySink>,
    pub graph: FakeGraph,
}

impl TestHost {
    pub fn new() -> Self {
        Self::with_extra_instances("")
    }

    /// Adds more `[[instances]]` tables (use `{graph}` for the fake's URL).
    pub fn with_extra_instances(extra: &str) -> Self {
        Self::build(extra, std::time::Duration::from_secs(2))
    }

    /// A host whose HTTP client waits up to `timeout` (the default 2 s keeps timeout tests short).
    pub fn with_http_timeout(timeout: std::time::Duration) -> Self {
        Self::build("", timeout)
    }

    fn build(extra: &str, timeout: std::time::Duration) -> Self {
        let graph = FakeGraph::start(ACCESS_TOKEN, PHONE_NUMBER_ID).expect("fake Graph API starts");
        let toml =
            instance_toml(INSTANCE, PHONE_NUMBER_ID, &graph.base_url()) + &extra.replace("{graph}", &graph.base_url());
        let config = HostConfig::parse(&toml).expect("test configuration parses");
        let sink = Arc::new(MemorySink::new());
        let http: Arc<dyn HttpClient> = Arc::new(UreqClient::new(ClientConfig {
            connect_timeout: std::time::Duration::from_secs(2),
            max_timeout: timeout,
        }));
        let host = ChannelHost::new(runtime(), &config, http, sink.clone() as Arc<dyn EventSink>).expect("host starts");
        Self { host, sink, graph }
    }

    /// Runs a webhook request for `acme`.
    pub fn webhook(&self, request: &IncomingRequest) -> OutgoingResponse {
        self.host.handle_webhook(INSTANCE, request).expect("the plugin handles the webhook")
    }

    /// Decodes omni's message (JSON) with the plugin and sends every part, one attempt each;
    /// panics when the plugin refuses the message.
    pub fn send_omni(&self, json: &str) -> PartsOutcome {
        let decoded = self
            .host
            .decode_outgoing(json, &[])
            .expect("the plugin runs")
            .unwrap_or_else(|field| panic!("the plugin refused {json}: {field:?}"));
        let correlation_id = decoded.correlation_id.clone().unwrap_or_else(|| "test-send".into());
        let policy = RetryPolicy { max_attempts: 1, ..RetryPolicy::default() };
        self.host
            .send_decoded_with_retries(INSTANCE, &decoded, &correlation_id, &policy, &|_| {})
            .expect("the plugin runs")
    }

    /// Everything published so far, emptying the sink.
    pub fn events(&self) -> Vec<OmniEvent> {
        self.sink.take()
    }
}

impl Default for TestHost {
    fn default() -> Self {
        Self::new()
    }
}

/// A POST with the given headers.
pub fn post(body: &[u8], headers: &[(&str, &str)]) -> IncomingRequest {
    IncomingRequest {
        method: "POST".into(),
        path: format!("/webhooks/whatsapp-cloud/{INSTANCE}"),
        query: String::new(),
        headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        body: body.to_vec(),
    }
}

/// A POST signed with the test app secret, as Meta would send it.
pub fn signed_post(body: &[u8]) -> IncomingRequest {
    let signature = hub_signature(APP_SECRET.as_bytes(), body);
    post(body, &[("content-type", "application/json"), ("x-hub-signature-256", &signature)])
}

/// A GET with a raw query string.
pub fn get(query: &str) -> IncomingRequest {
    IncomingRequest {
        method: "GET".into(),
        path: format!("/webhooks/whatsapp-cloud/{INSTANCE}"),
        query: query.to_owned(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

/// The bytes of `tests/fixtures/<path>`.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("reading {}: {e}", full.display()))
}

/// A response body as text.
pub fn text(response: &OutgoingResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// A plain text message to `to`.
pub fn text_message(to: &str, body: &str) -> MessagePart {
    let message = OutgoingMessage {
        to: to.into(),
        content: Content::Text(TextContent { body: body.into(), preview_url: false }),
        reply_to: None,
        callback_data: None,
        identity_key_hash: None,
    };
    MessagePart { message, uploads_file: false }
}

/// Meta's 130429 throughput limit, with its estimate of when sending may resume
/// (`x-business-use-case-usage`'s `estimated_time_to_regain_access`, in minutes).
pub fn throughput_limit(minutes: u32) -> ScriptedResponse {
    let usage = format!(
        r#"{{"{BUSINESS_ACCOUNT_ID}":[{{"type":"whatsapp","call_count":100,"estimated_time_to_regain_access":{minutes}}}]}}"#
    );
    ScriptedResponse::graph_error(400, 130429, "Rate limit hit").with_header("x-business-use-case-usage", &usage)
}

/// Raises this process's soft limit on open descriptors to `wanted` (or the hard limit): tests
/// that hold a thousand connections need both their ends in one process.
pub fn raise_descriptor_limit(wanted: u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `getrlimit` and `setrlimit` read and write the valid `rlimit` they are given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < wanted {
            limit.rlim_cur = wanted.min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// This process's resident memory, in bytes (`VmRSS` of `/proc/self/status`).
pub fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line");
    kb * 1024
}

/// A notification with `n` text messages, each with a body of `text_len` characters.
pub fn text_batch(n: usize, text_len: usize) -> Vec<u8> {
    let messages: Vec<Value> = (0..n)
        .map(|i| {
            json!({"from": "16505551234", "id": format!("wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQ{i:012}"), "timestamp": "1750263773",
                   "type": "text", "text": {"body": "w".repeat(text_len)}})
        })
        .collect();
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Kerry Fisher"}, "wa_id": "16505551234"}],
        "messages": messages}}]}]})
    .to_string()
    .into_bytes()
}
