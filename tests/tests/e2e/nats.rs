//! Events on a real NATS JetStream (`nats-server -js` on loopback): omni's message shape, the
//! event id as `Nats-Msg-Id`, webhooks acknowledged only once JetStream has every event, and a
//! bus restart in the middle of a thousand deliveries that loses and duplicates nothing.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use e2e_tests::nats::NatsServer;
use e2e_tests::server::TestServer;
use e2e_tests::{APP_SECRET, INSTANCE, PHONE_NUMBER_ID, host_with, instance_toml};
use omni_host::capabilities::nats::{NatsOptions, NatsSink};
use omni_host::server::ServerOptions;
use omni_host::server::metrics::{CountingSink, Metrics};
use omni_host::signing::hub_signature;
use serde_json::{Value, json};

const STREAM: &str = "OMNI_WHATSAPP_CLOUD_TEST";

fn text_webhook(wamid: &str) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Load Test"}, "wa_id": "16505551234"}],
        "messages": [{"from": "16505551234", "id": wamid, "timestamp": "1750263773", "type": "text", "text": {"body": format!("hello {wamid}")}}],
    }}]}]})
    .to_string()
    .into_bytes()
}

/// A server publishing to `nats`.
fn server(nats: &NatsServer) -> TestServer {
    let runtime = TestServer::runtime();
    let options = NatsOptions {
        stream: STREAM.into(),
        ack_timeout: Duration::from_millis(1500),
        duplicate_window: Duration::from_secs(600),
        ..NatsOptions::for_channel("whatsapp-cloud")
    };
    let sink = runtime.block_on(NatsSink::connect(&nats.url(), &options)).expect("connects to NATS");
    let metrics = Metrics::new();
    let sink = Arc::new(CountingSink::new(Arc::new(sink), metrics.clone()));
    let host = host_with(&instance_toml(INSTANCE, PHONE_NUMBER_ID, "http://127.0.0.1:9"), Duration::from_secs(2), sink);
    TestServer::start(runtime, Arc::new(host), metrics, ServerOptions::default().with_concurrency(8))
}

fn deliver(base: &str, body: &[u8]) -> u16 {
    TestServer::client()
        .post(format!("{base}/webhooks/whatsapp-cloud/{INSTANCE}"))
        .header("x-hub-signature-256", hub_signature(APP_SECRET.as_bytes(), body))
        .send(body)
        .map(|r| r.status().as_u16())
        .unwrap_or(599)
}

/// Every message in the stream: (subject, Nats-Msg-Id, parsed body).
fn stream_contents(handle: &tokio::runtime::Handle, nats: &NatsServer) -> Vec<(String, String, Value)> {
    handle.block_on(async {
        let client = async_nats::connect(nats.url()).await.unwrap();
        let js = jetstream::new(client);
        let mut stream = js.get_stream(STREAM).await.unwrap();
        let state = stream.info().await.unwrap().state.clone();
        let mut contents = Vec::new();
        for sequence in state.first_sequence..=state.last_sequence {
            let message = stream.get_raw_message(sequence).await.unwrap();
            let id = message.headers.get("Nats-Msg-Id").map(|v| v.to_string()).unwrap_or_default();
            contents.push((message.subject.to_string(), id, serde_json::from_slice(&message.payload).unwrap()));
        }
        contents
    })
}

#[test]
fn events_reach_jetstream_in_omnis_shape_once_per_id() {
    let Some(nats) = NatsServer::start() else { return };
    let server = server(&nats);
    let body = text_webhook("wamid.NATS1");
    assert_eq!(deliver(&server.base, &body), 200);
    assert_eq!(deliver(&server.base, &body), 200, "a redelivery is acknowledged too");
    let contents = stream_contents(&server.handle(), &nats);
    assert_eq!(contents.len(), 1, "JetStream dropped the duplicate");
    let (subject, msg_id, event) = &contents[0];
    assert_eq!(subject, &format!("message.received.whatsapp-cloud.{INSTANCE}"));
    assert_eq!(msg_id, event["id"].as_str().unwrap());
    assert_eq!(event["type"], "message.received");
    assert_eq!(event["payload"]["externalId"], "wamid.NATS1");
    assert_eq!(event["metadata"]["channelType"], "whatsapp-cloud");
    assert!(event["timestamp"].is_u64());
}

#[test]
fn a_bus_outage_is_a_5xx_and_the_redelivery_succeeds() {
    let Some(mut nats) = NatsServer::start() else { return };
    let server = server(&nats);
    nats.kill();
    let body = text_webhook("wamid.OUTAGE");
    assert_eq!(deliver(&server.base, &body), 503, "nothing acknowledged while the bus is down");
    nats.start_again();
    let deadline = Instant::now() + Duration::from_secs(30);
    while deliver(&server.base, &body) != 200 {
        assert!(Instant::now() < deadline, "the redelivery never succeeded");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(stream_contents(&server.handle(), &nats).len(), 1);
}

#[test]
fn a_thousand_webhooks_with_duplicates_and_a_restart_lose_nothing_and_duplicate_nothing() {
    let Some(mut nats) = NatsServer::start() else { return };
    let server = server(&nats);
    // 900 distinct deliveries and 100 redeliveries of earlier ones (every ninth), 1 000 in all.
    let mut deliveries: Vec<String> = Vec::new();
    for i in 0..900 {
        deliveries.push(format!("wamid.LOAD{i:04}"));
        if i % 9 == 8 {
            deliveries.push(format!("wamid.LOAD{:04}", i - 4));
        }
    }
    assert_eq!(deliveries.len(), 1000);

    let mut refused = 0;
    for (n, wamid) in deliveries.iter().enumerate() {
        if n == 500 {
            // The bus goes away in the middle of the run, and comes back after a few refusals.
            nats.kill();
        }
        let body = text_webhook(wamid);
        let deadline = Instant::now() + Duration::from_secs(60);
        // Meta keeps redelivering until it gets a 2xx.
        loop {
            match deliver(&server.base, &body) {
                200 => break,
                status => {
                    assert!(status >= 500, "a refusal Meta would not retry: {status}");
                    refused += 1;
                    assert!(Instant::now() < deadline, "{wamid} was never accepted");
                    if refused >= 3 && !nats.is_running() {
                        nats.start_again();
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }
    assert!(refused >= 3, "the outage was noticed by the deliveries it hit");
    let contents = stream_contents(&server.handle(), &nats);
    let ids: Vec<&str> = contents.iter().map(|(_, id, _)| id.as_str()).collect();
    let distinct: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), ids.len(), "an event is on the stream twice");
    let wamids: HashSet<&str> = contents.iter().map(|(_, _, e)| e["payload"]["externalId"].as_str().unwrap()).collect();
    assert_eq!(wamids.len(), 900, "every distinct delivery is on the stream");
    eprintln!("{refused} deliveries were refused during the restart and redelivered");
}
