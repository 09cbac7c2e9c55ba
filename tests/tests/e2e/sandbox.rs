//! A misbehaving plugin cannot take the host down: each failure ends its own call, and the next
//! call runs in a clean instance.

use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e_tests::{get, misbehaving_runtime, post};
use omni_host::bindings::types::Instance;
use omni_host::capabilities::events::MemorySink;
use omni_host::capabilities::http_client::{ClientConfig, UreqClient};
use omni_host::capabilities::{Capabilities, EgressPolicy, EventSink};
use omni_host::fake_graph::{FakeGraph, ScriptedResponse};
use omni_host::runtime::PluginError;

fn instance() -> Instance {
    Instance { id: "victim".into(), config: "{}".into() }
}

fn caps(sink: &Arc<MemorySink>) -> Capabilities {
    Capabilities {
        events: Some(sink.clone() as Arc<dyn EventSink>),
        instances: vec!["victim".into()],
        channel_type: "misbehaving".into(),
        ..Capabilities::none()
    }
}

fn call(body: &str) -> Result<omni_host::bindings::webhook::OutgoingResponse, PluginError> {
    let sink = Arc::new(MemorySink::new());
    misbehaving_runtime().handle_webhook(
        caps(&sink),
        &instance(),
        &[],
        &post(body.as_bytes(), &[]),
        e2e_tests::delivery_limits(),
    )
}

/// The plugin still answers normally.
fn assert_healthy() {
    let response = call("still alive?").expect("a clean instance after the failure");
    assert_eq!((response.status, response.body.as_slice()), (200, &b"still alive?"[..]));
}

#[test]
fn an_infinite_loop_is_stopped_by_the_cpu_budget() {
    let started = Instant::now();
    let error = call("loop").unwrap_err();
    assert!(matches!(error, PluginError::CpuBudget), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(30), "stopped, not hung");
    assert_healthy();
}

#[test]
fn unbounded_allocation_is_stopped_by_the_memory_limit() {
    let error = call("alloc").unwrap_err();
    assert!(matches!(error, PluginError::MemoryLimit), "{error:?}");
    assert_healthy();
}

#[test]
fn a_panic_is_a_trap_confined_to_its_call() {
    let error = call("panic").unwrap_err();
    assert!(matches!(error, PluginError::Trap(_)), "{error:?}");
    assert_healthy();
}

#[test]
fn an_oversize_response_is_refused() {
    let error = call("huge").unwrap_err();
    assert!(matches!(error, PluginError::OutputTooLarge(n) if n > 8_000_000), "{error:?}");
    assert_healthy();
}

#[test]
fn events_for_other_instances_are_refused() {
    let sink = Arc::new(MemorySink::new());
    let response = misbehaving_runtime()
        .handle_webhook(caps(&sink), &instance(), &[], &post(b"foreign-event", &[]), e2e_tests::delivery_limits())
        .unwrap();
    assert_eq!(response.status, 403, "the plugin saw a typed refusal");
    assert!(String::from_utf8_lossy(&response.body).contains("Rejected"));
    assert!(sink.events().is_empty());
}

#[test]
fn egress_outside_the_allowlist_is_refused() {
    let graph = FakeGraph::start("misbehaving", "1").unwrap();
    let sink = Arc::new(MemorySink::new());
    let caps = Capabilities {
        http: Some(Arc::new(UreqClient::new(ClientConfig::default()))),
        egress: EgressPolicy::deny_all(),
        max_response_bytes: 1 << 20,
        ..caps(&sink)
    };
    let mut request = post(b"slow-host", &[]);
    request.query = format!("{}/anything", graph.base_url());
    let response =
        misbehaving_runtime().handle_webhook(caps, &instance(), &[], &request, e2e_tests::delivery_limits()).unwrap();
    assert_eq!(response.body, b"599", "the request failed in the plugin");
    assert!(graph.requests().is_empty(), "nothing left the host");
}

#[test]
fn time_spent_in_the_host_does_not_count_against_the_guest() {
    let graph = FakeGraph::start("misbehaving", "1").unwrap();
    // Longer than the 300 ms CPU budget of the sandbox runtime.
    graph.script(ScriptedResponse::graph_error(200, 0, "slow").delayed(Duration::from_millis(900)));
    let sink = Arc::new(MemorySink::new());
    let caps = Capabilities {
        http: Some(Arc::new(UreqClient::new(ClientConfig::default()))),
        egress: EgressPolicy::deny_all()
            .allow(omni_host::capabilities::egress::Origin::parse(&graph.base_url()).unwrap()),
        max_response_bytes: 1 << 20,
        ..caps(&sink)
    };
    let mut request = get("");
    request.method = "POST".into();
    request.body = b"slow-host".to_vec();
    request.query = format!("{}/anything", graph.base_url());
    let response =
        misbehaving_runtime().handle_webhook(caps, &instance(), &[], &request, e2e_tests::delivery_limits()).unwrap();
    assert_eq!(response.body, b"200", "the call completed after the slow response");
    assert_eq!(graph.requests().len(), 1);
}

#[test]
fn a_call_over_a_short_budget_is_stopped_and_finishes_under_the_full_one() {
    let sink = Arc::new(MemorySink::new());
    // 30 million iterations: well over 2 ms of computation, well under the 300 ms budget.
    let request = post(b"spin:30", &[]);
    let limits = e2e_tests::delivery_limits();
    let runtime = misbehaving_runtime();
    let short =
        runtime.handle_webhook_within(caps(&sink), &instance(), &[], &request, limits, Duration::from_millis(2));
    assert!(matches!(short, Err(PluginError::CpuBudget)), "{short:?}");
    let full = runtime.handle_webhook(caps(&sink), &instance(), &[], &request, limits).expect("within the full budget");
    assert_eq!(full.status, 200);
}
