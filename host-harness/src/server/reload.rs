//! SIGHUP: the instances are reloaded from the configuration file while `serve` goes on. A file
//! that does not parse, one that names no instances at all (empty, or cut short while an editor
//! writes it), or an instance the plugin refuses, leaves the running instances as they were; the
//! refusal is logged at WARN, counted and shown by `/readyz`. Removing every instance takes an
//! explicit `instances = []`. Only `[[instances]]` are reloaded: `[api]` and `[media]` take
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
        let outcome = state.run_plugin(Lane::Egress, move |host| Ok(reload(host, &path, &metrics))).await;
        let refusal = match outcome {
            Ok(result) => result.err(),
            Err(e) => {
                state.metrics.inc("omni_config_reloads_total", &[("outcome", "refused")]);
                tracing::warn!("configuration reload not run, keeping the running instances: {e}");
                Some(e.to_string())
            }
        };
        *state.last_reload_refusal.lock().unwrap_or_else(|e| e.into_inner()) = refusal;
    }
}

/// Without SIGHUP there is nothing to wait for.
#[cfg(not(unix))]
pub async fn on_hangup(_state: AppState, _path: PathBuf) {}

/// One reload; the outcome is logged, counted (`omni_config_reloads_total{outcome}`) and
/// returned: `Err(why)` when the running instances were kept.
pub fn reload(host: &ChannelHost, path: &std::path::Path, metrics: &Metrics) -> Result<(), String> {
    let result = HostConfig::load_for_reload(path).and_then(|config| host.reload(&config));
    metrics.inc("omni_config_reloads_total", &[("outcome", if result.is_ok() { "ok" } else { "refused" })]);
    match result {
        Ok(reload) => {
            tracing::info!(
                file = %path.display(),
                added = ?reload.added, updated = ?reload.updated, removed = ?reload.removed,
                "configuration reloaded"
            );
            Ok(())
        }
        Err(e) => {
            tracing::warn!(file = %path.display(), "configuration reload refused, keeping the running instances: {e:#}");
            Err(format!("{e:#}"))
        }
    }
}
