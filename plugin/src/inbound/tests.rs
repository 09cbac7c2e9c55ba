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
    let events = map_notification(&body, "inst-a", ROUTES).unwrap();
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
    let events = map_notification(&body, "inst-a", ROUTES).unwrap();
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
    let events = map_notification(&body, "inst-a", ROUTES).unwrap();
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
    let events = map_notification(&body, "inst-a", ROUTES).unwrap();
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
    let events = map_notification(&body, "inst-a", ROUTES).unwrap();
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
    let events = map_notification(&body, "inst-a", &routes).unwrap();
    assert_eq!(events[0].instance_id, "inst-b");
    assert_eq!(events[1].instance_id, "inst-a");
    assert_eq!(events[1].kind, EventKind::Other(UNROUTED_EVENT.into()));
    assert_eq!(payload(&events[1])["phoneNumberId"], "999");
}

#[test]
fn unreadable_bodies_are_errors() {
    assert!(matches!(map_notification(b"{", "i", ROUTES), Err(InboundError::NotJson(_))));
    assert!(matches!(map_notification(b"[]", "i", ROUTES), Err(InboundError::BadShape(_))));
    let bad = json!({"object": "whatsapp_business_account", "entry": [{"changes": "no"}]});
    assert!(matches!(map_notification(bad.to_string().as_bytes(), "i", ROUTES), Err(InboundError::BadShape(_))));
    let bad = json!({"object": "whatsapp_business_account", "entry": [{"changes": [change(json!({"messages": 5}))]}]});
    assert!(matches!(map_notification(bad.to_string().as_bytes(), "i", ROUTES), Err(InboundError::BadShape(_))));
}

#[test]
fn other_fields_and_objects_are_reported_not_refused() {
    let body = notification(vec![json!({"field": "account_update", "value": {"event": "X"}})]);
    let events = map_notification(&body, "inst-a", ROUTES).unwrap();
    assert_eq!(events[0].kind, EventKind::Other(UNHANDLED_EVENT.into()));
    assert_eq!(payload(&events[0])["field"], "account_update");
    let page = json!({"object": "page", "entry": []});
    let events = map_notification(page.to_string().as_bytes(), "inst-a", ROUTES).unwrap();
    assert_eq!(payload(&events[0])["field"], "object");
}
