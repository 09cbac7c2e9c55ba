//! Calling the Graph API through the host's HTTP capability.

pub mod errors;

use serde_json::Value;

use crate::config::InstanceConfig;
use crate::host::Host;
use crate::wit::outbound_http::{Method, Request, Response};
use crate::wit::types::ChannelError;
pub use omni_channel_sdk::errors::{Idempotency, transport_error};

/// Sent with every Graph request; some Meta CDNs refuse requests without a User-Agent.
pub const USER_AGENT: &str = concat!("omni-whatsapp-cloud/", env!("CARGO_PKG_VERSION"));

/// Upper bound the plugin asks for on one Graph exchange.
const TIMEOUT_MS: u32 = 20_000;

/// A request to `{base}/{version}/{path}` with the instance's token.
pub fn request(config: &InstanceConfig, method: Method, path: &str, body: Option<&Value>) -> Request {
    let mut headers = vec![
        ("authorization".to_owned(), format!("Bearer {}", config.access_token)),
        ("user-agent".to_owned(), USER_AGENT.to_owned()),
    ];
    let body = match body {
        Some(json) => {
            headers.push(("content-type".to_owned(), "application/json".to_owned()));
            json.to_string().into_bytes()
        }
        None => Vec::new(),
    };
    Request {
        method,
        url: format!("{}/{}", config.graph_root(), path.trim_start_matches('/')),
        headers,
        body,
        timeout_ms: Some(TIMEOUT_MS),
    }
}

/// Performs a request and returns the response when it is a 2xx, or a typed error (a Graph
/// error body, or the transport failure).
pub fn call_raw(host: &dyn Host, request: &Request, idempotency: Idempotency) -> Result<Response, ChannelError> {
    let response = host.send_http(request).map_err(|e| transport_error(e, idempotency))?;
    if !(200..300).contains(&response.status) {
        return Err(ChannelError::Provider(errors::from_response(response.status, &response.headers, &response.body)));
    }
    Ok(response)
}

/// Performs a Graph request and returns its JSON body, or a typed error.
pub fn call(host: &dyn Host, request: &Request, idempotency: Idempotency) -> Result<Value, ChannelError> {
    let response = call_raw(host, request, idempotency)?;
    serde_json::from_slice(&response.body).map_err(|e| {
        let message = format!("HTTP {} with a body that is not JSON: {e}", response.status);
        match idempotency {
            // Meta took the request (2xx) but we cannot tell what it did with it.
            Idempotency::NotIdempotent => ChannelError::OutcomeUnknown(message),
            Idempotency::Idempotent => ChannelError::Other(message),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::sample;
    use crate::host::mock::MockHost;

    #[test]
    fn builds_authenticated_json_requests() {
        let r = request(&sample(), Method::Post, "/106540352242922/messages", Some(&serde_json::json!({"a": 1})));
        assert_eq!(r.url, "http://127.0.0.1:9/v26.0/106540352242922/messages");
        assert!(r.headers.contains(&("authorization".into(), "Bearer EAAG-token".into())));
        assert!(r.headers.contains(&("content-type".into(), "application/json".into())));
        assert_eq!(r.body, br#"{"a":1}"#);
    }

    #[test]
    fn success_with_garbage_body_is_outcome_unknown() {
        let host = MockHost::default();
        host.responses.borrow_mut().push_back(Ok(crate::wit::outbound_http::Response {
            status: 200,
            headers: vec![],
            body: b"<html>".to_vec(),
        }));
        let r = request(&sample(), Method::Post, "x", None);
        assert!(matches!(call(&host, &r, Idempotency::NotIdempotent), Err(ChannelError::OutcomeUnknown(_))));
    }
}
