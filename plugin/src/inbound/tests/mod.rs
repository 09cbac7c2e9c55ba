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

fn kinds(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| crate::event::omni_name(&e.kind).to_owned()).collect()
}

fn mapped(message: Value) -> Vec<Event> {
    let contact = json!({"profile": {"name": "Ana"}, "wa_id": "5511999990000"});
    let body = notification(vec![change(messages_value(vec![message], vec![contact]))]);
    map_notification(&body, "inst-a", ROUTES, &no_media_links).unwrap()
}

mod delivery;
mod fields;
mod messages;
