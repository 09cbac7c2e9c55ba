//! Calling the Graph API through the host's HTTP capability.

pub mod errors;

use serde_json::Value;

use crate::config::InstanceConfig;
use crate::host::Host;
use crate::wit::outbound_http::{HttpError, Method, Request, RequestProgress, Response};
use crate::wit::types::{ChannelError, RetrySchedule, TransportError};

/// Sent with every Graph request; some Meta CDNs refuse requests without a User-Agent.
pub const USER_AGENT: &str = concat!("omni-whatsapp-cloud/", env!("CARGO_PKG_VERSION"));

/// Upper bound the plugin asks for on one Graph exchange.
const TIMEOUT_MS: u32 = 20_000;

/// Backoff for a request that never reached Meta.
const UNREACHABLE_RETRY: RetrySchedule = RetrySchedule { first_delay_ms: 1_000, multiplier: 2, not_before_ms: None };

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

/// Whether repeating a request is harmless: decides what a lost response means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Idempotency {
    /// Reads: a lost response can simply be retried.
    Idempotent,
    /// Sends: a lost response means the outcome is unknown.
    NotIdempotent,
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

/// Maps a host transport failure to a channel error. A failure after the request may have
/// left is "outcome unknown" for sends; for reads it is just worth another try.
pub fn transport_error(error: HttpError, idempotency: Idempotency) -> ChannelError {
    let unreachable = |message: String, retry: bool| {
        ChannelError::Unreachable(TransportError { message, retry: retry.then_some(UNREACHABLE_RETRY) })
    };
    let maybe_sent = |message: String| match idempotency {
        Idempotency::NotIdempotent => ChannelError::OutcomeUnknown(message),
        Idempotency::Idempotent => unreachable(message, true),
    };
    match error {
        HttpError::DestinationNotAllowed(destination) => {
            unreachable(format!("the host's egress policy does not allow {destination}"), false)
        }
        HttpError::Timeout(RequestProgress::NotSent) => {
            unreachable("timed out connecting to the Graph API".into(), true)
        }
        HttpError::Timeout(RequestProgress::MaybeSent) => {
            maybe_sent("timed out waiting for the Graph API after the request was sent".into())
        }
        HttpError::Connection(failure) => match failure.progress {
            RequestProgress::NotSent => unreachable(format!("could not connect: {}", failure.message), true),
            RequestProgress::MaybeSent => maybe_sent(format!("connection failed after sending: {}", failure.message)),
        },
        HttpError::BodyTooLarge(limit) => maybe_sent(format!("the response exceeded the host's {limit}-byte limit")),
        HttpError::Other(message) => ChannelError::Other(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::sample;
    use crate::host::mock::MockHost;
    use crate::wit::outbound_http::TransportFailure;

    #[test]
    fn builds_authenticated_json_requests() {
        let r = request(&sample(), Method::Post, "/106540352242922/messages", Some(&serde_json::json!({"a": 1})));
        assert_eq!(r.url, "http://127.0.0.1:9/v26.0/106540352242922/messages");
        assert!(r.headers.contains(&("authorization".into(), "Bearer EAAG-token".into())));
        assert!(r.headers.contains(&("content-type".into(), "application/json".into())));
        assert_eq!(r.body, br#"{"a":1}"#);
    }

    #[test]
    fn lost_responses_are_unknown_for_sends_and_retryable_for_reads() {
        let lost = || HttpError::Timeout(RequestProgress::MaybeSent);
        assert!(matches!(transport_error(lost(), Idempotency::NotIdempotent), ChannelError::OutcomeUnknown(_)));
        assert!(matches!(
            transport_error(lost(), Idempotency::Idempotent),
            ChannelError::Unreachable(TransportError { retry: Some(_), .. })
        ));
        let refused =
            HttpError::Connection(TransportFailure { progress: RequestProgress::NotSent, message: "refused".into() });
        assert!(matches!(
            transport_error(refused, Idempotency::NotIdempotent),
            ChannelError::Unreachable(TransportError { retry: Some(_), .. })
        ));
        assert!(matches!(
            transport_error(HttpError::DestinationNotAllowed("x".into()), Idempotency::NotIdempotent),
            ChannelError::Unreachable(TransportError { retry: None, .. })
        ));
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
