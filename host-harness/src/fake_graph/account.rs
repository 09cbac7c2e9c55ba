//! The business account's side: the phone number's profile and status, the app's webhook
//! subscription.

use std::sync::atomic::Ordering;

use axum::response::Response;
use serde_json::json;

use super::{FakeState, RecordedRequest, error, json_response};

/// `GET /{version}/{phone-number-id}?fields=...`: the number's profile.
pub(super) fn phone_number(request: &RecordedRequest) -> Response {
    let mut info = json!({
        "display_phone_number": "+1 555-078-3881",
        "verified_name": "Acme Support",
        "quality_rating": "GREEN",
        "name_status": "APPROVED",
        "code_verification_status": "VERIFIED",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "id": request.path.rsplit('/').next().unwrap_or_default(),
    });
    // Like the Graph API, answer only the fields asked for (plus the id).
    if let Some(fields) = request.query.split('&').find_map(|p| p.strip_prefix("fields=")) {
        let wanted: Vec<&str> = fields.split(',').collect();
        if let Some(object) = info.as_object_mut() {
            object.retain(|k, _| k == "id" || wanted.contains(&k.as_str()));
        }
    }
    json_response(200, info)
}

/// `GET /{version}/{waba-id}/subscribed_apps`: the apps that receive the account's webhooks.
pub(super) fn subscribed_apps(state: &FakeState) -> Response {
    let data = if state.subscribed.load(Ordering::Relaxed) {
        json!([{"whatsapp_business_api_data": {"id": "987654321", "name": "Acme omni", "link": "https://www.facebook.com/games/?app_id=987654321"}}])
    } else {
        json!([])
    };
    json_response(200, json!({ "data": data }))
}

/// `POST /{version}/{waba-id}/subscribed_apps`: subscribes the token's app.
pub(super) fn subscribe_app(state: &FakeState) -> Response {
    state.subscribed.store(true, Ordering::Relaxed);
    json_response(200, json!({ "success": true }))
}

/// `POST` (block) or `DELETE` (unblock) `/{version}/{phone-number-id}/block_users`: like Meta,
/// a user whose number ends in `0000` cannot be blocked (no recent message from them).
pub(super) fn block_users(request: &RecordedRequest, block: bool) -> Response {
    let body = request.json();
    if body["messaging_product"] != "whatsapp" {
        return error(400, 100, "The parameter messaging_product is required.");
    }
    let Some(users) = body["block_users"].as_array() else {
        return error(400, 100, "The parameter block_users is required.");
    };
    let (mut changed, mut failed) = (Vec::new(), Vec::new());
    for user in users {
        let Some(id) = user["user"].as_str() else { return error(400, 100, "Each block_users entry needs a user.") };
        if id.ends_with("0000") {
            failed.push(json!({"input": id, "errors": [{"message": "Failed to block/unblock user", "code": 139100}]}));
        } else {
            changed.push(json!({"input": id, "wa_id": id}));
        }
    }
    let key = if block { "added_users" } else { "removed_users" };
    json_response(200, json!({"messaging_product": "whatsapp", "block_users": {key: changed, "failed_users": failed}}))
}

/// `GET /{version}/{phone-number-id}/whatsapp_business_profile?fields=...`.
pub(super) fn business_profile(state: &FakeState) -> Response {
    let mut profile = state.profile.lock().expect("fake lock").clone();
    profile["messaging_product"] = json!("whatsapp");
    json_response(200, json!({ "data": [profile] }))
}

/// `POST /{version}/{phone-number-id}/whatsapp_business_profile`: the fields given replace
/// the stored ones.
pub(super) fn update_business_profile(state: &FakeState, request: &RecordedRequest) -> Response {
    let body = request.json();
    if body["messaging_product"] != "whatsapp" {
        return error(400, 100, "The parameter messaging_product is required.");
    }
    let mut profile = state.profile.lock().expect("fake lock");
    for (key, value) in body.as_object().into_iter().flatten().filter(|(k, _)| *k != "messaging_product") {
        profile[key] = value.clone();
    }
    json_response(200, json!({ "success": true }))
}
