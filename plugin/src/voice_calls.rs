//! WhatsApp's Calling API: `POST /{phone-number-id}/calls` with an `action`. The plugin only
//! signals; the audio flows between the user and a WebRTC peer the operator runs, which makes
//! the SDP offers and answers passed here.

use serde_json::{Value, json};

use crate::call::Call;
use crate::chat_id::{self, Recipient};
use crate::graph::{self, Idempotency};
use crate::host::Host;
use crate::outbound::checks::{self, invalid};
use crate::wit::calls::{CallAction, Session};
use crate::wit::outbound_http::Method;
use crate::wit::types::{ChannelError, Instance, InvalidField};

/// Meta's limit on `biz_opaque_callback_data`.
const CALLBACK_DATA_CHARS: usize = 512;

/// Makes one call action; the call's id (the new one for `connect`).
pub fn call_action(host: &dyn Host, instance: &Instance, action: &CallAction) -> Result<String, ChannelError> {
    Call::run(host, instance, |call| {
        let body = action_body(action).map_err(ChannelError::InvalidRequest)?;
        // Ringing a phone twice is worse than not knowing: a new call is never re-sent blind.
        // The other actions name their call, and Meta applies each once.
        let idempotency =
            if matches!(action, CallAction::Connect(_)) { Idempotency::NotIdempotent } else { Idempotency::Idempotent };
        let path = format!("{}/calls", call.config.phone_number_id);
        let reply =
            graph::call(call.host, &graph::request(&call.config, Method::Post, &path, Some(&body)), idempotency)?;
        match action {
            CallAction::Connect(_) => match reply.pointer("/calls/0/id").and_then(Value::as_str) {
                Some(id) => Ok(id.to_owned()),
                None => Err(ChannelError::OutcomeUnknown(format!("Meta named no call for the new call: {reply}"))),
            },
            _ if reply.get("success").and_then(Value::as_bool) == Some(true) => Ok(call_id(action).to_owned()),
            _ => Err(ChannelError::Other(format!("Meta did not confirm the call action: {reply}"))),
        }
    })
}

/// The call an action names (empty for `connect`, whose id Meta gives).
fn call_id(action: &CallAction) -> &str {
    match action {
        CallAction::Connect(_) => "",
        CallAction::PreAccept(answer) | CallAction::Accept(answer) => &answer.call_id,
        CallAction::Reject(id) | CallAction::Terminate(id) => id,
    }
}

/// The request body, within Meta's rules, naming the field at fault otherwise.
pub(crate) fn action_body(action: &CallAction) -> Result<Value, InvalidField> {
    let mut body = json!({ "messaging_product": "whatsapp" });
    let (name, session, callback) = match action {
        CallAction::Connect(start) => {
            body["to"] = json!(callee(&start.to)?);
            ("connect", Some((&start.session, "offer")), start.callback_data.as_deref())
        }
        CallAction::PreAccept(answer) => ("pre_accept", Some((&answer.session, "answer")), None),
        CallAction::Accept(answer) => ("accept", Some((&answer.session, "answer")), answer.callback_data.as_deref()),
        CallAction::Reject(_) => ("reject", None, None),
        CallAction::Terminate(_) => ("terminate", None, None),
    };
    if !matches!(action, CallAction::Connect(_)) {
        body["call_id"] = json!(call_id_checked(call_id(action))?);
    }
    body["action"] = json!(name);
    if let Some((session, expected)) = session {
        body["session"] = session_object(session, expected)?;
    }
    if let Some(data) = callback {
        checks::text("callbackData", data, CALLBACK_DATA_CHARS)?;
        body["biz_opaque_callback_data"] = json!(data);
    }
    Ok(body)
}

/// Calls go to a person's number: not to a group, nor to a user known only by a BSUID.
fn callee(to: &str) -> Result<String, InvalidField> {
    match chat_id::parse_recipient(to) {
        Ok(Recipient::Phone(number)) => Ok(number),
        Ok(Recipient::Group(_)) => Err(invalid("to", "WhatsApp calls a person, not a group")),
        Ok(Recipient::UserId(_)) => Err(invalid("to", "WhatsApp calls a phone number; this user shows none")),
        Err(reason) => Err(invalid("to", reason)),
    }
}

fn call_id_checked(id: &str) -> Result<&str, InvalidField> {
    let id = id.trim();
    if id.is_empty() || id.chars().any(char::is_whitespace) {
        return Err(invalid("callId", "a call id (`wacid.…`, from the call's events)"));
    }
    Ok(id)
}

/// `{sdp_type, sdp}`, where the business's side is always of type `expected`.
fn session_object(session: &Session, expected: &str) -> Result<Value, InvalidField> {
    if session.sdp_type != expected {
        return Err(invalid("session.sdpType", format!("the business's side here is an `{expected}`")));
    }
    if session.sdp.trim().is_empty() {
        return Err(invalid("session.sdp", "an SDP (RFC 8866) is required"));
    }
    Ok(json!({ "sdp_type": session.sdp_type, "sdp": session.sdp }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wit::calls::{CallAnswer, CallStart};

    fn session(kind: &str) -> Session {
        Session { sdp_type: kind.into(), sdp: "v=0\r\n".into() }
    }

    #[test]
    fn each_action_has_metas_body() {
        let start =
            CallStart { to: "+1 650-555-1234".into(), session: session("offer"), callback_data: Some("t1".into()) };
        assert_eq!(
            action_body(&CallAction::Connect(start)).unwrap(),
            json!({"messaging_product": "whatsapp", "to": "16505551234", "action": "connect",
                   "session": {"sdp_type": "offer", "sdp": "v=0\r\n"}, "biz_opaque_callback_data": "t1"})
        );
        let answer = CallAnswer { call_id: "wacid.A".into(), session: session("answer"), callback_data: None };
        assert_eq!(
            action_body(&CallAction::PreAccept(answer.clone())).unwrap(),
            json!({"messaging_product": "whatsapp", "call_id": "wacid.A", "action": "pre_accept",
                   "session": {"sdp_type": "answer", "sdp": "v=0\r\n"}})
        );
        assert_eq!(action_body(&CallAction::Accept(answer)).unwrap()["action"], "accept");
        assert_eq!(
            action_body(&CallAction::Reject("wacid.A".into())).unwrap(),
            json!({"messaging_product": "whatsapp", "call_id": "wacid.A", "action": "reject"})
        );
        assert_eq!(action_body(&CallAction::Terminate("wacid.A".into())).unwrap()["action"], "terminate");
    }

    #[test]
    fn bad_actions_name_their_field() {
        let to = |to: &str| CallStart { to: to.into(), session: session("offer"), callback_data: None };
        assert_eq!(action_body(&CallAction::Connect(to("120363025246125486@g.us"))).unwrap_err().field, "to");
        assert_eq!(action_body(&CallAction::Connect(to("US.13491208655302741918"))).unwrap_err().field, "to");
        let wrong_side = CallStart { to: "16505551234".into(), session: session("answer"), callback_data: None };
        assert_eq!(action_body(&CallAction::Connect(wrong_side)).unwrap_err().field, "session.sdpType");
        let empty = CallAnswer {
            call_id: "wacid.A".into(),
            session: Session { sdp_type: "answer".into(), sdp: " ".into() },
            callback_data: None,
        };
        assert_eq!(action_body(&CallAction::Accept(empty)).unwrap_err().field, "session.sdp");
        assert_eq!(action_body(&CallAction::Reject(" ".into())).unwrap_err().field, "callId");
        let long =
            CallStart { to: "16505551234".into(), session: session("offer"), callback_data: Some("x".repeat(513)) };
        assert_eq!(action_body(&CallAction::Connect(long)).unwrap_err().field, "callbackData");
    }
}
