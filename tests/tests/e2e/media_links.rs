//! Received media omni can use: `serve` with `[media] public_url` puts its own signed link in
//! `content.mediaUrl` and `media.received.url`, and answers it with the file, checked against
//! Meta's size and SHA-256.

use base64::Engine as _;
use e2e_tests::server::{Served, TestServer};
use e2e_tests::{APP_SECRET, INSTANCE, PHONE_NUMBER_ID};
use omni_host::capabilities::OmniEvent;
use omni_host::server::ServerOptions;
use omni_host::signing::hub_signature;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn setup() -> Served {
    Served::start(ServerOptions::default(), true)
}

/// A notification of one media message of `kind` whose file the fake Graph API holds.
fn media_message(kind: &str, media_id: &str, bytes: &[u8], mime: &str, extra: Value) -> Vec<u8> {
    let mut object = json!({"id": media_id, "mime_type": mime,
        "sha256": base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))});
    object.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Kerry Fisher"}, "wa_id": "16315551181"}],
        "messages": [{"from": "16315551181", "id": format!("wamid.MEDIA-{media_id}"), "timestamp": "1750263773",
                      "type": kind, kind: object}]}}]}]})
    .to_string()
    .into_bytes()
}

fn deliver(s: &Served, body: &[u8]) -> Vec<OmniEvent> {
    let response = TestServer::client()
        .post(format!("{}/webhooks/whatsapp-cloud/{INSTANCE}", s.server.base))
        .header("x-hub-signature-256", &hub_signature(APP_SECRET.as_bytes(), body))
        .send(body)
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    s.sink.take()
}

fn fetch(url: &str) -> (u16, Option<String>, Vec<u8>) {
    let mut response = TestServer::client().get(url).call().unwrap();
    let length = response.headers().get("content-length").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (response.status().as_u16(), length, response.body_mut().read_to_vec().unwrap_or_default())
}

#[test]
fn image_voice_and_document_are_fetchable_from_the_host_with_their_bytes_and_size() {
    let s = setup();
    let files: [(&str, &[u8], &str, Value); 3] = [
        ("image", b"\xFF\xD8\xFF\xE0 a small jpeg", "image/jpeg", json!({"caption": "the broken part"})),
        ("audio", b"OggS voice note frames", "audio/ogg; codecs=opus", json!({"voice": true})),
        ("document", b"%PDF-1.7 an invoice", "application/pdf", json!({"filename": "invoice.pdf"})),
    ];
    for (kind, bytes, mime, extra) in files {
        let media_id = s.graph.store_media(bytes, mime);
        let events = deliver(&s, &media_message(kind, &media_id, bytes, mime, extra));
        let received = events.iter().find(|e| e.event == "message.received").unwrap();
        let link = received.payload()["content"]["mediaUrl"].as_str().expect("a link omni can fetch").to_owned();
        assert!(link.starts_with(&format!("{}/media/{INSTANCE}/{media_id}?expires=", s.server.base)), "{link}");
        let media = events.iter().find(|e| e.event == "media.received").unwrap();
        assert_eq!(media.payload()["url"], link.as_str());
        let (status, length, body) = fetch(&link);
        assert_eq!(status, 200, "{kind}");
        assert_eq!(body, bytes, "{kind}: the file's own bytes");
        assert_eq!(length.as_deref(), Some(bytes.len().to_string().as_str()), "{kind}: its size");
    }
}

#[test]
fn a_checksum_mismatch_is_refused_and_forged_links_get_nothing() {
    let s = setup();
    let bytes = b"\xFF\xD8\xFF\xE0 a jpeg";
    let media_id = s.graph.store_media(bytes, "image/jpeg");
    let events = deliver(&s, &media_message("image", &media_id, bytes, "image/jpeg", json!({})));
    let link = events[0].payload()["content"]["mediaUrl"].as_str().unwrap().to_owned();

    s.graph.corrupt_media_hash(&media_id);
    let (status, _, body) = fetch(&link);
    assert_eq!(status, 502);
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"], "integrity");

    let other_file = link.replace(&media_id, "1599807917628930");
    let last = if link.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{last}", &link[..link.len() - 1]);
    for forged in [other_file, tampered, link.split('?').next().unwrap().to_owned()] {
        assert_eq!(fetch(&forged).0, 403, "{forged}");
    }
}
