//! Media: uploads, metadata with short-lived URLs, and the CDN that serves them.

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{FakeState, RecordedRequest, error, json_response};

/// `POST /{version}/{phone-number-id}/media`: a multipart form with `messaging_product`,
/// `type`, `ttl_minutes` (optional) and `file` (whose own Content-Type must be real, as Meta requires).
pub(super) async fn upload_media(state: &FakeState, phone: &str, request: &RecordedRequest) -> Response {
    if phone != state.phone_number_id {
        return error(400, 100, "Unsupported post request. Object with ID does not exist");
    }
    let Some(boundary) = request.header("content-type").and_then(|t| multer::parse_boundary(t).ok()) else {
        return error(400, 100, "Expected multipart/form-data");
    };
    let body = Bytes::from(request.body.clone());
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let (mut product, mut declared, mut file) = (None, None, None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let filename = field.file_name().map(str::to_owned);
                let content_type = field.content_type().map(|m| m.to_string());
                let Ok(bytes) = field.bytes().await else { return error(400, 100, "Malformed multipart body") };
                match name.as_str() {
                    "messaging_product" => product = Some(String::from_utf8_lossy(&bytes).into_owned()),
                    "type" => declared = Some(String::from_utf8_lossy(&bytes).into_owned()),
                    "file" => file = Some((bytes.to_vec(), filename, content_type)),
                    // "No Storage" numbers: one hour to thirty days.
                    "ttl_minutes" => match String::from_utf8_lossy(&bytes).parse::<u32>() {
                        Ok(minutes) if (60..=43_200).contains(&minutes) => {}
                        _ => return error(400, 100, "The parameter ttl_minutes must be 60 to 43200"),
                    },
                    _ => return error(400, 100, &format!("Unexpected form field {name}")),
                }
            }
            Ok(None) => break,
            Err(e) => return error(400, 100, &format!("Malformed multipart body: {e}")),
        }
    }
    if product.as_deref() != Some("whatsapp") {
        return error(400, 100, "The parameter messaging_product is required.");
    }
    let (Some(declared), Some((bytes, filename, Some(content_type)))) = (declared, file) else {
        return error(400, 100, "The parameters type and file (with its Content-Type) are required.");
    };
    if content_type == "application/octet-stream" || content_type != declared {
        return error(400, 131053, &format!("Media upload error: file type {content_type} does not match {declared}"));
    }
    let id = state.store(bytes, declared, filename);
    json_response(200, json!({ "id": id }))
}

/// `GET /{version}/{media-id}`: the file's metadata and a short-lived download URL.
pub(super) fn media_metadata(state: &FakeState, id: &str) -> Response {
    let media = state.media.lock().expect("fake lock").get(id).cloned();
    match media {
        Some(media) => json_response(
            200,
            json!({
                "messaging_product": "whatsapp",
                "url": format!("{}/cdn/{id}", state.base_url),
                "mime_type": media.mime_type,
                "sha256": media.sha256,
                "file_size": media.bytes.len(),
                "id": id,
            }),
        ),
        None => error(400, 100, "Unsupported get request. Object with ID does not exist"),
    }
}

/// `GET <url>`: the file itself. Like Meta's CDN it wants the token and a User-Agent.
pub(super) fn download(state: &FakeState, id: &str, request: &RecordedRequest) -> Response {
    if request.header("user-agent").is_none_or(str::is_empty) {
        return (StatusCode::FORBIDDEN, "User-Agent required").into_response();
    }
    let media = state.media.lock().expect("fake lock").get(id).cloned();
    match media {
        Some(media) => {
            let mut response = (StatusCode::OK, media.bytes).into_response();
            if let Ok(value) = HeaderValue::from_str(&media.mime_type) {
                response.headers_mut().insert("content-type", value);
            }
            response
        }
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}
