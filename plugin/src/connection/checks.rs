//! The setup checks `connect` runs once the token works: what an operator needs to know when
//! webhooks never arrive or sends are throttled. A failed check never fails `connect`.
//!
//! - `phone-number`: registered on the Cloud API, its display name approved;
//! - `quality`: the number's quality rating and throughput tier (RED means Meta limits it);
//! - `webhook-subscription`: the app is subscribed to the business account
//!   (`GET /{waba-id}/subscribed_apps`); an app that is not receives no webhook at all;
//! - `marketing-messages`, for instances with `marketingMessages`: Meta onboarded the account
//!   to the Marketing Messages API (`GET /{waba-id}?fields=marketing_messages_onboarding_status`).

use serde_json::Value;

use crate::call::Call;
use crate::graph::{self, Idempotency};
use crate::wit::outbound_http::Method;
use crate::wit::plugin::{ConnectOptions, SetupCheck};
use crate::wit::types::ChannelError;

pub const PHONE_NUMBER: &str = "phone-number";
pub const QUALITY: &str = "quality";
pub const WEBHOOK_SUBSCRIPTION: &str = "webhook-subscription";
pub const MARKETING_MESSAGES: &str = "marketing-messages";

fn check(name: &str, passed: bool, detail: String, fix: Option<String>) -> SetupCheck {
    SetupCheck { name: name.to_owned(), passed, detail, fix: if passed { None } else { fix } }
}

/// Every check, `phone` being the answer to `GET /{phone-number-id}?fields=…`.
pub fn run(call: &Call<'_>, phone: &Value, options: &ConnectOptions) -> Vec<SetupCheck> {
    let mut checks =
        vec![phone_number(phone, &call.config.phone_number_id), quality(phone), webhook_subscription(call, options)];
    if call.config.marketing_messages {
        checks.push(marketing_onboarding(call));
    }
    checks
}

/// Whether the account may use the Marketing Messages API the instance is set to use: only an
/// `ONBOARDED` account can; the others' marketing templates would fail.
fn marketing_onboarding(call: &Call<'_>) -> SetupCheck {
    let waba = &call.config.business_account_id;
    let path = format!("{waba}?fields=marketing_messages_onboarding_status");
    let fix = "finish onboarding in Meta Business Suite (Marketing Messages API for WhatsApp), or turn \
               marketingMessages off so marketing templates go through the Cloud API"
        .to_owned();
    match graph::call(call.host, &graph::request(&call.config, Method::Get, &path, None), Idempotency::Idempotent) {
        Ok(reply) => {
            let status = reply.get("marketing_messages_onboarding_status").and_then(Value::as_str).unwrap_or("unknown");
            let detail = format!("business account {waba}: Marketing Messages API onboarding {status}");
            check(MARKETING_MESSAGES, status == "ONBOARDED", detail, Some(fix))
        }
        Err(e) => {
            let detail = format!("could not read the Marketing Messages API onboarding of {waba}: {}", describe(&e));
            check(MARKETING_MESSAGES, false, detail, Some(fix))
        }
    }
}

fn text<'v>(phone: &'v Value, key: &str) -> &'v str {
    phone.get(key).and_then(Value::as_str).unwrap_or("unknown")
}

fn phone_number(phone: &Value, phone_number_id: &str) -> SetupCheck {
    let platform = text(phone, "platform_type");
    let name_status = text(phone, "name_status");
    let detail = format!(
        "{} ({}), platform {platform}, display name {name_status}, code verification {}",
        text(phone, "display_phone_number"),
        text(phone, "verified_name"),
        text(phone, "code_verification_status"),
    );
    // Only a number registered on the Cloud API sends and receives through it.
    let registered = matches!(platform, "CLOUD_API" | "unknown");
    let fix = format!("register the number for the Cloud API: POST /{phone_number_id}/register with its two-step PIN");
    check(PHONE_NUMBER, registered, detail, Some(fix))
}

fn quality(phone: &Value) -> SetupCheck {
    let rating = text(phone, "quality_rating");
    let tier = phone.pointer("/throughput/level").and_then(Value::as_str).unwrap_or("unknown");
    let detail = format!("quality rating {rating}, throughput {tier}");
    let fix = "Meta rates recent messages poorly and may lower the number's messaging limit: check \
               opt-ins and template quality in WhatsApp Manager"
        .to_owned();
    check(QUALITY, rating != "RED", detail, Some(fix))
}

/// Whether any app is subscribed to the business account's webhooks; subscribes this token's
/// app first when asked to and none is.
fn webhook_subscription(call: &Call<'_>, options: &ConnectOptions) -> SetupCheck {
    let waba = &call.config.business_account_id;
    let subscribe_fix = format!(
        "subscribe the app to the business account: POST /{waba}/subscribed_apps (omni-host doctor --subscribe)"
    );
    let apps = match subscribed_apps(call) {
        Ok(apps) => apps,
        Err(e) => {
            let detail = format!("could not list the apps subscribed to business account {waba}: {}", describe(&e));
            let fix = "check businessAccountId and that the token has whatsapp_business_management".to_owned();
            return check(WEBHOOK_SUBSCRIPTION, false, detail, Some(fix));
        }
    };
    if !apps.is_empty() {
        let detail = format!("business account {waba} sends its webhooks to {}", apps.join(", "));
        return check(WEBHOOK_SUBSCRIPTION, true, detail, None);
    }
    if !options.subscribe_webhooks {
        let detail = format!("no app is subscribed to business account {waba}: Meta delivers no webhook");
        return check(WEBHOOK_SUBSCRIPTION, false, detail, Some(subscribe_fix));
    }
    let request = graph::request(&call.config, Method::Post, &format!("{waba}/subscribed_apps"), None);
    match graph::call(call.host, &request, Idempotency::Idempotent) {
        Ok(reply) if reply["success"] == true => {
            check(WEBHOOK_SUBSCRIPTION, true, format!("subscribed the app to business account {waba} just now"), None)
        }
        Ok(reply) => {
            let detail = format!("subscribing the app to business account {waba} was not confirmed: {reply}");
            check(WEBHOOK_SUBSCRIPTION, false, detail, Some(subscribe_fix))
        }
        Err(e) => {
            let detail = format!("subscribing the app to business account {waba} failed: {}", describe(&e));
            check(WEBHOOK_SUBSCRIPTION, false, detail, Some(subscribe_fix))
        }
    }
}

/// The names of the apps subscribed to the business account.
fn subscribed_apps(call: &Call<'_>) -> Result<Vec<String>, ChannelError> {
    let path = format!("{}/subscribed_apps", call.config.business_account_id);
    let request = graph::request(&call.config, Method::Get, &path, None);
    let reply = graph::call(call.host, &request, Idempotency::Idempotent)?;
    let data = reply.get("data").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    Ok(data
        .iter()
        .map(|app| {
            let app = app.get("whatsapp_business_api_data").unwrap_or(app);
            let field = |key: &str| app.get(key).and_then(Value::as_str);
            field("name").or(field("id")).unwrap_or("an app").to_owned()
        })
        .collect())
}

fn describe(error: &ChannelError) -> String {
    match error {
        ChannelError::Provider(p) => {
            format!("{} (code {})", p.message, p.code.map_or("none".into(), |c| c.to_string()))
        }
        ChannelError::Unreachable(t) => t.message.clone(),
        ChannelError::OutcomeUnknown(m)
        | ChannelError::Integrity(m)
        | ChannelError::Unsupported(m)
        | ChannelError::Other(m) => m.clone(),
        ChannelError::InvalidConfig(_) | ChannelError::InvalidRequest(_) => "invalid request".into(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::InstanceConfig;
    use crate::config::tests::sample_json;
    use crate::host::mock::MockHost;
    use crate::wit::types::Instance;

    fn checks(host: &MockHost, phone: Value, subscribe: bool) -> Vec<SetupCheck> {
        let instance = Instance { id: "inst-a".into(), config: sample_json() };
        let call = Call { host, instance: &instance, config: InstanceConfig::parse(&instance.config).unwrap() };
        run(&call, &phone, &ConnectOptions { subscribe_webhooks: subscribe })
    }

    fn named<'c>(checks: &'c [SetupCheck], name: &str) -> &'c SetupCheck {
        checks.iter().find(|c| c.name == name).unwrap()
    }

    fn healthy_phone() -> Value {
        json!({"display_phone_number": "+1 555-078-3881", "verified_name": "Acme", "quality_rating": "GREEN",
               "name_status": "APPROVED", "code_verification_status": "VERIFIED", "platform_type": "CLOUD_API",
               "throughput": {"level": "STANDARD"}})
    }

    #[test]
    fn marketing_messages_are_checked_only_when_the_instance_uses_them() {
        let host = MockHost::default();
        let mut config: Value = serde_json::from_str(&sample_json()).unwrap();
        config["marketingMessages"] = json!(true);
        let instance = Instance { id: "i".into(), config: config.to_string() };
        let call = Call { host: &host, instance: &instance, config: InstanceConfig::parse(&instance.config).unwrap() };
        let subscribed = json!({"data": [{"whatsapp_business_api_data": {"name": "omni"}}]});
        host.respond_json(200, &subscribed);
        host.respond_json(200, &json!({"id": "1", "marketing_messages_onboarding_status": "ELIGIBLE"}));
        let checked = run(&call, &healthy_phone(), &ConnectOptions { subscribe_webhooks: false });
        let marketing = named(&checked, MARKETING_MESSAGES);
        assert!(!marketing.passed && marketing.detail.contains("ELIGIBLE"), "{marketing:?}");
        assert!(host.requests.borrow()[1].url.ends_with("?fields=marketing_messages_onboarding_status"));
        host.respond_json(200, &subscribed);
        host.respond_json(200, &json!({"marketing_messages_onboarding_status": "ONBOARDED"}));
        assert!(
            named(&run(&call, &healthy_phone(), &ConnectOptions { subscribe_webhooks: false }), MARKETING_MESSAGES)
                .passed
        );
        host.respond_json(200, &subscribed);
        assert!(checks(&host, healthy_phone(), false).iter().all(|c| c.name != MARKETING_MESSAGES));
    }

    #[test]
    fn a_healthy_setup_passes_every_check_without_changing_anything() {
        let host = MockHost::default();
        host.respond_json(200, &json!({"data": [{"whatsapp_business_api_data": {"id": "1", "name": "Acme omni"}}]}));
        let checks = checks(&host, healthy_phone(), true);
        assert!(checks.iter().all(|c| c.passed && c.fix.is_none()), "{checks:?}");
        assert!(
            named(&checks, QUALITY).detail.contains("GREEN") && named(&checks, QUALITY).detail.contains("STANDARD")
        );
        assert!(named(&checks, WEBHOOK_SUBSCRIPTION).detail.contains("Acme omni"));
        let requests = host.requests.borrow();
        assert_eq!(requests.len(), 1, "subscribed already: nothing is posted");
        assert!(requests[0].url.ends_with("/102290129340398/subscribed_apps"), "{}", requests[0].url);
    }

    #[test]
    fn a_missing_subscription_is_reported_with_its_fix_unless_asked_to_subscribe() {
        let host = MockHost::default();
        host.respond_json(200, &json!({"data": []}));
        let check = named(&checks(&host, healthy_phone(), false), WEBHOOK_SUBSCRIPTION).clone();
        assert!(!check.passed && check.detail.contains("no app is subscribed"), "{check:?}");
        assert!(check.fix.unwrap().contains("POST /102290129340398/subscribed_apps"));
        assert_eq!(host.requests.borrow().len(), 1);

        let host = MockHost::default();
        host.respond_json(200, &json!({"data": []}));
        host.respond_json(200, &json!({"success": true}));
        let check = named(&checks(&host, healthy_phone(), true), WEBHOOK_SUBSCRIPTION).clone();
        assert!(check.passed && check.detail.contains("just now"), "{check:?}");
        assert_eq!(host.requests.borrow()[1].method, Method::Post);
    }

    #[test]
    fn an_unregistered_number_a_red_rating_and_a_refused_listing_fail_their_checks() {
        let host = MockHost::default();
        host.respond_json(403, &json!({"error": {"message": "(#200) Permissions error", "code": 200}}));
        let mut phone = healthy_phone();
        phone["platform_type"] = json!("ON_PREMISE");
        phone["quality_rating"] = json!("RED");
        let checks = checks(&host, phone, false);
        assert!(checks.iter().all(|c| !c.passed && c.fix.is_some()), "{checks:?}");
        assert!(named(&checks, PHONE_NUMBER).fix.as_deref().unwrap().contains("/106540352242922/register"));
        assert!(named(&checks, WEBHOOK_SUBSCRIPTION).detail.contains("Permissions error (code 200)"));
    }
}
