//! What every request meets before a handler reads its body: the send API's bearer token, the
//! route's body limit (an announced `Content-Length` over it is 413 at once), a deadline for
//! the whole body, so a client trickling bytes cannot hold a connection and its memory, and a
//! budget of bytes held at once over all requests of a route, so that many clients together
//! cannot either.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};

use super::AppState;

fn refusal(status: StatusCode, error: &str, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": error, "message": message, "retryable": false }))).into_response()
}

/// Whether `headers` carry `Authorization: Bearer <token>` (scheme in any case), compared in
/// constant time.
pub fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else { return false };
    let Some((scheme, given)) = value.trim().split_once(' ') else { return false };
    let given = given.trim();
    scheme.eq_ignore_ascii_case("bearer")
        && omni_channel_vocabulary::constant_time_eq(given.as_bytes(), token.as_bytes())
}

/// Middleware of the send API: no token configured, or not the right one → refused before the
/// body is read.
pub async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(token) = &state.options.api_token else {
        return refusal(StatusCode::NOT_FOUND, "api-disabled", "the send API is off: configure [api] token");
    };
    if !bearer_matches(request.headers(), token) {
        return refusal(StatusCode::UNAUTHORIZED, "unauthorized", "missing or wrong bearer token");
    }
    next.run(request).await
}

/// A route's body limit and the time its body has to arrive.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    pub bytes: usize,
    pub deadline: Duration,
}

/// Middleware (`from_fn_with_state(BodyLimit, limit_body)`): 413 at once for an announced body
/// over the limit, and the body cut off (the request fails) past the deadline.
pub async fn limit_body(State(limit): State<BodyLimit>, request: Request, next: Next) -> Response {
    let announced = announced_length(request.headers());
    if announced.is_some_and(|n| n > limit.bytes as u64) {
        let message = format!("the body exceeds {} bytes", limit.bytes);
        return refusal(StatusCode::PAYLOAD_TOO_LARGE, "too-large", &message);
    }
    let request = request.map(|body| Body::new(DeadlineBody::new(body, limit.deadline)));
    next.run(request).await
}

/// The body size a request announces (`Content-Length`), if any.
pub fn announced_length(headers: &HeaderMap) -> Option<u64> {
    headers.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok())
}

/// A body that fails once its deadline passes, however slowly its bytes come.
pub struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl DeadlineBody {
    pub fn new(inner: Body, within: Duration) -> Self {
        Self { inner, deadline: Box::pin(tokio::time::sleep(within)) }
    }
}

/// Why a body was cut off.
#[derive(Debug)]
pub struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimedOut {}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut))));
        }
        Pin::new(&mut self.inner).poll_frame(cx).map_err(Into::into)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", authorization.parse().unwrap());
        headers
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_the_token_is_not() {
        for ok in ["Bearer s3cret", "bearer s3cret", "BEARER  s3cret "] {
            assert!(bearer_matches(&headers(ok), "s3cret"), "{ok}");
        }
        for bad in ["Bearer S3cret", "Basic s3cret", "Bearer", "s3cret", "Bearer s3cre", "Bearer s3crett"] {
            assert!(!bearer_matches(&headers(bad), "s3cret"), "{bad}");
        }
        assert!(!bearer_matches(&HeaderMap::new(), "s3cret"));
    }
}
