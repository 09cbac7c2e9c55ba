//! The configured host: the plugin runtime, the operator's instances, an HTTP client and an
//! event sink, with the capabilities of each call worked out from the instance it concerns.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::bindings::media::MediaLocation;
use crate::bindings::plugin::PluginInfo;
use crate::bindings::types::{ChannelError, Instance};
use crate::bindings::webhook::{DeliveryLimits, IncomingRequest, OutgoingResponse, Route};
use crate::capabilities::egress::{EgressLimit, Grant};
use crate::capabilities::events::{Collector, PublishFuture};
use crate::capabilities::{Capabilities, EgressPolicy, EventSink, HttpClient, MediaLinks, OmniEvent};
use crate::config::{HostConfig, InstanceSettings};
pub use crate::instances::HostedInstance;
use crate::instances::InstanceTable;

mod admin;
mod exports;
mod sending;
mod status;
use crate::capabilities::HostState;
use crate::runtime::{CallClass, Exports, PluginError, PluginRuntime};
use wasmtime::Store;

/// Response bodies read for ordinary calls; media calls get [`MEDIA_RESPONSE_BYTES`].
const RESPONSE_BYTES: u64 = 4 << 20;
/// A 100 MB document plus headroom.
pub const MEDIA_RESPONSE_BYTES: u64 = 110 << 20;

/// Why the host could not run a call.
#[derive(Debug)]
pub enum HostError {
    /// No instance has this id.
    UnknownInstance(String),
    /// The plugin failed (trap, limit...).
    Plugin(PluginError),
    /// No capacity for the call within the time a caller may wait (`serve`'s queue timeout):
    /// the call was never made, so it is safe to retry.
    Busy(std::time::Duration),
    /// The operator disconnected the instance: it sends nothing until it is connected again.
    Paused(String),
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownInstance(id) => write!(f, "no instance `{id}` is configured"),
            Self::Plugin(e) => e.fmt(f),
            Self::Busy(waited) => write!(f, "the host is busy: no capacity for the call within {} s", waited.as_secs()),
            Self::Paused(id) => write!(f, "instance `{id}` is disconnected: connect it again to send"),
        }
    }
}

impl std::error::Error for HostError {}

impl From<PluginError> for HostError {
    fn from(e: PluginError) -> Self {
        Self::Plugin(e)
    }
}

/// A runnable host.
pub struct ChannelHost {
    runtime: Arc<PluginRuntime>,
    info: PluginInfo,
    instances: InstanceTable,
    http: Arc<dyn HttpClient>,
    sink: Arc<dyn EventSink>,
    media_links: Option<Arc<MediaLinks>>,
    /// Largest webhook body taken (the server refuses larger ones before reading them).
    max_webhook_body: u64,
}

/// The largest webhook body taken unless the operator says otherwise (the shared vocabulary's
/// default: Meta documents deliveries of up to 3 MB).
pub const DEFAULT_MAX_WEBHOOK_BODY: u64 = omni_channel_vocabulary::limits::MAX_BODY_BYTES;

/// Validates one instance's settings with the plugin and grants it egress.
pub(crate) fn prepare(runtime: &PluginRuntime, settings: &InstanceSettings) -> anyhow::Result<HostedInstance> {
    let id = &settings.id;
    let config = settings.plugin_config().with_context(|| format!("instance `{id}`"))?;
    prepare_json(runtime, id, &config.to_string(), EgressLimit::Operator(settings.egress.as_deref())).map_err(
        |refusal| match refusal {
            // Kept whole: a plugin that failed did not refuse the settings (callers tell them apart).
            Refusal::Plugin(failure) => anyhow::Error::new(failure),
            other => anyhow::anyhow!("{}", other.describe(id)),
        },
    )
}

/// Why the plugin refused an instance's settings.
#[derive(Debug)]
pub enum Refusal {
    /// The plugin named these problems.
    Problems(Vec<crate::bindings::types::ConfigProblem>),
    /// The host refuses them (an id, an egress list).
    Host(String),
    /// The plugin failed as a call while validating them (trap, budget): not a refusal of the
    /// settings themselves.
    Plugin(PluginError),
}

impl Refusal {
    /// One line naming every problem, for `instance`.
    pub fn describe(&self, instance: &str) -> String {
        match self {
            Self::Problems(problems) => {
                let list: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect();
                format!("instance `{instance}` is misconfigured: {}", list.join("; "))
            }
            Self::Host(why) => format!("instance `{instance}`: {why}"),
            Self::Plugin(failure) => format!("instance `{instance}`: the plugin failed validating it: {failure}"),
        }
    }
}

/// Validates an instance's settings (the plugin's JSON, taken as it is) with the plugin and
/// grants it egress within `limit`.
pub(crate) fn prepare_json(
    runtime: &PluginRuntime,
    id: &str,
    config: &str,
    limit: EgressLimit<'_>,
) -> Result<HostedInstance, Refusal> {
    if !omni_channel_vocabulary::is_instance_id(id) {
        return Err(Refusal::Host(crate::config::instance_id_problem(id)));
    }
    let validated = match runtime.validate_config(config) {
        Ok(Ok(validated)) => validated,
        Ok(Err(problems)) => return Err(Refusal::Problems(problems)),
        Err(failure) => return Err(Refusal::Plugin(failure)),
    };
    let egress = grant(id, &validated.egress, limit).map_err(Refusal::Host)?;
    let wit = Instance { id: id.to_owned(), config: validated.config };
    Ok(HostedInstance::new(wit, egress, validated.app_key, validated.routing_keys))
}

/// What an instance may reach (see [`Grant`]), with what the operator's list changed logged.
fn grant(id: &str, declared: &[String], limit: EgressLimit<'_>) -> Result<EgressPolicy, String> {
    let grant = Grant::within(declared, limit)?;
    for origin in &grant.withheld {
        tracing::info!(instance = id, origin = %origin, "declared egress not granted by the configuration");
    }
    for origin in &grant.undeclared {
        tracing::warn!(instance = id, origin = %origin, "egress listed but not declared by the plugin: not granted");
    }
    Ok(grant.policy)
}

impl ChannelHost {
    /// Validates every instance with the plugin and grants it egress. Refuses to start with an
    /// instance the plugin refuses (WhatsApp Cloud: a missing app secret above all).
    pub fn new(
        runtime: Arc<PluginRuntime>,
        config: &HostConfig,
        http: Arc<dyn HttpClient>,
        sink: Arc<dyn EventSink>,
    ) -> anyhow::Result<Self> {
        runtime.check_instantiation().context("instantiating the plugin")?;
        let info = runtime.info().context("asking the plugin for its info")?;
        let (instances, refusals): (Vec<_>, Vec<_>) =
            config.instances.iter().map(|settings| prepare(&runtime, settings)).partition(Result::is_ok);
        // Every refused instance at once, not one per run.
        if !refusals.is_empty() {
            let all: Vec<String> = refusals.into_iter().filter_map(Result::err).map(|e| format!("{e:#}")).collect();
            anyhow::bail!("{}", all.join("\n"));
        }
        let instances: Vec<HostedInstance> = instances.into_iter().filter_map(Result::ok).collect();
        crate::instances::check_unique_keys(&instances).map_err(|conflict| anyhow::anyhow!("{conflict}"))?;
        let instances = InstanceTable::new(instances);
        Ok(Self { runtime, info, instances, http, sink, media_links: None, max_webhook_body: DEFAULT_MAX_WEBHOOK_BODY })
    }

    /// The largest webhook body taken (default [`DEFAULT_MAX_WEBHOOK_BODY`]).
    pub fn with_max_webhook_body(mut self, bytes: u64) -> Self {
        self.max_webhook_body = bytes;
        self
    }

    /// What a delivery may be: its body, and each event (as the sink takes them).
    pub fn delivery_limits(&self) -> DeliveryLimits {
        DeliveryLimits { max_body_bytes: self.max_webhook_body, max_event_bytes: self.sink.max_event_bytes() as u64 }
    }

    /// Hands out links to received media (`serve` answers them), so events carry a
    /// `content.mediaUrl` omni can fetch.
    pub fn with_media_links(mut self, links: MediaLinks) -> Self {
        self.media_links = Some(Arc::new(links));
        self
    }

    /// The media links this host hands out, if any.
    pub fn media_links(&self) -> Option<&MediaLinks> {
        self.media_links.as_deref()
    }

    /// The plugin's identity.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// The runtime (for direct calls).
    pub fn runtime(&self) -> &PluginRuntime {
        &self.runtime
    }

    /// The instances as they are now (see [`ChannelHost::put_instance`] and
    /// [`ChannelHost::reload`] for changing them).
    pub fn instances(&self) -> Arc<Vec<Arc<HostedInstance>>> {
        self.instances.snapshot()
    }

    /// An instance by id, for the length of one call: a change to the table does not affect it.
    pub fn instance(&self, id: &str) -> Result<Arc<HostedInstance>, HostError> {
        self.instances.get(id).ok_or_else(|| HostError::UnknownInstance(id.to_owned()))
    }

    /// The receiver of a webhook whose URL names no instance: any instance, when every one is of
    /// one provider app (the plugin routes each change by its routing keys); `None` when that
    /// would be ambiguous, or there is none.
    pub fn sole_app_instance(&self) -> Option<String> {
        let instances = self.instances.load();
        let first = instances.first()?;
        instances.iter().all(|i| i.app_key == first.app_key).then(|| first.id().to_owned())
    }

    /// Runs a webhook request addressed to instance `id`. The other instances of the same
    /// provider app (same `app-key`) are passed as routes (ids and routing keys, no config, no
    /// secret), so that a notification about one of them reaches it.
    pub fn handle_webhook(&self, id: &str, request: &IncomingRequest) -> Result<OutgoingResponse, HostError> {
        let (receiver, routes, caps) = self.webhook_call(id)?;
        Ok(self.runtime.handle_webhook(caps, &receiver.wit, &routes, request, self.delivery_limits())?)
    }

    /// A first attempt at a webhook within `cpu_budget` of guest computation, its events kept
    /// rather than published: `Ok(Some((response, events)))` for the caller to publish (with
    /// [`ChannelHost::publish`]) before answering, or `Ok(None)` when the plugin needed more
    /// than the budget (nothing happened: run it again with [`ChannelHost::handle_webhook`]).
    pub fn try_handle_webhook_deferred(
        &self,
        id: &str,
        request: &IncomingRequest,
        cpu_budget: Duration,
    ) -> Result<Option<(OutgoingResponse, Vec<OmniEvent>)>, HostError> {
        let (receiver, routes, mut caps) = self.webhook_call(id)?;
        let collector = Arc::new(Collector::for_sink(self.sink.as_ref()));
        caps.events = Some(collector.clone());
        let limits = self.delivery_limits();
        match self.runtime.handle_webhook_within(caps, &receiver.wit, &routes, request, limits, cpu_budget) {
            Ok(response) => Ok(Some((response, collector.take()))),
            Err(PluginError::CpuBudget) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Publishes events collected by [`ChannelHost::try_handle_webhook_deferred`], without
    /// holding a thread while the bus acknowledges them.
    pub fn publish(&self, events: Vec<OmniEvent>) -> PublishFuture<'_> {
        self.sink.publish_async(events, std::time::Instant::now() + self.runtime.wall_limit())
    }

    /// What a webhook call for instance `id` gets: the receiver, the routes to the other
    /// instances of its provider app, and its capabilities.
    fn webhook_call(&self, id: &str) -> Result<(Arc<HostedInstance>, Vec<Route>, Capabilities), HostError> {
        let instances = self.instances.load();
        let receiver =
            instances.iter().find(|i| i.id() == id).cloned().ok_or_else(|| HostError::UnknownInstance(id.into()))?;
        let routes: Vec<Route> = instances
            .iter()
            .filter(|i| i.id() != id && i.app_key == receiver.app_key)
            .map(|i| Route { instance_id: i.id().to_owned(), routing_keys: i.routing_keys.clone() })
            .collect();
        let mut allowed: Vec<String> = routes.iter().map(|r| r.instance_id.clone()).collect();
        allowed.push(receiver.id().to_owned());
        let caps = Capabilities {
            // Handling a webhook needs no network.
            http: None,
            egress: EgressPolicy::deny_all(),
            max_response_bytes: 0,
            events: Some(self.sink.clone()),
            instances: allowed,
            channel_type: self.info.id.clone(),
            media_links: self.media_links.clone(),
        };
        Ok((receiver, routes, caps))
    }

    /// A collector for the events of calls whose caller publishes them afterwards, within the
    /// sink's limits.
    pub fn collector(&self) -> Arc<Collector> {
        Arc::new(Collector::for_sink(self.sink.as_ref()))
    }

    /// Whether the event sink can take events now (see [`EventSink::ready`]).
    pub fn sink_ready(&self) -> Result<(), String> {
        self.sink.ready()
    }

    /// Whether publishing can wait on something outside the process (a network bus, the
    /// reader of a pipe): such calls must not run on the threads that serve connections.
    pub fn sink_may_block(&self) -> bool {
        self.sink.may_block()
    }

    /// Starts fetching a located file for instance `id`, within its egress like the plugin's
    /// own requests: returns once the provider answered, the body still to read (see
    /// [`crate::media_fetch`]). Blocks: call it off the async threads.
    pub fn open_media(
        &self,
        id: &str,
        location: &MediaLocation,
    ) -> Result<Result<crate::capabilities::http_client::OpenResponse, ChannelError>, HostError> {
        let instance = self.instance(id)?;
        let request = &location.request;
        let opened = instance.egress.check(&request.url).and_then(|()| self.http.open(request, MEDIA_RESPONSE_BYTES));
        Ok(opened.map_err(|e| crate::media_fetch::check::transport_error(e)))
    }

    /// Downloads a received file whole, verified against the provider's size and SHA-256 (for
    /// tools and tests; servers stream it with [`crate::media_fetch`]). Blocks.
    pub fn download_media(
        &self,
        id: &str,
        media_id: &str,
    ) -> Result<Result<crate::media_fetch::check::DownloadedFile, ChannelError>, HostError> {
        let location = match self.locate_media(id, media_id)? {
            Ok(location) => location,
            Err(e) => return Ok(Err(e)),
        };
        let opened = match self.open_media(id, &location)? {
            Ok(opened) => opened,
            Err(e) => return Ok(Err(e)),
        };
        Ok(crate::media_fetch::check::read_whole(opened, &location))
    }

    /// Runs one export for instance `id` under `class`: the one path from this host to the
    /// plugin for an instance. The instance is found, its capabilities worked out from it (its
    /// egress, its events going to `sink`), and `f` calls the export with the instance's WIT
    /// record; a missing optional interface is [`PluginError::Unsupported`].
    pub fn call<R>(
        &self,
        id: &str,
        class: CallClass,
        sink: Option<&Arc<dyn EventSink>>,
        f: impl FnOnce(&Exports<'_>, &mut Store<HostState>, &Instance) -> wasmtime::Result<R>,
    ) -> Result<R, HostError> {
        let instance = self.instance(id)?;
        self.call_on(&instance, class, sink, f)
    }

    /// [`ChannelHost::call`] for an instance the caller already holds (it looked at its status
    /// first): the table is not searched twice.
    fn call_on<R>(
        &self,
        instance: &HostedInstance,
        class: CallClass,
        sink: Option<&Arc<dyn EventSink>>,
        f: impl FnOnce(&Exports<'_>, &mut Store<HostState>, &Instance) -> wasmtime::Result<R>,
    ) -> Result<R, HostError> {
        let caps = match class {
            CallClass::Local => Capabilities::none(),
            CallClass::Provider | CallClass::Media => {
                self.capabilities_via(instance, RESPONSE_BYTES, sink.unwrap_or(&self.sink))
            }
        };
        Ok(self.runtime.call(caps, class, |exports, store| f(exports, store, &instance.wit))?)
    }

    /// The capabilities of a call that talks to the Graph API for `instance`.
    pub fn capabilities(&self, instance: &HostedInstance, max_response_bytes: u64) -> Capabilities {
        self.capabilities_via(instance, max_response_bytes, &self.sink)
    }

    fn capabilities_via(
        &self,
        instance: &HostedInstance,
        max_response_bytes: u64,
        sink: &Arc<dyn EventSink>,
    ) -> Capabilities {
        Capabilities {
            http: Some(self.http.clone()),
            egress: instance.egress.clone(),
            max_response_bytes,
            events: Some(sink.clone()),
            instances: vec![instance.id().to_owned()],
            channel_type: self.info.id.clone(),
            media_links: self.media_links.clone(),
        }
    }
}
