//! The business account's side: the phone number's profile and status, the app's webhook
//! subscription.

use std::sync::atomic::Ordering;

use axum::response::Response;
use serde_json::json;

use super::{FakeState, RecordedRequest, json_response};

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
