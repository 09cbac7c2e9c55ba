//! The other fields: statuses, calls, standby, handovers, echoes, account and user ids.

use super::*;

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
