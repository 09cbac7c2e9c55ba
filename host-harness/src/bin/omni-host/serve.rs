//! `omni-host serve`: the host for production.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use omni_host::capabilities::EventSink;
use omni_host::config::HostConfig;
use omni_host::runtime::RuntimeConfig;
use omni_host::server::metrics::{CountingSink, Metrics};
use omni_host::server::{self, AppState, ServerOptions};

use crate::args::ServeArgs;
use crate::setup::{Source, build_host, open_sink};

/// Serves until SIGINT or SIGTERM, then finishes the requests in flight within the grace.
pub fn run(tokio: tokio::runtime::Runtime, source: &Source, args: ServeArgs) -> anyhow::Result<std::process::ExitCode> {
    let ServeArgs {
        config,
        listen,
        events,
        max_concurrency,
        max_body,
        webhook_budget,
        max_connections,
        header_timeout,
        shutdown_grace,
    } = args;
    let settings = HostConfig::load(&config)?;
    let metrics = Metrics::new();
    let runtime_config = RuntimeConfig { pooling: Some(max_concurrency), ..RuntimeConfig::default() };
    let counted = |channel: &str| -> anyhow::Result<Arc<dyn EventSink>> {
        Ok(Arc::new(CountingSink::new(open_sink(&tokio, &events, channel)?, metrics.clone())))
    };
    let mut host = build_host(source, runtime_config, &settings, counted)?.with_max_webhook_body(max_body as u64);
    if let Some(media) = &settings.media {
        host = host.with_media_links(media.links().context("[media]")?);
    }
    let host = Arc::new(host);
    let api_token = settings.api.as_ref().map(|api| api.token.resolve()).transpose().context("[api] token")?;
    if api_token.is_none() {
        tracing::warn!("no [api] token configured: the send API is off");
    }
    let options = ServerOptions {
        webhook_body_limit: max_body,
        webhook_body_budget: webhook_budget,
        api_token,
        callers: settings.api.as_ref().map(Into::into).unwrap_or_default(),
        connections: server::ConnectionOptions {
            max_connections,
            header_read_timeout: Duration::from_secs(header_timeout),
            shutdown_grace: Duration::from_secs(shutdown_grace),
        },
        ..ServerOptions::default()
    }
    .with_concurrency(max_concurrency as usize);
    let listener = tokio
        .block_on(async { omni_host::server::connections::listen(listen) })
        .with_context(|| format!("listening on {listen}"))?;
    eprintln!("omni-host serving {} instance(s) on http://{}", host.instances().len(), listener.local_addr()?);
    let state = AppState::new(host, metrics, options);
    let reloading = tokio.spawn(server::reload::on_hangup(state.clone(), config.clone()));
    tokio.block_on(server::serve(listener, state, server::shutdown_signal()))?;
    reloading.abort();
    // Plugin calls still running past the grace are abandoned with the process.
    tokio.shutdown_timeout(Duration::from_secs(1));
    Ok(std::process::ExitCode::SUCCESS)
}
