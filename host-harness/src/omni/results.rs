//! What omni's API is told about the outcome of a plugin call, in omni's own terms: its
//! `SendResult` for sends, and the error summary its channels throw (`{code, message,
//! retryable}`), `code` from the names omni's API turns into answers.
//!
//! omni's error middleware knows its channels' codes by family (`WHATSAPP_AUTH_FAILED` → 401,
//! `WHATSAPP_RATE_LIMITED` → 429, `WHATSAPP_NOT_CONNECTED` → 503, `WHATSAPP_INVALID_PHONE` →
//! 400, `WHATSAPP_SEND_FAILED` → 502...): a channel's codes are its family's prefix and a
//! suffix from the failure's kind. The plugin names the failure (its typed error and the class
//! its error table gives Meta's codes); the front door knows the family it answers for.

use serde::Serialize;

use crate::bindings::types::{ChannelError, ErrorClass};
use crate::channel_host::HostError;
use crate::retry::PartsOutcome;
use crate::runtime::PluginError;

/// A failure as omni is told of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorSummary {
    pub message: String,
    /// omni's code: `{FAMILY}_{KIND}`.
    pub code: String,
    /// The precise reason: the provider's error code (`131047`) for its errors, the error's
    /// kind otherwise (`invalid-request`, `unreachable`, `plugin-timeout`...).
    pub provider_code: String,
    pub retryable: bool,
}

/// omni's code suffixes.
const AUTH_FAILED: &str = "AUTH_FAILED";
const RATE_LIMITED: &str = "RATE_LIMITED";
const NOT_CONNECTED: &str = "NOT_CONNECTED";
const INVALID_PHONE: &str = "INVALID_PHONE";
const SEND_FAILED: &str = "SEND_FAILED";

/// A typed channel error in omni's terms, for the channel family `family` (`WHATSAPP`).
pub fn channel_error(family: &str, error: &ChannelError) -> ErrorSummary {
    let code = |kind: &str| format!("{family}_{kind}");
    match error {
        ChannelError::Provider(e) => {
            let message = match &e.details {
                Some(details) if !e.message.contains(details.as_str()) => format!("{}: {details}", e.message),
                _ => e.message.clone(),
            };
            let kind = match e.class {
                ErrorClass::Auth => AUTH_FAILED,
                ErrorClass::Throttled => RATE_LIMITED,
                ErrorClass::Transient | ErrorClass::Terminal => SEND_FAILED,
            };
            let provider_code = e.code.map_or_else(|| format!("http-{}", e.http_status), |c| c.to_string());
            ErrorSummary { message, code: code(kind), provider_code, retryable: e.retry.is_some() }
        }
        ChannelError::Unreachable(e) => ErrorSummary {
            message: e.message.clone(),
            code: code(SEND_FAILED),
            provider_code: "unreachable".into(),
            retryable: e.retry.is_some(),
        },
        ChannelError::InvalidConfig(problems) => {
            let list: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", if p.field.is_empty() { "(config)" } else { p.field.as_str() }, p.message))
                .collect();
            ErrorSummary {
                message: format!("invalid configuration: {}", list.join("; ")),
                code: code("INVALID_CONFIG"),
                provider_code: "invalid-config".into(),
                retryable: false,
            }
        }
        ChannelError::InvalidRequest(field) => ErrorSummary {
            message: format!("{}: {}", field.field, field.reason),
            // A recipient that is no phone number, chat id or user id.
            code: code(if field.field == "to" { INVALID_PHONE } else { "INVALID_REQUEST" }),
            provider_code: "invalid-request".into(),
            retryable: false,
        },
        ChannelError::OutcomeUnknown(m) => ErrorSummary {
            message: format!("the outcome is unknown (the message may have been sent): {m}"),
            code: code("OUTCOME_UNKNOWN"),
            provider_code: "outcome-unknown".into(),
            retryable: false,
        },
        ChannelError::Integrity(m) => ErrorSummary {
            message: m.clone(),
            code: code("MEDIA_INTEGRITY"),
            provider_code: "integrity".into(),
            retryable: false,
        },
        ChannelError::Unsupported(what) => unsupported(family, what),
        ChannelError::Other(m) => ErrorSummary {
            message: m.clone(),
            code: code(SEND_FAILED),
            provider_code: "other".into(),
            retryable: false,
        },
    }
}

/// Something the channel does not do (a method or a whole interface it lacks).
fn unsupported(family: &str, what: &str) -> ErrorSummary {
    ErrorSummary {
        message: format!("the channel does not support {what}"),
        code: format!("{family}_UNSUPPORTED"),
        provider_code: "unsupported".into(),
        retryable: false,
    }
}

/// A call the host could not make, in omni's terms.
pub fn host_error(family: &str, error: &HostError) -> ErrorSummary {
    let code = |kind: &str| format!("{family}_{kind}");
    match error {
        HostError::UnknownInstance(_) | HostError::Paused(_) => ErrorSummary {
            message: error.to_string(),
            code: code(NOT_CONNECTED),
            provider_code: "not-connected".into(),
            retryable: false,
        },
        // Never made: safe to try again.
        HostError::Busy(_) => ErrorSummary {
            message: error.to_string(),
            code: code("BUSY"),
            provider_code: "busy".into(),
            retryable: true,
        },
        HostError::Plugin(PluginError::Unsupported(interface)) => unsupported(family, interface),
        HostError::Plugin(failure) => plugin_failure(family, failure),
    }
}

/// The plugin failed as a call (trap, budget, limit): the request may have left, so it is never
/// retryable.
pub fn plugin_failure(family: &str, failure: &PluginError) -> ErrorSummary {
    ErrorSummary {
        message: failure.to_string(),
        code: format!("{family}_PLUGIN_FAILED"),
        provider_code: format!("plugin-{}", failure.kind()),
        retryable: false,
    }
}

/// omni's `SendResult` (`packages/channel-sdk/src/types/messaging.ts`), with `messageIds` when
/// the text went out in parts and `providerCode` on failure.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendResult {
    pub success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
    /// When the outcome was known, in omni's time.
    pub timestamp: u64,
}

impl SendResult {
    /// The result of sending every part of an omni message.
    pub fn of_parts(family: &str, outcome: &PartsOutcome, timestamp: u64) -> Self {
        let ids: Vec<String> = outcome.sent.iter().map(|r| r.message_id.clone()).collect();
        let first = ids.first().cloned();
        let several = (ids.len() > 1).then(|| ids.clone());
        match &outcome.failure {
            None if first.is_some() => Self {
                success: true,
                message_id: first,
                message_ids: several,
                error: None,
                error_code: None,
                provider_code: None,
                retryable: None,
                timestamp,
            },
            None => Self::failed(
                ErrorSummary {
                    message: "the message had nothing to send".into(),
                    code: format!("{family}_{SEND_FAILED}"),
                    provider_code: "other".into(),
                    retryable: false,
                },
                timestamp,
            ),
            Some(error) => {
                let mut summary = channel_error(family, error);
                if !ids.is_empty() {
                    summary.message = format!("{} ({} parts were sent)", summary.message, ids.len());
                }
                Self {
                    message_id: first,
                    message_ids: (!ids.is_empty()).then_some(ids),
                    ..Self::failed(summary, timestamp)
                }
            }
        }
    }

    /// A send that failed as a whole.
    pub fn failed(summary: ErrorSummary, timestamp: u64) -> Self {
        Self {
            success: false,
            message_id: None,
            message_ids: None,
            error: Some(summary.message),
            error_code: Some(summary.code),
            provider_code: Some(summary.provider_code),
            retryable: Some(summary.retryable),
            timestamp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::messaging::SendReceipt;
    use crate::bindings::types::{InvalidField, ProviderError, RetrySchedule};

    fn provider(code: i64, class: ErrorClass, retry: bool) -> ChannelError {
        ChannelError::Provider(ProviderError {
            http_status: 400,
            code: Some(code),
            subcode: None,
            error_type: None,
            message: "Meta said no".into(),
            details: Some("the details".into()),
            trace_id: None,
            class,
            retry: retry.then_some(RetrySchedule { first_delay_ms: 1000, multiplier: 2, not_before_ms: None }),
        })
    }

    #[test]
    fn meta_errors_get_omnis_codes_by_class_and_keep_their_own() {
        let cases = [
            (provider(190, ErrorClass::Auth, false), "WHATSAPP_AUTH_FAILED", "190", false),
            (provider(130429, ErrorClass::Throttled, true), "WHATSAPP_RATE_LIMITED", "130429", true),
            (provider(131047, ErrorClass::Terminal, false), "WHATSAPP_SEND_FAILED", "131047", false),
        ];
        for (error, code, provider_code, retryable) in cases {
            let summary = channel_error("WHATSAPP", &error);
            assert_eq!(
                (summary.code.as_str(), summary.provider_code.as_str(), summary.retryable),
                (code, provider_code, retryable)
            );
            assert_eq!(summary.message, "Meta said no: the details");
        }
        let to = ChannelError::InvalidRequest(InvalidField { field: "to".into(), reason: "not a number".into() });
        assert_eq!(channel_error("WHATSAPP", &to).code, "WHATSAPP_INVALID_PHONE");
        assert_eq!(host_error("WHATSAPP", &HostError::UnknownInstance("x".into())).code, "WHATSAPP_NOT_CONNECTED");
        let busy = host_error("WHATSAPP", &HostError::Busy(std::time::Duration::from_secs(30)));
        assert!(busy.retryable, "a call never made may be made again");
    }

    #[test]
    fn a_send_in_parts_names_every_part_and_a_failure_what_went_out() {
        let receipt = |id: &str| SendReceipt {
            message_id: id.into(),
            recipient_id: Some("1".into()),
            message_status: None,
            event_id: "e".into(),
        };
        let sent = PartsOutcome { sent: vec![receipt("w1"), receipt("w2")], failure: None, attempts: 2 };
        let result = serde_json::to_value(SendResult::of_parts("WHATSAPP", &sent, 7)).unwrap();
        assert_eq!(
            result,
            serde_json::json!({"success": true, "messageId": "w1", "messageIds": ["w1", "w2"], "timestamp": 7})
        );
        let half = PartsOutcome {
            sent: vec![receipt("w1")],
            failure: Some(provider(131047, ErrorClass::Terminal, false)),
            attempts: 2,
        };
        let result = SendResult::of_parts("WHATSAPP", &half, 7);
        assert_eq!((result.success, result.message_id.as_deref()), (false, Some("w1")));
        assert!(result.error.unwrap().ends_with("(1 parts were sent)"));
    }
}
