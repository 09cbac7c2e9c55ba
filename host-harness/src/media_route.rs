//! Answering a request for a received file, for every front door: `serve`'s media links
//! (`GET /media/{instance}/{media-id}`) and its send API's download, and the omni package's
//! links under omni's webhook base, all alike.
//!
//! A link is the credential: no token, but a signature and an expiry only this host can
//! produce (403 forged, 410 expired). The file is located by the plugin in the media lane and
//! streamed by [`crate::media_fetch`], checked against the provider's size and SHA-256. Errors
//! say whether asking again can help: 404 for a file the provider does not (or no longer)
//! hold, 503 for an outage or a busy host, 502 for a file that failed its check.

use std::time::Instant;

use crate::bindings::types::ChannelError;
use crate::bindings::webhook::OutgoingResponse;
use crate::calls::Calls;
use crate::capabilities::media_links::LinkRefusal;
use crate::channel_host::HostError;
use crate::media_fetch::{FetchFailure, MediaStream};

/// What a request for a file gets.
pub struct MediaAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: MediaBody,
}

/// A refusal's JSON, or the file itself, streaming.
pub enum MediaBody {
    Json(Vec<u8>),
    File(MediaStream),
}

/// The answer to `GET {link}` for the file `media_id` of `instance`.
pub async fn answer(calls: &Calls, instance: &str, media_id: &str, expires: &str, signature: &str) -> MediaAnswer {
    let Some(links) = calls.host().media_links() else {
        return json(404, "media-off", "this host serves no media links", false);
    };
    match links.verify(instance, media_id, expires, signature) {
        Ok(()) => fetch(calls, instance, media_id, Instant::now()).await,
        Err(LinkRefusal::Forged) => json(403, "forbidden", "not a media link of this host", false),
        Err(LinkRefusal::Expired) => json(410, "expired", "the media link has expired", false),
    }
}

/// The file `media_id` of `instance`, for a caller already allowed to have it.
pub async fn fetch(calls: &Calls, instance: &str, media_id: &str, arrived: Instant) -> MediaAnswer {
    match crate::media_fetch::stream(calls, instance, media_id, arrived).await {
        Ok(file) => {
            let mut headers = vec![
                ("content-type".to_owned(), file.mime_type.clone()),
                ("x-content-sha256".to_owned(), file.sha256.clone()),
            ];
            if let Some(size) = file.size {
                headers.push(("content-length".to_owned(), size.to_string()));
            }
            MediaAnswer { status: 200, headers, body: MediaBody::File(file) }
        }
        Err(FetchFailure::Channel(error)) => {
            let status = match &error {
                ChannelError::InvalidRequest(_) => 404,
                ChannelError::Unreachable(e) if e.retry.is_some() => 503,
                ChannelError::Provider(e) if e.retry.is_some() => 503,
                _ => 502,
            };
            MediaAnswer {
                status,
                headers: vec![("content-type".into(), "application/json".into())],
                body: MediaBody::Json(crate::omni::wire::channel_error(&error).to_string().into_bytes()),
            }
        }
        Err(FetchFailure::Host(HostError::UnknownInstance(id))) => {
            json(404, "unknown-instance", &format!("no instance `{id}`"), false)
        }
        Err(FetchFailure::Host(e @ HostError::Busy(_))) => json(503, "busy", &e.to_string(), true),
        Err(FetchFailure::Host(e)) => json(500, "plugin-failed", &e.to_string(), false),
    }
}

impl MediaAnswer {
    /// The answer with the file read whole (a front door that hands bodies over in one piece);
    /// a file that fails its check on the way becomes a 502.
    pub async fn collect(self) -> OutgoingResponse {
        let mut file = match self.body {
            MediaBody::Json(body) => return OutgoingResponse { status: self.status, headers: self.headers, body },
            MediaBody::File(file) => file,
        };
        let mut bytes = Vec::with_capacity(file.size.unwrap_or(0).min(16 << 20) as usize);
        while let Some(chunk) = file.chunks.recv().await {
            match chunk {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(error) => {
                    let body = crate::omni::wire::channel_error(&error).to_string().into_bytes();
                    let headers = vec![("content-type".into(), "application/json".into())];
                    return OutgoingResponse { status: 502, headers, body };
                }
            }
        }
        OutgoingResponse { status: self.status, headers: self.headers, body: bytes }
    }
}

fn json(status: u16, error: &str, message: &str, retryable: bool) -> MediaAnswer {
    let body = serde_json::json!({ "error": error, "message": message, "retryable": retryable });
    MediaAnswer {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: MediaBody::Json(body.to_string().into_bytes()),
    }
}
