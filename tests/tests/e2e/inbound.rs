//! Notifications → omni events, through the component.

use e2e_tests::{INSTANCE, PHONE_NUMBER_ID, TestHost, fixture, signed_post, text};
use serde_json::{Value, json};

fn batch(entries: usize, changes: usize, messages: usize) -> Vec<u8> {
    let entry: Vec<Value> = (0..entries)
        .map(|e| {
            let changes: Vec<Value> = (0..changes)
                .map(|c| {
                    let messages: Vec<Value> = (0..messages)
                        .map(|m| {
                            json!({"from": format!("1555000{e}{c}{m}0"), "id": format!("wamid.E{e}C{c}M{m}"),
                                   "timestamp": "1750263773", "type": "text", "text": {"body": format!("message {e}.{c}.{m}")}})
                        })
                        .collect();
                    json!({"field": "messages", "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
                        "messages": messages,
                    }})
                })
                .collect();
            json!({"id": "102290129340398", "changes": changes})
        })
        .collect();
    serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": entry})).unwrap()
}

#[test]
fn a_text_message_becomes_one_message_received_in_omni_shape() {
    let host = TestHost::new();
    assert_eq!(host.webhook(&signed_post(&fixture("webhooks/text.json"))).status, 200);
    let events = host.events();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.event, "message.received");
    assert_eq!(e.subject, format!("message.received.whatsapp-cloud.{INSTANCE}"));
    assert_eq!((e.instance_id.as_str(), e.channel_type.as_str()), (INSTANCE, "whatsapp-cloud"));
    assert_eq!(e.id.len(), 32);
    assert_eq!(e.timestamp, 1_749_416_383_000);
    assert_eq!(e.metadata.source, "channel:whatsapp-cloud");
    assert_eq!(e.payload()["externalId"], "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=");
    assert_eq!(e.payload()["chatId"], "16505551234@s.whatsapp.net");
    assert_eq!(e.payload()["from"], "16505551234");
    assert_eq!(e.payload()["content"], json!({"type": "text", "text": "Does it come in another color?"}));
    assert_eq!(e.payload()["rawPayload"]["pushName"], "Sheena Nelson");
}

#[test]
fn a_batch_of_2_entries_2_changes_3_messages_gives_12_events_in_order() {
    let host = TestHost::new();
    let response = host.webhook(&signed_post(&batch(2, 2, 3)));
    assert_eq!(response.status, 200, "{}", text(&response));
    let ids: Vec<String> =
        host.events().iter().map(|e| e.payload()["externalId"].as_str().unwrap().to_owned()).collect();
    let mut expected = Vec::new();
    for e in 0..2 {
        for c in 0..2 {
            for m in 0..3 {
                expected.push(format!("wamid.E{e}C{c}M{m}"));
            }
        }
    }
    assert_eq!(ids, expected);
}

#[test]
fn statuses_become_sent_delivered_read_and_failed() {
    let host = TestHost::new();
    assert_eq!(host.webhook(&signed_post(&fixture("webhooks/statuses.json"))).status, 200);
    let events = host.events();
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["message.sent", "message.delivered", "message.read", "message.failed"]);
    assert_eq!(events[1].payload()["deliveredAt"], 1_750_263_774_000u64);
    assert_eq!(events[2].payload()["readAt"], 1_750_263_780_000u64);
    assert_eq!(events[0].payload()["pricing"]["pricing_model"], "PMP");
    let failed = &events[3].payload();
    assert_eq!(failed["errorCode"], "131047");
    assert_eq!(failed["retryable"], false);
    assert_eq!(failed["chatId"], "16505551234@s.whatsapp.net");
}

#[test]
fn a_redelivered_webhook_yields_the_same_event_ids() {
    let host = TestHost::new();
    let body = fixture("webhooks/statuses.json");
    host.webhook(&signed_post(&body));
    let first: Vec<String> = host.events().into_iter().map(|e| e.id).collect();
    host.webhook(&signed_post(&body));
    let second: Vec<String> = host.events().into_iter().map(|e| e.id).collect();
    assert_eq!(first, second);
    let unique: std::collections::HashSet<&String> = first.iter().collect();
    assert_eq!(unique.len(), first.len(), "distinct events have distinct ids");
}

#[test]
fn malformed_json_is_a_bad_request_and_publishes_nothing() {
    let host = TestHost::new();
    for body in
        [&b"{\"object\": \"whatsapp_business_account\", \"entry\": ["[..], b"not json", b"[1,2,3]", b"{\"entry\": {}}"]
    {
        let response = host.webhook(&signed_post(body));
        assert_eq!(response.status, 400, "{}", String::from_utf8_lossy(body));
        let error: Value = serde_json::from_slice(&response.body).unwrap();
        assert!(error["error"].as_str().unwrap().len() > 10);
    }
    assert!(host.events().is_empty());
}

#[test]
fn a_bus_outage_answers_503_and_the_redelivery_succeeds() {
    let host = TestHost::new();
    let body = fixture("webhooks/text.json");
    host.sink.set_outage(Some("nats: connection refused"));
    let response = host.webhook(&signed_post(&body));
    assert_eq!(response.status, 503);
    assert!(text(&response).contains("unavailable"));
    host.sink.set_outage(None);
    assert_eq!(host.webhook(&signed_post(&body)).status, 200);
    assert_eq!(host.events().len(), 1);
}

#[test]
fn fields_other_than_messages_are_acknowledged_and_reported() {
    let host = TestHost::new();
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [
        {"field": "message_template_status_update", "value": {"event": "APPROVED", "message_template_id": 1}},
        {"field": "a_field_meta_adds_next_year", "value": {"anything": true}}]}]});
    assert_eq!(host.webhook(&signed_post(body.to_string().as_bytes())).status, 200);
    let events = host.events();
    assert_eq!(events[0].event, "custom.whatsapp-cloud.template.status");
    assert_eq!(events[0].payload()["event"], "APPROVED");
    assert_eq!(events[1].event, "custom.whatsapp-cloud.webhook.unhandled");
    assert_eq!(events[1].payload()["field"], "a_field_meta_adds_next_year");
}

#[test]
fn changes_for_another_number_of_the_same_app_reach_its_instance() {
    let host = TestHost::with_extra_instances(&e2e_tests::instance_toml("acme-sales", "200000000000001", "{graph}"));
    let body = String::from_utf8(fixture("webhooks/text.json")).unwrap().replace(PHONE_NUMBER_ID, "200000000000001");
    assert_eq!(host.webhook(&signed_post(body.as_bytes())).status, 200);
    let events = host.events();
    assert_eq!(events[0].instance_id, "acme-sales");
    assert_eq!(events[0].subject, "message.received.whatsapp-cloud.acme-sales");
}

#[test]
fn n_messages_and_m_statuses_give_n_plus_m_events_plus_media_and_reaction_doubles_in_order() {
    // (item, expected events) across 3 entries × 2 changes.
    let text =
        |id: &str| json!({"from": "15550001111", "id": id, "timestamp": "1", "type": "text", "text": {"body": "t"}});
    let image = |id: &str| {
        json!({"from": "15550001111", "id": id, "timestamp": "1", "type": "image",
        "image": {"id": "77", "mime_type": "image/png", "sha256": "x"}})
    };
    let reaction = |id: &str, emoji: &str| {
        json!({"from": "15550001111", "id": id, "timestamp": "1", "type": "reaction",
        "reaction": {"message_id": "wamid.T", "emoji": emoji}})
    };
    let status = |id: &str, s: &str| json!({"id": id, "status": s, "timestamp": "1", "recipient_id": "15550001111"});
    let change = |messages: Vec<Value>, statuses: Vec<Value>| {
        json!({"field": "messages", "value": {
        "metadata": {"phone_number_id": PHONE_NUMBER_ID}, "messages": messages, "statuses": statuses}})
    };
    let body = json!({"object": "whatsapp_business_account", "entry": [
        {"id": "1", "changes": [change(vec![text("m1"), image("m2")], vec![status("s1", "sent")]),
                                change(vec![reaction("m3", "🎉")], vec![])]},
        {"id": "1", "changes": [change(vec![], vec![status("s2", "delivered"), status("s3", "read")]),
                                change(vec![reaction("m4", ""), text("m5")], vec![status("s4", "failed")])]},
        {"id": "1", "changes": [change(vec![image("m6")], vec![]), change(vec![text("m7")], vec![status("s5", "played")])]},
    ]});
    let expected = [
        ("message.received", "m1"),
        ("message.received", "m2"),
        ("media.received", "m2"),
        ("message.sent", "s1"),
        ("message.received", "m3"),
        ("reaction.received", "m3"),
        ("message.delivered", "s2"),
        ("message.read", "s3"),
        ("message.received", "m4"),
        ("reaction.removed", "m4"),
        ("message.received", "m5"),
        ("message.failed", "s4"),
        ("message.received", "m6"),
        ("media.received", "m6"),
        ("message.received", "m7"),
        ("message.read", "s5"),
    ];
    let host = TestHost::new();
    assert_eq!(host.webhook(&signed_post(body.to_string().as_bytes())).status, 200);
    let events = host.events();
    // 7 messages + 5 statuses + 2 media + 2 reaction doubles.
    assert_eq!(events.len(), 7 + 5 + 2 + 2);
    let seen: Vec<(String, String)> =
        events.iter().map(|e| (e.event.clone(), e.metadata.correlation_id.clone())).collect();
    let expected: Vec<(String, String)> = expected.iter().map(|(e, id)| ((*e).to_owned(), (*id).to_owned())).collect();
    assert_eq!(seen, expected);
}

/// A text message whose body is `depth` nested arrays deep, signed.
fn nested_message(depth: usize) -> Vec<u8> {
    let nested = "[".repeat(depth) + &"]".repeat(depth);
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{"metadata":{{"phone_number_id":"{PHONE_NUMBER_ID}"}},"messages":[{{"from":"16505551234","id":"wamid.DEEP","timestamp":"1","type":"text","text":{{"body":{nested}}}}}]}}}}]}}]}}"#
    )
    .into_bytes()
}

#[test]
fn json_nested_to_the_parsers_limit_runs_within_the_components_stack() {
    let host = TestHost::new();
    // The body's arrays start 10 levels down: 118 of them reach serde_json's nesting limit.
    let response = host.webhook(&signed_post(&nested_message(118)));
    assert_eq!(response.status, 200, "{}", text(&response));
    let events = host.events();
    assert_eq!(events[0].payload()["rawPayload"]["message"]["id"], "wamid.DEEP");
    // One more level is refused as JSON (400), not a trap.
    let response = host.webhook(&signed_post(&nested_message(119)));
    assert_eq!(response.status, 400, "{}", text(&response));
}

#[test]
fn text_needing_escapes_anywhere_comes_out_exactly_as_sent() {
    // Every character JSON escapes, at every offset of a 40-character text: the component's
    // escaping (sixteen bytes at a time in wasm) must find each one wherever it falls.
    let host = TestHost::new();
    let specials: Vec<char> = (1u8..0x20).map(char::from).chain(['"', '\\']).collect();
    let mut sent = Vec::new();
    for (n, special) in specials.iter().enumerate() {
        let at = n % 40;
        let body: String = (0..40).map(|i| if i == at { *special } else { 'a' }).collect();
        let message = json!({"from": "16505551234", "id": format!("wamid.ESC{n}"), "timestamp": "1750263773",
                             "type": "text", "text": {"body": body}});
        let value = json!({"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID}, "messages": [message]});
        let notification = json!({"object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}]});
        assert_eq!(host.webhook(&signed_post(&serde_json::to_vec(&notification).unwrap())).status, 200);
        sent.push(body);
    }
    let received: Vec<String> =
        host.events().iter().map(|e| e.payload()["content"]["text"].as_str().unwrap().to_owned()).collect();
    assert_eq!(received, sent);
}
