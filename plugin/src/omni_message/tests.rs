//! omni's message shapes → the WIT messages, and the field named for each refusal.

use serde_json::{Value, json};

use super::*;
use crate::wit::message_parts::MediaSource;
use crate::wit::messaging::Content;
use crate::wit::types::MediaKind;

fn decode_json(message: Value) -> Result<DecodedMessage, InvalidField> {
    decode(&message.to_string(), Vec::new())
}

fn one(message: Value) -> OutgoingMessage {
    let mut decoded = decode_json(message).expect("decodes");
    assert_eq!(decoded.parts.len(), 1);
    decoded.parts.remove(0).message
}

fn refused(message: Value) -> String {
    decode_json(message).expect_err("refused").field
}

#[test]
fn text_with_reply_and_correlation_id() {
    let decoded = decode_json(json!({"to": "+1 555 0100", "content": {"type": "text", "text": "hi"},
        "replyTo": "wamid.1", "metadata": {"correlationId": "c1", "mentions": [], "replyToText": "x"}}))
    .unwrap();
    assert_eq!(decoded.correlation_id.as_deref(), Some("c1"));
    assert!(!decoded.parts[0].uploads_file);
    let part = &decoded.parts[0].message;
    assert_eq!((part.to.as_str(), part.reply_to.as_deref()), ("+1 555 0100", Some("wamid.1")));
    assert!(matches!(&part.content, Content::Text(t) if t.body == "hi" && !t.preview_url));
}

#[test]
fn long_text_becomes_ordered_parts_with_the_reply_on_the_first() {
    let sentence = "Our opening hours change next week, so please plan your visit. ";
    let text: String = sentence.repeat(200).chars().take(9_000).collect();
    let decoded =
        decode_json(json!({"to": "1", "content": {"type": "text", "text": text}, "replyTo": "wamid.Q"})).unwrap();
    assert_eq!(decoded.parts.len(), 3);
    assert_eq!(decoded.parts[0].message.reply_to.as_deref(), Some("wamid.Q"));
    assert!(decoded.parts[1..].iter().all(|p| p.message.reply_to.is_none()));
    let bodies: Vec<&str> = decoded
        .parts
        .iter()
        .map(|p| match &p.message.content {
            Content::Text(t) => t.body.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(bodies.iter().all(|b| b.chars().count() <= crate::constants::MAX_TEXT_CHARS));
    // Cut at the end of a sentence, not in the middle of one.
    assert!(bodies[..2].iter().all(|b| b.ends_with('.')));
    assert!(bodies[0].starts_with("Our opening hours"));
}

#[test]
fn location_as_omni_sends_it_and_the_older_lat_lng() {
    for location in [
        json!({"latitude": 48.85, "longitude": 2.29, "name": "Pier 4"}),
        json!({"lat": 48.85, "lng": 2.29, "name": "Pier 4"}),
    ] {
        let part = one(json!({"to": "1", "content": {"type": "location", "location": location}}));
        let Content::Location(l) = part.content else { panic!() };
        assert_eq!((l.latitude, l.longitude, l.name.as_deref()), (48.85, 2.29, Some("Pier 4")));
    }
    assert_eq!(
        refused(json!({"to": "1", "content": {"type": "location", "location": {"longitude": 2.0}}})),
        "content.location.latitude"
    );
    assert_eq!(
        refused(
            json!({"to": "1", "content": {"type": "location", "location": {"latitude": 1.0, "lat": 1.0, "longitude": 2.0}}})
        ),
        "content.location.lat"
    );
}

#[test]
fn media_by_url_and_by_id_with_captions() {
    let part = one(json!({"to": "1", "content": {"type": "image", "mediaUrl": "https://cdn.example.com/a.jpg",
        "caption": "Menu", "filename": "a.jpg", "mimeType": "image/jpeg"}}));
    let Content::Media(m) = part.content else { panic!() };
    assert_eq!(m.kind, MediaKind::Image);
    assert_eq!(m.source, MediaSource::Link("https://cdn.example.com/a.jpg".into()));
    // A file name on an image is ignored, not refused.
    assert_eq!((m.caption.as_deref(), m.filename), (Some("Menu"), None));
    let part =
        one(json!({"to": "1", "content": {"type": "document", "mediaId": "7382", "filename": "q3.pdf", "text": "Q3"}}));
    let Content::Media(m) = part.content else { panic!() };
    assert_eq!((m.caption.as_deref(), m.filename.as_deref()), (Some("Q3"), Some("q3.pdf")));
}

#[test]
fn base64_media_is_carried_for_upload_with_its_type() {
    let png = b"\x89PNG\r\n\x1A\n0000";
    let encoded = base64::engine::general_purpose::STANDARD.encode(png);
    use base64::Engine as _;
    let part =
        one(json!({"to": "1", "content": {"type": "image", "caption": "chart"}, "metadata": {"base64": encoded}}));
    let Content::Media(m) = part.content else { panic!() };
    let MediaSource::Bytes(inline) = m.source else { panic!("{:?}", m.source) };
    assert_eq!((inline.bytes.as_slice(), inline.mime_type.as_str()), (&png[..], "image/png"));
    let data_url = format!("data:image/jpeg;base64,{encoded}");
    let part = one(json!({"to": "1", "content": {"type": "image"}, "metadata": {"base64": data_url}}));
    let Content::Media(m) = part.content else { panic!() };
    assert!(matches!(m.source, MediaSource::Bytes(ref i) if i.mime_type == "image/jpeg"));
    assert_eq!(
        refused(json!({"to": "1", "content": {"type": "image"}, "metadata": {"base64": "%%%"}})),
        "metadata.base64"
    );
    let unknown = base64::engine::general_purpose::STANDARD.encode(b"plain words");
    assert_eq!(
        refused(json!({"to": "1", "content": {"type": "document"}, "metadata": {"base64": unknown}})),
        "content.mimeType"
    );
}

#[test]
fn a_tts_voice_note_from_raw_bytes() {
    let message = json!({"to": "1", "content": {"type": "audio", "mimeType": "audio/ogg; codecs=opus"},
        "metadata": {"ptt": true}});
    let attachment = Attachment { pointer: "/metadata/audioBuffer".into(), bytes: b"OggS\0\x02rest".to_vec() };
    let mut decoded = decode(&message.to_string(), vec![attachment]).unwrap();
    let part = decoded.parts.remove(0);
    assert!(part.uploads_file, "a file in the message: the send needs a media call's limits");
    let Content::Media(m) = part.message.content else { panic!() };
    assert!(m.voice);
    let MediaSource::Bytes(inline) = m.source else { panic!() };
    assert_eq!(inline.mime_type, "audio/ogg; codecs=opus");
}

#[test]
fn ptt_makes_voice_notes_of_audio_only() {
    let part = one(
        json!({"to": "1", "content": {"type": "audio", "mediaUrl": "https://x.example/a.ogg"}, "metadata": {"ptt": true}}),
    );
    assert!(matches!(part.content, Content::Media(ref m) if m.voice));
    let part = one(
        json!({"to": "1", "content": {"type": "video", "mediaUrl": "https://x.example/a.mp4"}, "metadata": {"ptt": true}}),
    );
    assert!(matches!(part.content, Content::Media(ref m) if !m.voice));
}

#[test]
fn media_needs_exactly_one_source() {
    assert_eq!(refused(json!({"to": "1", "content": {"type": "image"}})), "content.mediaUrl");
    assert_eq!(
        refused(json!({"to": "1", "content": {"type": "image", "mediaUrl": "https://x.example/a", "mediaId": "1"}})),
        "content.mediaId"
    );
    let message = json!({"to": "1", "content": {"type": "text", "text": "hi"}});
    let attachment = Attachment { pointer: "/metadata/audioBuffer".into(), bytes: vec![1] };
    assert_eq!(decode(&message.to_string(), vec![attachment]).unwrap_err().field, "metadata.audioBuffer");
}

#[test]
fn contact_reaction_and_omni_conventions() {
    let part = one(json!({"to": "1", "content": {"type": "contact",
        "contact": {"name": "Front desk", "phone": "+1 415 555 0100", "email": "desk@example.com", "organization": "Acme"}}}));
    let Content::Contacts(cards) = part.content else { panic!() };
    assert_eq!(cards[0].org.as_ref().and_then(|o| o.company.as_deref()), Some("Acme"));
    let part = one(json!({"to": "1", "content": {"type": "reaction", "emoji": "👍", "targetMessageId": "wamid.T"}}));
    assert!(matches!(part.content, Content::Reaction(ref r) if r.message_id == "wamid.T"));
    // Without `targetMessageId`, omni's `replyTo` names the message reacted to.
    let part = one(json!({"to": "1", "content": {"type": "reaction", "emoji": "👍"}, "replyTo": "wamid.R"}));
    assert!(matches!(part.content, Content::Reaction(ref r) if r.message_id == "wamid.R"));
    assert_eq!(part.reply_to, None);
}

#[test]
fn what_whatsapp_cannot_send_is_named() {
    assert_eq!(refused(json!({"to": "1", "content": {"type": "poll", "text": "?"}})), "content.type");
    assert_eq!(refused(json!({"to": "1", "content": {"type": "hologram"}})), "content.type");
    assert_eq!(refused(json!({"to": "1", "content": {"type": "text", "text": "hi", "colour": 1}})), "content.colour");
    assert_eq!(refused(json!({"to": "1", "content": {"type": "text", "text": " "}})), "content.text");
    assert_eq!(refused(json!({"content": {"type": "text", "text": "hi"}})), "to");
    assert_eq!(
        refused(json!({"to": "1", "content": {"type": "text", "text": ""}, "metadata": {"forward": {}}})),
        "metadata.forward"
    );
    assert_eq!(refused(json!({"to": "1", "content": {"type": "text", "text": "a"}, "extra": true})), "extra");
    assert_eq!(decode("{", Vec::new()).unwrap_err().field, "");
}

#[test]
fn templates_and_interactive_messages() {
    let part = one(
        json!({"to": "1", "content": {"type": "template", "template": {"name": "order_shipped", "language": "en_US",
        "components": [
            {"type": "header", "parameters": [{"type": "image", "mediaUrl": "https://cdn.example.com/b.png"}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Maria", "parameterName": "first_name"},
                {"type": "currency", "currency": {"fallbackValue": "$1", "code": "USD", "amount1000": 1000}},
                {"type": "date_time", "dateTime": {"fallbackValue": "March 14"}}]},
            {"type": "button", "subType": "quick_reply", "index": 0, "parameters": [{"type": "payload", "payload": "P"}]}]}}}),
    );
    let Content::Template(t) = part.content else { panic!() };
    assert_eq!(t.components.len(), 3);
    assert_eq!(
        refused(json!({"to": "1", "content": {"type": "template", "template": {"name": "t", "language": "en",
            "components": [{"type": "body", "parameters": [{"type": "text"}]}]}}})),
        "content.template.components[0].parameters[0].text"
    );
    let part = one(json!({"to": "1", "content": {"type": "interactive", "interactive": {"body": "Pick",
        "action": {"type": "list", "button": "Choose", "sections": [{"rows": [{"id": "a", "title": "A"}]}]}}}}));
    assert!(matches!(part.content, Content::Interactive(_)));
    assert_eq!(
        refused(
            json!({"to": "1", "content": {"type": "interactive", "interactive": {"body": "b", "action": {"type": "product_list"}}}})
        ),
        "content.interactive.action.type"
    );
    let card = |kind: &str| {
        json!({"header": {"type": kind, "mediaUrl": "https://cdn.example.com/c.png"}, "body": "Card",
        "action": {"type": "buttons", "buttons": [{"id": "more", "title": "More"}]}})
    };
    let part = one(json!({"to": "1", "content": {"type": "interactive", "interactive": {"body": "Pick",
        "action": {"type": "carousel", "cards": [card("image"), card("video")]}}}}));
    let Content::Interactive(interactive) = part.content else { panic!() };
    let crate::wit::interactive::InteractiveAction::Carousel(cards) = interactive.action else { panic!() };
    assert_eq!((cards.len(), cards[1].header.kind, cards[0].body.as_deref()), (2, MediaKind::Video, Some("Card")));
    assert_eq!(
        refused(json!({"to": "1", "content": {"type": "interactive", "interactive": {"body": "b",
            "action": {"type": "carousel", "cards": [card("document")]}}}})),
        "content.interactive.action.cards[0].header.type"
    );
}

#[test]
fn text_markdown_is_converted_unless_omni_says_passthrough() {
    let body = |message: Value| match one(message).content {
        Content::Text(t) => t.body,
        other => panic!("not text: {other:?}"),
    };
    let text = json!({"type": "text", "text": "**thanks** for *waiting*"});
    assert_eq!(body(json!({"to": "1", "content": text})), "*thanks* for _waiting_");
    assert_eq!(
        body(json!({"to": "1", "content": text, "metadata": {"messageFormatMode": "convert"}})),
        "*thanks* for _waiting_"
    );
    assert_eq!(
        body(json!({"to": "1", "content": text, "metadata": {"messageFormatMode": "passthrough"}})),
        "**thanks** for *waiting*"
    );
    assert_eq!(
        refused(json!({"to": "1", "content": text, "metadata": {"messageFormatMode": "html"}})),
        "metadata.messageFormatMode"
    );
}
