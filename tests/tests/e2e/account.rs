//! Block lists and the business profile through `serve`'s API, against the fake Graph API.

use e2e_tests::server::{Served, api_call};
use e2e_tests::{INSTANCE, PHONE_NUMBER_ID};
use omni_host::server::ServerOptions;
use serde_json::{Value, json};

const API_TOKEN: &str = "account-api-token";

fn setup() -> Served {
    let options = ServerOptions { api_token: Some(API_TOKEN.into()), ..ServerOptions::default() }.with_concurrency(8);
    Served::start(options, false)
}

fn call(base: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    api_call(base, API_TOKEN, method, &format!("/api/v1/instances/{INSTANCE}/{path}"), body)
}

#[test]
fn users_are_blocked_and_unblocked_with_what_meta_refused_named() {
    let s = setup();
    let (status, outcome) =
        call(&s.server.base, "POST", "block", Some(json!({"users": ["+1 650 555 1234", "16505550000"]})));
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(
        outcome,
        json!({"changed": ["16505551234"], "failed": [{"user": "16505550000", "reason": "Failed to block/unblock user"}]})
    );
    let request = &s.graph.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.clone()),
        ("POST", format!("/v26.0/{PHONE_NUMBER_ID}/block_users"))
    );
    assert_eq!(
        request.json(),
        json!({"messaging_product": "whatsapp", "block_users": [{"user": "16505551234"}, {"user": "16505550000"}]})
    );

    let (status, outcome) =
        call(&s.server.base, "POST", "unblock", Some(json!({"users": ["16505551234@s.whatsapp.net"]})));
    assert_eq!((status, outcome["changed"].clone()), (200, json!(["16505551234"])));
    assert_eq!(s.graph.requests()[1].method, "DELETE");

    let (status, error) = call(&s.server.base, "POST", "block", Some(json!({"users": ["120363025246125486@g.us"]})));
    assert_eq!((status, error["field"].as_str()), (400, Some("users[0]")), "{error}");
    assert_eq!(s.graph.requests().len(), 2, "a refused request reaches nobody");
}

#[test]
fn the_business_profile_is_read_and_changed_within_whatsapps_limits() {
    let s = setup();
    let (status, profile) = call(&s.server.base, "GET", "business-profile", None);
    assert_eq!(status, 200, "{profile}");
    assert_eq!(
        (profile["about"].as_str(), profile["vertical"].as_str()),
        (Some("Fresh produce, delivered"), Some("GROCERY"))
    );

    let update = json!({"about": "Open 9 to 5", "websites": ["https://acme.example"], "vertical": "RETAIL"});
    let (status, _) = call(&s.server.base, "PATCH", "business-profile", Some(update));
    assert_eq!(status, 204);
    let stored = s.graph.profile();
    assert_eq!((stored["about"].as_str(), stored["vertical"].as_str()), (Some("Open 9 to 5"), Some("RETAIL")));
    assert_eq!(stored["websites"], json!(["https://acme.example"]));
    let (_, profile) = call(&s.server.base, "GET", "business-profile", None);
    assert_eq!(profile["websites"], json!(["https://acme.example"]));

    let requests = s.graph.requests().len();
    for (update, field) in [
        (json!({"vertical": "SHOES"}), "vertical"),
        (json!({"about": "x".repeat(140)}), "about"),
        (json!({"websites": ["https://a.example", "https://b.example", "https://c.example"]}), "websites"),
        (json!({}), ""),
    ] {
        let (status, error) = call(&s.server.base, "PATCH", "business-profile", Some(update));
        assert_eq!((status, error["field"].as_str()), (400, Some(field)), "{error}");
    }
    let (status, error) = call(&s.server.base, "PATCH", "business-profile", Some(json!({"colour": "red"})));
    assert_eq!(status, 400);
    assert!(error["message"].as_str().unwrap().contains("colour"), "{error}");
    assert_eq!(s.graph.requests().len(), requests, "nothing refused reached Meta");
}
