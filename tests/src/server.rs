//! A running `serve` on loopback, in process, for HTTP-level tests.

use std::sync::Arc;

use omni_host::channel_host::ChannelHost;
use omni_host::server::metrics::Metrics;
use omni_host::server::{self, AppState, ServerOptions};

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
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("a loopback port");
        let base = format!("http://{}", listener.local_addr().unwrap());
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
