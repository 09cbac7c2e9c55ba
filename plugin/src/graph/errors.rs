//! Graph API errors: the one table that classifies Meta's error codes, used both for failed
//! sends and for `failed` status webhooks, and the parsing of Graph error responses.

use std::ops::RangeInclusive;

use crate::json::Node;

use crate::lenient::{code_field, str_field};
use crate::wit::types::{ErrorClass, ProviderError, RetrySchedule};

/// How one range of Graph error codes is handled.
pub struct ErrorRule {
    pub codes: RangeInclusive<i64>,
    pub class: ErrorClass,
    /// First delay in ms and growth factor, for retryable classes.
    pub backoff: Option<(u32, u32)>,
    /// What the code means, for docs and logs.
    pub meaning: &'static str,
}

const fn rule(
    codes: RangeInclusive<i64>,
    class: ErrorClass,
    backoff: Option<(u32, u32)>,
    meaning: &'static str,
) -> ErrorRule {
    ErrorRule { codes, class, backoff, meaning }
}

use ErrorClass::{Auth, Terminal, Throttled, Transient};

/// Default backoff for transient failures: 1 s, then doubling.
const TRANSIENT_BACKOFF: (u32, u32) = (1_000, 2);

/// An hour, then doubling: limits Meta lifts after a pause it does not announce. Longer than
/// any host's retry budget, so the host stops at once and the failure says "retryable" to omni.
const LONG_PAUSE: (u32, u32) = (3_600_000, 2);

/// Meta's error codes and what to do about them (from Meta's error-code reference, its
/// Calling, Groups and business-scoped user id pages, 2026). `docs/outbound.md` lists the same
/// table; a test keeps the two in step.
pub const ERROR_TABLE: &[ErrorRule] = &[
    // Throttling: retry later, never sooner than advised.
    rule(4..=4, Throttled, Some((60_000, 2)), "application request limit reached"),
    rule(80007..=80007, Throttled, Some((60_000, 2)), "WhatsApp Business Account rate limit reached"),
    rule(130429..=130429, Throttled, Some((1_000, 2)), "throughput limit reached for the phone number"),
    rule(131048..=131048, Throttled, Some((60_000, 2)), "spam rate limit: the number may send fewer messages for now"),
    rule(
        131056..=131056,
        Throttled,
        Some((4_000, 4)),
        "pair rate limit: too many messages to one user (back off 4^n s)",
    ),
    rule(
        131064..=131064,
        Throttled,
        Some(LONG_PAUSE),
        "messaging limit reached after template classification violations (a pause of hours)",
    ),
    rule(131208..=131208, Throttled, Some((60_000, 2)), "group API rate limit reached"),
    rule(133016..=133016, Throttled, Some((60_000, 2)), "registration rate limit reached"),
    rule(138002..=138002, Throttled, Some((10_000, 2)), "concurrent calls limit reached for the number"),
    rule(138005..=138005, Throttled, Some((60_000, 2)), "call rate limit reached for the number"),
    rule(138012..=138012, Throttled, Some(LONG_PAUSE), "business-initiated calls limit: 5 connected calls a day"),
    // Passing failures on Meta's side.
    rule(1..=1, Transient, Some(TRANSIENT_BACKOFF), "unknown API error"),
    rule(2..=2, Transient, Some(TRANSIENT_BACKOFF), "API service temporarily unavailable"),
    rule(131000..=131000, Transient, Some(TRANSIENT_BACKOFF), "something went wrong"),
    rule(131016..=131016, Transient, Some(TRANSIENT_BACKOFF), "service overloaded"),
    rule(131057..=131057, Transient, Some((60_000, 2)), "business account in maintenance mode"),
    rule(138004..=138004, Transient, Some(TRANSIENT_BACKOFF), "error while connecting the call"),
    rule(2494100..=2494100, Transient, Some((60_000, 2)), "phone number in maintenance mode (migration)"),
    // The token itself is unusable: stop and mark the instance disconnected.
    rule(0..=0, Auth, None, "authentication exception"),
    rule(102..=102, Auth, None, "API session expired or invalid"),
    rule(190..=190, Auth, None, "access token expired or invalid"),
    // A permission about one capability or asset: this request is refused, the token still works.
    rule(3..=3, Terminal, None, "API method not permitted for this app"),
    rule(10..=10, Terminal, None, "permission denied"),
    rule(200..=299, Terminal, None, "API permission missing"),
    // The request itself is wrong or not allowed: retrying repeats the failure.
    rule(100..=100, Terminal, None, "invalid parameter"),
    rule(368..=368, Terminal, None, "temporarily blocked for policy violations"),
    rule(130472..=130472, Terminal, None, "user's number is part of an experiment"),
    rule(130497..=130497, Terminal, None, "business account may not message users in this country"),
    rule(131008..=131008, Terminal, None, "required parameter missing"),
    rule(131009..=131009, Terminal, None, "parameter value not valid"),
    rule(131026..=131026, Terminal, None, "message undeliverable"),
    rule(131030..=131030, Terminal, None, "recipient not in the allowed list (test number)"),
    rule(131031..=131031, Terminal, None, "business account locked"),
    rule(131042..=131042, Terminal, None, "payment method problem on the business account"),
    rule(131045..=131045, Terminal, None, "phone number registration problem (certificate)"),
    rule(131047..=131047, Terminal, None, "more than 24 hours since the user last wrote: send a template"),
    rule(131049..=131049, Terminal, None, "not delivered to maintain healthy ecosystem engagement (wait 24 h)"),
    rule(131050..=131050, Terminal, None, "user stopped marketing messages"),
    rule(131051..=131051, Terminal, None, "unsupported message type"),
    rule(131052..=131052, Terminal, None, "media download error"),
    rule(131053..=131053, Terminal, None, "media upload error"),
    rule(131062..=131062, Terminal, None, "this message cannot go to a business-scoped user id: send to the number"),
    rule(131063..=131063, Terminal, None, "marketing templates go through the Marketing Messages API on this account"),
    rule(131200..=131207, Terminal, None, "group request refused (participants, limits, suspended group)"),
    rule(131209..=131215, Terminal, None, "group request refused (picture, limits, not eligible for groups)"),
    rule(132000..=132018, Terminal, None, "template problem (parameters, format, status)"),
    rule(137000..=137000, Terminal, None, "the recipient's identity key changed: confirm it or send without a hash"),
    rule(138000..=138001, Terminal, None, "calling not enabled, or the user cannot be called"),
    rule(138003..=138003, Terminal, None, "a call with this user is already going on"),
    rule(138006..=138011, Terminal, None, "call refused (no permission from the user, timeout, request limits)"),
    rule(138013..=138018, Terminal, None, "calling refused (permission lookups, prerequisites)"),
    rule(147001..=147005, Terminal, None, "username refused (taken, account not eligible)"),
];

/// The rule for a Graph error code, if the table knows it.
pub fn rule_for(code: i64) -> Option<&'static ErrorRule> {
    ERROR_TABLE.iter().find(|rule| rule.codes.contains(&code))
}

/// Class and backoff of an error, from its code, the HTTP status and Meta's `is_transient` flag.
///
/// Unknown codes fall back on the HTTP status: 429 is throttling, 5xx transient, 401/403 auth,
/// other 4xx terminal. `is_transient` makes an otherwise terminal error transient.
pub fn classify(code: Option<i64>, http_status: Option<u16>, is_transient: bool) -> (ErrorClass, Option<(u32, u32)>) {
    if let Some(rule) = code.and_then(rule_for) {
        if rule.class == Terminal && is_transient {
            return (Transient, Some(TRANSIENT_BACKOFF));
        }
        return (rule.class, rule.backoff);
    }
    match http_status {
        Some(429) => (Throttled, Some(TRANSIENT_BACKOFF)),
        Some(500..=599) => (Transient, Some(TRANSIENT_BACKOFF)),
        _ if is_transient => (Transient, Some(TRANSIENT_BACKOFF)),
        Some(401 | 403) => (Auth, None),
        _ => (Terminal, None),
    }
}

/// Whether an error with this code can be retried (for `failed` statuses, which have no HTTP
/// status of their own).
pub fn is_retryable_code(code: i64) -> bool {
    classify(Some(code), None, false).1.is_some()
}

/// Turns a non-2xx Graph response into a typed provider error.
pub fn from_response(status: u16, headers: &[(String, String)], body: &[u8]) -> ProviderError {
    let header = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    // `{"error": {...}}`, read field by field: a field of an unexpected type (other Graph
    // endpoints send `error_data` as a string) must not cost the code that classifies it.
    let envelope = Node::parse(body).ok();
    let error = envelope.as_ref().and_then(|v| v.get("error")).filter(|e| e.members().is_some());
    let (code, subcode, error_type, message, details, trace, transient) = match error {
        Some(e) => {
            let text = |key: &str| str_field(e, key).map(|s| s.into_owned());
            let details = match e.get("error_data") {
                Some(Node::Str(details)) => Some(details.to_string()),
                Some(data) => str_field(data, "details").map(|s| s.into_owned()),
                None => None,
            };
            let transient = matches!(e.get("is_transient"), Some(Node::Bool(true)))
                || matches!(e.get("is_transient"), Some(Node::Str(s)) if s == "true");
            (
                code_field(e, "code"),
                code_field(e, "error_subcode"),
                text("type"),
                text("message").or_else(|| text("error_user_msg")).unwrap_or_else(|| format!("HTTP {status}")),
                details,
                text("fbtrace_id"),
                transient,
            )
        }
        None => (None, None, None, non_json_message(status, body), None, None, false),
    };
    let (class, backoff) = classify(code, Some(status), transient);
    let retry = backoff.map(|(first_delay_ms, multiplier)| RetrySchedule {
        first_delay_ms,
        multiplier,
        not_before_ms: retry_after_ms(&header),
    });
    ProviderError {
        http_status: status,
        code,
        subcode,
        error_type,
        message,
        details,
        trace_id: trace.or_else(|| header("x-fb-trace-id").map(str::to_owned)),
        class,
        retry,
    }
}

/// A short description of a body that is not a Graph error (a proxy's HTML page, say). Its
/// words are not quoted: they come from whatever answered, which may be no Graph API at all
/// (an internal service's error page), and the message travels to API callers and logs.
fn non_json_message(status: u16, body: &[u8]) -> String {
    if body.iter().all(u8::is_ascii_whitespace) {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status} with a body that is not a Graph error ({} bytes, not quoted)", body.len())
    }
}

/// When Meta says access comes back: `x-business-use-case-usage`'s
/// `estimated_time_to_regain_access` (minutes, the largest over all entries), else
/// `Retry-After` (seconds).
fn retry_after_ms<'a>(header: &impl Fn(&str) -> Option<&'a str>) -> Option<u64> {
    let from_usage = header("x-business-use-case-usage").and_then(|value| {
        let usage: serde_json::Value = serde_json::from_str(value).ok()?;
        usage
            .as_object()?
            .values()
            .filter_map(|v| v.as_array())
            .flatten()
            .filter_map(|entry| entry.get("estimated_time_to_regain_access")?.as_u64())
            .max()
            .filter(|minutes| *minutes > 0)
            .map(|minutes| minutes.saturating_mul(60_000))
    });
    from_usage.or_else(|| header("retry-after")?.trim().parse::<u64>().ok().map(|s| s.saturating_mul(1_000)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_error(code: i64, transient: Option<bool>) -> Vec<u8> {
        let mut error = serde_json::json!({
            "message": "(#131047) Re-engagement message",
            "type": "OAuthException",
            "code": code,
            "error_subcode": 2494010,
            "error_data": {"messaging_product": "whatsapp", "details": "Message failed to send because more than 24 hours have passed"},
            "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
        });
        if let Some(t) = transient {
            error["is_transient"] = t.into();
        }
        serde_json::to_vec(&serde_json::json!({ "error": error })).unwrap()
    }

    #[test]
    fn codes_do_not_overlap() {
        for (i, a) in ERROR_TABLE.iter().enumerate() {
            for b in &ERROR_TABLE[i + 1..] {
                assert!(
                    a.codes.end() < b.codes.start() || b.codes.end() < a.codes.start(),
                    "{:?} overlaps {:?}",
                    a.codes,
                    b.codes
                );
            }
            assert_eq!(a.backoff.is_some(), matches!(a.class, Throttled | Transient), "{:?}", a.codes);
        }
    }

    #[test]
    fn re_engagement_window_is_terminal_with_every_field() {
        let e = from_response(400, &[], &graph_error(131047, None));
        assert_eq!(e.code, Some(131047));
        assert_eq!(e.subcode, Some(2494010));
        assert_eq!(e.error_type.as_deref(), Some("OAuthException"));
        assert_eq!(e.trace_id.as_deref(), Some("Az8or2yhqkZfEZ-_4Qn_Bam"));
        assert!(e.details.unwrap().contains("24 hours"));
        assert_eq!(e.class, Terminal);
        assert_eq!(e.retry, None);
    }

    #[test]
    fn throughput_limit_is_retryable_after_the_advised_time() {
        let usage = r#"{"102290129340398":[{"type":"whatsapp","call_count":100,"estimated_time_to_regain_access":2},{"estimated_time_to_regain_access":5}]}"#;
        let headers = [("X-Business-Use-Case-Usage".to_owned(), usage.to_owned())];
        let e = from_response(400, &headers, &graph_error(130429, None));
        assert_eq!(e.class, Throttled);
        assert_eq!(e.retry, Some(RetrySchedule { first_delay_ms: 1_000, multiplier: 2, not_before_ms: Some(300_000) }));
    }

    #[test]
    fn pair_rate_limit_backs_off_by_powers_of_four() {
        let e = from_response(400, &[("retry-after".into(), "7".into())], &graph_error(131056, None));
        assert_eq!(e.retry, Some(RetrySchedule { first_delay_ms: 4_000, multiplier: 4, not_before_ms: Some(7_000) }));
    }

    #[test]
    fn only_an_unusable_token_is_auth() {
        assert_eq!(from_response(401, &[], &graph_error(190, None)).class, Auth);
        assert_eq!(from_response(401, &[], &graph_error(102, None)).class, Auth);
        // Permission errors concern one capability or asset: the token still works.
        for code in [3, 10, 200, 230, 299] {
            assert_eq!(from_response(403, &[], &graph_error(code, None)).class, Terminal, "{code}");
        }
    }

    #[test]
    fn odd_field_types_do_not_cost_the_code() {
        // Other Graph endpoints send error_data as a string; a proxy may stringify numbers.
        let body = br#"{"error":{"message":"Rate limit hit","code":"130429","error_data":"Too many messages","fbtrace_id":"A1","extra":[1]}}"#;
        let e = from_response(400, &[], body);
        assert_eq!((e.code, e.class), (Some(130429), Throttled));
        assert_eq!(e.details.as_deref(), Some("Too many messages"));
        assert_eq!(e.trace_id.as_deref(), Some("A1"));
        let e = from_response(400, &[], br#"{"error":{"code":190,"error_data":null,"is_transient":"false"}}"#);
        assert_eq!((e.code, e.class, e.message.as_str()), (Some(190), Auth, "HTTP 400"));
    }

    #[test]
    fn unknown_codes_follow_http_status_and_is_transient() {
        assert_eq!(from_response(503, &[], &graph_error(999_999, None)).class, Transient);
        assert_eq!(from_response(429, &[], &graph_error(999_999, None)).class, Throttled);
        assert_eq!(from_response(400, &[], &graph_error(999_999, None)).class, Terminal);
        assert_eq!(from_response(400, &[], &graph_error(999_999, Some(true))).class, Transient);
        assert_eq!(from_response(400, &[], &graph_error(100, Some(true))).class, Transient);
    }

    #[test]
    fn non_json_bodies_are_not_quoted_the_trace_header_is_kept() {
        let e = from_response(502, &[("x-fb-trace-id".into(), "T1".into())], b"<html>Bad Gateway</html>");
        assert_eq!(e.message, "HTTP 502 with a body that is not a Graph error (24 bytes, not quoted)");
        assert_eq!(e.trace_id.as_deref(), Some("T1"));
        assert_eq!(e.class, Transient);
        assert_eq!(from_response(500, &[], b"").message, "HTTP 500");
    }

    #[test]
    fn the_spam_rate_limit_is_throttling() {
        let e = from_response(400, &[], &graph_error(131048, None));
        assert_eq!(e.class, Throttled);
        assert!(e.retry.is_some());
        assert!(is_retryable_code(131048));
    }

    #[test]
    fn the_2026_codes_have_their_classes() {
        for code in [131064, 131208, 133016, 138002, 138005, 138012] {
            assert_eq!(from_response(400, &[], &graph_error(code, None)).class, Throttled, "{code}");
        }
        for code in [138004, 2494100] {
            assert_eq!(from_response(400, &[], &graph_error(code, None)).class, Transient, "{code}");
        }
        for code in
            [130497, 131042, 131045, 131062, 131063, 131201, 131215, 137000, 138000, 138003, 138006, 138018, 147003]
        {
            assert_eq!(from_response(400, &[], &graph_error(code, None)).class, Terminal, "{code}");
        }
        // A limit lifted after hours: retryable for omni, beyond any host's retry budget.
        assert!(is_retryable_code(131064));
        assert!(rule_for(131064).unwrap().backoff.unwrap().0 >= 3_600_000);
    }

    #[test]
    fn the_docs_list_the_table() {
        let docs = include_str!("../../../docs/outbound.md");
        for rule in ERROR_TABLE {
            let (start, end) = (rule.codes.start(), rule.codes.end());
            let cell = if start == end { format!("| {start} |") } else { format!("| {start}–{end} |") };
            let row = docs
                .lines()
                .find(|l| l.starts_with(&cell))
                .unwrap_or_else(|| panic!("docs/outbound.md has no row {cell}"));
            let class = match rule.class {
                Transient => "transient",
                Throttled => "throttled",
                Auth => "auth",
                Terminal => "terminal",
            };
            assert!(row.contains(&format!("| {class} |")), "{row} should say {class}");
        }
    }

    #[test]
    fn status_codes_without_http_status() {
        assert!(is_retryable_code(130429));
        assert!(is_retryable_code(131000));
        assert!(!is_retryable_code(131047));
        assert!(!is_retryable_code(190));
        assert!(!is_retryable_code(424242));
    }
}
