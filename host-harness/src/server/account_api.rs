//! The instance's account through the API (bearer token as the send API):
//!
//! - `POST /api/v1/instances/{instance}/block` and `.../unblock`, body `{"users": [...]}` →
//!   `{changed, failed: [{user, reason}]}`;
//! - `GET /api/v1/instances/{instance}/business-profile` → the profile;
//! - `PATCH /api/v1/instances/{instance}/business-profile`, body `{about?, address?,
//!   description?, email?, websites?, vertical?, profilePictureHandle?}` → 204.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::errors::{channel_error, host_error, json_body, json_error};
use super::{AppState, Lane};
use crate::omni::wire;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/instances/{instance}/block", post(block))
        .route("/api/v1/instances/{instance}/unblock", post(unblock))
        .route("/api/v1/instances/{instance}/business-profile", get(profile).patch(update_profile))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Users {
    users: Vec<String>,
}

async fn block(state: State<AppState>, instance: Path<String>, body: Bytes) -> Response {
    change_blocks(state, instance, body, true).await
}

async fn unblock(state: State<AppState>, instance: Path<String>, body: Bytes) -> Response {
    change_blocks(state, instance, body, false).await
}

async fn change_blocks(
    State(state): State<AppState>,
    Path(instance): Path<String>,
    body: Bytes,
    block: bool,
) -> Response {
    let Users { users } = match json_body(&body) {
        Ok(users) => users,
        Err(refused) => return refused,
    };
    match state.run_plugin(Lane::Egress, move |host| host.block_users(&instance, &users, block)).await {
        Ok(Ok(outcome)) => Json(wire::block_outcome(&outcome)).into_response(),
        Ok(Err(error)) => channel_error(&error),
        Err(e) => host_error(e),
    }
}

async fn profile(State(state): State<AppState>, Path(instance): Path<String>) -> Response {
    match state.run_plugin(Lane::Egress, move |host| host.business_profile(&instance)).await {
        Ok(Ok(profile)) => Json(wire::business_profile(&profile)).into_response(),
        Ok(Err(error)) => channel_error(&error),
        Err(e) => host_error(e),
    }
}

async fn update_profile(State(state): State<AppState>, Path(instance): Path<String>, body: Bytes) -> Response {
    let update = match wire::profile_update(&String::from_utf8_lossy(&body)) {
        Ok(update) => update,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, "invalid-request", &format!("the body: {e}")),
    };
    match state.run_plugin(Lane::Egress, move |host| host.update_business_profile(&instance, &update)).await {
        Ok(Ok(())) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(error)) => channel_error(&error),
        Err(e) => host_error(e),
    }
}
