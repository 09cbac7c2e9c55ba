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

/// Middleware of the webhook route, before its body is read: an unknown instance is 404
/// unread, and a body reserves its room in the budget of bytes held at once (see
/// [`super::body_budget`]: the oldest body still arriving is cut off for it, and only when the
/// bodies being worked on fill the budget is it refused, 503, which Meta delivers again). A
/// body without a length reserves the route's limit.
pub async fn admit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let instance = request.uri().path().rsplit('/').next().unwrap_or("").to_owned();
    if state.host.instance(&instance).is_err() {
        let mut unknown = error(StatusCode::NOT_FOUND, &format!("no instance `{instance}`"));
        unknown.extensions_mut().insert(Outcome("unknown_instance"));
        return unknown;
    }
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let limit = state.options.webhook_body_limit;
    let size = super::guards::announced_length(request.headers()).map_or(limit, |n| (n as usize).min(limit));
    let (parts, body) = request.into_parts();
    let Some((held, body)) = state.webhook_budget.reserve(size, body).await else {
        tracing::warn!(instance, size, "webhook bodies being handled fill the budget: refused unread, Meta retries");
        return busy("too many webhook bytes in progress; deliver again");
    };
    let response = next.run(Request::from_parts(parts, body)).await;
    if held.was_cut() {
        tracing::warn!(instance, size, "a webhook body still arriving was cut off for newer ones");
        return busy("the body was still arriving when newer deliveries needed its room; deliver again");
    }
    response
}

/// Whether `error` or one of its causes is a `T`.
fn caused_by<T: std::error::Error + 'static>(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<T>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// 503, closing the connection: Meta delivers again.
fn busy(message: &str) -> Response {
    let mut busy = error(StatusCode::SERVICE_UNAVAILABLE, message);
    busy.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("1"));
    busy.headers_mut().insert("connection", axum::http::HeaderValue::from_static("close"));
    busy.extensions_mut().insert(Outcome("busy"));
    busy
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
        Err(rejection) if caused_by::<super::guards::BodyTimedOut>(&rejection) => {
            return (error(StatusCode::REQUEST_TIMEOUT, "the body did not arrive in time"), "bad_request");
        }
        Err(rejection) => return (error(rejection.status(), &rejection.body_text()), "bad_request"),
    };
    let request = IncomingRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        headers: crate::omni::wire::header_pairs(&headers),
        body: Vec::from(body),
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
