//! What the sandbox costs, on the payloads every benchmark shares (`bench/payloads`: a text, a
//! status, a batch of 20 messages, a literal UTF-8 text), each handled:
//!
//! - `floor`: the least any handler does — HMAC-SHA256 over the body and a typed, borrowing
//!   parse of the fields an event needs (no event built);
//! - `native`: the plugin's own modules compiled for the host;
//! - `component_reused`: the component, one instance kept across calls;
//! - `component_fresh`: a fresh instance per call with the pooling allocator (what `serve`
//!   does), and `component_fresh_on_demand` without it.
//!
//! Also instantiation alone and loading a precompiled component. `cargo bench -p omni-host
//! --bench plugin`; figures in BENCHMARKS.md.

use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use omni_host::WHATSAPP_CLOUD_COMPONENT;
use omni_host::bindings::types::Instance;
use omni_host::bindings::webhook::{DeliveryLimits, IncomingRequest};
use omni_host::capabilities::events::NullSink;
use omni_host::capabilities::{Capabilities, EgressPolicy};
use omni_host::runtime::{PluginRuntime, RuntimeConfig};
use omni_host::signing::hub_signature;

const SECRET: &str = "bench-app-secret";
const CONFIG: &str = r#"{"appSecret":"bench-app-secret","webhookVerifyToken":"t","phoneNumberId":"106540352242922","businessAccountId":"102290129340398","accessToken":"EAAbench","graphBaseUrl":"http://127.0.0.1:9"}"#;

/// The shared payloads, by name, and the events each must give.
const PAYLOADS: &[(&str, &[u8], usize)] = &[
    ("text", include_bytes!("../../bench/payloads/text.json"), 1),
    ("status", include_bytes!("../../bench/payloads/status.json"), 1),
    ("batch20", include_bytes!("../../bench/payloads/batch20.json"), 20),
    ("non_ascii", include_bytes!("../../bench/payloads/non_ascii.json"), 1),
];

/// `serve`'s defaults: 4 MiB bodies, 1 MiB events.
const LIMITS: DeliveryLimits = DeliveryLimits {
    max_body_bytes: omni_host::channel_host::DEFAULT_MAX_WEBHOOK_BODY,
    max_event_bytes: omni_host::capabilities::events::MAX_PAYLOAD_BYTES as u64,
};

fn caps() -> Capabilities {
    Capabilities {
        http: None,
        egress: EgressPolicy::deny_all(),
        max_response_bytes: 0,
        events: Some(Arc::new(NullSink)),
        instances: vec!["bench".into()],
        channel_type: "whatsapp-cloud".into(),
        media_links: None,
    }
}

fn request(body: &[u8]) -> IncomingRequest {
    IncomingRequest {
        method: "POST".into(),
        path: "/webhooks/whatsapp-cloud/bench".into(),
        query: String::new(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-hub-signature-256".into(), hub_signature(SECRET.as_bytes(), body)),
        ],
        body: body.to_vec(),
    }
}

fn instance() -> Instance {
    Instance { id: "bench".into(), config: CONFIG.into() }
}

mod floor {
    //! The floor: what every webhook handler must do at least — check the signature and read
    //! the fields an event needs — in plain Rust, typed and borrowing, building nothing.
    use hmac::{KeyInit, Mac};
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Notification<'a> {
        #[serde(borrow)]
        entry: Vec<Entry<'a>>,
    }
    #[derive(Deserialize)]
    struct Entry<'a> {
        #[serde(borrow)]
        changes: Vec<Change<'a>>,
    }
    #[derive(Deserialize)]
    struct Change<'a> {
        #[serde(borrow)]
        value: Value<'a>,
    }
    #[derive(Deserialize)]
    struct Value<'a> {
        #[serde(borrow, default)]
        messages: Vec<Item<'a>>,
        #[serde(borrow, default)]
        statuses: Vec<Item<'a>>,
    }
    #[derive(Deserialize)]
    struct Item<'a> {
        id: &'a str,
        #[serde(borrow, default)]
        from: Option<&'a str>,
        #[serde(borrow, default)]
        timestamp: Option<&'a str>,
        #[serde(borrow, default)]
        text: Option<Text<'a>>,
    }
    #[derive(Deserialize)]
    struct Text<'a> {
        #[serde(borrow)]
        body: std::borrow::Cow<'a, str>,
    }

    /// The items read, once the signature holds.
    pub fn handle(secret: &[u8], signature: &str, body: &[u8]) -> usize {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key length");
        mac.update(body);
        let expected = hex::decode(signature.trim_start_matches("sha256=")).expect("hex");
        mac.verify_slice(&expected).expect("the signature holds");
        let notification: Notification<'_> = serde_json::from_slice(body).expect("a notification");
        let items = notification
            .entry
            .iter()
            .flat_map(|e| &e.changes)
            .flat_map(|c| c.value.messages.iter().chain(&c.value.statuses));
        items.fold(0, |read, i| {
            std::hint::black_box((i.id, i.from, i.timestamp, i.text.as_ref().map(|t| &t.body)));
            read + 1
        })
    }
}

mod native {
    //! The plugin's own modules, compiled for the host, behind a host that drops events.
    use whatsapp_cloud_plugin::host::Host;
    use whatsapp_cloud_plugin::wit::events::{Event, PublishError};
    use whatsapp_cloud_plugin::wit::logging::Level;
    use whatsapp_cloud_plugin::wit::outbound_http::{HttpError, Request, Response};

    pub struct NullHost;

    impl Host for NullHost {
        fn send_http(&self, _: &Request) -> Result<Response, HttpError> {
            Err(HttpError::Other("no network".into()))
        }
        fn publish(&self, events: &[Event]) -> Result<(), PublishError> {
            std::hint::black_box(events);
            Ok(())
        }
        fn log(&self, _: Level, _: &str) {}
    }
}

fn webhook(c: &mut Criterion) {
    let pooled =
        PluginRuntime::new(WHATSAPP_CLOUD_COMPONENT, RuntimeConfig { pooling: Some(16), ..RuntimeConfig::default() })
            .unwrap();
    let on_demand =
        PluginRuntime::new(WHATSAPP_CLOUD_COMPONENT, RuntimeConfig { pooling: None, ..RuntimeConfig::default() })
            .unwrap();
    let instance = instance();
    let native_instance = whatsapp_cloud_plugin::wit::types::Instance { id: "bench".into(), config: CONFIG.into() };
    let native_limits = whatsapp_cloud_plugin::wit::webhook::DeliveryLimits {
        max_body_bytes: LIMITS.max_body_bytes,
        max_event_bytes: LIMITS.max_event_bytes,
    };
    let mut reused = pooled.reusable_instance(caps()).unwrap();

    let mut group = c.benchmark_group("webhook");
    for &(name, body, events) in PAYLOADS {
        let request = request(body);
        let signature = request.headers[1].1.clone();
        group.bench_function(BenchmarkId::new("floor", name), |b| {
            b.iter(|| assert_eq!(floor::handle(SECRET.as_bytes(), &signature, body), events))
        });
        let native_request = whatsapp_cloud_plugin::wit::webhook::IncomingRequest {
            method: request.method.clone(),
            path: request.path.clone(),
            query: String::new(),
            headers: request.headers.clone(),
            body: body.to_vec(),
        };
        group.bench_function(BenchmarkId::new("native", name), |b| {
            b.iter(|| {
                let response = whatsapp_cloud_plugin::webhook::handle(
                    &native::NullHost,
                    &native_instance,
                    &[],
                    &native_request,
                    &native_limits,
                );
                assert_eq!(response.status, 200);
            })
        });
        group.bench_function(BenchmarkId::new("component_reused", name), |b| {
            b.iter(|| assert_eq!(reused.handle_webhook(&instance, &[], &request, LIMITS).unwrap().status, 200))
        });
        group.bench_function(BenchmarkId::new("component_fresh", name), |b| {
            b.iter(|| assert_eq!(pooled.handle_webhook(caps(), &instance, &[], &request, LIMITS).unwrap().status, 200))
        });
        group.bench_function(BenchmarkId::new("component_fresh_on_demand", name), |b| {
            b.iter(|| {
                assert_eq!(on_demand.handle_webhook(caps(), &instance, &[], &request, LIMITS).unwrap().status, 200)
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("instantiate");
    group.bench_function("pooling", |b| b.iter(|| pooled.check_instantiation().unwrap()));
    group.bench_function("on_demand", |b| b.iter(|| on_demand.check_instantiation().unwrap()));
    group.finish();
}

fn load(c: &mut Criterion) {
    let config = RuntimeConfig { pooling: None, ..RuntimeConfig::default() };
    let precompiled = PluginRuntime::precompile(WHATSAPP_CLOUD_COMPONENT, &config).unwrap();
    let engine = omni_host::runtime::engine(&config).unwrap();
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.bench_function("deserialize_precompiled", |b| {
        // SAFETY: the bytes come from `precompile` with the same engine settings.
        b.iter(|| unsafe { wasmtime::component::Component::deserialize(&engine, &precompiled) }.unwrap())
    });
    group.bench_function("compile_from_wasm", |b| {
        b.iter(|| wasmtime::component::Component::new(&engine, WHATSAPP_CLOUD_COMPONENT).unwrap())
    });
    group.finish();
}

criterion_group!(benches, webhook, load);
criterion_main!(benches);
