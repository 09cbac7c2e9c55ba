//! Keeping every event of a delivery publishable, so that one odd item never costs the rest.
//!
//! The host says how large an event may be (`delivery-limits.max-event-bytes`: its bus's
//! limit). An event over it first sheds Meta's raw data (`rawPayload`, kept as its size); one
//! still over it — a 600 KB text — is replaced by a small report naming what it was. And when
//! the bus refuses a batch for good, the events are tried one by one, each refused one replaced
//! by such a report: the delivery is acknowledged, with every item either published or reported.

use serde_json::{Map, Value, json};

use crate::event::{EventSpec, omni_name};
use crate::host::Host;
use crate::wit::events::{Event, EventKind, PublishError};
use crate::wit::logging::Level;

/// omni event type for an item the bus could not take as it was.
pub const UNPUBLISHABLE_EVENT: &str = "custom.whatsapp-cloud.webhook.unpublishable";

/// Fields of an event kept in its report, when short: enough to find the message again.
const KEPT: &[&str] = &["externalId", "chatId", "from", "field", "phoneNumberId"];

/// Every event within `max_bytes` of payload.
pub fn bound(events: Vec<Event>, max_bytes: usize) -> Vec<Event> {
    events.into_iter().map(|event| bound_one(event, max_bytes)).collect()
}

fn bound_one(mut event: Event, max_bytes: usize) -> Event {
    if event.payload.len() <= max_bytes {
        return event;
    }
    let size = event.payload.len();
    if let Ok(Value::Object(mut payload)) = serde_json::from_str::<Value>(&event.payload)
        && let Some(raw) = payload.get_mut("rawPayload")
    {
        *raw = json!({ "truncated": true, "bytes": raw.to_string().len() });
        let shed = Value::Object(payload).to_string();
        if shed.len() <= max_bytes {
            event.payload = shed;
            return event;
        }
    }
    report(&event, &format!("the event has {size} bytes; the bus takes at most {max_bytes}"))
}

/// A small event in place of `event`, saying why it could not be published.
pub fn report(event: &Event, reason: &str) -> Event {
    let mut payload = Map::new();
    payload.insert("eventId".into(), json!(event.id));
    payload.insert("event".into(), json!(omni_name(&event.kind)));
    payload.insert("bytes".into(), json!(event.payload.len()));
    payload.insert("reason".into(), json!(reason));
    if let Ok(Value::Object(original)) = serde_json::from_str::<Value>(&event.payload) {
        for key in KEPT {
            if let Some(value) = original.get(*key).filter(|v| v.as_str().is_some_and(|s| s.len() <= 256)) {
                payload.insert((*key).into(), value.clone());
            }
        }
    }
    EventSpec {
        instance_id: &event.instance_id,
        kind: EventKind::Other(UNPUBLISHABLE_EVENT.to_owned()),
        key: &[&event.id],
        correlation_id: event.correlation_id.clone(),
        occurred_at_ms: event.occurred_at_ms,
        payload: Value::Object(payload).to_string(),
    }
    .build()
}

/// Publishes a batch; when the bus refuses it for good (not "unavailable": that asks for a
/// redelivery), publishes the events one by one and reports each refused one instead. Fails
/// only when the bus is unavailable or refuses even the reports.
pub fn publish(host: &dyn Host, instance_id: &str, events: &[Event]) -> Result<(), PublishError> {
    match host.publish(events) {
        Err(PublishError::Rejected(why)) if events.len() > 1 || events.first().is_some_and(|e| !is_report(e)) => {
            host.log(
                Level::Warn,
                &format!("instance {instance_id}: the bus refused the batch ({why}); publishing one by one"),
            );
            for event in events {
                match host.publish(std::slice::from_ref(event)) {
                    Ok(()) => {}
                    Err(PublishError::Rejected(why)) => {
                        host.log(Level::Warn, &format!("instance {instance_id}: event {} refused: {why}", event.id));
                        host.publish(&[report(event, &why)])?;
                    }
                    Err(other) => return Err(other),
                }
            }
            Ok(())
        }
        other => other,
    }
}

fn is_report(event: &Event) -> bool {
    event.kind == EventKind::Other(UNPUBLISHABLE_EVENT.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::mock::MockHost;

    fn event(payload: Value) -> Event {
        EventSpec {
            instance_id: "inst-a",
            kind: EventKind::MessageReceived,
            key: &["wamid.X"],
            correlation_id: Some("wamid.X".into()),
            occurred_at_ms: Some(1),
            payload: payload.to_string(),
        }
        .build()
    }

    #[test]
    fn small_events_are_untouched_and_large_ones_shed_their_raw_data() {
        let small = event(json!({"externalId": "wamid.X", "rawPayload": {"message": "m"}}));
        assert_eq!(bound(vec![small.clone()], 1000), [small]);
        let large = event(
            json!({"externalId": "wamid.X", "content": {"text": "hi"}, "rawPayload": {"message": "m".repeat(5000)}}),
        );
        let [shed] = bound(vec![large.clone()], 1000).try_into().unwrap();
        assert_eq!((shed.id.as_str(), shed.kind.clone()), (large.id.as_str(), EventKind::MessageReceived));
        let payload: Value = serde_json::from_str(&shed.payload).unwrap();
        assert_eq!(payload["rawPayload"]["truncated"], true);
        assert_eq!(payload["content"]["text"], "hi");
    }

    #[test]
    fn an_event_too_large_even_without_raw_data_is_reported() {
        let huge = event(
            json!({"externalId": "wamid.X", "chatId": "1@s.whatsapp.net", "content": {"text": "x".repeat(5000)}}),
        );
        let [reported] = bound(vec![huge.clone()], 1000).try_into().unwrap();
        assert_eq!(reported.kind, EventKind::Other(UNPUBLISHABLE_EVENT.into()));
        assert_ne!(reported.id, huge.id);
        let payload: Value = serde_json::from_str(&reported.payload).unwrap();
        assert_eq!(
            (payload["eventId"].as_str(), payload["event"].as_str()),
            (Some(huge.id.as_str()), Some("message.received"))
        );
        assert_eq!(payload["externalId"], "wamid.X");
        assert!(reported.payload.len() < 1000);
    }

    #[test]
    fn a_refused_batch_is_published_one_by_one_with_reports() {
        /// Refuses batches of several events, and any event over 100 bytes.
        struct Picky(MockHost);
        impl Host for Picky {
            fn send_http(
                &self,
                r: &crate::wit::outbound_http::Request,
            ) -> Result<crate::wit::outbound_http::Response, crate::wit::outbound_http::HttpError> {
                self.0.send_http(r)
            }
            fn publish(&self, events: &[Event]) -> Result<(), PublishError> {
                if events.len() > 1 || events[0].payload.len() > 200 {
                    return Err(PublishError::Rejected("too large".into()));
                }
                self.0.publish(events)
            }
            fn log(&self, level: Level, message: &str) {
                self.0.log(level, message)
            }
        }
        let host = Picky(MockHost::default());
        let ok = event(json!({"externalId": "wamid.OK"}));
        let big = event(json!({"externalId": "wamid.BIG", "content": {"text": "y".repeat(500)}}));
        publish(&host, "inst-a", &[ok.clone(), big.clone()]).unwrap();
        let published = host.0.published.borrow();
        assert_eq!(published.len(), 2);
        assert_eq!(published[0], ok);
        assert_eq!(published[1].kind, EventKind::Other(UNPUBLISHABLE_EVENT.into()));
        drop(published);
        // Unavailable is not refusal: the delivery must be redelivered.
        *host.0.publish_error.borrow_mut() = Some(PublishError::Unavailable("down".into()));
        assert_eq!(publish(&host, "inst-a", &[ok]), Err(PublishError::Unavailable("down".into())));
    }
}
