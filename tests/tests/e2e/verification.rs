//! Meta's GET verification handshake, through the component.

use e2e_tests::{TestHost, VERIFY_TOKEN, get, text};

#[test]
fn echoes_the_challenge_when_the_token_matches() {
    let host = TestHost::new();
    let response =
        host.webhook(&get(&format!("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}")));
    assert_eq!(response.status, 200);
    assert_eq!(text(&response), "1158201444");
    assert!(response.headers.iter().any(|(n, v)| n == "content-type" && v.starts_with("text/plain")));
}

#[test]
fn refuses_a_wrong_token_with_403() {
    let host = TestHost::new();
    let response = host.webhook(&get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess"));
    assert_eq!(response.status, 403);
    assert!(!text(&response).contains("1158201444"));
}

#[test]
fn missing_parameters_are_a_bad_request() {
    let host = TestHost::new();
    for query in ["", "hub.mode=subscribe", &format!("hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}")] {
        assert_eq!(host.webhook(&get(query)).status, 400, "query {query:?}");
    }
}

#[test]
fn verification_publishes_nothing() {
    let host = TestHost::new();
    host.webhook(&get(&format!("hub.mode=subscribe&hub.challenge=1&hub.verify_token={VERIFY_TOKEN}")));
    assert!(host.events().is_empty());
}
