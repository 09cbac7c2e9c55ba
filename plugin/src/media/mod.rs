//! Media: uploads (`POST /{phone-number-id}/media`, multipart) checked against WhatsApp's type
//! and size limits first, and where received files are (`GET /{media-id}`): the host fetches
//! them and checks them against Meta's size and SHA-256.

mod multipart;

use base64::Engine as _;
use serde_json::Value;

use crate::call::Call;
use crate::graph::{self, Idempotency};
use crate::host::Host;
use crate::media_rules::{MEDIA_RULES, rule};
use crate::wit::media::{MediaLocation, MediaUpload};
use crate::wit::outbound_http::Method;
use crate::wit::types::{ChannelError, Instance, InvalidField};

/// Media calls move whole files: give them longer than a message send.
const MEDIA_TIMEOUT_MS: u32 = 120_000;

fn invalid(field: &str, reason: impl Into<String>) -> ChannelError {
    ChannelError::InvalidRequest(InvalidField { field: field.to_owned(), reason: reason.into() })
}

/// Uploads a file and returns its media id.
pub fn upload(host: &dyn Host, instance: &Instance, upload: &MediaUpload) -> Result<String, ChannelError> {
    Call::run(host, instance, |call| upload_for(call, upload))
}

/// [`upload`] within a call (sending a message uploads the files it carries).
pub fn upload_for(call: &Call<'_>, upload: &MediaUpload) -> Result<String, ChannelError> {
    let (host, config) = (call.host, &call.config);
    let mime = check_upload(upload)?;
    let filename = upload.filename.as_deref().filter(|f| !f.trim().is_empty()).unwrap_or("upload");
    let file = multipart::FilePart { name: "file", filename, content_type: &mime, bytes: &upload.bytes };
    let ttl = upload.ttl_minutes.map(|minutes| minutes.to_string());
    let mut fields = vec![("messaging_product", "whatsapp"), ("type", mime.as_str())];
    fields.extend(ttl.as_deref().map(|ttl| ("ttl_minutes", ttl)));
    let (content_type, body) = multipart::form(&fields, &file);
    let mut request = graph::request(config, Method::Post, &format!("{}/media", config.phone_number_id), None);
    request.headers.push(("content-type".into(), content_type));
    request.body = body;
    request.timeout_ms = Some(MEDIA_TIMEOUT_MS);
    // A repeated upload only creates another media id, but a lost answer still leaves us not
    // knowing the id: report it as unknown rather than upload twice behind the caller's back.
    let response = graph::call(host, &request, Idempotency::NotIdempotent)?;
    match response.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => Ok(id.to_owned()),
        _ => Err(ChannelError::OutcomeUnknown("Meta accepted the upload but returned no media id".into())),
    }
}

/// The MIME type to declare, or why the file is refused under its kind's limits.
pub fn check_upload(upload: &MediaUpload) -> Result<String, ChannelError> {
    let mime = upload.mime_type.trim().to_owned();
    let base = mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match base.as_str() {
        "" => return Err(invalid("mime_type", "the file's MIME type is required")),
        // WhatsApp refuses both; say what it wants instead.
        "audio/opus" => return Err(invalid("mime_type", "send Opus voice notes as `audio/ogg; codecs=opus`")),
        "application/octet-stream" => {
            return Err(invalid("mime_type", "WhatsApp refuses application/octet-stream: give the file's real type"));
        }
        _ => {}
    }
    let kind = match upload.kind {
        Some(kind) => kind,
        None => MEDIA_RULES
            .iter()
            .find(|r| r.mime_types.contains(&base.as_str()))
            .map(|r| r.kind)
            .ok_or_else(|| invalid("mime_type", format!("WhatsApp does not accept {base} files")))?,
    };
    let limits = rule(kind);
    if !limits.mime_types.contains(&base.as_str()) {
        return Err(invalid(
            "mime_type",
            format!("{base} is not accepted as {kind:?}; accepted: {}", limits.mime_types.join(", ")),
        ));
    }
    if upload.bytes.is_empty() {
        return Err(invalid("bytes", "the file is empty"));
    }
    if upload.ttl_minutes.is_some_and(|minutes| !(MIN_TTL_MINUTES..=MAX_TTL_MINUTES).contains(&minutes)) {
        return Err(invalid("ttl_minutes", "WhatsApp keeps media 60 to 43200 minutes (one hour to thirty days)"));
    }
    if upload.bytes.len() as u64 > limits.max_bytes {
        return Err(invalid(
            "bytes",
            format!(
                "{} bytes is more than the {} bytes WhatsApp accepts for {kind:?}",
                upload.bytes.len(),
                limits.max_bytes
            ),
        ));
    }
    Ok(mime)
}

/// The lifetimes an upload may ask for (WhatsApp "No Storage" numbers): one hour to thirty days.
const MIN_TTL_MINUTES: u32 = 60;
const MAX_TTL_MINUTES: u32 = 43_200;

/// Deletes an uploaded file: `DELETE /{media-id}?phone_number_id=…`, so that only this
/// number's files can go.
pub fn delete(host: &dyn Host, instance: &Instance, media_id: &str) -> Result<(), ChannelError> {
    Call::run(host, instance, |call| {
        let config = &call.config;
        check_media_id(media_id)?;
        let path = format!("{media_id}?phone_number_id={}", config.phone_number_id);
        // Deleting twice leaves it deleted; the second answer is "unknown id", reported as such.
        let reply =
            match graph::call(call.host, &graph::request(config, Method::Delete, &path, None), Idempotency::Idempotent)
            {
                Ok(reply) => reply,
                Err(ChannelError::Provider(e)) if matches!(e.http_status, 400 | 404) && e.code == Some(100) => {
                    return Err(invalid("media_id", format!("Meta holds no media `{media_id}`: {}", e.message)));
                }
                Err(other) => return Err(other),
            };
        match reply.get("success").and_then(Value::as_bool) {
            Some(true) => Ok(()),
            _ => Err(ChannelError::Other(format!("Meta did not confirm the deletion: {reply}"))),
        }
    })
}

/// A media id is digits and letters: anything else would change the request's path.
fn check_media_id(media_id: &str) -> Result<(), ChannelError> {
    if media_id.is_empty() || !media_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(invalid("media_id", format!("`{media_id}` is not a media id")));
    }
    Ok(())
}

/// Largest file a download accepts (WhatsApp's document limit).
const MAX_DOWNLOAD_BYTES: u64 = 100 * 1024 * 1024;

/// Where a received file is: its metadata from the Graph API (`GET /{media-id}`), and the
/// request that fetches it from Meta's CDN with the same token. The host fetches it and checks
/// it against the size and SHA-256 given here.
pub fn locate(host: &dyn Host, instance: &Instance, media_id: &str) -> Result<MediaLocation, ChannelError> {
    Call::run(host, instance, |call| locate_for(call, media_id))
}

fn locate_for(call: &Call<'_>, media_id: &str) -> Result<MediaLocation, ChannelError> {
    let (host, config) = (call.host, &call.config);
    check_media_id(media_id)?;
    let path = format!("{media_id}?phone_number_id={}", config.phone_number_id);
    let request = graph::request(config, Method::Get, &path, None);
    let meta = match graph::call(host, &request, Idempotency::Idempotent) {
        Ok(meta) => meta,
        // Meta answers an id it does not hold (never received, or past its 30 days) with a
        // 400 or 404 and code 100: asking again will not help.
        Err(ChannelError::Provider(e)) if matches!(e.http_status, 400 | 404) && e.code == Some(100) => {
            return Err(invalid("media_id", format!("Meta holds no media `{media_id}`: {}", e.message)));
        }
        Err(other) => return Err(other),
    };

    let url = meta
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| ChannelError::Other("Meta's media metadata has no url".into()))?;
    let mime_type = meta.get("mime_type").and_then(Value::as_str).unwrap_or("application/octet-stream").to_owned();
    let size = match meta.get("file_size") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    if let Some(size) = size.filter(|s| *s > MAX_DOWNLOAD_BYTES) {
        return Err(invalid(
            "media_id",
            format!("the file has {size} bytes, more than the {MAX_DOWNLOAD_BYTES} accepted"),
        ));
    }
    let sha256 = meta
        .get("sha256")
        .and_then(Value::as_str)
        .and_then(decode_digest)
        .ok_or_else(|| ChannelError::Integrity("Meta's metadata has no usable sha256 to verify the file".into()))?;

    let mut file_request = graph::request(config, Method::Get, "", None);
    file_request.url = url.to_owned();
    file_request.timeout_ms = Some(MEDIA_TIMEOUT_MS);
    Ok(MediaLocation { request: file_request, mime_type, size, sha256: hex::encode(sha256) })
}

/// A SHA-256 digest written in hex (64 digits) or base64 (as in webhooks).
fn decode_digest(text: &str) -> Option<[u8; 32]> {
    let bytes = if text.len() == 64 {
        hex::decode(text).ok()?
    } else {
        base64::engine::general_purpose::STANDARD.decode(text).ok()?
    };
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::sample_json;
    use crate::host::mock::MockHost;
    use crate::wit::types::MediaKind;
    use serde_json::json;
    use sha2::{Digest, Sha256};

    fn instance() -> Instance {
        Instance { id: "inst-a".into(), config: sample_json() }
    }

    fn upload_of(mime: &str, size: usize, kind: Option<MediaKind>) -> MediaUpload {
        MediaUpload {
            bytes: vec![7; size],
            mime_type: mime.into(),
            filename: Some("f".into()),
            kind,
            ttl_minutes: None,
        }
    }

    #[test]
    fn uploads_are_checked_before_sending() {
        let host = MockHost::default();
        for (upload, field) in [
            (upload_of("audio/opus", 10, None), "mime_type"),
            (upload_of("application/octet-stream", 10, None), "mime_type"),
            (upload_of("image/gif", 10, None), "mime_type"),
            (upload_of("image/png", 5 * 1024 * 1024 + 1, None), "bytes"),
            (upload_of("image/webp", 500 * 1024 + 1, None), "bytes"),
            (upload_of("image/png", 0, None), "bytes"),
            (upload_of("image/png", 10, Some(MediaKind::Audio)), "mime_type"),
        ] {
            match super::upload(&host, &instance(), &upload) {
                Err(ChannelError::InvalidRequest(f)) => assert_eq!(f.field, field, "{}", upload.mime_type),
                other => panic!("{} accepted: {other:?}", upload.mime_type),
            }
        }
        assert!(host.requests.borrow().is_empty());
    }

    #[test]
    fn a_jpeg_sent_as_a_document_gets_the_document_limit() {
        let host = MockHost::default();
        host.respond_json(200, &json!({"id": "1234"}));
        let id =
            super::upload(&host, &instance(), &upload_of("image/jpeg", 6 * 1024 * 1024, Some(MediaKind::Document)));
        assert!(matches!(id, Err(ChannelError::InvalidRequest(_))), "jpeg is not a document type");
        let id = super::upload(&host, &instance(), &upload_of("application/pdf", 6 * 1024 * 1024, None)).unwrap();
        assert_eq!(id, "1234");
        let request = &host.requests.borrow()[0];
        assert!(request.url.ends_with("/106540352242922/media"));
        let content_type = &request.headers.iter().find(|(n, _)| n == "content-type").unwrap().1;
        assert!(content_type.starts_with("multipart/form-data; boundary="));
    }

    #[test]
    fn a_lifetime_goes_into_the_form_within_one_hour_and_thirty_days() {
        let host = MockHost::default();
        host.respond_json(200, &json!({"id": "1234"}));
        let upload = MediaUpload { ttl_minutes: Some(120), ..upload_of("image/png", 10, None) };
        assert_eq!(super::upload(&host, &instance(), &upload).unwrap(), "1234");
        let body = String::from_utf8_lossy(&host.requests.borrow()[0].body).into_owned();
        assert!(body.contains("name=\"ttl_minutes\"\r\n\r\n120\r\n"), "{body}");
        for minutes in [59, 43_201] {
            let upload = MediaUpload { ttl_minutes: Some(minutes), ..upload_of("image/png", 10, None) };
            match super::upload(&host, &instance(), &upload) {
                Err(ChannelError::InvalidRequest(f)) => assert_eq!(f.field, "ttl_minutes"),
                other => panic!("{minutes} minutes accepted: {other:?}"),
            }
        }
        assert_eq!(host.requests.borrow().len(), 1);
    }

    #[test]
    fn deleting_is_scoped_to_the_number_and_an_unknown_id_is_refused() {
        let host = MockHost::default();
        host.respond_json(200, &json!({"success": true}));
        super::delete(&host, &instance(), "1013859600285441").unwrap();
        let request = host.requests.borrow()[0].clone();
        assert_eq!(request.method, Method::Delete);
        assert!(request.url.ends_with("/1013859600285441?phone_number_id=106540352242922"), "{}", request.url);
        host.respond_json(400, &json!({"error": {"code": 100, "message": "Object with ID does not exist"}}));
        assert!(
            matches!(super::delete(&host, &instance(), "1013859600285441"), Err(ChannelError::InvalidRequest(f)) if f.field == "media_id")
        );
        assert!(matches!(super::delete(&host, &instance(), "../me"), Err(ChannelError::InvalidRequest(_))));
        assert_eq!(host.requests.borrow().len(), 2, "a malformed id is never sent");
    }

    #[test]
    fn a_location_is_metas_url_with_the_token_size_and_hash() {
        let file = b"%PDF-1.7 hello";
        let hex_digest = hex::encode(Sha256::digest(file));
        let b64_digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(file));
        for digest in [hex_digest.clone(), b64_digest] {
            let host = MockHost::default();
            host.respond_json(
                200,
                &json!({"url": "https://lookaside.fbsbx.com/x?mid=1", "mime_type": "application/pdf",
                "sha256": digest, "file_size": file.len(), "id": "1"}),
            );
            let location = locate(&host, &instance(), "1").unwrap();
            assert_eq!(location.sha256, hex_digest, "hex, whatever Meta wrote");
            assert_eq!((location.size, location.mime_type.as_str()), (Some(file.len() as u64), "application/pdf"));
            assert_eq!(location.request.url, "https://lookaside.fbsbx.com/x?mid=1");
            let headers = &location.request.headers;
            assert!(headers.iter().any(|(n, v)| n == "authorization" && v == "Bearer EAAG-token"));
            assert!(headers.iter().any(|(n, _)| n == "user-agent"));
            let requests = host.requests.borrow();
            assert_eq!(requests.len(), 1, "only the metadata: the host fetches the file");
            assert!(requests[0].url.ends_with("/1?phone_number_id=106540352242922"));
        }
    }

    #[test]
    fn metadata_without_a_usable_hash_is_an_integrity_error() {
        for sha in [json!(null), json!("not a digest")] {
            let host = MockHost::default();
            host.respond_json(
                200,
                &json!({"url": "https://lookaside.fbsbx.com/x", "mime_type": "image/jpeg", "sha256": sha}),
            );
            assert!(matches!(locate(&host, &instance(), "1"), Err(ChannelError::Integrity(_))));
        }
    }

    #[test]
    fn an_unknown_media_id_or_an_oversize_file_is_refused_for_good() {
        let host = MockHost::default();
        host.respond_json(
            200,
            &json!({"url": "https://lookaside.fbsbx.com/x", "sha256": "00", "file_size": MAX_DOWNLOAD_BYTES + 1}),
        );
        assert!(matches!(locate(&host, &instance(), "1"), Err(ChannelError::InvalidRequest(_))));
        let host = MockHost::default();
        host.respond_json(
            400,
            &json!({"error": {"message": "Unsupported get request. Object with ID '1' does not exist", "code": 100,
                              "type": "GraphMethodException", "fbtrace_id": "T"}}),
        );
        match locate(&host, &instance(), "1") {
            Err(ChannelError::InvalidRequest(field)) => {
                assert!(field.reason.contains("holds no media"), "{}", field.reason)
            }
            other => panic!("{other:?}"),
        }
    }
}
