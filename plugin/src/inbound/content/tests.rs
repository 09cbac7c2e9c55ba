use super::*;
use serde_json::{Value, json};

/// What [`extract`] makes of `message`: the content object, the reply and the media kind.
fn extracted(message: Value) -> (Value, Option<Value>, Option<&'static str>) {
    let text = message.to_string();
    let node = Node::parse(text.as_bytes()).unwrap();
    let c = extract(&node);
    let reply = c.reply.as_deref().map(|r| serde_json::from_str(r).unwrap());
    (serde_json::from_str(&c.fields.to_json()).unwrap(), reply, c.media.map(|m| m.kind))
}

fn content(message: Value) -> Value {
    extracted(message).0
}

#[test]
fn the_readme_documents_every_rule() {
    for rule in CONTENT_RULES {
        let row = super::super::readme_row(rule.meta_type);
        assert!(
            row.contains(&format!("| `{}` |", rule.omni_type)),
            "docs/inbound.md row disagrees with the code: {row}"
        );
    }
}

#[test]
fn table_keys_are_unique() {
    for (i, rule) in CONTENT_RULES.iter().enumerate() {
        assert!(CONTENT_RULES[i + 1..].iter().all(|r| r.meta_type != rule.meta_type), "{}", rule.meta_type);
    }
}

#[test]
fn media_keeps_id_mime_sha_and_caption_as_text() {
    let (fields, _, media) = extracted(json!({"type": "document", "document": {"id": "1",
        "mime_type": "application/pdf", "sha256": "abc", "caption": "Q3", "filename": "q3.pdf"}}));
    assert_eq!(
        fields,
        json!({"type": "document", "mediaId": "1", "mimeType": "application/pdf", "sha256": "abc",
               "caption": "Q3", "text": "Q3", "filename": "q3.pdf"})
    );
    assert_eq!(media, Some("document"));
}

#[test]
fn voice_and_animated_flags() {
    assert_eq!(content(json!({"type": "audio", "audio": {"id": "1", "voice": true}}))["voice"], true);
    assert_eq!(content(json!({"type": "sticker", "sticker": {"id": "1", "animated": false}}))["animated"], false);
}

#[test]
fn replies_become_text_with_their_id_kept() {
    let (fields, reply, _) = extracted(json!({"type": "interactive", "interactive": {"type": "list_reply",
        "list_reply": {"id": "express", "title": "Express", "description": "1 day"}}}));
    assert_eq!(fields, json!({"type": "text", "text": "Express"}));
    assert_eq!(
        reply.unwrap(),
        json!({"type": "list_reply", "id": "express", "title": "Express", "description": "1 day"})
    );
    let (fields, reply, _) =
        extracted(json!({"type": "button", "button": {"payload": "STOP", "text": "Stop promotions"}}));
    assert_eq!(fields["text"], "Stop promotions");
    assert_eq!(reply.unwrap()["id"], "STOP");
}

#[test]
fn flow_replies_parse_their_json() {
    let (_, reply, _) = extracted(json!({"type": "interactive", "interactive": {"type": "nfm_reply",
        "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"rating\":\"5\"}"}}}));
    assert_eq!(reply.unwrap()["response"], json!({"rating": "5"}));
    let (_, reply, _) = extracted(json!({"type": "interactive", "interactive": {"type": "nfm_reply",
        "nfm_reply": {"response_json": "not json"}}}));
    assert_eq!(reply.unwrap()["response"], "not json");
}

#[test]
fn empty_or_missing_emoji_is_kept_empty() {
    assert_eq!(content(json!({"type": "reaction", "reaction": {"message_id": "m", "emoji": ""}}))["emoji"], "");
    assert_eq!(content(json!({"type": "reaction", "reaction": {"message_id": "m"}}))["emoji"], "");
}

#[test]
fn edits_point_at_the_original_and_carry_the_new_text() {
    let c = content(json!({"type": "edit", "edit": {"original_message_id": "wamid.O",
        "message": {"type": "text", "text": {"body": "fixed"}}}}));
    assert_eq!(
        c,
        json!({"type": "edit", "targetMessageId": "wamid.O", "text": "fixed",
        "editedContent": {"type": "text", "text": "fixed"}})
    );
    // An edit inside an edit is not followed.
    let nested = content(json!({"type": "edit", "edit": {"message": {"type": "edit", "edit": {}}}}));
    assert_eq!(nested["editedContent"]["type"], "unknown");
}

#[test]
fn legacy_voice_notes_are_audio() {
    let (fields, _, media) =
        extracted(json!({"type": "voice", "voice": {"id": "9", "mime_type": "audio/ogg; codecs=opus", "sha256": "x"}}));
    assert_eq!(fields["type"], "audio");
    assert_eq!(fields["voice"], true);
    assert_eq!(fields["mediaId"], "9");
    assert_eq!(media, Some("audio"));
}

#[test]
fn a_message_without_type_is_read_by_its_content_key() {
    let typeless = content(json!({"from": "1", "id": "wamid.X", "timestamp": "1", "text": {"body": "typeless"}}));
    assert_eq!(typeless, json!({"type": "text", "text": "typeless"}));
    let image = content(json!({"from": "1", "id": "wamid.X", "image": {"id": "5", "mime_type": "image/jpeg"}}));
    assert_eq!(image["type"], "image");
    // Two candidate keys: ambiguous, unknown.
    assert_eq!(content(json!({"text": {"body": "a"}, "image": {"id": "5"}}))["type"], "unknown");
    // One key twice is still one key.
    let node = Node::parse(br#"{"text": {"body": "a"}, "text": {"body": "b"}}"#).unwrap();
    assert_eq!(extract(&node).fields.get_str("text"), Some("b"));
}

#[test]
fn unknown_and_unsupported_types_keep_their_name() {
    assert_eq!(
        content(json!({"type": "hologram", "hologram": {}})),
        json!({"type": "unknown", "providerType": "hologram"})
    );
    assert_eq!(content(json!({"type": "unsupported"}))["providerType"], "unsupported");
    assert_eq!(content(json!({"id": "no type"}))["type"], "unknown");
    assert_eq!(
        content(json!({"type": "interactive", "interactive": {"type": "carousel_reply"}}))["providerType"],
        "interactive.carousel_reply"
    );
}
