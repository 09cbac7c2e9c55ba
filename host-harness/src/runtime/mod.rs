//! Running the plugin: one `Engine` and one pre-instantiated component per process, a fresh
//! `Store` for every call.
//!
//! Every store gets a memory limit, a CPU budget enforced with epoch interruption, a wall-clock
//! bound and the capabilities of that call. When the guest traps — a panic, a runaway loop, a
//! memory bomb — the store is dropped and the call fails with a [`PluginError`]; the runtime
//! itself is untouched and the next call gets a clean instance.

use std::sync::Arc;
use std::time::Duration;

use omni_channel_vocabulary::OptionalInterface;
use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::error::Context as _;
use wasmtime::{Engine, Store, UpdateDeadline};

use crate::bindings::ChannelPlugin;
use crate::bindings::messaging::{Attachment, DecodedMessage};
use crate::bindings::plugin::{PluginInfo, ValidatedConfig};
use crate::bindings::types::{ConfigProblem, Instance, InvalidField};
use crate::bindings::webhook::{DeliveryLimits, IncomingRequest, OutgoingResponse, Route};
use crate::capabilities::{Capabilities, HostState};

mod engine;
mod errors;
mod exports;

use engine::{EpochTicker, engine_config};
pub use engine::{RuntimeConfig, engine};
pub use errors::PluginError;
use errors::classify;
pub use exports::{ExportIndices, Exports, Unsupported};

/// What a call may use, by what it does. Every export is called through
/// [`PluginRuntime::call`] under one of these; nothing else picks limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallClass {
    /// Runs in the sandbox alone (identity, configuration, decoding): no capabilities, the
    /// ordinary memory and CPU budget.
    Local,
    /// Reaches the provider for one instance: its capabilities, the ordinary budget.
    Provider,
    /// Moves a whole file through the plugin (an upload, a message carrying a file, a very
    /// large message to decode): the media memory and CPU budget.
    Media,
}

/// A loaded plugin, ready to serve calls from many threads.
pub struct PluginRuntime {
    engine: Engine,
    component: Component,
    pre: InstancePre<HostState>,
    /// The component's exports, found once; a call loads (type-checks) only the interface it
    /// uses (loading every export of the world was a tenth of a fresh webhook's cost, measured
    /// with perf).
    exports: ExportIndices,
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
        let pre = linker.instantiate_pre(&component).context("linking the component")?;
        let exports = ExportIndices::probe(&pre)?;
        let ticker = Arc::new(EpochTicker::start(&engine));
        Ok(Self { engine, component, pre, exports, config, _ticker: ticker })
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
            exports: self.exports.clone(),
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

    /// Whether the channel implements the optional interface (probed once, at load).
    pub fn supports(&self, interface: OptionalInterface) -> bool {
        self.exports.supports(interface)
    }

    /// The optional interfaces the channel implements, by name.
    pub fn optional_interfaces(&self) -> Vec<&'static str> {
        OptionalInterface::ALL.into_iter().filter(|i| self.supports(*i)).map(OptionalInterface::name).collect()
    }

    /// Instantiates the component in a fresh store and drops it: proves at start-up that it
    /// links and fits the limits, and measures what every call pays.
    pub fn check_instantiation(&self) -> Result<(), PluginError> {
        self.call(Capabilities::none(), CallClass::Local, |_, _| Ok(()))
    }

    /// An instance kept across calls. Production never does this (a fresh store per call is the
    /// isolation the host promises); it exists to measure what that isolation costs.
    pub fn reusable_instance(&self, caps: Capabilities) -> Result<ReusableInstance, PluginError> {
        let mut store = Store::new(&self.engine, HostState::new(caps, self.config.memory_limit, Duration::MAX / 4));
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(u64::MAX / 2);
        let instance = self.pre.instantiate(&mut store).map_err(|e| classify(e, &store, true))?;
        let webhook = Exports { instance: &instance, indices: &self.exports }
            .webhook(&mut store)
            .map_err(|e| classify(e, &store, false))?;
        Ok(ReusableInstance { store, webhook })
    }

    /// `plugin.info`.
    pub fn info(&self) -> Result<PluginInfo, PluginError> {
        self.call(Capabilities::none(), CallClass::Local, |exports, store| exports.plugin(store)?.call_info(store))
    }

    /// `plugin.config-schema`.
    pub fn config_schema(&self) -> Result<String, PluginError> {
        self.call(Capabilities::none(), CallClass::Local, |exports, store| {
            exports.plugin(store)?.call_config_schema(store)
        })
    }

    /// `plugin.validate-config`.
    pub fn validate_config(&self, config: &str) -> Result<Result<ValidatedConfig, Vec<ConfigProblem>>, PluginError> {
        self.call(Capabilities::none(), CallClass::Local, |exports, store| {
            exports.plugin(store)?.call_validate_config(store, config)
        })
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
        let response = self.call_within(caps, bounds, |exports, store| {
            exports.webhook(store)?.call_handle_webhook(store, receiver, routes, request, limits)
        })?;
        let size = response.body.len() + response.headers.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>();
        if size > self.config.max_response_bytes {
            return Err(PluginError::OutputTooLarge(size));
        }
        Ok(response)
    }

    /// `messaging.decode-outgoing`. Very large messages (a file carried inline) get the
    /// limits of media calls.
    pub fn decode_outgoing(
        &self,
        message: &str,
        attachments: &[Attachment],
    ) -> Result<Result<DecodedMessage, InvalidField>, PluginError> {
        let size = message.len() + attachments.iter().map(|a| a.bytes.len()).sum::<usize>();
        let class = if size > LARGE_MESSAGE_BYTES { CallClass::Media } else { CallClass::Local };
        self.call(Capabilities::none(), class, |exports, store| {
            exports.messaging(store)?.call_decode_outgoing(store, message, attachments)
        })
    }

    /// Runs one export in a fresh store under the limits of its class: the one way into the
    /// plugin. `f` picks the interface from [`Exports`] (an optional one the channel lacks
    /// fails the call with [`PluginError::Unsupported`]) and calls it.
    pub fn call<R>(
        &self,
        caps: Capabilities,
        class: CallClass,
        f: impl FnOnce(&Exports<'_>, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginError> {
        let bounds = match class {
            CallClass::Local | CallClass::Provider => {
                CallBounds { memory_limit: self.config.memory_limit, cpu_budget: self.config.cpu_budget }
            }
            CallClass::Media => {
                CallBounds { memory_limit: self.config.media_memory_limit, cpu_budget: self.config.media_cpu_budget }
            }
        };
        self.call_within(caps, bounds, f)
    }

    /// Runs one export in a fresh store and classifies any failure.
    fn call_within<R>(
        &self,
        caps: Capabilities,
        bounds: CallBounds,
        f: impl FnOnce(&Exports<'_>, &mut Store<HostState>) -> wasmtime::Result<R>,
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
        let instance = self.pre.instantiate(&mut store).map_err(|e| classify(e, &store, true))?;
        let exports = Exports { instance: &instance, indices: &self.exports };
        let result = f(&exports, &mut store).map_err(|e| classify(e, &store, false));
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

/// One instance and its store, reused across calls (see [`PluginRuntime::reusable_instance`]).
pub struct ReusableInstance {
    store: Store<HostState>,
    webhook: crate::bindings::webhook::Guest,
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
        self.webhook
            .call_handle_webhook(&mut self.store, receiver, routes, request, limits)
            .map_err(|e| classify(e, &self.store, false))
    }
}
