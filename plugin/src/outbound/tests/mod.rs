//! Unit tests of the send path against the mock host.

use serde_json::{Value, json};

use super::*;
use crate::config::tests::sample_json;
use crate::event::event_id;
use crate::host::mock::MockHost;
use crate::wit::messaging::{Content, SendFailure, TextContent};
use crate::wit::outbound_http::{HttpError, RequestProgress};
use crate::wit::types::ErrorClass;

fn instance() -> Instance {
    Instance { id: "inst-a".into(), config: sample_json() }
}

fn text(to: &str, body: &str) -> OutgoingMessage {
    OutgoingMessage {
        to: to.into(),
        content: Content::Text(TextContent { body: body.into(), preview_url: false }),
        reply_to: None,
        callback_data: None,
        identity_key_hash: None,
    }
}

fn options() -> SendOptions {
    SendOptions { correlation_id: "corr-1".into() }
}

/// The `message.failed` a failure carries, parsed.
fn failed_payload(failure: &SendFailure) -> Value {
    serde_json::from_str(&failure.event.as_ref().expect("a message.failed").payload).unwrap()
}

fn accepted(host: &MockHost) {
    host.respond_json(
        200,
        &json!({"messaging_product": "whatsapp", "contacts": [{"input": "+1 555 000 1111", "wa_id": "15550001111"}],
                "messages": [{"id": "wamid.OK", "message_status": "accepted"}]}),
    );
}

#[test]
fn text_send_builds_the_documented_request_and_publishes_sent() {
    let host = MockHost::default();
    accepted(&host);
    let receipt = send_message(&host, &instance(), text("+1 555 000 1111", "hello"), &options()).unwrap();
    assert_eq!(receipt.message_id, "wamid.OK");
    assert_eq!(receipt.recipient_id.as_deref(), Some("15550001111"));
    assert_eq!(receipt.message_status.as_deref(), Some("accepted"));

    let requests = host.requests.borrow();
    assert_eq!(requests[0].url, "http://127.0.0.1:9/v26.0/106540352242922/messages");
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        body,
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "15550001111",
               "type": "text", "text": {"body": "hello", "preview_url": false}})
    );
    let published = host.published.borrow();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].kind, EventKind::MessageSent);
    assert_eq!(published[0].id, event_id("inst-a", &EventKind::MessageSent, &["wamid.OK"]));
    assert_eq!(receipt.event_id, published[0].id);
    let p: Value = serde_json::from_str(&published[0].payload).unwrap();
    assert_eq!(p["chatId"], "15550001111@s.whatsapp.net");
    assert_eq!(p["content"], json!({"type": "text", "text": "hello"}));
}

#[test]
fn message_sent_names_the_chat_by_the_wa_id_meta_resolved() {
    // A Brazilian number typed with its ninth digit reaches a wa_id without it.
    let host = MockHost::default();
    host.respond_json(
        200,
        &json!({"messaging_product": "whatsapp", "contacts": [{"input": "+55 11 91234-5678", "wa_id": "551112345678"}],
                "messages": [{"id": "wamid.BR"}]}),
    );
    let receipt = send_message(&host, &instance(), text("+55 11 91234-5678", "olá"), &options()).unwrap();
    assert_eq!(receipt.recipient_id.as_deref(), Some("551112345678"));
    let body: Value = serde_json::from_slice(&host.requests.borrow()[0].body).unwrap();
    assert_eq!(body["to"], "5511912345678", "the request goes to the number as given");
    let p: Value = serde_json::from_str(&host.published.borrow()[0].payload).unwrap();
    assert_eq!((p["chatId"].as_str(), p["to"].as_str()), (Some("551112345678@s.whatsapp.net"), Some("551112345678")));
}

#[test]
fn invalid_messages_never_reach_the_network() {
    let host = MockHost::default();
    let too_long = "x".repeat(MAX_TEXT + 1);
    for (message, field) in [
        (text("15550001111", " "), "content.body"),
        (text("15550001111", &too_long), "content.body"),
        (text("nobody", "hi"), "to"),
    ] {
        match send_message(&host, &instance(), message.clone(), &options()) {
            Err(failure @ SendFailure { error: ChannelError::InvalidRequest(_), .. }) => {
                let ChannelError::InvalidRequest(f) = &failure.error else { unreachable!() };
                assert_eq!(f.field, field);
                assert!(failed_payload(&failure)["error"].as_str().unwrap().contains(field));
            }
            other => panic!("expected invalid request, got {other:?}"),
        }
    }
    assert!(host.requests.borrow().is_empty());
    assert!(host.published.borrow().is_empty(), "a failure is the host's to publish");
}

const MAX_TEXT: usize = crate::constants::MAX_TEXT_CHARS;

#[test]
fn graph_errors_are_typed_and_carry_their_message_failed() {
    let host = MockHost::default();
    host.respond_json(
        400,
        &json!({"error": {"message": "(#131047) Re-engagement message", "type": "OAuthException",
        "code": 131047, "error_data": {"details": "24 hours"}, "fbtrace_id": "TR"}}),
    );
    let failure = send_message(&host, &instance(), text("15550001111", "hi"), &options()).unwrap_err();
    let ChannelError::Provider(e) = &failure.error else { panic!("expected a provider error") };
    assert_eq!((e.code, e.class, e.retry.is_some()), (Some(131047), ErrorClass::Terminal, false));
    let p = failed_payload(&failure);
    assert_eq!(
        (p["errorCode"].as_str(), &p["retryable"], &p["chatId"]),
        (Some("131047"), &json!(false), &json!("15550001111@s.whatsapp.net"))
    );
    let event = failure.event.as_ref().unwrap();
    assert_eq!(event.id, event_id("inst-a", &EventKind::MessageFailed, &["corr-1"]));
    assert_eq!(event.correlation_id.as_deref(), Some("corr-1"));
    assert!(host.published.borrow().is_empty());
}

#[test]
fn retryable_errors_carry_a_retryable_message_failed_that_nothing_publishes_yet() {
    let host = MockHost::default();
    host.respond_json(400, &json!({"error": {"message": "rate", "code": 130429}}));
    let failure = send_message(&host, &instance(), text("15550001111", "hi"), &options()).unwrap_err();
    let ChannelError::Provider(e) = &failure.error else { panic!("expected a provider error") };
    assert_eq!(e.class, ErrorClass::Throttled);
    assert_eq!(failed_payload(&failure)["retryable"], true);
    assert!(host.published.borrow().is_empty());
}

#[test]
fn timeouts_after_sending_are_unknown_and_not_reported_as_failures() {
    let host = MockHost::default();
    host.respond_error(HttpError::Timeout(RequestProgress::MaybeSent));
    let result = send_message(&host, &instance(), text("15550001111", "hi"), &options());
    assert!(matches!(result, Err(SendFailure { error: ChannelError::OutcomeUnknown(_), event: None })));
    assert!(host.published.borrow().is_empty());
}

#[test]
fn a_bus_outage_does_not_turn_a_sent_message_into_an_error() {
    let host = MockHost::default();
    accepted(&host);
    *host.publish_error.borrow_mut() = Some(crate::wit::events::PublishError::Unavailable("down".into()));
    assert!(send_message(&host, &instance(), text("15550001111", "hi"), &options()).is_ok());
    assert!(host.logs.borrow().iter().any(|(_, m)| m.contains("not published")));
}

mod validation;

mod inline_files {
    use super::*;
    use crate::wit::message_parts::{InlineMedia, MediaSource};
    use crate::wit::messaging::MediaContent;
    use crate::wit::types::MediaKind;

    fn audio(bytes: &[u8], mime: &str, voice: bool, caption: Option<&str>) -> OutgoingMessage {
        OutgoingMessage {
            to: "15550001111".into(),
            content: Content::Media(MediaContent {
                kind: MediaKind::Audio,
                source: MediaSource::Bytes(InlineMedia {
                    bytes: bytes.to_vec(),
                    mime_type: mime.into(),
                    filename: Some("reply.ogg".into()),
                }),
                caption: caption.map(str::to_owned),
                filename: None,
                voice,
            }),
            reply_to: None,
            callback_data: None,
            identity_key_hash: None,
        }
    }

    #[test]
    fn a_file_in_the_message_is_uploaded_then_sent_by_id() {
        let host = MockHost::default();
        host.respond_json(200, &json!({"id": "5551234"}));
        accepted(&host);
        let receipt =
            send_message(&host, &instance(), audio(b"OggS-voice", "audio/ogg; codecs=opus", true, None), &options())
                .unwrap();
        assert_eq!(receipt.message_id, "wamid.OK");
        let requests = host.requests.borrow();
        assert_eq!(requests.len(), 2);
        assert!(requests[0].url.ends_with("/106540352242922/media"));
        let upload = String::from_utf8_lossy(&requests[0].body);
        assert!(upload.contains("OggS-voice") && upload.contains("audio/ogg; codecs=opus"), "{upload}");
        let body: Value = serde_json::from_slice(&requests[1].body).unwrap();
        assert_eq!(body["audio"], json!({"id": "5551234", "voice": true}));
        let sent: Value = serde_json::from_str(&host.published.borrow()[0].payload).unwrap();
        assert_eq!(sent["content"]["mediaId"], "5551234");
    }

    #[test]
    fn nothing_is_uploaded_for_a_message_that_would_be_refused() {
        for (message, field) in [
            (audio(b"OggS", "audio/ogg", false, Some("no captions on audio")), "content.caption"),
            (audio(b"", "audio/ogg", false, None), "content.source.bytes"),
            (audio(b"RIFF", "image/webp", false, None), "content.source.mime_type"),
        ] {
            let host = MockHost::default();
            match send_message(&host, &instance(), message, &options()).map_err(|f| f.error) {
                Err(ChannelError::InvalidRequest(f)) => assert_eq!(f.field, field),
                other => panic!("{other:?}"),
            }
            assert!(host.requests.borrow().is_empty());
        }
    }

    #[test]
    fn only_audio_is_a_voice_note() {
        let host = MockHost::default();
        let message = OutgoingMessage {
            to: "15550001111".into(),
            content: Content::Media(MediaContent {
                kind: MediaKind::Video,
                source: MediaSource::Id("1".into()),
                caption: None,
                filename: None,
                voice: true,
            }),
            reply_to: None,
            callback_data: None,
            identity_key_hash: None,
        };
        match send_message(&host, &instance(), message, &options()).map_err(|f| f.error) {
            Err(ChannelError::InvalidRequest(f)) => assert_eq!(f.field, "content.voice"),
            other => panic!("{other:?}"),
        }
    }
}
