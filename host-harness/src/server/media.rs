//! `GET /media/{instance}/{media-id}?expires=&signature=`: a received file, for whoever holds a
//! link the plugin put in an event (`content.mediaUrl`), answered by [`crate::media_route`] and
//! streamed as it arrives from the provider.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::AppState;
use crate::bindings::types::ChannelError;
use crate::media_route::{MediaAnswer, MediaBody};

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
    response(answer)
}

/// A media answer as axum's response, a file streamed.
pub fn response(answer: MediaAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match answer.body {
        MediaBody::Json(bytes) => Body::from(bytes),
        MediaBody::File(file) => Body::new(Chunks(file.chunks)),
    };
    let mut response = (status, body).into_response();
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (name.parse::<axum::http::HeaderName>(), HeaderValue::from_str(&value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// A file's chunks as a body: an error ends the response unfinished.
struct Chunks(mpsc::Receiver<Result<Bytes, ChannelError>>);

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|chunk| chunk.map(Frame::data).map_err(|e| std::io::Error::other(format!("{e:?}")))))
    }
}
