//! Calls, groups and media deletion through `serve`'s API, against the fake Graph API: the
//! exact Graph requests, the answers, and what is refused before Meta is called.

use e2e_tests::server::{Served, api_call};
use e2e_tests::{INSTANCE, PHONE_NUMBER_ID};
use omni_host::server::ServerOptions;
use serde_json::{Value, json};

const API_TOKEN: &str = "actions-api-token";

fn setup() -> Served {
    let options = ServerOptions { api_token: Some(API_TOKEN.into()), ..ServerOptions::default() }.with_concurrency(8);
    Served::start(options, false)
}

fn request(base: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    api_call(base, API_TOKEN, method, &format!("/api/v1/instances/{INSTANCE}/{path}"), body)
}

#[test]
fn a_call_is_started_answered_and_ended_with_metas_bodies() {
    let s = setup();
    let offer = json!({"sdpType": "offer", "sdp": "v=0\r\n"});
    let (status, started) = request(
        &s.server.base,
        "POST",
        "calls",
        Some(json!({"action": "connect", "to": "+1 650 555 1234", "session": offer})),
    );
    assert_eq!(status, 200, "{started}");
    assert!(started["callId"].as_str().unwrap().starts_with("wacid.FAKE"), "{started}");
    let answer = json!({"sdpType": "answer", "sdp": "v=0\r\n"});
    let accept = json!({"action": "accept", "callId": "wacid.IN1", "session": answer, "callbackData": "t-9"});
    assert_eq!(request(&s.server.base, "POST", "calls", Some(accept)), (200, json!({"callId": "wacid.IN1"})));
    assert_eq!(
        request(&s.server.base, "POST", "calls", Some(json!({"action": "terminate", "callId": "wacid.IN1"}))).0,
        200
    );
    let requests = s.graph.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.method == "POST" && r.path == format!("/v26.0/{PHONE_NUMBER_ID}/calls")));
    assert_eq!(
        requests[0].json(),
        json!({"messaging_product": "whatsapp", "to": "16505551234", "action": "connect",
               "session": {"sdp_type": "offer", "sdp": "v=0\r\n"}})
    );
    assert_eq!(
        requests[1].json(),
        json!({"messaging_product": "whatsapp", "call_id": "wacid.IN1", "action": "accept",
               "session": {"sdp_type": "answer", "sdp": "v=0\r\n"}, "biz_opaque_callback_data": "t-9"})
    );
    assert_eq!(
        requests[2].json(),
        json!({"messaging_product": "whatsapp", "call_id": "wacid.IN1", "action": "terminate"})
    );
}

#[test]
fn a_call_meta_or_the_plugin_refuses_says_why() {
    let s = setup();
    let offer = json!({"sdpType": "offer", "sdp": "v=0\r\n"});
    // The fake's rule: a number ending in 0000 gave no permission.
    let (status, error) = request(
        &s.server.base,
        "POST",
        "calls",
        Some(json!({"action": "connect", "to": "16505550000", "session": offer})),
    );
    assert_eq!(
        (status, error["code"].as_i64(), error["retryable"].as_bool()),
        (502, Some(138006), Some(false)),
        "{error}"
    );
    let (status, error) = request(
        &s.server.base,
        "POST",
        "calls",
        Some(json!({"action": "connect", "to": "120363025246125486@g.us", "session": offer})),
    );
    assert_eq!((status, error["field"].as_str()), (400, Some("to")), "{error}");
    let (status, error) =
        request(&s.server.base, "POST", "calls", Some(json!({"action": "hold", "callId": "wacid.1"})));
    assert_eq!(status, 400, "{error}");
    assert!(error["message"].as_str().unwrap().contains("hold"), "{error}");
    assert_eq!(s.graph.requests().len(), 1, "refused requests reach nobody");
}

#[test]
fn groups_are_created_linked_and_their_join_requests_answered() {
    let s = setup();
    let base = &s.server.base;
    let (status, created) = request(
        base,
        "POST",
        "groups",
        Some(json!({"action": "create", "subject": "Launch crew", "joinApproval": "approval_required"})),
    );
    assert_eq!(status, 200, "{created}");
    assert!(created["requestId"].as_str().unwrap().starts_with("GRPREQ"), "{created}");
    let group = "120363025246125486";
    let (_, link) =
        request(base, "POST", "groups", Some(json!({"action": "invite_link", "groupId": format!("{group}@g.us")})));
    assert_eq!(link["inviteLink"], format!("https://chat.whatsapp.com/{group}A"));
    let (_, listed) = request(base, "POST", "groups", Some(json!({"action": "join_requests", "groupId": group})));
    assert_eq!(
        listed["joinRequests"],
        json!([{"id": "JR1", "user": "16505551234", "requestedAt": 1_755_548_877_000u64}])
    );
    let approve = json!({"action": "approve_join_requests", "groupId": group, "requestIds": ["JR1", "missing-2"]});
    let (_, approved) = request(base, "POST", "groups", Some(approve));
    assert_eq!(approved["decided"], json!(["JR1"]));
    assert_eq!(approved["failed"], json!([{"user": "missing-2", "reason": "Join request does not exist"}]));
    let remove = json!({"action": "remove_participants", "groupId": group, "users": ["+1 650 555 1234"]});
    assert_eq!(request(base, "POST", "groups", Some(remove)).0, 200);

    let paths: Vec<(String, String)> = s.graph.requests().iter().map(|r| (r.method.clone(), r.path.clone())).collect();
    assert_eq!(
        paths,
        [
            ("POST".into(), format!("/v26.0/{PHONE_NUMBER_ID}/groups")),
            ("GET".into(), format!("/v26.0/{group}/invite_link")),
            ("GET".into(), format!("/v26.0/{group}/join_requests")),
            ("POST".into(), format!("/v26.0/{group}/join_requests")),
            ("DELETE".into(), format!("/v26.0/{group}/participants")),
        ]
    );
    assert_eq!(
        s.graph.requests()[0].json(),
        json!({"messaging_product": "whatsapp", "subject": "Launch crew", "join_approval_mode": "approval_required"})
    );
    assert_eq!(s.graph.requests()[4].json()["participants"], json!([{"user": "16505551234"}]));

    let (status, error) =
        request(base, "POST", "groups", Some(json!({"action": "create", "subject": "ineligible crew"})));
    assert_eq!(
        (status, error["code"].as_i64(), error["retryable"].as_bool()),
        (502, Some(131215), Some(false)),
        "{error}"
    );
}

#[test]
fn an_uploaded_file_is_deleted_and_a_second_delete_is_refused() {
    let s = setup();
    let id = s.graph.store_media(b"\x89PNG\r\n\x1a\n....", "image/png");
    assert_eq!(request(&s.server.base, "DELETE", &format!("media/{id}"), None).0, 204);
    assert!(s.graph.media(&id).is_none());
    let deleted = &s.graph.requests()[0];
    assert_eq!(
        (deleted.method.as_str(), deleted.query.as_str()),
        ("DELETE", format!("phone_number_id={PHONE_NUMBER_ID}").as_str())
    );
    let (status, error) = request(&s.server.base, "DELETE", &format!("media/{id}"), None);
    assert_eq!((status, error["field"].as_str()), (400, Some("media_id")), "{error}");
    let (status, _) = request(&s.server.base, "DELETE", "media/..%2Fsecrets", None);
    assert_eq!(status, 400);
}
