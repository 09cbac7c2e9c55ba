//! `serve`: Meta's webhook endpoint, a small send API for omni or an operator, health and
//! metrics, over HTTP on tokio.
//!
//! The plugin runs on tokio's blocking threads (wasmtime calls and their host functions block),
//! in two lanes with their own capacity: webhooks, and everything that calls Meta (sends, media,
//! connect). No slow Graph API can make Meta's deliveries or its verification wait. The pooling
//! allocator has a slot for every permit of both lanes, so excess requests wait rather than fail.
//! `connections` keeps the listener itself safe to face the internet; `guards` checks tokens
//! and body limits before any body is read.

mod account_api;
mod api;
pub mod connections;
mod errors;
pub mod guards;
mod instances_api;
mod media;
pub mod metrics;
pub mod reload;
mod request_id;
mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::sync::Semaphore;

use crate::bindings::webhook::{IncomingRequest, OutgoingResponse};
use crate::capabilities::SinkError;
use crate::channel_host::{ChannelHost, HostError};
use crate::retry::RetryPolicy;
pub use connections::ConnectionOptions;
use metrics::Metrics;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Largest webhook body read; an announced larger one gets 413 before it is read.
    pub webhook_body_limit: usize,
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
    /// Plugin calls for webhooks running at once.
    pub webhook_concurrency: usize,
    /// Plugin calls that reach Meta (sends, media, connect) running at once.
    pub egress_concurrency: usize,
    /// Whether small webhooks are first tried on the connection's own thread (see
    /// [`AppState::run_webhook`]).
    pub inline_webhooks: bool,
    /// How long a request may wait for capacity in its lanes, all its calls together, before
    /// it is refused with 503 (the call was never made, so it is safe to retry; Meta redelivers
    /// a refused webhook).
    pub queue_timeout: Duration,
    /// Bearer token of the send API; `None` disables it.
    pub api_token: Option<String>,
    /// How sends are retried.
    pub retry: RetryPolicy,
    /// The listener's connection limits and timeouts.
    pub connections: ConnectionOptions,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            webhook_body_limit: crate::channel_host::DEFAULT_MAX_WEBHOOK_BODY as usize,
            send_body_limit: 24 << 20,
            media_body_limit: 110 << 20,
            small_body_limit: 64 << 10,
            body_read_timeout: Duration::from_secs(30),
            upload_read_timeout: Duration::from_secs(300),
            webhook_concurrency: 32,
            egress_concurrency: 32,
            queue_timeout: Duration::from_secs(30),
            inline_webhooks: true,
            api_token: None,
            retry: RetryPolicy::default(),
            connections: ConnectionOptions::default(),
        }
    }
}

impl ServerOptions {
    /// Splits `total` plugin calls between the lanes, webhooks getting the larger half.
    pub fn with_concurrency(mut self, total: usize) -> Self {
        let total = total.max(2);
        self.egress_concurrency = total / 2;
        self.webhook_concurrency = total - self.egress_concurrency;
        self
    }
}

/// Which capacity a plugin call uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Meta's webhooks: never waits behind calls to Meta.
    Webhook,
    /// Calls that reach Meta: sends, media, connect.
    Egress,
}

impl Lane {
    /// The lane's metric label.
    pub fn name(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Egress => "egress",
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub host: Arc<ChannelHost>,
    pub metrics: Arc<Metrics>,
    pub options: Arc<ServerOptions>,
    webhook_permits: Arc<Semaphore>,
    egress_permits: Arc<Semaphore>,
}

impl AppState {
    pub fn new(host: Arc<ChannelHost>, metrics: Arc<Metrics>, mut options: ServerOptions) -> Self {
        // More concurrent calls than the runtime has instance slots would fail the extra ones
        // (a webhook among them): the lanes share the slots instead.
        let slots = host.runtime().max_concurrent_instances().map_or(usize::MAX, |n| n as usize);
        if options.webhook_concurrency + options.egress_concurrency > slots {
            options = options.with_concurrency(slots);
        }
        let webhook_permits = Arc::new(Semaphore::new(options.webhook_concurrency.max(1)));
        let egress_permits = Arc::new(Semaphore::new(options.egress_concurrency.max(1)));
        Self { host, metrics, options: Arc::new(options), webhook_permits, egress_permits }
    }

    /// Runs plugin work on a blocking thread, within its lane's capacity, in the caller's
    /// tracing span (so plugin logs carry the request id).
    pub async fn run_plugin<T: Send + 'static>(
        &self,
        lane: Lane,
        work: impl FnOnce(&ChannelHost) -> Result<T, HostError> + Send + 'static,
    ) -> Result<T, HostError> {
        let permits = match lane {
            Lane::Webhook => &self.webhook_permits,
            Lane::Egress => &self.egress_permits,
        };
        // The wait for capacity is bounded per request, over all of its calls (a send decodes,
        // then sends each part, each call in the lane).
        let queue_timeout = self.options.queue_timeout;
        let arrived = request_id::ARRIVED.try_with(|at| *at).unwrap_or_else(|_| std::time::Instant::now());
        let until = tokio::time::Instant::from_std(arrived + queue_timeout);
        let Ok(permit) = tokio::time::timeout_at(until, permits.clone().acquire_owned()).await else {
            self.metrics.inc("omni_calls_shed_total", &[("lane", lane.name())]);
            tracing::warn!(lane = lane.name(), "no capacity within the queue timeout: the request is refused");
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

    /// Runs a webhook. One small enough, for a sink that cannot hold a thread indefinitely,
    /// first runs right here on the thread that read the request: under load the hop to a
    /// blocking thread and back was a third of `serve`'s time (perf: the scheduler's context
    /// switches), and a signed text webhook computes for about 15 µs. That attempt is held to
    /// [`INLINE_CPU_BUDGET`], so a plugin call costs the connection threads at most that, and
    /// its events are collected, then published once the call is over (awaited, for NATS): a
    /// call stopped at the budget has published nothing, and runs again on a blocking thread
    /// with the full budget. So does one whose events the bus refuses for good, so that the
    /// plugin can publish them one by one and report the odd one.
    pub async fn run_webhook(&self, instance: String, request: IncomingRequest) -> Result<OutgoingResponse, HostError> {
        let inline = self.options.inline_webhooks
            && request.body.len() <= INLINE_BODY_BYTES
            && !self.host.sink_may_block()
            // Instance slots are the lanes' permits: an inline call holds one too.
            && self.webhook_permits.available_permits() > 0;
        if inline && let Ok(permit) = self.webhook_permits.clone().try_acquire_owned() {
            let attempt = self.host.try_handle_webhook_deferred(&instance, &request, INLINE_CPU_BUDGET);
            drop(permit);
            match attempt {
                Ok(Some((response, events))) => {
                    let published = if events.is_empty() { Ok(()) } else { self.host.publish(events).await };
                    match published {
                        Ok(()) => return Ok(response),
                        // As the plugin answers when the bus is down: Meta redelivers.
                        Err(SinkError::Unavailable(why)) => return Ok(bus_unavailable(&why)),
                        Err(refused) => tracing::warn!(
                            "the bus refused the webhook's events ({refused:?}); handing them to the plugin one by one"
                        ),
                    }
                }
                Ok(None) => {
                    tracing::debug!("the webhook needs more than the inline budget; running it on a blocking thread")
                }
                Err(e) => {
                    let failed = Err(e);
                    self.count_failure(&failed);
                    return failed;
                }
            }
        }
        self.run_plugin(Lane::Webhook, move |host| host.handle_webhook(&instance, &request)).await
    }

    fn count_failure<T>(&self, result: &Result<T, HostError>) {
        if let Err(HostError::Plugin(failure)) = result {
            self.metrics.inc("omni_plugin_failures_total", &[("kind", failure.kind())]);
            tracing::error!("plugin call failed: {failure}");
        }
    }
}

/// The answer to a webhook whose events the bus could not take now (the plugin's own words
/// for it): 503 makes Meta redeliver.
fn bus_unavailable(why: &str) -> OutgoingResponse {
    OutgoingResponse {
        status: 503,
        headers: vec![("content-type".into(), "application/json".into())],
        body: serde_json::json!({ "error": format!("event bus unavailable: {why}") }).to_string().into_bytes(),
    }
}

/// Webhook bodies up to this size are tried inline first (see [`AppState::run_webhook`]).
const INLINE_BODY_BYTES: usize = 64 << 10;
/// Guest computation an inline attempt may use: a 64 KiB delivery needs about 2 ms.
pub const INLINE_CPU_BUDGET: Duration = Duration::from_millis(25);

/// The routes.
pub fn router(state: AppState) -> Router {
    let options = state.options.clone();
    let deadline = options.body_read_timeout;
    // The channel's webhooks live under its plugin's id: `/webhooks/whatsapp-cloud/{instance}`.
    let webhook_path = format!("/webhooks/{}/{{instance}}", state.host.info().id);
    let webhooks = Router::new()
        .route(&webhook_path, get(webhook::handle).post(webhook::handle))
        .layer(axum::extract::DefaultBodyLimit::max(options.webhook_body_limit))
        .layer(axum::middleware::from_fn_with_state(
            guards::BodyLimit { bytes: options.webhook_body_limit, deadline },
            guards::limit_body,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), webhook::count));
    let api =
        api::routes(&options).route_layer(axum::middleware::from_fn_with_state(state.clone(), guards::require_token));
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
    match state.host.sink_ready() {
        Ok(()) => axum::Json(serde_json::json!({ "ready": true })).into_response(),
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
    let refused = move || metrics.inc("omni_connections_refused_total", &[]);
    connections::serve(listener, router(state), connections, refused, shutdown).await
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
