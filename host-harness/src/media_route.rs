//! Answering a media link (see [`crate::capabilities::media_links`]), for every front door:
//! `serve`'s `GET /media/{instance}/{media-id}` and the omni package's route under omni's
//! webhook base answer exactly alike.
//!
//! The link is the credential: no token, but a signature and an expiry only this host can
//! produce (403 forged, 410 expired). The file is downloaded through the plugin in the media
//! lane — never holding up webhooks or sends — and checked against Meta's size and SHA-256
//! (502 on a mismatch).

use std::time::Instant;

use crate::bindings::types::ChannelError;
use crate::bindings::webhook::OutgoingResponse;
use crate::calls::{Calls, Lane};
use crate::capabilities::media_links::LinkRefusal;
use crate::channel_host::HostError;

/// The answer to `GET {link}` for the file `media_id` of `instance`.
pub async fn answer(calls: &Calls, instance: &str, media_id: &str, expires: &str, signature: &str) -> OutgoingResponse {
    let Some(links) = calls.host().media_links() else {
        return json(404, "media-off", "this host serves no media links");
    };
    match links.verify(instance, media_id, expires, signature) {
        Ok(()) => {}
        Err(LinkRefusal::Forged) => return json(403, "forbidden", "not a media link of this host"),
        Err(LinkRefusal::Expired) => return json(410, "expired", "the media link has expired"),
    }
    let (id, media) = (instance.to_owned(), media_id.to_owned());
    match calls.run(Lane::Media, Instant::now(), move |host| host.download_media(&id, &media)).await {
        Ok(Ok(file)) => OutgoingResponse {
            status: 200,
            headers: vec![
                ("content-type".into(), file.mime_type),
                ("content-length".into(), file.bytes.len().to_string()),
                ("x-content-sha256".into(), file.sha256),
            ],
            body: file.bytes,
        },
        Ok(Err(error)) => {
            let status = match &error {
                ChannelError::InvalidRequest(_) => 404,
                ChannelError::Unreachable(_) => 503,
                _ => 502,
            };
            OutgoingResponse {
                status,
                headers: vec![("content-type".into(), "application/json".into())],
                body: crate::omni::wire::channel_error(&error).to_string().into_bytes(),
            }
        }
        Err(HostError::UnknownInstance(id)) => json(404, "unknown-instance", &format!("no instance `{id}`")),
        Err(e @ HostError::Busy(_)) => json(503, "busy", &e.to_string()),
        Err(e) => json(500, "plugin-failed", &e.to_string()),
    }
}

fn json(status: u16, error: &str, message: &str) -> OutgoingResponse {
    OutgoingResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: serde_json::json!({ "error": error, "message": message }).to_string().into_bytes(),
    }
}
