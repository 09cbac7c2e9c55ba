//! Changing the instances while the host serves: one at a time (the API) or all from the
//! configuration file (SIGHUP), and the operator's `disconnect`. Every change is validated by
//! the plugin before it takes effect; a refused change leaves the table as it was.

use std::time::Instant;

use anyhow::Context as _;

use super::{ChannelHost, HostError, Refusal, prepare, prepare_json};
use crate::capabilities::egress::EgressLimit;
use crate::capabilities::{OmniEvent, SinkError};
use crate::config::{HostConfig, InstanceSettings, ResolvedConfig};
use crate::instances::{Change, ConnectionState, Reload};
use crate::omni::envelope;
use crate::omni::now_ms;

impl ChannelHost {
    /// Adds instance `settings.id`, or changes it: calls that already started keep the
    /// instance they started with.
    pub fn put_instance(&self, settings: &InstanceSettings) -> anyhow::Result<Change> {
        let instance = prepare(&self.runtime, settings)?;
        self.insert(instance, "the configuration")
            .map_err(|refusal| anyhow::anyhow!("{}", refusal.describe(&settings.id)))
    }

    /// Adds or changes instance `id` from the plugin's settings as JSON, taken as they are
    /// (no `{"env": …}` lookup here: see [`InstanceSettings::caller_config`]), its egress
    /// within `limit`.
    pub fn put_instance_json(&self, id: &str, config: &str, limit: EgressLimit<'_>) -> Result<Change, Refusal> {
        let instance = prepare_json(&self.runtime, id, config, limit)?;
        self.insert(instance, "the host's caller")
    }

    /// Adds or changes instance `id` for an API caller: settings resolved within the caller's
    /// limits ([`InstanceSettings::caller_config`]), egress within the operator's list for
    /// callers. The values the settings read from the environment are kept with the instance,
    /// to scrub them from every answer about it (`server::scrub`).
    pub fn put_caller_instance(
        &self,
        id: &str,
        resolved: ResolvedConfig,
        listed: Option<&[String]>,
        operator: Option<&[String]>,
    ) -> Result<Change, Refusal> {
        let limit = EgressLimit::Caller { listed, operator };
        let instance =
            prepare_json(&self.runtime, id, &resolved.config.to_string(), limit)?.with_secrets(resolved.secrets);
        self.insert(instance, "an API caller")
    }

    /// Puts a validated instance into the table, unless another instance answers for one of
    /// its routing keys.
    fn insert(&self, instance: crate::instances::HostedInstance, by: &str) -> Result<Change, Refusal> {
        let id = instance.id().to_owned();
        let change = self.instances.put(instance).map_err(Refusal::Host)?;
        tracing::info!(instance = id.as_str(), ?change, by, "instance put");
        Ok(change)
    }

    /// Removes instance `id` (its calls in flight finish); false when there is none.
    pub fn remove_instance(&self, id: &str) -> bool {
        let removed = self.instances.remove(id);
        if removed {
            tracing::info!(instance = id, "instance removed");
        }
        removed
    }

    /// Makes the instances those of `config`: every one is validated first, and if any is
    /// refused nothing changes (the error names it).
    pub fn reload(&self, config: &HostConfig) -> anyhow::Result<Reload> {
        let instances = config
            .instances
            .iter()
            .map(|settings| prepare(&self.runtime, settings))
            .collect::<anyhow::Result<Vec<_>>>()
            .context("the new configuration was refused; the instances are unchanged")?;
        let reload = self.instances.replace(instances).map_err(|conflict| {
            anyhow::anyhow!("the new configuration was refused; the instances are unchanged: {conflict}")
        })?;
        tracing::info!(
            added = ?reload.added, updated = ?reload.updated, removed = ?reload.removed,
            unchanged = reload.unchanged.len(), "instances reloaded"
        );
        Ok(reload)
    }

    /// The operator takes instance `id` down: it publishes omni's `instance.disconnected` and
    /// refuses sends until it is connected again; its webhooks are still handled, since
    /// nothing the provider delivers may be lost. Blocks while the bus acknowledges; returns
    /// the event's id.
    pub fn disconnect(&self, id: &str, reason: &str) -> Result<Result<String, SinkError>, HostError> {
        let instance = self.instance(id)?;
        let wit = envelope::instance_disconnected(id, &self.info.id, reason, now_ms());
        let event = match OmniEvent::from_wit(wit, &self.info.id, &[id.to_owned()]) {
            Ok(event) => event,
            Err(e) => return Ok(Err(SinkError::Rejected(e))),
        };
        let event_id = event.id.clone();
        if let Err(e) = self.sink.publish(&[event], Instant::now() + self.runtime.wall_limit()) {
            return Ok(Err(e));
        }
        instance.record(|status| {
            status.state = ConnectionState::Disconnected;
            status.reason = Some(reason.to_owned());
            status.sends_paused = true;
        });
        Ok(Ok(event_id))
    }
}
