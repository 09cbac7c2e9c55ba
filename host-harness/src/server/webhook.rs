//! `GET|POST /webhooks/{channel}/{instance}`: the provider's webhook (Meta's, for
//! `whatsapp-cloud`), handed to the plugin as is.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::bindings::webhook::IncomingRequest;
use crate::channel_host::HostError;

pub async fn handle(
    State(state): State<AppState>,
    Path(instance): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (mut response, outcome) = answer(&state, &instance, method, uri, headers, body).await;
    response.extensions_mut().insert(Outcome(outcome));
    response
}

/// How a webhook request ended, for the metrics (set by the handler on its response).
#[derive(Clone, Copy)]
pub struct Outcome(pub &'static str);

/// Middleware around the webhook route, guards included: counts every request by instance and
/// outcome, and times it. A request refused before the handler (an announced body over the
/// limit) counts as `too_large`.
pub async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Metric labels only ever name configured instances.
    let instance = request.uri().path().rsplit('/').next().unwrap_or("").to_owned();
    let label = if state.host.instance(&instance).is_ok() { instance } else { "unknown".into() };
    let response = next.run(request).await;
    let outcome = match response.extensions().get::<Outcome>() {
        Some(Outcome(outcome)) => outcome,
        None if response.status() == StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        None => "refused",
    };
    state.metrics.inc("omni_webhook_requests_total", &[("instance", &label), ("outcome", outcome)]);
    state.metrics.observe_webhook(started.elapsed().as_secs_f64());
    response
}

async fn answer(
    state: &AppState,
    instance: &str,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> (Response, &'static str) {
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = state.options.webhook_body_limit;
            return (error(StatusCode::PAYLOAD_TOO_LARGE, &format!("body exceeds {limit} bytes")), "too_large");
        }
        Err(rejection) => return (error(rejection.status(), &rejection.body_text()), "bad_request"),
    };
    let request = IncomingRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        headers: crate::omni::wire::header_pairs(&headers),
        body: body.to_vec(),
    };
    match state.run_webhook(instance.to_owned(), request).await {
        Ok(response) => {
            let outcome = outcome(&method, response.status);
            if (200..300).contains(&response.status)
                && method == Method::POST
                && let Ok(receiver) = state.host.instance(instance)
            {
                receiver.record_webhook();
            }
            (reply(response), outcome)
        }
        Err(e) => {
            let outcome = match e {
                HostError::UnknownInstance(_) => "unknown_instance",
                HostError::Busy(_) => "busy",
                HostError::Paused(_) => "paused",
                HostError::Plugin(_) => "plugin_failed",
            };
            (reply(crate::calls::webhook_refusal(&e)), outcome)
        }
    }
}

/// An answer as axum's response.
fn reply(answer: crate::bindings::webhook::OutgoingResponse) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut reply = (status, answer.body).into_response();
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) =
            (name.parse::<axum::http::HeaderName>(), axum::http::HeaderValue::from_str(&value))
        {
            reply.headers_mut().insert(name, value);
        }
    }
    reply
}

/// A short name for the plugin's answer, for metrics.
fn outcome(method: &Method, status: u16) -> &'static str {
    match status {
        200..=299 if method == Method::GET => "verified",
        200..=299 => "ok",
        400 => "bad_request",
        401 => "bad_signature",
        403 => "verification_refused",
        405 => "method_not_allowed",
        413 => "too_large",
        503 => "bus_unavailable",
        _ => "error",
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}
