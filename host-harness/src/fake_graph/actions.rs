//! Calls, groups, media deletion and the Marketing Messages onboarding status, answered in
//! Meta's shapes. Rules of the fake, for tests to lean on: a callee whose number ends in `0000`
//! has not granted call permission (138006); a group whose subject starts with `ineligible` is
//! refused as Meta refuses accounts without groups (131215); a join request id starting with
//! `missing` does not exist (131213).

use std::sync::atomic::Ordering;

use axum::response::Response;
use serde_json::{Value, json};

use super::{FakeState, RecordedRequest, error, json_response};

/// `POST /{version}/{phone-number-id}/calls`.
pub(super) fn calls(state: &FakeState, request: &RecordedRequest) -> Response {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    if body["messaging_product"] != "whatsapp" {
        return error(400, 100, "The parameter messaging_product is required.");
    }
    let session_type = body.pointer("/session/sdp_type").and_then(Value::as_str);
    match body["action"].as_str() {
        Some("connect") => {
            let Some(to) = body["to"].as_str() else { return error(400, 100, "The parameter to is required.") };
            if session_type != Some("offer") {
                return error(400, 100, "A connect needs an SDP offer.");
            }
            if to.ends_with("0000") {
                return error(400, 138006, "No approved call permission from the recipient");
            }
            let n = state.next_message.fetch_add(1, Ordering::Relaxed);
            json_response(200, json!({"messaging_product": "whatsapp", "calls": [{"id": format!("wacid.FAKE{n}")}]}))
        }
        Some(action @ ("pre_accept" | "accept" | "reject" | "terminate")) => {
            if body["call_id"].as_str().is_none_or(|id| !id.starts_with("wacid.")) {
                return error(400, 100, "The parameter call_id is required.");
            }
            if matches!(action, "pre_accept" | "accept") && session_type != Some("answer") {
                return error(400, 100, "An accept needs an SDP answer.");
            }
            json_response(200, json!({"messaging_product": "whatsapp", "success": true}))
        }
        _ => error(400, 100, "The parameter action is not valid."),
    }
}

/// `POST /{version}/{phone-number-id}/groups`: the group is created later, by webhook.
pub(super) fn create_group(state: &FakeState, request: &RecordedRequest) -> Response {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let Some(subject) = body["subject"].as_str() else { return error(400, 100, "The parameter subject is required.") };
    if subject.starts_with("ineligible") {
        return error(400, 131215, "Groups API not eligible");
    }
    let n = state.next_message.fetch_add(1, Ordering::Relaxed);
    json_response(200, json!({"messaging_product": "whatsapp", "request_id": format!("GRPREQ{n}")}))
}

/// `/{version}/{group-id}/{edge}`: invite links, participants, join requests.
pub(super) fn group_edge(method: &str, group: &str, edge: &str, request: &RecordedRequest) -> Response {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    match (method, edge) {
        ("GET", "invite_link") => json_response(
            200,
            json!({"messaging_product": "whatsapp", "invite_link": format!("https://chat.whatsapp.com/{group}A")}),
        ),
        ("POST", "invite_link") => json_response(
            200,
            json!({"messaging_product": "whatsapp", "invite_link": format!("https://chat.whatsapp.com/{group}B")}),
        ),
        ("DELETE", "participants") => match body["participants"].as_array() {
            Some(list) if (1..=8).contains(&list.len()) => {
                json_response(200, json!({"messaging_product": "whatsapp", "request_id": format!("RMREQ{group}")}))
            }
            _ => error(400, 100, "participants: 1 to 8 entries"),
        },
        ("GET", "join_requests") => json_response(
            200,
            json!({"data": [{"join_request_id": "JR1", "wa_id": "16505551234", "creation_timestamp": 1_755_548_877}],
                   "paging": {"cursors": {"before": "B", "after": "A"}}}),
        ),
        (method @ ("POST" | "DELETE"), "join_requests") => {
            let ids: Vec<&str> =
                body["join_requests"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let (missing, found): (Vec<&str>, Vec<&str>) = ids.into_iter().partition(|id| id.starts_with("missing"));
            let key = if method == "POST" { "approved_join_requests" } else { "rejected_join_requests" };
            let mut answer = json!({"messaging_product": "whatsapp", key: found});
            if !missing.is_empty() {
                answer["failed_join_requests"] = missing
                    .iter()
                    .map(|id| json!({"join_request_id": id, "errors": [{"code": 131213, "message": "Join request does not exist"}]}))
                    .collect();
            }
            json_response(200, answer)
        }
        _ => error(400, 100, "Unknown path components"),
    }
}

/// `DELETE /{version}/{id}`: an uploaded file of this number, else a group.
pub(super) fn delete(state: &FakeState, id: &str, request: &RecordedRequest) -> Response {
    let owner = request.query.split('&').find_map(|p| p.strip_prefix("phone_number_id="));
    let mut media = state.media.lock().expect("fake lock");
    if media.contains_key(id) {
        if owner.is_some_and(|o| o != state.phone_number_id) {
            return error(400, 100, "The media does not belong to this phone number");
        }
        media.remove(id);
        return json_response(200, json!({"success": true}));
    }
    if owner.is_some() {
        return error(400, 100, "Unsupported delete request. Object with ID does not exist");
    }
    json_response(200, json!({"messaging_product": "whatsapp", "request_id": format!("DELREQ{id}")}))
}

/// `GET /{version}/{waba-id}?fields=marketing_messages_onboarding_status`.
pub(super) fn business_account(id: &str) -> Response {
    json_response(200, json!({"id": id, "marketing_messages_onboarding_status": "ONBOARDED"}))
}
