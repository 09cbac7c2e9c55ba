//! The configured host: the plugin runtime, the operator's instances, an HTTP client and an
//! event sink, with the capabilities of each call worked out from the instance it concerns.

use std::sync::Arc;

use anyhow::{Context as _, bail};
use sha2::{Digest, Sha256};

use crate::bindings::media::{DownloadedMedia, MediaUpload};
use crate::bindings::messaging::{OutgoingMessage, SendOptions, SendReceipt};
use crate::bindings::plugin::{ConnectionInfo, PluginInfo};
use crate::bindings::types::{ChannelError, Instance};
use crate::bindings::webhook::{IncomingRequest, OutgoingResponse};
use crate::capabilities::egress::Origin;
use crate::capabilities::{Capabilities, EgressPolicy, EventSink, HttpClient};
use crate::config::HostConfig;
use crate::retry::{self, RetryPolicy, SendOutcome};
use crate::runtime::{PluginError, PluginRuntime};

/// Meta's own Graph API: instances that use it may also reach Meta's media CDN.
const META_GRAPH_HOST: &str = "graph.facebook.com";
/// Where Meta serves media downloads from.
const META_MEDIA_ORIGINS: &[&str] = &["https://lookaside.fbsbx.com"];

/// Response bodies read for ordinary calls; media calls get [`MEDIA_RESPONSE_BYTES`].
const RESPONSE_BYTES: u64 = 4 << 20;
/// A 100 MB document plus headroom.
pub const MEDIA_RESPONSE_BYTES: u64 = 110 << 20;

/// One instance, validated by the plugin.
pub struct HostedInstance {
    /// What the plugin receives (config normalised by the plugin, defaults filled in).
    pub wit: Instance,
    /// Where this instance's calls may connect.
    pub egress: EgressPolicy,
    /// Instances of one Meta app share an app secret: this groups them without keeping
    /// another copy of the secret.
    app_fingerprint: [u8; 32],
}

impl HostedInstance {
    pub fn id(&self) -> &str {
        &self.wit.id
    }
}

/// Why the host could not run a call.
#[derive(Debug)]
pub enum HostError {
    /// No instance has this id.
    UnknownInstance(String),
    /// The plugin failed (trap, limit...).
    Plugin(PluginError),
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownInstance(id) => write!(f, "no instance `{id}` is configured"),
            Self::Plugin(e) => e.fmt(f),
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
    instances: Vec<HostedInstance>,
    http: Arc<dyn HttpClient>,
    sink: Arc<dyn EventSink>,
}

impl ChannelHost {
    /// Validates every instance with the plugin and derives its egress policy. Refuses to
    /// start with an invalid instance (a missing app secret above all).
    pub fn new(
        runtime: Arc<PluginRuntime>,
        config: &HostConfig,
        http: Arc<dyn HttpClient>,
        sink: Arc<dyn EventSink>,
    ) -> anyhow::Result<Self> {
        runtime.check_instantiation().context("instantiating the plugin")?;
        let info = runtime.info().context("asking the plugin for its info")?;
        let mut instances = Vec::with_capacity(config.instances.len());
        for settings in &config.instances {
            let id = &settings.id;
            let config = settings.plugin_config().with_context(|| format!("instance `{id}`"))?;
            let normalised = match runtime.validate_config(&config.to_string())? {
                Ok(normalised) => normalised,
                Err(problems) => {
                    let list: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect();
                    bail!("instance `{id}` is misconfigured: {}", list.join("; "));
                }
            };
            let values: serde_json::Value = serde_json::from_str(&normalised).context("plugin's normalised config")?;
            let base_url = values["graphBaseUrl"].as_str().context("plugin's normalised config has no graphBaseUrl")?;
            let mut egress = EgressPolicy::deny_all().allow(Origin::parse(base_url).map_err(anyhow::Error::msg)?);
            if Origin::parse(base_url).ok() == Origin::parse(&format!("https://{META_GRAPH_HOST}")).ok() {
                for origin in META_MEDIA_ORIGINS {
                    egress = egress.allow(Origin::parse(origin).map_err(anyhow::Error::msg)?);
                }
            }
            for extra in &settings.allowed_hosts {
                let origin = Origin::parse(extra)
                    .map_err(|e| anyhow::anyhow!("instance `{id}`: allowed_hosts `{extra}`: {e}"))?;
                egress = egress.allow(origin);
            }
            let secret = values["appSecret"].as_str().unwrap_or_default();
            instances.push(HostedInstance {
                wit: Instance { id: id.clone(), config: normalised.clone() },
                egress,
                app_fingerprint: Sha256::digest(secret.as_bytes()).into(),
            });
        }
        Ok(Self { runtime, info, instances, http, sink })
    }

    /// The plugin's identity.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// The runtime (for direct calls).
    pub fn runtime(&self) -> &PluginRuntime {
        &self.runtime
    }

    /// The configured instances.
    pub fn instances(&self) -> &[HostedInstance] {
        &self.instances
    }

    /// An instance by id.
    pub fn instance(&self, id: &str) -> Result<&HostedInstance, HostError> {
        self.instances.iter().find(|i| i.id() == id).ok_or_else(|| HostError::UnknownInstance(id.to_owned()))
    }

    /// Runs a webhook request addressed to instance `id`. Other instances of the same Meta app
    /// are passed along, so a change about one of their numbers reaches them.
    pub fn handle_webhook(&self, id: &str, request: &IncomingRequest) -> Result<OutgoingResponse, HostError> {
        let receiver = self.instance(id)?;
        let siblings: Vec<Instance> = self
            .instances
            .iter()
            .filter(|i| i.id() != id && i.app_fingerprint == receiver.app_fingerprint)
            .map(|i| i.wit.clone())
            .collect();
        let mut allowed: Vec<String> = siblings.iter().map(|s| s.id.clone()).collect();
        allowed.push(receiver.id().to_owned());
        let caps = Capabilities {
            // Handling a webhook needs no network.
            http: None,
            egress: EgressPolicy::deny_all(),
            max_response_bytes: 0,
            events: Some(self.sink.clone()),
            instances: allowed,
            channel_type: self.info.id.clone(),
        };
        Ok(self.runtime.handle_webhook(caps, &receiver.wit, &siblings, request)?)
    }

    /// Sends one message through instance `id` (one attempt).
    pub fn send_message(
        &self,
        id: &str,
        message: &OutgoingMessage,
        options: &SendOptions,
    ) -> Result<Result<SendReceipt, ChannelError>, HostError> {
        let instance = self.instance(id)?;
        Ok(self.runtime.send_message(self.capabilities(instance, RESPONSE_BYTES), &instance.wit, message, options)?)
    }

    /// Sends one message, retrying what the plugin says may be retried (see [`crate::retry`]).
    pub fn send_with_retries(
        &self,
        id: &str,
        message: &OutgoingMessage,
        correlation_id: &str,
        policy: &RetryPolicy,
        sleep: &dyn Fn(std::time::Duration),
    ) -> Result<SendOutcome, HostError> {
        self.instance(id)?;
        retry::send_with_retries(
            correlation_id,
            policy,
            |options| self.send_message(id, message, options),
            |options, error| self.report_send_failure(id, message, options, error),
            sleep,
        )
    }

    /// Has the plugin publish the `message.failed` a non-final attempt held back, once the host
    /// has given up retrying it. A bus failure here is logged: the caller already has the error.
    pub fn report_send_failure(
        &self,
        id: &str,
        message: &OutgoingMessage,
        options: &SendOptions,
        error: &ChannelError,
    ) -> Result<(), HostError> {
        let instance = self.instance(id)?;
        let caps = self.capabilities(instance, RESPONSE_BYTES);
        if let Err(e) = self.runtime.report_send_failure(caps, &instance.wit, message, options, error)? {
            tracing::warn!(instance = id, "message.failed of an abandoned send not published: {e:?}");
        }
        Ok(())
    }

    /// Marks a received message as read (optionally with a typing indicator).
    pub fn mark_read(
        &self,
        id: &str,
        message_id: &str,
        show_typing: bool,
    ) -> Result<Result<(), ChannelError>, HostError> {
        let instance = self.instance(id)?;
        Ok(self.runtime.mark_read(
            self.capabilities(instance, RESPONSE_BYTES),
            &instance.wit,
            message_id,
            show_typing,
        )?)
    }

    /// Checks the instance's credentials with Meta (publishes `instance.connected` or
    /// `instance.disconnected`).
    pub fn connect(&self, id: &str) -> Result<Result<ConnectionInfo, ChannelError>, HostError> {
        let instance = self.instance(id)?;
        Ok(self.runtime.connect(self.capabilities(instance, RESPONSE_BYTES), &instance.wit)?)
    }

    /// Uploads a file; returns its media id.
    pub fn upload_media(&self, id: &str, upload: &MediaUpload) -> Result<Result<String, ChannelError>, HostError> {
        let instance = self.instance(id)?;
        Ok(self.runtime.upload_media(self.capabilities(instance, RESPONSE_BYTES), &instance.wit, upload)?)
    }

    /// Downloads a received file, verified against Meta's size and SHA-256.
    pub fn download_media(&self, id: &str, media_id: &str) -> Result<Result<DownloadedMedia, ChannelError>, HostError> {
        let instance = self.instance(id)?;
        Ok(self.runtime.download_media(self.capabilities(instance, MEDIA_RESPONSE_BYTES), &instance.wit, media_id)?)
    }

    /// The capabilities of a call that talks to the Graph API for `instance`.
    pub fn capabilities(&self, instance: &HostedInstance, max_response_bytes: u64) -> Capabilities {
        Capabilities {
            http: Some(self.http.clone()),
            egress: instance.egress.clone(),
            max_response_bytes,
            events: Some(self.sink.clone()),
            instances: vec![instance.id().to_owned()],
            channel_type: self.info.id.clone(),
        }
    }
}
