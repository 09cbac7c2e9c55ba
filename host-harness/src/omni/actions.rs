//! Call and group actions as callers write them (JSON, camelCase, the action named by
//! `action`) ↔ the WIT types. Read here once for `serve`, the CLI and the Node-API addon.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::bindings::calls::{CallAction, CallAnswer, CallStart, Session};
use crate::bindings::groups::{GroupAction, GroupOutcome, GroupRequests, GroupSpec, GroupUsers, JoinApproval};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SessionJson {
    sdp_type: String,
    sdp: String,
}

#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum CallJson {
    #[serde(rename_all = "camelCase")]
    Connect { to: String, session: SessionJson, callback_data: Option<String> },
    #[serde(rename_all = "camelCase")]
    PreAccept { call_id: String, session: SessionJson },
    #[serde(rename_all = "camelCase")]
    Accept { call_id: String, session: SessionJson, callback_data: Option<String> },
    #[serde(rename_all = "camelCase")]
    Reject { call_id: String },
    #[serde(rename_all = "camelCase")]
    Terminate { call_id: String },
}

fn session(json: SessionJson) -> Session {
    Session { sdp_type: json.sdp_type, sdp: json.sdp }
}

/// `{"action": "connect", "to", "session": {"sdpType", "sdp"}, "callbackData"?}`,
/// `{"action": "pre_accept" | "accept", "callId", "session", "callbackData"?}` or
/// `{"action": "reject" | "terminate", "callId"}`; an unknown action or field is refused by name.
pub fn call_action(json: &str) -> Result<CallAction, String> {
    let parsed: CallJson = serde_json::from_str(json).map_err(|e| e.to_string())?;
    Ok(match parsed {
        CallJson::Connect { to, session: s, callback_data } => {
            CallAction::Connect(CallStart { to, session: session(s), callback_data })
        }
        CallJson::PreAccept { call_id, session: s } => {
            CallAction::PreAccept(CallAnswer { call_id, session: session(s), callback_data: None })
        }
        CallJson::Accept { call_id, session: s, callback_data } => {
            CallAction::Accept(CallAnswer { call_id, session: session(s), callback_data })
        }
        CallJson::Reject { call_id } => CallAction::Reject(call_id),
        CallJson::Terminate { call_id } => CallAction::Terminate(call_id),
    })
}

#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum GroupJson {
    #[serde(rename_all = "camelCase")]
    Create { subject: String, description: Option<String>, join_approval: Option<JoinApprovalJson> },
    #[serde(rename_all = "camelCase")]
    InviteLink { group_id: String },
    #[serde(rename_all = "camelCase")]
    ResetInviteLink { group_id: String },
    #[serde(rename_all = "camelCase")]
    RemoveParticipants { group_id: String, users: Vec<String> },
    #[serde(rename_all = "camelCase")]
    JoinRequests { group_id: String },
    #[serde(rename_all = "camelCase")]
    ApproveJoinRequests { group_id: String, request_ids: Vec<String> },
    #[serde(rename_all = "camelCase")]
    RejectJoinRequests { group_id: String, request_ids: Vec<String> },
    #[serde(rename_all = "camelCase")]
    Delete { group_id: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum JoinApprovalJson {
    AutoApprove,
    ApprovalRequired,
}

/// `{"action": "create", "subject", "description"?, "joinApproval"?: "auto_approve" |
/// "approval_required"}`, `{"action": "invite_link" | "reset_invite_link" | "join_requests" |
/// "delete", "groupId"}`, `{"action": "remove_participants", "groupId", "users"}` or
/// `{"action": "approve_join_requests" | "reject_join_requests", "groupId", "requestIds"}`.
pub fn group_action(json: &str) -> Result<GroupAction, String> {
    let parsed: GroupJson = serde_json::from_str(json).map_err(|e| e.to_string())?;
    Ok(match parsed {
        GroupJson::Create { subject, description, join_approval } => GroupAction::Create(GroupSpec {
            subject,
            description,
            join_approval: join_approval.map(|a| match a {
                JoinApprovalJson::AutoApprove => JoinApproval::AutoApprove,
                JoinApprovalJson::ApprovalRequired => JoinApproval::ApprovalRequired,
            }),
        }),
        GroupJson::InviteLink { group_id } => GroupAction::InviteLink(group_id),
        GroupJson::ResetInviteLink { group_id } => GroupAction::ResetInviteLink(group_id),
        GroupJson::RemoveParticipants { group_id, users } => {
            GroupAction::RemoveParticipants(GroupUsers { group_id, users })
        }
        GroupJson::JoinRequests { group_id } => GroupAction::JoinRequests(group_id),
        GroupJson::ApproveJoinRequests { group_id, request_ids } => {
            GroupAction::ApproveJoinRequests(GroupRequests { group_id, request_ids })
        }
        GroupJson::RejectJoinRequests { group_id, request_ids } => {
            GroupAction::RejectJoinRequests(GroupRequests { group_id, request_ids })
        }
        GroupJson::Delete { group_id } => GroupAction::Delete(group_id),
    })
}

/// `{requestId?, inviteLink?, joinRequests: [{id, user, requestedAt?}], decided: [id], failed:
/// [{user, reason}]}`.
pub fn group_outcome(outcome: &GroupOutcome) -> Value {
    let mut value = json!({
        "joinRequests": outcome.join_requests.iter().map(|r| {
            let mut request = json!({"id": r.id, "user": r.user});
            if let Some(at) = r.requested_at_ms {
                request["requestedAt"] = json!(at);
            }
            request
        }).collect::<Vec<_>>(),
        "decided": outcome.decided,
        "failed": outcome.failed.iter().map(|f| json!({"user": f.user, "reason": f.reason})).collect::<Vec<_>>(),
    });
    if let Some(id) = &outcome.request_id {
        value["requestId"] = json!(id);
    }
    if let Some(link) = &outcome.invite_link {
        value["inviteLink"] = json!(link);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_read_by_name_and_unknown_fields_refused() {
        let accept =
            call_action(r#"{"action":"accept","callId":"wacid.A","session":{"sdpType":"answer","sdp":"v=0"}}"#);
        assert!(matches!(accept, Ok(CallAction::Accept(a)) if a.call_id == "wacid.A" && a.session.sdp == "v=0"));
        assert!(call_action(r#"{"action":"hold","callId":"x"}"#).unwrap_err().contains("hold"));
        assert!(call_action(r#"{"action":"reject","callId":"x","why":"busy"}"#).unwrap_err().contains("why"));
        let create =
            group_action(r#"{"action":"create","subject":"Crew","joinApproval":"approval_required"}"#).unwrap();
        assert!(matches!(create, GroupAction::Create(s) if s.join_approval == Some(JoinApproval::ApprovalRequired)));
        assert!(group_action(r#"{"action":"delete"}"#).unwrap_err().contains("groupId"));
    }
}
