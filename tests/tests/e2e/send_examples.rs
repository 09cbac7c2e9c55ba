//! Every send example of Meta's OpenAPI spec in scope (not flows, catalogs or products,
//! nor the commerce payment messages `order_details` and `order_status` that go with
//! catalogs), plus the kinds it has no example of (`extra_*`: carousel and limited-time-offer
//! templates, interactive media carousels, contact-info and call-permission requests...): the equivalent omni message goes through the
//! real component, and the fake Graph API receives exactly the body Meta documents.
//!
//! Fixtures: `tests/fixtures/send/*.json`, each `{meta_example, message | mark_read, body, note?}`;
//! `note` explains where Meta's example and the channel's body differ in form only.

use std::path::PathBuf;

use e2e_tests::{ACCESS_TOKEN, INSTANCE, PHONE_NUMBER_ID, TestHost};
use serde_json::Value;

fn fixtures() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/send");
    let mut list: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .expect("fixtures/send")
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap())
        })
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0));
    list
}

#[test]
fn every_in_scope_example_produces_the_documented_request() {
    let host = TestHost::new();
    let fixtures = fixtures();
    assert_eq!(
        fixtures.iter().filter(|(_, f)| f["meta_example"].is_string()).count(),
        39,
        "one per in-scope Meta example"
    );
    for (name, fixture) in &fixtures {
        host.graph.clear_requests();
        if let Some(read) = fixture.get("mark_read") {
            let message_id = read["messageId"].as_str().unwrap();
            let typing = read["showTyping"].as_bool().unwrap();
            host.host.mark_read(INSTANCE, message_id, typing).unwrap().unwrap_or_else(|e| panic!("{name}: {e:?}"));
        } else {
            let sent = host.send_omni(&fixture["message"].to_string());
            assert!(sent.failure.is_none(), "{name}: {:?}", sent.failure);
        }
        let requests = host.graph.requests();
        assert_eq!(requests.len(), 1, "{name}");
        let request = &requests[0];
        assert_eq!(request.method, "POST", "{name}");
        assert_eq!(request.path, format!("/v26.0/{PHONE_NUMBER_ID}/messages"), "{name}");
        assert_eq!(request.header("authorization"), Some(format!("Bearer {ACCESS_TOKEN}").as_str()), "{name}");
        assert_eq!(request.header("content-type"), Some("application/json"), "{name}");
        assert_eq!(request.json(), fixture["body"], "{name}: the body differs from Meta's");
    }
}

#[test]
fn the_documented_examples_are_accepted_and_sent() {
    let section =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/outbound.md")).unwrap();
    let examples: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("| "))
        .filter_map(|l| l.split('`').find(|cell| cell.starts_with("{\"type\"")))
        .collect();
    assert_eq!(examples.len(), 21, "one example per kind");
    let host = TestHost::new();
    for content in examples {
        let json = format!(r#"{{"to": "+1 650 555 1234", "content": {content}}}"#);
        let sent = host.send_omni(&json);
        assert!(sent.failure.is_none() && sent.sent.len() == 1, "{content}: {:?}", sent.failure);
    }
}
