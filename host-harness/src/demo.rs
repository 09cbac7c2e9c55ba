//! The demo: the real component against an embedded fake Graph API, no Meta account needed.
//!
//! It verifies the webhook like Meta does, delivers a signed message notification, sends a
//! reply, delivers Meta's delivery and read receipts for it, and prints every event.

use std::io::Write;
use std::sync::Arc;

use anyhow::Context as _;

use crate::bindings::messaging::SendOptions;
use crate::bindings::webhook::IncomingRequest;
use crate::capabilities::events::JsonLinesSink;
use crate::capabilities::http_client::{ClientConfig, UreqClient};
use crate::channel_host::ChannelHost;
use crate::config::HostConfig;
use crate::fake_graph::FakeGraph;
use crate::outgoing::OmniOutgoing;
use crate::runtime::{PluginRuntime, RuntimeConfig};
use crate::{signing, wire};

pub const INSTANCE: &str = "demo";
pub const APP_SECRET: &str = "demo-app-secret";
pub const VERIFY_TOKEN: &str = "demo-verify-token";
pub const ACCESS_TOKEN: &str = "EAADemoAccessToken";
pub const PHONE_NUMBER_ID: &str = "106540352242922";

const TEXT_WEBHOOK: &str = include_str!("demo/webhook-text.json");
const STATUS_WEBHOOK: &str = include_str!("demo/webhook-statuses.json");

/// The demo instance's configuration, pointing at `graph_base_url`.
pub fn config(graph_base_url: &str) -> anyhow::Result<HostConfig> {
    HostConfig::parse(&format!(
        r#"
[[instances]]
id = "{INSTANCE}"
app_secret = "{APP_SECRET}"
verify_token = "{VERIFY_TOKEN}"
phone_number_id = "{PHONE_NUMBER_ID}"
business_account_id = "102290129340398"
access_token = "{ACCESS_TOKEN}"
graph_base_url = "{graph_base_url}"
"#
    ))
}

/// Runs the demo, writing commentary lines (`# ...`) and events (JSON lines) to `out`.
pub fn run(component: &[u8], out: Box<dyn Write + Send>) -> anyhow::Result<()> {
    let out = Arc::new(std::sync::Mutex::new(out));
    let say = |line: &str| -> anyhow::Result<()> {
        let mut out = out.lock().expect("demo output");
        writeln!(out, "# {line}")?;
        Ok(out.flush()?)
    };
    let graph = FakeGraph::start(ACCESS_TOKEN, PHONE_NUMBER_ID)?;
    say(&format!("fake Graph API listening on {}", graph.base_url()))?;
    let runtime = Arc::new(PluginRuntime::new(component, RuntimeConfig { pooling: None, ..RuntimeConfig::default() })?);
    let sink = Arc::new(JsonLinesSink::new(Box::new(SharedWriter(out.clone()))));
    let http = Arc::new(UreqClient::new(ClientConfig::default()));
    let host = ChannelHost::new(runtime, &config(&graph.base_url())?, http, sink)?;
    say(&format!("loaded {} {} (contract {})", host.info().name, host.info().version, host.info().contract))?;

    let handshake = IncomingRequest {
        method: "GET".into(),
        path: format!("/webhooks/whatsapp-cloud/{INSTANCE}"),
        query: format!("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}"),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let response = host.handle_webhook(INSTANCE, &handshake)?;
    say(&format!("Meta verifies the webhook: HTTP {} {}", response.status, String::from_utf8_lossy(&response.body)))?;

    say("Meta delivers a signed message notification; its events:")?;
    let response = host.handle_webhook(INSTANCE, &signed(TEXT_WEBHOOK.as_bytes()))?;
    say(&format!("webhook answered HTTP {}", response.status))?;

    say("omni replies; the send's events:")?;
    let reply = OmniOutgoing::from_json(
        r#"{"to": "16315551234@s.whatsapp.net", "content": {"type": "text", "text": "Thanks! An agent will be with you shortly."}, "replyTo": "wamid.ABGGFlCGg0cvAgo-sJQh43L5Pe4W"}"#,
    )?;
    let options = SendOptions { correlation_id: "demo-reply-1".into(), final_attempt: true };
    let receipt = host
        .send_message(INSTANCE, &reply.to_wit().map_err(anyhow::Error::msg)?, &options)?
        .map_err(|e| anyhow::anyhow!("{}", wire::channel_error(&e)))?;
    say(&format!("receipt: {}", wire::receipt(&receipt)))?;
    let request = graph.requests().pop().context("the fake Graph API saw the send")?;
    say(&format!("the Graph API received POST {} {}", request.path, String::from_utf8_lossy(&request.body)))?;

    say("Meta reports delivery and reading of the reply; their events:")?;
    let statuses = STATUS_WEBHOOK.replace("WAMID", &receipt.message_id);
    let response = host.handle_webhook(INSTANCE, &signed(statuses.as_bytes()))?;
    say(&format!("webhook answered HTTP {}", response.status))?;
    Ok(())
}

fn signed(body: &[u8]) -> IncomingRequest {
    IncomingRequest {
        method: "POST".into(),
        path: format!("/webhooks/whatsapp-cloud/{INSTANCE}"),
        query: String::new(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-hub-signature-256".into(), signing::hub_signature(APP_SECRET.as_bytes(), body)),
        ],
        body: body.to_vec(),
    }
}

/// Lets the event sink and the commentary share one output.
struct SharedWriter(Arc<std::sync::Mutex<Box<dyn Write + Send>>>);

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.flush()
    }
}
