//! Unit tests of the inbound mapping (the component-level tests live in `tests/`).

use serde_json::{Value, json};

use super::*;
use crate::event::event_id;

const PHONE: &str = "106540352242922";
const ROUTES: &[Route<'static>] = &[Route { instance_id: "inst-a", phone_number_id: PHONE }];

fn change(value: Value) -> Value {
    json!({"field": "messages", "value": value})
}

fn notification(changes: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": changes}],
    }))
    .unwrap()
}

fn text_message(id: &str, from: &str, body: &str) -> Value {
    json!({"from": from, "id": id, "timestamp": "1697043223", "type": "text", "text": {"body": body}})
}

fn messages_value(messages: Vec<Value>, contacts: Vec<Value>) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
        "contacts": contacts,
        "messages": messages,
    })
}

fn payload(event: &Event) -> Value {
    serde_json::from_str(&event.payload).unwrap()
}

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
fn every_entry_change_and_message_in_order() {
    let mut entries = Vec::new();
    for e in 0..2 {
        let mut changes = Vec::new();
        for c in 0..2 {
            let messages = (0..3).map(|m| text_message(&format!("wamid.{e}{c}{m}"), "15550001111", "hi")).collect();
            changes.push(change(messages_value(messages, vec![])));
        }
        entries.push(json!({"id": format!("waba{e}"), "changes": changes}));
    }
    let body = serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": entries})).unwrap();
    let events = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    let ids: Vec<Value> = events.iter().map(|e| payload(e)["externalId"].clone()).collect();
    let expected: Vec<Value> = ["000", "001", "002", "010", "011", "012", "100", "101", "102", "110", "111", "112"]
        .iter()
        .map(|s| json!(format!("wamid.{s}")))
        .collect();
    assert_eq!(ids, expected);
}

#[test]
fn statuses_map_to_their_events_with_meta_timestamps() {
    let statuses: Vec<Value> = ["sent", "delivered", "read"]
        .iter()
        .map(|s| json!({"id": "wamid.S", "status": s, "timestamp": "1750263773", "recipient_id": "16505551234"}))
        .collect();
    let body = notification(vec![change(json!({"metadata": {"phone_number_id": PHONE}, "statuses": statuses}))]);
    let events = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    let kinds: Vec<&EventKind> = events.iter().map(|e| &e.kind).collect();
    assert_eq!(kinds, [&EventKind::MessageSent, &EventKind::MessageDelivered, &EventKind::MessageRead]);
    // Same id as the send path's `message.sent`.
    assert_eq!(events[0].id, event_id("inst-a", &EventKind::MessageSent, &["wamid.S"]));
    assert_eq!(payload(&events[1])["deliveredAt"], 1_750_263_773_000u64);
    assert_eq!(payload(&events[2])["readAt"], 1_750_263_773_000u64);
    assert_eq!(payload(&events[0])["chatId"], "16505551234@s.whatsapp.net");
}

#[test]
fn failed_status_carries_code_and_retryable() {
    let status = json!({
        "id": "wamid.F", "status": "failed", "timestamp": "1", "recipient_id": "16505551234",
        "errors": [{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
                    "error_data": {"details": "more than 24 hours"}}],
    });
    let body = notification(vec![change(json!({"metadata": {"phone_number_id": PHONE}, "statuses": [status]}))]);
    let events = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    let p = payload(&events[0]);
    assert_eq!(events[0].kind, EventKind::MessageFailed);
    assert_eq!(p["errorCode"], "131047");
    assert_eq!(p["retryable"], false);
    assert_eq!(p["errorDetails"], "more than 24 hours");
}

#[test]
fn changes_are_routed_by_phone_number_id_and_unknown_numbers_reported() {
    let routes = [
        Route { instance_id: "inst-a", phone_number_id: PHONE },
        Route { instance_id: "inst-b", phone_number_id: "222" },
    ];
    let mut other = messages_value(vec![text_message("wamid.B", "15550001111", "b")], vec![]);
    other["metadata"]["phone_number_id"] = json!("222");
    let mut unknown = messages_value(vec![text_message("wamid.C", "15550001111", "c")], vec![]);
    unknown["metadata"]["phone_number_id"] = json!("999");
    let body = notification(vec![change(other), change(unknown)]);
    let events = map_notification(&body, "inst-a", &routes, &no_media_links).unwrap();
    assert_eq!(events[0].instance_id, "inst-b");
    assert_eq!(events[1].instance_id, "inst-a");
    assert_eq!(events[1].kind, EventKind::Other(UNROUTED_EVENT.into()));
    assert_eq!(payload(&events[1])["phoneNumberId"], "999");
}

#[test]
fn unreadable_bodies_are_errors() {
    assert!(matches!(map_notification(b"{", "i", ROUTES, &no_media_links), Err(InboundError::NotJson(_))));
    assert!(matches!(map_notification(b"[]", "i", ROUTES, &no_media_links), Err(InboundError::BadShape(_))));
    let bad = json!({"object": "whatsapp_business_account", "entry": [{"changes": "no"}]});
    assert!(matches!(
        map_notification(bad.to_string().as_bytes(), "i", ROUTES, &no_media_links),
        Err(InboundError::BadShape(_))
    ));
}

#[test]
fn a_malformed_change_is_reported_and_the_rest_of_the_delivery_mapped() {
    let body = notification(vec![
        change(json!({"metadata": {"phone_number_id": PHONE}, "messages": 5})),
        json!({"field": ["odd"], "value": {"anything": true}}),
        change(messages_value(vec![text_message("wamid.OK", "16505551234", "still here")], vec![])),
    ]);
    let events = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(kinds(&events), [UNHANDLED_EVENT, UNHANDLED_EVENT, "message.received"]);
    let malformed = payload(&events[0]);
    assert_eq!(malformed["field"], "messages");
    assert_eq!(malformed["rawPayload"]["messages"], 5);
    assert!(malformed["reason"].as_str().unwrap().contains("not shaped as Meta documents it"), "{malformed}");
    assert_eq!(payload(&events[1])["field"], "");
    assert_eq!(payload(&events[2])["externalId"], "wamid.OK");
}

#[test]
fn ids_and_codes_sent_as_numbers_or_strings_are_read_alike() {
    let body = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": 102290129340398u64, "changes": [change(json!({
            "metadata": {"display_phone_number": 15550783881u64, "phone_number_id": 106540352242922u64},
            "errors": [{"code": "130429", "title": "Rate limit hit"}],
        }))]}],
    }))
    .unwrap();
    let events = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].instance_id, "inst-a", "routed by the numeric phone number id");
    let error = payload(&events[0]);
    assert_eq!((error["errorCode"].as_str(), error["retryable"].as_bool()), (Some("130429"), Some(true)));
}

#[test]
fn other_fields_and_objects_are_reported_not_refused() {
    let body = notification(vec![json!({"field": "some_future_field", "value": {"event": "X"}})]);
    let events = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(events[0].kind, EventKind::Other(UNHANDLED_EVENT.into()));
    assert_eq!(payload(&events[0])["field"], "some_future_field");
    let page = json!({"object": "page", "entry": []});
    let events = map_notification(page.to_string().as_bytes(), "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(payload(&events[0])["field"], "object");
}

fn kinds(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| crate::event::omni_name(&e.kind).to_owned()).collect()
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
fn played_is_reported_as_read_with_its_own_id() {
    let status = |s: &str| json!({"id": "wamid.V", "status": s, "timestamp": "2", "recipient_id": "15550001111"});
    let body = notification(vec![change(
        json!({"metadata": {"phone_number_id": PHONE}, "statuses": [status("read"), status("played")]}),
    )]);
    let events = map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(kinds(&events), ["message.read", "message.read"]);
    assert_eq!(payload(&events[1])["playedAt"], 2000);
    assert_ne!(events[0].id, events[1].id);
}

#[test]
fn account_level_fields_go_to_the_receiver_and_calls_to_their_number() {
    let account = json!({"field": "account_update", "value": {"event": "ACCOUNT_RESTRICTION"}});
    let calls = json!({"field": "calls", "value": {"metadata": {"phone_number_id": PHONE},
        "calls": [{"id": "wacid.1", "event": "connect", "from": "1", "to": "2"}],
        "statuses": [{"id": "wacid.1", "type": "call", "status": "RINGING"}],
        "errors": [{"code": 12455, "message": "x"}]}});
    let events = map_notification(&notification(vec![account, calls]), "receiver", ROUTES, &no_media_links).unwrap();
    assert_eq!(
        kinds(&events),
        ["custom.whatsapp-cloud.account.update", CALL_CONNECT_EVENT, CALL_STATUS_EVENT, WEBHOOK_ERROR_EVENT]
    );
    assert_eq!(events[0].instance_id, "receiver");
    assert_eq!(payload(&events[0])["event"], "ACCOUNT_RESTRICTION");
    assert_eq!(events[1].instance_id, "inst-a");
    assert_eq!(payload(&events[1])["callId"], "wacid.1");
}

#[test]
fn calls_are_typed_by_event_with_the_users_chat() {
    let offer = json!({"sdp_type": "offer", "sdp": "v=0"});
    let calls = json!({"field": "calls", "value": {"metadata": {"phone_number_id": PHONE, "display_phone_number": "15550001111"},
        "calls": [
            {"id": "wacid.in", "event": "connect", "direction": "USER_INITIATED", "from": "447700900123",
             "to": "15550001111", "timestamp": "1752583107", "session": offer},
            {"id": "wacid.out", "event": "terminate", "direction": "BUSINESS_INITIATED", "from": "15550001111",
             "to": "447700900123", "status": "COMPLETED", "start_time": "1671644824", "end_time": "1671644944",
             "duration": 120},
            {"id": "wacid.x", "event": "transfer"},
            {"event": "connect", "from": "447700900123"}],
        "statuses": [{"id": "wacid.out", "type": "call", "status": "RINGING", "recipient_id": "447700900123"},
                     {"id": "wacid.out", "type": "call", "status": "ACCEPTED", "recipient_id": "447700900123"}]}});
    let events = map_notification(&notification(vec![calls]), "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(
        kinds(&events),
        [
            CALL_CONNECT_EVENT,
            CALL_TERMINATE_EVENT,
            UNHANDLED_EVENT,
            UNHANDLED_EVENT,
            CALL_STATUS_EVENT,
            CALL_STATUS_EVENT
        ]
    );
    let connect = payload(&events[0]);
    assert_eq!(connect["chatId"], "447700900123@s.whatsapp.net");
    assert_eq!(connect["session"], json!({"sdpType": "offer", "sdp": "v=0"}));
    assert_eq!(events[0].occurred_at_ms, Some(1_752_583_107_000));
    let ended = payload(&events[1]);
    assert_eq!(ended["chatId"], "447700900123@s.whatsapp.net", "the user is who a business call went to");
    assert_eq!((ended["startedAt"].as_u64(), ended["durationSeconds"].as_u64()), (Some(1_671_644_824_000), Some(120)));
    assert!(payload(&events[2])["reason"].as_str().unwrap().contains("`transfer`"));
    assert!(payload(&events[3])["reason"].as_str().unwrap().contains("without an `id`"));
    assert_eq!(payload(&events[4])["chatId"], "447700900123@s.whatsapp.net");
    assert_ne!(events[4].id, events[5].id, "each status of one call is its own event");
    assert_eq!(events[5].correlation_id.as_deref(), Some("wacid.out"));
}

#[test]
fn business_echoes_are_not_received_messages() {
    let echo = json!({"field": "smb_message_echoes", "value": {"metadata": {"phone_number_id": PHONE},
        "message_echoes": [{"from": "15550783881", "to": "15550001111", "id": "wamid.E", "timestamp": "1",
                            "type": "text", "text": {"body": "sent from the app"}}]}});
    let events = map_notification(&notification(vec![echo]), "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(kinds(&events), [ECHO_EVENT]);
    let p = payload(&events[0]);
    assert_eq!((p["chatId"].as_str(), p["fromMe"].as_bool()), (Some("15550001111@s.whatsapp.net"), Some(true)));
    assert_eq!(p["content"]["text"], "sent from the app");
}

#[test]
fn a_delivery_with_too_many_items_is_refused() {
    let statuses: Vec<Value> = (0..=MAX_ITEMS).map(|i| json!({"id": i.to_string(), "status": "read"})).collect();
    let body = notification(vec![change(json!({"metadata": {"phone_number_id": PHONE}, "statuses": statuses}))]);
    assert_eq!(
        map_notification(&body, "inst-a", ROUTES, &no_media_links),
        Err(InboundError::TooManyItems(MAX_ITEMS + 1))
    );
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
fn message_echoes_and_account_settings_updates_are_mapped() {
    let echoes = json!({"field": "message_echoes", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
        "message_echoes": [{"from": "15550783881", "to": "16505551234", "id": "wamid.ECHO", "timestamp": "1697043223",
                            "type": "text", "text": {"body": "sent from the app"}}]}});
    let settings = json!({"field": "account_settings_update", "value": {"phone_number": "15550783881", "type": "calling", "calling": {"status": "ENABLED"}}});
    let events = map_notification(&notification(vec![echoes, settings]), "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(events[0].kind, EventKind::Other(ECHO_EVENT.into()));
    assert_eq!(payload(&events[0])["chatId"], "16505551234@s.whatsapp.net");
    assert_eq!(events[1].kind, EventKind::Other("custom.whatsapp-cloud.account.settings".into()));
}

fn mapped(message: Value) -> Vec<Event> {
    let contact = json!({"profile": {"name": "Ana"}, "wa_id": "5511999990000"});
    let body = notification(vec![change(messages_value(vec![message], vec![contact]))]);
    map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap()
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
fn a_status_with_no_recipient_is_reported_not_given_a_bare_suffix_as_chat() {
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
        "statuses": [
            {"id": "wamid.S1", "status": "delivered", "timestamp": "1697043223"},
            {"id": "wamid.S2", "status": "delivered", "timestamp": "1697043223", "recipient_id": "15550000001"},
        ],
    });
    let events = map_notification(&notification(vec![change(value)]), "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(kinds(&events), [UNHANDLED_EVENT, "message.delivered"]);
    assert!(payload(&events[0])["reason"].as_str().unwrap().contains("no recipient"));
    assert_eq!(payload(&events[1])["chatId"], "15550000001@s.whatsapp.net");
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

#[test]
fn arrays_a_messages_change_does_not_map_are_reported_not_dropped() {
    let mut value = messages_value(vec![text_message("wamid.M", "5511999990000", "hi")], vec![]);
    value["calls"] = json!([{"id": "wacid.1", "event": "connect"}]);
    value["message_echoes"] = json!([{"id": "wamid.E", "to": "5511999990000"}]);
    let events = map_notification(&notification(vec![change(value)]), "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(kinds(&events), ["message.received", UNHANDLED_EVENT, UNHANDLED_EVENT]);
    let reasons: Vec<String> = events[1..].iter().map(|e| payload(e)["reason"].as_str().unwrap().to_owned()).collect();
    assert!(reasons.iter().any(|r| r.contains("`calls`")) && reasons.iter().any(|r| r.contains("`message_echoes`")));
    assert_eq!(payload(&events[1])["rawPayload"].as_array().map(Vec::len), Some(1));
}

#[test]
fn standby_copies_are_kept_and_marked_never_received() {
    let standby = json!({"field": "standby", "value": {"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
        "standby": {"contacts": [{"profile": {"name": "Ana"}, "wa_id": "16505551234"}],
                    "messages": [text_message("wamid.S1", "16505551234", "still there?")],
                    "statuses": [{"id": "wamid.S0", "status": "read", "timestamp": "1", "recipient_id": "16505551234"}],
                    "message_echoes": [{"id": "wamid.S2", "timestamp": "2",
                        "message": {"messaging_product": "whatsapp", "to": "16505551234", "type": "text",
                                    "text": {"body": "An agent will answer"}}}]}}});
    let events = map_notification(&notification(vec![standby.clone()]), "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(
        kinds(&events),
        [
            "custom.whatsapp-cloud.standby.message.received",
            "custom.whatsapp-cloud.standby.message.read",
            STANDBY_ECHO_EVENT
        ]
    );
    let received = payload(&events[0]);
    assert_eq!(received["standby"], true);
    assert_eq!(
        (received["chatId"].as_str(), received["content"]["text"].as_str()),
        (Some("16505551234@s.whatsapp.net"), Some("still there?"))
    );
    assert_eq!(received["rawPayload"]["pushName"], "Ana", "the standby contacts name the sender");
    assert_eq!(payload(&events[2])["chatId"], "16505551234@s.whatsapp.net");
    // The same message outside standby is another event.
    let plain = change(messages_value(vec![text_message("wamid.S1", "16505551234", "still there?")], vec![]));
    let plain = map_notification(&notification(vec![plain]), "inst-a", ROUTES, &no_media_links).unwrap();
    assert_ne!(plain[0].id, events[0].id);
    let again = map_notification(&notification(vec![standby]), "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(again[0].id, events[0].id, "a redelivery has the same ids");
    let image = json!({"from": "16505551234", "id": "wamid.S3", "timestamp": "3", "type": "image",
                       "image": {"id": "1013859600285441", "mime_type": "image/jpeg", "sha256": "x"}});
    let with_image = json!({"field": "standby", "value": {"metadata": {"phone_number_id": PHONE},
        "standby": {"messages": [image]}}});
    let events = map_notification(&notification(vec![with_image]), "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(
        kinds(&events),
        ["custom.whatsapp-cloud.standby.message.received", "custom.whatsapp-cloud.standby.media.received"]
    );
    assert_eq!(payload(&events[1])["eventId"], events[0].id, "the media names its message by its standby id");
    let empty = json!({"field": "standby", "value": {"metadata": {"phone_number_id": PHONE}}});
    let events = map_notification(&notification(vec![empty]), "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(kinds(&events), [UNHANDLED_EVENT]);
}

#[test]
fn handovers_say_who_answers_now() {
    let handover = |kind: &str| {
        json!({"field": "messaging_handovers", "value": {"messaging_product": "whatsapp",
        "recipient": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
        "sender": {"phone_number": "16505551234"}, "type": kind, "timestamp": "1750101000",
        kind: {"previous_owner_role": "ai_agent", "new_owner_role": "escalation", "metadata": "asked for a human"}}})
    };
    let events = map_notification(
        &notification(vec![handover("control_passed"), handover("control_taken"), handover("control_requested")]),
        "receiver",
        ROUTES,
        &no_media_links,
    )
    .unwrap();
    assert_eq!(kinds(&events), [CONTROL_PASSED_EVENT, CONTROL_TAKEN_EVENT, UNHANDLED_EVENT]);
    assert_eq!(events[0].instance_id, "inst-a", "routed by the recipient's phone number id");
    let passed = payload(&events[0]);
    assert_eq!(passed["chatId"], "16505551234@s.whatsapp.net");
    assert_eq!(
        (passed["newOwnerRole"].as_str(), passed["metadata"].as_str()),
        (Some("escalation"), Some("asked for a human"))
    );
    assert_eq!(events[0].occurred_at_ms, Some(1_750_101_000_000));
}

#[test]
fn usernames_and_user_id_updates_are_typed() {
    let username = json!({"field": "business_username_update",
        "value": {"display_phone_number": "15550783881", "username": "acme.support", "status": "approved"}});
    let user_id = json!({"field": "user_id_update", "value": {"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
        "user_id_update": [
            {"wa_id": "16505551234", "detail": "User id updated.", "timestamp": "1750030073",
             "user_id": {"previous": "US.13491208655302741918", "current": "US.24817305912873645029"}},
            {"user_id": {"previous": "US.1", "current": "US.2"}},
            {"detail": "no ids"}]}});
    let events = map_notification(&notification(vec![username, user_id]), "receiver", ROUTES, &no_media_links).unwrap();
    assert_eq!(
        kinds(&events),
        ["custom.whatsapp-cloud.account.username", IDENTITY_EVENT, IDENTITY_EVENT, UNHANDLED_EVENT]
    );
    let name = payload(&events[0]);
    assert_eq!((name["username"].as_str(), name["status"].as_str()), (Some("acme.support"), Some("approved")));
    let changed = payload(&events[1]);
    assert_eq!(changed["chatId"], "16505551234@s.whatsapp.net");
    assert_eq!(changed["previousChatId"], "16505551234@s.whatsapp.net");
    assert_eq!(
        (changed["userId"].as_str(), changed["previousUserId"].as_str()),
        (Some("US.24817305912873645029"), Some("US.13491208655302741918"))
    );
    let bsuid_only = payload(&events[2]);
    assert_eq!(
        (bsuid_only["chatId"].as_str(), bsuid_only["previousChatId"].as_str()),
        (Some("US.2@bsuid"), Some("US.1@bsuid"))
    );
}

#[test]
fn a_call_permission_reply_is_a_grant_not_a_message() {
    let reply = json!({"context": {"from": "15550783881", "id": "wamid.REQ"}, "from": "16505551234", "id": "wamid.R",
        "timestamp": "1752582182", "type": "interactive", "interactive": {"type": "call_permission_reply",
        "call_permission_reply": {"response": "accept", "expiration_timestamp": 1753186982, "is_permanent": false,
                                  "response_source": "user_action"}}});
    let events = map_notification(
        &notification(vec![change(messages_value(vec![reply], vec![]))]),
        "inst-a",
        ROUTES,
        &no_media_links,
    )
    .unwrap();
    assert_eq!(kinds(&events), [CALL_PERMISSION_EVENT]);
    let grant = payload(&events[0]);
    assert_eq!((grant["response"].as_str(), grant["expiresAt"].as_u64()), (Some("accept"), Some(1_753_186_982_000)));
    assert_eq!(
        (grant["chatId"].as_str(), grant["replyToId"].as_str()),
        (Some("16505551234@s.whatsapp.net"), Some("wamid.REQ"))
    );
    assert_eq!(grant["isPermanent"], false);
}

#[test]
fn identity_key_hashes_are_surfaced_to_keep_for_the_next_send() {
    let contact = json!({"profile": {"name": "Ana"}, "wa_id": "16505551234", "identity_key_hash": "DF2lS5v2W6x="});
    let message = change(messages_value(vec![text_message("wamid.K1", "16505551234", "hi")], vec![contact]));
    let status = change(json!({"metadata": {"phone_number_id": PHONE}, "statuses": [{"id": "wamid.K0",
        "status": "delivered", "timestamp": "1", "recipient_id": "16505551234", "recipient_identity_key_hash": "Qm9vaw=="}]}));
    let events = map_notification(&notification(vec![message, status]), "inst-a", ROUTES, &no_media_links).unwrap();
    assert_eq!(payload(&events[0])["rawPayload"]["sender"]["identityKeyHash"], "DF2lS5v2W6x=");
    assert_eq!(payload(&events[1])["recipientIdentityKeyHash"], "Qm9vaw==");
}
