//! What the host counted since it started, for omni's health checks (`Host.stats()`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use omni_host::calls::{CallObserver, Calls, Lane};
use serde_json::{Value, json};

/// Calls refused for want of capacity, and plugin failures by kind.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) shed: AtomicU64,
    pub(crate) plugin_failures: Mutex<BTreeMap<&'static str, u64>>,
}

impl CallObserver for Counters {
    fn shed(&self, _lane: Lane) {
        self.shed.fetch_add(1, Ordering::Relaxed);
    }
    fn failed(&self, kind: &'static str) {
        *self.plugin_failures.lock().unwrap_or_else(|e| e.into_inner()).entry(kind).or_default() += 1;
    }
}

impl Counters {
    /// Calls by lane, calls refused for want of capacity, plugin failures by kind, the
    /// instances.
    pub(crate) fn describe(&self, calls: &Calls, instances: &[String]) -> Value {
        let lanes: serde_json::Map<String, Value> = calls
            .usage()
            .into_iter()
            .map(|(lane, running, capacity)| {
                (lane.name().to_owned(), json!({ "running": running, "capacity": capacity }))
            })
            .collect();
        let failures = self.plugin_failures.lock().unwrap_or_else(|e| e.into_inner()).clone();
        json!({
            "lanes": lanes,
            "shed": self.shed.load(Ordering::Relaxed),
            "pluginFailures": failures,
            "instances": instances,
        })
    }
}
