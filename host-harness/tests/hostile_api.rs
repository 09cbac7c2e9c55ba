//! `serve`'s instances API against a caller that holds its token and tries to reach what the
//! operator never gave it: the host's environment, services on its loopback, secrets quoted
//! back in answers, another instance's phone number. Run as an operator runs it: the binary,
//! its configuration file, variables in its environment.

use std::net::TcpListener;
use std::path::PathBuf;

use omni_host::fake_graph::{FakeGraph, ScriptedResponse};
use serde_json::{Value, json};
use support::Serving;

mod support;

const API_TOKEN: &str = "hostile-api-token";
const PHONE: &str = "106540352242922";
/// A variable the operator keeps for the host alone.
const HOST_SECRET: (&str, &str) = ("OMNI_HOSTILE_HOST_SECRET", "host-secret-7f3a9c1e5b2d");
/// A variable callers may name, holding a URL with credentials.
const ALLOWED_URL: (&str, &str) = ("OMNI_HOSTILE_ALLOWED_URL", "https://admin:hunter2-pass@graph.example.invalid");
/// A variable callers may name, holding an access token.
const ALLOWED_TOKEN: (&str, &str) = ("OMNI_HOSTILE_ALLOWED_TOKEN", "EAAhostile-allowed-token-0a1b2c3d");

/// Secret values that must appear in no answer.
const NEVER_SHOWN: &[&str] = &[HOST_SECRET.1, "hunter2", ALLOWED_TOKEN.1, "internal admin page"];

fn config_file(name: &str, api_egress: Option<&str>) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("omni-host-hostile-api-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let egress = api_egress.map(|origin| format!("egress = [\"{origin}\"]\n")).unwrap_or_default();
    let text = format!(
        r#"instances = []

[api]
token = "{API_TOKEN}"
env_allow = ["OMNI_HOSTILE_ALLOWED_*"]
{egress}"#
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn serve(config: &PathBuf) -> Serving {
    Serving::start_in_env(config, "none", &[], &[HOST_SECRET, ALLOWED_URL, ALLOWED_TOKEN])
}

/// A call with the API token: the status and the body, checked to quote no secret.
fn api(serving: &Serving, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let auth = format!("Authorization: Bearer {API_TOKEN}");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let (status, text) = serving.call(method, path, &[&auth, "Content-Type: application/json"], body.as_bytes());
    for secret in NEVER_SHOWN {
        assert!(!text.contains(secret), "{method} {path} answered with `{secret}`: {text}");
    }
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn instance(graph_base_url: Value, access_token: Value) -> Value {
    json!({"config": {
        "appSecret": "caller-app-secret", "webhookVerifyToken": "caller-verify", "phoneNumberId": PHONE,
        "businessAccountId": "102290129340398", "accessToken": access_token, "graphBaseUrl": graph_base_url,
    }})
}

/// A service on the host's loopback the caller would like to reach.
fn internal_service() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn nothing_connected(listener: &TcpListener) -> bool {
    matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

#[test]
fn a_caller_reads_no_variable_and_reaches_no_loopback_service_the_operator_did_not_allow() {
    let serving = serve(&config_file("no-egress", None));
    let (service, port) = internal_service();

    // The host's own secret, by name: refused, the variable named, its value nowhere.
    let stolen = instance(json!("https://graph.facebook.com"), json!({"env": HOST_SECRET.0}));
    let (status, refused) = api(&serving, "PUT", "/api/v1/instances/evil", Some(stolen));
    assert_eq!(status, 400, "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains(HOST_SECRET.0) && message.contains("env_allow"), "{message}");

    // A loopback service, by address: refused before anything is dialled.
    let inside = instance(json!(format!("http://127.0.0.1:{port}")), json!("EAAcaller"));
    let (status, refused) = api(&serving, "PUT", "/api/v1/instances/evil", Some(inside));
    assert_eq!(status, 400, "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("[api] egress"), "{refused}");

    // By a name that resolves there: taken (an https name), but never dialled.
    let named = instance(json!(format!("https://localhost:{port}")), json!("EAAcaller"));
    let (status, added) = api(&serving, "PUT", "/api/v1/instances/evil", Some(named));
    assert_eq!(status, 201, "{added}");
    let (status, connect) = api(&serving, "POST", "/api/v1/instances/evil/connect", None);
    assert!(status >= 500, "{status} {connect}");
    assert!(connect["message"].as_str().unwrap_or("").contains("internal address"), "{connect}");
    api(&serving, "GET", "/api/v1/instances/evil/status", None);

    // An allowed variable holding a URL with credentials: refused without quoting it.
    let credentials = instance(json!({"env": ALLOWED_URL.0}), json!("EAAcaller"));
    let (status, refused) = api(&serving, "PUT", "/api/v1/instances/evil2", Some(credentials));
    assert_eq!(status, 400, "{refused}");

    assert!(nothing_connected(&service), "the loopback service was reached");
}

#[test]
fn no_answer_quotes_a_secret_or_an_upstream_page_and_one_phone_number_is_one_instance() {
    let graph = FakeGraph::start(ALLOWED_TOKEN.1, PHONE).unwrap();
    let serving = serve(&config_file("graph", Some(&graph.base_url())));

    let sales = instance(json!(graph.base_url()), json!({"env": ALLOWED_TOKEN.0}));
    let (status, added) = api(&serving, "PUT", "/api/v1/instances/sales", Some(sales.clone()));
    assert_eq!(status, 201, "{added}");
    let (status, connected) = api(&serving, "POST", "/api/v1/instances/sales/connect", None);
    assert_eq!(status, 200, "{connected}");
    assert_eq!(graph.requests().last().unwrap().header("authorization"), Some(&*format!("Bearer {}", ALLOWED_TOKEN.1)));

    // Whatever answers at the Graph API's address, its page (quoting the token) stays there.
    let page = format!("<html>internal admin page; token {}</html>", ALLOWED_TOKEN.1);
    graph.script(ScriptedResponse { status: 500, headers: vec![], body: page.into_bytes(), delay: None });
    let (status, failed) = api(&serving, "POST", "/api/v1/instances/sales/connect", None);
    assert!(status >= 500, "{status} {failed}");
    let (_, state) = api(&serving, "GET", "/api/v1/instances/sales/status", None);
    assert!(state["status"]["lastConnect"]["error"].is_string(), "the failure is kept: {state}");
    api(&serving, "GET", "/api/v1/instances", None);

    // A second instance cannot take the first one's phone number.
    let (status, refused) = api(&serving, "PUT", "/api/v1/instances/sales-copy", Some(sales));
    assert_eq!(status, 400, "{refused}");
    assert!(refused["message"].as_str().unwrap().contains(PHONE), "{refused}");

    // Nor is an instance id a place to hide a payload.
    let (status, _) =
        api(&serving, "PUT", &format!("/api/v1/instances/{}", "a".repeat(65)), Some(json!({"config": {}})));
    assert_eq!(status, 400);
}
