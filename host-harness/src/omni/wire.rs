//! WIT values as JSON, for the command line and the HTTP API.

use omni_channel_vocabulary::{MediaKindName, OptionalInterface};
use serde_json::{Value, json};

use crate::bindings::account::{BlockOutcome, BusinessProfile, ProfileUpdate};
use crate::bindings::messaging::SendReceipt;
use crate::bindings::plugin::{ConnectionInfo, Features, PluginInfo};
use crate::bindings::types::{ChannelError, ErrorClass, MediaKind, RetrySchedule};
use crate::retry::PartsOutcome;
use crate::runtime::PluginRuntime;

/// `{"messageId", "recipientId", "messageStatus", "eventId"}`.
pub fn receipt(receipt: &SendReceipt) -> Value {
    json!({
        "messageId": receipt.message_id,
        "recipientId": receipt.recipient_id,
        "messageStatus": receipt.message_status,
        "eventId": receipt.event_id,
    })
}

/// The outcome of an omni message sent in parts: on success the first part's receipt with
/// every part's `messageIds` and `eventIds` and the `attempts`; on failure the typed error
/// with the `sentMessageIds` of the parts that did go out.
pub fn parts_outcome(outcome: &PartsOutcome) -> Result<Value, Value> {
    let ids: Vec<&str> = outcome.sent.iter().map(|r| r.message_id.as_str()).collect();
    match (&outcome.failure, outcome.sent.first()) {
        (None, Some(first)) => {
            let mut body = receipt(first);
            body["messageIds"] = json!(ids);
            body["eventIds"] = json!(outcome.sent.iter().map(|r| r.event_id.as_str()).collect::<Vec<_>>());
            body["attempts"] = json!(outcome.attempts);
            Ok(body)
        }
        (Some(error), _) => {
            let mut body = channel_error(error);
            if !ids.is_empty() {
                body["sentMessageIds"] = json!(ids);
            }
            Err(body)
        }
        (None, None) => {
            Err(json!({"error": "other", "message": "the message had nothing to send", "retryable": false}))
        }
    }
}

/// A typed channel error: `{"error": <case>, "message", "retryable", ...case fields}`.
pub fn channel_error(error: &ChannelError) -> Value {
    match error {
        ChannelError::InvalidConfig(problems) => json!({
            "error": "invalid-config",
            "message": "the instance configuration is invalid",
            "problems": problems.iter().map(|p| json!({"field": p.field, "message": p.message})).collect::<Vec<_>>(),
            "retryable": false,
        }),
        ChannelError::InvalidRequest(field) => json!({
            "error": "invalid-request",
            "message": format!("{}: {}", field.field, field.reason),
            "field": field.field,
            "reason": field.reason,
            "retryable": false,
        }),
        ChannelError::Provider(e) => json!({
            "error": "provider",
            "message": e.message,
            "httpStatus": e.http_status,
            "code": e.code,
            "subcode": e.subcode,
            "type": e.error_type,
            "details": e.details,
            "traceId": e.trace_id,
            "class": error_class(e.class),
            "retryable": e.retry.is_some(),
            "retry": e.retry.as_ref().map(retry),
        }),
        ChannelError::Unreachable(e) => json!({
            "error": "unreachable",
            "message": e.message,
            "retryable": e.retry.is_some(),
            "retry": e.retry.as_ref().map(retry),
        }),
        ChannelError::OutcomeUnknown(m) => {
            json!({"error": "outcome-unknown", "message": m, "retryable": false})
        }
        ChannelError::Integrity(m) => {
            json!({"error": "integrity", "message": m, "retryable": false})
        }
        ChannelError::Unsupported(what) => json!({"error": "unsupported", "message": what, "retryable": false}),
        ChannelError::Other(m) => json!({"error": "other", "message": m, "retryable": false}),
    }
}

fn retry(schedule: &RetrySchedule) -> Value {
    json!({
        "firstDelayMs": schedule.first_delay_ms,
        "multiplier": schedule.multiplier,
        "notBeforeMs": schedule.not_before_ms,
    })
}

/// `transient`, `throttled`, `auth`, `terminal`.
pub fn error_class(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::Transient => "transient",
        ErrorClass::Throttled => "throttled",
        ErrorClass::Auth => "auth",
        ErrorClass::Terminal => "terminal",
    }
}

/// The media kind omni calls `name` (the inverse of [`media_kind`]).
pub fn parse_media_kind(name: &str) -> Option<MediaKind> {
    MediaKindName::parse(name).map(|name| match name {
        MediaKindName::Image => MediaKind::Image,
        MediaKindName::Video => MediaKind::Video,
        MediaKindName::Audio => MediaKind::Audio,
        MediaKindName::Document => MediaKind::Document,
        MediaKindName::Sticker => MediaKind::Sticker,
    })
}

/// A request's headers as the WIT's `(name, value)` pairs; a value that is not UTF-8 is
/// converted lossily rather than dropped.
pub fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect()
}

/// omni's name for a media kind (the names are the shared vocabulary's).
pub fn media_kind(kind: MediaKind) -> &'static str {
    let name = match kind {
        MediaKind::Image => MediaKindName::Image,
        MediaKind::Video => MediaKindName::Video,
        MediaKind::Audio => MediaKindName::Audio,
        MediaKind::Document => MediaKindName::Document,
        MediaKind::Sticker => MediaKindName::Sticker,
    };
    name.as_str()
}

/// What `connect` found: the account, and every setup check with what to do about a failed one.
pub fn connection_info(info: &ConnectionInfo) -> Value {
    json!({
        "profileName": info.profile_name,
        "ownerIdentifier": info.owner_identifier,
        "qualityRating": info.quality_rating,
        "checks": info.checks.iter().map(|c| json!({
            "name": c.name,
            "passed": c.passed,
            "detail": c.detail,
            "fix": c.fix,
        })).collect::<Vec<_>>(),
    })
}

/// What blocking or unblocking did: `{changed, failed: [{user, reason}]}`.
pub fn block_outcome(outcome: &BlockOutcome) -> Value {
    json!({
        "changed": outcome.changed,
        "failed": outcome.failed.iter().map(|f| json!({"user": f.user, "reason": f.reason})).collect::<Vec<_>>(),
    })
}

/// The business profile, its fields in camelCase.
pub fn business_profile(profile: &BusinessProfile) -> Value {
    json!({
        "about": profile.about,
        "address": profile.address,
        "description": profile.description,
        "email": profile.email,
        "websites": profile.websites,
        "vertical": profile.vertical,
        "profilePictureUrl": profile.profile_picture_url,
    })
}

/// A profile change as the API and the CLI take it: `{about?, address?, description?, email?,
/// websites?, vertical?, profilePictureHandle?}`; an unknown field is refused by name.
pub fn profile_update(json: &str) -> Result<ProfileUpdate, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Update {
        about: Option<String>,
        address: Option<String>,
        description: Option<String>,
        email: Option<String>,
        websites: Option<Vec<String>>,
        vertical: Option<String>,
        profile_picture_handle: Option<String>,
    }
    let u: Update = serde_json::from_str(json).map_err(|e| e.to_string())?;
    Ok(ProfileUpdate {
        about: u.about,
        address: u.address,
        description: u.description,
        email: u.email,
        websites: u.websites,
        vertical: u.vertical,
        profile_picture_handle: u.profile_picture_handle,
    })
}

/// The plugin's identity and capabilities.
pub fn plugin_info(info: &PluginInfo, runtime: &PluginRuntime) -> Value {
    let features: Vec<&str> = [
        (Features::SEND_TEXT, "send-text"),
        (Features::SEND_MEDIA, "send-media"),
        (Features::SEND_TEMPLATES, "send-templates"),
        (Features::SEND_INTERACTIVE, "send-interactive"),
        (Features::SEND_LOCATION, "send-location"),
        (Features::SEND_CONTACTS, "send-contacts"),
        (Features::SEND_REACTIONS, "send-reactions"),
        (Features::REPLY, "reply"),
        (Features::READ_RECEIPTS, "read-receipts"),
        (Features::TYPING_INDICATOR, "typing-indicator"),
        (Features::RECEIVE_DELIVERY_RECEIPTS, "receive-delivery-receipts"),
        (Features::RECEIVE_READ_RECEIPTS, "receive-read-receipts"),
        (Features::UPLOAD_MEDIA, "upload-media"),
        (Features::DOWNLOAD_MEDIA, "download-media"),
        (Features::GROUPS, "groups"),
    ]
    .into_iter()
    .filter(|(flag, _)| info.capabilities.features.contains(*flag))
    // A feature is only as real as the interface that carries it: a channel that claims read
    // receipts but exports no `receipts` cannot mark anything read.
    .filter(|(flag, _)| needed_interface(*flag).is_none_or(|interface| runtime.supports(interface)))
    .map(|(_, name)| name)
    .collect();
    json!({
        "id": info.id,
        "name": info.name,
        "version": info.version,
        "contract": info.contract,
        "interfaces": runtime.optional_interfaces(),
        "capabilities": {
            "features": features,
            "maxTextLength": info.capabilities.max_text_length,
            "media": info.capabilities.media.iter().map(|m| json!({
                "kind": media_kind(m.kind),
                "maxBytes": m.max_bytes,
                "mimeTypes": m.mime_types,
            })).collect::<Vec<_>>(),
        },
    })
}

/// The optional interface a feature is made of, if any.
fn needed_interface(feature: Features) -> Option<OptionalInterface> {
    if feature == Features::READ_RECEIPTS || feature == Features::TYPING_INDICATOR {
        Some(OptionalInterface::Receipts)
    } else if feature == Features::UPLOAD_MEDIA || feature == Features::DOWNLOAD_MEDIA {
        Some(OptionalInterface::Media)
    } else if feature == Features::GROUPS {
        Some(OptionalInterface::Groups)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_kind_names_round_trip() {
        for name in MediaKindName::ALL {
            let kind = parse_media_kind(name.as_str()).expect("every vocabulary kind is a WIT kind");
            assert_eq!(media_kind(kind), name.as_str());
        }
        assert_eq!(parse_media_kind("gif"), None);
    }
}
