//! Retries by the host, for each class of Graph error, against the fake Graph API.

use std::cell::RefCell;
use std::time::Duration;

use e2e_tests::{INSTANCE, TestHost, text_message, throughput_limit};
use omni_host::bindings::types::{ChannelError, ErrorClass};
use omni_host::fake_graph::ScriptedResponse;
use omni_host::retry::{RetryPolicy, SendOutcome};

/// Sends with the default policy, recording the waits instead of sleeping them.
fn send(host: &TestHost) -> SendOutcome {
    send_on(&host.host)
}

fn send_on(host: &omni_host::channel_host::ChannelHost) -> SendOutcome {
    let waits = RefCell::new(Vec::new());
    let outcome = host
        .send_with_retries(
            INSTANCE,
            &text_message("16505551234", "hello"),
            "omni-msg-42",
            &RetryPolicy::default(),
            &|d| waits.borrow_mut().push(d),
        )
        .unwrap();
    assert_eq!(outcome.waits, *waits.borrow());
    outcome
}

fn events(host: &TestHost) -> Vec<String> {
    host.events().into_iter().map(|e| e.event).collect()
}

#[test]
fn a_throughput_limit_is_retried_then_succeeds() {
    let host = TestHost::new();
    host.graph.script(ScriptedResponse::graph_error(400, 130429, "Rate limit hit"));
    host.graph.script(ScriptedResponse::graph_error(400, 130429, "Rate limit hit"));
    let outcome = send(&host);
    assert!(outcome.result.is_ok());
    assert_eq!((outcome.attempts, host.graph.requests().len()), (3, 3));
    assert!(outcome.waits[0] >= Duration::from_secs(1) && outcome.waits[1] >= Duration::from_secs(2));
    assert_eq!(events(&host), ["message.sent"], "no message.failed for a send that got through");
}

#[test]
fn the_pair_rate_limit_backs_off_four_then_sixteen_seconds() {
    let host = TestHost::new();
    host.graph.script(ScriptedResponse::graph_error(400, 131056, "(#131056) Pair rate limit hit"));
    host.graph.script(ScriptedResponse::graph_error(400, 131056, "(#131056) Pair rate limit hit"));
    let outcome = send(&host);
    assert!(outcome.result.is_ok());
    let secs: Vec<f64> = outcome.waits.iter().map(Duration::as_secs_f64).collect();
    assert!((4.0..=5.0).contains(&secs[0]) && (16.0..=20.0).contains(&secs[1]), "{secs:?}");
}

#[test]
fn a_closed_window_is_not_retried() {
    let host = TestHost::new();
    host.graph.script(ScriptedResponse::graph_error(400, 131047, "Re-engagement message"));
    let outcome = send(&host);
    assert!(matches!(outcome.result, Err(ChannelError::Provider(ref e)) if e.class == ErrorClass::Terminal));
    assert_eq!((outcome.attempts, host.graph.requests().len()), (1, 1));
    assert_eq!(events(&host), ["message.failed"]);
}

#[test]
fn an_expired_token_disconnects_the_instance_and_is_not_retried() {
    let host = TestHost::new();
    host.graph.script(ScriptedResponse::graph_error(401, 190, "Error validating access token: Session has expired"));
    let outcome = send(&host);
    assert_eq!(outcome.attempts, 1);
    let published = host.events();
    let names: Vec<&str> = published.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["instance.disconnected", "message.failed"]);
    assert_eq!(published[0].payload()["willReconnect"], false);
    assert_eq!(published[0].payload()["errorCode"], "190");
}

#[test]
fn a_server_error_is_retried() {
    let host = TestHost::new();
    let mut internal = ScriptedResponse::graph_error(500, 1, "An unknown error occurred");
    internal.body = b"<html>500 Internal Server Error</html>".to_vec();
    host.graph.script(internal);
    let outcome = send(&host);
    assert!(outcome.result.is_ok());
    assert_eq!(outcome.attempts, 2);
}

#[test]
fn a_send_that_keeps_failing_reports_one_failure_after_the_last_attempt() {
    let host = TestHost::new();
    for _ in 0..4 {
        host.graph.script(ScriptedResponse::graph_error(503, 2, "Service temporarily unavailable"));
    }
    let outcome = send(&host);
    assert_eq!(outcome.attempts, 4);
    let published = host.events();
    assert_eq!(published.len(), 1);
    assert_eq!(
        (published[0].event.as_str(), &published[0].payload()["retryable"]),
        ("message.failed", &serde_json::json!(true))
    );
}

#[test]
fn a_timeout_after_sending_is_an_unknown_outcome_and_sent_once() {
    let host = TestHost::new();
    host.graph.script(ScriptedResponse::graph_error(200, 0, "late").delayed(Duration::from_secs(4)));
    let outcome = send(&host);
    assert!(matches!(outcome.result, Err(ChannelError::OutcomeUnknown(_))), "{:?}", outcome.result);
    assert_eq!((outcome.attempts, host.graph.requests().len()), (1, 1));
}

#[test]
fn connect_reports_the_number_and_publishes_instance_connected() {
    let host = TestHost::new();
    let report_only = omni_host::bindings::plugin::ConnectOptions { subscribe_webhooks: false };
    let info = host.host.connect(INSTANCE, report_only).unwrap().unwrap();
    assert!(info.checks.iter().all(|c| c.passed), "the fake's setup is healthy: {:?}", info.checks);
    assert_eq!(info.profile_name.as_deref(), Some("Acme Support"));
    assert_eq!(info.owner_identifier.as_deref(), Some("+1 555-078-3881"));
    let published = host.events();
    assert_eq!(published[0].event, "instance.connected");
    assert_eq!(published[0].payload()["profileName"], "Acme Support");
}

#[test]
fn a_throttle_longer_than_the_retry_budget_stops_at_once_and_reports_one_failure() {
    let host = TestHost::new();
    // Meta estimates five minutes before the number may send again: more than the host waits.
    host.graph.script(throughput_limit(5));
    let outcome = send(&host);
    assert!(matches!(outcome.result, Err(ChannelError::Provider(ref e)) if e.code == Some(130429)));
    assert_eq!((outcome.attempts, host.graph.requests().len()), (1, 1), "no retry that would wait 5 minutes");
    let published = host.events();
    let names: Vec<&str> = published.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["message.failed"], "the held-back failure is published once");
    assert_eq!(published[0].payload()["errorCode"], "130429");
    assert_eq!(published[0].payload()["retryable"], true);
}

#[test]
fn a_graph_host_that_does_not_resolve_is_not_sent_and_retried() {
    // `.invalid` never resolves (RFC 6761): the request fails before any connection exists, so
    // the send is known not to have left and retrying it cannot send the message twice.
    let sink = std::sync::Arc::new(omni_host::capabilities::events::MemorySink::new());
    let config = e2e_tests::instance_toml(INSTANCE, e2e_tests::PHONE_NUMBER_ID, "https://graph.example.invalid");
    let host = e2e_tests::host_with(&config, Duration::from_secs(2), sink.clone());
    let outcome = send_on(&host);
    assert!(
        matches!(outcome.result, Err(ChannelError::Unreachable(ref u)) if u.retry.is_some()),
        "a name that does not resolve is a retryable not-sent failure: {:?}",
        outcome.result
    );
    assert_eq!(outcome.attempts, RetryPolicy::default().max_attempts, "every attempt was made");
    let published = sink.events();
    assert_eq!(published.len(), 1, "one failure after the last attempt: {published:?}");
    assert_eq!(published[0].event, "message.failed");
    assert_eq!(published[0].payload()["retryable"], true);
}
