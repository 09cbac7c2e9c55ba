//! What crosses between the addon and JavaScript, as JSON text: one string each way is cheaper
//! than building JavaScript objects field by field through Node-API, and `JSON.parse` is the
//! fastest reader JavaScript has.

use napi::bindgen_prelude::Buffer;
use omni_host::bindings::webhook::OutgoingResponse;
use omni_host::capabilities::{OmniEvent, SinkError};
use serde::Serialize;
use serde_json::value::RawValue;

/// An event as the package hands it to omni's bus: omni's `eventBus.publish(type, payload,
/// metadata)` arguments, the event's own id (the package drops redeliveries by it), and whether
/// it may be dropped as a duplicate at all (`instance.*` state changes may not).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BusEvent<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    instance_id: &'a str,
    payload: &'a RawValue,
    metadata: &'a omni_host::omni::envelope::EventMetadata,
    /// When it happened by the provider's clock (Unix ms), when the provider said.
    occurred_at: Option<u64>,
    deduplicate: bool,
}

/// A batch of events, as a JSON array.
pub fn events(events: &[OmniEvent]) -> String {
    let events: Vec<BusEvent<'_>> = events
        .iter()
        .map(|e| BusEvent {
            id: &e.id,
            kind: &e.event,
            instance_id: &e.instance_id,
            payload: &e.payload_json,
            metadata: &e.metadata,
            occurred_at: e.metadata.timings.platform,
            deduplicate: omni_channel_vocabulary::is_deduplicated(&e.event),
        })
        .collect();
    serde_json::to_string(&events).expect("events serialize")
}

/// The publisher's answer: `ok`, `unavailable:<why>` or `rejected:<why>`.
pub fn publish_outcome(outcome: &str) -> Result<(), SinkError> {
    match outcome.split_once(':') {
        _ if outcome == "ok" => Ok(()),
        Some(("unavailable", why)) => Err(SinkError::Unavailable(why.to_owned())),
        Some(("rejected", why)) => Err(SinkError::Rejected(why.to_owned())),
        _ => Err(SinkError::Broken(format!("the publisher answered `{outcome}`"))),
    }
}

/// An HTTP answer for JavaScript to turn into a `Response`.
#[napi_derive::napi(object)]
pub struct Answer {
    pub status: u16,
    /// Header names and values, alternating.
    pub headers: Vec<String>,
    pub body: Buffer,
}

impl From<OutgoingResponse> for Answer {
    fn from(response: OutgoingResponse) -> Self {
        let headers = response.headers.into_iter().flat_map(|(name, value)| [name, value]).collect();
        Self { status: response.status, headers, body: response.body.into() }
    }
}

/// `[name, value, name, value…]` as the WIT's pairs.
pub fn header_pairs(flat: Vec<String>) -> Vec<(String, String)> {
    let mut pairs = Vec::with_capacity(flat.len() / 2);
    let mut items = flat.into_iter();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        pairs.push((name, value));
    }
    pairs
}

/// A JSON answer of the host's own.
pub fn json_answer(status: u16, body: serde_json::Value) -> Answer {
    Answer {
        status,
        headers: vec!["content-type".into(), "application/json".into()],
        body: body.to_string().into_bytes().into(),
    }
}
