//! WhatsApp's Groups API, for accounts Meta made eligible: creating a group
//! (`POST /{phone-number-id}/groups`), its invite link (`/{group-id}/invite_link`), removing
//! participants (`DELETE /{group-id}/participants`), join requests (`/{group-id}/join_requests`)
//! and deleting it (`DELETE /{group-id}`). Each request is checked against Meta's limits first,
//! so a refusal names the field; an account without groups gets Meta's 131215, terminal.

use serde_json::{Value, json};

use crate::call::Call;
use crate::chat_id::{self, Recipient};
use crate::graph::{self, Idempotency};
use crate::host::Host;
use crate::outbound::checks::{self, invalid};
use crate::wit::account::UserFailure;
use crate::wit::groups::{GroupAction, GroupOutcome, GroupRequests, JoinApproval, JoinRequest};
use crate::wit::outbound_http::Method;
use crate::wit::types::{ChannelError, Instance, InvalidField};

/// Most participants one removal may name.
const MAX_REMOVED: usize = 8;

/// Makes one group action.
pub fn act(host: &dyn Host, instance: &Instance, action: &GroupAction) -> Result<GroupOutcome, ChannelError> {
    Call::run(host, instance, |call| {
        let (method, path, body) =
            request(&call.config.phone_number_id, action).map_err(ChannelError::InvalidRequest)?;
        // Creating twice makes two groups: a lost answer is unknown, never re-sent blind.
        let idempotency =
            if matches!(action, GroupAction::Create(_)) { Idempotency::NotIdempotent } else { Idempotency::Idempotent };
        let reply = graph::call(call.host, &graph::request(&call.config, method, &path, body.as_ref()), idempotency)?;
        Ok(outcome(action, &reply))
    })
}

/// The Graph request of an action: method, path and body.
pub(crate) fn request(
    phone_number_id: &str,
    action: &GroupAction,
) -> Result<(Method, String, Option<Value>), InvalidField> {
    let product = json!({ "messaging_product": "whatsapp" });
    Ok(match action {
        GroupAction::Create(spec) => {
            checks::text("subject", &spec.subject, 128)?;
            checks::optional_text("description", spec.description.as_deref(), 2048)?;
            let mut body = json!({ "messaging_product": "whatsapp", "subject": spec.subject.trim() });
            if let Some(description) = &spec.description {
                body["description"] = json!(description);
            }
            if let Some(approval) = spec.join_approval {
                body["join_approval_mode"] = json!(match approval {
                    JoinApproval::AutoApprove => "auto_approve",
                    JoinApproval::ApprovalRequired => "approval_required",
                });
            }
            (Method::Post, format!("{phone_number_id}/groups"), Some(body))
        }
        GroupAction::InviteLink(group) => (Method::Get, format!("{}/invite_link", group_id(group)?), None),
        GroupAction::ResetInviteLink(group) => {
            (Method::Post, format!("{}/invite_link", group_id(group)?), Some(product))
        }
        GroupAction::RemoveParticipants(users) => {
            let group = group_id(&users.group_id)?;
            checks::count("users", users.users.len(), 1..=MAX_REMOVED)?;
            let participants = users
                .users
                .iter()
                .enumerate()
                .map(|(i, user)| participant(&format!("users[{i}]"), user))
                .collect::<Result<Vec<_>, _>>()?;
            let body = json!({ "messaging_product": "whatsapp", "participants": participants });
            (Method::Delete, format!("{group}/participants"), Some(body))
        }
        GroupAction::JoinRequests(group) => (Method::Get, format!("{}/join_requests", group_id(group)?), None),
        GroupAction::ApproveJoinRequests(requests) => {
            (Method::Post, format!("{}/join_requests", group_id(&requests.group_id)?), Some(join_body(requests)?))
        }
        GroupAction::RejectJoinRequests(requests) => {
            (Method::Delete, format!("{}/join_requests", group_id(&requests.group_id)?), Some(join_body(requests)?))
        }
        GroupAction::Delete(group) => (Method::Delete, group_id(group)?.to_owned(), None),
    })
}

/// A group id, given bare or as omni's chat id (`…@g.us`).
fn group_id(group: &str) -> Result<String, InvalidField> {
    let bare = group.trim().strip_suffix(chat_id::GROUP_SUFFIX).unwrap_or(group.trim());
    match chat_id::parse_recipient(&chat_id::group(bare)) {
        Ok(Recipient::Group(id)) => Ok(id),
        Ok(_) => Err(invalid("groupId", "not a group id")),
        Err(reason) => Err(invalid("groupId", reason)),
    }
}

/// `{user}` for a phone number, `{user_id}` for a business-scoped user id.
fn participant(field: &str, user: &str) -> Result<Value, InvalidField> {
    match chat_id::parse_recipient(user) {
        Ok(Recipient::Phone(number)) => Ok(json!({ "user": number })),
        Ok(Recipient::UserId(id)) => Ok(json!({ "user_id": id })),
        Ok(Recipient::Group(_)) => Err(invalid(field, "a group is not a participant")),
        Err(reason) => Err(invalid(field, reason)),
    }
}

fn join_body(requests: &GroupRequests) -> Result<Value, InvalidField> {
    checks::count("requestIds", requests.request_ids.len(), 1..=1000)?;
    for (i, id) in requests.request_ids.iter().enumerate() {
        checks::text(&format!("requestIds[{i}]"), id, 256)?;
    }
    Ok(json!({ "messaging_product": "whatsapp", "join_requests": requests.request_ids }))
}

/// What Meta's answer says, read leniently: the fields of an answer Meta has not documented
/// (removals and deletions) are taken when they are there.
fn outcome(action: &GroupAction, reply: &Value) -> GroupOutcome {
    let text = |key: &str| reply.get(key).and_then(Value::as_str).map(str::to_owned);
    let list = |key: &str| reply.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let join_requests = match action {
        GroupAction::JoinRequests(_) => list("data").iter().filter_map(listed_request).collect(),
        _ => Vec::new(),
    };
    let decided_key = match action {
        GroupAction::ApproveJoinRequests(_) => Some("approved_join_requests"),
        GroupAction::RejectJoinRequests(_) => Some("rejected_join_requests"),
        _ => None,
    };
    let decided =
        decided_key.map(list).unwrap_or_default().iter().filter_map(Value::as_str).map(str::to_owned).collect();
    let failed: Vec<UserFailure> = list("failed_join_requests")
        .iter()
        .map(|f| UserFailure {
            user: f.get("join_request_id").and_then(Value::as_str).unwrap_or_default().to_owned(),
            reason: f.pointer("/errors/0/message").and_then(Value::as_str).unwrap_or("refused by Meta").to_owned(),
        })
        .collect();
    GroupOutcome { request_id: text("request_id"), invite_link: text("invite_link"), join_requests, decided, failed }
}

/// `{join_request_id, wa_id | user_id, creation_timestamp}`.
fn listed_request(entry: &Value) -> Option<JoinRequest> {
    let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_owned);
    Some(JoinRequest {
        id: text("join_request_id")?,
        user: text("wa_id").or_else(|| text("user_id")).unwrap_or_default(),
        requested_at_ms: entry.get("creation_timestamp").and_then(Value::as_u64).map(|s| s.saturating_mul(1000)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wit::groups::{GroupSpec, GroupUsers};

    const PHONE: &str = "106540352242922";
    const GROUP: &str = "120363025246125486";

    fn body(action: GroupAction) -> (Method, String, Option<Value>) {
        request(PHONE, &action).unwrap()
    }

    #[test]
    fn each_action_is_metas_request() {
        let spec = GroupSpec {
            subject: " Launch crew ".into(),
            description: Some("Plans".into()),
            join_approval: Some(JoinApproval::ApprovalRequired),
        };
        let (method, path, json) = body(GroupAction::Create(spec));
        assert_eq!((method, path.as_str()), (Method::Post, "106540352242922/groups"));
        assert_eq!(
            json.unwrap(),
            json!({"messaging_product": "whatsapp", "subject": "Launch crew", "description": "Plans",
                   "join_approval_mode": "approval_required"})
        );
        assert_eq!(body(GroupAction::InviteLink(format!("{GROUP}@g.us"))).1, format!("{GROUP}/invite_link"));
        assert_eq!(body(GroupAction::ResetInviteLink(GROUP.into())).0, Method::Post);
        let users = GroupUsers {
            group_id: GROUP.into(),
            users: vec!["+1 650 555 1234".into(), "US.13491208655302741918".into()],
        };
        let (method, path, json) = body(GroupAction::RemoveParticipants(users));
        assert_eq!((method, path), (Method::Delete, format!("{GROUP}/participants")));
        assert_eq!(
            json.unwrap()["participants"],
            json!([{"user": "16505551234"}, {"user_id": "US.13491208655302741918"}])
        );
        let requests = GroupRequests { group_id: GROUP.into(), request_ids: vec!["R1".into()] };
        let (method, _, json) = body(GroupAction::RejectJoinRequests(requests));
        assert_eq!(
            (method, json.unwrap()),
            (Method::Delete, json!({"messaging_product": "whatsapp", "join_requests": ["R1"]}))
        );
        assert_eq!(body(GroupAction::Delete(GROUP.into())), (Method::Delete, GROUP.to_owned(), None));
    }

    #[test]
    fn bad_requests_name_their_field() {
        let field = |action: GroupAction| request(PHONE, &action).unwrap_err().field;
        let spec = |subject: &str| GroupSpec { subject: subject.into(), description: None, join_approval: None };
        assert_eq!(field(GroupAction::Create(spec(" "))), "subject");
        assert_eq!(field(GroupAction::Create(spec(&"x".repeat(129)))), "subject");
        assert_eq!(field(GroupAction::InviteLink("../me".into())), "groupId");
        let nine = GroupUsers { group_id: GROUP.into(), users: vec!["16505551234".into(); 9] };
        assert_eq!(field(GroupAction::RemoveParticipants(nine)), "users");
        let group_in = GroupUsers { group_id: GROUP.into(), users: vec![format!("{GROUP}@g.us")] };
        assert_eq!(field(GroupAction::RemoveParticipants(group_in)), "users[0]");
        let none = GroupRequests { group_id: GROUP.into(), request_ids: vec![] };
        assert_eq!(field(GroupAction::ApproveJoinRequests(none)), "requestIds");
    }

    #[test]
    fn answers_become_outcomes() {
        let listed = outcome(
            &GroupAction::JoinRequests(GROUP.into()),
            &json!({"data": [{"join_request_id": "R1", "wa_id": "16505551234", "creation_timestamp": 1755548877}]}),
        );
        assert_eq!(
            listed.join_requests,
            [JoinRequest { id: "R1".into(), user: "16505551234".into(), requested_at_ms: Some(1_755_548_877_000) }]
        );
        let approved = outcome(
            &GroupAction::ApproveJoinRequests(GroupRequests { group_id: GROUP.into(), request_ids: vec![] }),
            &json!({"approved_join_requests": ["R1"], "failed_join_requests": [
                {"join_request_id": "R2", "errors": [{"code": 131213, "message": "Join request does not exist"}]}]}),
        );
        assert_eq!(approved.decided, ["R1"]);
        assert_eq!(approved.failed, [UserFailure { user: "R2".into(), reason: "Join request does not exist".into() }]);
        let created = outcome(&GroupAction::Delete(GROUP.into()), &json!({"request_id": "Q1"}));
        assert_eq!(created.request_id.as_deref(), Some("Q1"));
        let link =
            outcome(&GroupAction::InviteLink(GROUP.into()), &json!({"invite_link": "https://chat.whatsapp.com/X"}));
        assert_eq!(link.invite_link.as_deref(), Some("https://chat.whatsapp.com/X"));
    }
}
