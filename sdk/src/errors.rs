//! What a failed outbound request means for the caller: the part of error handling that does
//! not depend on the provider.

use crate::contract::outbound_http::{HttpError, RequestProgress};
use crate::contract::types::{ChannelError, RetrySchedule, TransportError};

/// Whether repeating a request is harmless: decides what a lost response means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Idempotency {
    /// Reads: a lost response can simply be retried.
    Idempotent,
    /// Sends: a lost response means the outcome is unknown.
    NotIdempotent,
}

/// Backoff for a request that never reached the provider.
pub const UNREACHABLE_RETRY: RetrySchedule =
    RetrySchedule { first_delay_ms: 1_000, multiplier: 2, not_before_ms: None };

/// Maps a host transport failure to a channel error. A failure after the request may have
/// left is "outcome unknown" for sends (a blind retry could send twice); for reads it is just
/// worth another try. A destination the host does not allow is never retried.
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
            unreachable("timed out connecting to the provider".into(), true)
        }
        HttpError::Timeout(RequestProgress::MaybeSent) => {
            maybe_sent("timed out waiting for the provider after the request was sent".into())
        }
        HttpError::Connection(failure) => match failure.progress {
            RequestProgress::NotSent => unreachable(format!("could not connect: {}", failure.message), true),
            RequestProgress::MaybeSent => maybe_sent(format!("connection failed after sending: {}", failure.message)),
        },
        HttpError::BodyTooLarge(limit) => maybe_sent(format!("the response exceeded the host's {limit}-byte limit")),
        HttpError::Other(message) => ChannelError::Other(message),
    }
}

/// Whether the caller may try again: the error carries a retry schedule.
pub fn is_retryable(error: &ChannelError) -> bool {
    match error {
        ChannelError::Provider(e) => e.retry.is_some(),
        ChannelError::Unreachable(e) => e.retry.is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::outbound_http::TransportFailure;

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
}
