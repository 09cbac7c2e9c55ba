//! The instances as an API, behind the same bearer token as the send API:
//!
//! - `GET /api/v1/instances`: every instance with its status;
//! - `PUT /api/v1/instances/{instance}`: adds or changes one, `{"config": {...}, "egress": [...]}`
//!   (the config as in the file's `[instances.config]`, `{"env": "VAR"}` included) → 201 added,
//!   200 changed or unchanged, 400 with the plugin's problems;
//! - `DELETE /api/v1/instances/{instance}`: removes one (its calls in flight finish) → 204;
//! - `GET /api/v1/instances/{instance}/status`: what the host knows of its health;
//! - `POST /api/v1/instances/{instance}/connect[?subscribe=true]`: checks its credentials and
//!   setup with the provider (subscribing its app to the webhooks when asked);
//! - `POST /api/v1/instances/{instance}/disconnect`: publishes `instance.disconnected` and
//!   refuses its sends until it is connected again (body `{"reason": "..."}`, optional).
//!
//! Changes made here last until the configuration file is reloaded (SIGHUP) or the host
//! restarts: the file is the source of truth.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::{channel_error, host_error, json_body, json_error};
use super::{AppState, Lane};
use crate::bindings::plugin::ConnectOptions;
use crate::capabilities::events::SinkError;
use crate::channel_host::{HostError, Refusal};
use crate::config::{InstanceSettings, scrub};
use crate::instances::{Change, HostedInstance};
use crate::omni::wire;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/instances", get(list))
        .route("/api/v1/instances/{instance}", put(put_instance).delete(remove))
        .route("/api/v1/instances/{instance}/status", get(status))
        .route("/api/v1/instances/{instance}/connect", post(connect))
        .route("/api/v1/instances/{instance}/disconnect", post(disconnect))
}

fn describe(instance: &HostedInstance) -> Value {
    json!({
        "id": instance.id(),
        "egress": instance.egress.origins().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "status": instance.status(),
    })
}

async fn list(State(state): State<AppState>) -> Response {
    let instances: Vec<Value> = state.host.instances().iter().map(|i| describe(i)).collect();
    Json(json!({ "instances": instances })).into_response()
}

async fn status(State(state): State<AppState>, Path(instance): Path<String>) -> Response {
    match state.host.instance(&instance) {
        Ok(instance) => Json(describe(&instance)).into_response(),
        Err(e) => host_error(e),
    }
}

/// The body of `PUT /api/v1/instances/{instance}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutBody {
    #[serde(default)]
    config: serde_json::Map<String, Value>,
    #[serde(default)]
    egress: Option<Vec<String>>,
}

async fn put_instance(State(state): State<AppState>, Path(id): Path<String>, body: Bytes) -> Response {
    let body: PutBody = match json_body(&body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let invalid = |message: &str| json_error(StatusCode::BAD_REQUEST, "invalid-config", message);
    // The caller chose these settings: only the variables and origins the operator lets
    // callers use, and no value read from the environment in any answer.
    let limits = state.options.callers.clone();
    let resolved = match InstanceSettings::from_json(&id, Value::Object(body.config), None)
        .and_then(|settings| settings.caller_config(&limits))
    {
        Ok(resolved) => resolved,
        Err(e) => return invalid(&format!("{e:#}")),
    };
    let secrets = resolved.secrets.clone();
    let instance = id.clone();
    // Validation calls the plugin: in a lane, like every call, so it waits for an instance slot.
    // A plugin that fails (traps, runs out of budget) did not refuse the config: that is the
    // host's 500, counted with the other plugin failures, not the caller's 400.
    let result = state
        .run_plugin(Lane::Egress, move |host| {
            match host.put_caller_instance(&instance, resolved, body.egress.as_deref(), limits.egress.as_deref()) {
                Err(Refusal::Plugin(failure)) => Err(HostError::Plugin(failure)),
                other => Ok(other),
            }
        })
        .await;
    match result {
        Ok(Ok(change)) => {
            let status = if change == Change::Added { StatusCode::CREATED } else { StatusCode::OK };
            let name = match change {
                Change::Added => "added",
                Change::Updated => "updated",
                Change::Unchanged => "unchanged",
            };
            (status, Json(json!({ "id": id, "change": name }))).into_response()
        }
        Ok(Err(refusal)) => invalid(&scrub(&refusal.describe(&id), &secrets)),
        Err(e) => host_error(e),
    }
}

async fn remove(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if state.host.remove_instance(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        json_error(StatusCode::NOT_FOUND, "unknown-instance", &format!("no instance `{id}`"))
    }
}

#[derive(Deserialize)]
struct ConnectQuery {
    #[serde(default)]
    subscribe: bool,
}

async fn connect(
    State(state): State<AppState>,
    Path(instance): Path<String>,
    Query(query): Query<ConnectQuery>,
) -> Response {
    let options = ConnectOptions { subscribe_webhooks: query.subscribe };
    match state.run_plugin(Lane::Egress, move |host| host.connect(&instance, options)).await {
        Ok(Ok(info)) => Json(wire::connection_info(&info)).into_response(),
        Ok(Err(error)) => channel_error(&error),
        Err(e) => host_error(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DisconnectBody {
    reason: Option<String>,
}

async fn disconnect(State(state): State<AppState>, Path(instance): Path<String>, body: Bytes) -> Response {
    let body: DisconnectBody = if body.is_empty() {
        DisconnectBody::default()
    } else {
        match json_body(&body) {
            Ok(body) => body,
            Err(refused) => return refused,
        }
    };
    let reason = body.reason.unwrap_or_else(|| "disconnected by the operator".into());
    // Publishing may wait on the bus: off the connection's thread.
    match state.run_plugin(Lane::Egress, move |host| host.disconnect(&instance, &reason)).await {
        Ok(Ok(event_id)) => Json(json!({ "eventId": event_id })).into_response(),
        // The bus did not take the event, so nothing changed: the instance still sends.
        Ok(Err(SinkError::Unavailable(why))) => {
            let body = json!({ "error": "bus-unavailable", "message": why, "retryable": true });
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
        Ok(Err(SinkError::Rejected(why) | SinkError::Broken(why))) => {
            let body = json!({ "error": "bus-refused", "message": why, "retryable": false });
            (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
        }
        Err(e) => host_error(e),
    }
}
