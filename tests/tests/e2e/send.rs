//! Sending through the component to the fake Graph API.

use std::time::Duration;

use e2e_tests::{ACCESS_TOKEN, INSTANCE, PHONE_NUMBER_ID, TestHost, signed_post, text_message, throughput_limit};
use omni_host::bindings::messaging::SendOptions;
use omni_host::bindings::types::{ChannelError, ErrorClass};
use omni_host::fake_graph::ScriptedResponse;
use serde_json::json;

fn options() -> SendOptions {
    SendOptions { correlation_id: "omni-msg-1".into() }
}

#[test]
fn a_text_message_is_posted_as_meta_documents_and_reported_as_sent() {
    let host = TestHost::new();
    let receipt = host
        .host
        .send_message(INSTANCE, &text_message("+1 (650) 555-1234", "Hello from omni"), &options(), None)
        .unwrap()
        .unwrap();
    assert_eq!(receipt.message_id, "wamid.FAKE00000001");
    assert_eq!(receipt.recipient_id.as_deref(), Some("16505551234"));

    let requests = host.graph.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/v26.0/{PHONE_NUMBER_ID}/messages"));
    assert_eq!(request.header("authorization"), Some(format!("Bearer {ACCESS_TOKEN}").as_str()));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234",
               "type": "text", "text": {"body": "Hello from omni", "preview_url": false}})
    );

    let events = host.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, "message.sent");
    assert_eq!(events[0].id, receipt.event_id);
    assert_eq!(events[0].metadata.correlation_id, "omni-msg-1");
    assert_eq!(events[0].payload()["externalId"], "wamid.FAKE00000001");
    assert_eq!(events[0].payload()["chatId"], "16505551234@s.whatsapp.net");
    assert_eq!(events[0].payload()["content"], json!({"type": "text", "text": "Hello from omni"}));
}

#[test]
fn the_sent_status_webhook_repeats_the_send_paths_event_id() {
    let host = TestHost::new();
    let receipt =
        host.host.send_message(INSTANCE, &text_message("16505551234", "hi"), &options(), None).unwrap().unwrap();
    host.events();
    let status = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": PHONE_NUMBER_ID},
        "statuses": [{"id": receipt.message_id, "status": "sent", "timestamp": "1750263773", "recipient_id": "16505551234"}]}}]}]});
    host.webhook(&signed_post(status.to_string().as_bytes()));
    let events = host.events();
    assert_eq!(events[0].event, "message.sent");
    assert_eq!(events[0].id, receipt.event_id, "the bus deduplicates the two message.sent events");
}

#[test]
fn a_closed_customer_service_window_is_a_terminal_typed_error_carrying_its_message_failed() {
    let host = TestHost::new();
    host.graph.script(ScriptedResponse::graph_error(400, 131047, "Re-engagement message"));
    let failure =
        host.host.send_message(INSTANCE, &text_message("16505551234", "hi"), &options(), None).unwrap().unwrap_err();
    let ChannelError::Provider(e) = &failure.error else { panic!("expected a provider error, got {failure:?}") };
    assert_eq!((e.http_status, e.code, e.class), (400, Some(131047), ErrorClass::Terminal));
    assert_eq!(e.trace_id.as_deref(), Some("AFakeTraceId123"));
    assert!(e.retry.is_none());
    // One attempt publishes nothing: the failure is the retry loop's to report, once.
    assert!(host.events().is_empty());
    let event = failure.event.expect("a message.failed");
    let payload: serde_json::Value = serde_json::from_str(&event.payload).unwrap();
    assert_eq!((&payload["errorCode"], &payload["retryable"]), (&json!("131047"), &json!(false)));
}

#[test]
fn a_throughput_limit_is_retryable_with_metas_estimate() {
    let host = TestHost::new();
    host.graph.script(throughput_limit(1));
    let failure =
        host.host.send_message(INSTANCE, &text_message("16505551234", "hi"), &options(), None).unwrap().unwrap_err();
    let ChannelError::Provider(e) = failure.error else { panic!("expected a provider error, got {failure:?}") };
    assert_eq!(e.class, ErrorClass::Throttled);
    let retry = e.retry.expect("retryable");
    assert_eq!(retry.not_before_ms, Some(60_000));
    assert!(host.events().is_empty(), "the host will retry: nothing reported yet");
}

#[test]
fn a_rejected_token_is_an_auth_error() {
    let host = TestHost::new();
    host.graph.script(ScriptedResponse::graph_error(401, 190, "Error validating access token: Session has expired"));
    let error = host
        .host
        .send_message(INSTANCE, &text_message("16505551234", "hi"), &options(), None)
        .unwrap()
        .unwrap_err()
        .error;
    assert!(matches!(error, ChannelError::Provider(ref e) if e.class == ErrorClass::Auth), "{error:?}");
}

#[test]
fn a_timeout_after_sending_is_an_unknown_outcome_after_one_request() {
    let host = TestHost::new();
    host.graph.script(ScriptedResponse::graph_error(200, 0, "late").delayed(Duration::from_secs(4)));
    let error =
        host.host.send_message(INSTANCE, &text_message("16505551234", "hi"), &options(), None).unwrap().unwrap_err();
    assert!(matches!(error.error, ChannelError::OutcomeUnknown(_)), "{error:?}");
    assert!(error.event.is_none(), "an unknown outcome is not a failure");
    assert_eq!(host.graph.requests().len(), 1);
    assert!(host.events().is_empty(), "an unknown outcome is not reported as a failure");
}

#[test]
fn invalid_messages_are_refused_before_any_request() {
    let host = TestHost::new();
    for (message, field) in
        [(text_message("16505551234", ""), "content.body"), (text_message("call me maybe", "hi"), "to")]
    {
        let error = host.host.send_message(INSTANCE, &message, &options(), None).unwrap().unwrap_err().error;
        assert!(matches!(error, ChannelError::InvalidRequest(ref f) if f.field == field), "{error:?}");
    }
    assert!(host.graph.requests().is_empty());
}
