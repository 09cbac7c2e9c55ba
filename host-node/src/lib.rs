//! `omni-host`'s runtime as a Node-API addon: omni's own process (Bun or Node) is the wasm host.
//!
//! This file is the only one that speaks Node-API; every rule it applies is `omni-host`'s
//! library, the same `serve` runs: one `Engine` and the component compiled once (cached on
//! disk under the same key), a fresh `Store` per call with its memory limit and CPU budget, a
//! trap that discards the call's store and never the process, the egress grants and the Rust
//! HTTP client, media links, the event envelope, the lanes of capacity and the retry loop
//! ([`omni_host::calls`]). JavaScript keeps what is omni's: its bus (deduplication in its plugin
//! storage), its logger, its `Request` and `Response`.

mod counters;
mod js_bus;
mod js_log;
mod options;
mod outcomes;
mod shapes;

use std::sync::Arc;
use std::time::Instant;

use napi::bindgen_prelude::{Buffer, Either, Function, Promise};
use napi::{Error, Result, Status};
use napi_derive::napi;
use omni_host::bindings::messaging::Attachment;
use omni_host::bindings::plugin::ConnectOptions;
use omni_host::bindings::webhook::IncomingRequest;
use omni_host::calls::{Calls, InlineWebhook, Lane, Settled};
use omni_host::capabilities::egress::EgressLimit;
use omni_host::capabilities::http_client::{ClientConfig, UreqClient};
use omni_host::capabilities::{EventSink, MediaLinks};
use omni_host::channel_host::{ChannelHost, Refusal};
use omni_host::component_cache::ComponentCache;
use omni_host::config::HostConfig;
use omni_host::omni::results::{self, SendResult};
use omni_host::omni::{actions, now_ms, wire};
use omni_host::runtime::PluginRuntime;
use serde_json::{Value, json};

use counters::Counters;
pub use options::HostOptions;
use shapes::Answer;

/// The component, hosted in this process.
#[napi]
pub struct Host {
    calls: Calls,
    family: String,
    stats: Arc<Counters>,
    /// The origins the operator lets instances be granted (see [`HostOptions::egress`]).
    egress: Option<Vec<String>>,
}

/// A webhook tried on the JavaScript thread, answered, its events not yet published.
#[napi]
pub struct WebhookAttempt {
    attempt: Option<InlineWebhook>,
    events: String,
}

#[napi]
impl WebhookAttempt {
    /// The events to publish before answering (a JSON array of the publisher's events).
    #[napi(getter)]
    pub fn events(&self) -> String {
        self.events.clone()
    }

    /// The answer once the events were offered to omni's bus (`outcome` as the publisher
    /// answers: `ok`, `unavailable:<why>`, `rejected:<why>`); `null` when the webhook must run
    /// again with the plugin publishing (`Host.handleWebhook`).
    #[napi]
    pub fn settle(&mut self, outcome: String) -> Result<Option<Answer>> {
        let attempt = self.attempt.take().ok_or_else(|| Error::new(Status::InvalidArg, "already settled"))?;
        Ok(match attempt.settle(shapes::publish_outcome(&outcome)) {
            Settled::Answer(response) => Some(response.into()),
            Settled::Rerun => None,
        })
    }
}

/// A send's outcome: omni's `SendResult` and the events to publish (JSON both).
#[napi(object)]
pub struct Sent {
    pub result: String,
    pub events: String,
}

/// A binary value lifted out of omni's message, by its JSON pointer.
#[napi(object)]
pub struct Binary {
    pub pointer: String,
    pub bytes: Buffer,
}

#[napi]
impl Host {
    /// Loads the component (compiled once, then from the cache), checks that it instantiates,
    /// and hosts no instance yet. `publish(eventsJson)` puts events on omni's bus and answers
    /// `ok`, `unavailable:<why>` or `rejected:<why>`; `log([level, target, message])` writes a
    /// log line.
    #[napi(factory)]
    pub fn load(
        options: HostOptions,
        publish: Function<String, Promise<String>>,
        log: Function<Vec<String>, ()>,
    ) -> Result<Self> {
        js_log::install(log.build_threadsafe_function().weak::<true>().build()?);
        let publisher = publish.build_threadsafe_function().weak::<true>().build()?;
        let calls_options = options.calls();
        let runtime_config = options.runtime(&calls_options);
        let component = std::fs::read(&options.component)
            .map_err(|e| failure(format!("reading the component {}: {e}", options.component)))?;
        let cache = options
            .cache_dir
            .as_ref()
            .map(ComponentCache::new)
            .or_else(|| ComponentCache::default_dir().map(ComponentCache::new));
        let runtime = match cache {
            Some(cache) => PluginRuntime::cached(&component, runtime_config, &cache).map(|(runtime, _)| runtime),
            None => PluginRuntime::new(&component, runtime_config),
        }
        .map_err(|e| failure(format!("loading the component: {e:#}")))?;
        let sink = Arc::new(js_bus::JsBus::new(publisher, options.max_event_bytes()));
        let http = Arc::new(UreqClient::new(ClientConfig::default()));
        let no_instances = HostConfig { instances: Vec::new(), api: None, media: None };
        let links =
            MediaLinks::new(&options.media_links_url, Some(options.media_link_key.to_vec()), options.media_link_ttl())
                .map_err(|e| failure(format!("media links: {e:#}")))?;
        let host = ChannelHost::new(Arc::new(runtime), &no_instances, http, sink)
            .map_err(|e| failure(format!("{e:#}")))?
            .with_max_webhook_body(options.max_webhook_bytes())
            .with_media_links(links);
        let stats = Arc::new(Counters::default());
        let calls = Calls::new(Arc::new(host), calls_options, stats.clone());
        Ok(Self { calls, family: options.error_family, stats, egress: options.egress })
    }

    /// The plugin's identity and capabilities (JSON).
    #[napi]
    pub fn info(&self) -> String {
        wire::plugin_info(self.host().info(), self.host().runtime()).to_string()
    }

    /// The JSON Schema of an instance's settings.
    #[napi]
    pub fn config_schema(&self) -> Result<String> {
        self.host().runtime().config_schema().map_err(|e| failure(e.to_string()))
    }

    /// The plugin's verdict on an instance's settings (JSON): `{"ok": true}` or
    /// `{"ok": false, "problems": [{field, message}]}`.
    #[napi]
    pub fn validate_config(&self, config: String) -> Result<String> {
        match self.host().runtime().validate_config(&config) {
            Ok(Ok(_)) => Ok(json!({ "ok": true }).to_string()),
            Ok(Err(problems)) => Ok(json!({ "ok": false, "problems": problems_json(&problems) }).to_string()),
            Err(e) => Err(failure(format!("the plugin failed validating the settings: {e}"))),
        }
    }

    /// Hosts instance `id` with the plugin's settings (JSON, taken as they are): `{"change"}`,
    /// or `{"problems": [{field, message}]}` when the plugin or the host refuses them. Its
    /// settings come from omni's API callers, so it is granted what `serve` grants an instance
    /// added through its API: the origins the plugin declares, within the operator's list
    /// ([`HostOptions::egress`]; without one, `https` origins named by DNS that resolve to public
    /// addresses), narrowed by the instance's own `egress` when given.
    #[napi]
    pub fn put_instance(&self, id: String, config: String, egress: Option<Vec<String>>) -> Result<String> {
        let limit = EgressLimit::Caller { listed: egress.as_deref(), operator: self.egress.as_deref() };
        match self.host().put_instance_json(&id, &config, limit) {
            Ok(change) => Ok(json!({ "change": format!("{change:?}").to_lowercase() }).to_string()),
            Err(Refusal::Problems(problems)) => Ok(json!({ "problems": problems_json(&problems) }).to_string()),
            // The host's own refusal (an id, a phone number another instance serves) is about
            // the settings too: a configuration problem, not a failure of the plugin.
            Err(Refusal::Host(why)) => Ok(json!({ "problems": [{ "field": "", "message": why }] }).to_string()),
            Err(other) => Err(failure(other.describe(&id))),
        }
    }

    /// Stops hosting instance `id`; `false` when it was not hosted.
    #[napi]
    pub fn remove_instance(&self, id: String) -> bool {
        self.host().remove_instance(&id)
    }

    /// The instance a webhook is for: the one its URL names, else the sole Meta app's.
    #[napi]
    pub fn webhook_receiver(&self, named: Option<String>) -> Option<String> {
        named.or_else(|| self.host().sole_app_instance())
    }

    /// Checks the instance's credentials and setup with the provider (the plugin publishes
    /// `instance.connected` or `instance.disconnected`): `{"ok": true, "connection"}` or
    /// `{"ok": false, "error": {message, code, providerCode, retryable}}`.
    #[napi]
    pub async fn connect(&self, id: String, subscribe_webhooks: bool) -> String {
        let options = ConnectOptions { subscribe_webhooks };
        let outcome = self.calls.run(Lane::Egress, Instant::now(), move |host| host.connect(&id, options)).await;
        match outcome {
            Ok(Ok(info)) => {
                let mut connection = wire::connection_info(&info);
                connection["raw"] = serde_json::from_str(&info.raw).unwrap_or(Value::Null);
                json!({ "ok": true, "connection": connection }).to_string()
            }
            Ok(Err(error)) => json!({ "ok": false, "error": results::channel_error(&self.family, &error) }).to_string(),
            Err(error) => json!({ "ok": false, "error": results::host_error(&self.family, &error) }).to_string(),
        }
    }

    /// omni disconnects instance `id`: `instance.disconnected` is published and its sends are
    /// refused until it connects again; its webhooks are still handled. `null`, or the error.
    #[napi]
    pub async fn disconnect(&self, id: String, reason: String) -> Option<String> {
        let outcome = self.calls.run(Lane::Egress, Instant::now(), move |host| host.disconnect(&id, &reason)).await;
        match outcome {
            Ok(Ok(_)) => None,
            Ok(Err(sink)) => Some(
                json!({ "message": format!("omni's bus did not take instance.disconnected: {sink:?}") }).to_string(),
            ),
            Err(error) => Some(json!(results::host_error(&self.family, &error)).to_string()),
        }
    }

    /// A webhook tried right here on the JavaScript thread (see `Calls::try_webhook_inline`):
    /// `null` when it was not tried or needs more than the inline budget (run
    /// `handleWebhook`), an answer when the host refused it, or an attempt whose events are
    /// published before its answer is known.
    #[napi]
    pub fn webhook_inline(
        &self,
        instance: String,
        method: String,
        path: String,
        query: String,
        headers: Vec<String>,
        body: Buffer,
    ) -> Option<Either<Answer, WebhookAttempt>> {
        let request = incoming(method, path, query, headers, body);
        match self.calls.try_webhook_inline(&instance, &request) {
            Ok(None) => None,
            Ok(Some(attempt)) => {
                let events = shapes::events(&attempt.events);
                Some(Either::B(WebhookAttempt { attempt: Some(attempt), events }))
            }
            Err(error) => Some(Either::A(omni_host::calls::webhook_refusal(&error).into())),
        }
    }

    /// A webhook run in the webhook lane, the plugin publishing through omni's bus.
    #[napi]
    pub async fn handle_webhook(
        &self,
        instance: String,
        method: String,
        path: String,
        query: String,
        headers: Vec<String>,
        body: Buffer,
    ) -> Answer {
        let request = incoming(method, path, query, headers, body);
        let outcome =
            self.calls.run(Lane::Webhook, Instant::now(), move |host| host.handle_webhook(&instance, &request)).await;
        match outcome {
            Ok(response) => response.into(),
            Err(error) => omni_host::calls::webhook_refusal(&error).into(),
        }
    }

    /// Whether a request's path is one of this host's media links.
    #[napi]
    pub fn is_media_link(&self, path: String) -> bool {
        self.host().media_links().is_some_and(|links| links.parse_path(&path).is_some())
    }

    /// The answer to a media link (see `omni_host::media_route`).
    #[napi]
    pub async fn media(&self, path: String, expires: String, signature: String) -> Answer {
        let parsed = self.host().media_links().and_then(|links| links.parse_path(&path));
        let Some((instance, media_id)) = parsed else {
            return shapes::json_answer(404, json!({ "error": "not-found", "message": "not a media link" }));
        };
        let (instance, media_id) = (instance.to_owned(), media_id.to_owned());
        omni_host::media_route::answer(&self.calls, &instance, &media_id, &expires, &signature)
            .await
            .collect()
            .await
            .into()
    }

    /// Sends omni's `OutgoingMessage` (JSON, its binary values beside it) through instance
    /// `id`: decoded by the plugin, each part sent in order with the plugin's retries. omni's
    /// `SendResult` (JSON), and the events the plugin published meanwhile (`message.sent`...),
    /// kept for JavaScript to put on omni's bus: the plugin reports a send's outcome whatever the
    /// bus says, so the send need not wait for the bus.
    #[napi]
    pub async fn send(&self, id: String, message: String, binaries: Vec<Binary>) -> Sent {
        let attachments =
            binaries.into_iter().map(|b| Attachment { pointer: b.pointer, bytes: b.bytes.to_vec() }).collect();
        let fallback = correlation_id();
        let collector = self.host().collector();
        let events: Arc<dyn EventSink> = collector.clone();
        let result = match self.calls.send(&id, message, attachments, fallback, Instant::now(), Some(events)).await {
            Ok(outcome) => SendResult::of_parts(&self.family, &outcome, now_ms()),
            Err(error) => SendResult::failed(results::host_error(&self.family, &error), now_ms()),
        };
        Sent {
            result: serde_json::to_string(&result).expect("a send result serializes"),
            events: shapes::events(&collector.take()),
        }
    }

    /// Marks a received message read (with a typing indicator when `typing`): `null`, or the
    /// error (JSON).
    #[napi]
    pub async fn mark_read(&self, id: String, message_id: String, typing: bool) -> Option<String> {
        let outcome =
            self.calls.run(Lane::Egress, Instant::now(), move |host| host.mark_read(&id, &message_id, typing)).await;
        self.unit_outcome(outcome)
    }

    /// Blocks (`block`) or unblocks users: `{"ok": true, "value": {changed, failed}}` or the
    /// error.
    #[napi]
    pub async fn block_users(&self, id: String, users: Vec<String>, block: bool) -> String {
        let outcome =
            self.calls.run(Lane::Egress, Instant::now(), move |host| host.block_users(&id, &users, block)).await;
        self.value_outcome(outcome, wire::block_outcome)
    }

    /// The business profile: `{"ok": true, "value"}` or the error.
    #[napi]
    pub async fn business_profile(&self, id: String) -> String {
        let outcome = self.calls.run(Lane::Egress, Instant::now(), move |host| host.business_profile(&id)).await;
        self.value_outcome(outcome, wire::business_profile)
    }

    /// Changes the business profile (`update` as JSON: its fields in camelCase): `null`, or the
    /// error.
    #[napi]
    pub async fn update_business_profile(&self, id: String, update: String) -> Option<String> {
        let update = match wire::profile_update(&update) {
            Ok(update) => update,
            Err(why) => return Some(json!(self.invalid_request("update", why)).to_string()),
        };
        let outcome =
            self.calls.run(Lane::Egress, Instant::now(), move |host| host.update_business_profile(&id, &update)).await;
        self.unit_outcome(outcome)
    }

    /// Makes a call action (`action` as JSON, named by its `action` field):
    /// `{"ok": true, "value": {"callId"}}` or the error.
    #[napi]
    pub async fn call_action(&self, id: String, action: String) -> String {
        let action = match actions::call_action(&action) {
            Ok(action) => action,
            Err(why) => return self.refused_request("action", why),
        };
        let outcome = self.calls.run(Lane::Egress, Instant::now(), move |host| host.act_on_call(&id, &action)).await;
        self.value_outcome(outcome, |call_id| json!({ "callId": call_id }))
    }

    /// Makes a group action (`action` as JSON, named by its `action` field):
    /// `{"ok": true, "value": {requestId?, inviteLink?, joinRequests, failed}}` or the error.
    #[napi]
    pub async fn group_action(&self, id: String, action: String) -> String {
        let action = match actions::group_action(&action) {
            Ok(action) => action,
            Err(why) => return self.refused_request("action", why),
        };
        let outcome = self.calls.run(Lane::Egress, Instant::now(), move |host| host.act_on_group(&id, &action)).await;
        self.value_outcome(outcome, actions::group_outcome)
    }

    /// Deletes an uploaded file from the provider: `null`, or the error (JSON).
    #[napi]
    pub async fn delete_media(&self, id: String, media_id: String) -> Option<String> {
        let outcome = self.calls.run(Lane::Egress, Instant::now(), move |host| host.delete_media(&id, &media_id)).await;
        self.unit_outcome(outcome)
    }

    /// What the host is doing and has done (JSON): calls by lane, calls refused for want of
    /// capacity, plugin failures by kind, the instances.
    #[napi]
    pub fn stats(&self) -> String {
        let instances: Vec<String> = self.host().instances().iter().map(|i| i.id().to_owned()).collect();
        self.stats.describe(&self.calls, &instances).to_string()
    }
}

fn incoming(method: String, path: String, query: String, headers: Vec<String>, body: Buffer) -> IncomingRequest {
    IncomingRequest { method, path, query, headers: shapes::header_pairs(headers), body: body.to_vec() }
}

fn problems_json(problems: &[omni_host::bindings::types::ConfigProblem]) -> Vec<Value> {
    problems.iter().map(|p| json!({ "field": p.field, "message": p.message })).collect()
}

/// A send's correlation id when omni's message names none.
fn correlation_id() -> String {
    use std::hash::{BuildHasher, RandomState};
    format!("omni-{:016x}", RandomState::new().hash_one(Instant::now()))
}

fn failure(message: String) -> Error {
    Error::new(Status::GenericFailure, message)
}
