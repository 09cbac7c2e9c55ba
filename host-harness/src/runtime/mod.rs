//! Running the plugin: one `Engine` and one pre-instantiated component per process, a fresh
//! `Store` for every call.
//!
//! Every store gets a memory limit, a CPU budget enforced with epoch interruption, a wall-clock
//! bound and the capabilities of that call. When the guest traps — a panic, a runaway loop, a
//! memory bomb — the store is dropped and the call fails with a [`PluginError`]; the runtime
//! itself is untouched and the next call gets a clean instance.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::error::Context as _;
use wasmtime::{Engine, Store, UpdateDeadline};

use crate::bindings::events::PublishError;
use crate::bindings::media::{MediaLocation, MediaUpload};
use crate::bindings::messaging::{
    Attachment, Content, DecodedMessage, InteractiveAction, InteractiveHeader, MediaSource, OutgoingMessage,
    ParameterValue, SendOptions, SendReceipt, TemplateComponent, TemplateParameter,
};
use crate::bindings::plugin::{ConnectOptions, ConnectionInfo, PluginInfo, ValidatedConfig};
use crate::bindings::types::{ChannelError, ConfigProblem, Instance, InvalidField};
use crate::bindings::webhook::{DeliveryLimits, IncomingRequest, OutgoingResponse, Route};
use crate::bindings::{ChannelPlugin, ChannelPluginIndices, ChannelPluginPre};
use crate::capabilities::{Capabilities, HostState};

mod account;
mod actions;
mod engine;
mod errors;

use engine::{EpochTicker, engine_config};
pub use engine::{RuntimeConfig, engine};
pub use errors::PluginError;
use errors::classify;

/// A loaded plugin, ready to serve calls from many threads.
pub struct PluginRuntime {
    engine: Engine,
    component: Component,
    pre: ChannelPluginPre<HostState>,
    /// The exports of the whole world, found once: loaded (and type-checked) per call.
    world: ChannelPluginIndices,
    /// The webhook interface alone: a webhook call type-checks its one function rather than
    /// every export of the world (a tenth of a fresh call's cost, measured with perf).
    webhook: crate::bindings::webhook::GuestIndices,
    config: RuntimeConfig,
    _ticker: Arc<EpochTicker>,
}

impl PluginRuntime {
    /// Compiles a component (a `.wasm` file's bytes) and links it against the host.
    pub fn new(component: &[u8], config: RuntimeConfig) -> anyhow::Result<Self> {
        let engine = Engine::new(&engine_config(&config)?)?;
        let component = Component::new(&engine, component).context("compiling the component")?;
        Self::with_component(engine, component, config)
    }

    /// Like [`PluginRuntime::new`], the compiled code coming from `cache` when it holds an
    /// entry for this component and these engine settings (and stored there otherwise).
    pub fn cached(
        component: &[u8],
        config: RuntimeConfig,
        cache: &crate::component_cache::ComponentCache,
    ) -> anyhow::Result<(Self, crate::component_cache::CacheOutcome)> {
        let engine = Engine::new(&engine_config(&config)?)?;
        let (component, outcome) = cache.load(&engine, component)?;
        Ok((Self::with_component(engine, component, config)?, outcome))
    }

    /// Loads a component precompiled by [`PluginRuntime::precompile`] with the same settings.
    ///
    /// # Safety
    /// The bytes must come from `precompile` (wasmtime runs them as native code).
    pub unsafe fn from_precompiled(bytes: &[u8], config: RuntimeConfig) -> anyhow::Result<Self> {
        let engine = engine(&config)?;
        // SAFETY: the caller guarantees the bytes come from `precompile`.
        let component =
            unsafe { Component::deserialize(&engine, bytes) }.context("loading the precompiled component")?;
        Self::with_component(engine, component, config)
    }

    /// Compiles a component to native code for [`PluginRuntime::from_precompiled`].
    pub fn precompile(component: &[u8], config: &RuntimeConfig) -> anyhow::Result<Vec<u8>> {
        let engine = Engine::new(&engine_config(config)?)?;
        Ok(engine.precompile_component(component)?)
    }

    fn with_component(engine: Engine, component: Component, config: RuntimeConfig) -> anyhow::Result<Self> {
        let mut linker = Linker::<HostState>::new(&engine);
        ChannelPlugin::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)?;
        let pre = ChannelPluginPre::new(linker.instantiate_pre(&component).context("linking the component")?)?;
        let world = ChannelPluginIndices::new(pre.instance_pre())?;
        let webhook = crate::bindings::webhook::GuestIndices::new(pre.instance_pre())?;
        let ticker = Arc::new(EpochTicker::start(&engine));
        Ok(Self { engine, component, pre, world, webhook, config, _ticker: ticker })
    }

    /// The same compiled component under other per-call bounds (CPU budgets, wall-clock bound):
    /// compiling costs far more than a call, so hosts and tests that need two sets of bounds
    /// compile once. Memory limits and pooling belong to the engine and stay as they are.
    pub fn with_call_bounds(&self, cpu_budget: Duration, media_cpu_budget: Duration, wall_limit: Duration) -> Self {
        let config = RuntimeConfig { cpu_budget, media_cpu_budget, wall_limit, ..self.config.clone() };
        Self {
            engine: self.engine.clone(),
            component: self.component.clone(),
            pre: self.pre.clone(),
            world: self.world.clone(),
            webhook: self.webhook.clone(),
            config,
            _ticker: self._ticker.clone(),
        }
    }

    /// The engine (for inspecting the component's type).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The wall-clock bound of a call.
    pub fn wall_limit(&self) -> Duration {
        self.config.wall_limit
    }

    /// How many instances can live at once (`None`: no fixed bound). Callers running plugin
    /// calls concurrently keep within it, or the extra calls fail to instantiate.
    pub fn max_concurrent_instances(&self) -> Option<u32> {
        self.config.pooling
    }

    /// The compiled component.
    pub fn component(&self) -> &Component {
        &self.component
    }

    /// The component's imports and exports, by name.
    pub fn interfaces(&self) -> (Vec<String>, Vec<String>) {
        let ty = self.component.component_type();
        let imports = ty.imports(&self.engine).map(|(name, _)| name.to_owned()).collect();
        let exports = ty.exports(&self.engine).map(|(name, _)| name.to_owned()).collect();
        (imports, exports)
    }

    /// Instantiates the component in a fresh store and drops it: proves at start-up that it
    /// links and fits the limits, and measures what every call pays.
    pub fn check_instantiation(&self) -> Result<(), PluginError> {
        self.call(Capabilities::none(), false, |_, _| Ok(()))
    }

    /// An instance kept across calls. Production never does this (a fresh store per call is the
    /// isolation the host promises); it exists to measure what that isolation costs.
    pub fn reusable_instance(&self, caps: Capabilities) -> Result<ReusableInstance, PluginError> {
        let mut store = Store::new(&self.engine, HostState::new(caps, self.config.memory_limit, Duration::MAX / 4));
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(u64::MAX / 2);
        let plugin = self.pre.instantiate(&mut store).map_err(|e| classify(e, &store, true))?;
        Ok(ReusableInstance { store, plugin })
    }

    /// `plugin.info`.
    pub fn info(&self) -> Result<PluginInfo, PluginError> {
        self.call(Capabilities::none(), false, |plugin, store| plugin.omni_channel_plugin().call_info(store))
    }

    /// `plugin.config-schema`.
    pub fn config_schema(&self) -> Result<String, PluginError> {
        self.call(Capabilities::none(), false, |plugin, store| plugin.omni_channel_plugin().call_config_schema(store))
    }

    /// `plugin.validate-config`.
    pub fn validate_config(&self, config: &str) -> Result<Result<ValidatedConfig, Vec<ConfigProblem>>, PluginError> {
        self.call(Capabilities::none(), false, |plugin, store| {
            plugin.omni_channel_plugin().call_validate_config(store, config)
        })
    }

    /// `plugin.connect`.
    pub fn connect(
        &self,
        caps: Capabilities,
        instance: &Instance,
        options: ConnectOptions,
    ) -> Result<Result<ConnectionInfo, ChannelError>, PluginError> {
        self.call(caps, false, |plugin, store| plugin.omni_channel_plugin().call_connect(store, instance, options))
    }

    /// `webhook.handle-webhook`.
    pub fn handle_webhook(
        &self,
        caps: Capabilities,
        receiver: &Instance,
        routes: &[Route],
        request: &IncomingRequest,
        limits: DeliveryLimits,
    ) -> Result<OutgoingResponse, PluginError> {
        self.handle_webhook_within(caps, receiver, routes, request, limits, self.config.cpu_budget)
    }

    /// `webhook.handle-webhook` under another CPU budget (a first attempt that must not hold a
    /// thread for long; see `server::run_webhook`). The budget only bounds the guest until
    /// it publishes.
    pub fn handle_webhook_within(
        &self,
        caps: Capabilities,
        receiver: &Instance,
        routes: &[Route],
        request: &IncomingRequest,
        limits: DeliveryLimits,
        cpu_budget: Duration,
    ) -> Result<OutgoingResponse, PluginError> {
        let bounds = CallBounds { memory_limit: self.config.memory_limit, cpu_budget };
        let response = self.call_within(caps, bounds, |instance, store| {
            let guest = self.webhook.load(&mut *store, instance)?;
            guest.call_handle_webhook(store, receiver, routes, request, limits)
        })?;
        let size = response.body.len() + response.headers.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>();
        if size > self.config.max_response_bytes {
            return Err(PluginError::OutputTooLarge(size));
        }
        Ok(response)
    }

    /// `messaging.decode-outgoing`. Messages carrying files get the limits of media calls.
    pub fn decode_outgoing(
        &self,
        message: &str,
        attachments: &[Attachment],
    ) -> Result<Result<DecodedMessage, InvalidField>, PluginError> {
        let media = message.len() + attachments.iter().map(|a| a.bytes.len()).sum::<usize>() > LARGE_MESSAGE_BYTES;
        self.call(Capabilities::none(), media, |plugin, store| {
            plugin.omni_channel_messaging().call_decode_outgoing(store, message, attachments)
        })
    }

    /// `messaging.send-message`. A message carrying a file gets the limits of media calls.
    pub fn send_message(
        &self,
        caps: Capabilities,
        instance: &Instance,
        message: &OutgoingMessage,
        options: &SendOptions,
    ) -> Result<Result<SendReceipt, ChannelError>, PluginError> {
        self.call(caps, carries_file(message), |plugin, store| {
            plugin.omni_channel_messaging().call_send_message(store, instance, message, options)
        })
    }

    /// `messaging.report-send-failure`.
    pub fn report_send_failure(
        &self,
        caps: Capabilities,
        instance: &Instance,
        message: &OutgoingMessage,
        options: &SendOptions,
        error: &ChannelError,
    ) -> Result<Result<(), PublishError>, PluginError> {
        self.call(caps, false, |plugin, store| {
            plugin.omni_channel_messaging().call_report_send_failure(store, instance, message, options, error)
        })
    }

    /// `messaging.mark-read`.
    pub fn mark_read(
        &self,
        caps: Capabilities,
        instance: &Instance,
        message_id: &str,
        show_typing: bool,
    ) -> Result<Result<(), ChannelError>, PluginError> {
        self.call(caps, false, |plugin, store| {
            plugin.omni_channel_messaging().call_mark_read(store, instance, message_id, show_typing)
        })
    }

    /// `media.upload-media`.
    pub fn upload_media(
        &self,
        caps: Capabilities,
        instance: &Instance,
        upload: &MediaUpload,
    ) -> Result<Result<String, ChannelError>, PluginError> {
        self.call(caps, true, |plugin, store| plugin.omni_channel_media().call_upload_media(store, instance, upload))
    }

    /// `media.locate-media` (an ordinary call: the file never passes through the plugin).
    pub fn locate_media(
        &self,
        caps: Capabilities,
        instance: &Instance,
        media_id: &str,
    ) -> Result<Result<MediaLocation, ChannelError>, PluginError> {
        self.call(caps, false, |plugin, store| plugin.omni_channel_media().call_locate_media(store, instance, media_id))
    }

    /// Runs one export in a fresh store, under the limits of an ordinary or a media call.
    fn call<R>(
        &self,
        caps: Capabilities,
        media: bool,
        f: impl FnOnce(&ChannelPlugin, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginError> {
        let bounds = if media {
            CallBounds { memory_limit: self.config.media_memory_limit, cpu_budget: self.config.media_cpu_budget }
        } else {
            CallBounds { memory_limit: self.config.memory_limit, cpu_budget: self.config.cpu_budget }
        };
        self.call_within(caps, bounds, |instance, store| {
            let plugin = self.world.load(&mut *store, instance)?;
            f(&plugin, store)
        })
    }

    /// Runs one export in a fresh store and classifies any failure.
    fn call_within<R>(
        &self,
        caps: Capabilities,
        bounds: CallBounds,
        f: impl FnOnce(&wasmtime::component::Instance, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginError> {
        let CallBounds { memory_limit, cpu_budget } = bounds;
        let mut store = Store::new(&self.engine, HostState::new(caps, memory_limit, self.config.wall_limit));
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |mut ctx| {
            let state = ctx.data_mut();
            // The CPU budget counts the guest's own computation (thread CPU time); once its
            // events are published, only the wall bound stops it, so a call never fails after
            // having published.
            let over_budget = !state.published() && state.guest_cpu() > cpu_budget;
            if over_budget || state.past_deadline() {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Continue(1))
            }
        });
        let instance = self.pre.instance_pre().instantiate(&mut store).map_err(|e| classify(e, &store, true))?;
        let result = f(&instance, &mut store).map_err(|e| classify(e, &store, false));
        // The store, and with it the instance, is dropped here whatever happened.
        result
    }
}

/// What one call may use.
#[derive(Clone, Copy)]
struct CallBounds {
    memory_limit: usize,
    cpu_budget: Duration,
}

/// Messages (as JSON plus attachments) larger than this are decoded under media limits.
const LARGE_MESSAGE_BYTES: usize = 1 << 20;

/// Whether a message holds a file the plugin uploads (the call then moves the whole file).
fn carries_file(message: &OutgoingMessage) -> bool {
    let bytes = |source: &MediaSource| matches!(source, MediaSource::Bytes(_));
    match &message.content {
        Content::Media(media) => bytes(&media.source),
        Content::Interactive(i) => {
            let cards = match &i.action {
                InteractiveAction::Carousel(cards) => cards.as_slice(),
                _ => &[],
            };
            matches!(&i.header, Some(InteractiveHeader::Media(m)) if bytes(&m.source))
                || cards.iter().any(|card| bytes(&card.header.source))
        }
        Content::Template(t) => {
            let inline = |parameters: &[TemplateParameter]| {
                parameters.iter().any(|p| matches!(&p.value, ParameterValue::Media(m) if bytes(&m.source)))
            };
            t.components.iter().any(|c| match c {
                TemplateComponent::Header(p) | TemplateComponent::Body(p) => inline(p),
                TemplateComponent::Button(b) => inline(&b.parameters),
                TemplateComponent::Carousel(cards) => cards.iter().any(|card| {
                    inline(&card.header) || inline(&card.body) || card.buttons.iter().any(|b| inline(&b.parameters))
                }),
                TemplateComponent::LimitedTimeOffer(_) => false,
            })
        }
        _ => false,
    }
}

/// One instance and its store, reused across calls (see [`PluginRuntime::reusable_instance`]).
pub struct ReusableInstance {
    store: Store<HostState>,
    plugin: ChannelPlugin,
}

impl ReusableInstance {
    /// `webhook.handle-webhook` on this instance.
    pub fn handle_webhook(
        &mut self,
        receiver: &Instance,
        routes: &[Route],
        request: &IncomingRequest,
        limits: DeliveryLimits,
    ) -> Result<OutgoingResponse, PluginError> {
        self.plugin
            .omni_channel_webhook()
            .call_handle_webhook(&mut self.store, receiver, routes, request, limits)
            .map_err(|e| classify(e, &self.store, false))
    }
}
