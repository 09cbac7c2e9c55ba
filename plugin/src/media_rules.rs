//! What WhatsApp accepts per media kind: one table for the advertised capabilities and for the
//! checks made before an upload.

use crate::wit::types::MediaKind;
use omni_channel_vocabulary::MediaKindName;

/// Size and type limits of one media kind.
pub struct MediaRule {
    pub kind: MediaKind,
    pub max_bytes: u64,
    pub mime_types: &'static [&'static str],
}

const MIB: u64 = 1024 * 1024;

/// Meta's documented limits (Cloud API "supported media types").
pub const MEDIA_RULES: &[MediaRule] = &[
    MediaRule { kind: MediaKind::Image, max_bytes: 5 * MIB, mime_types: &["image/jpeg", "image/png"] },
    MediaRule { kind: MediaKind::Video, max_bytes: 16 * MIB, mime_types: &["video/mp4", "video/3gpp"] },
    MediaRule {
        kind: MediaKind::Audio,
        max_bytes: 16 * MIB,
        // Opus voice notes must be declared as `audio/ogg; codecs=opus`.
        mime_types: &["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"],
    },
    MediaRule {
        kind: MediaKind::Document,
        max_bytes: 100 * MIB,
        mime_types: &[
            "text/plain",
            "application/pdf",
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ],
    },
    // 100 KB for static stickers, 500 KB for animated ones; the larger bound is checked here.
    MediaRule { kind: MediaKind::Sticker, max_bytes: 500 * 1024, mime_types: &["image/webp"] },
];

/// The rule for a media kind.
/// omni's (and the Graph API's) name of a media kind.
pub fn name(kind: MediaKind) -> &'static str {
    vocabulary(kind).as_str()
}

/// The media kind omni calls `name`.
pub fn kind_named(name: &str) -> Option<MediaKind> {
    MediaKindName::parse(name).map(|name| match name {
        MediaKindName::Image => MediaKind::Image,
        MediaKindName::Video => MediaKind::Video,
        MediaKindName::Audio => MediaKind::Audio,
        MediaKindName::Document => MediaKind::Document,
        MediaKindName::Sticker => MediaKind::Sticker,
    })
}

/// The shared vocabulary's case for a WIT media kind: a new WIT case fails to compile here.
fn vocabulary(kind: MediaKind) -> MediaKindName {
    match kind {
        MediaKind::Image => MediaKindName::Image,
        MediaKind::Video => MediaKindName::Video,
        MediaKind::Audio => MediaKindName::Audio,
        MediaKind::Document => MediaKindName::Document,
        MediaKind::Sticker => MediaKindName::Sticker,
    }
}

pub fn rule(kind: MediaKind) -> &'static MediaRule {
    MEDIA_RULES.iter().find(|r| r.kind == kind).expect("every media kind has a rule")
}
