//! Signed POST notifications: size limit, signature, mapping, publishing.

use super::{bounds, error_response, json_response};
use crate::config::InstanceConfig;
use crate::host::Host;
use crate::inbound::{self, InboundError, Route};
use crate::signature;
use crate::wit::events::PublishError;
use crate::wit::logging::Level;
use crate::wit::types::Instance;
use crate::wit::webhook::{DeliveryLimits, IncomingRequest, OutgoingResponse, Route as WebhookRoute};

/// 413 for oversize bodies, 401 for bad signatures, 400 for unreadable bodies (nothing
/// published), 503 when the bus is down (Meta redelivers), 200 once every event is published.
pub fn handle(
    host: &dyn Host,
    receiver: &Instance,
    config: &InstanceConfig,
    routes: &[WebhookRoute],
    request: &IncomingRequest,
    limits: &DeliveryLimits,
) -> OutgoingResponse {
    if request.body.len() as u64 > limits.max_body_bytes {
        return error_response(413, &format!("body exceeds {} bytes", limits.max_body_bytes));
    }
    let signatures: Vec<&str> = request
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case(signature::HEADER))
        .map(|(_, value)| value.as_str())
        .collect();
    let hmac = |key: &[u8], message: &[u8]| host.hmac_sha256(key, message);
    if let Err(e) = signature::verify(config.app_secret.as_bytes(), &request.body, &signatures, hmac) {
        host.log(Level::Warn, &format!("instance {}: webhook refused: {}", receiver.id, e.describe()));
        return error_response(401, e.describe());
    }

    let receiver_route = Route { instance_id: &receiver.id, phone_number_id: &config.phone_number_id };
    let routes: Vec<Route<'_>> =
        std::iter::once(receiver_route)
            .chain(routes.iter().flat_map(|r| {
                r.routing_keys.iter().map(|key| Route { instance_id: &r.instance_id, phone_number_id: key })
            }))
            .collect();

    let links = |instance: &str, media_id: &str| host.media_link(instance, media_id);
    let events = match inbound::map_notification(&request.body, &receiver.id, &routes, &links) {
        Ok(events) => events,
        Err(e) => {
            host.log(Level::Warn, &format!("instance {}: webhook refused: {e}", receiver.id));
            let status = if matches!(e, InboundError::TooManyItems(_)) { 413 } else { 400 };
            return error_response(status, &e.to_string());
        }
    };
    let events = bounds::bound(events, usize::try_from(limits.max_event_bytes).unwrap_or(usize::MAX));
    if !events.is_empty()
        && let Err(e) = bounds::publish(host, &receiver.id, &events)
    {
        let (status, detail) = match &e {
            PublishError::Unavailable(m) => (503, format!("event bus unavailable: {m}")),
            PublishError::Rejected(m) => (500, format!("events rejected: {m}")),
            PublishError::Other(m) => (500, format!("publishing failed: {m}")),
        };
        host.log(Level::Error, &format!("instance {}: {detail}; asking Meta to redeliver", receiver.id));
        return error_response(status, &detail);
    }
    host.log(Level::Debug, &format!("instance {}: webhook published {} events", receiver.id, events.len()));
    json_response(200, &serde_json::json!({ "received": events.len() }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::sample_json;
    use crate::host::mock::MockHost;
    use crate::webhook::DEFAULT_LIMITS;
    use crate::wit::events::EventKind;
    use serde_json::json;

    fn instance() -> Instance {
        Instance { id: "inst-a".into(), config: sample_json() }
    }

    fn post(body: &[u8], signature: Option<String>) -> IncomingRequest {
        let mut headers = vec![("Content-Type".into(), "application/json".into())];
        if let Some(s) = signature {
            headers.push(("X-Hub-Signature-256".into(), s));
        }
        IncomingRequest { method: "POST".into(), path: "/".into(), query: String::new(), headers, body: body.to_vec() }
    }

    fn text_body() -> Vec<u8> {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": "106540352242922"},
            "messages": [{"from": "15550001111", "id": "wamid.X", "timestamp": "1", "type": "text", "text": {"body": "hi"}}]
        }}]}]})
        .to_string()
        .into_bytes()
    }

    fn signed(body: &[u8]) -> IncomingRequest {
        post(body, Some(signature::sign(b"s3cret", body)))
    }

    #[test]
    fn publishes_then_acknowledges() {
        let host = MockHost::default();
        let r = handle(&host, &instance(), &sample(), &[], &signed(&text_body()), &DEFAULT_LIMITS);
        assert_eq!(r.status, 200);
        assert_eq!(host.published.borrow().len(), 1);
    }

    #[test]
    fn bad_signatures_publish_nothing() {
        let host = MockHost::default();
        let body = text_body();
        assert_eq!(handle(&host, &instance(), &sample(), &[], &post(&body, None), &DEFAULT_LIMITS).status, 401);
        assert_eq!(
            handle(&host, &instance(), &sample(), &[], &post(&body, Some("sha256=00".into())), &DEFAULT_LIMITS).status,
            401
        );
        let wrong = signature::sign(b"other", &body);
        assert_eq!(handle(&host, &instance(), &sample(), &[], &post(&body, Some(wrong)), &DEFAULT_LIMITS).status, 401);
        assert!(host.published.borrow().is_empty());
    }

    #[test]
    fn oversize_bodies_are_refused_before_anything_else() {
        let host = MockHost::default();
        let body = vec![b' '; super::super::DEFAULT_LIMITS.max_body_bytes as usize + 1];
        assert_eq!(handle(&host, &instance(), &sample(), &[], &post(&body, None), &DEFAULT_LIMITS).status, 413);
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        let host = MockHost::default();
        let r = handle(&host, &instance(), &sample(), &[], &signed(b"{\"object\":"), &DEFAULT_LIMITS);
        assert_eq!(r.status, 400);
        assert!(String::from_utf8(r.body).unwrap().contains("not valid JSON"));
        assert!(host.published.borrow().is_empty());
    }

    #[test]
    fn bus_outage_asks_for_redelivery() {
        let host = MockHost::default();
        *host.publish_error.borrow_mut() = Some(PublishError::Unavailable("nats down".into()));
        assert_eq!(handle(&host, &instance(), &sample(), &[], &signed(&text_body()), &DEFAULT_LIMITS).status, 503);
        *host.publish_error.borrow_mut() = Some(PublishError::Rejected("bad".into()));
        assert_eq!(handle(&host, &instance(), &sample(), &[], &signed(&text_body()), &DEFAULT_LIMITS).status, 500);
    }

    #[test]
    fn routed_instances_receive_their_changes() {
        let host = MockHost::default();
        let route = WebhookRoute { instance_id: "inst-b".into(), routing_keys: vec!["222".into()] };
        let body = String::from_utf8(text_body()).unwrap().replace("106540352242922", "222").into_bytes();
        assert_eq!(handle(&host, &instance(), &sample(), &[route], &signed(&body), &DEFAULT_LIMITS).status, 200);
        assert_eq!(host.published.borrow()[0].instance_id, "inst-b");
    }

    #[test]
    fn received_media_links_to_the_host() {
        let host = MockHost::default();
        *host.media_base.borrow_mut() = Some("https://omni.example.com/media".into());
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": "106540352242922"},
            "messages": [{"from": "15550001111", "id": "wamid.IMG", "timestamp": "1", "type": "image",
                          "image": {"id": "1599807917628930", "mime_type": "image/jpeg", "sha256": "x"}}]
        }}]}]})
        .to_string()
        .into_bytes();
        assert_eq!(handle(&host, &instance(), &sample(), &[], &signed(&body), &DEFAULT_LIMITS).status, 200);
        let payloads = host.payloads();
        let link = "https://omni.example.com/media/inst-a/1599807917628930";
        assert_eq!(payloads[0]["content"]["mediaUrl"], link);
        assert_eq!(payloads[1]["url"], link);
        // Without a host that serves media there is no URL omni could fetch.
        let host = MockHost::default();
        handle(&host, &instance(), &sample(), &[], &signed(&body), &DEFAULT_LIMITS);
        assert!(host.payloads()[0]["content"].get("mediaUrl").is_none());
    }

    #[test]
    fn one_odd_item_never_costs_the_others() {
        let host = MockHost::default();
        let long_status = "s".repeat(250);
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": "106540352242922"},
            "messages": [
                {"from": "15550001111", "id": "wamid.OK", "timestamp": "1", "type": "text", "text": {"body": "hi"}},
                {"from": "15550001111", "id": "wamid.HUGE", "timestamp": "1", "type": "text", "text": {"body": "x".repeat(600_000)}}],
            "statuses": [{"id": "wamid.S", "status": long_status, "timestamp": "1", "recipient_id": "15550001111"}]
        }}]}]})
        .to_string()
        .into_bytes();
        let limits = DeliveryLimits { max_body_bytes: 4 << 20, max_event_bytes: 256 << 10 };
        assert_eq!(handle(&host, &instance(), &sample(), &[], &signed(&body), &limits).status, 200);
        let published = host.published.borrow();
        let kinds: Vec<&EventKind> = published.iter().map(|e| &e.kind).collect();
        assert_eq!(kinds[0], &EventKind::MessageReceived);
        assert_eq!(kinds[1], &EventKind::Other(bounds::UNPUBLISHABLE_EVENT.into()));
        assert_eq!(kinds[2], &EventKind::Other("custom.whatsapp-cloud.status.unknown".into()));
        assert!(published.iter().all(|e| e.payload.len() <= 256 << 10));
        assert!(host.payloads()[1]["reason"].as_str().unwrap().contains("bytes"));
    }

    fn sample() -> InstanceConfig {
        crate::config::tests::sample()
    }
}
