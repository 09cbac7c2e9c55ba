//! `serve`: Meta's webhook endpoint, a small send API for omni or an operator, health and
//! metrics, over HTTP on tokio.
//!
//! The plugin runs on tokio's blocking threads (wasmtime calls and their host functions block),
//! at most `max_concurrency` at once: the pooling allocator has that many slots, and the
//! semaphore makes excess requests wait rather than fail.

mod api;
mod media;
pub mod metrics;
mod request_id;
mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::sync::Semaphore;

use crate::channel_host::{ChannelHost, HostError};
use crate::retry::RetryPolicy;
use metrics::Metrics;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Largest webhook body read; larger ones get 413 before the plugin sees them.
    pub webhook_body_limit: usize,
    /// Largest media upload through the send API.
    pub media_body_limit: usize,
    /// Plugin calls running at once (match the runtime's pooling slots).
    pub max_concurrency: usize,
    /// Bearer token of the send API; `None` disables it.
    pub api_token: Option<String>,
    /// How sends are retried.
    pub retry: RetryPolicy,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            webhook_body_limit: 1 << 20,
            media_body_limit: 110 << 20,
            max_concurrency: 64,
            api_token: None,
            retry: RetryPolicy::default(),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub host: Arc<ChannelHost>,
    pub metrics: Arc<Metrics>,
    pub options: Arc<ServerOptions>,
    permits: Arc<Semaphore>,
}

impl AppState {
    pub fn new(host: Arc<ChannelHost>, metrics: Arc<Metrics>, options: ServerOptions) -> Self {
        let permits = Arc::new(Semaphore::new(options.max_concurrency.max(1)));
        Self { host, metrics, options: Arc::new(options), permits }
    }

    /// Runs plugin work on a blocking thread, within the concurrency limit, in the caller's
    /// tracing span (so plugin logs carry the request id).
    pub async fn run_plugin<T: Send + 'static>(
        &self,
        work: impl FnOnce(&ChannelHost) -> Result<T, HostError> + Send + 'static,
    ) -> Result<T, HostError> {
        let _permit = self.permits.clone().acquire_owned().await.expect("the semaphore is never closed");
        let host = self.host.clone();
        let span = tracing::Span::current();
        let result = tokio::task::spawn_blocking(move || span.in_scope(|| work(&host))).await;
        let result = match result {
            Ok(result) => result,
            // A panic in the host itself (not the guest): report it as a host failure.
            Err(join) => Err(HostError::Plugin(crate::runtime::PluginError::Host(format!("host task failed: {join}")))),
        };
        if let Err(HostError::Plugin(failure)) = &result {
            self.metrics.inc("omni_plugin_failures_total", &[("kind", failure.kind())]);
            tracing::error!("plugin call failed: {failure}");
        }
        result
    }
}

/// The routes.
pub fn router(state: AppState) -> Router {
    let webhook_limit = state.options.webhook_body_limit;
    let media_limit = state.options.media_body_limit;
    let webhooks = Router::new()
        .route("/webhooks/whatsapp-cloud/{instance}", get(webhook::handle).post(webhook::handle))
        .layer(DefaultBodyLimit::max(webhook_limit));
    let api = api::routes().layer(DefaultBodyLimit::max(media_limit));
    Router::new()
        .merge(webhooks)
        .merge(api)
        .route("/media/{instance}/{media_id}", get(media::serve))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .layer(axum::middleware::from_fn(request_id::assign))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    axum::Json(serde_json::json!({
        "status": "ok",
        "plugin": state.host.info().id,
        "version": state.host.info().version,
        "instances": state.host.instances().iter().map(|i| i.id()).collect::<Vec<_>>(),
    }))
}

async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    ([("content-type", "text/plain; version=0.0.4")], state.metrics.render())
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "serving");
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
