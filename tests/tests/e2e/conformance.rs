//! The conformance corpus (`tests/conformance/`, data only) through `omni-host`'s library: the
//! same cases the omni package runs through its Node-API addon, so the two front doors cannot
//! drift. Webhooks go through the host's call scheduler, sends through its retry loop, results
//! in omni's `SendResult`; call, group and media actions through the scheduler's egress lane
//! (see `tests/conformance/README.md`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use e2e_tests::{ACCESS_TOKEN, APP_SECRET, INSTANCE, PHONE_NUMBER_ID, instance_toml};
use omni_host::bindings::types::ChannelError;
use omni_host::bindings::webhook::IncomingRequest;
use omni_host::calls::{CallOptions, Calls, Lane, Unobserved};
use omni_host::capabilities::events::MemorySink;
use omni_host::capabilities::http_client::{ClientConfig, UreqClient};
use omni_host::capabilities::{EventSink, OmniEvent};
use omni_host::channel_host::{ChannelHost, HostError};
use omni_host::config::HostConfig;
use omni_host::fake_graph::{FakeGraph, ScriptedResponse};
use omni_host::omni::actions;
use omni_host::omni::results::{self, SendResult};
use omni_host::signing::hub_signature;
use serde_json::{Value, json};

fn corpus() -> Vec<(PathBuf, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let mut cases: Vec<(PathBuf, Value)> = std::fs::read_dir(&dir)
        .expect("tests/conformance exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let case = serde_json::from_slice(&std::fs::read(&path).expect("readable")).expect("a case is JSON");
            (path, case)
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

/// A fresh host with instance `acme` on a fresh fake Graph API (so its message ids start over).
struct Door {
    calls: Calls,
    sink: Arc<MemorySink>,
    graph: FakeGraph,
}

impl Door {
    fn new() -> Self {
        let graph = FakeGraph::start(ACCESS_TOKEN, PHONE_NUMBER_ID).expect("fake Graph API starts");
        let config = HostConfig::parse(&instance_toml(INSTANCE, PHONE_NUMBER_ID, &graph.base_url())).expect("parses");
        let sink = Arc::new(MemorySink::new());
        let http = Arc::new(UreqClient::new(ClientConfig::default()));
        let host = ChannelHost::new(e2e_tests::runtime(), &config, http, sink.clone() as Arc<dyn EventSink>)
            .expect("host starts");
        let calls = Calls::new(Arc::new(host), CallOptions::default(), Arc::new(Unobserved));
        Self { calls, sink, graph }
    }
}

/// What a case's events are compared by: the fields the channel decides.
fn events(events: &[OmniEvent]) -> Value {
    events
        .iter()
        .map(|e| json!({ "type": e.event, "correlationId": e.metadata.correlation_id, "payload": e.payload() }))
        .collect()
}

fn webhook(door: &Door, webhook: &Value) -> Value {
    let body = match &webhook["body"] {
        Value::String(text) => text.clone().into_bytes(),
        json => serde_json::to_vec(json).expect("serializes"),
    };
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    match webhook["signature"].as_str() {
        Some("valid") => headers.push(("x-hub-signature-256".into(), hub_signature(APP_SECRET.as_bytes(), &body))),
        Some("wrong") => headers.push(("x-hub-signature-256".into(), format!("sha256={}", "0".repeat(64)))),
        _ => {}
    }
    let request = IncomingRequest {
        method: "POST".into(),
        path: format!("/webhooks/whatsapp-cloud/{INSTANCE}"),
        query: String::new(),
        headers,
        body,
    };
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
    let answer =
        tokio.block_on(door.calls.run_webhook(INSTANCE.into(), request, Instant::now())).expect("the host runs it");
    json!({ "status": answer.status, "events": events(&door.sink.take()) })
}

/// Queues the fake Graph API's scripted answers of a case.
fn script(door: &Door, graph: &Value) {
    for scripted in graph.as_array().into_iter().flatten() {
        let status = scripted["status"].as_u64().expect("a status") as u16;
        door.graph.script(ScriptedResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: scripted["body"].to_string().into_bytes(),
            delay: None,
        });
    }
}

/// The Graph requests a case made.
fn requests(door: &Door) -> Vec<Value> {
    door.graph
        .requests()
        .iter()
        .map(|r| json!({ "method": r.method, "path": r.path, "body": serde_json::from_slice::<Value>(&r.body).unwrap_or(Value::Null) }))
        .collect()
}

fn send(door: &Door, send: &Value) -> Value {
    script(door, &send["graph"]);
    let message = send["message"].to_string();
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
    let outcome = tokio
        .block_on(door.calls.send(INSTANCE, message, Vec::new(), "conformance".into(), Instant::now(), None))
        .expect("the host runs it");
    let result = serde_json::to_value(SendResult::of_parts("WHATSAPP", &outcome, 0)).expect("serializes");
    let parts = result["messageIds"].as_array().map_or(usize::from(result["messageId"].is_string()), Vec::len);
    json!({
        "requests": requests(door),
        "result": {
            "success": result["success"],
            "errorCode": result.get("errorCode").cloned().unwrap_or(Value::Null),
            "providerCode": result.get("providerCode").cloned().unwrap_or(Value::Null),
            "retryable": result.get("retryable").cloned().unwrap_or(Value::Null),
            "parts": parts,
        },
        "events": events(&door.sink.take()),
    })
}

/// A call, group or media action: `{call | group: <the action as callers write it>} |
/// {deleteMedia: <media id>}`, answered `{ok: true, value} | {ok: false, error: {code,
/// providerCode, retryable}}`.
fn action(door: &Door, action: &Value) -> Value {
    script(door, &action["graph"]);
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
    let run = |work: Box<dyn FnOnce(&ChannelHost) -> Result<Result<Value, ChannelError>, HostError> + Send>| {
        tokio.block_on(door.calls.run(Lane::Egress, Instant::now(), work)).expect("the host runs it")
    };
    let outcome = if let Some(call) = action.get("call") {
        let call = actions::call_action(&call.to_string()).expect("a call action");
        run(Box::new(move |host| Ok(host.act_on_call(INSTANCE, &call)?.map(|id| json!({ "callId": id })))))
    } else if let Some(group) = action.get("group") {
        let group = actions::group_action(&group.to_string()).expect("a group action");
        run(Box::new(move |host| Ok(host.act_on_group(INSTANCE, &group)?.map(|o| actions::group_outcome(&o)))))
    } else {
        let media_id = action["deleteMedia"].as_str().expect("deleteMedia names a media id").to_owned();
        run(Box::new(move |host| Ok(host.delete_media(INSTANCE, &media_id)?.map(|()| Value::Null))))
    };
    let result = match outcome {
        Ok(value) => json!({ "ok": true, "value": value }),
        Err(error) => {
            let summary = results::channel_error("WHATSAPP", &error);
            json!({ "ok": false, "error": { "code": summary.code, "providerCode": summary.provider_code, "retryable": summary.retryable } })
        }
    };
    json!({ "requests": requests(door), "result": result })
}

#[test]
fn every_case_of_the_corpus() {
    let bless = std::env::var_os("CONFORMANCE_BLESS").is_some();
    let mut failures = Vec::new();
    for (path, mut case) in corpus() {
        let door = Door::new();
        let actual = if case.get("webhook").is_some() {
            webhook(&door, &case["webhook"])
        } else if case.get("action").is_some() {
            action(&door, &case["action"])
        } else {
            send(&door, &case["send"])
        };
        if bless && case["expect"].is_null() {
            case["expect"] = actual;
            let text = serde_json::to_string_pretty(&case).expect("serializes") + "\n";
            std::fs::write(&path, text).expect("writable");
            continue;
        }
        if case["expect"] != actual {
            failures.push(format!(
                "{}: expected\n{}\ngot\n{}",
                path.display(),
                serde_json::to_string_pretty(&case["expect"]).unwrap(),
                serde_json::to_string_pretty(&actual).unwrap()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
