//! The webhook endpoint: GET verification handshakes and signed POST notifications.

pub mod bounds;
mod notification;
mod query;
mod verification;

use crate::config::InstanceConfig;
use crate::host::Host;
use crate::wit::logging::Level;
use crate::wit::types::Instance;
use crate::wit::webhook::{DeliveryLimits, IncomingRequest, OutgoingResponse, Route};

/// What hosts that do not say otherwise can take (the shared vocabulary's defaults).
pub const DEFAULT_LIMITS: DeliveryLimits = DeliveryLimits {
    max_body_bytes: omni_channel_vocabulary::limits::MAX_BODY_BYTES,
    max_event_bytes: omni_channel_vocabulary::limits::MAX_EVENT_BYTES as u64,
};

/// Handles one webhook request for `receiver`, routing changes to the instances of `routes`
/// when they own the phone number a change is about.
pub fn handle(
    host: &dyn Host,
    receiver: &Instance,
    routes: &[Route],
    request: &IncomingRequest,
    limits: &DeliveryLimits,
) -> OutgoingResponse {
    let config = match InstanceConfig::parse(&receiver.config) {
        Ok(config) => config,
        Err(problems) => {
            let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
            host.log(Level::Error, &format!("instance {}: invalid configuration ({})", receiver.id, fields.join(", ")));
            // A 5xx makes Meta redeliver once the operator has fixed the configuration.
            return json_response(500, &serde_json::json!({"error": "instance configuration is invalid"}));
        }
    };
    match request.method.to_ascii_uppercase().as_str() {
        "GET" => verification::handle(&config, &request.query),
        "POST" => notification::handle(host, receiver, &config, routes, request, limits),
        _ => {
            let mut response = json_response(405, &serde_json::json!({"error": "method not allowed"}));
            response.headers.push(("allow".into(), "GET, POST".into()));
            response
        }
    }
}

/// A response with a JSON body.
fn json_response(status: u16, body: &serde_json::Value) -> OutgoingResponse {
    OutgoingResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

/// A JSON error response: `{"error": message}`.
fn error_response(status: u16, message: &str) -> OutgoingResponse {
    json_response(status, &serde_json::json!({ "error": message }))
}
