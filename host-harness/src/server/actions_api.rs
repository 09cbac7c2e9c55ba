//! Calls and groups through the API (bearer token as the send API), each action named by its
//! `action` field (`crate::omni::actions`):
//!
//! - `POST /api/v1/instances/{instance}/calls`, body `{"action": "connect" | "pre_accept" |
//!   "accept" | "reject" | "terminate", ...}` → `{"callId"}`;
//! - `POST /api/v1/instances/{instance}/groups`, body `{"action": "create" | "invite_link" |
//!   "reset_invite_link" | "remove_participants" | "join_requests" | "approve_join_requests" |
//!   "reject_join_requests" | "delete", ...}` → `{requestId?, inviteLink?, joinRequests, failed}`.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

use super::errors::{channel_error, host_error, json_error};
use super::{AppState, Lane};
use crate::omni::actions;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/instances/{instance}/calls", post(call))
        .route("/api/v1/instances/{instance}/groups", post(group))
}

async fn call(State(state): State<AppState>, Path(instance): Path<String>, body: Bytes) -> Response {
    let action = match actions::call_action(&String::from_utf8_lossy(&body)) {
        Ok(action) => action,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, "invalid-request", &format!("the body: {e}")),
    };
    match state.run_plugin(Lane::Egress, move |host| host.act_on_call(&instance, &action)).await {
        Ok(Ok(call_id)) => Json(json!({ "callId": call_id })).into_response(),
        Ok(Err(error)) => channel_error(&error),
        Err(e) => host_error(e),
    }
}

async fn group(State(state): State<AppState>, Path(instance): Path<String>, body: Bytes) -> Response {
    let action = match actions::group_action(&String::from_utf8_lossy(&body)) {
        Ok(action) => action,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, "invalid-request", &format!("the body: {e}")),
    };
    match state.run_plugin(Lane::Egress, move |host| host.act_on_group(&instance, &action)).await {
        Ok(Ok(outcome)) => Json(actions::group_outcome(&outcome)).into_response(),
        Ok(Err(error)) => channel_error(&error),
        Err(e) => host_error(e),
    }
}
