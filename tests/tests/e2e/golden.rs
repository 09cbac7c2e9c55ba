//! Golden events: every webhook fixture under `tests/fixtures/webhooks/{meta,pywa,docs,field}`
//! (each shaped like an example from Meta's OpenAPI spec, Meta's docs, pywa's tests, or a shape
//! seen in the field — other projects' tests and issue threads) goes through the component, and
//! its events must equal the reviewed snapshot in `snapshots/`.
//!
//! After an intended change: `INSTA_UPDATE=always cargo test -p e2e-tests golden`, then review
//! every changed `.snap` file before committing it.

use e2e_tests::{TestHost, signed_post, text};
use omni_host::capabilities::OmniEvent;
use serde_json::{Value, json};

/// The event as JSON, with the host's clock readings replaced: they differ on every run.
fn normalise(event: OmniEvent) -> Value {
    let from_provider = event.metadata.timings.platform.is_some();
    let mut value = serde_json::to_value(event).expect("events serialise");
    value["metadata"]["timings"]["channel"] = json!("[host clock]");
    if !from_provider {
        value["timestamp"] = json!("[host clock]");
    }
    value
}

#[test]
fn every_fixture_maps_to_its_reviewed_events() {
    let host = TestHost::new();
    insta::glob!("../../fixtures/webhooks", "{meta,pywa,docs,field}/*.json", |path| {
        let body = std::fs::read(path).expect("fixture");
        let response = host.webhook(&signed_post(&body));
        assert_eq!(response.status, 200, "{}: {}", path.display(), text(&response));
        let events: Vec<Value> = host.events().into_iter().map(normalise).collect();
        assert!(!events.is_empty(), "{}: every notification is reported", path.display());
        insta::assert_json_snapshot!(events);
    });
}
