//! `GET /media/{instance}/{media-id}?expires=&signature=`: a received file, for whoever holds a
//! link the plugin put in an event (`content.mediaUrl`), answered by [`crate::media_route`].

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    expires: String,
    #[serde(default)]
    signature: String,
}

pub async fn serve(
    State(state): State<AppState>,
    Path((instance, media_id)): Path<(String, String)>,
    Query(link): Query<LinkQuery>,
) -> Response {
    let answer = crate::media_route::answer(&state.calls, &instance, &media_id, &link.expires, &link.signature).await;
    let outcome = match answer.status {
        200 => Some("served"),
        403 | 404 | 410 => None,
        _ => Some("failed"),
    };
    if let Some(outcome) = outcome {
        state.metrics.inc("omni_media_downloads_total", &[("instance", &instance), ("outcome", outcome)]);
    }
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, answer.body).into_response();
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (name.parse::<axum::http::HeaderName>(), HeaderValue::from_str(&value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
