//! Prometheus metrics, kept in memory and rendered in the text exposition format at `/metrics`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::capabilities::{EventSink, OmniEvent, SinkError};
use crate::instances::{ConnectionState, HostedInstance};

/// Every metric: name, type and help text.
const METRICS: &[(&str, &str, &str)] = &[
    ("omni_webhook_requests_total", "counter", "Webhook requests by instance and outcome."),
    ("omni_webhook_duration_seconds", "histogram", "Time to answer a webhook request, plugin and bus included."),
    ("omni_events_published_total", "counter", "Events accepted by the event sink, by event type."),
    ("omni_event_publish_failures_total", "counter", "Batches the event sink did not accept, by reason."),
    ("omni_sends_total", "counter", "Message sends by instance and outcome."),
    ("omni_media_downloads_total", "counter", "Received files served through media links, by instance and outcome."),
    ("omni_plugin_failures_total", "counter", "Plugin calls stopped by the sandbox, by kind."),
    (
        "omni_connections_refused_total",
        "counter",
        "Connections refused at the cap: every open one was being worked on.",
    ),
    (
        "omni_connections_shed_total",
        "counter",
        "Connections closed at the cap to admit a new one (idle, or waiting on their client).",
    ),
    ("omni_config_reloads_total", "counter", "Reloads of the configuration file (SIGHUP), by outcome: ok or refused."),
    (
        "omni_calls_shed_total",
        "counter",
        "Requests refused with 503 after waiting the queue timeout for capacity, by lane.",
    ),
];

/// Series one metric may have. Some label values come from signed payloads (event types name
/// Meta's statuses): past this, new series are counted under the value `other`.
const MAX_SERIES_PER_METRIC: usize = 256;

/// Upper bounds of the webhook latency histogram, in seconds.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// The host's metrics.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, Labels), u64>>,
    webhook_latency: Mutex<Histogram>,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Adds one to a counter.
    pub fn inc(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        debug_assert!(METRICS.iter().any(|(n, ..)| *n == name), "unknown metric {name}");
        let mut counters = self.counters.lock().expect("metrics lock");
        let mut key: (&'static str, Labels) = (name, labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect());
        if !counters.contains_key(&key) && counters.keys().filter(|(n, _)| *n == name).count() >= MAX_SERIES_PER_METRIC
        {
            key.1 = labels.iter().map(|(k, _)| (*k, "other".to_owned())).collect();
        }
        *counters.entry(key).or_default() += 1;
    }

    /// Records a webhook's answer time.
    pub fn observe_webhook(&self, seconds: f64) {
        let mut h = self.webhook_latency.lock().expect("metrics lock");
        if h.counts.is_empty() {
            h.counts = vec![0; BUCKETS.len()];
        }
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    /// The current value of a counter (for tests and the demo).
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        let counters = self.counters.lock().expect("metrics lock");
        counters
            .iter()
            .filter(|((n, l), _)| *n == name && labels.iter().all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v)))
            .map(|(_, v)| *v)
            .sum()
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let counters = self.counters.lock().expect("metrics lock");
        let mut out = String::new();
        for (name, kind, help) in METRICS {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            if *kind == "histogram" {
                let h = self.webhook_latency.lock().expect("metrics lock");
                for (i, bound) in BUCKETS.iter().enumerate() {
                    out.push_str(&format!(
                        "{name}_bucket{{le=\"{bound}\"}} {}\n",
                        h.counts.get(i).copied().unwrap_or(0)
                    ));
                }
                out.push_str(&format!(
                    "{name}_bucket{{le=\"+Inf\"}} {}\n{name}_sum {}\n{name}_count {}\n",
                    h.count, h.sum, h.count
                ));
                continue;
            }
            for ((n, labels), value) in counters.iter().filter(|((n, _), _)| n == name) {
                let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
                out.push_str(&format!("{n}{{{}}} {value}\n", labels.join(",")));
            }
        }
        out
    }
}

/// The gauges of each instance's health, read from its status when `/metrics` is scraped:
/// `omni_instance_connected` (1 connected, 0 disconnected, absent while unknown) and
/// `omni_instance_last_webhook_timestamp_seconds`. One series per configured instance.
pub fn render_instances(instances: &[Arc<HostedInstance>]) -> String {
    let mut connected = String::from(
        "# HELP omni_instance_connected Whether the instance's last connect worked and nothing since said otherwise.\n\
         # TYPE omni_instance_connected gauge\n",
    );
    let mut webhook = String::from(
        "# HELP omni_instance_last_webhook_timestamp_seconds When the instance last answered a webhook with 2xx.\n\
         # TYPE omni_instance_last_webhook_timestamp_seconds gauge\n",
    );
    for instance in instances {
        let status = instance.status();
        let id = escape(instance.id());
        match status.state {
            ConnectionState::Connected => {
                connected.push_str(&format!("omni_instance_connected{{instance=\"{id}\"}} 1\n"))
            }
            ConnectionState::Disconnected => {
                connected.push_str(&format!("omni_instance_connected{{instance=\"{id}\"}} 0\n"))
            }
            ConnectionState::Unknown => {}
        }
        if let Some(at) = status.last_webhook_at_ms {
            let seconds = at as f64 / 1000.0;
            webhook.push_str(&format!("omni_instance_last_webhook_timestamp_seconds{{instance=\"{id}\"}} {seconds}\n"));
        }
    }
    connected + &webhook
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Counts what passes through an event sink.
pub struct CountingSink {
    inner: Arc<dyn EventSink>,
    metrics: Arc<Metrics>,
}

impl CountingSink {
    pub fn new(inner: Arc<dyn EventSink>, metrics: Arc<Metrics>) -> Self {
        Self { inner, metrics }
    }
}

impl CountingSink {
    fn count<'e>(&self, names: impl Iterator<Item = &'e str>, result: &Result<(), SinkError>) {
        match result {
            Ok(()) => {
                for name in names {
                    self.metrics.inc("omni_events_published_total", &[("event", name)]);
                }
            }
            Err(e) => {
                let reason = match e {
                    SinkError::Unavailable(_) => "unavailable",
                    SinkError::Rejected(_) => "rejected",
                    SinkError::Broken(_) => "broken",
                };
                self.metrics.inc("omni_event_publish_failures_total", &[("reason", reason)]);
            }
        }
    }
}

impl EventSink for CountingSink {
    fn ready(&self) -> Result<(), String> {
        self.inner.ready()
    }

    fn publish(&self, events: &[OmniEvent], deadline: Instant) -> Result<(), SinkError> {
        let result = self.inner.publish(events, deadline);
        self.count(events.iter().map(|e| e.event.as_str()), &result);
        result
    }

    fn publish_async<'a>(
        &'a self,
        events: Vec<OmniEvent>,
        deadline: Instant,
    ) -> crate::capabilities::events::PublishFuture<'a> {
        Box::pin(async move {
            let names: Vec<String> = events.iter().map(|e| e.event.clone()).collect();
            let result = self.inner.publish_async(events, deadline).await;
            self.count(names.iter().map(String::as_str), &result);
            result
        })
    }

    fn max_event_bytes(&self) -> usize {
        self.inner.max_event_bytes()
    }

    fn may_block(&self) -> bool {
        self.inner.may_block()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_text_format() {
        let m = Metrics::default();
        m.inc("omni_webhook_requests_total", &[("instance", "a\"b"), ("outcome", "ok")]);
        m.inc("omni_webhook_requests_total", &[("instance", "a\"b"), ("outcome", "ok")]);
        m.observe_webhook(0.003);
        let text = m.render();
        assert!(text.contains("# TYPE omni_webhook_requests_total counter\n"));
        assert!(text.contains("omni_webhook_requests_total{instance=\"a\\\"b\",outcome=\"ok\"} 2\n"));
        assert!(text.contains("omni_webhook_duration_seconds_bucket{le=\"0.0025\"} 0\n"));
        assert!(text.contains("omni_webhook_duration_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("omni_webhook_duration_seconds_count 1\n"));
        assert_eq!(m.counter("omni_webhook_requests_total", &[("outcome", "ok")]), 2);
    }

    #[test]
    fn label_values_from_payloads_cannot_grow_the_series_without_bound() {
        let m = Metrics::default();
        for i in 0..10 * MAX_SERIES_PER_METRIC {
            m.inc("omni_events_published_total", &[("event", &format!("custom.whatsapp-cloud.status.s{i}"))]);
        }
        let series = m.render().lines().filter(|l| l.starts_with("omni_events_published_total{")).count();
        assert_eq!(series, MAX_SERIES_PER_METRIC + 1, "the cap and `other`");
        assert_eq!(m.counter("omni_events_published_total", &[("event", "other")]), 9 * MAX_SERIES_PER_METRIC as u64);
        // Series already known keep counting under their own labels.
        m.inc("omni_events_published_total", &[("event", "custom.whatsapp-cloud.status.s0")]);
        assert_eq!(m.counter("omni_events_published_total", &[("event", "custom.whatsapp-cloud.status.s0")]), 2);
    }
}
