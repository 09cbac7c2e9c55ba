//! Properties over many generated inputs, through the real component.

use e2e_tests::arbitrary::{mutation, notification};
use e2e_tests::{APP_SECRET, TestHost, fixture, post, signed_post};
use omni_host::signing::hub_signature;
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    // No regression files in the source tree: a failure prints its minimal input.
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

const SIGNED_FIXTURES: &[&str] =
    &["webhooks/text.json", "webhooks/statuses.json", "webhooks/text_unicode_escaped.json"];

proptest! {
    #![proptest_config(config(200))]

    /// Whatever is changed in a signed body — one bit, one byte more or less, a truncation,
    /// two bytes swapped — the original signature no longer verifies and nothing is published.
    #[test]
    fn any_mutation_of_a_signed_body_is_rejected(which in 0..SIGNED_FIXTURES.len(), change in mutation()) {
        let host = host_for(&MUTATION_HOST);
        let body = fixture(SIGNED_FIXTURES[which]);
        let signature = hub_signature(APP_SECRET.as_bytes(), &body);
        let Some(mutated) = change.apply(&body) else { return Ok(()) };
        let response = host.webhook(&post(&mutated, &[("x-hub-signature-256", &signature)]));
        prop_assert_eq!(response.status, 401);
        prop_assert!(host.events().is_empty());
    }

    /// Random JSON in a notification's clothing never traps the plugin and never makes it
    /// publish an event the host refuses: the answer is 200, 400 or 413.
    #[test]
    fn random_notifications_never_trap(body in notification()) {
        let host = host_for(&RANDOM_HOST);
        let bytes = serde_json::to_vec(&body).unwrap();
        let response = host.host.handle_webhook(e2e_tests::INSTANCE, &signed_post(&bytes));
        let response = match response {
            Ok(response) => response,
            Err(e) => return Err(TestCaseError::fail(format!("the plugin failed: {e}"))),
        };
        prop_assert!(matches!(response.status, 200 | 400 | 413), "status {} for {}", response.status, body);
        for event in host.events() {
            prop_assert!(event.payload().is_object());
        }
    }
}

/// One host per property for all its cases (starting the fake Graph API per case would dominate
/// the run); the properties run in parallel, so they must not share an event sink.
static MUTATION_HOST: std::sync::OnceLock<TestHost> = std::sync::OnceLock::new();
static RANDOM_HOST: std::sync::OnceLock<TestHost> = std::sync::OnceLock::new();

fn host_for(cell: &'static std::sync::OnceLock<TestHost>) -> &'static TestHost {
    cell.get_or_init(TestHost::new)
}
