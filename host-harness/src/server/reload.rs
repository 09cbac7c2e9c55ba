//! SIGHUP: the instances are reloaded from the configuration file while `serve` goes on. A file
//! that does not parse, or an instance the plugin refuses, leaves the running instances as they
//! were, and the log says why. Only `[[instances]]` are reloaded: `[api]` and `[media]` take
//! effect at the next start.

use std::path::PathBuf;

use super::metrics::Metrics;
use super::{AppState, Lane};
use crate::channel_host::ChannelHost;
use crate::config::HostConfig;

/// Reloads `path` into the server's host on every SIGHUP, until the task is dropped.
#[cfg(unix)]
pub async fn on_hangup(state: AppState, path: PathBuf) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = match signal(SignalKind::hangup()) {
        Ok(hangups) => hangups,
        Err(e) => {
            tracing::warn!("cannot listen for SIGHUP, reloading is off: {e}");
            return;
        }
    };
    while hangups.recv().await.is_some() {
        let (path, metrics) = (path.clone(), state.metrics.clone());
        // Validating instances calls the plugin: in a lane like every call, so a reload waits
        // for an instance slot instead of taking one a webhook was promised.
        let outcome = state
            .run_plugin(Lane::Egress, move |host| {
                reload(host, &path, &metrics);
                Ok(())
            })
            .await;
        if let Err(e) = outcome {
            state.metrics.inc("omni_config_reloads_total", &[("outcome", "refused")]);
            tracing::error!("configuration reload not run, keeping the running instances: {e}");
        }
    }
}

/// Without SIGHUP there is nothing to wait for.
#[cfg(not(unix))]
pub async fn on_hangup(_state: AppState, _path: PathBuf) {}

/// One reload; the outcome is logged and counted (`omni_config_reloads_total{outcome}`).
pub fn reload(host: &ChannelHost, path: &std::path::Path, metrics: &Metrics) {
    let result = HostConfig::load(path).and_then(|config| host.reload(&config));
    metrics.inc("omni_config_reloads_total", &[("outcome", if result.is_ok() { "ok" } else { "refused" })]);
    match result {
        Ok(reload) => tracing::info!(
            file = %path.display(),
            added = ?reload.added, updated = ?reload.updated, removed = ?reload.removed,
            "configuration reloaded"
        ),
        Err(e) => tracing::error!(
            file = %path.display(),
            "configuration reload refused, keeping the running instances: {e:#}"
        ),
    }
}
