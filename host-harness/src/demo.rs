//! The demo: `serve` with an embedded fake Graph API and a demo instance, no Meta account needed.
//!
//! It calls its own webhook the way Meta does (verification, then a signed message
//! notification), replies through the send API, delivers Meta's delivery and read receipts for
//! the reply, prints every event, then keeps serving with the commands to try printed.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;

use crate::capabilities::events::JsonLinesSink;
use crate::capabilities::http_client::{ClientConfig, UreqClient};
use crate::channel_host::ChannelHost;
use crate::config::HostConfig;
use crate::fake_graph::FakeGraph;
use crate::runtime::{PluginRuntime, RuntimeConfig};
use crate::server::metrics::{CountingSink, Metrics};
use crate::server::{self, AppState, ServerOptions};
use crate::signing;

pub const INSTANCE: &str = "demo";
pub const APP_SECRET: &str = "demo-app-secret";
pub const VERIFY_TOKEN: &str = "demo-verify-token";
pub const ACCESS_TOKEN: &str = "EAADemoAccessToken";
pub const API_TOKEN: &str = "demo-api-token";
pub const PHONE_NUMBER_ID: &str = "106540352242922";

const TEXT_WEBHOOK: &str = include_str!("demo/webhook-text.json");
/// The message the CLI's `send` tries.
const HELLO: &str = r#"{"to": "+1 631 555 1234", "content": {"type": "text", "text": "Hello from omni-host"}}"#;
const STATUS_WEBHOOK: &str = include_str!("demo/webhook-statuses.json");

/// The demo instance's configuration file, pointing at `graph_base_url`.
pub fn config_text(graph_base_url: &str) -> String {
    format!(
        r#"# The demo instance, against a fake Graph API (no Meta account needed).
[[instances]]
id = "{INSTANCE}"

[instances.config]
appSecret = "{APP_SECRET}"
webhookVerifyToken = "{VERIFY_TOKEN}"
phoneNumberId = "{PHONE_NUMBER_ID}"
businessAccountId = "102290129340398"
accessToken = "{ACCESS_TOKEN}"
graphBaseUrl = "{graph_base_url}"

[api]
token = "{API_TOKEN}"
"#
    )
}

/// The demo instance's configuration, pointing at `graph_base_url`.
pub fn config(graph_base_url: &str) -> anyhow::Result<HostConfig> {
    HostConfig::parse(&config_text(graph_base_url))
}

/// What the CLI's commands need to run against a fake Graph API: the demo's configuration,
/// a message to send and a webhook body to deliver, written to `dir`; and those commands, ready
/// to paste.
pub fn write_try_files(dir: &Path, graph_base_url: &str) -> anyhow::Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let config = dir.join("config.toml");
    let message = dir.join("hello.json");
    let webhook = dir.join("webhook.json");
    std::fs::write(&config, config_text(graph_base_url))?;
    std::fs::write(&message, HELLO)?;
    std::fs::write(&webhook, TEXT_WEBHOOK)?;
    let (config, message, webhook) = (config.display(), message.display(), webhook.display());
    Ok(vec![
        format!("omni-host doctor --config {config}"),
        format!("omni-host send --config {config} --instance {INSTANCE} --message {message}"),
        format!("omni-host webhook --config {config} --body {webhook} --sign"),
    ])
}

/// `omni-host fake-graph`: the demo's fake Graph API on its own, the files of
/// [`write_try_files`] written to `dir` and its commands printed; serves until `stop` completes.
pub fn fake_graph(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    out: &Output,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let _context = runtime.enter();
    let graph = FakeGraph::start(ACCESS_TOKEN, PHONE_NUMBER_ID)?;
    out.say(&format!("fake Graph API (standing in for Meta) on {}", graph.base_url()));
    let commands = write_try_files(dir, &graph.base_url())?;
    out.say(&format!("wrote {}: the demo instance against it", dir.join("config.toml").display()));
    out.say("try (until Ctrl-C):");
    for command in commands {
        out.say(&format!("  {command}"));
    }
    runtime.block_on(stop);
    drop(graph);
    Ok(())
}

/// Where the demo writes: commentary lines (`# ...`) and events (JSON lines) interleaved.
#[derive(Clone)]
pub struct Output(Arc<Mutex<Box<dyn Write + Send>>>);

impl Output {
    pub fn new(writer: Box<dyn Write + Send>) -> Self {
        Self(Arc::new(Mutex::new(writer)))
    }

    fn say(&self, line: &str) {
        let mut out = self.0.lock().expect("demo output");
        let _ = writeln!(out, "# {line}");
        let _ = out.flush();
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.flush()
    }
}

/// Runs the demo on `runtime`. With `keep_serving`, serves until Ctrl-C or SIGTERM afterwards.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    component: &[u8],
    listen: SocketAddr,
    out: Output,
    keep_serving: bool,
) -> anyhow::Result<()> {
    let _context = runtime.enter();
    let graph = FakeGraph::start(ACCESS_TOKEN, PHONE_NUMBER_ID)?;
    out.say(&format!("fake Graph API (standing in for Meta) on {}", graph.base_url()));

    let plugin =
        Arc::new(PluginRuntime::new(component, RuntimeConfig { pooling: Some(16), ..RuntimeConfig::default() })?);
    let metrics = Metrics::new();
    let sink = Arc::new(CountingSink::new(Arc::new(JsonLinesSink::new(Box::new(out.clone()))), metrics.clone()));
    let host = Arc::new(ChannelHost::new(
        plugin,
        &config(&graph.base_url())?,
        Arc::new(UreqClient::new(ClientConfig::default())),
        sink,
    )?);
    let info = host.info().clone();
    out.say(&format!("loaded {} {} (contract {})", info.name, info.version, info.contract));

    let listener = match runtime.block_on(async { crate::server::connections::listen(listen) }) {
        Ok(listener) => listener,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            out.say(&format!("{listen} is taken; using a free port"));
            runtime.block_on(async { crate::server::connections::listen(SocketAddr::new(listen.ip(), 0)) })?
        }
        Err(e) => return Err(e).context(format!("listening on {listen}")),
    };
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    let options = ServerOptions { api_token: Some(API_TOKEN.into()), ..ServerOptions::default() }.with_concurrency(16);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        tokio::select! {
            _ = server::shutdown_signal() => {}
            _ = stopped => {}
        }
    };
    let server = runtime.spawn(server::serve(listener, AppState::new(host, metrics, options), shutdown));
    out.say(&format!("serving on {base}"));

    let http = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let webhook_url = format!("{base}/webhooks/whatsapp-cloud/{INSTANCE}");

    let mut verify = http
        .get(&webhook_url)
        .query("hub.mode", "subscribe")
        .query("hub.challenge", "1158201444")
        .query("hub.verify_token", VERIFY_TOKEN)
        .call()?;
    out.say(&format!("Meta verifies the webhook: HTTP {} {}", verify.status(), verify.body_mut().read_to_string()?));

    out.say("Meta delivers a signed message notification; its events:");
    let response = post_signed(&http, &webhook_url, TEXT_WEBHOOK.as_bytes())?;
    out.say(&format!("webhook answered HTTP {response}"));

    out.say("omni replies through the send API; the send's events:");
    let reply = r#"{"to": "16315551234@s.whatsapp.net", "content": {"type": "text", "text": "Thanks! An agent will be with you shortly."}, "replyTo": "wamid.ABGGFlCGg0cvAgo-sJQh43L5Pe4W"}"#;
    let mut sent = http
        .post(format!("{base}/api/v1/instances/{INSTANCE}/messages"))
        .header("authorization", format!("Bearer {API_TOKEN}"))
        .header("content-type", "application/json")
        .send(reply)?;
    let receipt: serde_json::Value = serde_json::from_str(&sent.body_mut().read_to_string()?)?;
    out.say(&format!("send API answered HTTP {}: {receipt}", sent.status()));
    let message_id = receipt["messageId"].as_str().context("the send API returned no message id")?;
    if let Some(request) = graph.requests().pop() {
        out.say(&format!("the Graph API received POST {} {}", request.path, String::from_utf8_lossy(&request.body)));
    }

    out.say("Meta reports delivery and reading of the reply; their events:");
    let statuses = STATUS_WEBHOOK.replace("WAMID", message_id);
    let response = post_signed(&http, &webhook_url, statuses.as_bytes())?;
    out.say(&format!("webhook answered HTTP {response}"));

    let sample = std::env::temp_dir().join(format!("omni-host-demo-{}.json", std::process::id()));
    std::fs::write(&sample, TEXT_WEBHOOK)?;
    let signature = signing::hub_signature(APP_SECRET.as_bytes(), TEXT_WEBHOOK.as_bytes());
    out.say("try it (events appear here):");
    out.say(&format!("  curl -s '{webhook_url}?hub.mode=subscribe&hub.challenge=42&hub.verify_token={VERIFY_TOKEN}'"));
    out.say(&format!(
        "  curl -s -X POST {webhook_url} -H 'content-type: application/json' -H 'x-hub-signature-256: {signature}' --data-binary @{}",
        sample.display()
    ));
    out.say(&format!(
        "  curl -s -X POST {base}/api/v1/instances/{INSTANCE}/messages -H 'authorization: Bearer {API_TOKEN}' -H 'content-type: application/json' -d '{{\"to\": \"+1 631 555 1234\", \"content\": {{\"type\": \"text\", \"text\": \"Hello\"}}}}'"
    ));
    out.say(&format!("  curl -s {base}/healthz ; curl -s {base}/metrics"));
    let dir = std::env::temp_dir().join(format!("omni-host-demo-{}", std::process::id()));
    let commands = write_try_files(&dir, &graph.base_url())?;
    out.say(&format!("the configuration it runs ({}):", dir.join("config.toml").display()));
    for line in config_text(&graph.base_url()).lines().filter(|l| !l.is_empty()) {
        out.say(&format!("  {line}"));
    }
    out.say("and the CLI against the same fake Graph API, while this runs:");
    for command in commands {
        out.say(&format!("  {command}"));
    }

    if keep_serving {
        out.say("serving until Ctrl-C");
    } else {
        let _ = stop.send(());
    }
    runtime.block_on(server).context("the server task")??;
    let _ = std::fs::remove_file(&sample);
    let _ = std::fs::remove_dir_all(&dir);
    drop(graph);
    Ok(())
}

fn post_signed(http: &ureq::Agent, url: &str, body: &[u8]) -> anyhow::Result<u16> {
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signing::hub_signature(APP_SECRET.as_bytes(), body))
        .send(body)?;
    Ok(response.status().as_u16())
}
