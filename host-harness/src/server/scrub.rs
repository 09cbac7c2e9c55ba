//! No answer of the instances API quotes a secret the host read from its environment for an
//! API caller: the plugin's problems, a provider's error, a connect check or a stored status
//! may all quote settings, so the JSON answers about such an instance are scrubbed of them
//! here, in one place, whatever produced the words.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

/// Largest JSON answer scrubbed (the API's answers are small; a larger one is refused rather
/// than passed unread).
const MAX_SCRUBBED_BYTES: usize = 1 << 20;

/// Middleware of the API routes.
pub async fn scrub_answers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let secrets = secrets_for(&state, request.uri().path());
    let response = next.run(request).await;
    if secrets.is_empty() || !is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_SCRUBBED_BYTES).await else {
        return super::errors::json_error(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "answer-too-large",
            "the answer was too large to check for secrets",
        );
    };
    let text = crate::config::scrub(&String::from_utf8_lossy(&bytes), &secrets);
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text))
}

/// The secrets an answer to `path` could quote: the instance's it names, or every instance's
/// for the list.
fn secrets_for(state: &AppState, path: &str) -> Vec<String> {
    let Some(rest) = path.strip_prefix("/api/v1/instances") else { return Vec::new() };
    let instances = state.host.instances();
    match rest.trim_start_matches('/').split('/').next().filter(|id| !id.is_empty()) {
        Some(id) => instances.iter().filter(|i| i.id() == id).flat_map(|i| i.secrets().to_vec()).collect(),
        None => instances.iter().flat_map(|i| i.secrets().to_vec()).collect(),
    }
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}
