//! The plugin's identity and capabilities.

use crate::constants::{CHANNEL_ID, CONTRACT, MAX_TEXT_CHARS};
use crate::media_rules::MEDIA_RULES;
use crate::wit::plugin::{Capabilities, Features, MediaLimit, PluginInfo};

/// What `plugin.info` returns.
pub fn plugin_info() -> PluginInfo {
    PluginInfo {
        id: CHANNEL_ID.to_owned(),
        name: "WhatsApp Business Cloud API".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        contract: CONTRACT.to_owned(),
        capabilities: Capabilities {
            features: Features::SEND_TEXT
                | Features::SEND_MEDIA
                | Features::SEND_TEMPLATES
                | Features::SEND_INTERACTIVE
                | Features::SEND_LOCATION
                | Features::SEND_CONTACTS
                | Features::SEND_REACTIONS
                | Features::REPLY
                | Features::READ_RECEIPTS
                | Features::TYPING_INDICATOR
                | Features::RECEIVE_DELIVERY_RECEIPTS
                | Features::RECEIVE_READ_RECEIPTS
                | Features::UPLOAD_MEDIA
                | Features::DOWNLOAD_MEDIA
                | Features::GROUPS,
            max_text_length: MAX_TEXT_CHARS as u32,
            media: MEDIA_RULES
                .iter()
                .map(|r| MediaLimit {
                    kind: r.kind,
                    max_bytes: r.max_bytes,
                    mime_types: r.mime_types.iter().map(|m| (*m).to_owned()).collect(),
                })
                .collect(),
        },
    }
}
