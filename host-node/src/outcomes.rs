//! A call's outcome as the JSON the package reads: `null` or the error for calls that return
//! nothing, `{"ok": true, "value"}` or `{"ok": false, "error"}` for the others, the errors in
//! omni's terms (`omni_host::omni::results`).

use omni_host::bindings::types::{ChannelError, InvalidField};
use omni_host::channel_host::{ChannelHost, HostError};
use omni_host::omni::results;
use serde_json::{Value, json};

use crate::Host;

impl Host {
    pub(crate) fn host(&self) -> &ChannelHost {
        self.calls.host()
    }

    pub(crate) fn unit_outcome(&self, outcome: Result<Result<(), ChannelError>, HostError>) -> Option<String> {
        match outcome {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(json!(results::channel_error(&self.family, &error)).to_string()),
            Err(error) => Some(json!(results::host_error(&self.family, &error)).to_string()),
        }
    }

    /// omni's summary of a request refused before the plugin saw it.
    pub(crate) fn invalid_request(&self, field: &str, reason: String) -> results::ErrorSummary {
        let error = ChannelError::InvalidRequest(InvalidField { field: field.into(), reason });
        results::channel_error(&self.family, &error)
    }

    /// `{"ok": false, "error"}` for a request refused before the plugin saw it.
    pub(crate) fn refused_request(&self, field: &str, reason: String) -> String {
        json!({ "ok": false, "error": self.invalid_request(field, reason) }).to_string()
    }

    pub(crate) fn value_outcome<T>(
        &self,
        outcome: Result<Result<T, ChannelError>, HostError>,
        to_json: impl FnOnce(&T) -> Value,
    ) -> String {
        match outcome {
            Ok(Ok(value)) => json!({ "ok": true, "value": to_json(&value) }),
            Ok(Err(error)) => json!({ "ok": false, "error": results::channel_error(&self.family, &error) }),
            Err(error) => json!({ "ok": false, "error": results::host_error(&self.family, &error) }),
        }
        .to_string()
    }
}
