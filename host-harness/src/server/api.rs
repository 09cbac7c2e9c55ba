//! The send API, for omni or an operator, behind a bearer token:
//!
//! - `POST /api/v1/instances/{instance}/messages`: an omni `OutgoingMessage` (JSON) → the receipt,
//!   or the typed error; retried as the plugin advises.
//! - `POST /api/v1/instances/{instance}/messages/{message-id}/read`: mark read; body
//!   `{"typing": true}` optionally shows a typing indicator.
//! - `POST /api/v1/instances/{instance}/media?filename=&kind=&ttlMinutes=`: the file as the body,
//!   its type as `Content-Type` → `{"id"}`.
//! - `GET /api/v1/instances/{instance}/media/{media-id}`: the file, verified, with
//!   `x-content-sha256`; `DELETE` deletes an uploaded file from Meta (204).
//! - the instances themselves (`super::instances_api`): list, add or change, remove,
//!   status, connect, disconnect; their account (`super::account_api`): block lists and the
//!   business profile; calls and groups (`super::actions_api`).
//!
//! Typed errors come back as `{"error": <case>, "message", "retryable", ...}` with a status
//! that says whose fault it was: 400 the request, 502 Meta, 503 unreachable, 504 unknown outcome.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;

use super::errors::{channel_error, host_error, json_error, status_of};
use super::guards::{BodyLimit, limit_body};
use super::request_id::RequestId;
use super::{AppState, Lane, ServerOptions};
use crate::bindings::media::MediaUpload;
use crate::bindings::types::ChannelError;
use crate::channel_host::HostError;
use crate::omni::wire;

/// The API's routes, each with its body limit: small for the JSON routes, large only for
/// uploads. The bearer token is checked (by `guards::require_token`, layered by the caller)
/// before any of them reads a body.
pub fn routes(options: &ServerOptions) -> Router<AppState> {
    let limited = |bytes: usize, deadline: std::time::Duration| {
        (DefaultBodyLimit::max(bytes), axum::middleware::from_fn_with_state(BodyLimit { bytes, deadline }, limit_body))
    };
    let small = limited(options.small_body_limit, options.body_read_timeout);
    let message = limited(options.send_body_limit, options.body_read_timeout);
    let file = limited(options.media_body_limit, options.upload_read_timeout);
    Router::new()
        .route("/api/v1/instances/{instance}/messages", post(send).layer(message))
        .route("/api/v1/instances/{instance}/messages/{message_id}/read", post(mark_read).layer(small.clone()))
        .route("/api/v1/instances/{instance}/media", post(upload).layer(file))
        .route("/api/v1/instances/{instance}/media/{media_id}", get(download).delete(delete_media))
        .merge(
            super::instances_api::routes()
                .merge(super::account_api::routes())
                .merge(super::actions_api::routes())
                .layer(small),
        )
}

async fn send(
    State(state): State<AppState>,
    Path(instance): Path<String>,
    Extension(request_id): Extension<RequestId>,
    body: Bytes,
) -> Response {
    let label = if state.host.instance(&instance).is_ok() { instance.clone() } else { "unknown".into() };
    let json = String::from_utf8_lossy(&body).into_owned();
    // omni's message id when it gave one, else this request's id: the same on every attempt.
    let outcome = match state.calls.send(&instance, json, Vec::new(), request_id.0, super::arrived(), None).await {
        Ok(outcome) => outcome,
        Err(e) => {
            if matches!(e, HostError::Plugin(_)) {
                state.metrics.inc("omni_sends_total", &[("instance", &label), ("outcome", "plugin_failed")]);
            }
            return host_error(e);
        }
    };
    let metric = match &outcome.failure {
        None => "sent",
        Some(ChannelError::InvalidRequest(_) | ChannelError::InvalidConfig(_)) => "invalid",
        Some(ChannelError::OutcomeUnknown(_)) => "unknown",
        Some(_) => "failed",
    };
    state.metrics.inc("omni_sends_total", &[("instance", &label), ("outcome", metric)]);
    match (wire::parts_outcome(&outcome), &outcome.failure) {
        (Ok(receipt), _) => Json(receipt).into_response(),
        (Err(body), Some(error)) => (status_of(error), Json(body)).into_response(),
        (Err(body), None) => (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response(),
    }
}

#[derive(Deserialize, Default)]
struct ReadBody {
    #[serde(default)]
    typing: bool,
}

async fn mark_read(
    State(state): State<AppState>,
    Path((instance, message_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let read: ReadBody = if body.is_empty() {
        ReadBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(read) => read,
            Err(e) => return json_error(StatusCode::BAD_REQUEST, "invalid-json", &e.to_string()),
        }
    };
    match state.run_plugin(Lane::Egress, move |host| host.mark_read(&instance, &message_id, read.typing)).await {
        Ok(Ok(())) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(error)) => channel_error(&error),
        Err(e) => host_error(e),
    }
}

#[derive(Deserialize)]
struct UploadQuery {
    #[serde(default)]
    filename: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    /// How long Meta keeps the file, for numbers that store no media by default.
    #[serde(default, rename = "ttlMinutes")]
    ttl_minutes: Option<u32>,
}

async fn upload(
    State(state): State<AppState>,
    Path(instance): Path<String>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let kind = match query.kind.as_deref() {
        None => None,
        Some(name) => match wire::parse_media_kind(name) {
            Some(kind) => Some(kind),
            None => {
                return json_error(StatusCode::BAD_REQUEST, "invalid-kind", &format!("unknown media kind `{name}`"));
            }
        },
    };
    let mime_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let upload =
        MediaUpload { bytes: body.to_vec(), mime_type, filename: query.filename, kind, ttl_minutes: query.ttl_minutes };
    match state.run_plugin(Lane::Media, move |host| host.upload_media(&instance, &upload)).await {
        Ok(Ok(id)) => (StatusCode::CREATED, Json(serde_json::json!({ "id": id }))).into_response(),
        Ok(Err(error)) => channel_error(&error),
        Err(e) => host_error(e),
    }
}

async fn delete_media(State(state): State<AppState>, Path((instance, media_id)): Path<(String, String)>) -> Response {
    match state.run_plugin(Lane::Egress, move |host| host.delete_media(&instance, &media_id)).await {
        Ok(Ok(())) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(error)) => channel_error(&error),
        Err(e) => host_error(e),
    }
}

async fn download(State(state): State<AppState>, Path((instance, media_id)): Path<(String, String)>) -> Response {
    super::media::response(crate::media_route::fetch(&state.calls, &instance, &media_id, super::arrived()).await)
}
