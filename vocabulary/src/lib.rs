//! What both sides of the `omni:channel` contract must agree on and the WIT cannot say: omni's
//! names for event kinds and media kinds, the rule for subject tokens, the default limits of a
//! delivery, and a constant-time comparison.
//!
//! The plugin and the host each map their generated WIT types onto the enums here with one
//! exhaustive `match`, so a case added to the WIT fails to compile on both sides until it is
//! given its name here, once. No dependencies; builds for the component and for the host.

#![no_std]

/// The WIT package both sides implement (`wit/world.wit`).
pub const CONTRACT: &str = "omni:channel@0.6.0";

/// The interfaces a channel may leave out (`wit/world.wit`'s `*-extension` worlds): a host
/// probes a component for each once, and answers a call to a missing one as unsupported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionalInterface {
    Receipts,
    Media,
    Account,
    Calls,
    Groups,
}

impl OptionalInterface {
    /// Every optional interface, in `world.wit`'s order.
    pub const ALL: [Self; 5] = [Self::Receipts, Self::Media, Self::Account, Self::Calls, Self::Groups];

    /// The interface's WIT name (`media`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Receipts => "receipts",
            Self::Media => "media",
            Self::Account => "account",
            Self::Calls => "calls",
            Self::Groups => "groups",
        }
    }
}

/// omni's event kinds that have a case in the WIT's `event-kind` (the rest are `other`, named
/// by the plugin: `custom.{channel}.…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventName {
    MessageReceived,
    MessageSent,
    MessageDelivered,
    MessageRead,
    MessageFailed,
    MessageButtonClick,
    MediaReceived,
    ReactionReceived,
    ReactionRemoved,
    InstanceConnected,
    InstanceDisconnected,
}

impl EventName {
    /// Every name, in the WIT's order.
    pub const ALL: [Self; 11] = [
        Self::MessageReceived,
        Self::MessageSent,
        Self::MessageDelivered,
        Self::MessageRead,
        Self::MessageFailed,
        Self::MessageButtonClick,
        Self::MediaReceived,
        Self::ReactionReceived,
        Self::ReactionRemoved,
        Self::InstanceConnected,
        Self::InstanceDisconnected,
    ];

    /// omni's name (`message.received`): the event's type on the bus and the first tokens of
    /// its subject.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MessageReceived => "message.received",
            Self::MessageSent => "message.sent",
            Self::MessageDelivered => "message.delivered",
            Self::MessageRead => "message.read",
            Self::MessageFailed => "message.failed",
            Self::MessageButtonClick => "message.button_click",
            Self::MediaReceived => "media.received",
            Self::ReactionReceived => "reaction.received",
            Self::ReactionRemoved => "reaction.removed",
            Self::InstanceConnected => "instance.connected",
            Self::InstanceDisconnected => "instance.disconnected",
        }
    }
}

/// omni's media kinds, in the WIT's `media-kind` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKindName {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl MediaKindName {
    pub const ALL: [Self; 5] = [Self::Image, Self::Video, Self::Audio, Self::Document, Self::Sticker];

    /// omni's name, which is also the Graph API's and the content type of omni's messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// Whether a bus may drop an event of this type as a duplicate of an earlier one with the same
/// id. Event ids are deterministic so that a redelivered webhook is recognised; a state change of
/// the instance (`instance.connected`, `instance.disconnected`) is not a delivery but something
/// that happens again each time it happens — a reconnect after a restart must reach omni even
/// though it says what the last connect said — so it is never deduplicated.
pub fn is_deduplicated(event_type: &str) -> bool {
    event_type != EventName::InstanceConnected.as_str() && event_type != EventName::InstanceDisconnected.as_str()
}

/// Whether `s` is one or more dot-separated subject tokens of `[A-Za-z0-9_-]`, at most 200
/// bytes: what an event type may be (it becomes the start of a NATS subject).
pub fn is_subject_tokens(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.split('.').all(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
}

/// Longest instance id: room for omni's UUIDs and a readable name, not for a payload hidden
/// in every subject, metric label and log line.
pub const MAX_INSTANCE_ID_LEN: usize = 64;

/// Whether an instance id can be the last token of a subject: one token, no dot, at most
/// [`MAX_INSTANCE_ID_LEN`] bytes.
pub fn is_instance_id(s: &str) -> bool {
    s.len() <= MAX_INSTANCE_ID_LEN && is_subject_tokens(s) && !s.contains('.')
}

/// Default limits of one webhook delivery (`webhook.delivery-limits`).
pub mod limits {
    /// Largest body: Meta documents deliveries of up to 3 MB; a little more is taken.
    pub const MAX_BODY_BYTES: u64 = 4 << 20;
    /// Largest payload of one event, when the bus says nothing smaller.
    pub const MAX_EVENT_BYTES: usize = 1 << 20;
}

/// Compares two byte strings in time that depends on their lengths only, not their contents
/// (for secrets: tokens, signatures).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_name_is_a_subject() {
        for name in EventName::ALL {
            assert!(is_subject_tokens(name.as_str()), "{}", name.as_str());
        }
    }

    #[test]
    fn media_kinds_round_trip_by_name() {
        for kind in MediaKindName::ALL {
            assert_eq!(MediaKindName::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(MediaKindName::parse("hologram"), None);
    }

    #[test]
    fn subject_tokens() {
        for ok in ["message.received", "custom.whatsapp-cloud.status.unknown", "a_b-c"] {
            assert!(is_subject_tokens(ok), "{ok}");
        }
        for bad in ["", ".", "a..b", "a.*", "a b", "a.>", "é"] {
            assert!(!is_subject_tokens(bad), "{bad}");
        }
        assert!(is_instance_id("acme-1") && !is_instance_id("acme.1"));
        assert!(
            is_instance_id(&"a".repeat(MAX_INSTANCE_ID_LEN)) && !is_instance_id(&"a".repeat(MAX_INSTANCE_ID_LEN + 1))
        );
    }

    #[test]
    fn only_deliveries_are_deduplicated() {
        assert!(is_deduplicated("message.received") && is_deduplicated("custom.whatsapp-cloud.call"));
        assert!(!is_deduplicated("instance.connected") && !is_deduplicated("instance.disconnected"));
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3creT"));
        assert!(!constant_time_eq(b"s3cret", b"s3cre"));
    }
}
