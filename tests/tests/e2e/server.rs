//! `serve` over real HTTP on loopback: webhooks, the send API, limits, a misbehaving plugin,
//! graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use e2e_tests::server::{Served, TestServer};
use e2e_tests::{APP_SECRET, INSTANCE, fixture, instance_toml, misbehaving_runtime, throughput_limit};
use omni_host::capabilities::events::MemorySink;
use omni_host::channel_host::ChannelHost;
use omni_host::config::HostConfig;
use omni_host::fake_graph::{FakeGraph, ScriptedResponse};
use omni_host::server::ServerOptions;
use omni_host::server::metrics::Metrics;
use omni_host::signing::hub_signature;

const API_TOKEN: &str = "test-api-token";

fn setup() -> Served {
    let options = ServerOptions { api_token: Some(API_TOKEN.into()), ..ServerOptions::default() }.with_concurrency(8);
    Served::start(options, false)
}

fn post_webhook(base: &str, body: &[u8], signature: &str) -> (u16, String) {
    let mut response = TestServer::client()
        .post(format!("{base}/webhooks/whatsapp-cloud/{INSTANCE}"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .send(body)
        .unwrap();
    (response.status().as_u16(), response.body_mut().read_to_string().unwrap_or_default())
}

fn send(base: &str, token: Option<&str>, message: &str) -> (u16, serde_json::Value) {
    let mut request = TestServer::client()
        .post(format!("{base}/api/v1/instances/{INSTANCE}/messages"))
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let mut response = request.send(message).unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap_or_default())
}

#[test]
fn a_signed_webhook_over_http_is_published_and_acknowledged() {
    let s = setup();
    let body = fixture("webhooks/text.json");
    let mut response = TestServer::client()
        .post(format!("{}/webhooks/whatsapp-cloud/{INSTANCE}", s.server.base))
        .header("x-hub-signature-256", hub_signature(APP_SECRET.as_bytes(), &body))
        .header("x-request-id", "meta-delivery-7")
        .send(&body[..])
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers().get("x-request-id").unwrap(), "meta-delivery-7");
    assert_eq!(response.body_mut().read_to_string().unwrap(), r#"{"received":1}"#);
    assert_eq!(s.sink.events()[0].event, "message.received");
    assert_eq!(s.server.metrics.counter("omni_webhook_requests_total", &[("outcome", "ok")]), 1);
    assert_eq!(s.server.metrics.counter("omni_events_published_total", &[("event", "message.received")]), 1);
}

#[test]
fn an_oversize_body_is_413_and_a_wrong_signature_401_with_nothing_published() {
    let s = setup();
    // Refused on its announced length, before a byte of the body is sent.
    let too_long = (omni_host::channel_host::DEFAULT_MAX_WEBHOOK_BODY + 1).to_string();
    let request_line = format!("POST /webhooks/whatsapp-cloud/{INSTANCE} HTTP/1.1");
    assert_eq!(
        s.server.head_only(&request_line, &[("content-length", &too_long), ("x-hub-signature-256", "sha256=00")]),
        413
    );
    let body = fixture("webhooks/text.json");
    let (status, text) = post_webhook(&s.server.base, &body, &hub_signature(b"not the app secret", &body));
    assert_eq!(status, 401, "{text}");
    assert!(s.sink.events().is_empty());
    assert_eq!(s.server.metrics.counter("omni_webhook_requests_total", &[("outcome", "too_large")]), 1);
    assert_eq!(s.server.metrics.counter("omni_webhook_requests_total", &[("outcome", "bad_signature")]), 1);
}

#[test]
fn unknown_instances_are_404() {
    let s = setup();
    let response = TestServer::client()
        .get(format!("{}/webhooks/whatsapp-cloud/nobody?hub.mode=subscribe", s.server.base))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(s.server.metrics.counter("omni_webhook_requests_total", &[("instance", "unknown")]), 1);
}

#[test]
fn the_send_api_needs_its_token_and_answers_receipts_or_typed_errors() {
    let s = setup();
    let hello = r#"{"to": "+1 650 555 1234", "content": {"type": "text", "text": "hello"}, "metadata": {"correlationId": "omni-77"}}"#;
    assert_eq!(send(&s.server.base, None, hello).0, 401);
    assert_eq!(send(&s.server.base, Some("guess"), hello).0, 401);
    let (status, receipt) = send(&s.server.base, Some(API_TOKEN), hello);
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(receipt["messageId"], "wamid.FAKE00000001");
    assert_eq!(s.sink.events()[0].metadata.correlation_id, "omni-77");

    s.graph.script(ScriptedResponse::graph_error(400, 131047, "Re-engagement message"));
    let (status, error) = send(&s.server.base, Some(API_TOKEN), hello);
    assert_eq!((status, error["error"].as_str(), error["code"].as_i64()), (502, Some("provider"), Some(131047)));
    let (status, error) =
        send(&s.server.base, Some(API_TOKEN), r#"{"to": "+1 650 555 1234", "content": {"type": "text", "text": ""}}"#);
    assert_eq!((status, error["field"].as_str()), (400, Some("content.text")));
    let (status, _) = send(&s.server.base, Some(API_TOKEN), r#"{"to": 5}"#);
    assert_eq!(status, 400);
    assert_eq!(s.server.metrics.counter("omni_sends_total", &[("outcome", "sent")]), 1);
    assert_eq!(s.server.metrics.counter("omni_sends_total", &[("outcome", "failed")]), 1);

    // A throttle whose estimate outlasts the retry budget: one request, one message.failed.
    s.graph.script(throughput_limit(10));
    let before = s.graph.requests().len();
    let (status, error) = send(&s.server.base, Some(API_TOKEN), hello);
    assert_eq!((status, error["code"].as_i64(), error["retryable"].as_bool()), (502, Some(130429), Some(true)));
    assert_eq!(s.graph.requests().len(), before + 1);
    let throttled: Vec<_> = s
        .sink
        .events()
        .into_iter()
        .filter(|e| e.event == "message.failed" && e.payload()["errorCode"] == "130429")
        .collect();
    assert_eq!(throttled.len(), 1, "the abandoned send reports its failure once");
    assert_eq!(throttled[0].payload()["retryable"], true);
}

#[test]
fn media_and_read_receipts_through_the_api() {
    let s = setup();
    let id = s.graph.store_media(b"\x89PNG\r\n\x1a\n a picture", "image/png");
    let mut response = TestServer::client()
        .get(format!("{}/api/v1/instances/{INSTANCE}/media/{id}", s.server.base))
        .header("authorization", format!("Bearer {API_TOKEN}"))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers().get("content-type").unwrap(), "image/png");
    assert_eq!(response.headers().get("x-content-sha256").unwrap().len(), 64);
    assert_eq!(response.body_mut().read_to_vec().unwrap(), b"\x89PNG\r\n\x1a\n a picture");

    let response = TestServer::client()
        .post(format!("{}/api/v1/instances/{INSTANCE}/messages/wamid.IN1/read", s.server.base))
        .header("authorization", format!("Bearer {API_TOKEN}"))
        .send(r#"{"typing": true}"#)
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(s.graph.requests().last().unwrap().json()["typing_indicator"]["type"], "text");
}

#[test]
fn shutting_down_finishes_the_requests_in_flight() {
    let mut s = setup();
    let slow = ScriptedResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: br#"{"messaging_product":"whatsapp","messages":[{"id":"wamid.SLOW"}]}"#.to_vec(),
        delay: Some(Duration::from_millis(1500)),
    };
    s.graph.script(slow);
    let base = s.server.base.clone();
    let in_flight = std::thread::spawn(move || {
        send(&base, Some(API_TOKEN), r#"{"to": "16505551234", "content": {"type": "text", "text": "slow"}}"#)
    });
    std::thread::sleep(Duration::from_millis(400));
    s.server.shut_down();
    let (status, receipt) = in_flight.join().unwrap();
    assert_eq!((status, receipt["messageId"].as_str()), (200, Some("wamid.SLOW")));
    assert!(TestServer::client().get(format!("{}/healthz", s.server.base)).call().is_err(), "no longer listening");
}

#[test]
fn health_and_metrics() {
    let s = setup();
    let health: serde_json::Value = serde_json::from_str(
        &TestServer::client()
            .get(format!("{}/healthz", s.server.base))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(health["status"], "ok");
    post_webhook(&s.server.base, b"{}", "sha256=00");
    let metrics = TestServer::client()
        .get(format!("{}/metrics", s.server.base))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(metrics.contains("# TYPE omni_webhook_requests_total counter"));
    assert!(metrics.contains(r#"omni_webhook_requests_total{instance="acme",outcome="bad_signature"} 1"#), "{metrics}");
    assert!(metrics.contains("omni_webhook_duration_seconds_count 1"));
}

/// A server running the misbehaving component (tight limits, see `sandbox_config`).
fn misbehaving_server() -> (TestServer, Arc<MemorySink>) {
    let sink = Arc::new(MemorySink::new());
    let metrics = Metrics::new();
    let config = HostConfig::parse(&instance_toml("victim", "1", "http://127.0.0.1:9")).unwrap();
    let http = Arc::new(omni_host::capabilities::http_client::UreqClient::new(Default::default()));
    let host = ChannelHost::new(misbehaving_runtime(), &config, http, sink.clone()).unwrap();
    let options = ServerOptions { api_token: Some(API_TOKEN.into()), ..ServerOptions::default() }.with_concurrency(4);
    (TestServer::start(TestServer::runtime(), Arc::new(host), metrics, options), sink)
}

/// Posts to the misbehaving channel's webhook (the route is under the plugin's id).
fn post_to(base: &str, instance: &str, query: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut response =
        TestServer::client().post(format!("{base}/webhooks/misbehaving/{instance}{query}")).send(body).unwrap();
    (response.status().as_u16(), response.body_mut().read_to_vec().unwrap())
}

#[test]
fn a_misbehaving_plugin_cannot_stop_the_server() {
    let (server, _) = misbehaving_server();
    for (command, kind) in
        [("loop", "cpu_budget"), ("alloc", "memory_limit"), ("panic", "trap"), ("huge", "output_too_large")]
    {
        let (status, _) = post_to(&server.base, "victim", "", command.as_bytes());
        assert_eq!(status, 500, "{command}");
        assert_eq!(server.metrics.counter("omni_plugin_failures_total", &[("kind", kind)]), 1, "{command}");
        let (status, body) = post_to(&server.base, "victim", "", b"still there?");
        assert_eq!((status, body.as_slice()), (200, &b"still there?"[..]), "after {command}");
    }
}

#[test]
fn a_plugin_that_traps_validating_an_instance_is_a_server_error_not_a_refusal() {
    let (server, _) = misbehaving_server();
    let put = |config: &str| {
        let mut response = TestServer::client()
            .put(format!("{}/api/v1/instances/other", server.base))
            .header("authorization", &format!("Bearer {API_TOKEN}"))
            .header("content-type", "application/json")
            .send(format!(r#"{{"config":{config}}}"#))
            .unwrap();
        let body: serde_json::Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        (response.status().as_u16(), body)
    };
    let (status, body) = put(r#"{"trap":true}"#);
    assert_eq!((status, body["error"].as_str()), (500, Some("plugin-failed")), "{body}");
    assert_eq!(server.metrics.counter("omni_plugin_failures_total", &[("kind", "trap")]), 1);
    let (status, body) = put("{}");
    assert_eq!((status, body["change"].as_str()), (201, Some("added")), "{body}");
}

#[test]
fn a_webhook_over_the_inline_budget_finishes_on_a_blocking_thread() {
    let (server, _) = misbehaving_server();
    // 100 million dependent multiply-adds: far over the 25 ms an inline attempt may compute,
    // far under the 300 ms budget of the sandbox runtime.
    let (status, _) = post_to(&server.base, "victim", "", b"spin:100");
    assert_eq!(status, 200);
    assert_eq!(server.metrics.counter("omni_plugin_failures_total", &[("kind", "cpu_budget")]), 0);
}

#[test]
fn egress_outside_the_allowlist_is_refused_by_the_server() {
    let (server, _) = misbehaving_server();
    let outside = FakeGraph::start("misbehaving", "1").unwrap();
    let (status, body) = post_to(&server.base, "victim", &format!("?{}/steal", outside.base_url()), b"slow-host");
    assert_eq!((status, body.as_slice()), (200, &b"599"[..]), "the plugin's request failed");
    assert!(outside.requests().is_empty(), "nothing reached the outside server");
}
