//! What every command needs: the component (built in or `--component`), its compiled code from
//! the cache, a host over a configuration, an event sink.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use omni_host::capabilities::EventSink;
use omni_host::capabilities::events::SinkSpec;
use omni_host::capabilities::http_client::{ClientConfig, UreqClient};
use omni_host::capabilities::nats::{NatsOptions, NatsSink};
use omni_host::channel_host::ChannelHost;
use omni_host::component_cache::{CacheOutcome, ComponentCache};
use omni_host::config::HostConfig;
use omni_host::runtime::{PluginRuntime, RuntimeConfig};

use crate::args::{Cli, EventArgs};

/// One call at a time: no need for a pool of instance slots.
pub fn one_call_at_a_time() -> RuntimeConfig {
    RuntimeConfig { pooling: None, ..RuntimeConfig::default() }
}

pub fn component_bytes(component: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    match component {
        Some(path) => std::fs::read(path).with_context(|| format!("reading {}", path.display())),
        #[cfg(feature = "whatsapp")]
        None => Ok(omni_host::WHATSAPP_CLOUD_COMPONENT.to_vec()),
        #[cfg(not(feature = "whatsapp"))]
        None => bail!("no component is built in: name one with --component"),
    }
}

/// The instance `id` names, or the configuration's first.
pub fn instance_or_first(config: &HostConfig, id: Option<String>) -> anyhow::Result<String> {
    match id {
        Some(id) => Ok(id),
        None => Ok(config.instances.first().context("the configuration has no instances")?.id.clone()),
    }
}

/// Where the component comes from, and where its compiled code is kept.
pub struct Source {
    pub component: Option<PathBuf>,
    cache: Option<ComponentCache>,
}

impl Source {
    pub fn of(cli: &Cli) -> Self {
        let cache = if cli.no_cache { None } else { cli.cache_dir.clone().or_else(ComponentCache::default_dir) };
        Self { component: cli.component.clone(), cache: cache.map(ComponentCache::new) }
    }

    /// The component loaded: compiled once per build of it and of the host, then from the cache.
    pub fn runtime(&self, bytes: &[u8], config: RuntimeConfig) -> anyhow::Result<PluginRuntime> {
        let Some(cache) = &self.cache else { return PluginRuntime::new(bytes, config) };
        let started = std::time::Instant::now();
        let (runtime, outcome) = PluginRuntime::cached(bytes, config, cache)?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            CacheOutcome::Hit => tracing::info!(dir = %cache.dir().display(), ms, "component loaded from the cache"),
            CacheOutcome::Stored => tracing::info!(dir = %cache.dir().display(), ms, "component compiled and cached"),
            CacheOutcome::Bypassed(why) => tracing::warn!(ms, "component compiled; not cached: {why}"),
        }
        Ok(runtime)
    }
}

/// The host for `config`, its events going to the sink `open` makes for the plugin's channel.
pub fn build_host(
    source: &Source,
    runtime: RuntimeConfig,
    config: &HostConfig,
    open: impl FnOnce(&str) -> anyhow::Result<Arc<dyn EventSink>>,
) -> anyhow::Result<ChannelHost> {
    let runtime = Arc::new(source.runtime(&component_bytes(source.component.as_deref())?, runtime)?);
    let channel = runtime.info().context("asking the plugin for its info")?.id;
    let sink = open(&channel)?;
    let http = Arc::new(UreqClient::new(ClientConfig::default()));
    ChannelHost::new(runtime, config, http, sink)
}

pub fn open_sink(
    tokio: &tokio::runtime::Runtime,
    args: &EventArgs,
    channel: &str,
) -> anyhow::Result<Arc<dyn EventSink>> {
    match &args.events {
        SinkSpec::Nats(url) => {
            let mut options = NatsOptions::for_channel(channel);
            if let Some(stream) = &args.nats_stream {
                options.stream = stream.clone();
            }
            options.duplicate_window = Duration::from_secs(args.nats_dedup_window);
            Ok(Arc::new(tokio.block_on(NatsSink::connect(url, &options))?))
        }
        other => other.open(),
    }
}

pub fn parse_header(header: &str) -> anyhow::Result<(String, String)> {
    match header.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_owned(), value.trim().to_owned())),
        _ => bail!("`{header}` is not a header; expected 'Name: value'"),
    }
}

/// A correlation id unique enough for one host: time and process id.
pub fn fresh_correlation_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("omni-host-{}-{nanos:x}", std::process::id())
}
