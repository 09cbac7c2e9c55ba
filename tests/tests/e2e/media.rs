//! Uploads and downloads through the component against the fake Graph API, which parses the
//! multipart body the plugin builds and serves files like Meta's CDN.

use e2e_tests::{INSTANCE, PHONE_NUMBER_ID, TestHost};
use omni_host::bindings::media::MediaUpload;
use omni_host::bindings::types::{ChannelError, MediaKind};

/// Bytes that look like a small JPEG.
fn jpeg() -> Vec<u8> {
    let mut bytes = vec![0xff, 0xd8, 0xff, 0xe0];
    bytes.extend((0..20_000u32).map(|i| (i * 7 % 251) as u8));
    bytes.extend([0xff, 0xd9]);
    bytes
}

#[test]
fn an_uploaded_file_downloads_byte_for_byte() {
    let host = TestHost::new();
    let bytes = jpeg();
    let upload = MediaUpload {
        bytes: bytes.clone(),
        mime_type: "image/jpeg".into(),
        filename: Some("menu \"spring\".jpg".into()),
        kind: None,
        ttl_minutes: None,
    };
    let id = host.host.upload_media(INSTANCE, &upload).unwrap().unwrap();

    let request = &host.graph.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", format!("/v26.0/{PHONE_NUMBER_ID}/media").as_str())
    );
    assert!(request.header("content-type").unwrap().starts_with("multipart/form-data; boundary="));
    let stored = host.graph.media(&id).expect("the fake parsed and stored the file");
    assert_eq!(stored.bytes, bytes);
    assert_eq!(stored.mime_type, "image/jpeg");
    assert_eq!(stored.filename.as_deref(), Some("menu _spring_.jpg"));

    let downloaded = host.host.download_media(INSTANCE, &id).unwrap().unwrap();
    assert_eq!(downloaded.bytes, bytes);
    assert_eq!(downloaded.mime_type, "image/jpeg");
    assert_eq!(downloaded.sha256.len(), 64);
    let requests = host.graph.requests();
    assert_eq!(requests[1].path, format!("/v26.0/{id}"));
    assert_eq!(requests[2].path, format!("/cdn/{id}"));
    assert!(requests[2].header("user-agent").unwrap().starts_with("omni-whatsapp-cloud/"));
}

#[test]
fn a_received_file_with_a_wrong_hash_is_refused() {
    let host = TestHost::new();
    let id = host.graph.store_media(b"%PDF-1.7 the real invoice", "application/pdf");
    host.graph.corrupt_media_hash(&id);
    let error = host.host.download_media(INSTANCE, &id).unwrap().unwrap_err();
    assert!(matches!(error, ChannelError::Integrity(_)), "{error:?}");
}

#[test]
fn oversize_and_mistyped_files_are_refused_before_any_request() {
    let host = TestHost::new();
    let too_big = MediaUpload {
        bytes: vec![1; 5 * 1024 * 1024 + 1],
        mime_type: "image/png".into(),
        filename: None,
        kind: None,
        ttl_minutes: None,
    };
    let octet = MediaUpload {
        bytes: vec![1; 10],
        mime_type: "application/octet-stream".into(),
        filename: None,
        kind: None,
        ttl_minutes: None,
    };
    let caption_kind = MediaUpload {
        bytes: vec![1; 10],
        mime_type: "image/png".into(),
        filename: None,
        kind: Some(MediaKind::Sticker),
        ttl_minutes: None,
    };
    for upload in [too_big, octet, caption_kind] {
        let error = host.host.upload_media(INSTANCE, &upload).unwrap().unwrap_err();
        assert!(matches!(error, ChannelError::InvalidRequest(_)), "{}: {error:?}", upload.mime_type);
    }
    assert!(host.graph.requests().is_empty());
}

#[test]
fn a_document_of_64_mib_round_trips_within_the_media_memory_limit() {
    // Larger than an ordinary call's whole memory limit: only media calls can hold it.
    let host = TestHost::with_http_timeout(std::time::Duration::from_secs(60));
    let bytes: Vec<u8> = (0..64 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let upload = MediaUpload {
        bytes: bytes.clone(),
        mime_type: "application/pdf".into(),
        filename: Some("big.pdf".into()),
        kind: None,
        ttl_minutes: None,
    };
    let id = host.host.upload_media(INSTANCE, &upload).unwrap().unwrap();
    let downloaded = host.host.download_media(INSTANCE, &id).unwrap().unwrap();
    assert!(downloaded.bytes == bytes);
}
