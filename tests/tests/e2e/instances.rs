//! Instances at run time through `serve`'s API: added, changed and removed while the others
//! keep answering; `connect`'s setup checks; `disconnect`; per-instance status and metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use e2e_tests::server::{Served, TestServer, api_call};
use e2e_tests::{ACCESS_TOKEN, APP_SECRET, BUSINESS_ACCOUNT_ID, INSTANCE, VERIFY_TOKEN};
use omni_host::fake_graph::ScriptedResponse;
use omni_host::server::ServerOptions;
use serde_json::{Value, json};

const API_TOKEN: &str = "instances-api-token";

fn setup() -> Served {
    let options = ServerOptions { api_token: Some(API_TOKEN.into()), ..ServerOptions::default() }.with_concurrency(8);
    Served::start_for_callers(options, false)
}

/// A call to the API with the token; the status and the JSON body (`null` when empty).
fn api(base: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    api_call(base, API_TOKEN, method, path, body)
}

/// Meta's verification handshake on instance `id`: the status.
fn verify(base: &str, id: &str) -> u16 {
    let url = format!(
        "{base}/webhooks/whatsapp-cloud/{id}?hub.mode=subscribe&hub.challenge=5&hub.verify_token={VERIFY_TOKEN}"
    );
    TestServer::client().get(url).call().unwrap().status().as_u16()
}

fn instance_config(graph: &str, phone_number_id: &str) -> Value {
    json!({"config": {
        "appSecret": APP_SECRET, "webhookVerifyToken": VERIFY_TOKEN, "phoneNumberId": phone_number_id,
        "businessAccountId": BUSINESS_ACCOUNT_ID, "accessToken": ACCESS_TOKEN, "graphBaseUrl": graph,
    }})
}

fn send_text(base: &str, id: &str) -> (u16, Value) {
    let message = json!({"to": "16505551234", "content": {"type": "text", "text": "hello"}});
    api(base, "POST", &format!("/api/v1/instances/{id}/messages"), Some(message))
}

#[test]
fn instances_are_added_changed_and_removed_while_the_others_keep_answering() {
    let s = setup();
    let base = s.server.base.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let hammer = {
        let (base, stop) = (base.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut statuses = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                statuses.push(verify(&base, INSTANCE));
            }
            statuses
        })
    };

    let graph = s.graph.base_url();
    let (status, added) =
        api(&base, "PUT", "/api/v1/instances/sales", Some(instance_config(&graph, "200000000000001")));
    assert_eq!((status, added["change"].as_str()), (201, Some("added")), "{added}");
    assert_eq!(verify(&base, "sales"), 200);
    let (status, same) = api(&base, "PUT", "/api/v1/instances/sales", Some(instance_config(&graph, "200000000000001")));
    assert_eq!((status, same["change"].as_str()), (200, Some("unchanged")));
    let (status, changed) =
        api(&base, "PUT", "/api/v1/instances/sales", Some(instance_config(&graph, "200000000000002")));
    assert_eq!((status, changed["change"].as_str()), (200, Some("updated")));

    // The plugin refuses a broken configuration, naming the setting; nothing changes.
    let mut broken = instance_config(&graph, "not digits");
    broken["config"].as_object_mut().unwrap().remove("appSecret");
    let (status, refused) = api(&base, "PUT", "/api/v1/instances/sales", Some(broken));
    assert_eq!(status, 400, "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains("/appSecret") && message.contains("/phoneNumberId"), "{message}");
    assert_eq!(verify(&base, "sales"), 200, "the running instance is untouched");

    let (_, listed) = api(&base, "GET", "/api/v1/instances", None);
    let ids: Vec<&str> = listed["instances"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [INSTANCE, "sales"]);

    assert_eq!(api(&base, "DELETE", "/api/v1/instances/sales", None).0, 204);
    assert_eq!(verify(&base, "sales"), 404);
    assert_eq!(api(&base, "DELETE", "/api/v1/instances/sales", None).0, 404);

    stop.store(true, Ordering::Relaxed);
    let statuses = hammer.join().unwrap();
    assert!(!statuses.is_empty());
    assert!(statuses.iter().all(|s| *s == 200), "acme answered {statuses:?}");
}

#[test]
fn a_send_in_flight_finishes_on_the_instance_it_started_with() {
    let s = setup();
    let base = s.server.base.clone();
    // Meta's normal answer, late.
    s.graph.script(ScriptedResponse::normal().delayed(Duration::from_millis(800)));
    let in_flight = {
        let base = base.clone();
        std::thread::spawn(move || send_text(&base, INSTANCE))
    };
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(api(&base, "DELETE", &format!("/api/v1/instances/{INSTANCE}"), None).0, 204);
    let (status, receipt) = in_flight.join().unwrap();
    assert_eq!(status, 200, "{receipt}");
    assert!(receipt["messageId"].as_str().unwrap().starts_with("wamid.FAKE"), "{receipt}");
    assert_eq!(send_text(&base, INSTANCE).0, 404, "a new send finds no instance");
}

#[test]
fn connect_reports_a_missing_webhook_subscription_and_subscribes_when_asked() {
    let s = setup();
    let base = &s.server.base;
    s.graph.set_subscribed(false);
    let (status, info) = api(base, "POST", &format!("/api/v1/instances/{INSTANCE}/connect"), None);
    assert_eq!(status, 200, "the credentials work: {info}");
    let subscription = info["checks"].as_array().unwrap().iter().find(|c| c["name"] == "webhook-subscription").unwrap();
    assert_eq!(subscription["passed"], false);
    assert!(subscription["fix"].as_str().unwrap().contains(&format!("POST /{BUSINESS_ACCOUNT_ID}/subscribed_apps")));
    assert!(!s.graph.subscribed(), "only reported");
    let (_, status_now) = api(base, "GET", &format!("/api/v1/instances/{INSTANCE}/status"), None);
    assert_eq!(status_now["status"]["lastConnect"]["failedChecks"], json!(["webhook-subscription"]));

    let (status, info) = api(base, "POST", &format!("/api/v1/instances/{INSTANCE}/connect?subscribe=true"), None);
    assert_eq!(status, 200);
    assert!(info["checks"].as_array().unwrap().iter().all(|c| c["passed"] == true), "{info}");
    assert!(s.graph.subscribed());
    let (_, status_now) = api(base, "GET", &format!("/api/v1/instances/{INSTANCE}/status"), None);
    assert_eq!(status_now["status"]["state"], "connected");
    assert_eq!(status_now["status"]["lastConnect"]["qualityRating"], "GREEN");
}

#[test]
fn disconnect_publishes_instance_disconnected_and_holds_sends_until_connect() {
    let s = setup();
    let base = &s.server.base;
    let (status, reply) =
        api(base, "POST", &format!("/api/v1/instances/{INSTANCE}/disconnect"), Some(json!({"reason": "maintenance"})));
    assert_eq!(status, 200, "{reply}");
    let event = s.sink.events().into_iter().find(|e| e.event == "instance.disconnected").unwrap();
    assert_eq!(reply["eventId"], event.id.as_str());
    assert_eq!(event.subject, format!("instance.disconnected.whatsapp-cloud.{INSTANCE}"));
    assert_eq!(
        event.payload(),
        json!({"instanceId": INSTANCE, "channelType": "whatsapp-cloud", "reason": "maintenance", "willReconnect": false})
    );

    let (status, error) = send_text(base, INSTANCE);
    assert_eq!((status, error["error"].as_str()), (409, Some("disconnected")), "{error}");
    assert!(s.graph.requests().is_empty(), "nothing was sent to Meta");
    assert_eq!(verify(base, INSTANCE), 200, "webhooks are still answered");
    let (_, status_now) = api(base, "GET", &format!("/api/v1/instances/{INSTANCE}/status"), None);
    assert_eq!(
        (status_now["status"]["state"].as_str(), status_now["status"]["reason"].as_str()),
        (Some("disconnected"), Some("maintenance"))
    );

    assert_eq!(api(base, "POST", &format!("/api/v1/instances/{INSTANCE}/connect"), None).0, 200);
    assert_eq!(send_text(base, INSTANCE).0, 200, "connected again, it sends");
}

#[test]
fn status_and_metrics_follow_webhooks_and_a_refused_token() {
    let s = setup();
    let base = &s.server.base;
    let metrics =
        || TestServer::client().get(format!("{base}/metrics")).call().unwrap().body_mut().read_to_string().unwrap();
    assert!(!metrics().contains("omni_instance_connected{"), "unknown before any connect");

    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    let signature = omni_host::signing::hub_signature(APP_SECRET.as_bytes(), body);
    let response = TestServer::client()
        .post(format!("{base}/webhooks/whatsapp-cloud/{INSTANCE}"))
        .header("x-hub-signature-256", &signature)
        .send(&body[..])
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (_, status_now) = api(base, "GET", &format!("/api/v1/instances/{INSTANCE}/status"), None);
    assert!(status_now["status"]["lastWebhookAtMs"].as_u64().unwrap() > 1_700_000_000_000);
    assert!(metrics().contains(&format!("omni_instance_last_webhook_timestamp_seconds{{instance=\"{INSTANCE}\"}}")));

    assert_eq!(api(base, "POST", &format!("/api/v1/instances/{INSTANCE}/connect"), None).0, 200);
    assert!(metrics().contains(&format!("omni_instance_connected{{instance=\"{INSTANCE}\"}} 1")));
    s.graph.script(ScriptedResponse::graph_error(401, 190, "Error validating access token: Session has expired"));
    let (status, _) = send_text(base, INSTANCE);
    assert_eq!(status, 502);
    let (_, status_now) = api(base, "GET", &format!("/api/v1/instances/{INSTANCE}/status"), None);
    let status_now = &status_now["status"];
    assert_eq!(status_now["state"], "disconnected");
    assert!(status_now["reason"].as_str().unwrap().contains("Session has expired"), "{status_now}");
    assert_eq!(status_now["lastSendError"]["error"], "provider");
    assert!(metrics().contains(&format!("omni_instance_connected{{instance=\"{INSTANCE}\"}} 0")));
}

#[test]
fn a_body_the_api_cannot_read_is_400_naming_what_is_wrong() {
    let s = setup();
    let base = s.server.base.clone();
    for (method, path, body) in [
        ("PUT", "/api/v1/instances/sales".to_owned(), json!({"config": {}, "unknown": 1})),
        ("POST", format!("/api/v1/instances/{INSTANCE}/disconnect"), json!({"why": "typo"})),
        ("POST", format!("/api/v1/instances/{INSTANCE}/block"), json!({"user": ["16505551234"]})),
    ] {
        let (status, answer) = api(&base, method, &path, Some(body));
        assert_eq!((status, answer["error"].as_str()), (400, Some("invalid-request")), "{path}: {answer}");
        assert!(answer["message"].as_str().unwrap().starts_with("the body: unknown field"), "{path}: {answer}");
    }
    let (status, listed) = api(&base, "GET", "/api/v1/instances", None);
    assert_eq!(status, 200);
    assert_eq!(listed["instances"].as_array().map(Vec::len), Some(1), "nothing was added: {listed}");
}
