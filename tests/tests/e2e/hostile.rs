//! `serve` under hostile traffic and slow upstreams, on loopback: each test reproduces a defect
//! an attack on the listener found, and shows it fixed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use e2e_tests::nats::NatsServer;
use e2e_tests::server::{Served, TestServer, deliver};
use e2e_tests::text_batch;
use e2e_tests::{
    ACCESS_TOKEN, INSTANCE, PHONE_NUMBER_ID, host_on, host_with, instance_toml, resident_bytes, short_wall_runtime,
    text_message,
};
use omni_host::bindings::messaging::{ChannelError, SendOptions};
use omni_host::capabilities::events::MemorySink;
use omni_host::capabilities::nats::{NatsOptions, NatsSink};
use omni_host::fake_graph::{FakeGraph, ScriptedResponse};
use omni_host::server::metrics::{CountingSink, Metrics};
use omni_host::server::{CallOptions, ConnectionOptions, ServerOptions};
use serde_json::{Value, json};

const API_TOKEN: &str = "hostile-api-token";

/// Endless zeros, streamed: the client never holds the body it sends.
struct Zeros(usize);

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0);
        buf[..n].fill(b'0');
        self.0 -= n;
        Ok(n)
    }
}

#[test]
fn an_unauthenticated_50_mb_api_request_is_refused_without_being_read() {
    let s = Served::start(ServerOptions { api_token: Some(API_TOKEN.into()), ..ServerOptions::default() }, false);
    let fifty_mb = (50u64 << 20).to_string();
    let send_line = format!("POST /api/v1/instances/{INSTANCE}/messages HTTP/1.1");
    // The verdict comes on the head alone: no token is 401, a body over the route's limit 413.
    assert_eq!(s.server.head_only(&send_line, &[("content-length", &fifty_mb)]), 401);
    let bearer = format!("Bearer {API_TOKEN}");
    assert_eq!(s.server.head_only(&send_line, &[("content-length", &fifty_mb), ("authorization", &bearer)]), 413);
    let upload_line = format!("POST /api/v1/instances/{INSTANCE}/media HTTP/1.1");
    assert_eq!(s.server.head_only(&upload_line, &[("content-length", &fifty_mb)]), 401);

    // And streaming the 50 MB regardless: the server answers and never buffers it.
    let before = resident_bytes();
    for _ in 0..4 {
        let result = TestServer::client()
            .post(format!("{}/api/v1/instances/{INSTANCE}/messages", s.server.base))
            .header("content-type", "application/json")
            .send(ureq::SendBody::from_reader(&mut Zeros(50 << 20)));
        // Either the 401 arrives, or the server closed the connection while the client wrote.
        if let Ok(response) = result {
            assert_eq!(response.status().as_u16(), 401);
        }
    }
    let grown = resident_bytes().saturating_sub(before);
    assert!(grown < 8 << 20, "resident memory grew by {grown} bytes for 200 MB of unauthenticated bodies");
    assert!(s.sink.events().is_empty());
}

#[test]
fn idle_connections_over_the_cap_make_room_and_a_signed_webhook_is_answered() {
    let connections = ConnectionOptions {
        max_connections: Some(16),
        header_read_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let s = Served::start(ServerOptions { connections, ..ServerOptions::default() }, false);
    let address = s.server.base.trim_start_matches("http://").to_owned();
    // 24 idle connections against a cap of 16: the oldest idle ones are closed for the newer.
    let idle: Vec<TcpStream> = (0..24).map(|_| TcpStream::connect(&address).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let body = text_batch(1, 20);
    assert_eq!(deliver(&s.server.base, &body), 200, "the webhook gets in while idle connections hold the cap");
    assert_eq!(s.sink.events().len(), 1);
    // Every idle connection is closed by the server: shed at the cap, or at the header timeout.
    for mut stream in idle {
        stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let mut byte = [0u8; 1];
        let read = stream.read(&mut byte);
        assert!(matches!(read, Ok(0) | Err(_)), "an idle connection stayed open: {read:?}");
    }
    let health = TestServer::client().get(format!("{}/healthz", s.server.base)).call().unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

#[test]
fn a_slow_body_is_cut_off_at_its_deadline() {
    let options = ServerOptions { body_read_timeout: Duration::from_millis(500), ..ServerOptions::default() };
    let s = Served::start(options, false);
    let mut stream = TcpStream::connect(s.server.base.trim_start_matches("http://")).unwrap();
    let head = format!(
        "POST /webhooks/whatsapp-cloud/{INSTANCE} HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\nx-hub-signature-256: sha256=00\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    // Trickle a few bytes, then stop: the server must not wait for the rest.
    stream.write_all(b"{\"obj").unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "the body is said to be too slow: {answer}");
    assert!(s.sink.events().is_empty());
}

#[test]
fn large_deliveries_on_a_busy_machine_are_not_failed_by_queueing_for_a_core() {
    // A budget of 250 ms, for deliveries that compute for ~60 ms alone: the ratio of the 2 s
    // default to the 0.41 s of the largest deliveries, at a size a test can afford.
    let s = Served::start_with(e2e_tests::tight_budget_runtime(), ServerOptions::default(), false);
    // Keep both cores busy, as other work on the machine would.
    let stop = Arc::new(AtomicBool::new(false));
    let burners: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            })
        })
        .collect();
    let body = Arc::new(text_batch(1_000, 40));
    let ok = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..32)
        .map(|_| {
            let (base, body, ok) = (s.server.base.clone(), body.clone(), ok.clone());
            std::thread::spawn(move || {
                if deliver(&base, &body) == 200 {
                    ok.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for burner in burners {
        burner.join().unwrap();
    }
    assert_eq!(ok.load(Ordering::Relaxed), 32, "every delivery answered 200");
    assert_eq!(s.server.metrics.counter("omni_plugin_failures_total", &[]), 0);
}

#[test]
fn webhooks_never_wait_behind_sends_stuck_on_a_slow_graph_api() {
    let s = Served::start(ServerOptions { api_token: Some(API_TOKEN.into()), ..ServerOptions::default() }, false);
    for _ in 0..70 {
        s.graph
            .script(ScriptedResponse::graph_error(500, 131000, "Something went wrong").delayed(Duration::from_secs(3)));
    }
    let done = Arc::new(AtomicUsize::new(0));
    let sends: Vec<_> = (0..70)
        .map(|i| {
            let (base, done) = (s.server.base.clone(), done.clone());
            std::thread::spawn(move || {
                let message = json!({"to": "16505551234", "content": {"type": "text", "text": format!("stuck {i}")}});
                let _ = TestServer::client()
                    .post(format!("{base}/api/v1/instances/{INSTANCE}/messages"))
                    .header("authorization", format!("Bearer {API_TOKEN}"))
                    .send(message.to_string());
                done.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(deliver(&s.server.base, &text_batch(1, 20)), 200);
    let verification = TestServer::client()
        .get(format!(
            "{}/webhooks/whatsapp-cloud/{INSTANCE}?hub.mode=subscribe&hub.challenge=42&hub.verify_token={}",
            s.server.base,
            e2e_tests::VERIFY_TOKEN
        ))
        .call()
        .unwrap();
    assert_eq!(verification.status().as_u16(), 200);
    assert_eq!(
        done.load(Ordering::Relaxed),
        0,
        "the webhook and the verification were answered while every send was stuck"
    );
    for send in sends {
        send.join().unwrap();
    }
}

#[test]
fn a_two_and_a_half_megabyte_batch_is_accepted_and_mapped_whole() {
    let s = Served::start(ServerOptions::default(), false);
    let body = text_batch(4_000, 560);
    assert!(body.len() > 5 << 19, "{} bytes, 2.5 MiB wanted", body.len());
    assert_eq!(deliver(&s.server.base, &body), 200);
    assert_eq!(s.sink.events().len(), 4_000);
}

#[test]
fn one_oversized_item_never_costs_the_rest_of_the_delivery() {
    let s = Served::start(ServerOptions::default(), false);
    let mut body: Value = serde_json::from_slice(&text_batch(3, 10)).unwrap();
    let value = &mut body["entry"][0]["changes"][0]["value"];
    value["messages"][1]["text"]["body"] = json!("x".repeat(600_000));
    value["statuses"] = json!([{"id": "wamid.OUT", "status": "s".repeat(250), "timestamp": "1750263800", "recipient_id": "16505551234"}]);
    let body = serde_json::to_vec(&body).unwrap();
    assert_eq!(deliver(&s.server.base, &body), 200);
    let events = s.sink.events();
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        ["message.received", "message.received", "message.received", "custom.whatsapp-cloud.status.unknown"]
    );
    // The 600 KB text is published without its raw copy; the odd status under a bounded name.
    assert_eq!(events[1].payload()["rawPayload"]["truncated"], true);
    assert_eq!(events[1].payload()["content"]["text"].as_str().map(str::len), Some(600_000));
    assert_eq!(events[3].payload()["providerStatus"].as_str().map(str::len), Some(250));
}

#[test]
fn an_event_over_the_nats_servers_max_payload_is_reported_not_redelivered_forever() {
    let Some(nats) = NatsServer::start_with(Some(64 << 10)) else { return };
    let runtime = TestServer::runtime();
    let options = NatsOptions { stream: "OMNI_HOSTILE_TEST".into(), ..NatsOptions::for_channel("whatsapp-cloud") };
    let sink = runtime.block_on(NatsSink::connect(&nats.url(), &options)).expect("connects to NATS");
    let metrics = Metrics::new();
    let sink = Arc::new(CountingSink::new(Arc::new(sink), metrics.clone()));
    let host = host_with(&instance_toml(INSTANCE, PHONE_NUMBER_ID, "http://127.0.0.1:9"), Duration::from_secs(2), sink);
    let server = TestServer::start(runtime, Arc::new(host), metrics.clone(), ServerOptions::default());
    let mut body: Value = serde_json::from_slice(&text_batch(2, 10)).unwrap();
    body["entry"][0]["changes"][0]["value"]["messages"][1]["text"]["body"] = json!("y".repeat(100_000));
    let body = serde_json::to_vec(&body).unwrap();
    assert_eq!(deliver(&server.base, &body), 200, "acknowledged: redelivering cannot make the event smaller");
    assert_eq!(metrics.counter("omni_events_published_total", &[("event", "message.received")]), 1);
    assert_eq!(
        metrics.counter("omni_events_published_total", &[("event", "custom.whatsapp-cloud.webhook.unpublishable")]),
        1
    );
}

#[test]
fn a_calls_wall_clock_bound_covers_the_graph_requests_it_makes() {
    let graph = FakeGraph::start(ACCESS_TOKEN, PHONE_NUMBER_ID).expect("fake Graph API starts");
    let toml = instance_toml(INSTANCE, PHONE_NUMBER_ID, &graph.base_url());
    // The HTTP client would wait 10 s; the call's bound is 1 s.
    let host = host_on(short_wall_runtime(), &toml, Duration::from_secs(10), Arc::new(MemorySink::new()));
    let options = SendOptions { correlation_id: "wall-1".into() };
    let message = text_message("16505551234", "hi");
    assert!(
        host.send_message(INSTANCE, &message, &options, None).unwrap().is_ok(),
        "a prompt answer is within the bound"
    );
    graph.script(ScriptedResponse::normal().delayed(Duration::from_secs(3)));
    let error = host.send_message(INSTANCE, &message, &options, None).unwrap().unwrap_err().error;
    assert!(matches!(error, ChannelError::OutcomeUnknown(_)), "{error:?}");
}

#[test]
fn a_call_that_finds_no_capacity_in_time_is_refused_as_busy_and_retryable() {
    let calls =
        CallOptions { egress_concurrency: 1, queue_timeout: Duration::from_millis(300), ..CallOptions::default() };
    let options = ServerOptions { api_token: Some(API_TOKEN.into()), calls, ..ServerOptions::default() };
    let s = Served::start(options, false);
    s.graph.script(ScriptedResponse::normal().delayed(Duration::from_secs(3)));
    let send = |text: &str| {
        let message = json!({"to": "16505551234", "content": {"type": "text", "text": text}});
        TestServer::client()
            .post(format!("{}/api/v1/instances/{INSTANCE}/messages", s.server.base))
            .header("authorization", format!("Bearer {API_TOKEN}"))
            .send(message.to_string())
            .unwrap()
    };
    std::thread::scope(|scope| {
        let stuck = scope.spawn(|| send("first").status().as_u16());
        std::thread::sleep(Duration::from_millis(300));
        let mut refused = send("second");
        assert_eq!(refused.status().as_u16(), 503);
        let body: Value = serde_json::from_str(&refused.body_mut().read_to_string().unwrap()).unwrap();
        assert_eq!((body["error"].as_str(), body["retryable"].as_bool()), (Some("busy"), Some(true)));
        // The webhook lane is not the one that is full.
        assert_eq!(deliver(&s.server.base, &text_batch(1, 20)), 200);
        assert_eq!(stuck.join().unwrap(), 200, "the call holding the lane finishes");
    });
    assert_eq!(s.graph.requests().len(), 1, "the refused send never reached Meta");
    assert_eq!(s.server.metrics.counter("omni_calls_shed_total", &[("lane", "egress")]), 1);
}

/// Takes events one at a time and refuses batches, as a bus refuses a batch for good.
struct OneAtATime(MemorySink);

impl omni_host::capabilities::EventSink for OneAtATime {
    fn publish(
        &self,
        events: &[omni_host::capabilities::OmniEvent],
        deadline: std::time::Instant,
    ) -> Result<(), omni_host::capabilities::SinkError> {
        if events.len() > 1 {
            return Err(omni_host::capabilities::SinkError::Rejected("one event at a time".into()));
        }
        self.0.publish(events, deadline)
    }
}

#[test]
fn a_batch_the_bus_refuses_for_good_is_published_event_by_event() {
    let sink = Arc::new(OneAtATime(MemorySink::new()));
    let metrics = Metrics::new();
    let counted = Arc::new(CountingSink::new(sink.clone(), metrics.clone()));
    let host =
        host_with(&instance_toml(INSTANCE, PHONE_NUMBER_ID, "http://127.0.0.1:9"), Duration::from_secs(2), counted);
    let server = TestServer::start(TestServer::runtime(), Arc::new(host), metrics, ServerOptions::default());
    // Small enough to be tried on the connection's thread first, whose one-batch publish the
    // bus refuses; the plugin then publishes the events one by one.
    assert_eq!(deliver(&server.base, &text_batch(3, 10)), 200);
    let ids: Vec<String> =
        sink.0.events().iter().map(|e| e.payload()["externalId"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(ids.iter().all(|id| id.starts_with("wamid.")));
}

/// A bus that is down: it takes nothing, and says so.
struct Down;

impl omni_host::capabilities::EventSink for Down {
    fn publish(
        &self,
        _: &[omni_host::capabilities::OmniEvent],
        _: std::time::Instant,
    ) -> Result<(), omni_host::capabilities::SinkError> {
        Err(omni_host::capabilities::SinkError::Unavailable("the bus is down".into()))
    }
}

#[test]
fn a_disconnect_the_bus_cannot_take_changes_nothing_and_says_retry() {
    let metrics = Metrics::new();
    let host = host_with(
        &instance_toml(INSTANCE, PHONE_NUMBER_ID, "http://127.0.0.1:9"),
        Duration::from_secs(2),
        Arc::new(Down),
    );
    let options = ServerOptions { api_token: Some(API_TOKEN.into()), ..ServerOptions::default() };
    let server = TestServer::start(TestServer::runtime(), Arc::new(host), metrics, options);
    let call = |method: &str, path: &str| {
        let url = format!("{}/api/v1/instances/{INSTANCE}/{path}", server.base);
        let request = TestServer::client();
        let mut response = match method {
            "POST" => request.post(&url).header("authorization", &format!("Bearer {API_TOKEN}")).send_empty(),
            _ => request.get(&url).header("authorization", &format!("Bearer {API_TOKEN}")).call(),
        }
        .unwrap();
        let body: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        (response.status().as_u16(), body)
    };
    let (status, body) = call("POST", "disconnect");
    assert_eq!(
        (status, body["error"].as_str(), body["retryable"].as_bool()),
        (503, Some("bus-unavailable"), Some(true))
    );
    assert_eq!(body["message"], "the bus is down");
    let (status, body) = call("GET", "status");
    assert_eq!(status, 200);
    assert_eq!(body["status"]["sendsPaused"], false, "{body}");
}
