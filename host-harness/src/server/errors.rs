//! How the API answers a failure: a typed channel error, or a call the host could not make,
//! as `{"error": <case>, "message", "retryable", ...}` with a status that says whose fault it
//! was (400 the request, 409 a disconnected instance, 501 what the channel does not implement,
//! 502 the provider, 503 unreachable or busy, 504 an unknown outcome).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::bindings::types::ChannelError;
use crate::channel_host::HostError;
use crate::omni::wire;
use crate::runtime::PluginError;

pub fn json_error(status: StatusCode, error: &str, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": error, "message": message, "retryable": false }))).into_response()
}

/// A request's JSON body, or the 400 `invalid-request` that says what is wrong with it.
// The error is the answer itself, returned at once by the handler: its size costs nothing.
#[allow(clippy::result_large_err)]
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body)
        .map_err(|e| json_error(StatusCode::BAD_REQUEST, "invalid-request", &format!("the body: {e}")))
}

/// The status for a typed channel error.
pub fn status_of(error: &ChannelError) -> StatusCode {
    match error {
        ChannelError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
        ChannelError::InvalidConfig(_) | ChannelError::Other(_) => StatusCode::INTERNAL_SERVER_ERROR,
        ChannelError::Provider(_) | ChannelError::Integrity(_) => StatusCode::BAD_GATEWAY,
        ChannelError::Unreachable(_) => StatusCode::SERVICE_UNAVAILABLE,
        ChannelError::OutcomeUnknown(_) => StatusCode::GATEWAY_TIMEOUT,
        ChannelError::Unsupported(_) => StatusCode::NOT_IMPLEMENTED,
    }
}

pub fn channel_error(error: &ChannelError) -> Response {
    (status_of(error), Json(wire::channel_error(error))).into_response()
}

pub fn host_error(error: HostError) -> Response {
    match error {
        HostError::UnknownInstance(id) => {
            json_error(StatusCode::NOT_FOUND, "unknown-instance", &format!("no instance `{id}`"))
        }
        HostError::Plugin(e @ PluginError::Unsupported(_)) => {
            json_error(StatusCode::NOT_IMPLEMENTED, "unsupported", &e.to_string())
        }
        HostError::Plugin(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, "plugin-failed", &e.to_string()),
        HostError::Busy(_) => {
            let body = serde_json::json!({ "error": "busy", "message": error.to_string(), "retryable": true });
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
        HostError::Paused(_) => {
            let body = serde_json::json!({ "error": "disconnected", "message": error.to_string(), "retryable": false });
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
    }
}
