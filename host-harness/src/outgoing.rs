//! omni's `OutgoingMessage` as JSON → the WIT `outgoing-message`.
//!
//! ```json
//! {"to": "+1 555 010 0100", "content": {"type": "text", "text": "Hello"}, "replyTo": "wamid..."}
//! ```

use serde::Deserialize;

use crate::bindings::messaging::{Content, OutgoingMessage, TextContent};

/// An omni outgoing message.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OmniOutgoing {
    pub to: String,
    pub content: OmniContent,
    #[serde(default)]
    pub reply_to: Option<String>,
    /// `biz_opaque_callback_data`, echoed in status webhooks.
    #[serde(default)]
    pub callback_data: Option<String>,
    /// omni's free-form metadata; `metadata.correlationId` becomes the send's correlation id.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
}

/// omni's `OutgoingContent`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum OmniContent {
    Text {
        text: String,
        #[serde(default)]
        preview_url: bool,
    },
}

impl OmniOutgoing {
    /// Parses the JSON form.
    pub fn from_json(json: &str) -> anyhow::Result<Self> {
        Ok(serde_json::from_str(json)?)
    }

    /// The correlation id omni gave the message, if any.
    pub fn correlation_id(&self) -> Option<&str> {
        self.metadata.as_ref()?.get("correlationId")?.as_str()
    }

    /// The WIT message.
    pub fn to_wit(&self) -> OutgoingMessage {
        let content = match &self.content {
            OmniContent::Text { text, preview_url } => {
                Content::Text(TextContent { body: text.clone(), preview_url: *preview_url })
            }
        };
        OutgoingMessage {
            to: self.to.clone(),
            content,
            reply_to: self.reply_to.clone(),
            callback_data: self.callback_data.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_message() {
        let m = OmniOutgoing::from_json(
            r#"{"to":"+1 555","content":{"type":"text","text":"hi"},"replyTo":"wamid.1","metadata":{"correlationId":"c1"}}"#,
        )
        .unwrap();
        assert_eq!(m.correlation_id(), Some("c1"));
        let wit = m.to_wit();
        assert_eq!(wit.reply_to.as_deref(), Some("wamid.1"));
        assert!(matches!(wit.content, Content::Text(TextContent { ref body, preview_url: false }) if body == "hi"));
    }

    #[test]
    fn unknown_fields_and_types_are_errors() {
        assert!(OmniOutgoing::from_json(r#"{"to":"1","content":{"type":"text","text":"hi","colour":1}}"#).is_err());
        assert!(OmniOutgoing::from_json(r#"{"to":"1","content":{"type":"hologram"}}"#).is_err());
    }
}
