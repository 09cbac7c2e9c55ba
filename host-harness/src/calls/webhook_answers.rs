//! What a webhook is answered, the same from every front door: an inline attempt settled once
//! its events were offered to the bus, or a refusal for a call the host could not make.

use crate::bindings::webhook::OutgoingResponse;
use crate::capabilities::{OmniEvent, SinkError};
use crate::channel_host::HostError;

/// A webhook the plugin answered inline, its events not yet published.
#[derive(Debug)]
pub struct InlineWebhook {
    pub response: OutgoingResponse,
    pub events: Vec<OmniEvent>,
}

/// What becomes of an inline webhook once its events were offered to the bus.
#[derive(Debug)]
pub enum Settled {
    /// The answer to give.
    Answer(OutgoingResponse),
    /// Run the webhook again on the webhook lane, the plugin publishing.
    Rerun,
}

impl InlineWebhook {
    /// The plugin's answer once the events are on the bus; when the bus is down, the plugin's
    /// own answer for that (503: Meta redelivers); when it refused them for good, a rerun.
    pub fn settle(self, published: Result<(), SinkError>) -> Settled {
        match published {
            Ok(()) => Settled::Answer(self.response),
            Err(SinkError::Unavailable(why)) => Settled::Answer(bus_unavailable(&why)),
            Err(refused) => {
                tracing::warn!(
                    "the bus refused the webhook's events ({refused:?}); handing them to the plugin one by one"
                );
                Settled::Rerun
            }
        }
    }
}

/// The answer to a webhook whose events the bus could not take now (the plugin's own words
/// for it): 503 makes Meta redeliver.
pub fn bus_unavailable(why: &str) -> OutgoingResponse {
    OutgoingResponse {
        status: 503,
        headers: vec![("content-type".into(), "application/json".into())],
        body: serde_json::json!({ "error": format!("event bus unavailable: {why}") }).to_string().into_bytes(),
    }
}

/// The answer to a webhook the host could not run, the same from every front door: 404 for an
/// instance it does not have; 503 when it had no capacity or the instance is disconnected
/// (Meta redelivers later, when there is room); 500 when the plugin failed (a trap, its budget:
/// Meta redelivers too).
pub fn webhook_refusal(error: &HostError) -> OutgoingResponse {
    let (status, message) = match error {
        HostError::UnknownInstance(_) => (404, "no such instance".to_owned()),
        HostError::Busy(_) | HostError::Paused(_) => (503, error.to_string()),
        HostError::Plugin(_) => (500, "the channel plugin failed".to_owned()),
    };
    OutgoingResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: serde_json::json!({ "error": message }).to_string().into_bytes(),
    }
}
