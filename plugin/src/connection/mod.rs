//! Whether an instance's credentials and setup work: `plugin.connect` (the token and phone
//! number, then the setup checks of `checks`), and `instance.disconnected` when Meta rejects
//! the token (on connect or on any later call: see `call`).

use serde_json::{Value, json};

use crate::call::Call;
use crate::constants::CHANNEL_ID;
use crate::event::EventSpec;
use crate::graph::{self, Idempotency};
use crate::host::Host;
use crate::wit::events::EventKind;
use crate::wit::logging::Level;
use crate::wit::outbound_http::Method;
use crate::wit::plugin::{ConnectOptions, ConnectionInfo};
use crate::wit::types::{ChannelError, Instance};

/// The phone number fields `connect` asks Meta for.
const FIELDS: &str =
    "display_phone_number,verified_name,quality_rating,name_status,code_verification_status,platform_type,throughput";

mod checks;

/// Checks the token and phone number with `GET /{phone-number-id}`, runs the setup checks
/// (the webhook subscription, subscribing the app when `options` say so) and publishes
/// `instance.connected`; an auth error publishes `instance.disconnected`.
pub fn connect(host: &dyn Host, instance: &Instance, options: &ConnectOptions) -> Result<ConnectionInfo, ChannelError> {
    Call::run(host, instance, |call| connect_call(call, options))
}

fn connect_call(call: &Call<'_>, options: &ConnectOptions) -> Result<ConnectionInfo, ChannelError> {
    let config = &call.config;
    let path = format!("{}?fields={FIELDS}", config.phone_number_id);
    let request = graph::request(config, Method::Get, &path, None);
    let phone = graph::call(call.host, &request, Idempotency::Idempotent)?;
    let text = |key: &str| phone.get(key).and_then(Value::as_str).map(str::to_owned);
    let info = ConnectionInfo {
        profile_name: text("verified_name"),
        owner_identifier: text("display_phone_number"),
        quality_rating: text("quality_rating"),
        raw: phone.to_string(),
        checks: checks::run(call, &phone, options),
    };
    let event = EventSpec {
        instance_id: &call.instance.id,
        kind: EventKind::InstanceConnected,
        key: &["connected", &config.phone_number_id, info.owner_identifier.as_deref().unwrap_or("")],
        correlation_id: None,
        occurred_at_ms: None,
        payload: json!({
            "instanceId": call.instance.id,
            "channelType": CHANNEL_ID,
            "profileName": info.profile_name,
            "ownerIdentifier": info.owner_identifier,
            "qualityRating": info.quality_rating,
            "phoneNumberId": config.phone_number_id,
            "failedChecks": info.checks.iter().filter(|c| !c.passed).map(|c| c.name.as_str()).collect::<Vec<_>>(),
        })
        .to_string(),
    }
    .build();
    if let Err(e) = call.host.publish(&[event]) {
        call.log(Level::Warn, &format!("instance.connected not published: {e:?}"));
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::sample_json;
    use crate::host::mock::MockHost;

    fn instance() -> Instance {
        Instance { id: "inst-a".into(), config: sample_json() }
    }

    const REPORT_ONLY: ConnectOptions = ConnectOptions { subscribe_webhooks: false };

    #[test]
    fn a_working_token_publishes_instance_connected() {
        let host = MockHost::default();
        host.respond_json(200, &json!({"display_phone_number": "+1 555-078-3881", "verified_name": "Acme", "quality_rating": "GREEN", "id": "106540352242922"}));
        let info = connect(&host, &instance(), &REPORT_ONLY).unwrap();
        assert_eq!((info.profile_name.as_deref(), info.quality_rating.as_deref()), (Some("Acme"), Some("GREEN")));
        assert!(host.requests.borrow()[0].url.ends_with(&format!("/106540352242922?fields={FIELDS}")));
        assert_eq!(host.published.borrow()[0].kind, EventKind::InstanceConnected);
        assert_eq!(host.payloads()[0]["ownerIdentifier"], "+1 555-078-3881");
        // No answer was scripted for `subscribed_apps`: that check failed, `connect` did not.
        let subscription = info.checks.iter().find(|c| c.name == checks::WEBHOOK_SUBSCRIPTION).unwrap();
        assert!(!subscription.passed);
        assert_eq!(host.payloads()[0]["failedChecks"], json!([checks::WEBHOOK_SUBSCRIPTION]));
    }

    #[test]
    fn an_expired_token_publishes_instance_disconnected() {
        let host = MockHost::default();
        host.respond_json(401, &json!({"error": {"message": "Error validating access token: Session has expired", "type": "OAuthException", "code": 190, "error_subcode": 463}}));
        assert!(crate::call::is_auth_error(&connect(&host, &instance(), &REPORT_ONLY).unwrap_err()));
        let payload = &host.payloads()[0];
        assert_eq!(host.published.borrow()[0].kind, EventKind::InstanceDisconnected);
        assert_eq!((payload["errorCode"].as_str(), payload["willReconnect"].as_bool()), (Some("190"), Some(false)));
    }

    #[test]
    fn other_failures_do_not_disconnect() {
        let host = MockHost::default();
        host.respond_json(503, &json!({"error": {"message": "unavailable", "code": 2}}));
        assert!(connect(&host, &instance(), &REPORT_ONLY).is_err());
        assert!(host.published.borrow().is_empty());
    }
}
