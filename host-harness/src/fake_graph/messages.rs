//! `POST /{phone-number-id}/messages`: every kind of message, and read receipts; and
//! `POST /{phone-number-id}/marketing_messages`, the Marketing Messages API, for templates.

use std::sync::atomic::Ordering;

use axum::response::Response;
use serde_json::{Value, json};

use super::{FakeState, RecordedRequest, error, json_response};

/// `POST /{version}/{phone-number-id}/messages`.
pub(super) fn send_message(state: &FakeState, phone: &str, request: &RecordedRequest) -> Response {
    if phone != state.phone_number_id {
        return error(400, 100, "Unsupported post request. Object with ID does not exist");
    }
    if request.header("content-type").is_none_or(|t| !t.starts_with("application/json")) {
        return error(400, 100, "Content-Type must be application/json");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return error(400, 100, "Invalid JSON body");
    };
    if body["messaging_product"] != "whatsapp" {
        return error(400, 100, "The parameter messaging_product is required.");
    }
    if body["status"] == "read" {
        return if body["message_id"].is_string() {
            json_response(200, json!({"success": true}))
        } else {
            error(400, 100, "The parameter message_id is required.")
        };
    }
    let to = body["to"].as_str().or_else(|| body["recipient"].as_str());
    let (Some(to), Some(kind)) = (to, body["type"].as_str()) else {
        return error(400, 100, "The parameters to and type are required.");
    };
    if body.get(kind).is_none() {
        return error(400, 131008, &format!("The parameter {kind} is required."));
    }
    let n = state.next_message.fetch_add(1, Ordering::Relaxed);
    json_response(
        200,
        json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": format!("wamid.FAKE{n:08}"), "message_status": "accepted"}],
        }),
    )
}

/// `POST /{version}/{phone-number-id}/marketing_messages`: templates only, answered as
/// `messages` answers them.
pub(super) fn marketing_message(state: &FakeState, phone: &str, request: &RecordedRequest) -> Response {
    if request.json()["type"] != "template" {
        return error(400, 100, "The Marketing Messages API sends template messages only.");
    }
    send_message(state, phone, request)
}
