//! Runs one signed webhook through a component many times, for profilers and instruction
//! counters (`bench/callgrind/run.sh`; `OMNI_HOST_PERF_MAP=1 perf record ...`), which need a
//! plain loop rather than criterion's harness.
//!
//! `cargo run --release -p omni-host --example webhook_loop -- COMPONENT.wasm PAYLOAD N [fresh]`
//! where PAYLOAD names a file of `bench/payloads` (`text`, `batch20`...). Prints µs per call.
//! `--no-pool` (or `NO_POOL=1`) allocates instances on demand, as valgrind needs.

use std::sync::Arc;

use omni_host::bindings::types::Instance;
use omni_host::bindings::webhook::{DeliveryLimits, IncomingRequest};
use omni_host::capabilities::events::NullSink;
use omni_host::capabilities::{Capabilities, EgressPolicy};
use omni_host::runtime::{PluginRuntime, RuntimeConfig};

const CONFIG: &str = r#"{"appSecret":"bench-app-secret","webhookVerifyToken":"t","phoneNumberId":"106540352242922","businessAccountId":"102290129340398","accessToken":"EAAbench","graphBaseUrl":"http://127.0.0.1:9"}"#;

fn caps() -> Capabilities {
    Capabilities {
        events: Some(Arc::new(NullSink)),
        instances: vec!["bench".into()],
        channel_type: "whatsapp-cloud".into(),
        egress: EgressPolicy::deny_all(),
        ..Capabilities::none()
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, component, payload, iterations, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: webhook_loop COMPONENT.wasm PAYLOAD ITERATIONS [fresh] [--no-pool]");
    };
    let fresh = rest.iter().any(|a| a == "fresh");
    let pooling =
        if rest.iter().any(|a| a == "--no-pool") || std::env::var_os("NO_POOL").is_some() { None } else { Some(4) };
    let iterations: usize = iterations.parse()?;
    let body = std::fs::read(format!("{}/../bench/payloads/{payload}.json", env!("CARGO_MANIFEST_DIR")))?;
    let runtime =
        PluginRuntime::new(&std::fs::read(component)?, RuntimeConfig { pooling, ..RuntimeConfig::default() })?;
    let instance = Instance { id: "bench".into(), config: CONFIG.into() };
    let signature = omni_host::signing::hub_signature(b"bench-app-secret", &body);
    let request = IncomingRequest {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![("x-hub-signature-256".into(), signature)],
        body,
    };
    let limits = DeliveryLimits { max_body_bytes: 4 << 20, max_event_bytes: 1 << 20 };
    let mut reused = runtime.reusable_instance(caps())?;
    let started = std::time::Instant::now();
    for _ in 0..iterations {
        let response = if fresh {
            runtime.handle_webhook(caps(), &instance, &[], &request, limits)?
        } else {
            reused.handle_webhook(&instance, &[], &request, limits)?
        };
        anyhow::ensure!(response.status == 200, "the webhook answered {}", response.status);
    }
    println!("{:.2} µs per call", started.elapsed().as_secs_f64() * 1e6 / iterations as f64);
    Ok(())
}
