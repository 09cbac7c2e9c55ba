//! A running `serve` on loopback, in process, for HTTP-level tests.

use std::sync::Arc;

use omni_host::capabilities::events::MemorySink;
use omni_host::capabilities::{EventSink, MediaLinks};
use omni_host::channel_host::ChannelHost;
use omni_host::fake_graph::FakeGraph;
use omni_host::runtime::PluginRuntime;
use omni_host::server::metrics::{CountingSink, Metrics};
use omni_host::server::{self, AppState, ServerOptions};

use crate::{ACCESS_TOKEN, APP_SECRET, INSTANCE, PHONE_NUMBER_ID, host_on, instance_toml};
use omni_host::signing::hub_signature;

/// `serve` for the WhatsApp component with instance `acme` on a fake Graph API, publishing into
/// memory (counted in the server's metrics).
pub struct Served {
    pub server: TestServer,
    pub sink: Arc<MemorySink>,
    pub graph: FakeGraph,
}

impl Served {
    /// With `media_links`, the host hands out links to itself for received media.
    pub fn start(options: ServerOptions, media_links: bool) -> Self {
        Self::start_with(crate::runtime(), options, media_links)
    }

    /// [`Served::start`], with instances added through the API allowed to reach the fake Graph
    /// API, as an operator allows a Graph API proxy on its own network (`[api] egress`).
    pub fn start_for_callers(mut options: ServerOptions, media_links: bool) -> Self {
        let graph = FakeGraph::start(ACCESS_TOKEN, PHONE_NUMBER_ID).expect("fake Graph API starts");
        options.callers.egress = Some(vec![graph.base_url()]);
        Self::start_on_graph(crate::runtime(), graph, options, media_links)
    }

    /// [`Served::start`] with the component loaded in `runtime`.
    pub fn start_with(runtime: Arc<PluginRuntime>, options: ServerOptions, media_links: bool) -> Self {
        let graph = FakeGraph::start(ACCESS_TOKEN, PHONE_NUMBER_ID).expect("fake Graph API starts");
        Self::start_on_graph(runtime, graph, options, media_links)
    }

    fn start_on_graph(
        runtime: Arc<PluginRuntime>,
        graph: FakeGraph,
        options: ServerOptions,
        media_links: bool,
    ) -> Self {
        let sink = Arc::new(MemorySink::new());
        let metrics = Metrics::new();
        let counted: Arc<dyn EventSink> = Arc::new(CountingSink::new(sink.clone(), metrics.clone()));
        let toml = instance_toml(INSTANCE, PHONE_NUMBER_ID, &graph.base_url());
        let mut host = host_on(runtime, &toml, std::time::Duration::from_secs(10), counted);
        let runtime = TestServer::runtime();
        let listener = TestServer::listen(&runtime);
        if media_links {
            let ttl = std::time::Duration::from_secs(600);
            host = host.with_media_links(
                MediaLinks::new(&format!("{}/media", TestServer::url_of(&listener)), None, ttl).expect("links"),
            );
        }
        let server = TestServer::start_on(runtime, listener, Arc::new(host), metrics, options);
        Self { server, sink, graph }
    }
}

/// A server on `127.0.0.1:<free port>`; stops (finishing requests in flight) when shut down or
/// dropped.
pub struct TestServer {
    pub base: String,
    pub metrics: Arc<Metrics>,
    runtime: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Serves `host` on `runtime` (multi-threaded: NATS sinks block on it).
    pub fn start(
        runtime: tokio::runtime::Runtime,
        host: Arc<ChannelHost>,
        metrics: Arc<Metrics>,
        options: ServerOptions,
    ) -> Self {
        let listener = Self::listen(&runtime);
        Self::start_on(runtime, listener, host, metrics, options)
    }

    /// A loopback listener on a free port, for a host that must know its URL before it serves.
    pub fn listen(runtime: &tokio::runtime::Runtime) -> tokio::net::TcpListener {
        let loopback = "127.0.0.1:0".parse().expect("an address");
        runtime.block_on(async { omni_host::server::connections::listen(loopback) }).expect("a loopback port")
    }

    /// The URL of a listener.
    pub fn url_of(listener: &tokio::net::TcpListener) -> String {
        format!("http://{}", listener.local_addr().expect("a bound listener"))
    }

    /// Serves `host` on `listener`.
    pub fn start_on(
        runtime: tokio::runtime::Runtime,
        listener: tokio::net::TcpListener,
        host: Arc<ChannelHost>,
        metrics: Arc<Metrics>,
        options: ServerOptions,
    ) -> Self {
        let base = Self::url_of(&listener);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(host, metrics.clone(), options);
        let task = runtime.spawn(server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Self { base, metrics, runtime, stop: Some(stop), task: Some(task) }
    }

    /// A fresh multi-threaded runtime for a server.
    pub fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime")
    }

    /// The runtime the server runs on.
    pub fn handle(&self) -> tokio::runtime::Handle {
        self.runtime.handle().clone()
    }

    /// Asks the server to stop and waits until it has finished the requests in flight.
    pub fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            self.runtime.block_on(task).expect("server task").expect("server");
        }
    }

    /// Sends only a request head (`GET /x HTTP/1.1`, headers) over a fresh connection and returns
    /// the status the server answers without waiting for a body.
    pub fn head_only(&self, request_line: &str, headers: &[(&str, &str)]) -> u16 {
        use std::io::{Read, Write};
        let address = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("connects");
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let mut head = format!("{request_line}\r\nhost: {address}\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).expect("writes the head");
        let mut answer = [0u8; 64];
        let n = stream.read(&mut answer).expect("an answer before any body");
        let text = String::from_utf8_lossy(&answer[..n]);
        text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
    }

    /// An HTTP client that returns every status as a response.
    pub fn client() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(60)))
            .build()
            .new_agent()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// A call to `serve`'s API with the bearer `token`: the status and the JSON body (`null` when
/// there is none). A body goes as JSON; `POST` without one sends an empty body.
pub fn api_call(
    base: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let agent = TestServer::client();
    let url = format!("{base}{path}");
    let auth = format!("Bearer {token}");
    let json = |body: &serde_json::Value| body.to_string();
    let mut response = match (method, body) {
        ("GET", None) => agent.get(&url).header("authorization", &auth).call(),
        ("DELETE", None) => agent.delete(&url).header("authorization", &auth).call(),
        ("POST", None) => agent.post(&url).header("authorization", &auth).send_empty(),
        ("POST", Some(b)) => {
            agent.post(&url).header("authorization", &auth).header("content-type", "application/json").send(json(&b))
        }
        ("PUT", Some(b)) => {
            agent.put(&url).header("authorization", &auth).header("content-type", "application/json").send(json(&b))
        }
        ("PATCH", Some(b)) => {
            agent.patch(&url).header("authorization", &auth).header("content-type", "application/json").send(json(&b))
        }
        other => panic!("no such call {other:?}"),
    }
    .expect("serve answers");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}

/// Delivers `body`, signed, and returns the status (599 when no answer came), logging any
/// refusal's body so a failing test says why.
pub fn deliver(base: &str, body: &[u8]) -> u16 {
    let result = TestServer::client()
        .post(format!("{base}/webhooks/whatsapp-cloud/{INSTANCE}"))
        .header("x-hub-signature-256", hub_signature(APP_SECRET.as_bytes(), body))
        .send(body);
    match result {
        Ok(mut response) => {
            let status = response.status().as_u16();
            if status != 200 {
                eprintln!("webhook answered {status}: {}", response.body_mut().read_to_string().unwrap_or_default());
            }
            status
        }
        Err(err) => {
            eprintln!("webhook got no answer: {err}");
            599
        }
    }
}
