//! omni's own message shapes (`packages/api/src/routes/v2/messages.ts`), decoded by the real
//! component's `messaging.decode-outgoing` and sent to the fake Graph API: the exact Graph
//! requests each one produces.

use base64::Engine as _;
use e2e_tests::{INSTANCE, PHONE_NUMBER_ID, TestHost};
use omni_host::bindings::messaging::Attachment;
use omni_host::retry::RetryPolicy;
use serde_json::{Value, json};

/// A PNG header and some bytes: enough for the plugin to recognise the type.
const PNG: &[u8] = b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR-pixels";

fn messages_path() -> String {
    format!("/v26.0/{PHONE_NUMBER_ID}/messages")
}

#[test]
fn omni_location_with_latitude_and_longitude() {
    let host = TestHost::new();
    let sent = host.send_omni(
        &json!({"to": "5511912345678", "content": {"type": "location",
            "location": {"latitude": -23.5505, "longitude": -46.6333, "name": "Sé", "address": "Praça da Sé"}}})
        .to_string(),
    );
    assert!(sent.failure.is_none(), "{:?}", sent.failure);
    assert_eq!(
        host.graph.requests()[0].json()["location"],
        json!({"latitude": -23.5505, "longitude": -46.6333, "name": "Sé", "address": "Praça da Sé"})
    );
}

#[test]
fn a_base64_image_is_uploaded_then_sent_by_id() {
    let host = TestHost::new();
    let encoded = base64::engine::general_purpose::STANDARD.encode(PNG);
    let sent = host.send_omni(
        &json!({"to": "16505551234", "content": {"type": "image", "caption": "Your chart", "filename": "chart.png"},
            "metadata": {"base64": encoded, "ptt": null}})
        .to_string(),
    );
    assert!(sent.failure.is_none(), "{:?}", sent.failure);
    let requests = host.graph.requests();
    assert_eq!(requests.len(), 2, "one upload, one send");
    assert_eq!(requests[0].path, format!("/v26.0/{PHONE_NUMBER_ID}/media"));
    let media_id = host.graph.media_ids().pop().expect("the fake stored the upload");
    assert_eq!(host.graph.media(&media_id).unwrap().bytes, PNG);
    assert_eq!(host.graph.media(&media_id).unwrap().mime_type, "image/png");
    assert_eq!(requests[1].path, messages_path());
    assert_eq!(requests[1].json()["image"], json!({"id": media_id, "caption": "Your chart"}));
}

#[test]
fn a_tts_voice_note_from_raw_bytes_is_sent_as_voice() {
    let host = TestHost::new();
    let audio = b"OggS\0\x02\0\0opus-voice-frames".to_vec();
    let message = json!({"to": "16505551234", "content": {"type": "audio", "mimeType": "audio/ogg; codecs=opus"},
        "metadata": {"ptt": true}});
    let decoded = host
        .host
        .decode_outgoing(
            &message.to_string(),
            &[Attachment { pointer: "/metadata/audioBuffer".into(), bytes: audio.clone() }],
        )
        .unwrap()
        .unwrap();
    let outcome =
        host.host.send_decoded_with_retries(INSTANCE, &decoded, "tts-1", &RetryPolicy::default(), &|_| {}).unwrap();
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    let requests = host.graph.requests();
    let media_id = host.graph.media_ids().pop().unwrap();
    assert_eq!(host.graph.media(&media_id).unwrap().bytes, audio);
    assert_eq!(requests[1].json()["audio"], json!({"id": media_id, "voice": true}));
}

#[test]
fn ptt_on_a_linked_audio_file_is_a_voice_note() {
    let host = TestHost::new();
    let sent = host.send_omni(
        &json!({"to": "16505551234", "content": {"type": "audio", "mediaUrl": "https://cdn.example.com/v.ogg"},
            "metadata": {"ptt": true}})
        .to_string(),
    );
    assert!(sent.failure.is_none());
    assert_eq!(
        host.graph.requests()[0].json()["audio"],
        json!({"link": "https://cdn.example.com/v.ogg", "voice": true})
    );
}

#[test]
fn nine_thousand_characters_are_three_ordered_sends_reported_as_one() {
    let host = TestHost::new();
    let paragraph = "We checked your order and everything is on its way. The courier will call before arriving. ";
    let text: String = paragraph.repeat(100).chars().take(9_000).collect();
    let sent = host.send_omni(
        &json!({"to": "16505551234", "content": {"type": "text", "text": text}, "replyTo": "wamid.QUESTION",
            "metadata": {"correlationId": "omni-long-1"}})
        .to_string(),
    );
    assert!(sent.failure.is_none(), "{:?}", sent.failure);
    assert_eq!(sent.sent.len(), 3);
    let bodies: Vec<Value> = host.graph.requests().iter().map(|r| r.json()).collect();
    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies[0]["context"], json!({"message_id": "wamid.QUESTION"}));
    assert!(bodies[1].get("context").is_none() && bodies[2].get("context").is_none());
    let rejoined: Vec<String> = bodies.iter().map(|b| b["text"]["body"].as_str().unwrap().to_owned()).collect();
    assert!(rejoined.iter().all(|b| b.chars().count() <= 4096));
    assert_eq!(rejoined.join(" ").split_whitespace().count(), text.split_whitespace().count());
    let summary = omni_host::omni::wire::parts_outcome(&sent).unwrap();
    assert_eq!(summary["messageIds"].as_array().unwrap().len(), 3);
    assert_eq!(summary["messageId"], summary["messageIds"][0]);
    let sent_events: Vec<_> = host.events().into_iter().filter(|e| e.event == "message.sent").collect();
    assert_eq!(sent_events.len(), 3);
    assert!(sent_events.iter().all(|e| e.metadata.correlation_id == "omni-long-1"));
}

#[test]
fn a_part_that_fails_stops_the_rest_and_names_what_was_sent() {
    let host = TestHost::new();
    let text: String = "word ".repeat(1_700);
    host.graph.script(omni_host::fake_graph::ScriptedResponse::normal());
    host.graph.script(omni_host::fake_graph::ScriptedResponse::graph_error(400, 131047, "Re-engagement message"));
    let sent = host.send_omni(&json!({"to": "16505551234", "content": {"type": "text", "text": text}}).to_string());
    assert_eq!(sent.sent.len(), 1);
    assert_eq!(host.graph.requests().len(), 2, "the third part is not sent");
    let error = omni_host::omni::wire::parts_outcome(&sent).unwrap_err();
    assert_eq!((error["code"].as_i64(), error["sentMessageIds"].as_array().map(Vec::len)), (Some(131047), Some(1)));
    let failed: Vec<_> = host.events().into_iter().filter(|e| e.event == "message.failed").collect();
    assert_eq!(failed.len(), 1);
}

#[test]
fn filenames_on_images_are_ignored_and_unsendable_shapes_named() {
    let host = TestHost::new();
    let sent = host.send_omni(
        &json!({"to": "16505551234", "content": {"type": "image", "mediaUrl": "https://cdn.example.com/a.jpg", "filename": "a.jpg"}})
            .to_string(),
    );
    assert!(sent.failure.is_none());
    assert_eq!(host.graph.requests()[0].json()["image"], json!({"link": "https://cdn.example.com/a.jpg"}));
    for (message, field) in [
        (json!({"to": "1", "content": {"type": "poll", "text": "Lunch?"}}), "content.type"),
        (
            json!({"to": "16505551234", "content": {"type": "location", "location": {"latitude": 95.0, "longitude": 0.0}}}),
            "",
        ),
        (
            json!({"to": "1", "content": {"type": "text", "text": ""}, "metadata": {"forward": {"messageId": "x"}}}),
            "metadata.forward",
        ),
    ] {
        match host.host.decode_outgoing(&message.to_string(), &[]).unwrap() {
            Err(refusal) => assert_eq!(refusal.field, field, "{message}"),
            Ok(decoded) => {
                // Structure is fine; WhatsApp's rule (latitude within ±90) is the send path's.
                assert_eq!(field, "", "{message} was accepted");
                let outcome = host
                    .host
                    .send_decoded_with_retries(INSTANCE, &decoded, "x", &RetryPolicy::default(), &|_| {})
                    .unwrap();
                let Some(omni_host::bindings::types::ChannelError::InvalidRequest(f)) = outcome.failure else {
                    panic!()
                };
                assert_eq!(f.field, "content.latitude");
            }
        }
    }
}
