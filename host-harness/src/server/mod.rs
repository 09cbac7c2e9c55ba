//! `serve`: Meta's webhook endpoint, a small send API for omni or an operator, health and
//! metrics, over HTTP on tokio.
//!
//! The plugin runs on tokio's blocking threads, in the lanes of [`crate::calls`]: webhooks,
//! calls that reach Meta, and media, each with its own capacity, so that no slow Graph API or
//! CDN makes Meta's deliveries or its verification wait.
//! `connections` keeps the listener itself safe to face the internet; `guards` checks tokens
//! and body limits before any body is read.

mod account_api;
mod actions_api;
mod api;
pub mod body_budget;
pub mod connections;
mod errors;
pub mod guards;
mod instances_api;
mod media;
pub mod metrics;
pub mod reload;
mod request_id;
mod scrub;
mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::bindings::webhook::{IncomingRequest, OutgoingResponse};
use crate::calls::{CallObserver, Calls};
pub use crate::calls::{CallOptions, Lane};
use crate::channel_host::{ChannelHost, HostError};
pub use connections::ConnectionOptions;
use metrics::Metrics;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Largest webhook body read; an announced larger one gets 413 before it is read.
    pub webhook_body_limit: usize,
    /// Webhook bytes held at once, over all requests: a body is read only once its size (or,
    /// unannounced, the limit) fits, else it gets 503 unread and Meta delivers it again.
    pub webhook_body_budget: usize,
    /// Largest omni message (JSON) through the send API: room for a 16 MB file as base64.
    pub send_body_limit: usize,
    /// Largest media upload through the send API.
    pub media_body_limit: usize,
    /// Largest body of the other API routes (read receipts, connect).
    pub small_body_limit: usize,
    /// Time for a whole request body to arrive.
    pub body_read_timeout: Duration,
    /// Time for a whole media upload to arrive (up to `media_body_limit` bytes).
    pub upload_read_timeout: Duration,
    /// The lanes, the wait for capacity, inline webhooks and retries (see [`crate::calls`]).
    pub calls: CallOptions,
    /// Bearer token of the send API; `None` disables it.
    pub api_token: Option<String>,
    /// What instances added through the API may use of the host (`[api] env_allow`, `egress`).
    pub callers: crate::config::CallerLimits,
    /// The listener's connection limits and timeouts.
    pub connections: ConnectionOptions,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            webhook_body_limit: crate::channel_host::DEFAULT_MAX_WEBHOOK_BODY as usize,
            webhook_body_budget: 32 << 20,
            send_body_limit: 24 << 20,
            media_body_limit: 110 << 20,
            small_body_limit: 64 << 10,
            body_read_timeout: Duration::from_secs(30),
            upload_read_timeout: Duration::from_secs(300),
            calls: CallOptions::default(),
            api_token: None,
            callers: crate::config::CallerLimits::default(),
            connections: ConnectionOptions::default(),
        }
    }
}

impl ServerOptions {
    /// Splits `total` plugin calls between the lanes (see [`CallOptions::with_concurrency`]).
    pub fn with_concurrency(mut self, total: usize) -> Self {
        self.calls = self.calls.with_concurrency(total);
        self
    }
}

/// What every handler shares: one reference-counted value, because axum clones the state for
/// every middleware and handler a request passes, and a dozen shared counters touched by both
/// cores on every request cost 6 % of `serve`'s CPU at 64 connections (perf, bench/load).
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// The state itself (see [`AppState`]).
pub struct SharedState {
    pub host: Arc<ChannelHost>,
    pub metrics: Arc<Metrics>,
    pub options: Arc<ServerOptions>,
    pub calls: Calls,
    /// Why the last configuration reload was refused, while the running instances are kept.
    pub last_reload_refusal: Arc<std::sync::Mutex<Option<String>>>,
    /// Webhook bytes that may still be taken in (see [`body_budget`]).
    pub webhook_budget: body_budget::BodyBudget,
}

impl AppState {
    pub fn new(host: Arc<ChannelHost>, metrics: Arc<Metrics>, options: ServerOptions) -> Self {
        let calls = Calls::new(host.clone(), options.calls.clone(), metrics.clone());
        let webhook_budget = body_budget::BodyBudget::new(options.webhook_body_budget);
        Self(Arc::new(SharedState {
            host,
            metrics,
            options: Arc::new(options),
            calls,
            last_reload_refusal: Arc::default(),
            webhook_budget,
        }))
    }

    /// Runs plugin work in its lane (see [`Calls::run`]), the wait for capacity counted from
    /// the request's arrival.
    pub async fn run_plugin<T: Send + 'static>(
        &self,
        lane: Lane,
        work: impl FnOnce(&ChannelHost) -> Result<T, HostError> + Send + 'static,
    ) -> Result<T, HostError> {
        self.calls.run(lane, arrived(), work).await
    }

    /// Runs a webhook (see [`Calls::run_webhook`]).
    pub async fn run_webhook(&self, instance: String, request: IncomingRequest) -> Result<OutgoingResponse, HostError> {
        self.calls.run_webhook(instance, request, arrived()).await
    }
}

/// When the current request arrived (its wait for capacity counts from there).
pub(crate) fn arrived() -> std::time::Instant {
    request_id::ARRIVED.try_with(|at| *at).unwrap_or_else(|_| std::time::Instant::now())
}

impl CallObserver for Metrics {
    fn shed(&self, lane: Lane) {
        self.inc("omni_calls_shed_total", &[("lane", lane.name())]);
    }
    fn failed(&self, kind: &'static str) {
        self.inc("omni_plugin_failures_total", &[("kind", kind)]);
    }
}

/// The routes.
pub fn router(state: AppState) -> Router {
    let options = state.options.clone();
    let deadline = options.body_read_timeout;
    // The channel's webhooks live under its plugin's id: `/webhooks/whatsapp-cloud/{instance}`.
    let webhook_path = format!("/webhooks/{}/{{instance}}", state.host.info().id);
    let webhooks = Router::new()
        .route(&webhook_path, get(webhook::handle).post(webhook::handle))
        .layer(axum::extract::DefaultBodyLimit::max(options.webhook_body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), webhook::admit))
        .layer(axum::middleware::from_fn_with_state(
            guards::BodyLimit { bytes: options.webhook_body_limit, deadline },
            guards::limit_body,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), webhook::count));
    let api = api::routes(&options)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), scrub::scrub_answers))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), guards::require_token));
    Router::new()
        .merge(webhooks)
        .merge(api)
        .route("/media/{instance}/{media_id}", get(media::serve))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
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

/// Ready for traffic: the event bus is reachable (a replica whose bus is down would answer
/// every webhook 503). Liveness is `/healthz`.
async fn readyz(State(state): State<AppState>) -> axum::response::Response {
    // A refused reload leaves the replica serving what it had: ready, and saying so.
    let refused = state.last_reload_refusal.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match state.host.sink_ready() {
        Ok(()) => axum::Json(serde_json::json!({ "ready": true, "reloadRefused": refused })).into_response(),
        Err(why) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "ready": false, "reason": why })),
        )
            .into_response(),
    }
}

async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    let text = state.metrics.render() + &metrics::render_instances(&state.host.instances());
    ([("content-type", "text/plain; version=0.0.4")], text)
}

/// Serves until `shutdown` completes, then finishes the requests in flight (within the
/// shutdown grace).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "serving");
    let connections = state.options.connections.clone();
    let metrics = state.metrics.clone();
    let count = move |admission| match admission {
        connections::Admission::ShedAnother => metrics.inc("omni_connections_shed_total", &[]),
        connections::Admission::Refused => metrics.inc("omni_connections_refused_total", &[]),
    };
    connections::serve(listener, router(state), connections, count, shutdown).await
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
