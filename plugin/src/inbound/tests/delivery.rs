//! Deliveries as a whole: routing, order, bounds, malformed and unknown parts.

use super::*;

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
