//! Messages: their content, senders, contacts and the events each yields.

use super::*;

#[test]
fn text_message_in_omni_shape() {
    let body = notification(vec![change(messages_value(
        vec![text_message("wamid.A", "972987654321", "Body Text")],
        vec![json!({"profile": {"name": "Test Name"}, "wa_id": "972987654321", "user_id": "US.1349"})],
    ))]);
    let events = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.kind, EventKind::MessageReceived);
    assert_eq!(event.instance_id, "inst-a");
    assert_eq!(event.occurred_at_ms, Some(1_697_043_223_000));
    assert_eq!(event.id, event_id("inst-a", &EventKind::MessageReceived, &["wamid.A"]));
    let p = payload(event);
    assert_eq!(p["externalId"], "wamid.A");
    assert_eq!(p["chatId"], "972987654321@s.whatsapp.net");
    assert_eq!(p["from"], "972987654321");
    assert_eq!(p["content"], json!({"type": "text", "text": "Body Text"}));
    assert_eq!(p["rawPayload"]["pushName"], "Test Name");
    assert_eq!(p["rawPayload"]["sender"]["userId"], "US.1349");
    assert_eq!(p["rawPayload"]["message"]["id"], "wamid.A");
    assert!(p.get("replyToId").is_none());
}

#[test]
fn contacts_are_matched_by_id_not_position() {
    let body = notification(vec![change(messages_value(
        vec![text_message("wamid.1", "111111111", "one"), text_message("wamid.2", "222222222", "two")],
        vec![
            json!({"profile": {"name": "Two"}, "wa_id": "222222222"}),
            json!({"profile": {"name": "One"}, "wa_id": "111111111"}),
        ],
    ))]);
    let events = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    let names: Vec<Value> = events.iter().map(|e| payload(e)["rawPayload"]["pushName"].clone()).collect();
    assert_eq!(names, [json!("One"), json!("Two")]);
}

#[test]
fn media_messages_also_yield_media_received() {
    let image = json!({"from": "15550001111", "id": "wamid.I", "timestamp": "1", "type": "image",
        "image": {"id": "987", "mime_type": "image/jpeg", "sha256": "c2hh", "caption": "look"}});
    let body = notification(vec![change(messages_value(vec![image], vec![]))]);
    let events = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(kinds(&events), ["message.received", "media.received"]);
    let media = payload(&events[1]);
    assert_eq!(media["eventId"], events[0].id.as_str());
    assert_eq!((media["mediaId"].as_str(), media["mimeType"].as_str()), (Some("987"), Some("image/jpeg")));
    assert_eq!(payload(&events[0])["content"]["text"], "look");
}

#[test]
fn reactions_are_published_twice_and_empty_emoji_means_removed() {
    let react = |id: &str, emoji: &str| {
        json!({"from": "15550001111", "id": id, "timestamp": "1", "type": "reaction",
        "reaction": {"message_id": "wamid.TARGET", "emoji": emoji}})
    };
    let body = notification(vec![change(messages_value(vec![react("wamid.R1", "👍"), react("wamid.R2", "")], vec![]))]);
    let events = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(kinds(&events), ["message.received", "reaction.received", "message.received", "reaction.removed"]);
    let added = payload(&events[1]);
    assert_eq!((added["messageId"].as_str(), added["emoji"].as_str()), (Some("wamid.TARGET"), Some("👍")));
    assert_eq!(added["chatId"], "15550001111@s.whatsapp.net");
}

#[test]
fn senders_without_a_phone_number_are_known_by_their_bsuid() {
    let message =
        json!({"from_user_id": "US.1349", "id": "wamid.U", "timestamp": "1", "type": "text", "text": {"body": "hi"}});
    let contact = json!({"profile": {"name": "Ana", "username": "@ana"}, "user_id": "US.1349"});
    let body = notification(vec![change(messages_value(vec![message], vec![contact]))]);
    let p = payload(&map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap()[0]);
    assert_eq!((p["from"].as_str(), p["chatId"].as_str()), (Some("US.1349"), Some("US.1349@bsuid")));
    assert_eq!(p["rawPayload"]["sender"]["username"], "@ana");
}

#[test]
fn raw_payload_has_the_keys_omnis_persistence_reads() {
    let mut reply = text_message("wamid.R", "972987654321", "yes");
    reply["context"] = json!({"from": "15550783881", "id": "wamid.ORIGINAL", "forwarded": true});
    let body = notification(vec![change(messages_value(
        vec![reply],
        vec![json!({"profile": {"name": "Test Name"}, "wa_id": "972987654321"})],
    ))]);
    let raw = payload(&map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap()[0])["rawPayload"].clone();
    assert_eq!(raw["pushName"], "Test Name");
    assert_eq!(raw["isFromMe"], false);
    assert_eq!(raw["messageTimestamp"], 1_697_043_223);
    assert_eq!(raw["isForwarded"], true);
    assert_eq!(raw["quotedMessage"], json!({"id": "wamid.ORIGINAL", "from": "15550783881"}));
    assert!(raw.get("isGroup").is_none());
}

#[test]
fn a_sender_named_only_by_the_changes_contact() {
    let message = json!({"id": "wamid.U", "timestamp": "1697043223", "type": "text", "text": {"body": "hi"}});
    let contact = json!({"profile": {"name": "Ana", "username": "@ana"}, "user_id": "US.13491208655302741918"});
    let body = notification(vec![change(messages_value(vec![message], vec![contact]))]);
    let p = payload(&map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap()[0]);
    assert_eq!(p["from"], "US.13491208655302741918");
    assert_eq!(p["chatId"], "US.13491208655302741918@bsuid");
    assert_eq!(p["rawPayload"]["pushName"], "Ana");
}

#[test]
fn identity_changes_are_notices_not_user_text() {
    let number = json!({"from": "16505551234", "id": "wamid.SYS1", "timestamp": "1750269342", "type": "system",
        "system": {"body": "User Sheena Nelson changed from 16505551234 to 12195555358", "wa_id": "12195555358",
                   "type": "user_changed_number"}});
    let user_id = json!({"from_user_id": "US.222", "id": "wamid.SYS2", "timestamp": "1750269342", "type": "system",
        "system": {"body": "User changed their user id", "type": "user_changed_user_id",
                   "user_id": "US.222", "previous_user_id": "US.111"}});
    let body = notification(vec![change(messages_value(vec![number, user_id], vec![]))]);
    let events = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.kind == EventKind::Other(messages::IDENTITY_EVENT.into())));
    let number = payload(&events[0]);
    assert_eq!(
        (number["systemType"].as_str(), number["previousChatId"].as_str(), number["chatId"].as_str()),
        (Some("user_changed_number"), Some("16505551234@s.whatsapp.net"), Some("12195555358@s.whatsapp.net"))
    );
    assert_eq!((number["previousWaId"].as_str(), number["waId"].as_str()), (Some("16505551234"), Some("12195555358")));
    let user_id = payload(&events[1]);
    assert_eq!(
        (user_id["previousChatId"].as_str(), user_id["chatId"].as_str()),
        (Some("US.111@bsuid"), Some("US.222@bsuid"))
    );
    assert_eq!((user_id["previousUserId"].as_str(), user_id["userId"].as_str()), (Some("US.111"), Some("US.222")));
}

#[test]
fn button_and_list_taps_are_also_button_clicks() {
    let taps = [
        json!({"type": "interactive", "interactive": {"type": "button_reply",
            "button_reply": {"id": "yes-42", "title": "Yes"}}}),
        json!({"type": "interactive", "interactive": {"type": "list_reply",
            "list_reply": {"id": "row-7", "title": "Pizza", "description": "large"}}}),
        json!({"type": "button", "button": {"payload": "yes-42", "text": "Yes"}}),
    ];
    for (tap, (data, text)) in taps.into_iter().zip([("yes-42", "Yes"), ("row-7", "Pizza"), ("yes-42", "Yes")]) {
        let mut message = json!({"from": "5511999990000", "id": "wamid.TAP", "timestamp": "1700000000",
            "context": {"from": "15550783881", "id": "wamid.MENU"}});
        message.as_object_mut().unwrap().extend(tap.as_object().unwrap().clone());
        let events = mapped(message);
        assert_eq!(kinds(&events), ["message.received", "message.button_click"]);
        let click = payload(&events[1]);
        assert_eq!(click["callbackQueryId"], "wamid.TAP");
        assert_eq!(click["messageId"], "wamid.MENU", "the message that carried the button");
        assert_eq!(click["chatId"], "5511999990000@s.whatsapp.net");
        assert_eq!(click["from"], "5511999990000");
        assert_eq!((click["data"].as_str(), click["text"].as_str()), (Some(data), Some(text)));
        assert_eq!(click["rawPayload"]["id"], "wamid.TAP");
        assert_eq!(events[1].id, event_id("inst-a", &EventKind::MessageButtonClick, &["wamid.TAP"]));
        // The reply is still a message in the chat, with the label as its text.
        assert_eq!(payload(&events[0])["content"]["text"], text);
    }
    // A flow's answer is a reply, not a tap.
    let flow = mapped(json!({"from": "5511999990000", "id": "wamid.F", "type": "interactive",
        "interactive": {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{}"}}}));
    assert_eq!(kinds(&flow), ["message.received"]);
}

#[test]
fn audio_says_whether_it_is_a_voice_note_in_omnis_words() {
    let audio = |extra: Value| {
        let mut media = json!({"id": "m1", "mime_type": "audio/ogg; codecs=opus", "sha256": "h"});
        media.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let events = mapped(json!({"from": "5511999990000", "id": "wamid.V", "type": "audio", "audio": media}));
        payload(&events[0])["content"].clone()
    };
    assert_eq!(audio(json!({"voice": true}))["isVoiceNote"], true);
    assert_eq!(audio(json!({}))["isVoiceNote"], false);
    let legacy = mapped(json!({"from": "5511999990000", "id": "wamid.L", "type": "voice",
        "voice": {"id": "m2", "mime_type": "audio/ogg"}}));
    assert_eq!(payload(&legacy[0])["content"]["isVoiceNote"], true);
    let image = mapped(json!({"from": "5511999990000", "id": "wamid.I", "type": "image", "image": {"id": "m3"}}));
    assert!(payload(&image[0])["content"].get("isVoiceNote").is_none());
}

#[test]
fn an_edit_is_the_message_it_replaces_with_omnis_edit_flags() {
    let events = mapped(json!({"from": "5511999990000", "id": "wamid.EDIT", "timestamp": "1700000060",
        "type": "edit", "edit": {"original_message_id": "wamid.ORIG",
            "message": {"type": "text", "text": {"body": "fixed typo"}}}}));
    assert_eq!(kinds(&events), ["message.received"]);
    let p = payload(&events[0]);
    assert_eq!(p["externalId"], "wamid.ORIG", "omni finds the stored message by this id");
    assert_eq!(p["content"], json!({"type": "text", "text": "fixed typo"}));
    assert_eq!(p["rawPayload"]["isEdited"], true);
    assert_eq!(p["rawPayload"]["editDate"], 1_700_000_060_000u64);
    assert_eq!(p["rawPayload"]["editMessageId"], "wamid.EDIT");
    // Its own event id: the edit is not mistaken for a redelivery of the original.
    assert_eq!(events[0].id, event_id("inst-a", &EventKind::MessageReceived, &["wamid.EDIT"]));
    assert_ne!(events[0].id, event_id("inst-a", &EventKind::MessageReceived, &["wamid.ORIG"]));
    // An edit that says nothing of the new message stays an `edit` message.
    let bare = mapped(json!({"from": "5511999990000", "id": "wamid.E2", "type": "edit",
        "edit": {"original_message_id": "wamid.ORIG"}}));
    let p = payload(&bare[0]);
    assert_eq!((p["externalId"].as_str(), p["content"]["type"].as_str()), (Some("wamid.E2"), Some("edit")));
}

#[test]
fn a_message_with_no_sender_and_no_group_is_reported_not_published_with_an_empty_chat() {
    let anonymous = json!({"id": "wamid.NOONE", "timestamp": "1697043223", "type": "text", "text": {"body": "hi"}});
    // Two contacts: none of them can be taken for the sender.
    let contacts = vec![json!({"wa_id": "15550000001"}), json!({"wa_id": "15550000002"})];
    let body = notification(vec![change(messages_value(vec![anonymous], contacts))]);
    let events = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(kinds(&events), [UNHANDLED_EVENT]);
    let p = payload(&events[0]);
    assert_eq!(p["rawPayload"]["id"], "wamid.NOONE", "the message itself, raw");
    assert!(p["reason"].as_str().unwrap().contains("no sender"), "{p}");
    let again = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(again[0].id, events[0].id, "a redelivery gives the same id");
}

#[test]
fn a_group_id_given_as_a_chat_id_is_not_suffixed_twice() {
    let mut message = text_message("wamid.G", "15550000001", "hello group");
    message["group_id"] = json!("120363025555555555@g.us");
    let events = mapped(message);
    assert_eq!(payload(&events[0])["chatId"], "120363025555555555@g.us");
    assert_eq!(crate::chat_id::group("120363025555555555"), "120363025555555555@g.us");
}

#[test]
fn a_flow_reply_without_a_body_still_has_text() {
    let message = json!({"from": "5511999990000", "id": "wamid.FLOW", "timestamp": "1697043223", "type": "interactive",
        "interactive": {"type": "nfm_reply", "nfm_reply": {"name": "flow", "response_json": "{\"rating\": \"5\"}"}}});
    let p = payload(&mapped(message)[0]);
    assert_eq!(p["content"]["text"], super::content::FLOW_REPLY_TEXT);
    assert_eq!(p["rawPayload"]["reply"]["response"]["rating"], "5", "the answers stay with it: {p}");
}
