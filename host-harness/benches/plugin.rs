//! What the sandbox costs: one signed text webhook (a message.received event) handled by the
//! same plugin logic natively, in a reused component instance, and in a fresh instance per call
//! (what `serve` does) with and without the pooling allocator; instantiation alone; loading a
//! precompiled component. `cargo bench -p omni-host`; figures in BENCHMARKS.md.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use omni_host::WHATSAPP_CLOUD_COMPONENT;
use omni_host::bindings::types::Instance;
use omni_host::bindings::webhook::{DeliveryLimits, IncomingRequest};
use omni_host::capabilities::{Capabilities, EgressPolicy, EventSink, OmniEvent, SinkError};
use omni_host::runtime::{PluginRuntime, RuntimeConfig};
use omni_host::signing::hub_signature;

const SECRET: &str = "bench-app-secret";
const CONFIG: &str = r#"{"appSecret":"bench-app-secret","webhookVerifyToken":"t","phoneNumberId":"106540352242922","businessAccountId":"102290129340398","accessToken":"EAAbench","graphBaseUrl":"http://127.0.0.1:9"}"#;
const BODY: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Kerry Fisher"},"wa_id":"16315551234"}],"messages":[{"from":"16315551234","id":"wamid.ABGGFlCGg0cvAgo-sJQh43L5Pe4W","timestamp":"1603059201","text":{"body":"Hello, is the shop open on Sunday?"},"type":"text"}]},"field":"messages"}]}]}"#;

/// Accepts and forgets events: the bench measures the plugin, not a bus.
struct Discard;

impl EventSink for Discard {
    fn publish(&self, _: &[OmniEvent], _: std::time::Instant) -> Result<(), SinkError> {
        Ok(())
    }
}

fn caps() -> Capabilities {
    Capabilities {
        http: None,
        egress: EgressPolicy::deny_all(),
        max_response_bytes: 0,
        events: Some(Arc::new(Discard)),
        instances: vec!["bench".into()],
        channel_type: "whatsapp-cloud".into(),
        media_links: None,
    }
}

fn request() -> IncomingRequest {
    IncomingRequest {
        method: "POST".into(),
        path: "/webhooks/whatsapp-cloud/bench".into(),
        query: String::new(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-hub-signature-256".into(), hub_signature(SECRET.as_bytes(), BODY.as_bytes())),
        ],
        body: BODY.as_bytes().to_vec(),
    }
}

fn instance() -> Instance {
    Instance { id: "bench".into(), config: CONFIG.into() }
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

/// `serve`'s defaults: 4 MiB bodies, 1 MiB events.
const LIMITS: DeliveryLimits = DeliveryLimits {
    max_body_bytes: omni_host::channel_host::DEFAULT_MAX_WEBHOOK_BODY,
    max_event_bytes: omni_host::capabilities::events::MAX_PAYLOAD_BYTES as u64,
};

fn webhook(c: &mut Criterion) {
    let mut group = c.benchmark_group("signed_text_webhook");

    let native_request = whatsapp_cloud_plugin::wit::webhook::IncomingRequest {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: request().headers,
        body: BODY.as_bytes().to_vec(),
    };
    let native_instance = whatsapp_cloud_plugin::wit::types::Instance { id: "bench".into(), config: CONFIG.into() };
    let native_limits = whatsapp_cloud_plugin::wit::webhook::DeliveryLimits {
        max_body_bytes: LIMITS.max_body_bytes,
        max_event_bytes: LIMITS.max_event_bytes,
    };
    group.bench_function("native", |b| {
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

    let pooled =
        PluginRuntime::new(WHATSAPP_CLOUD_COMPONENT, RuntimeConfig { pooling: Some(16), ..RuntimeConfig::default() })
            .unwrap();
    let on_demand =
        PluginRuntime::new(WHATSAPP_CLOUD_COMPONENT, RuntimeConfig { pooling: None, ..RuntimeConfig::default() })
            .unwrap();
    let (request, instance) = (request(), instance());

    let mut reused = pooled.reusable_instance(caps()).unwrap();
    group.bench_function("component_reused_instance", |b| {
        b.iter(|| assert_eq!(reused.handle_webhook(&instance, &[], &request, LIMITS).unwrap().status, 200))
    });
    group.bench_function("component_fresh_instance_pooling", |b| {
        b.iter(|| assert_eq!(pooled.handle_webhook(caps(), &instance, &[], &request, LIMITS).unwrap().status, 200))
    });
    group.bench_function("component_fresh_instance_on_demand", |b| {
        b.iter(|| assert_eq!(on_demand.handle_webhook(caps(), &instance, &[], &request, LIMITS).unwrap().status, 200))
    });
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
