//! `GET /media/{instance}/{media-id}?expires=&signature=`: a received file, for whoever holds a
//! link the plugin put in an event (`content.mediaUrl`). The link is the credential: no bearer
//! token, but a signature and an expiry only this host can produce. The file is downloaded
//! through the plugin, which checks it against Meta's size and SHA-256.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{AppState, Lane};
use crate::capabilities::media_links::LinkRefusal;

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    expires: String,
    #[serde(default)]
    signature: String,
}

fn refusal(status: StatusCode, error: &str, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": error, "message": message }))).into_response()
}

pub async fn serve(
    State(state): State<AppState>,
    Path((instance, media_id)): Path<(String, String)>,
    Query(link): Query<LinkQuery>,
) -> Response {
    let Some(links) = state.host.media_links() else {
        return refusal(StatusCode::NOT_FOUND, "media-off", "this host serves no media: configure [media] public_url");
    };
    match links.verify(&instance, &media_id, &link.expires, &link.signature) {
        Ok(()) => {}
        Err(LinkRefusal::Forged) => {
            return refusal(StatusCode::FORBIDDEN, "forbidden", "not a media link of this host");
        }
        Err(LinkRefusal::Expired) => return refusal(StatusCode::GONE, "expired", "the media link has expired"),
    }
    let label = instance.clone();
    match state.run_plugin(Lane::Egress, move |host| host.download_media(&instance, &media_id)).await {
        Ok(Ok(media)) => {
            state.metrics.inc("omni_media_downloads_total", &[("instance", &label), ("outcome", "served")]);
            let mut response = (StatusCode::OK, media.bytes).into_response();
            for (name, value) in [("content-type", media.mime_type), ("x-content-sha256", media.sha256)] {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
        Ok(Err(error)) => {
            state.metrics.inc("omni_media_downloads_total", &[("instance", &label), ("outcome", "failed")]);
            let status = match &error {
                crate::bindings::types::ChannelError::Integrity(_) => StatusCode::BAD_GATEWAY,
                crate::bindings::types::ChannelError::Unreachable(_) => StatusCode::SERVICE_UNAVAILABLE,
                crate::bindings::types::ChannelError::InvalidRequest(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::BAD_GATEWAY,
            };
            (status, Json(crate::omni::wire::channel_error(&error))).into_response()
        }
        Err(crate::channel_host::HostError::UnknownInstance(id)) => {
            refusal(StatusCode::NOT_FOUND, "unknown-instance", &format!("no instance `{id}`"))
        }
        Err(e @ crate::channel_host::HostError::Busy(_)) => {
            refusal(StatusCode::SERVICE_UNAVAILABLE, "busy", &e.to_string())
        }
        Err(e) => refusal(StatusCode::INTERNAL_SERVER_ERROR, "plugin-failed", &e.to_string()),
    }
}
