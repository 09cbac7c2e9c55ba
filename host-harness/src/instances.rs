//! The instances a host runs, changeable while it serves, and what it knows of each one's
//! health.
//!
//! The table is an immutable list swapped whole: a call takes the instance it concerns (an
//! `Arc`) once, at its start, so adding, changing or removing instances never disturbs a call
//! in flight — it finishes with the instance it started with. Readers (every request) never
//! take a lock: the list is read through an `ArcSwap`; writers (API and reload, rare) take a
//! mutex so that two changes never lose each other.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use serde::Serialize;

use crate::bindings::types::Instance;
use crate::capabilities::EgressPolicy;
use crate::omni::now_ms;

/// One instance, validated by the plugin.
pub struct HostedInstance {
    /// What the plugin receives (config normalised by the plugin, defaults filled in).
    pub wit: Instance,
    /// Where this instance's calls may connect: what the plugin declared it needs, narrowed to
    /// the operator's `egress` list when there is one.
    pub egress: EgressPolicy,
    /// The plugin's name for the provider app the instance belongs to: instances with the same
    /// key receive each other's notifications.
    pub app_key: String,
    /// What the provider calls the instance in notifications.
    pub routing_keys: Vec<String>,
    /// What the host has seen of it; carried over when the instance is changed.
    status: Mutex<InstanceStatus>,
    /// When it last answered a webhook with 2xx (ms since the epoch, 0 for never): apart from
    /// `status` because every webhook writes it, and an atomic costs no lock on that path.
    last_webhook_at_ms: AtomicU64,
    /// Values its settings read from the host's environment for an API caller: never shown to
    /// one (`server::scrub` keeps them out of the instances API's answers).
    secrets: Vec<String>,
}

impl HostedInstance {
    pub fn new(wit: Instance, egress: EgressPolicy, app_key: String, routing_keys: Vec<String>) -> Self {
        Self {
            wit,
            egress,
            app_key,
            routing_keys,
            status: Mutex::new(InstanceStatus::default()),
            last_webhook_at_ms: AtomicU64::new(0),
            secrets: Vec::new(),
        }
    }

    /// Marks `secrets` (values read from the host's environment) as never to be shown.
    pub fn with_secrets(mut self, secrets: Vec<String>) -> Self {
        self.secrets = secrets;
        self
    }

    /// The values to keep out of answers about this instance.
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    pub fn id(&self) -> &str {
        &self.wit.id
    }

    /// Whether `other` would run exactly as this one (same settings after validation).
    fn same_as(&self, other: &Self) -> bool {
        self.wit.config == other.wit.config
            && self.egress == other.egress
            && self.app_key == other.app_key
            && self.routing_keys == other.routing_keys
    }

    /// A copy of what the host knows of the instance.
    pub fn status(&self) -> InstanceStatus {
        let mut status = self.status.lock().expect("status lock").clone();
        status.last_webhook_at_ms = match self.last_webhook_at_ms.load(Ordering::Relaxed) {
            0 => None,
            at => Some(at),
        };
        status
    }

    /// Notes that the instance answered a webhook with 2xx just now.
    pub fn record_webhook(&self) {
        self.last_webhook_at_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// Takes over what the host knew of `old`, the instance this one replaces.
    fn inherit(&self, old: &Self) {
        *self.status.lock().expect("status lock") = old.status.lock().expect("status lock").clone();
        self.last_webhook_at_ms.store(old.last_webhook_at_ms.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    /// Records something about the instance.
    pub fn record(&self, change: impl FnOnce(&mut InstanceStatus)) {
        change(&mut self.status.lock().expect("status lock"));
    }
}

/// Whether an instance is usable, as far as the host knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionState {
    /// Never connected since it was added.
    #[default]
    Unknown,
    /// The last `connect` worked and nothing since said otherwise.
    Connected,
    /// Disconnected by the operator, or the provider refused its credentials.
    Disconnected,
}

/// The last `connect` of an instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectAttempt {
    pub at_ms: u64,
    pub ok: bool,
    /// The provider's quality rating (`GREEN`, `YELLOW`, `RED`), when it gave one.
    pub quality_rating: Option<String>,
    /// The setup checks that failed, by name (`webhook-subscription`...).
    pub failed_checks: Vec<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// The last send of an instance that failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendFailure {
    pub at_ms: u64,
    /// The typed error's case (`provider`, `unreachable`...).
    pub error: String,
    pub message: String,
}

/// What the host knows of one instance's health (`GET /api/v1/instances/{id}/status`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceStatus {
    pub state: ConnectionState,
    /// Why it is disconnected, when it is.
    pub reason: Option<String>,
    /// Disconnected by the operator: sends are refused until it is connected again (webhooks
    /// are still handled: nothing the provider delivers is lost).
    pub sends_paused: bool,
    pub last_connect: Option<ConnectAttempt>,
    /// When the instance last received a webhook (answered 2xx). Kept in an atomic beside the
    /// status and filled in by [`HostedInstance::status`]: record it with
    /// [`HostedInstance::record_webhook`].
    pub last_webhook_at_ms: Option<u64>,
    pub last_send_error: Option<SendFailure>,
}

/// What putting an instance into the table did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Updated,
    Unchanged,
}

/// What replacing the whole table did, by instance id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reload {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: Vec<String>,
}

/// The instances, swapped whole on every change.
#[derive(Default)]
pub struct InstanceTable {
    current: ArcSwap<Vec<Arc<HostedInstance>>>,
    /// Held by whoever is changing the table, so concurrent changes apply one after the other.
    writer: Mutex<()>,
}

impl InstanceTable {
    pub fn new(instances: Vec<HostedInstance>) -> Self {
        Self { current: ArcSwap::from_pointee(instances.into_iter().map(Arc::new).collect()), writer: Mutex::new(()) }
    }

    /// The instances as they are now.
    pub fn snapshot(&self) -> Arc<Vec<Arc<HostedInstance>>> {
        self.current.load_full()
    }

    /// The instances as they are now, for a short look (no reference count taken; do not hold
    /// it across an `await` or a plugin call).
    pub fn load(&self) -> arc_swap::Guard<Arc<Vec<Arc<HostedInstance>>>> {
        self.current.load()
    }

    /// An instance by id.
    pub fn get(&self, id: &str) -> Option<Arc<HostedInstance>> {
        self.current.load().iter().find(|i| i.id() == id).cloned()
    }

    /// Adds `instance`, or replaces the one with its id (keeping what the host knew of it).
    /// Refused when another instance already answers for one of its routing keys (a phone
    /// number is one instance's).
    pub fn put(&self, instance: HostedInstance) -> Result<Change, String> {
        let _writer = self.writer.lock().expect("instance table writer");
        let mut list: Vec<Arc<HostedInstance>> = self.current.load().as_ref().clone();
        if let Some(conflict) =
            list.iter().filter(|other| other.id() != instance.id()).find_map(|other| shared_key(other, &instance))
        {
            return Err(conflict);
        }
        let change = match list.iter().position(|i| i.id() == instance.id()) {
            Some(at) if list[at].same_as(&instance) => return Ok(Change::Unchanged),
            Some(at) => {
                instance.inherit(&list[at]);
                list[at] = Arc::new(instance);
                Change::Updated
            }
            None => {
                list.push(Arc::new(instance));
                Change::Added
            }
        };
        self.current.store(Arc::new(list));
        Ok(change)
    }

    /// Removes instance `id`; false when there was none.
    pub fn remove(&self, id: &str) -> bool {
        let _writer = self.writer.lock().expect("instance table writer");
        let current = self.current.load_full();
        if !current.iter().any(|i| i.id() == id) {
            return false;
        }
        self.current.store(Arc::new(current.iter().filter(|i| i.id() != id).cloned().collect()));
        true
    }

    /// Replaces the table with `instances` (all already validated): instances that did not
    /// change stay as they are, changed ones keep what the host knew of them. Refused, the
    /// table untouched, when two of them answer for the same routing key.
    pub fn replace(&self, instances: Vec<HostedInstance>) -> Result<Reload, String> {
        check_unique_keys(&instances)?;
        let _writer = self.writer.lock().expect("instance table writer");
        let current = self.current.load_full();
        let mut reload = Reload::default();
        let mut list = Vec::with_capacity(instances.len());
        for instance in instances {
            match current.iter().find(|i| i.id() == instance.id()) {
                Some(old) if old.same_as(&instance) => {
                    reload.unchanged.push(instance.id().to_owned());
                    list.push(old.clone());
                }
                Some(old) => {
                    reload.updated.push(instance.id().to_owned());
                    instance.inherit(old);
                    list.push(Arc::new(instance));
                }
                None => {
                    reload.added.push(instance.id().to_owned());
                    list.push(Arc::new(instance));
                }
            }
        }
        reload.removed =
            current.iter().filter(|old| !list.iter().any(|i| i.id() == old.id())).map(|i| i.id().to_owned()).collect();
        self.current.store(Arc::new(list));
        Ok(reload)
    }
}

/// The routing key `a` and `b` both answer for, as a refusal naming both.
fn shared_key(a: &HostedInstance, b: &HostedInstance) -> Option<String> {
    let key = a.routing_keys.iter().find(|key| b.routing_keys.contains(key))?;
    Some(format!(
        "instances `{}` and `{}` would both answer for `{key}` (the provider's name for one of them): one per instance",
        a.id(),
        b.id()
    ))
}

/// Refuses a list in which two instances answer for the same routing key.
pub fn check_unique_keys(instances: &[HostedInstance]) -> Result<(), String> {
    for (at, instance) in instances.iter().enumerate() {
        if let Some(conflict) = instances[..at].iter().find_map(|earlier| shared_key(earlier, instance)) {
            return Err(conflict);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str, config: &str) -> HostedInstance {
        with_keys(id, config, &[])
    }

    fn with_keys(id: &str, config: &str, keys: &[&str]) -> HostedInstance {
        HostedInstance::new(
            Instance { id: id.into(), config: config.into() },
            EgressPolicy::deny_all(),
            "app".into(),
            keys.iter().map(|k| k.to_string()).collect(),
        )
    }

    #[test]
    fn one_phone_number_one_instance() {
        let table = InstanceTable::new(vec![with_keys("a", "{}", &["111"])]);
        let refused = table.put(with_keys("b", "{}", &["222", "111"])).unwrap_err();
        assert!(refused.contains("`a`") && refused.contains("`b`") && refused.contains("111"), "{refused}");
        assert!(table.get("b").is_none());
        assert_eq!(table.put(with_keys("a", "{\"v\":2}", &["111"])), Ok(Change::Updated), "an instance keeps its own");
        let refused = table.replace(vec![with_keys("x", "{}", &["9"]), with_keys("y", "{}", &["9"])]).unwrap_err();
        assert!(refused.contains("`x`") && refused.contains("`y`"), "{refused}");
        assert!(table.get("a").is_some() && table.get("x").is_none(), "a refused reload changes nothing");
    }

    #[test]
    fn a_call_keeps_the_instance_it_started_with() {
        let table = InstanceTable::new(vec![instance("a", "{}")]);
        let in_flight = table.get("a").unwrap();
        assert_eq!(table.put(instance("a", r#"{"v":2}"#)), Ok(Change::Updated));
        assert!(table.remove("a"));
        assert_eq!(in_flight.wit.config, "{}", "the call in flight still has its instance");
        assert!(table.get("a").is_none());
        assert!(!table.remove("a"));
    }

    #[test]
    fn putting_tells_added_updated_and_unchanged_apart_and_keeps_the_status() {
        let table = InstanceTable::default();
        assert_eq!(table.put(instance("a", "{}")), Ok(Change::Added));
        assert_eq!(table.get("a").unwrap().status().last_webhook_at_ms, None);
        table.get("a").unwrap().record_webhook();
        table.get("a").unwrap().record(|s| s.reason = Some("why".into()));
        let seen = table.get("a").unwrap().status().last_webhook_at_ms;
        assert!(seen.is_some());
        assert_eq!(table.put(instance("a", "{}")), Ok(Change::Unchanged));
        assert_eq!(table.put(instance("a", r#"{"v":2}"#)), Ok(Change::Updated));
        let status = table.get("a").unwrap().status();
        assert_eq!((status.last_webhook_at_ms, status.reason.as_deref()), (seen, Some("why")));
    }

    #[test]
    fn replacing_reports_every_change() {
        let table = InstanceTable::new(vec![instance("keep", "{}"), instance("change", "{}"), instance("drop", "{}")]);
        let kept = table.get("keep").unwrap();
        let reload = table
            .replace(vec![instance("keep", "{}"), instance("change", "{\"v\":1}"), instance("new", "{}")])
            .unwrap();
        assert_eq!(
            reload,
            Reload {
                added: vec!["new".into()],
                updated: vec!["change".into()],
                removed: vec!["drop".into()],
                unchanged: vec!["keep".into()],
            }
        );
        assert!(Arc::ptr_eq(&kept, &table.get("keep").unwrap()), "an unchanged instance is not rebuilt");
        let ids: Vec<String> = table.snapshot().iter().map(|i| i.id().to_owned()).collect();
        assert_eq!(ids, ["keep", "change", "new"]);
    }
}
