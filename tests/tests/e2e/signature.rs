//! X-Hub-Signature-256 over the raw bytes, through the component.

use e2e_tests::{APP_SECRET, TestHost, fixture, post, signed_post, text};
use omni_host::signing::hub_signature;

#[test]
fn a_valid_signature_is_accepted() {
    let host = TestHost::new();
    let response = host.webhook(&signed_post(&fixture("webhooks/text.json")));
    assert_eq!(response.status, 200, "{}", text(&response));
    assert_eq!(host.events().len(), 1);
}

#[test]
fn a_missing_signature_is_refused_and_nothing_published() {
    let host = TestHost::new();
    let response = host.webhook(&post(&fixture("webhooks/text.json"), &[("content-type", "application/json")]));
    assert_eq!(response.status, 401);
    assert!(text(&response).contains("missing"));
    assert!(host.events().is_empty());
}

#[test]
fn a_wrong_or_malformed_signature_is_refused() {
    let host = TestHost::new();
    let body = fixture("webhooks/text.json");
    let wrong_secret = hub_signature(b"another-app", &body);
    let truncated = &hub_signature(APP_SECRET.as_bytes(), &body)[..70];
    for header in [
        wrong_secret.as_str(),
        truncated,
        "sha1=0123",
        "sha256=not-hex-at-all-but-sixty-four-characters-long-xxxxxxxxxxxxxxx",
    ] {
        let response = host.webhook(&post(&body, &[("X-Hub-Signature-256", header)]));
        assert_eq!(response.status, 401, "{header}");
    }
    assert!(host.events().is_empty());
}

#[test]
fn the_header_name_is_case_insensitive() {
    let host = TestHost::new();
    let body = fixture("webhooks/text.json");
    let signature = hub_signature(APP_SECRET.as_bytes(), &body);
    assert_eq!(host.webhook(&post(&body, &[("X-HUB-SIGNATURE-256", &signature)])).status, 200);
}

#[test]
fn unicode_escapes_are_verified_over_the_raw_bytes_and_decoded_in_events() {
    let host = TestHost::new();
    let raw = fixture("webhooks/text_unicode_escaped.json");
    // The fixture holds the escapes as Meta sends them.
    let raw_text = String::from_utf8(raw.clone()).unwrap();
    for escape in [r"\u00e9", r"\/", r"\ud83d\ude00"] {
        assert!(raw_text.contains(escape), "fixture lacks {escape}");
    }
    let response = host.webhook(&signed_post(&raw));
    assert_eq!(response.status, 200, "{}", text(&response));
    let events = host.events();
    assert_eq!(events[0].payload()["content"]["text"], "Café à https://example.com/menu 😀🎉");
    assert_eq!(events[0].payload()["rawPayload"]["pushName"], "José Müller");

    // The same JSON re-serialised (what broken libraries hash) does not carry Meta's signature.
    let reserialised = serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&raw).unwrap()).unwrap();
    assert_ne!(reserialised, raw);
    let meta_signature = hub_signature(APP_SECRET.as_bytes(), &raw);
    let response = host.webhook(&post(&reserialised, &[("x-hub-signature-256", &meta_signature)]));
    assert_eq!(response.status, 401);
    assert!(host.events().is_empty());
}

#[test]
fn a_tampered_body_is_refused() {
    let host = TestHost::new();
    let body = fixture("webhooks/text.json");
    let signature = hub_signature(APP_SECRET.as_bytes(), &body);
    let tampered = String::from_utf8(body).unwrap().replace("another color", "another colour");
    assert_eq!(host.webhook(&post(tampered.as_bytes(), &[("x-hub-signature-256", &signature)])).status, 401);
    assert!(host.events().is_empty());
}
