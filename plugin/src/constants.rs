//! What the rest of the plugin agrees on: the channel's name and WhatsApp's size limits that
//! more than one module checks. A leaf: it imports nothing.

/// omni's channel type for this plugin; part of every event subject.
pub const CHANNEL_ID: &str = "whatsapp-cloud";
/// The WIT package this plugin implements.
pub const CONTRACT: &str = omni_channel_vocabulary::CONTRACT;
/// Longest text message, in characters: longer omni texts are split into several sends.
pub const MAX_TEXT_CHARS: usize = 4096;
