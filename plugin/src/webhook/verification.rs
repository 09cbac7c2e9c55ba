//! Meta's GET handshake: `hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`.

use super::{error_response, query};
use crate::config::InstanceConfig;
use crate::wit::webhook::OutgoingResponse;
use omni_channel_vocabulary::constant_time_eq;

/// Longest challenge echoed back; Meta's are short integers.
const MAX_CHALLENGE_LEN: usize = 256;

/// 200 with the challenge on a match, 403 on a wrong mode or token, 400 when a parameter is
/// missing.
pub fn handle(config: &InstanceConfig, query_string: &str) -> OutgoingResponse {
    let param = |key| query::param(query_string, key);
    let (Some(mode), Some(token), Some(challenge)) =
        (param("hub.mode"), param("hub.verify_token"), param("hub.challenge"))
    else {
        return error_response(400, "hub.mode, hub.verify_token and hub.challenge are required");
    };
    if challenge.is_empty() || challenge.len() > MAX_CHALLENGE_LEN {
        return error_response(400, "hub.challenge is empty or too long");
    }
    if mode != "subscribe" || !constant_time_eq(token.as_bytes(), config.verify_token.as_bytes()) {
        return error_response(403, "verification failed");
    }
    OutgoingResponse {
        status: 200,
        headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
        body: challenge.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::sample;

    #[test]
    fn echoes_the_challenge_on_a_match() {
        let r = handle(&sample(), "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me");
        assert_eq!((r.status, r.body.as_slice()), (200, &b"1158201444"[..]));
    }

    #[test]
    fn refuses_wrong_token_or_mode() {
        assert_eq!(handle(&sample(), "hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope").status, 403);
        assert_eq!(handle(&sample(), "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me").status, 403);
    }

    #[test]
    fn missing_parameters_are_bad_requests() {
        assert_eq!(handle(&sample(), "").status, 400);
        assert_eq!(handle(&sample(), "hub.mode=subscribe&hub.verify_token=verify-me").status, 400);
        let long = "9".repeat(MAX_CHALLENGE_LEN + 1);
        assert_eq!(
            handle(&sample(), &format!("hub.mode=subscribe&hub.challenge={long}&hub.verify_token=verify-me")).status,
            400
        );
    }
}
