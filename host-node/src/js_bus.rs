//! omni's event bus as the host's event sink: what the plugin publishes during a call on a lane
//! thread is handed to JavaScript (the package's publisher: deduplication in omni's plugin
//! storage, then omni's `eventBus`), and the call waits — within its deadline — for the bus's
//! answer, so the plugin sees exactly what a `serve` plugin sees: published, unavailable (a
//! webhook answers 503 and Meta redelivers), or refused.
//!
//! Only lane threads publish here (see [`EventSink::may_block`]): the JavaScript thread never
//! waits on itself. A webhook tried inline on the JavaScript thread collects its events instead,
//! and JavaScript publishes them after the call.

use std::time::Instant;

use napi::bindgen_prelude::Promise;
use napi::threadsafe_function::ThreadsafeFunction;
use omni_host::capabilities::{EventSink, OmniEvent, SinkError};

use crate::shapes;

/// `publish(eventsJson) => Promise<outcome>`, the outcome `ok`, `unavailable:<why>` or
/// `rejected:<why>`.
pub type Publisher = ThreadsafeFunction<String, Promise<String>, String, napi::Status, false, true>;

pub struct JsBus {
    publish: Publisher,
    max_event_bytes: usize,
}

impl JsBus {
    pub fn new(publish: Publisher, max_event_bytes: usize) -> Self {
        Self { publish, max_event_bytes }
    }
}

impl EventSink for JsBus {
    fn publish(&self, events: &[OmniEvent], deadline: Instant) -> Result<(), SinkError> {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(SinkError::Broken("published from a thread outside the addon's runtime".into()));
        };
        let json = shapes::events(events);
        let remaining = deadline.saturating_duration_since(Instant::now());
        let answer = runtime.block_on(tokio::time::timeout(remaining, async {
            let pending = self.publish.call_async(json).await.map_err(|e| e.to_string())?;
            pending.await.map_err(|e| e.to_string())
        }));
        match answer {
            Ok(Ok(outcome)) => shapes::publish_outcome(&outcome),
            Ok(Err(failed)) => Err(SinkError::Unavailable(format!("the publisher failed: {failed}"))),
            Err(_) => Err(SinkError::Unavailable("omni's bus did not answer within the call's time".into())),
        }
    }

    fn max_event_bytes(&self) -> usize {
        self.max_event_bytes
    }

    fn may_block(&self) -> bool {
        true
    }
}
